glowplug::model! {
    User {
        name: text,
    }
}

fn main() {}
