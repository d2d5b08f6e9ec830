glowplug::model! {
    User {
        id: pk,
        name: text uniqe,
    }
}

fn main() {}
