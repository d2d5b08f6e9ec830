glowplug::model! {}

fn main() {}
