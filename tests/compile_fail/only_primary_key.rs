glowplug::model! {
    User {
        id: pk,
    }
}

fn main() {}
