// `regex(..)` needs glowplug's `regex` feature; without it the model does not compile.
glowplug::model! {
    pub User {
        id: pk,
        code: text validate(regex("^[A-Z]+$")),
    }
}

fn main() {}
