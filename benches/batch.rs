//! Batch-insert benchmarks: the same rows inserted into an empty `users`
//! table by glowplug and by hand-written diesel, on the same connection in
//! the same run.
//!
//! The rows, for N in [`SIZES`]: N [`NewUser`]s with distinct usernames and
//! emails, a bio on every other row and the `active` default, stamped with
//! `created_at`/`updated_at`: six columns written per row. The diesel sides
//! insert [`DNewUser`], the struct a diesel user writes for these columns
//! (`#[derive(Insertable)]` with `treat_none_as_default_value = false`), with
//! the same values and the same timestamps.
//!
//! Two tables: `<backend>/insert` is the project's `users` (unique indexes
//! on `username` and `email`, which every side maintains), and
//! `<backend>/insert_no_index` the same columns with no index but the
//! primary key (without `diesel_per_row` on PostgreSQL, 12 s an iteration).
//!
//! Sides (benchmark ids read `<backend>/<table>/<side>/<N>`):
//!
//! * `glowplug`: `User::insert_batch(&mut conn, &rows)` — cached 256-row
//!   statements on SQLite, `COPY` on PostgreSQL (N is above the threshold);
//! * `glowplug_insert` (PostgreSQL): `User::batch().copy(CopyMode::Never)`,
//!   the INSERT path;
//! * `diesel_multi_row`: `insert_into(users).values(chunk)` for chunks of
//!   ⌊parameter limit / 6⌋ rows in one transaction, which is what a diesel
//!   user must write (one `Vec` insert of 100 000 rows exceeds both limits);
//! * `diesel_per_row`: one `insert_into(users).values(row)` per row in one
//!   transaction;
//! * `diesel_copy` (PostgreSQL): `copy_from(users).from_insertable(&rows)`;
//! * `raw_copy` (PostgreSQL): binary `COPY` with the rows encoded by hand
//!   into PostgreSQL's binary format (`from_raw_data`): the limit reference;
//! * `rusqlite` (SQLite, feature `bench-reference`): one prepared statement
//!   executed per row in one transaction with rusqlite, the limit reference.
//!   rusqlite is an optional dependency so that it does not slow
//!   `cargo test`.
//!
//! Each iteration empties the table first (`DELETE`/`TRUNCATE`, not
//! timed), then times the insert. Before the timed runs each side inserts
//! once and the stored rows are checked to be the same.
//!
//! `pg/copy_vs_insert/{insert,copy}/N` times glowplug's two PostgreSQL
//! paths at small N, to place [`glowplug::batch::COPY_THRESHOLD`].
//!
//! SQLite runs in memory; PostgreSQL in the schema `glowplug_bench_batch` of
//! `PG_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/glowplug_test`;
//! skipped with a line on stdout when no server answers).
//!
//! Run with `cargo bench --bench batch --features bench-reference`
//! (`-- --test` runs each benchmark once, as a smoke test); results are in
//! BENCHMARKS.md.

use std::io::Write;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use diesel::connection::SimpleConnection;
use diesel::pg::CopyFormat;
use diesel::prelude::*;
use glowplug::CopyMode;
use glowplug::prelude::*;

#[allow(dead_code)]
#[path = "../tests/common/models.rs"]
mod models;

use models::{NewUser, User, users};

#[allow(dead_code)]
#[path = "../tests/common/setup.rs"]
mod setup;

use setup::{pg_bench_migrated, pg_bench_schema};

#[path = "support/rows.rs"]
mod rows;

use rows::{DNewUser, PG_PLAIN_DDL, diesel_users, new_users, timed};
const PG_SCHEMA: &str = "glowplug_bench_batch";

/// Rows per batch.
const SIZES: &[usize] = &[10_000, 100_000];

/// Hand-written diesel for one connection type.
macro_rules! hand_written {
    ($module:ident, $conn:ty, $limit:expr) => {
        mod $module {
            use super::*;

            pub fn multi_row(conn: &mut $conn, rows: &[DNewUser]) -> QueryResult<usize> {
                conn.transaction(|conn| {
                    let mut n = 0;
                    for chunk in rows.chunks($limit / 6) {
                        n += diesel::insert_into(users::table)
                            .values(chunk)
                            .execute(conn)?;
                    }
                    Ok(n)
                })
            }

            pub fn per_row(conn: &mut $conn, rows: &[DNewUser]) -> QueryResult<usize> {
                conn.transaction(|conn| {
                    let mut n = 0;
                    for row in rows {
                        n += diesel::insert_into(users::table)
                            .values(row)
                            .execute(conn)?;
                    }
                    Ok(n)
                })
            }
        }
    };
}

hand_written!(sqlite_diesel, SqliteConnection, 32_766);
hand_written!(pg_diesel, PgConnection, 65_535);

fn diesel_copy(conn: &mut PgConnection, rows: &[DNewUser]) -> QueryResult<usize> {
    diesel::copy_from(users::table)
        .from_insertable(rows)
        .execute(conn)
}

/// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01).
const PG_EPOCH_OFFSET_MICROS: i64 = 946_684_800_000_000;

/// Binary `COPY` with the rows encoded by hand: the limit reference.
fn raw_copy(conn: &mut PgConnection, rows: &[DNewUser]) -> QueryResult<usize> {
    let target = (
        users::username,
        users::email,
        users::bio,
        users::active,
        users::created_at,
        users::updated_at,
    );
    diesel::copy_from(users::table)
        .from_raw_data(target, |out: &mut dyn Write| {
            let mut buf = Vec::with_capacity(rows.len() * 96 + 32);
            buf.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
            buf.extend_from_slice(&0i32.to_be_bytes()); // flags
            buf.extend_from_slice(&0i32.to_be_bytes()); // header extension
            let text = |buf: &mut Vec<u8>, s: &str| {
                buf.extend_from_slice(&(s.len() as i32).to_be_bytes());
                buf.extend_from_slice(s.as_bytes());
            };
            for row in rows {
                buf.extend_from_slice(&6i16.to_be_bytes());
                text(&mut buf, &row.username);
                text(&mut buf, &row.email);
                match &row.bio {
                    Some(bio) => text(&mut buf, bio),
                    None => buf.extend_from_slice(&(-1i32).to_be_bytes()),
                }
                buf.extend_from_slice(&1i32.to_be_bytes());
                buf.push(u8::from(row.active));
                for ts in [row.created_at, row.updated_at] {
                    let micros = ts.and_utc().timestamp_micros() - PG_EPOCH_OFFSET_MICROS;
                    buf.extend_from_slice(&8i32.to_be_bytes());
                    buf.extend_from_slice(&micros.to_be_bytes());
                }
            }
            buf.extend_from_slice(&(-1i16).to_be_bytes());
            out.write_all(&buf)
                .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
        })
        .with_format(CopyFormat::Binary)
        .execute(conn)
}

#[cfg(feature = "bench-reference")]
mod reference {
    use super::{DNewUser, StoredRow};

    /// An in-memory rusqlite database with `table`'s `users`.
    pub fn open(table: super::Table) -> rusqlite::Connection {
        let conn = rusqlite::Connection::open_in_memory().expect("open SQLite");
        conn.execute_batch(table.sqlite_ddl())
            .expect("create users");
        conn
    }

    /// Inserts `n` rows into a fresh database and returns what it stored.
    pub fn stored_after_insert(table: super::Table, n: usize) -> Vec<StoredRow> {
        let mut raw = open(table);
        let rows = super::diesel_users(&super::new_users(n));
        assert_eq!(insert(&mut raw, &rows), n);
        stored(&raw)
    }

    /// One prepared statement executed per row, in one transaction.
    pub fn insert(conn: &mut rusqlite::Connection, rows: &[DNewUser]) -> usize {
        let tx = conn.transaction().expect("BEGIN");
        let mut n = 0;
        {
            let mut stmt = tx
                .prepare(
                    "INSERT INTO users (username, email, bio, active, created_at, updated_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .expect("prepare");
            for r in rows {
                n += stmt
                    .execute(rusqlite::params![
                        r.username,
                        r.email,
                        r.bio,
                        r.active,
                        r.created_at,
                        r.updated_at
                    ])
                    .expect("insert");
            }
        }
        tx.commit().expect("COMMIT");
        n
    }

    /// The stored rows' usernames, emails, bios and flags, by id.
    pub fn stored(conn: &rusqlite::Connection) -> Vec<StoredRow> {
        let mut stmt = conn
            .prepare("SELECT username, email, bio, active FROM users ORDER BY id")
            .expect("prepare");
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    }
}

/// The stored rows as comparable values, by id.
fn stored<C: DbConnection>(conn: &mut C) -> Vec<StoredRow> {
    let users = User::fetch(conn, User::query().order(users::id)).expect("load the stored users");
    users
        .into_iter()
        .map(|u| (u.username, u.email, u.bio, u.active))
        .collect()
}

fn settings<M: criterion::measurement::Measurement>(
    group: &mut criterion::BenchmarkGroup<'_, M>,
    n: usize,
) {
    group
        .sample_size(if n >= 100_000 { 10 } else { 20 })
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(if n >= 100_000 { 8 } else { 4 }))
        .sampling_mode(SamplingMode::Flat);
}

/// A stored row's username, email, bio and flag.
type StoredRow = (String, String, Option<String>, bool);

/// A side: its name and how it inserts `rows` on `C`.
type Side<'a, C> = (&'a str, Box<dyn FnMut(&mut C) -> usize + 'a>);

/// The `users` table a suite inserts into.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Table {
    /// The project's migration: unique indexes on `username` and `email`.
    Indexed,
    /// The same columns with no index but the primary key.
    Plain,
}

impl Table {
    /// The benchmark group's name on `backend`.
    fn group(self, backend: &str) -> String {
        match self {
            Table::Indexed => format!("{backend}/insert"),
            Table::Plain => format!("{backend}/insert_no_index"),
        }
    }

    /// The SQLite DDL of the table.
    fn sqlite_ddl(self) -> &'static str {
        match self {
            Table::Indexed => {
                include_str!("../migrations/sqlite/2026-11-20-000001_create_users_and_posts/up.sql")
            }
            Table::Plain => {
                "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, username VARCHAR(50) NOT NULL, \
                 email VARCHAR NOT NULL, bio TEXT, active BOOLEAN NOT NULL DEFAULT 1, \
                 created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL)"
            }
        }
    }
}

/// Runs every side once, checks they store the same rows, then benches
/// them. `skip` names sides left out of the timed runs.
fn suite<C: DbConnection + SimpleConnection>(
    c: &mut Criterion,
    backend: &str,
    table: Table,
    conn: &mut C,
    reset: &str,
    sides: impl for<'a> Fn(&'a [NewUser], &'a [DNewUser]) -> Vec<Side<'a, C>>,
    skip: &[&str],
) {
    let mut group = c.benchmark_group(table.group(backend));
    for &n in SIZES {
        let rows = new_users(n);
        let drows = diesel_users(&rows);
        let mut sides = sides(&rows, &drows);
        sides.retain(|(side, _)| !skip.contains(side));
        conn.batch_execute(reset).expect("empty the table");
        let expected = {
            let (_, run) = &mut sides[0];
            assert_eq!(run(conn), n);
            stored(conn)
        };
        assert_eq!(expected.len(), n);
        assert!(expected[1].2.is_none() && expected[0].2.is_some() && expected[0].3);
        for (side, run) in &mut sides[1..] {
            conn.batch_execute(reset).expect("empty the table");
            assert_eq!(run(conn), n, "{side} inserts every row");
            assert!(stored(conn) == expected, "{side} stores the same rows");
        }
        settings(&mut group, n);
        for (side, run) in &mut sides {
            group.bench_function(BenchmarkId::new(*side, n), |b| {
                b.iter_custom(|iters| timed(conn, iters, reset, &mut *run))
            });
        }
        #[cfg(feature = "bench-reference")]
        if backend == "sqlite" {
            assert!(
                reference::stored_after_insert(table, n) == expected,
                "rusqlite stores the same rows"
            );
            let mut raw = reference::open(table);
            group.bench_function(BenchmarkId::new("rusqlite", n), |b| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        raw.execute_batch("DELETE FROM users")
                            .expect("empty the table");
                        let start = std::time::Instant::now();
                        std::hint::black_box(reference::insert(&mut raw, &drows));
                        total += start.elapsed();
                    }
                    total
                })
            });
        }
    }
    group.finish();
}

/// The SQLite sides.
fn sqlite_sides<'a>(rows: &'a [NewUser], drows: &'a [DNewUser]) -> Vec<Side<'a, SqliteConnection>> {
    vec![
        (
            "glowplug",
            Box::new(move |c: &mut SqliteConnection| {
                User::insert_batch(c, rows).expect("glowplug batch")
            }),
        ),
        (
            "diesel_multi_row",
            Box::new(move |c: &mut SqliteConnection| {
                sqlite_diesel::multi_row(c, drows).expect("diesel multi-row")
            }),
        ),
        (
            "diesel_per_row",
            Box::new(move |c: &mut SqliteConnection| {
                sqlite_diesel::per_row(c, drows).expect("diesel per row")
            }),
        ),
    ]
}

fn sqlite(c: &mut Criterion) {
    for table in [Table::Indexed, Table::Plain] {
        let mut conn = SqliteConnection::establish(":memory:").expect("open SQLite");
        conn.batch_execute(table.sqlite_ddl())
            .expect("create users");
        suite(
            c,
            "sqlite",
            table,
            &mut conn,
            "DELETE FROM users",
            sqlite_sides,
            &[],
        );
    }
}

/// The PostgreSQL sides.
fn pg_sides<'a>(rows: &'a [NewUser], drows: &'a [DNewUser]) -> Vec<Side<'a, PgConnection>> {
    vec![
        (
            "glowplug",
            Box::new(move |c: &mut PgConnection| {
                User::insert_batch(c, rows).expect("glowplug batch")
            }),
        ),
        (
            "glowplug_insert",
            Box::new(move |c: &mut PgConnection| {
                User::batch()
                    .copy(CopyMode::Never)
                    .insert(c, rows)
                    .expect("glowplug INSERT batch")
            }),
        ),
        (
            "diesel_multi_row",
            Box::new(move |c: &mut PgConnection| {
                pg_diesel::multi_row(c, drows).expect("diesel multi-row")
            }),
        ),
        (
            "diesel_per_row",
            Box::new(move |c: &mut PgConnection| {
                pg_diesel::per_row(c, drows).expect("diesel per row")
            }),
        ),
        (
            "diesel_copy",
            Box::new(move |c: &mut PgConnection| diesel_copy(c, drows).expect("diesel COPY")),
        ),
        (
            "raw_copy",
            Box::new(move |c: &mut PgConnection| raw_copy(c, drows).expect("raw COPY")),
        ),
    ]
}

fn postgres(c: &mut Criterion) {
    let Some((_admin, mut conn, _url)) = pg_bench_migrated(PG_SCHEMA) else {
        return;
    };
    let reset = "TRUNCATE users RESTART IDENTITY CASCADE";
    suite(c, "pg", Table::Indexed, &mut conn, reset, pg_sides, &[]);

    // The same without secondary indexes, in a second schema; one INSERT
    // per row is left out there (12 s an iteration at 100 000 rows).
    let Some((_admin, plain_url)) = pg_bench_schema(&format!("{PG_SCHEMA}_plain")) else {
        return;
    };
    let mut plain = PgConnection::establish(&plain_url).expect("connect to PostgreSQL");
    plain.batch_execute(PG_PLAIN_DDL).expect("create users");
    suite(
        c,
        "pg",
        Table::Plain,
        &mut plain,
        reset,
        pg_sides,
        &["diesel_per_row"],
    );

    // Where COPY starts to pay: glowplug's two paths at small sizes.
    let mut group = c.benchmark_group("pg/copy_vs_insert");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for n in [100, 300, 1_000, 3_000] {
        let rows = new_users(n);
        for (side, mode) in [("insert", CopyMode::Never), ("copy", CopyMode::Always)] {
            group.bench_function(BenchmarkId::new(side, n), |b| {
                b.iter_custom(|iters| {
                    timed(&mut conn, iters, reset, |c| {
                        User::batch().copy(mode).insert(c, &rows).expect("batch")
                    })
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, sqlite, postgres);
criterion_main!(benches);
