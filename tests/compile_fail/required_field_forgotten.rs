// A required column (not null, no default) left out of an insert struct:
// there is no `Default` to fill it, so this does not compile.
glowplug::model! {
    User {
        id: pk,
        username: varchar(50),
        email: varchar,
        bio: text null,
    }
}

fn main() {
    let _ = NewUser { username: "ada".into(), ..Default::default() };
}
