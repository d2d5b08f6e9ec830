//! Peak memory of streaming batches: `User::insert_batch_iter` of 100 000
//! rows from an iterator against hand-written diesel inserting the same
//! iterator in 1 000-row chunks, for narrow rows and for rows with a 1 KiB
//! bio on every other row.
//!
//! Each case runs in a fresh copy of this process (peak memory is per
//! process): the parent starts one child per case with
//! `GLOWPLUG_MEMORY_CASE=<backend>/<rows>/<side>`, and the child prints its
//! peak resident set size (`VmHWM` from `/proc/self/status`, Linux). The
//! `baseline` side only connects and migrates: the process's own floor.
//! SQLite writes to a temporary file (an in-memory database would count its
//! own pages); PostgreSQL to the schema `glowplug_bench_batch_memory` of
//! `PG_DATABASE_URL`, whose server memory is not counted.
//!
//! Run with `cargo bench --bench batch_memory`; results are in BENCHMARKS.md.

use std::process::Command;

use diesel::prelude::*;
use glowplug::prelude::Crud;

#[allow(dead_code)]
#[path = "../tests/common/models.rs"]
mod models;

use models::{User, users};

#[allow(dead_code)]
#[path = "../tests/common/setup.rs"]
mod setup;

use setup::{MIGRATIONS, pg_bench_schema};

#[allow(dead_code)]
#[path = "support/rows.rs"]
mod rows;

use rows::{DNewUser, diesel_user, new_user};

/// Rows per batch.
const ROWS: usize = 100_000;

/// Rows per statement of the diesel side.
const DIESEL_CHUNK: usize = 1_000;

fn main() {
    match std::env::var("GLOWPLUG_MEMORY_CASE") {
        Ok(case) => child(&case),
        Err(_) => parent(),
    }
}

fn parent() {
    let exe = std::env::current_exe().expect("this bench's path");
    println!("| backend | rows | side | peak RSS (MiB) |");
    println!("|---|---|---|---|");
    for backend in ["sqlite", "pg"] {
        for width in ["narrow", "1KiB"] {
            for side in ["baseline", "glowplug", "diesel_1000"] {
                let case = format!("{backend}/{width}/{side}");
                let out = Command::new(&exe)
                    .env("GLOWPLUG_MEMORY_CASE", &case)
                    .output()
                    .expect("run a case");
                let text = String::from_utf8_lossy(&out.stdout);
                if text.contains("SKIP") {
                    println!("{}", text.trim());
                    return;
                }
                assert!(
                    out.status.success(),
                    "{case} failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let kib: f64 = text.trim().parse().expect("peak RSS in KiB");
                println!("| {backend} | {width} | {side} | {:.1} |", kib / 1024.0);
            }
        }
    }
}

/// Runs one case and prints the process's peak RSS in KiB.
fn child(case: &str) {
    let parts: Vec<&str> = case.split('/').collect();
    let [backend, width, side] = parts[..] else {
        panic!("case is backend/rows/side, not {case}")
    };
    let bio = if width == "narrow" { 0 } else { 1024 };
    match backend {
        "sqlite" => {
            let path = std::env::temp_dir()
                .join(format!("glowplug-batch-memory-{}.db", std::process::id()));
            let mut conn = SqliteConnection::establish(path.to_str().expect("UTF-8 path"))
                .expect("open SQLite");
            run(&mut conn, side, bio, sqlite_chunks);
            drop(conn);
            let _ = std::fs::remove_file(&path);
        }
        _ => {
            let Some((_admin, url)) = pg_bench_schema("glowplug_bench_batch_memory") else {
                return;
            };
            let mut conn = PgConnection::establish(&url).expect("connect to PostgreSQL");
            run(&mut conn, side, bio, pg_chunks);
        }
    }
    println!("{}", peak_rss_kib());
}

/// Hand-written diesel on one connection type: the iterator's rows in
/// chunks of [`DIESEL_CHUNK`], in one transaction.
macro_rules! diesel_chunks {
    ($name:ident, $conn:ty) => {
        fn $name(conn: &mut $conn, rows: Box<dyn Iterator<Item = DNewUser>>) -> usize {
            let mut rows = rows.peekable();
            conn.transaction(|conn| {
                let mut n = 0;
                while rows.peek().is_some() {
                    let chunk: Vec<DNewUser> = rows.by_ref().take(DIESEL_CHUNK).collect();
                    n += diesel::insert_into(users::table)
                        .values(&chunk)
                        .execute(conn)?;
                }
                QueryResult::Ok(n)
            })
            .expect("diesel chunks")
        }
    };
}

diesel_chunks!(sqlite_chunks, SqliteConnection);
diesel_chunks!(pg_chunks, PgConnection);

fn run<C>(
    conn: &mut C,
    side: &str,
    bio: usize,
    chunks: fn(&mut C, Box<dyn Iterator<Item = DNewUser>>) -> usize,
) where
    C: glowplug::DbConnection,
{
    glowplug::Migrator::new(conn, MIGRATIONS)
        .run()
        .expect("migrate");
    let rows = (0..ROWS).map(move |i| new_user(i, bio));
    let written = match side {
        "baseline" => ROWS,
        "glowplug" => User::insert_batch_iter(conn, rows).expect("glowplug batch"),
        _ => {
            let now = glowplug::__private::now();
            chunks(conn, Box::new(rows.map(move |r| diesel_user(&r, now))))
        }
    };
    assert_eq!(written, ROWS);
}

/// `VmHWM` of this process, in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}
