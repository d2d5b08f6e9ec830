glowplug::model! {
    Post {
        id: pk,
        status: enum("draft", "published"),
    }
}

fn main() {}
