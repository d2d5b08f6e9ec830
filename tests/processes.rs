//! Several processes writing to one database through glowplug.
//!
//! This test binary has its own `main` (`harness = false`): run plainly it
//! is the parent, and it starts copies of itself as writer processes
//! (`GLOWPLUG_WRITER` set). The documented load: `GLOWPLUG_WRITERS`
//! processes (4) × 2 threads × `GLOWPLUG_WRITES` read-then-write
//! transactions each (500), on one SQLite file (WAL, 5 s busy timeout) and on
//! PostgreSQL. No "database is locked" may escape, and every committed row
//! must be there afterwards. Past the load — a writer holding the SQLite
//! write lock longer than another's busy timeout — the other gets a clear
//! [`glowplug::Error::Busy`], and nothing is lost.
//!
//! Short programs — build a `Database` with default settings, run one query,
//! return — must exit cleanly every time: `GLOWPLUG_SHORT_PROCESSES` of them
//! (200; half as many on SQLite), eight at a time. They used to crash in
//! OpenSSL's exit handlers on PostgreSQL while the pool was still opening
//! connections in the background. And pools built and dropped in a loop must
//! not leave threads behind.

mod common;
#[path = "common/load.rs"]
mod load;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use glowplug::prelude::*;
use glowplug::{Backend, Error};
use load::Ledger;

const THREADS_PER_WRITER: i32 = 2;
/// A writer that has not finished by then is hung.
const HANG: Duration = Duration::from_secs(180);

fn main() {
    if let Ok(role) = std::env::var("GLOWPLUG_WRITER") {
        std::process::exit(child(&role));
    }
    let writers = env_number("GLOWPLUG_WRITERS", 4);
    let writes = env_number("GLOWPLUG_WRITES", 500);
    let mut failed = 0;
    let mut check = |name: &str, outcome: common::TestResult| match outcome {
        Ok(()) => println!("test {name} ... ok"),
        Err(e) => {
            println!("test {name} ... FAILED: {e}");
            failed += 1;
        }
    };
    let sqlite = common::blank_sqlite("processes");
    check(
        "sqlite::writer_processes_lose_nothing",
        writer_processes_lose_nothing(&sqlite, writers, writes),
    );
    check(
        "sqlite::past_the_busy_timeout_the_error_is_clear_and_nothing_is_lost",
        past_the_busy_timeout(&common::blank_sqlite("busy")),
    );
    check(
        "sqlite::pools_built_in_a_loop_leave_no_threads_behind",
        pools_in_a_loop(&sqlite.url, 1_000),
    );
    let short = env_number("GLOWPLUG_SHORT_PROCESSES", 200);
    check(
        "sqlite::short_processes_exit_cleanly",
        short_processes_exit_cleanly(&sqlite.url, short / 2),
    );
    if let Some(pg) = common::blank_postgres("processes") {
        check(
            "postgres::writer_processes_lose_nothing",
            writer_processes_lose_nothing(&pg, writers, writes),
        );
        check(
            "postgres::short_processes_exit_cleanly",
            short_processes_exit_cleanly(&pg.url, short),
        );
        check(
            "postgres::pools_built_in_a_loop_leave_no_threads_behind",
            pools_in_a_loop(&pg.url, 200),
        );
    }
    println!(
        "\ntest result: {}. {failed} failed",
        if failed == 0 { "ok" } else { "FAILED" }
    );
    if failed > 0 {
        std::process::exit(101);
    }
}

fn env_number(name: &str, default: i32) -> i32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Starts a writer process with `role` on `url`.
fn spawn(role: &str, url: &str, envs: &[(&str, String)]) -> std::io::Result<Child> {
    Command::new(std::env::current_exe()?)
        .env("GLOWPLUG_WRITER", role)
        .env("GLOWPLUG_WRITER_URL", url)
        .envs(envs.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
}

/// Waits for `child` at most until `deadline`; kills it if it hangs.
fn finish(mut child: Child, deadline: Instant) -> Result<(i32, String, String), String> {
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let out = std::thread::spawn(move || std::io::read_to_string(&mut stdout).unwrap_or_default());
    let err = std::thread::spawn(move || std::io::read_to_string(&mut stderr).unwrap_or_default());
    let code = loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(status) => break status.code().unwrap_or(-1),
            None if Instant::now() > deadline => {
                let _ = child.kill();
                return Err("a writer process hung".into());
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    Ok((
        code,
        out.join().unwrap_or_default(),
        err.join().unwrap_or_default(),
    ))
}

/// The `worker seq value` lines a writer printed for its commits.
fn parse_ledger(out: &str) -> Ledger {
    Ledger(
        out.lines()
            .filter_map(|line| {
                let mut it = line.split(' ').map(str::parse::<i64>);
                match (it.next(), it.next(), it.next()) {
                    (Some(Ok(w)), Some(Ok(s)), Some(Ok(v))) => Some((w as i32, s as i32, v)),
                    _ => None,
                }
            })
            .collect(),
    )
}

fn writer_processes_lose_nothing(
    test: &common::TestDb,
    writers: i32,
    writes: i32,
) -> common::TestResult {
    load::create_tables(&mut *test.get()?)?;
    let started = Instant::now();
    let children = (0..writers)
        .map(|id| {
            spawn(
                &format!("load:{id}"),
                &test.url,
                &[("GLOWPLUG_WRITES", writes.to_string())],
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut expected = Ledger::default();
    for (id, child) in children.into_iter().enumerate() {
        let (code, out, err) = finish(child, started + HANG)?;
        if code != 0 || err.contains("locked") {
            return Err(format!("writer {id} exited with {code}: {err}").into());
        }
        expected.0.extend(parse_ledger(&out).0);
    }
    let elapsed = started.elapsed();
    let mut conn = test.get()?;
    let total = usize::try_from(writers * THREADS_PER_WRITER * writes)?;
    assert_eq!(
        expected.0.len(),
        total,
        "every writer reported every commit"
    );
    let stored = Ledger::stored(&mut conn)?.sorted();
    let expected = expected.sorted();
    assert_eq!(stored.checksum(), expected.checksum(), "checksum");
    assert_eq!(stored, expected, "every committed row, and nothing else");
    assert_eq!(
        load::Tally::all(&mut conn)?[0].n,
        i64::try_from(total)?,
        "tally"
    );
    println!(
        "processes: {} {writers} processes x {THREADS_PER_WRITER} threads x {writes} transactions in {:.1} s: {total} rows checked (checksum {:016x}), no errors",
        conn.backend(),
        elapsed.as_secs_f64(),
        expected.checksum()
    );
    Ok(())
}

fn past_the_busy_timeout(test: &common::TestDb) -> common::TestResult {
    load::create_tables(&mut *test.get()?)?;
    // The holder takes the write lock and keeps it for 1.5 s.
    let mut holder = spawn("hold", &test.url, &[])?;
    let mut lines = BufReader::new(holder.stdout.take().expect("piped")).lines();
    let ready = lines.next().transpose()?.unwrap_or_default();
    assert_eq!(ready, "holding", "the holder took the lock");
    // Meanwhile a writer with a 200 ms busy timeout gives up.
    let impatient = spawn("impatient", &test.url, &[])?;
    let (code, _, err) = finish(impatient, Instant::now() + HANG)?;
    assert_eq!(code, 3, "the impatient writer saw Error::Busy: {err}");
    assert!(err.contains("locked by another writer"), "{err}");
    assert!(err.contains("nothing of this write was saved"), "{err}");
    let holder_status = holder.wait()?;
    assert!(holder_status.success(), "the holder committed");
    // Nothing lost: the holder's row is there, the impatient one's is not,
    // and writing it again now succeeds.
    let mut conn = test.get()?;
    assert_eq!(Ledger::stored(&mut conn)?, Ledger(vec![(0, 1, 10)]));
    db_write(&test.db, 1, 1, 11)?;
    assert_eq!(
        Ledger::stored(&mut conn)?.sorted(),
        Ledger(vec![(0, 1, 10), (1, 1, 11)])
    );
    assert_eq!(load::Tally::all(&mut conn)?[0].n, 2);
    println!(
        "processes: sqlite busy past the timeout: {}",
        err.lines().next().unwrap_or_default()
    );
    Ok(())
}

/// The threads of this process (Linux: `/proc/self/status`).
fn threads() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

/// Builds, uses and drops `count` pools on `url` one after another: the
/// threads each pool starts end with it (r2d2's default workers lived on
/// until their next scheduled job, up to 30 s, and a loop like this ran out
/// of threads).
fn pools_in_a_loop(url: &str, count: usize) -> common::TestResult {
    let before = threads();
    let mut most = before;
    for _ in 0..count {
        let db = Database::connect(url)?;
        diesel::sql_query("SELECT 1").execute(&mut db.get()?)?;
        drop(db);
        most = most.max(threads());
    }
    std::thread::sleep(Duration::from_millis(200));
    let after = threads();
    println!(
        "processes: {count} pools built and dropped: {before} threads before, at most {most}, {after} after"
    );
    if most > before + 64 || after > before + 4 {
        return Err(
            format!("threads piled up: {before} before, at most {most}, {after} after").into(),
        );
    }
    Ok(())
}

/// Runs `count` short programs on `url`, eight at a time; each must exit
/// with code 0, none by a signal.
fn short_processes_exit_cleanly(url: &str, count: i32) -> common::TestResult {
    let started = Instant::now();
    let mut failures = Vec::new();
    let mut running = std::collections::VecDeque::new();
    for i in 0..count {
        running.push_back(spawn("short", url, &[])?);
        if running.len() == 8 || i == count - 1 {
            while let Some(mut child) = running.pop_front() {
                let status = child.wait()?;
                if !status.success() {
                    let mut err = String::new();
                    if let Some(mut e) = child.stderr.take() {
                        let _ = std::io::Read::read_to_string(&mut e, &mut err);
                    }
                    failures.push(format!("{status}: {}", err.trim()));
                }
            }
        }
    }
    println!(
        "processes: {count} short programs in {:.1?}, {} did not exit cleanly",
        started.elapsed(),
        failures.len()
    );
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!("{} of {count} exited badly: {failures:?}", failures.len()).into())
    }
}

fn db_write(db: &Database, worker: i32, seq: i32, value: i64) -> glowplug::Result<()> {
    db.transaction(|c| load::write(c, worker, seq, value))
}

/// A writer process: returns its exit code (0 done, 1 failed, 3 busy).
fn child(role: &str) -> i32 {
    let url = std::env::var("GLOWPLUG_WRITER_URL").unwrap_or_default();
    let outcome = match role.split_once(':') {
        Some(("load", id)) => load_writer(&url, id.parse().unwrap_or(0)),
        _ if role == "hold" => hold_the_lock(&url),
        _ if role == "short" => Database::connect(&url).and_then(|db| {
            diesel::sql_query("SELECT 1").execute(&mut db.get()?)?;
            Ok(())
        }),
        _ if role == "impatient" => Database::builder(&url)
            .sqlite_busy_timeout(Duration::from_millis(200))
            .build()
            .and_then(|db| db_write(&db, 1, 1, 11)),
        _ => Err(Error::config(format!("unknown writer role {role}"))),
    };
    match outcome {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{e}");
            if matches!(e, Error::Busy { .. }) {
                3
            } else {
                1
            }
        }
    }
}

/// `THREADS_PER_WRITER` threads, each committing `GLOWPLUG_WRITES`
/// transactions and printing `worker seq value` after each commit.
fn load_writer(url: &str, id: i32) -> glowplug::Result<()> {
    let writes = env_number("GLOWPLUG_WRITES", 500);
    let db = Database::builder(url).max_size(2).build()?;
    let threads: Vec<_> = (0..THREADS_PER_WRITER)
        .map(|t| {
            let db = db.clone();
            std::thread::spawn(move || -> glowplug::Result<String> {
                let worker = id * THREADS_PER_WRITER + t;
                let mut rng = load::Rng(u64::try_from(worker).unwrap_or_default() + 17);
                let mut out = String::new();
                for seq in 1..=writes {
                    let value = (rng.next() >> 2) as i64;
                    db_write(&db, worker, seq, value)?;
                    out.push_str(&format!("{worker} {seq} {value}\n"));
                }
                Ok(out)
            })
        })
        .collect();
    for thread in threads {
        let out = thread
            .join()
            .map_err(|_| Error::config("a writer thread panicked".into()))??;
        print!("{out}");
    }
    Ok(())
}

/// Writes one row inside a transaction that holds the lock for 1.5 s.
fn hold_the_lock(url: &str) -> glowplug::Result<()> {
    let db = Database::connect(url)?;
    assert_eq!(db.backend(), Backend::Sqlite);
    db.transaction(|c| {
        load::write(c, 0, 1, 10)?;
        println!("holding");
        std::thread::sleep(Duration::from_millis(1500));
        Ok(())
    })
}
