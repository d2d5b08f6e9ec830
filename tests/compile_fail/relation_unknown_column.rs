glowplug::model! {
    User { id: pk, name: text, has_many posts: Post by writer_id }
    Post { id: pk, author_id: bigint, title: text }
}

fn main() {}
