//! Small batches: `User::insert_batch` of 1, 10 and 100 rows against
//! hand-written diesel's fixed-size array insert (`insert_into(users)
//! .values(&[row; N])`, whose prepared statement diesel caches), on the
//! same connection in the same run.
//!
//! Benchmark ids read `<backend>/small_batch/<side>/<N>`:
//!
//! * `glowplug`: `User::insert_batch(&mut conn, &rows)`: one cached
//!   statement up to 16 rows, 64 + 32 + 4 rows in one transaction at 100 on
//!   SQLite, `COPY` at 100 on PostgreSQL;
//! * `glowplug_insert` (PostgreSQL, 100 rows): the INSERT path
//!   (`CopyMode::Never`);
//! * `diesel_array`: one fixed-size array insert of all N rows, no
//!   transaction (one statement is atomic).
//!
//! Each iteration empties the table first (not timed). SQLite runs in
//! memory (the project's `users`); PostgreSQL in the schema
//! `glowplug_bench_small_batch` of `PG_DATABASE_URL`, on the same columns
//! without unique indexes (see `postgres`), with `synchronous_commit = off`
//! so that the figures are the statements' cost, not the disk's flush.
//!
//! Run with `cargo bench --bench small_batch`; results are in BENCHMARKS.md.

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use diesel::connection::SimpleConnection;
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

use setup::{MIGRATIONS, pg_bench_schema};

#[path = "support/rows.rs"]
mod rows;

use rows::{DNewUser, PG_PLAIN_DDL, diesel_users, new_users, timed};

/// Hand-written diesel's fixed-size array insert on one connection type.
macro_rules! diesel_array {
    ($name:ident, $conn:ty) => {
        /// One fixed-size array insert of `rows` (exactly `N` of them).
        fn $name<const N: usize>(conn: &mut $conn, rows: &[DNewUser]) -> usize {
            let rows = <&[DNewUser; N]>::try_from(rows).expect("N rows");
            diesel::insert_into(users::table)
                .values(rows)
                .execute(conn)
                .expect("diesel array insert")
        }
    };
}

diesel_array!(sqlite_array, SqliteConnection);
diesel_array!(pg_array, PgConnection);

/// A side: its name and how it inserts the rows.
type Side<'a, C> = (&'a str, Box<dyn FnMut(&mut C) -> usize + 'a>);

fn bench<C: SimpleConnection>(
    c: &mut Criterion,
    backend: &str,
    conn: &mut C,
    reset: &str,
    vacuum: Option<&str>,
    sides: impl for<'a> Fn(usize, &'a [NewUser], &'a [DNewUser]) -> Vec<Side<'a, C>>,
) {
    let mut group = c.benchmark_group(format!("{backend}/small_batch"));
    group
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sampling_mode(SamplingMode::Flat);
    for n in [1, 10, 100] {
        let rows = new_users(n);
        let drows = diesel_users(&rows);
        for (side, mut run) in sides(n, &rows, &drows) {
            // Every side starts from the same table: emptied and vacuumed, so
            // the dead rows of the side before it neither slow it nor leave it
            // free space to reuse (measured: without this, whichever side ran
            // first at 10 rows on PostgreSQL was up to 1.25x slower).
            conn.batch_execute(reset).expect("empty the table");
            if let Some(vacuum) = vacuum {
                conn.batch_execute(vacuum).expect("vacuum the table");
            }
            assert_eq!(run(conn), n, "{side} inserts every row");
            group.bench_function(BenchmarkId::new(side, n), |b| {
                b.iter_custom(|iters| timed(conn, iters, reset, &mut run))
            });
        }
    }
    group.finish();
}

/// glowplug's side(s) and diesel's array insert (`array`) of `n` rows on `C`.
fn sides<'a, C>(
    n: usize,
    rows: &'a [NewUser],
    drows: &'a [DNewUser],
    arrays: [fn(&mut C, &[DNewUser]) -> usize; 3],
    pg: bool,
) -> Vec<Side<'a, C>>
where
    C: DbConnection + 'a,
{
    let array = match n {
        1 => arrays[0],
        10 => arrays[1],
        _ => arrays[2],
    };
    let mut sides: Vec<Side<'a, C>> = vec![
        (
            "glowplug",
            Box::new(move |c: &mut C| User::insert_batch(c, rows).expect("glowplug batch")),
        ),
        ("diesel_array", Box::new(move |c: &mut C| array(c, drows))),
    ];
    if pg && n >= glowplug::batch::COPY_THRESHOLD {
        sides.push((
            "glowplug_insert",
            Box::new(move |c: &mut C| {
                User::batch()
                    .copy(CopyMode::Never)
                    .insert(c, rows)
                    .expect("glowplug INSERT batch")
            }),
        ));
    }
    sides
}

fn sqlite(c: &mut Criterion) {
    let mut conn = SqliteConnection::establish(":memory:").expect("open SQLite");
    glowplug::Migrator::new(&mut conn, MIGRATIONS)
        .run()
        .expect("migrate SQLite");
    bench(
        c,
        "sqlite",
        &mut conn,
        "DELETE FROM users",
        None,
        |n, r, d| {
            sides(
                n,
                r,
                d,
                [sqlite_array::<1>, sqlite_array::<10>, sqlite_array::<100>],
                false,
            )
        },
    );
}

fn postgres(c: &mut Criterion) {
    let Some((_admin, url)) = pg_bench_schema("glowplug_bench_small_batch") else {
        return;
    };
    let mut conn = PgConnection::establish(&url).expect("connect to PostgreSQL");
    // Without waiting for the WAL flush: a commit's fsync would dominate
    // (and add the disk's noise to) every figure here.
    conn.batch_execute("SET synchronous_commit = off")
        .expect("set synchronous_commit");
    // The table without unique indexes, emptied with DELETE: a TRUNCATE per
    // iteration would invalidate both sides' prepared statements (and cost
    // more than the inserts), and with DELETE a unique index would collect
    // dead entries for the same keys, slowing whichever side runs later.
    conn.batch_execute(PG_PLAIN_DDL).expect("create users");
    let reset = "DELETE FROM users";
    bench(
        c,
        "pg",
        &mut conn,
        reset,
        Some("VACUUM users"),
        |n, r, d| {
            sides(
                n,
                r,
                d,
                [pg_array::<1>, pg_array::<10>, pg_array::<100>],
                true,
            )
        },
    );
}

criterion_group!(benches, sqlite, postgres);
criterion_main!(benches);
