// Two well-formed models around a piece that is not one: only that piece is reported.
glowplug::model! {
    User { id: pk, name: text }
    users: text,
    Post { id: pk, title: text }
}

fn main() {}
