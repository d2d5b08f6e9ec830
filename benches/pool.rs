//! The pool's health check: what `test_on_check_out` costs per checkout.
//!
//! Each iteration checks a connection out, runs `SELECT 1` on the concrete
//! diesel connection and returns it. Four sides per backend, in one run:
//!
//! * `glowplug_checked` / `glowplug_unchecked`: `Database::get` with the
//!   health check on (the default) and off;
//! * `diesel_checked` / `diesel_unchecked`: a hand-written
//!   `diesel::r2d2::Pool<ConnectionManager<_>>` with r2d2's
//!   `test_on_check_out` on and off.
//!
//! A second group, `{backend}/startup_first_query`, is what a short program
//! pays: `Database::connect`, one checkout and `SELECT 1`, then the pool
//! dropped (glowplug closes its connections then), against diesel's
//! `establish` and the same query on that connection (on SQLite also with
//! the pragmas glowplug sets, `diesel_same_settings`).
//!
//! SQLite runs on a temporary file; PostgreSQL on the database named by
//! `PG_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/glowplug_test`),
//! skipped with a line on stdout when no server answers.
//!
//! Run with `cargo bench --bench pool`; results are in BENCHMARKS.md.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, Pool, R2D2Connection};
use glowplug::BackendConnection;
use glowplug::prelude::*;

#[path = "../tests/common/setup.rs"]
#[allow(dead_code)]
mod setup;

fn select_one<C: Connection<Backend = B> + diesel::connection::LoadConnection, B>(
    conn: &mut C,
) -> i32
where
    B: diesel::backend::Backend + diesel::sql_types::HasSqlType<diesel::sql_types::Integer>,
    i32: diesel::deserialize::FromSql<diesel::sql_types::Integer, B>,
    diesel::dsl::select<diesel::dsl::AsExprOf<i32, diesel::sql_types::Integer>>:
        diesel::query_dsl::LoadQuery<'static, C, i32>,
{
    diesel::select(1.into_sql::<diesel::sql_types::Integer>())
        .get_result(conn)
        .expect("SELECT 1")
}

/// A checkout from glowplug's pool and `SELECT 1` on the concrete connection.
fn glowplug_round(db: &Database) -> i32 {
    let mut conn = db.get().expect("checkout");
    match conn.backend_connection() {
        BackendConnection::Sqlite(c) => select_one(c),
        BackendConnection::Postgres(c) => select_one(c),
        _ => unreachable!(),
    }
}

fn diesel_pool<C: R2D2Connection + 'static>(
    url: &str,
    checked: bool,
) -> Pool<ConnectionManager<C>> {
    Pool::builder()
        .max_size(1)
        .test_on_check_out(checked)
        .build(ConnectionManager::<C>::new(url))
        .expect("a diesel pool")
}

fn glowplug_pool(url: &str, checked: bool) -> Database {
    Database::builder(url)
        .max_size(1)
        .test_on_check_out(checked)
        .build()
        .expect("a glowplug pool")
}

macro_rules! sides {
    ($c:expr, $backend:literal, $url:expr, $conn:ty) => {{
        let mut group = $c.benchmark_group(concat!($backend, "/checkout_select_1"));
        for checked in [true, false] {
            let word = if checked { "checked" } else { "unchecked" };
            let db = glowplug_pool($url, checked);
            group.bench_function(format!("glowplug_{word}"), |b| {
                b.iter(|| black_box(glowplug_round(&db)))
            });
            let pool = diesel_pool::<$conn>($url, checked);
            group.bench_function(format!("diesel_{word}"), |b| {
                b.iter(|| black_box(select_one(&mut *pool.get().expect("checkout"))))
            });
        }
        group.finish();
    }};
}

macro_rules! startup {
    ($c:expr, $backend:literal, $url:expr, $conn:ty, $setup:expr) => {{
        let mut group = $c.benchmark_group(concat!($backend, "/startup_first_query"));
        group.bench_function("glowplug", |b| {
            b.iter(|| {
                let db = Database::connect($url).expect("a pool");
                black_box(glowplug_round(&db))
            })
        });
        group.bench_function("diesel", |b| {
            b.iter(|| {
                black_box(select_one(
                    &mut <$conn>::establish($url).expect("a connection"),
                ))
            })
        });
        if let Some(pragmas) = $setup {
            // What glowplug sets on a new SQLite connection, by hand.
            group.bench_function("diesel_same_settings", |b| {
                b.iter(|| {
                    let mut conn = <$conn>::establish($url).expect("a connection");
                    conn.batch_execute(pragmas).expect("pragmas");
                    black_box(select_one(&mut conn))
                })
            });
        }
        group.finish();
    }};
}

fn sqlite(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("bench.db");
    let url = path.display().to_string();
    // Create the file (and WAL mode) once, through glowplug.
    drop(glowplug_pool(&url, true));
    sides!(c, "sqlite", &url, diesel::SqliteConnection);
    startup!(
        c,
        "sqlite",
        &url,
        diesel::SqliteConnection,
        Some(
            "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
             PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
        )
    );
}

fn postgres(c: &mut Criterion) {
    let url = setup::pg_base_url();
    if let Err(e) = setup::pg_admin_connection(&url) {
        println!(
            "SKIP postgres benchmarks: PostgreSQL unreachable at {} ({e})",
            glowplug::redact_url(&url)
        );
        return;
    }
    sides!(c, "postgres", &url, diesel::PgConnection);
    startup!(c, "postgres", &url, diesel::PgConnection, None::<&str>);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(40);
    targets = sqlite, postgres
}
criterion_main!(benches);
