glowplug::model! {
    User {
        id: pk default(1),
        name: text,
    }
}

fn main() {}
