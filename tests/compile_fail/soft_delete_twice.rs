glowplug::model! {
    Note {
        id: pk,
        body: text,
        soft_delete,
        soft_delete,
    }
}

fn main() {}
