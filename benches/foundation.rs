//! Foundation benchmarks: the glowplug façade against hand-written diesel.
//!
//! Every group measures the façade (`User::all`, `User::find`,
//! `NewUser { .. }.insert`) and the equivalent hand-written diesel query on
//! the same connection in the same run, on SQLite (in memory) and on
//! PostgreSQL (schema `glowplug_bench` in the database named by
//! `PG_DATABASE_URL`, default `postgres://postgres@127.0.0.1:5432/glowplug_test`;
//! skipped with a line on stdout when no server answers).
//!
//! Benchmark ids read `<backend>/<operation>/<side>[/<rows>]`, where side is
//!
//! * `facade` / `diesel`: a plain `SqliteConnection` / `PgConnection`;
//! * `facade_pooled`: the façade on a `glowplug::PooledConnection` from
//!   `Database::get` (it dispatches to the concrete connection);
//! * `diesel_anyconn`: hand-written diesel on that pooled connection's
//!   `AnyConnection`, i.e. through diesel's `MultiConnection` layer;
//! * `<diesel side>_no_limit` (find_by_id): `.get_result()` instead of
//!   `.first()`, i.e. the façade's SQL, without `.first()`'s `LIMIT`;
//! * `<diesel side>_nested` (insert_one): the values nested as
//!   `((data columns), (timestamps))`, the shape `model!`'s generated
//!   `Insertable` had before it became one flat tuple; kept for comparison.
//!
//! Within a group the façade runs first; `BENCH_DIESEL_FIRST=1` runs the
//! hand-written side first instead, to check that a difference does not
//! just follow the position in the run.
//!
//! The `<backend>/observe/<operation>` groups measure what seeing the SQL
//! costs: the façade on a plain connection (`plain`), with glowplug's
//! instrumentation chain installed as the pool installs it and no
//! subscriber (`instrumented`), and with a `tracing` subscriber writing to a
//! sink at INFO (`instrumented_info`: statement events are DEBUG, so only
//! their level check runs) and at DEBUG (`instrumented_debug`: every
//! statement formatted and written).
//!
//! With `BENCH_INTERLEAVED=<seconds>`, each `observe` group is followed by
//! alternating measurements of each instrumented side against `plain` (see
//! `support/interleaved.rs`), the figures that hold up on a busy machine.
//!
//! The `pgbouncer/…` groups run the same suite as `postgres/…` (load_users,
//! find_by_id, insert_one) on a `PgConnection` through a real PgBouncer in
//! transaction pooling mode, started by the bench on a free port
//! (`tests/common/bouncer.rs`), with diesel's prepared-statement cache off as
//! glowplug's `prepared_statement_cache(false)` sets it; the `postgres/…`
//! groups of the same run are the direct connection with the cache on.
//! Skipped with a line on stdout when pgbouncer is not installed.
//!
//! Run with `cargo bench --bench foundation`; results are in BENCHMARKS.md.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, Timelike, Utc};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use glowplug::BackendConnection;
use glowplug::prelude::*;

#[allow(dead_code)]
#[path = "../tests/common/models.rs"]
mod models;

use models::{NewUser, User, users};

#[allow(dead_code)]
#[path = "../tests/common/setup.rs"]
mod setup;

#[path = "../tests/common/bouncer.rs"]
mod bouncer;

#[path = "support/interleaved.rs"]
mod alternate;
use alternate::interleaved;

use setup::{MIGRATIONS, pg_bench_migrated};
const PG_SCHEMA: &str = "glowplug_bench";

/// Table sizes for `load_users` on plain connections.
const LOAD_SIZES: &[usize] = &[1, 100, 10_000];
/// Table size for `load_users` on the pooled connection.
const POOLED_LOAD_SIZES: &[usize] = &[100];
/// Rows in the table while `find_by_id` runs.
const FIND_ROWS: usize = 1_000;

/// The clock reading the façade stamps into `created_at` / `updated_at`
/// (UTC, truncated to microseconds), so the hand-written insert does the same work.
fn now() -> NaiveDateTime {
    let t = Utc::now().naive_utc();
    t.with_nanosecond(t.nanosecond() / 1_000 * 1_000)
        .unwrap_or(t)
}

/// Hand-written diesel for one connection type: the queries the façade's
/// operations correspond to.
macro_rules! hand_written {
    ($module:ident, $conn:ty) => {
        mod $module {
            use super::*;

            pub fn load_all(conn: &mut $conn) -> QueryResult<Vec<User>> {
                users::table.select(users::all_columns).load::<User>(conn)
            }

            pub fn find(conn: &mut $conn, id: i64) -> QueryResult<User> {
                users::table
                    .find(id)
                    .select(users::all_columns)
                    .first::<User>(conn)
            }

            /// `find` with `get_result` instead of `first`: the same SQL as
            /// the façade's `User::find` (no `LIMIT`).
            pub fn find_no_limit(conn: &mut $conn, id: i64) -> QueryResult<User> {
                users::table
                    .find(id)
                    .select(users::all_columns)
                    .get_result::<User>(conn)
            }

            pub fn insert(conn: &mut $conn, new: &NewUser) -> QueryResult<User> {
                let now = now();
                diesel::insert_into(users::table)
                    .values((
                        users::username.eq(&new.username),
                        users::email.eq(&new.email),
                        users::bio.eq(&new.bio),
                        users::active.eq(new.active.unwrap_or(true)),
                        users::created_at.eq(now),
                        users::updated_at.eq(now),
                    ))
                    .returning(users::all_columns)
                    .get_result::<User>(conn)
            }

            /// `insert` with the values nested as `model!`'s generated `Insertable`
            /// once nested them: `((data columns), (created_at, updated_at))`.
            pub fn insert_nested(conn: &mut $conn, new: &NewUser) -> QueryResult<User> {
                let now = now();
                diesel::insert_into(users::table)
                    .values((
                        (
                            users::username.eq(&new.username),
                            users::email.eq(&new.email),
                            users::bio.eq(&new.bio),
                            users::active.eq(new.active.unwrap_or(true)),
                        ),
                        (users::created_at.eq(now), users::updated_at.eq(now)),
                    ))
                    .returning(users::all_columns)
                    .get_result::<User>(conn)
            }
        }
    };
}

hand_written!(sqlite_diesel, SqliteConnection);
hand_written!(pg_diesel, PgConnection);
hand_written!(any_diesel, AnyConnection);

/// The hand-written side of a suite, on the connection type `C`.
struct Diesel<C> {
    label: &'static str,
    load_all: fn(&mut C) -> QueryResult<Vec<User>>,
    find: fn(&mut C, i64) -> QueryResult<User>,
    find_no_limit: fn(&mut C, i64) -> QueryResult<User>,
    insert: fn(&mut C, &NewUser) -> QueryResult<User>,
    insert_nested: fn(&mut C, &NewUser) -> QueryResult<User>,
}

/// Hand-written diesel on a `PgConnection` (direct or through PgBouncer).
const PG_DIESEL: Diesel<PgConnection> = Diesel {
    label: "diesel",
    load_all: pg_diesel::load_all,
    find: pg_diesel::find,
    find_no_limit: pg_diesel::find_no_limit,
    insert: pg_diesel::insert,
    insert_nested: pg_diesel::insert_nested,
};

/// Runs `$body` with `$c` bound to the concrete connection behind `$conn`
/// (setup code, outside the timed parts).
macro_rules! on_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match glowplug::DbConnection::backend_connection($conn) {
            BackendConnection::Sqlite($c) => $body,
            BackendConnection::Postgres($c) => $body,
            _ => unreachable!("glowplug has two backends"),
        }
    };
}

static NEXT_USER: AtomicU64 = AtomicU64::new(0);

/// A new user with a unique name and email.
fn new_user() -> NewUser {
    let n = NEXT_USER.fetch_add(1, Ordering::Relaxed);
    NewUser {
        username: format!("user{n}"),
        email: format!("user{n}@example.com"),
        bio: n.is_multiple_of(2).then(|| format!("bio of user {n}")),
        active: None,
    }
}

/// Empties the users table. PostgreSQL gets `TRUNCATE`, so that rows deleted
/// by earlier groups do not linger as dead tuples that later scans must skip.
fn clear_users<C: DbConnection>(conn: &mut C) {
    match conn.backend_connection() {
        BackendConnection::Sqlite(c) => diesel::delete(users::table).execute(c),
        BackendConnection::Postgres(c) => diesel::sql_query("TRUNCATE users CASCADE").execute(c),
        _ => unreachable!("glowplug has two backends"),
    }
    .expect("clear users");
}

/// Empties the users table, inserts `n` users, and returns their ids.
fn reset_users<C: DbConnection>(conn: &mut C, n: usize) -> Vec<i64> {
    clear_users(conn);
    let news: Vec<NewUser> = (0..n).map(|_| new_user()).collect();
    for chunk in news.chunks(1_000) {
        on_backend!(conn, c => diesel::insert_into(users::table).values(chunk).execute(c))
            .expect("insert users");
    }
    if let BackendConnection::Postgres(c) = conn.backend_connection() {
        diesel::sql_query("ANALYZE users")
            .execute(c)
            .expect("analyze users");
    }
    let ids: Vec<i64> =
        on_backend!(conn, c => users::table.select(users::id).order(users::id).load(c))
            .expect("load ids");
    assert_eq!(ids.len(), n);
    ids
}

/// Times `iters` calls of `insert`, each with a fresh user; the users are
/// built before and deleted after the timed part.
fn timed_inserts<C: DbConnection>(
    conn: &mut C,
    iters: u64,
    mut insert: impl FnMut(&mut C, &NewUser),
) -> Duration {
    let news: Vec<NewUser> = (0..iters).map(|_| new_user()).collect();
    let start = Instant::now();
    for new in &news {
        insert(conn, new);
    }
    let elapsed = start.elapsed();
    clear_users(conn);
    elapsed
}

/// The façade's insert, for [`timed_inserts`].
fn facade_insert<C: DbConnection>(conn: &mut C, new: &NewUser) {
    black_box(new.insert(conn).expect("NewUser::insert"));
}

/// Which side of a comparison a benchmark measures.
#[derive(Clone, Copy)]
enum Side {
    Facade,
    Diesel,
    DieselNoLimit,
    DieselNested,
}

/// The order the sides run in within each group: façade first, unless
/// `BENCH_DIESEL_FIRST=1`, which runs the hand-written side first (to tell a
/// real difference from one that follows the position in the run).
fn order(sides: &[Side]) -> Vec<Side> {
    let mut sides = sides.to_vec();
    if std::env::var("BENCH_DIESEL_FIRST").is_ok_and(|v| v == "1") {
        sides.rotate_left(1);
    }
    sides
}

/// The three groups for one backend and one kind of connection.
fn suite<C: DbConnection>(
    c: &mut Criterion,
    backend: &str,
    conn: &mut C,
    facade: &'static str,
    diesel: Diesel<C>,
    load_sizes: &[usize],
) {
    // load_users/N: every row of a table holding N users.
    let mut group = c.benchmark_group(format!("{backend}/load_users"));
    for &n in load_sizes {
        reset_users(conn, n);
        if n >= 10_000 {
            group.sample_size(20);
        }
        for side in order(&[Side::Facade, Side::Diesel]) {
            match side {
                Side::Facade => group.bench_with_input(BenchmarkId::new(facade, n), &n, |b, &n| {
                    b.iter(|| {
                        let rows = User::all(conn).expect("User::all");
                        assert_eq!(rows.len(), n);
                        black_box(rows)
                    })
                }),
                _ => group.bench_with_input(BenchmarkId::new(diesel.label, n), &n, |b, &n| {
                    b.iter(|| {
                        let rows = (diesel.load_all)(conn).expect("diesel load");
                        assert_eq!(rows.len(), n);
                        black_box(rows)
                    })
                }),
            };
        }
    }
    group.finish();

    // find_by_id: one row by primary key, cycling through FIND_ROWS ids.
    let ids = reset_users(conn, FIND_ROWS);
    let mut group = c.benchmark_group(format!("{backend}/find_by_id"));
    let mut i = 0;
    for side in order(&[Side::Facade, Side::Diesel, Side::DieselNoLimit]) {
        match side {
            Side::Facade => group.bench_function(facade, |b| {
                b.iter(|| {
                    i = (i + 1) % ids.len();
                    black_box(User::find(conn, ids[i]).expect("User::find"))
                })
            }),
            Side::Diesel => group.bench_function(diesel.label, |b| {
                b.iter(|| {
                    i = (i + 1) % ids.len();
                    black_box((diesel.find)(conn, ids[i]).expect("diesel find"))
                })
            }),
            _ => group.bench_function(format!("{}_no_limit", diesel.label), |b| {
                b.iter(|| {
                    i = (i + 1) % ids.len();
                    black_box((diesel.find_no_limit)(conn, ids[i]).expect("diesel find"))
                })
            }),
        };
    }
    group.finish();

    // insert_one: one row with RETURNING, into a table emptied after every
    // sample (the rows are built before and deleted after the timed part).
    clear_users(conn);
    let mut group = c.benchmark_group(format!("{backend}/insert_one"));
    for side in order(&[Side::Facade, Side::Diesel, Side::DieselNested]) {
        let insert = match side {
            Side::DieselNested => diesel.insert_nested,
            _ => diesel.insert,
        };
        let label = match side {
            Side::DieselNested => format!("{}_nested", diesel.label),
            _ => diesel.label.to_owned(),
        };
        match side {
            Side::Facade => group.bench_function(facade, |b| {
                b.iter_custom(|iters| timed_inserts(conn, iters, facade_insert))
            }),
            _ => group.bench_function(label, |b| {
                b.iter_custom(|iters| {
                    timed_inserts(conn, iters, |c, new| {
                        black_box(insert(c, new).expect("diesel insert"));
                    })
                })
            }),
        };
    }
    group.finish();
}

/// How the `observe` groups' sides set up the connection and the subscriber.
#[derive(Clone, Copy)]
enum Observed {
    Plain,
    Instrumented,
    Info,
    Debug,
}

impl Observed {
    const ALL: [Observed; 4] = [
        Observed::Plain,
        Observed::Instrumented,
        Observed::Info,
        Observed::Debug,
    ];

    fn label(self) -> &'static str {
        match self {
            Observed::Plain => "plain",
            Observed::Instrumented => "instrumented",
            Observed::Info => "instrumented_info",
            Observed::Debug => "instrumented_debug",
        }
    }

    /// Installs (or removes) glowplug's instrumentation on `conn`.
    fn prepare<C: diesel::Connection + DbConnection>(self, conn: &mut C) {
        match self {
            Observed::Plain => {
                conn.set_instrumentation(None::<Box<dyn diesel::connection::Instrumentation>>)
            }
            _ => glowplug::instrument(conn),
        }
    }

    /// The subscriber for this side, kept for the scope of the guard.
    /// A side without one first has `tracing` forget the subscribers of
    /// earlier sides: the global maximum level and each callsite's cached
    /// interest are only recomputed when a subscriber is registered, so
    /// after a DEBUG side they would still say "maybe" and every statement
    /// would ask the (absent) subscriber, a cost a process that never
    /// installs a subscriber does not have.
    fn subscriber(self) -> Option<tracing::subscriber::DefaultGuard> {
        let level = match self {
            Observed::Info => tracing::Level::INFO,
            Observed::Debug => tracing::Level::DEBUG,
            _ => {
                tracing::callsite::rebuild_interest_cache();
                return None;
            }
        };
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(level)
            .with_writer(std::io::sink)
            .finish();
        Some(tracing::subscriber::set_default(subscriber))
    }
}

/// The cost of observing: `all` of 10 000 rows, `find` and `insert` by
/// the façade, for each [`Observed`] side.
fn observe_suite<C: diesel::Connection + DbConnection>(
    c: &mut Criterion,
    backend: &str,
    conn: &mut C,
) {
    reset_users(conn, 10_000);
    let mut group = c.benchmark_group(format!("{backend}/observe/all_10000"));
    group.sample_size(20);
    for side in Observed::ALL {
        side.prepare(conn);
        group.bench_function(side.label(), |b| {
            let _subscriber = side.subscriber();
            b.iter(|| black_box(User::all(conn).expect("User::all")))
        });
    }
    group.finish();
    alternate_sides(&format!("{backend}/observe/all_10000"), conn, |conn| {
        black_box(User::all(conn).expect("User::all"));
    });

    let ids = reset_users(conn, FIND_ROWS);
    let mut group = c.benchmark_group(format!("{backend}/observe/find"));
    let mut i = 0;
    for side in Observed::ALL {
        side.prepare(conn);
        group.bench_function(side.label(), |b| {
            let _subscriber = side.subscriber();
            b.iter(|| {
                i = (i + 1) % ids.len();
                black_box(User::find(conn, ids[i]).expect("User::find"))
            })
        });
    }
    group.finish();
    alternate_sides(&format!("{backend}/observe/find"), conn, |conn| {
        for _ in 0..100 {
            i = (i + 1) % ids.len();
            black_box(User::find(conn, ids[i]).expect("User::find"));
        }
    });

    clear_users(conn);
    let mut group = c.benchmark_group(format!("{backend}/observe/insert"));
    for side in Observed::ALL {
        side.prepare(conn);
        group.bench_function(side.label(), |b| {
            let _subscriber = side.subscriber();
            b.iter_custom(|iters| timed_inserts(conn, iters, facade_insert))
        });
    }
    group.finish();
    alternate_sides(&format!("{backend}/observe/insert"), conn, |conn| {
        for _ in 0..50 {
            facade_insert(conn, &new_user());
        }
    });
    clear_users(conn);
    Observed::Plain.prepare(conn);
}

/// [`interleaved`] of each observed side against `plain`: `run` once per
/// round on each side.
fn alternate_sides<C: diesel::Connection + DbConnection>(
    name: &str,
    conn: &mut C,
    mut run: impl FnMut(&mut C),
) {
    for observed in [Observed::Instrumented, Observed::Info, Observed::Debug] {
        interleaved(name, observed.label(), "plain", |label| {
            let side = if label == "plain" {
                Observed::Plain
            } else {
                observed
            };
            side.prepare(conn);
            let _subscriber = side.subscriber();
            let start = Instant::now();
            run(conn);
            start.elapsed()
        });
    }
}

/// The suites on the pool's connection: the façade on the `PooledConnection`,
/// hand-written diesel on the `AnyConnection` behind it.
fn pooled_suite(c: &mut Criterion, backend: &str, db: &Database) {
    let mut pooled = db.get().expect("a pooled connection");
    suite(
        c,
        backend,
        &mut pooled,
        "facade_pooled",
        Diesel {
            label: "diesel_anyconn",
            load_all: |c| any_diesel::load_all(c),
            find: |c, id| any_diesel::find(c, id),
            find_no_limit: |c, id| any_diesel::find_no_limit(c, id),
            insert: |c, new| any_diesel::insert(c, new),
            insert_nested: |c, new| any_diesel::insert_nested(c, new),
        },
        POOLED_LOAD_SIZES,
    );
    clear_users(&mut pooled);
}

fn bench_sqlite(c: &mut Criterion) {
    let mut conn = SqliteConnection::establish(":memory:").expect("open SQLite in memory");
    glowplug::Migrator::new(&mut conn, MIGRATIONS)
        .run()
        .expect("migrate SQLite");
    suite(
        c,
        "sqlite",
        &mut conn,
        "facade",
        Diesel {
            label: "diesel",
            load_all: sqlite_diesel::load_all,
            find: sqlite_diesel::find,
            find_no_limit: sqlite_diesel::find_no_limit,
            insert: sqlite_diesel::insert,
            insert_nested: sqlite_diesel::insert_nested,
        },
        LOAD_SIZES,
    );
    observe_suite(c, "sqlite", &mut conn);

    let db = Database::connect("sqlite::memory:").expect("open the SQLite pool");
    db.run_pending_migrations(MIGRATIONS)
        .expect("migrate the SQLite pool");
    pooled_suite(c, "sqlite", &db);
}

/// Connects to the benchmark database, creating it if it does not exist.
fn bench_postgres(c: &mut Criterion) {
    let Some((mut admin, mut conn, url)) = pg_bench_migrated(PG_SCHEMA) else {
        return;
    };
    suite(c, "postgres", &mut conn, "facade", PG_DIESEL, LOAD_SIZES);
    // The observe groups compare the same statements with and without the
    // instrumentation: without waiting for each commit's flush to disk
    // (milliseconds here), the CPU cost being measured is not lost in it.
    conn.batch_execute("SET synchronous_commit = off")
        .expect("set synchronous_commit");
    observe_suite(c, "postgres", &mut conn);
    drop(conn);

    let db = Database::connect(&url).expect("open the PostgreSQL pool");
    pooled_suite(c, "postgres", &db);
    drop(db);

    admin
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        .expect("drop the benchmark schema");
}

/// The foundation suite through PgBouncer (transaction pooling, statement
/// cache off), to compare with `postgres/…` (direct, cache on).
fn bench_pgbouncer(c: &mut Criterion) {
    let Some((mut admin, conn, _url)) = pg_bench_migrated(PG_SCHEMA) else {
        return;
    };
    drop(conn);
    let server = bouncer::Server::from_url(&setup::pg_base_url());
    let alias = bouncer::Alias {
        name: "bench",
        dbname: &server.dbname,
        search_path: Some(PG_SCHEMA),
    };
    // Without pgbouncer, `start` prints a SKIP line (it panics under REQUIRE_PG=1).
    let Some(pgbouncer) = bouncer::Bouncer::start("pgbouncer benchmarks", 1, &[alias]) else {
        return;
    };
    let mut conn =
        PgConnection::establish(&pgbouncer.url("bench")).expect("connect through PgBouncer");
    conn.set_prepared_statement_cache_size(diesel::connection::CacheSize::Disabled);
    suite(c, "pgbouncer", &mut conn, "facade", PG_DIESEL, LOAD_SIZES);
    drop(conn);
    drop(pgbouncer);
    admin
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        .expect("drop the benchmark schema");
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .sample_size(40);
    targets = bench_sqlite, bench_postgres, bench_pgbouncer
}
criterion_main!(benches);
