glowplug::model! {
    User { id: pk, name: text, has_many posts Post by author_id }
}

fn main() {}
