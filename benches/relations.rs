//! Eager-loading benchmarks: users → posts → comments, loaded as one nested
//! typed result by glowplug's eager loading, by hand-written diesel
//! (`belonging_to` + `grouped_by`), and by the lazy N+1 loop, on the same
//! connection in the same run.
//!
//! The data, for N in [`SIZES`] (seeded once per N with `INSERT … SELECT`,
//! not measured): N users, N posts and N comments, with post `i` (0-based)
//! written by user `i mod N/4` and comment `j` on post `j mod N/4`. So a
//! quarter of the users have 4 posts each and the rest none, and each of those
//! users has one post with 4 comments and three posts with none: fan-out and
//! childless parents at both levels.
//!
//! Each iteration loads the whole tree: glowplug's eager load into its
//! typed result (`WithRelations`, read with `user.get(User::POSTS)`), the
//! other two into `Vec<(User, Vec<(Post, Vec<Comment>)>)>`:
//!
//! * `glowplug`: `User::all(&mut conn)?.load(&mut conn, User::POSTS.with(Post::COMMENTS))`,
//!   three queries;
//! * `diesel`: `users::table.select(User::as_select())`,
//!   `DPost::belonging_to(&users)`, `DComment::belonging_to(&posts)`, then
//!   `grouped_by` twice and `zip`: three queries with the same SQL as
//!   glowplug's. `DPost` and `DComment` are the structs a diesel user writes
//!   for `posts` and `comments` (same columns as `Post` and `Comment`, with
//!   diesel's `Associations`, which `model!` does not derive);
//! * `lazy`: `for user in User::all(..)? { for post in user.posts(..)? { post.comments(..)? } }`,
//!   2N + 1 queries.
//!
//! Benchmark ids read `<backend>/eager_nested/<side>/<N>`; SQLite runs in
//! memory on a plain `SqliteConnection`, PostgreSQL on a plain
//! `PgConnection` in the schema `glowplug_bench_relations` of the database
//! named by `PG_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/glowplug_test`; skipped with a line on
//! stdout when no server answers). Before the timed runs, glowplug and diesel
//! are checked to send the same statements (SQL and binds), and before those
//! of each N, the three sides' results to hold the same rows.
//!
//! Within each N, glowplug runs first, then diesel, then lazy;
//! `BENCH_DIESEL_FIRST=1` runs diesel first, to check that a difference does
//! not just follow the position in the run. `BENCH_INTERLEAVED=<seconds>`
//! adds, for each N, glowplug and diesel run alternately for that long, with
//! the median per-round ratio printed (see [`interleaved`]).
//!
//! Run with `cargo bench --bench relations` (`-- --test` runs every
//! benchmark once, as a smoke test); results are in BENCHMARKS.md.

use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use diesel::connection::{InstrumentationEvent, SimpleConnection};
use diesel::prelude::*;
use glowplug::prelude::*;
use glowplug::relation::Has;

#[allow(dead_code)]
#[path = "../tests/common/models.rs"]
mod models;

use models::{Comment, Post, User, comments, posts, users};

#[path = "support/interleaved.rs"]
mod alternate;

#[allow(dead_code)]
#[path = "../tests/common/setup.rs"]
mod setup;

use setup::{MIGRATIONS, pg_bench_migrated};
const PG_SCHEMA: &str = "glowplug_bench_relations";

/// Rows per level (users, posts, comments).
const SIZES: &[usize] = &[100, 1_000, 10_000];

/// The nested result of the lazy loop.
type Nested = Vec<Tree<Post, Comment>>;
/// The result of glowplug's eager load.
type Eagerly = Vec<
    glowplug::WithRelations<
        User,
        glowplug::relation::Field<
            models::UserPostsRelation,
            Vec<
                glowplug::WithRelations<
                    Post,
                    glowplug::relation::Field<models::PostCommentsRelation, Vec<Comment>>,
                >,
            >,
        >,
    >,
>;
/// The nested result of hand-written diesel.
type DieselNested = Vec<Tree<DPost, DComment>>;
/// One user with its posts, each with its comments.
type Tree<P, C> = (User, Vec<(P, Vec<C>)>);

/// A post as a diesel user declares it: the columns of [`Post`], with
/// diesel's `Associations` to `User`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, Associations)]
#[diesel(table_name = posts, belongs_to(User, foreign_key = author_id))]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct DPost {
    id: i64,
    author_id: i64,
    title: String,
    body: String,
    published: bool,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// A comment as a diesel user declares it: the columns of [`Comment`], with
/// diesel's `Associations` to [`DPost`].
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, Associations)]
#[diesel(table_name = comments, belongs_to(DPost, foreign_key = post_id))]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct DComment {
    id: i64,
    post_id: i64,
    body: String,
}

/// Hand-written diesel for one connection type: three queries, then
/// `grouped_by` twice.
macro_rules! hand_written {
    ($module:ident, $conn:ty) => {
        mod $module {
            use super::*;

            pub fn load_nested(conn: &mut $conn) -> QueryResult<DieselNested> {
                let users = users::table.select(User::as_select()).load(conn)?;
                let posts = DPost::belonging_to(&users)
                    .select(DPost::as_select())
                    .load(conn)?;
                let comments = DComment::belonging_to(&posts)
                    .select(DComment::as_select())
                    .load(conn)?;
                let comments = comments.grouped_by(&posts);
                let posts = posts
                    .into_iter()
                    .zip(comments)
                    .collect::<Vec<_>>()
                    .grouped_by(&users);
                Ok(users.into_iter().zip(posts).collect())
            }
        }
    };
}

hand_written!(sqlite_diesel, SqliteConnection);
hand_written!(pg_diesel, PgConnection);

/// glowplug's eager load: three queries.
fn eager<C: DbConnection>(conn: &mut C) -> glowplug::Result<Eagerly> {
    User::all(conn)?.load(conn, User::POSTS.with(Post::COMMENTS))
}

/// glowplug's eager result as the tuples the other sides give (outside the timed runs).
fn as_tree(eager: Eagerly) -> Nested {
    eager
        .into_iter()
        .map(|user| {
            let (user, posts) = user.into_parts();
            let posts = posts.into_field();
            let posts = posts.into_iter().map(|p| {
                let (post, comments) = p.into_parts();
                (post, comments.into_field())
            });
            (user, posts.collect())
        })
        .collect()
}

/// The lazy N+1 loop: one query for the users, one per user, one per post.
fn lazy<C: DbConnection>(conn: &mut C) -> glowplug::Result<Nested> {
    let mut out = Vec::new();
    for user in User::all(conn)? {
        let mut posts = Vec::new();
        for post in user.posts(conn)? {
            let comments = post.comments(conn)?;
            posts.push((post, comments));
        }
        out.push((user, posts));
    }
    Ok(out)
}

/// Which backend a suite runs on (it decides the seeding SQL).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

/// Replaces the users, posts and comments with the data described in the
/// module docs, `n` rows each, with ids 1..=n.
fn seed_sql(backend: Backend, n: usize) -> String {
    assert!(n >= 4 && n.is_multiple_of(4), "n must be a multiple of 4");
    let q = n / 4;
    let last = n - 1;
    let ts = "'2026-11-21 12:00:00'";
    let (clear, numbers, from, ts, analyze) = match backend {
        Backend::Sqlite => (
            "DELETE FROM comments; DELETE FROM posts; DELETE FROM users;",
            format!(
                "WITH RECURSIVE s(g) AS (SELECT 0 UNION ALL SELECT g + 1 FROM s WHERE g < {last}) "
            ),
            "s".to_owned(),
            ts.to_owned(),
            "ANALYZE;",
        ),
        Backend::Postgres => (
            "TRUNCATE comments, posts, users CASCADE;",
            String::new(),
            format!("generate_series(0, {last}) AS s(g)"),
            format!("TIMESTAMP {ts}"),
            "ANALYZE users, posts, comments;",
        ),
    };
    format!(
        "{clear}
         {numbers}INSERT INTO users (id, username, email, bio, active, created_at, updated_at)
             SELECT g + 1, 'user' || g, 'user' || g || '@example.com',
                    CASE WHEN g % 2 = 0 THEN 'bio of user ' || g END, g % 3 <> 0, {ts}, {ts}
             FROM {from};
         {numbers}INSERT INTO posts (id, author_id, title, body, published, created_at, updated_at)
             SELECT g + 1, g % {q} + 1, 'post ' || g, 'text of post ' || g, g % 2 = 0, {ts}, {ts}
             FROM {from};
         {numbers}INSERT INTO comments (id, post_id, body)
             SELECT g + 1, g % {q} + 1, 'comment ' || g
             FROM {from};
         {analyze}"
    )
}

/// A post's columns, to compare [`Post`] with [`DPost`].
type PostRow = (i64, i64, String, String, bool, NaiveDateTime, NaiveDateTime);
/// The tree as plain values: users, their posts' rows, those posts' comment rows.
type Shape = Vec<(User, Vec<(PostRow, Vec<(i64, i64, String)>)>)>;

/// A post or comment as the plain values [`Shape`] compares.
trait Row {
    type Values;
    fn values(&self) -> Self::Values;
}

macro_rules! post_row {
    ($($post:ty),*) => {$(
        impl Row for $post {
            type Values = PostRow;
            fn values(&self) -> PostRow {
                let p = self;
                (p.id, p.author_id, p.title.clone(), p.body.clone(), p.published, p.created_at, p.updated_at)
            }
        }
    )*};
}
post_row!(Post, DPost);

macro_rules! comment_row {
    ($($comment:ty),*) => {$(
        impl Row for $comment {
            type Values = (i64, i64, String);
            fn values(&self) -> Self::Values {
                (self.id, self.post_id, self.body.clone())
            }
        }
    )*};
}
comment_row!(Comment, DComment);

/// The tree of glowplug's or diesel's structs as plain values.
fn shape_of<P, C>(nested: &[Tree<P, C>]) -> Shape
where
    P: Row<Values = PostRow>,
    C: Row<Values = (i64, i64, String)>,
{
    nested
        .iter()
        .map(|(user, posts)| {
            let posts = posts
                .iter()
                .map(|(p, comments)| (p.values(), comments.iter().map(Row::values).collect()))
                .collect();
            (user.clone(), posts)
        })
        .collect()
}

/// `shape` with users, posts and comments sorted by id (the lazy loop's
/// queries may return children in another order than the eager ones).
fn sorted(mut shape: Shape) -> Shape {
    shape.sort_by_key(|(u, _)| u.id);
    for (_, posts) in &mut shape {
        posts.sort_by_key(|(p, _)| p.0);
        for (_, comments) in posts {
            comments.sort_by_key(|c| c.0);
        }
    }
    shape
}

/// Checks that the three sides load the same tree, and that it is the seeded one.
fn check(n: usize, glowplug: &Nested, diesel: &DieselNested, lazy: &Nested) {
    let shape = shape_of(glowplug);
    assert_eq!(shape.len(), n, "users");
    let posts: usize = shape.iter().map(|(_, p)| p.len()).sum();
    let comments: usize = shape
        .iter()
        .flat_map(|(_, p)| p.iter().map(|(_, c)| c.len()))
        .sum();
    assert_eq!((posts, comments), (n, n), "posts and comments");
    let with_posts = shape.iter().filter(|(_, p)| !p.is_empty()).count();
    assert_eq!(with_posts, n / 4, "users with posts");
    for (user, posts) in &shape {
        for ((id, author, ..), comments) in posts {
            assert_eq!(*author, user.id, "post {id} under its author");
            assert!(
                comments.iter().all(|c| c.1 == *id),
                "comments under their post"
            );
        }
    }
    assert!(
        shape == shape_of(diesel),
        "glowplug and diesel load the same tree, in the same order"
    );
    assert!(
        sorted(shape) == sorted(shape_of(lazy)),
        "the lazy loop loads the same tree"
    );
}

/// Which side of the comparison a benchmark measures.
#[derive(Clone, Copy)]
enum Side {
    Glowplug,
    Diesel,
    Lazy,
}

/// The order the sides run in for each N: glowplug, diesel, lazy, unless
/// `BENCH_DIESEL_FIRST=1`, which runs diesel first.
fn order() -> [Side; 3] {
    if std::env::var("BENCH_DIESEL_FIRST").is_ok_and(|v| v == "1") {
        [Side::Diesel, Side::Glowplug, Side::Lazy]
    } else {
        [Side::Glowplug, Side::Diesel, Side::Lazy]
    }
}

/// The eager sides: 50 samples over 8 s (criterion switches to flat sampling
/// when an iteration is too long for linear sampling in that time).
fn eager_settings<M: criterion::measurement::Measurement>(
    group: &mut criterion::BenchmarkGroup<'_, M>,
) {
    group
        .sample_size(50)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(8))
        .sampling_mode(SamplingMode::Auto);
}

/// The lazy loop: fewer samples, one iteration each at the largest size (on
/// PostgreSQL, 2N + 1 round trips take seconds).
fn lazy_settings<M: criterion::measurement::Measurement>(
    group: &mut criterion::BenchmarkGroup<'_, M>,
    n: usize,
) {
    if n >= 10_000 {
        group
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(5))
            .sampling_mode(SamplingMode::Flat);
    } else {
        group
            .sample_size(20)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(4))
            .sampling_mode(SamplingMode::Auto);
    }
}

/// The `eager_nested` group for one backend.
fn suite<C: DbConnection + SimpleConnection>(
    c: &mut Criterion,
    name: &str,
    backend: Backend,
    conn: &mut C,
    diesel: fn(&mut C) -> QueryResult<DieselNested>,
) {
    let mut group = c.benchmark_group(format!("{name}/eager_nested"));
    for &n in SIZES {
        conn.batch_execute(&seed_sql(backend, n))
            .expect("seed users, posts and comments");
        check(
            n,
            &as_tree(eager(conn).expect("eager load")),
            &diesel(conn).expect("diesel load"),
            &lazy(conn).expect("lazy load"),
        );
        for side in order() {
            match side {
                Side::Glowplug => {
                    eager_settings(&mut group);
                    group.bench_function(BenchmarkId::new("glowplug", n), |b| {
                        b.iter(|| black_box(eager(conn).expect("eager load")))
                    })
                }
                Side::Diesel => {
                    eager_settings(&mut group);
                    group.bench_function(BenchmarkId::new("diesel", n), |b| {
                        b.iter(|| black_box(diesel(conn).expect("diesel load")))
                    })
                }
                Side::Lazy => {
                    lazy_settings(&mut group, n);
                    group.bench_function(BenchmarkId::new("lazy", n), |b| {
                        b.iter(|| black_box(lazy(conn).expect("lazy load")))
                    })
                }
            };
        }
        interleaved(name, n, conn, diesel);
    }
    group.finish();
}

/// `BENCH_INTERLEAVED=<seconds>`: after the criterion benchmarks of each N,
/// glowplug's eager load and diesel's alternately (see
/// `support/interleaved.rs`). With a filter that matches no benchmark
/// (`-- interleaved`), only this runs.
fn interleaved<C: DbConnection>(
    name: &str,
    n: usize,
    conn: &mut C,
    diesel: fn(&mut C) -> QueryResult<DieselNested>,
) {
    let name = format!("{name}/eager_nested/{n}");
    alternate::interleaved(&name, "glowplug", "diesel", |side| {
        let start = Instant::now();
        if side == "glowplug" {
            black_box(eager(conn).expect("eager load"));
        } else {
            black_box(diesel(conn).expect("diesel load"));
        }
        start.elapsed()
    });
}

/// Checks, on a connection of its own (not instrumented afterwards), that
/// glowplug's eager load and the hand-written diesel send the same
/// statements: the same SQL with the same binds, in the same order.
fn assert_same_sql<C: DbConnection + Connection + SimpleConnection>(
    mut conn: C,
    backend: Backend,
    diesel: fn(&mut C) -> QueryResult<DieselNested>,
) {
    conn.batch_execute(&seed_sql(backend, 8))
        .expect("seed users, posts and comments");
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&log);
    conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            sink.lock().expect("query log").push(query.to_string());
        }
    });
    let sql = || std::mem::take(&mut *log.lock().expect("query log"));
    eager(&mut conn).expect("eager load");
    let ours = sql();
    diesel(&mut conn).expect("diesel load");
    let theirs = sql();
    assert_eq!(ours.len(), 3, "glowplug's eager load sends three queries");
    assert_eq!(ours, theirs, "glowplug and diesel send the same statements");
}

fn bench_sqlite(c: &mut Criterion) {
    let open = || {
        let mut conn = SqliteConnection::establish(":memory:").expect("open SQLite in memory");
        glowplug::Migrator::new(&mut conn, MIGRATIONS)
            .run()
            .expect("migrate SQLite");
        conn
    };
    assert_same_sql(open(), Backend::Sqlite, sqlite_diesel::load_nested);
    let mut conn = open();
    suite(
        c,
        "sqlite",
        Backend::Sqlite,
        &mut conn,
        sqlite_diesel::load_nested,
    );
}

/// Connects to the benchmark database, creating it if it does not exist.
fn bench_postgres(c: &mut Criterion) {
    let Some((mut admin, mut conn, url)) = pg_bench_migrated(PG_SCHEMA) else {
        return;
    };
    assert_same_sql(
        PgConnection::establish(&url).expect("connect to PostgreSQL"),
        Backend::Postgres,
        pg_diesel::load_nested,
    );
    suite(
        c,
        "postgres",
        Backend::Postgres,
        &mut conn,
        pg_diesel::load_nested,
    );
    drop(conn);

    admin
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        .expect("drop the benchmark schema");
}

criterion_group! {
    name = benches;
    config = Criterion::default();
    targets = bench_sqlite, bench_postgres
}
criterion_main!(benches);
