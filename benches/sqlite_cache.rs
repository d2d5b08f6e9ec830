//! SQLite page cache benchmarks: `SELECT COUNT(*)` (a scan of the table:
//! it has no index narrower than its rows) and a lookup by key on a table
//! of about 40 MB in a file database, on a pooled connection with
//! a 64 MiB page cache (`sqlite_cache_size`), with
//! SQLite's own default (2 MiB, through `sqlite_cache_size`), and with
//! hand-written diesel on a plain `SqliteConnection` (SQLite's default), in
//! the same run.
//!
//! The data: 40 000 samples with a 1 000-character `body`, written once with
//! `INSERT … SELECT` into a temporary file, then checkpointed out of the WAL
//! (not measured). Each side uses one connection for all its iterations, so
//! what it has cached stays cached; a scan of a table larger than the cache
//! reads it from the file again (the operating system's cache, here) every
//! time.
//!
//! Benchmark ids read `sqlite_cache/<count|find>/<glowplug_64MiB|glowplug_2MiB|diesel_default>`.
//! Run with `cargo bench --bench sqlite_cache`; results are in BENCHMARKS.md.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use glowplug::prelude::*;

#[allow(dead_code)]
#[path = "../tests/common/models.rs"]
mod models;

use models::{Sample, samples};

#[allow(dead_code)]
#[path = "../tests/common/setup.rs"]
mod setup;

const ROWS: u64 = 40_000;

/// `ROWS` samples of about 1 KB each, out of the WAL into the database file.
fn seed(conn: &mut impl SimpleConnection) {
    conn.batch_execute(&format!(
        "WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {ROWS})
         INSERT INTO samples (id, small, int32, int64, real32, real64, flag, body, note, code,
                              at, day, clock, bytes, doc, rank)
             SELECT g, g % 100, g, g, 0.5, 0.25, 1, printf('%.1000c', 'x'), NULL, 'c' || (g % 1000),
                    '2026-11-21 12:00:00', '2026-11-21', '12:00:00', x'00', '{{}}', 7
             FROM s;
         PRAGMA wal_checkpoint(TRUNCATE);"
    ))
    .expect("seed users");
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = dir.path().join("cache.db").display().to_string();
    {
        let seeding = Database::builder(&url).build().expect("open the database");
        let mut conn = seeding.get().expect("a connection");
        glowplug::Migrator::new(&mut *conn, setup::MIGRATIONS)
            .run()
            .expect("migrate");
        seed(&mut *conn);
    }
    let db = Database::builder(&url)
        .sqlite_cache_size(64 << 20)
        .build()
        .expect("open with 64 MiB");
    let size = std::fs::metadata(&url).expect("the database file").len();
    println!(
        "sqlite_cache: {ROWS} rows, database file {:.1} MB",
        size as f64 / 1e6
    );

    let small = Database::builder(&url)
        .sqlite_cache_size(2 << 20)
        .build()
        .expect("open with 2 MiB");
    let mut ours = db.get().expect("a connection");
    let mut two = small.get().expect("a connection");
    let mut plain = SqliteConnection::establish(&url).expect("a plain connection");
    for n in [
        Sample::count(&mut ours).expect("count"),
        Sample::count(&mut two).expect("count"),
        samples::table
            .count()
            .get_result(&mut plain)
            .expect("count"),
    ] {
        assert_eq!(n, ROWS as i64);
    }

    let mut group = c.benchmark_group("sqlite_cache/count");
    group.bench_function("glowplug_64MiB", |b| {
        b.iter(|| black_box(Sample::count(&mut ours).expect("count")))
    });
    group.bench_function("glowplug_2MiB", |b| {
        b.iter(|| black_box(Sample::count(&mut two).expect("count")))
    });
    group.bench_function("diesel_default", |b| {
        b.iter(|| {
            black_box(
                samples::table
                    .count()
                    .get_result::<i64>(&mut plain)
                    .expect("count"),
            )
        })
    });
    group.finish();

    let id = (ROWS / 2) as i64;
    let mut group = c.benchmark_group("sqlite_cache/find");
    group.bench_function("glowplug_64MiB", |b| {
        b.iter(|| black_box(Sample::find(&mut ours, id).expect("find")))
    });
    group.bench_function("glowplug_2MiB", |b| {
        b.iter(|| black_box(Sample::find(&mut two, id).expect("find")))
    });
    group.bench_function("diesel_default", |b| {
        b.iter(|| {
            black_box(
                Sample::query()
                    .find(id)
                    .first::<Sample>(&mut plain)
                    .expect("find"),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
