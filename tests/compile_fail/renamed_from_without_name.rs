glowplug::model! {
    User {
        id: pk,
        name: text renamed_from,
    }
}

fn main() {}
