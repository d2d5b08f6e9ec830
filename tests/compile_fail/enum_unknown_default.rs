glowplug::model! {
    Post {
        id: pk,
        status: enum(Draft, Published, Archived) default(Drafted),
    }
}

fn main() {}
