//! The 30-second tour: declare two related models, migrate, insert, query,
//! load relations, update and delete.
//!
//! ```sh
//! cargo run --example quickstart                                   # SQLite file ./glowplug.db
//! DATABASE_URL=postgres://postgres@127.0.0.1/postgres cargo run --example quickstart
//! ```
//!
//! The example cleans up the rows it creates, so it can run again and again.

use glowplug::prelude::*;

glowplug::model! {
    /// A registered user.
    pub User {
        id: pk,
        username: varchar(50) unique,
        email: varchar unique,
        bio: text null,
        active: bool default(true),
        timestamps,
        has_many posts: Post by author_id,
    }

    /// A post written by a user.
    pub Post {
        id: pk,
        author_id: bigint fk(User) index,
        title: varchar(200),
        body: text default(""),
        published: bool default(false),
        timestamps,
        belongs_to author: User by author_id,
    }
}

/// One directory of SQL migrations per backend, embedded in the binary.
const MIGRATIONS: glowplug::PerBackend<EmbeddedMigrations, EmbeddedMigrations> = glowplug::embed_migrations!(
    sqlite = "migrations/sqlite",
    postgres = "migrations/postgres"
);

fn main() -> glowplug::Result<()> {
    // DATABASE_URL from the environment or .env; a SQLite file when unset.
    let db = Database::from_env()?;
    println!("connected to {} ({})", db.url(), db.backend());

    let applied = db.run_pending_migrations(MIGRATIONS)?;
    println!("migrations applied now: {applied:?}");

    let mut conn = db.get()?;
    // A suffix per run keeps usernames unique even if a previous run was interrupted.
    let run = std::process::id();

    // Insert: the stored row comes back with its id, defaults and timestamps.
    let alice = NewUser::new(format!("alice-{run}"), format!("alice-{run}@example.com"))
        .insert(&mut conn)?;
    let bob = NewUser {
        bio: Some("writes about Rust".into()),
        ..NewUser::new(format!("bob-{run}"), format!("bob-{run}@example.com"))
    }
    .insert(&mut conn)?;
    println!(
        "inserted {} (id {}, active {}) and {} (id {})",
        alice.username, alice.id, alice.active, bob.username, bob.id
    );

    let first = NewPost {
        body: Some("One macro per table.".into()),
        ..NewPost::new(alice.id, "Hello, glowplug")
    }
    .insert(&mut conn)?;
    NewPost::new(alice.id, "Drafts stay unpublished").insert(&mut conn)?;
    println!(
        "alice wrote post {} ({:?}), published: {}",
        first.id, first.title, first.published
    );

    // Query with diesel's typed DSL, starting from the model's query.
    let authors = User::fetch(
        &mut conn,
        User::query()
            .inner_join(posts::table) // the join `belongs_to author` declares
            .filter(users::id.eq_any([alice.id, bob.id]))
            .distinct(),
    )?;
    println!(
        "users with posts: {:?}",
        authors.iter().map(|u| &u.username).collect::<Vec<_>>()
    );
    let alices_posts = Post::filter(posts::author_id.eq(alice.id))
        .order(posts::id.asc())
        .all(&mut conn)?;
    println!(
        "alice's posts: {:?}",
        alices_posts.iter().map(|p| &p.title).collect::<Vec<_>>()
    );

    // Everyday queries: find_by (borrowing its value), counts, exists, first/last, pluck.
    let found = User::find_by(&mut conn, users::username.eq(&alice.username))?;
    let latest = Post::filter(posts::author_id.eq(found.id))
        .order(posts::id.asc())
        .last(&mut conn)?;
    let titles: Vec<String> = Post::scope()
        .order(posts::title.asc())
        .pluck(&mut conn, posts::title)?;
    println!(
        "{} has {} posts (any published: {}), the latest {:?}; all titles: {titles:?}",
        found.username,
        Post::filter(posts::author_id.eq(found.id)).count(&mut conn)?,
        Post::filter(posts::published.eq(true)).exists(&mut conn)?,
        latest.map(|p| p.title),
    );
    for (user, n) in User::scope()
        .order(users::id.asc())
        .with_count(&mut conn, User::POSTS)?
    {
        println!(
            "{} wrote {n} posts (one query for every user)",
            user.username
        );
    }
    // Any diesel query runs on the pooled connection through the concrete backend.
    let per_author: Vec<(String, i64)> = users::table
        .inner_join(posts::table)
        .group_by(users::username)
        .select((users::username, diesel::dsl::count_star()))
        .fetch_all(&mut conn)?;
    println!("posts per author: {per_author:?}");

    // Relations: lazily for one row, eagerly for many (one query per relation, never N+1).
    println!(
        "post {} was written by {}",
        first.id,
        first.author(&mut conn)?.username
    );
    // count_queries records what a block sends (on this thread): a test
    // would assert `log.assert_count(1)` to prove there is no N+1.
    let (with_posts, log) =
        glowplug::count_queries(|| vec![alice.clone(), bob.clone()].load(&mut conn, User::POSTS));
    let with_posts = with_posts?;
    println!(
        "eager load of posts: {} statement(s): {:?}",
        log.len(),
        log.sql()
    );
    for user in &with_posts {
        let posts = user.get(User::POSTS);
        println!("{} has {} posts", user.username, posts.len());
    }

    // Update: a full save, then a partial update; both bump updated_at.
    let mut post = Post::find(&mut conn, first.id)?;
    post.published = true;
    post.save(&mut conn)?;
    let mut bob = bob;
    bob.update(
        &mut conn,
        UserChanges {
            bio: Some(None),
            active: Some(false),
            ..Default::default()
        },
    )?;
    println!(
        "published post {}; bob now has bio {:?} and active {}",
        post.id, bob.bio, bob.active
    );

    // Errors are values you can match on.
    match User::find(&mut conn, -1) {
        Err(e) if e.is_not_found() => println!("looking up id -1: {e}"),
        other => println!("unexpected: {other:?}"),
    }

    // Delete what this run created (posts first: they reference their author).
    for post in &alices_posts {
        post.delete(&mut conn)?;
    }
    alice.delete(&mut conn)?;
    User::delete_by_id(&mut conn, bob.id)?;
    println!(
        "cleaned up; {} users and {} posts remain",
        User::count(&mut conn)?,
        Post::count(&mut conn)?
    );
    Ok(())
}
