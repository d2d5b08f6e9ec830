//! Relations, lazy and eager: `belongs_to`, `has_many`, `has_one`,
//! `many_to_many` and a self-reference, with the number of queries each
//! load sends.
//!
//! ```sh
//! cargo run --example relations                                    # SQLite file ./glowplug.db
//! DATABASE_URL=postgres://postgres@127.0.0.1/postgres cargo run --example relations
//! ```
//!
//! Everything runs in one transaction that is rolled back at the end, so the
//! example leaves the database as it found it.
//!
//! The statements are counted twice: per step by a
//! [`glowplug::QueryRecorder`] (what a test would assert), and in all by an
//! instrumentation of our own added to the pool with
//! `DatabaseBuilder::instrumentation`, which runs beside glowplug's own
//! (nothing is replaced). `RUST_LOG` is not read here: the example installs
//! no `tracing` subscriber.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::connection::InstrumentationEvent;
use glowplug::prelude::*;
use glowplug::{Error, LazyLoading, strict_loading};

glowplug::model! {
    /// A registered user: has many posts, has one profile.
    pub User {
        id: pk,
        username: varchar(50) unique,
        email: varchar unique,
        bio: text null,
        active: bool default(true),
        timestamps,
        has_many posts: Post by author_id,
        has_one profile: Profile by user_id,
    }

    /// A post: belongs to its author, has many comments, has many tags through `post_tags`.
    pub Post {
        id: pk,
        author_id: bigint fk(User) index,
        title: varchar(200),
        body: text default(""),
        published: bool default(false),
        timestamps,
        belongs_to author: User by author_id,
        has_many comments: Comment by post_id,
        many_to_many tags: Tag through post_tags(post_id, tag_id),
    }

    pub Comment {
        id: pk,
        post_id: bigint fk(Post) index,
        body: text,
        belongs_to post: Post by post_id,
    }

    pub Profile {
        id: pk,
        user_id: bigint fk(User) unique,
        website: text,
    }

    pub Tag {
        id: pk,
        name: varchar(50) unique,
        many_to_many posts: Post through post_tags(tag_id, post_id),
    }

    /// The join table of posts and tags.
    pub PostTag {
        id: pk,
        post_id: bigint fk(Post) index,
        tag_id: bigint fk(Tag) index,
    }

    /// An employee: belongs to a manager (another employee), has many reports.
    pub Employee {
        id: pk,
        name: text,
        manager_id: bigint null fk(Employee) index,
        belongs_to manager: Employee by manager_id,
        has_many reports: Employee by manager_id,
    }
}

const MIGRATIONS: glowplug::PerBackend<EmbeddedMigrations, EmbeddedMigrations> = glowplug::embed_migrations!(
    sqlite = "migrations/sqlite",
    postgres = "migrations/postgres"
);

fn main() -> glowplug::Result<()> {
    let total = Arc::new(AtomicUsize::new(0));
    let counter = total.clone();
    let db = Database::builder_from_env()?
        .instrumentation(move |event: InstrumentationEvent<'_>| {
            if matches!(event, InstrumentationEvent::StartQuery { .. }) {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        })
        .build()?;
    println!("connected to {} ({})", db.url(), db.backend());
    db.run_pending_migrations(MIGRATIONS)?;

    let mut conn = db.get()?;
    let queries = glowplug::QueryRecorder::start();
    let sent = || queries.count();

    let outcome = conn.transaction(|conn| {
        tour(conn, &sent)?;
        // Roll back: the example leaves no rows behind.
        Err::<(), Error>(diesel::result::Error::RollbackTransaction.into())
    });
    println!(
        "\n{} statements in all, counted by our own instrumentation",
        total.load(Ordering::Relaxed)
    );
    match outcome {
        Err(Error::Query(diesel::result::Error::RollbackTransaction)) => Ok(()),
        other => other,
    }
}

fn tour(conn: &mut AnyConnection, sent: &dyn Fn() -> usize) -> glowplug::Result<()> {
    // A small blog: two authors, three posts, comments, tags, one profile.
    let ada = user(conn, "ada")?;
    let bob = user(conn, "bob")?;
    let mut posts = Vec::new();
    for (author, title) in [(&ada, "Engines"), (&ada, "Notes"), (&bob, "Diesel")] {
        posts.push(NewPost::new(author.id, title).insert(conn)?);
    }
    for (post, body) in [(0, "Lovely"), (0, "More, please"), (2, "Fast")] {
        NewComment {
            post_id: posts[post].id,
            body: body.into(),
        }
        .insert(conn)?;
    }
    let rust = NewTag {
        name: "rust".into(),
    }
    .insert(conn)?;
    let sql = NewTag { name: "sql".into() }.insert(conn)?;
    for (post, tag) in [(0, &rust), (0, &sql), (2, &rust)] {
        NewPostTag {
            post_id: posts[post].id,
            tag_id: tag.id,
        }
        .insert(conn)?;
    }
    NewProfile {
        user_id: ada.id,
        website: "https://ada.example".into(),
    }
    .insert(conn)?;
    sent();

    println!("\n-- lazy: one query per call");
    let author = posts[2].author(conn)?;
    println!(
        "belongs_to    {:?}.author -> {}",
        posts[2].title, author.username
    );
    let titles: Vec<String> = ada.posts(conn)?.into_iter().map(|p| p.title).collect();
    println!("has_many      ada.posts -> {titles:?}");
    let website = ada.profile(conn)?.map(|p| p.website);
    println!(
        "has_one       ada.profile -> {website:?}; bob.profile -> {:?}",
        bob.profile(conn)?
    );
    let tags: Vec<String> = posts[0].tags(conn)?.into_iter().map(|t| t.name).collect();
    println!("many_to_many  {:?}.tags -> {tags:?}", posts[0].title);
    println!("({} queries for 5 lazy loads)", sent());

    println!("\n-- a relation as a query, filtered further");
    let newest = Post::fetch(conn, ada.posts_query().order(posts::id.desc()).limit(1))?;
    println!("ada's newest post: {:?}", newest[0].title);
    sent();

    println!("\n-- eager: one query per relation and level, whatever the number of rows");
    let users = User::fetch(
        conn,
        User::query()
            .filter(users::id.eq_any([ada.id, bob.id]))
            .order(users::id),
    )?;
    let (loaded, log) = glowplug::count_queries(|| {
        users.load(
            conn,
            (
                User::POSTS.with((Post::COMMENTS, Post::TAGS)),
                User::PROFILE,
            ),
        )
    });
    let loaded = loaded?;
    // One statement per relation and level; a test would say `log.assert_count(5)`.
    for statement in log.iter() {
        let op = statement
            .operation
            .map(|o| o.to_string())
            .unwrap_or_default();
        println!("  [{op}] {:.60}", statement.sql);
    }
    for user in &loaded {
        let profile = user.get(User::PROFILE);
        println!("{} (profile: {})", user.username, profile.is_some());
        for post in user.get(User::POSTS) {
            println!(
                "  {:?}: {} comments, tags {:?}",
                post.title,
                post.get(Post::COMMENTS).len(),
                post.get(Post::TAGS)
                    .iter()
                    .map(|t| &t.name)
                    .collect::<Vec<_>>()
            );
        }
    }
    println!(
        "({} queries: users, posts, comments, post_tags + tags, profiles)",
        sent()
    );
    println!(
        "as JSON: {}",
        serde_json::to_string(&loaded[1]).expect("models serialize")
    );

    let comments = Comment::fetch(
        conn,
        Comment::query().filter(comments::post_id.eq_any(posts.iter().map(|p| p.id))),
    )?
    .load(conn, Comment::POST.with(Post::AUTHOR))?;
    for comment in &comments {
        let post = comment.get(Comment::POST);
        println!(
            "{:?} on {:?} by {}",
            comment.body,
            post.title,
            post.get(Post::AUTHOR).username
        );
    }
    println!(
        "({} queries: comments, their posts once each, the authors once each)",
        sent()
    );

    println!("\n-- joins generated from belongs_to");
    let pairs: Vec<(String, String)> = User::query()
        .inner_join(posts::table)
        .filter(users::id.eq(ada.id))
        .select((users::username, posts::title))
        .order(posts::id)
        .load(conn)?;
    println!("{pairs:?}");

    println!("\n-- a self-reference: employees and their managers");
    let boss = NewEmployee {
        name: "Grace".into(),
        manager_id: None,
    }
    .insert(conn)?;
    for name in ["Alan", "Edsger"] {
        NewEmployee {
            name: name.into(),
            manager_id: Some(boss.id),
        }
        .insert(conn)?;
    }
    let staff = Employee::fetch(
        conn,
        Employee::query()
            .filter(employees::id.ge(boss.id))
            .order(employees::id),
    )?
    .load(conn, (Employee::MANAGER, Employee::REPORTS))?;
    for employee in &staff {
        println!(
            "{} reports to {:?} and manages {:?}",
            employee.name,
            employee.get(Employee::MANAGER).as_ref().map(|m| &m.name),
            employee
                .get(Employee::REPORTS)
                .iter()
                .map(|r| &r.name)
                .collect::<Vec<_>>()
        );
    }

    println!("\n-- strict loading: lazy loads inside a loop are caught");
    let _strict = strict_loading(LazyLoading::Deny);
    let all = User::fetch(
        conn,
        User::query().filter(users::id.eq_any([ada.id, bob.id])),
    )?;
    match all[0].posts(conn) {
        Err(e @ Error::LazyLoad(_)) => println!("refused: {e}"),
        other => println!("unexpected: {other:?}"),
    }
    Ok(())
}

fn user(conn: &mut AnyConnection, name: &str) -> glowplug::Result<User> {
    let run = std::process::id();
    NewUser::new(format!("{name}-{run}"), format!("{name}-{run}@example.com")).insert(conn)
}
