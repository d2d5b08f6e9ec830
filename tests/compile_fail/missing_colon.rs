glowplug::model! {
    User {
        id: pk,
        name text,
    }
}

fn main() {}
