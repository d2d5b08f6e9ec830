glowplug::model! {
    Post {
        id: pk,
        status: enum() null,
    }
}

fn main() {}
