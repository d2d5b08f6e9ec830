glowplug::model! {
    Doc {
        id: pk,
        lock_version: int,
        lock_version,
    }
}

fn main() {}
