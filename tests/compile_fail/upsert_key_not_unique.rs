use glowplug::prelude::*;

glowplug::model! {
    Tag {
        id: pk,
        name: varchar(50) unique,
        label: text,
    }
}

fn main() {
    let _ = Tag::batch().on_conflict(tags::label, OnConflict::Ignore);
}
