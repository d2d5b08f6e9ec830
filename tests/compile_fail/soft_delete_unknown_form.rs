glowplug::model! {
    Note {
        id: pk,
        body: text,
        soft_delete(utc),
    }
}

fn main() {}
