glowplug::model! {
    Note {
        id: pk,
        body: text,
        soft_deletes,
    }
}

fn main() {}
