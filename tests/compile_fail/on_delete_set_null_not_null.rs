fn main() {}

glowplug::model! {
    Owner { id: pk, name: text }
    Pet { id: pk, owner_id: bigint fk(Owner) on_delete(set_null) }
}
