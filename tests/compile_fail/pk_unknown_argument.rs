fn main() {}

glowplug::model! {
    User { id: pk(text), name: text }
}
