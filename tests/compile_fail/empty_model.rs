glowplug::model! {
    User {}
}

fn main() {}
