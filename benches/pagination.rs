//! Pagination benchmarks: a deep page (page 1 000 of 20 rows, rows
//! 19 981..=20 000 of 25 000 users) by offset and by keyset, each through
//! glowplug and through the same queries hand-written in diesel, on the
//! same connection in the same run.
//!
//! * `offset/glowplug`: `User::paginate(conn, User::query().order(users::id), 1000, 20)`:
//!   the page (`LIMIT 20 OFFSET 19980`), then `COUNT(*)`;
//! * `offset/diesel`: the same two statements written with diesel
//!   (`…order(users::id).limit(20).offset(19_980).load`, then `users::table.count()`);
//! * `keyset/glowplug`: `User::cursor_paginate(conn, User::query(), users::id.asc(), Some(cursor), 20)`
//!   with the `next` cursor of page 999: one statement (`WHERE id > $1 … LIMIT 21`);
//! * `keyset/diesel`: `…filter(users::id.gt(last)).order(users::id).limit(21).load`, the same statement;
//!   glowplug's side includes decoding the cursor and encoding the next one.
//!
//! Benchmark ids read `<backend>/page_1000/<offset|keyset>/<glowplug|diesel>`.
//! SQLite runs in memory on a plain `SqliteConnection`, PostgreSQL on a
//! plain `PgConnection` in the schema `glowplug_bench_pagination` of the
//! database named by `PG_DATABASE_URL` (skipped with a line on stdout when
//! no server answers). Before the timed runs each pair is checked to return
//! the same rows. Run with `cargo bench --bench pagination`; results are in
//! BENCHMARKS.md.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use glowplug::pagination::Paginate;
use glowplug::prelude::*;

#[allow(dead_code)]
#[path = "../tests/common/models.rs"]
mod models;

use models::{User, users};

#[allow(dead_code)]
#[path = "../tests/common/setup.rs"]
mod setup;

use setup::{MIGRATIONS, pg_bench_migrated};

const PG_SCHEMA: &str = "glowplug_bench_pagination";
const ROWS: u64 = 25_000;
const PAGE: u64 = 1_000;
const PER_PAGE: u64 = 20;

/// `ROWS` users with ids 1..=ROWS (`numbers` and `from` give the series per
/// backend, `ts` a timestamp literal).
fn seed(conn: &mut impl SimpleConnection, numbers: &str, from: &str, ts: &str, analyze: &str) {
    conn.batch_execute(&format!(
        "DELETE FROM users;
         {numbers}INSERT INTO users (id, username, email, bio, active, created_at, updated_at)
             SELECT g, 'user' || g, 'user' || g || '@example.com', 'bio of user ' || g, g % 3 <> 0,
                    {ts}, {ts}
             FROM {from};
         {analyze}"
    ))
    .expect("seed users");
}

/// A page by offset and the total, as hand-written diesel returns them.
type OffsetPage = (Vec<User>, i64);

macro_rules! hand_written {
    ($module:ident, $conn:ty) => {
        mod $module {
            use super::*;

            /// Page `PAGE` by offset, and the total: two statements.
            pub fn offset(conn: &mut $conn) -> QueryResult<OffsetPage> {
                let items = User::query()
                    .order(users::id)
                    .limit(PER_PAGE as i64)
                    .offset(((PAGE - 1) * PER_PAGE) as i64)
                    .load(conn)?;
                let total = users::table.count().get_result(conn)?;
                Ok((items, total))
            }

            /// The page after `last` (one extra row to know there is a next page).
            pub fn keyset(conn: &mut $conn, last: i64) -> QueryResult<Vec<User>> {
                User::query()
                    .filter(users::id.gt(last))
                    .order(users::id)
                    .limit(PER_PAGE as i64 + 1)
                    .load(conn)
            }
        }
    };
}
hand_written!(sqlite_diesel, SqliteConnection);
hand_written!(pg_diesel, PgConnection);

/// The `next` cursor of page `PAGE - 1`, by walking the pages before it.
fn cursor_to_deep_page<C: DbConnection>(conn: &mut C) -> String {
    let mut cursor = None;
    for _ in 1..PAGE {
        let page = User::cursor_paginate(
            conn,
            User::query(),
            users::id.asc(),
            cursor.as_deref(),
            PER_PAGE,
        )
        .expect("a cursor page");
        cursor = page.next;
    }
    cursor.expect("page 999 has a next page")
}

fn suite<C: DbConnection>(
    c: &mut Criterion,
    name: &str,
    conn: &mut C,
    offset: fn(&mut C) -> QueryResult<OffsetPage>,
    keyset: fn(&mut C, i64) -> QueryResult<Vec<User>>,
) {
    let cursor = cursor_to_deep_page(conn);
    let last = ((PAGE - 1) * PER_PAGE) as i64;
    let ours =
        User::paginate(conn, User::query().order(users::id), PAGE, PER_PAGE).expect("offset page");
    let (theirs, total) = offset(conn).expect("diesel offset page");
    assert_eq!(
        (&ours.items, ours.total as i64),
        (&theirs, total),
        "offset: the same rows"
    );
    assert_eq!(ours.items[0].id, last + 1);
    let ours = User::cursor_paginate(
        conn,
        User::query(),
        users::id.asc(),
        Some(&cursor),
        PER_PAGE,
    )
    .expect("keyset page");
    let mut theirs = keyset(conn, last).expect("diesel keyset page");
    theirs.truncate(PER_PAGE as usize);
    assert_eq!(ours.items, theirs, "keyset: the same rows");

    let mut group = c.benchmark_group(format!("{name}/page_1000"));
    group.bench_function("offset/glowplug", |b| {
        b.iter(|| {
            black_box(
                User::paginate(conn, User::query().order(users::id), PAGE, PER_PAGE).expect("page"),
            )
        })
    });
    group.bench_function("offset/diesel", |b| {
        b.iter(|| black_box(offset(conn).expect("page")))
    });
    group.bench_function("keyset/glowplug", |b| {
        b.iter(|| {
            black_box(
                User::cursor_paginate(
                    conn,
                    User::query(),
                    users::id.asc(),
                    Some(&cursor),
                    PER_PAGE,
                )
                .expect("page"),
            )
        })
    });
    group.bench_function("keyset/diesel", |b| {
        b.iter(|| black_box(keyset(conn, last).expect("page")))
    });
    group.finish();
}

fn bench_sqlite(c: &mut Criterion) {
    let mut conn = SqliteConnection::establish(":memory:").expect("open SQLite in memory");
    glowplug::Migrator::new(&mut conn, MIGRATIONS)
        .run()
        .expect("migrate SQLite");
    let numbers = format!(
        "WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {ROWS}) "
    );
    seed(
        &mut conn,
        &numbers,
        "s",
        "'2026-11-21 12:00:00'",
        "ANALYZE;",
    );
    suite(
        c,
        "sqlite",
        &mut conn,
        sqlite_diesel::offset,
        sqlite_diesel::keyset,
    );
}

fn bench_postgres(c: &mut Criterion) {
    let Some((mut admin, mut conn, _url)) = pg_bench_migrated(PG_SCHEMA) else {
        return;
    };
    let series = format!("generate_series(1, {ROWS}) AS s(g)");
    seed(
        &mut conn,
        "",
        &series,
        "TIMESTAMP '2026-11-21 12:00:00'",
        "ANALYZE users;",
    );
    suite(
        c,
        "postgres",
        &mut conn,
        pg_diesel::offset,
        pg_diesel::keyset,
    );
    drop(conn);
    admin
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        .expect("drop the benchmark schema");
}

criterion_group!(benches, bench_sqlite, bench_postgres);
criterion_main!(benches);
