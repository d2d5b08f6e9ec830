glowplug::model! {
    pub User {
        id: pk,
        email: text validate(email, phone),
    }
}

fn main() {}
