use glowplug::prelude::*;

glowplug::model! {
    User { id: pk, name: text, has_many posts: Post by author_id }
    Post { id: pk, author_id: bigint fk(User), title: text }
}

fn load(conn: &mut SqliteConnection) -> glowplug::Result<()> {
    let users = User::all(conn)?;
    let _ = users.load(conn, User::COMMENTS)?;
    Ok(())
}

fn main() {}
