fn main() {}

glowplug::model! {
    User { id: pk, name: text default }
}
