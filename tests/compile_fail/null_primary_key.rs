glowplug::model! {
    User {
        id: pk null,
        name: text,
    }
}

fn main() {}
