glowplug::model! {
    User { id: pk, name: text, has_lots posts: Post by author_id }
    Post { id: pk, author_id: bigint, title: text }
}

fn main() {}
