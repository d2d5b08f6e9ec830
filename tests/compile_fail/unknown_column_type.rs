glowplug::model! {
    User {
        id: pk,
        name: strnig,
    }
}

fn main() {}
