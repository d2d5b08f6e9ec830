//! Query methods and any diesel query on the pool, against the same query
//! hand-written in diesel on a concrete connection, in one run.
//!
//! Sides, per backend:
//!
//! * `join/<N>`: `(User, Option<Post>)` rows of `users LEFT JOIN posts`,
//!   `LIMIT N`, for N = 1 and 10 000: `glowplug` runs it with
//!   [`RunDsl::fetch_all`] on a pooled connection (`Database::get`),
//!   `diesel` with `load` on a plain `SqliteConnection`/`PgConnection`, and
//!   `diesel_any` with `load` on the pooled `AnyConnection` (diesel's
//!   multi-backend layer, what issue 17 measured at 2.1×);
//! * `find_by`: `User::find_by(conn, users::username.eq(&name))` against
//!   `users.filter(..).select(cols).first(conn)`;
//! * `count`: `User::filter(users::active.eq(true)).count(conn)` against
//!   `users.filter(..).count().get_result(conn)`;
//! * `first`: `User::filter(..).order(users::username.asc()).first(conn)`
//!   against `.order(..).first(conn)`;
//! * `update_all`: `User::filter(users::id.eq(id)).update_all(conn, users::bio.eq(..))`
//!   (which bumps `updated_at`) against `update(users.filter(..)).set((bio, updated_at))`.
//!
//! The glowplug side always runs on the pool's connection, the diesel side
//! on a concrete connection to the same database: the figure is what the
//! pool costs on top of hand-written diesel. Data: 10 000 users, each with
//! one post. SQLite runs on a temporary file; PostgreSQL in the schema
//! `glowplug_bench_queries` of the database named by `PG_DATABASE_URL`
//! (skipped with a line on stdout when no server answers).
//!
//! Run with `cargo bench --bench queries`; results are in BENCHMARKS.md.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use glowplug::prelude::*;

#[allow(dead_code)]
#[path = "../tests/common/models.rs"]
mod models;

use models::{Post, User, posts, users};

#[path = "../tests/common/setup.rs"]
#[allow(dead_code)]
mod setup;

use setup::{MIGRATIONS, pg_bench_schema};

const ROWS: i64 = 10_000;

/// 10 000 users, one post each, written with `INSERT … SELECT` (not measured).
fn seed(conn: &mut impl SimpleConnection, series: &str) {
    conn.batch_execute(&format!(
        "INSERT INTO users (username, email, active, created_at, updated_at) \
         SELECT 'user' || n, 'user' || n || '@x.io', n % 2 = 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM {series}; \
         INSERT INTO posts (author_id, title, body, published, created_at, updated_at) \
         SELECT id, 'post', '', false, created_at, updated_at FROM users;"
    ))
    .expect("seed");
}

macro_rules! sides {
    ($c:ident, $backend:literal, $db:ident, $conn:ident) => {{
        let mut pooled = $db.get().expect("a pooled connection");
        let pooled = &mut pooled;
        let conn = &mut $conn;
        let mut group = $c.benchmark_group(concat!($backend, "/queries"));
        for n in [1_i64, ROWS] {
            let join = || {
                users::table
                    .left_join(posts::table)
                    .select((users::all_columns, posts::all_columns.nullable()))
                    .order(users::id)
                    .limit(n)
            };
            let a: Vec<(User, Option<Post>)> = join().fetch_all(pooled).expect("glowplug");
            let b: Vec<(User, Option<Post>)> = join().load(conn).expect("diesel");
            assert_eq!((a.len() as i64, &a), (n, &b), "same rows");
            group.bench_function(BenchmarkId::new("join/glowplug", n), |bench| {
                bench.iter(|| {
                    black_box(join().fetch_all::<(User, Option<Post>), _>(pooled).unwrap())
                })
            });
            group.bench_function(BenchmarkId::new("join/diesel", n), |bench| {
                bench.iter(|| black_box(join().load::<(User, Option<Post>)>(conn).unwrap()))
            });
            group.bench_function(BenchmarkId::new("join/diesel_any", n), |bench| {
                bench
                    .iter(|| black_box(join().load::<(User, Option<Post>)>(&mut **pooled).unwrap()))
            });
        }

        let name = String::from("user5000");
        group.bench_function("find_by/glowplug", |bench| {
            bench.iter(|| black_box(User::find_by(pooled, users::username.eq(&name)).unwrap()))
        });
        group.bench_function("find_by/diesel", |bench| {
            bench.iter(|| {
                let q = users::table
                    .filter(users::username.eq(&name))
                    .select(users::all_columns);
                black_box(q.first::<User>(conn).unwrap())
            })
        });

        group.bench_function("count/glowplug", |bench| {
            bench.iter(|| black_box(User::filter(users::active.eq(true)).count(pooled).unwrap()))
        });
        group.bench_function("count/diesel", |bench| {
            bench.iter(|| {
                let q = users::table.filter(users::active.eq(true)).count();
                black_box(q.get_result::<i64>(conn).unwrap())
            })
        });

        group.bench_function("first/glowplug", |bench| {
            bench.iter(|| {
                let scope = User::filter(users::active.eq(true)).order(users::username.asc());
                black_box(scope.first(pooled).unwrap())
            })
        });
        group.bench_function("first/diesel", |bench| {
            bench.iter(|| {
                let q = users::table
                    .filter(users::active.eq(true))
                    .order(users::username.asc())
                    .select(users::all_columns);
                black_box(q.first::<User>(conn).optional().unwrap())
            })
        });

        let id = 5000_i64;
        group.bench_function("update_all/glowplug", |bench| {
            bench.iter(|| {
                let scope = User::filter(users::id.eq(id));
                black_box(scope.update_all(pooled, users::bio.eq("x")).unwrap())
            })
        });
        group.bench_function("update_all/diesel", |bench| {
            bench.iter(|| {
                let now = glowplug::__private::Stamp(glowplug::__private::now());
                let q = diesel::update(users::table.filter(users::id.eq(id)))
                    .set((users::bio.eq("x"), users::updated_at.eq(now)));
                black_box(q.execute(conn).unwrap())
            })
        });
        group.finish();
    }};
}

fn sqlite(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let db = Database::connect(&url).expect("a pool");
    db.run_pending_migrations(MIGRATIONS).expect("migrate");
    let mut concrete =
        SqliteConnection::establish(&dir.path().join("bench.db").display().to_string())
            .expect("a SQLite connection");
    // The settings glowplug's pool gives its connections, so writes compare like for like.
    concrete
        .batch_execute(
            "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
        )
        .expect("pragmas");
    seed(
        &mut concrete,
        "(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 10000) SELECT n FROM s)",
    );
    sides!(c, "sqlite", db, concrete);
}

fn postgres(c: &mut Criterion) {
    let Some((_admin, url)) = pg_bench_schema("glowplug_bench_queries") else {
        return;
    };
    let db = Database::connect(&url).expect("a pool");
    db.run_pending_migrations(MIGRATIONS).expect("migrate");
    let mut concrete = PgConnection::establish(&url).expect("a PostgreSQL connection");
    seed(&mut concrete, "generate_series(1, 10000) AS s(n)");
    sides!(c, "postgres", db, concrete);
}

criterion_group! {
    name = benches;
    config = Criterion::default();
    targets = sqlite, postgres
}
criterion_main!(benches);
