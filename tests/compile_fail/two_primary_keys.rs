glowplug::model! {
    User {
        id: pk,
        other_id: pk,
        name: text,
    }
}

fn main() {}
