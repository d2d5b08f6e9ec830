use glowplug::prelude::*;

glowplug::model! {
    User { id: pk, name: text, has_many posts: Post by author_id, has_one profile: Profile by user_id }
    Post { id: pk, author_id: bigint fk(User), title: text }
    Profile { id: pk, user_id: bigint fk(User), website: text }
}

fn load(conn: &mut SqliteConnection) -> glowplug::Result<()> {
    let users = User::all(conn)?.load(conn, User::POSTS)?;
    let _ = users[0].get(User::PROFILE);
    Ok(())
}

fn main() {}
