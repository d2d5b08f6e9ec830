fn main() {}

glowplug::model! {
    User { id: pk, owner_id: bigint fk }
}
