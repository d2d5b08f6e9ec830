glowplug::model! {
    User {
        id: pk,
        name: text,
        name: text,
    }
}

fn main() {}
