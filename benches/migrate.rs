//! Migration benchmarks: glowplug's [`Migrator`] against diesel_migrations'
//! `MigrationHarness` on the same migration files, in the same run.
//!
//! The migrations are written once per workload into a temp directory, one
//! diesel-style directory each (`<version>_create_t_<i>/up.sql` with
//! `CREATE TABLE t_<i> (id INTEGER PRIMARY KEY, name TEXT)`, `down.sql` with
//! the matching `DROP TABLE`; versions `20260101000000 + i`). glowplug reads
//! them through [`Dir`], diesel through `FileBasedMigrations::from_path`, so
//! both sides run the same SQL. Every migration runs in its own transaction
//! on both sides.
//!
//! Workloads (benchmark ids read `<backend>/<workload>/<side>`):
//!
//! * `apply_200`: apply 200 migrations to an empty database.
//!   * `glowplug`: `Migrator::new(&mut conn, Dir::new(path)).run()`, one batch;
//!   * `diesel`: `conn.run_pending_migrations(source)`.
//!
//!   Each iteration gets a fresh empty database, made outside the timed
//!   code (`iter_batched`): a new SQLite file in a new temp directory, or the
//!   PostgreSQL schema dropped and created again with a new connection.
//! * `status_1000`: the status of 1 000 applied migrations (applied once by
//!   glowplug before timing), on the same database and source for both
//!   sides.
//!   * `glowplug`: `Migrator::new(&mut conn, Dir::new(path)).status()`;
//!   * `diesel`: `conn.applied_migrations()` then
//!     `conn.pending_migrations(source)`, diesel's nearest equivalent.
//!
//! Checked before timing: one apply per side leaves the 200 tables and the
//! same 200 versions in `__diesel_schema_migrations` (and 200 ledger rows
//! for glowplug); the status of the 1 000 is 1 000 `State::Applied` entries
//! for glowplug and 1 000 applied, 0 pending for diesel. The statements each
//! side sends for one apply are counted (diesel's instrumentation) and
//! printed.
//!
//! SQLite databases are files in temp directories (the default rollback
//! journal and `synchronous`, so every commit is synced). PostgreSQL runs in
//! the schemas `glowplug_bench_migrate` and `glowplug_bench_migrate_status`
//! of `PG_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/glowplug_test`), dropped at the end;
//! skipped with a line on stdout when no server answers.
//!
//! Run with `cargo bench --bench migrate` (`-- --test` runs each benchmark
//! once, with the checks, as a smoke test); `BENCH_DIESEL_FIRST=1` runs the
//! diesel side first in every group, and `BENCH_INTERLEAVED=<seconds>` adds
//! an alternating measurement after each workload (see [`interleaved`]).
//! Results are in BENCHMARKS.md.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, SamplingMode, criterion_group, criterion_main};
use diesel::connection::{InstrumentationEvent, SimpleConnection};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use glowplug::__private::diesel_migrations::{FileBasedMigrations, MigrationHarness};
use glowplug::DbConnection;
use glowplug::migrate::{Dir, Migrator, State};

#[allow(dead_code)]
#[path = "../tests/common/setup.rs"]
mod setup;

#[path = "support/interleaved.rs"]
mod alternate;
use alternate::interleaved;

use setup::{pg_base_url, pg_bench_schema, pg_fresh_schema};

/// The schema `apply_200` recreates for every iteration.
const PG_SCHEMA: &str = "glowplug_bench_migrate";
/// The schema holding the 1 000 applied migrations of `status_1000`.
const PG_STATUS_SCHEMA: &str = "glowplug_bench_migrate_status";

/// Migrations applied per iteration by `apply_200`.
const APPLY: usize = 200;
/// Applied migrations `status_1000` reports on.
const STATUS: usize = 1_000;
/// The first migration's version; migration `i` has `FIRST_VERSION + i`.
const FIRST_VERSION: u64 = 20_260_101_000_000;

diesel::table! {
    /// diesel's migration table, to read back what each side recorded.
    __diesel_schema_migrations (version) {
        version -> VarChar,
        run_on -> Timestamp,
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// A connection both harnesses run on, with the queries the checks need.
trait BenchConn:
    Connection + DbConnection + MigrationHarness<<Self as Connection>::Backend> + 'static
{
    /// Counts the tables `t_<i>` the migrations created (a `count(*) AS n` query).
    const USER_TABLES: &'static str;

    /// The single `n` of a `count(*) AS n` query.
    fn count(&mut self, sql: &str) -> i64;

    /// The versions in `__diesel_schema_migrations`, in order.
    fn versions(&mut self) -> Vec<String>;
}

macro_rules! bench_conn {
    ($conn:ty, $tables:expr) => {
        impl BenchConn for $conn {
            const USER_TABLES: &'static str = $tables;

            fn count(&mut self, sql: &str) -> i64 {
                diesel::sql_query(sql)
                    .get_result::<Count>(self)
                    .unwrap_or_else(|e| panic!("{sql}: {e}"))
                    .n
            }

            fn versions(&mut self) -> Vec<String> {
                use __diesel_schema_migrations::dsl as d;
                d::__diesel_schema_migrations
                    .select(d::version)
                    .order(d::version)
                    .load(self)
                    .expect("read __diesel_schema_migrations")
            }
        }
    };
}

bench_conn!(
    SqliteConnection,
    "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name LIKE 't\\_%' ESCAPE '\\'"
);
bench_conn!(
    PgConnection,
    "SELECT count(*) AS n FROM information_schema.tables \
     WHERE table_schema = current_schema() AND table_name LIKE 't\\_%' ESCAPE '\\'"
);

/// A fresh database: its connection, and the temp directory an SQLite file
/// lives in (kept until the connection is dropped).
struct Fresh<C> {
    conn: C,
    _dir: Option<tempfile::TempDir>,
}

/// A new empty SQLite file database in a new temp directory.
fn fresh_sqlite() -> Fresh<SqliteConnection> {
    let dir = tempfile::tempdir().expect("create a temp directory");
    let path = dir.path().join("bench.sqlite3");
    let conn = SqliteConnection::establish(path.to_str().expect("a UTF-8 temp path"))
        .expect("open SQLite");
    Fresh {
        conn,
        _dir: Some(dir),
    }
}

/// `n` migrations as diesel-style directories in a new temp directory.
fn write_migrations(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("create a temp directory");
    for i in 0..n {
        let m = dir.path().join(format!("{}_create_t_{i}", version(i)));
        std::fs::create_dir(&m).expect("create a migration directory");
        std::fs::write(
            m.join("up.sql"),
            format!("CREATE TABLE t_{i} (id INTEGER PRIMARY KEY, name TEXT);\n"),
        )
        .expect("write up.sql");
        std::fs::write(m.join("down.sql"), format!("DROP TABLE t_{i};\n")).expect("write down.sql");
    }
    dir
}

/// Migration `i`'s version.
fn version(i: usize) -> String {
    (FIRST_VERSION + i as u64).to_string()
}

/// glowplug: applies what is pending; returns how many were applied.
fn glowplug_apply<C: BenchConn>(conn: &mut C, dir: &Path) -> usize {
    let report = Migrator::new(conn, Dir::new(dir))
        .run()
        .expect("glowplug applies the migrations");
    report.applied.len()
}

/// diesel: applies what is pending; returns how many were applied.
fn diesel_apply<C: BenchConn>(conn: &mut C, source: &FileBasedMigrations) -> usize {
    conn.run_pending_migrations(source.clone())
        .expect("diesel applies the migrations")
        .len()
}

/// diesel's nearest equivalent of a status: (applied, pending) counts.
fn diesel_status<C: BenchConn>(conn: &mut C, source: &FileBasedMigrations) -> (usize, usize) {
    let applied = conn
        .applied_migrations()
        .expect("diesel lists the applied migrations")
        .len();
    let pending = conn
        .pending_migrations(source.clone())
        .expect("diesel lists the pending migrations")
        .len();
    (applied, pending)
}

/// Checks what one apply left in the database.
fn check_applied<C: BenchConn>(side: &str, conn: &mut C, n: usize, ledger: bool) {
    let expected: Vec<String> = (0..n).map(version).collect();
    assert!(
        conn.versions() == expected,
        "{side}: __diesel_schema_migrations lists the {n} versions"
    );
    assert_eq!(
        conn.count(C::USER_TABLES),
        n as i64,
        "{side}: the {n} tables exist"
    );
    if ledger {
        assert_eq!(
            conn.count("SELECT count(*) AS n FROM glowplug_migrations WHERE batch = 1"),
            n as i64,
            "{side}: one ledger row per migration, all batch 1"
        );
    }
}

/// Counts the statements `conn` sends from now on (its instrumentation
/// is replaced; use it only for checks).
fn count_statements<C: BenchConn>(conn: &mut C) -> Arc<AtomicUsize> {
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&sent);
    conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { .. } = event {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    });
    sent
}

/// The sides in the order they run (`BENCH_DIESEL_FIRST=1` swaps them).
fn sides() -> [&'static str; 2] {
    if std::env::var_os("BENCH_DIESEL_FIRST").is_some() {
        ["diesel", "glowplug"]
    } else {
        ["glowplug", "diesel"]
    }
}

/// `apply_200` on `backend`; `fresh` makes an empty database (not timed).
fn apply<C: BenchConn>(c: &mut Criterion, backend: &str, mut fresh: impl FnMut() -> Fresh<C>) {
    let dir = write_migrations(APPLY);
    let path = dir.path();
    let source = FileBasedMigrations::from_path(path).expect("diesel reads the directory");

    // One apply per side on a fresh database, checked, with the statements
    // each side sends counted.
    let statements = {
        let mut db = fresh();
        let sent = count_statements(&mut db.conn);
        assert_eq!(glowplug_apply(&mut db.conn, path), APPLY);
        let sent = sent.load(Ordering::Relaxed);
        check_applied("glowplug", &mut db.conn, APPLY, true);
        sent
    };
    let diesel_statements = {
        let mut db = fresh();
        let sent = count_statements(&mut db.conn);
        assert_eq!(diesel_apply(&mut db.conn, &source), APPLY);
        let sent = sent.load(Ordering::Relaxed);
        check_applied("diesel", &mut db.conn, APPLY, false);
        sent
    };
    println!(
        "{backend}/apply_{APPLY}: statements sent per apply (BEGIN and COMMIT included): \
         glowplug {statements}, diesel {diesel_statements}"
    );

    let mut group = c.benchmark_group(format!("{backend}/apply_{APPLY}"));
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .sampling_mode(SamplingMode::Flat);
    let run = |side: &str, conn: &mut C| {
        let n = match side {
            "glowplug" => glowplug_apply(conn, path),
            _ => diesel_apply(conn, &source),
        };
        assert_eq!(n, APPLY);
    };
    for side in sides() {
        group.bench_function(side, |b| {
            b.iter_batched(
                &mut fresh,
                |mut db| {
                    run(side, &mut db.conn);
                    db
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();

    interleaved(
        &format!("{backend}/apply_{APPLY}"),
        "glowplug",
        "diesel",
        |side| {
            let mut db = fresh();
            let start = Instant::now();
            run(side, &mut db.conn);
            start.elapsed()
        },
    );
}

/// `status_1000` on `conn`, an empty database.
fn status<C: BenchConn>(c: &mut Criterion, backend: &str, conn: &mut C) {
    let dir = write_migrations(STATUS);
    let path = dir.path();
    let source = FileBasedMigrations::from_path(path).expect("diesel reads the directory");
    assert_eq!(glowplug_apply(&mut *conn, path), STATUS);
    check_applied("glowplug", conn, STATUS, true);

    // Both sides agree before timing.
    let status = Migrator::new(&mut *conn, Dir::new(path))
        .status()
        .expect("glowplug status");
    assert_eq!(status.entries.len(), STATUS);
    assert!(status.entries.iter().all(|e| e.state == State::Applied));
    assert_eq!(diesel_status(conn, &source), (STATUS, 0));

    let mut group = c.benchmark_group(format!("{backend}/status_{STATUS}"));
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    let mut run = |side: &str| match side {
        "glowplug" => {
            black_box(
                Migrator::new(&mut *conn, Dir::new(path))
                    .status()
                    .expect("glowplug status"),
            );
        }
        _ => {
            black_box(diesel_status(&mut *conn, &source));
        }
    };
    for side in sides() {
        group.bench_function(side, |b| b.iter(|| run(side)));
    }
    group.finish();

    interleaved(
        &format!("{backend}/status_{STATUS}"),
        "glowplug",
        "diesel",
        |side| {
            let start = Instant::now();
            run(side);
            start.elapsed()
        },
    );
}

fn sqlite(c: &mut Criterion) {
    apply(c, "sqlite", fresh_sqlite);
    let mut db = fresh_sqlite();
    status(c, "sqlite", &mut db.conn);
}

fn postgres(c: &mut Criterion) {
    let Some((mut admin, _)) = pg_bench_schema(PG_SCHEMA) else {
        return;
    };
    let base = pg_base_url();
    apply(c, "pg", || {
        let url = pg_fresh_schema(&mut admin, &base, PG_SCHEMA);
        Fresh {
            conn: PgConnection::establish(&url).expect("connect to PostgreSQL"),
            _dir: None,
        }
    });

    let url = pg_fresh_schema(&mut admin, &base, PG_STATUS_SCHEMA);
    {
        let mut conn = PgConnection::establish(&url).expect("connect to PostgreSQL");
        status(c, "pg", &mut conn);
    }

    admin
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE; DROP SCHEMA IF EXISTS {PG_STATUS_SCHEMA} CASCADE;"
        ))
        .expect("drop the bench schemas");
}

criterion_group!(benches, sqlite, postgres);
criterion_main!(benches);
