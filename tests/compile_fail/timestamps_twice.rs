glowplug::model! {
    User {
        id: pk,
        name: text,
        timestamps,
        timestamps,
    }
}

fn main() {}
