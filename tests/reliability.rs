//! Reliability under load and faults: many threads on a small pool, panics
//! and errors inside transactions, and PostgreSQL connections that die.
//!
//! The load test runs for `GLOWPLUG_LOAD_SECS` seconds per backend (3 by
//! default); the figures it prints (`load: …` lines on stderr) are the ones
//! quoted in the README's reliability section.

mod common;
#[path = "common/load.rs"]
mod load;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::models::*;
use common::new_user;
use diesel::connection::SimpleConnection;
use glowplug::prelude::*;
use glowplug::{Backend, Error};
use load::{Ledger, Rng};

const THREADS: i32 = 64;
const POOL: u32 = 8;

/// What one worker thread did.
#[derive(Default)]
struct Work {
    committed: Vec<(i32, i32, i64)>,
    transactions: i64,
    rolled_back: usize,
    reads: usize,
}

/// One worker: a mix of read-then-write transactions (40 %), transactions
/// rolled back on purpose (10 %), single inserts outside a transaction (10 %)
/// and reads (40 %), until `deadline`.
fn worker(db: &Database, worker: i32, deadline: Instant) -> glowplug::Result<Work> {
    let mut rng = Rng(u64::try_from(worker).unwrap_or_default() * 7919 + 1);
    let mut work = Work::default();
    let mut seq = 0;
    while Instant::now() < deadline {
        let value = (rng.next() >> 2) as i64;
        match rng.next() % 10 {
            0..=3 => {
                seq += 1;
                db.transaction(|c| load::write(c, worker, seq, value))?;
                work.committed.push((worker, seq, value));
                work.transactions += 1;
            }
            4 => {
                seq += 1;
                let outcome: glowplug::Result<()> = db.transaction(|c| {
                    load::write(c, worker, seq, value)?;
                    Err(Error::invalid(
                        "LoadRow",
                        "value",
                        "refused",
                        "rolled back on purpose",
                    ))
                });
                assert!(matches!(outcome, Err(Error::Invalid(_))), "{outcome:?}");
                work.rolled_back += 1;
            }
            5 => {
                seq += 1;
                load::NewLoadRow { worker, seq, value }.insert(&mut db.get()?)?;
                work.committed.push((worker, seq, value));
            }
            6 | 7 => {
                load::LoadRow::count(&mut db.get()?)?;
                work.reads += 1;
            }
            _ => {
                let mut conn = db.get()?;
                let mine = load::LoadRow::query()
                    .filter(load::load_rows::worker.eq(worker))
                    .count()
                    .get_result::<i64>(&mut conn)?;
                let expected = work.committed.len();
                assert_eq!(
                    usize::try_from(mine).unwrap_or(usize::MAX),
                    expected,
                    "worker {worker} reads its own committed writes"
                );
                work.reads += 1;
            }
        }
    }
    Ok(work)
}

backend_tests! {
    fn sixty_four_threads_share_a_pool_of_eight_and_lose_nothing(db) {
        let duration = load::secs_from_env("GLOWPLUG_LOAD_SECS", 3);
        let pool = Database::builder(&db.url)
            .max_size(POOL)
            .connection_timeout(Duration::from_secs(30))
            .build()?;
        load::create_tables(&mut *pool.get()?)?;

        let started = Instant::now();
        let deadline = started + duration;
        let (done, results) = mpsc::channel();
        for id in 0..THREADS {
            let (pool, done) = (pool.clone(), done.clone());
            std::thread::spawn(move || {
                let outcome = catch_unwind(AssertUnwindSafe(|| worker(&pool, id, deadline)));
                let _ = done.send((id, outcome.map_err(|_| ()).map(|r| r.map_err(|e| e.to_string()))));
            });
        }
        // Every thread must report back well after the deadline: a thread
        // stuck on a checkout or a lock is a hang, and fails the test.
        let give_up = deadline + Duration::from_secs(60);
        let mut expected = Ledger::default();
        let (mut transactions, mut rolled_back, mut reads) = (0, 0, 0);
        for _ in 0..THREADS {
            let wait = give_up.saturating_duration_since(Instant::now());
            let (id, outcome) = results.recv_timeout(wait).map_err(|_| "a worker thread hung")?;
            let work = match outcome {
                Ok(Ok(work)) => work,
                Ok(Err(e)) => return Err(format!("worker {id} failed: {e}").into()),
                Err(()) => return Err(format!("worker {id} panicked").into()),
            };
            expected.0.extend(work.committed);
            transactions += work.transactions;
            rolled_back += work.rolled_back;
            reads += work.reads;
        }
        let elapsed = started.elapsed();

        let mut conn = pool.get()?;
        let stored = Ledger::stored(&mut conn)?;
        let (expected, stored) = (expected.sorted(), stored.sorted());
        assert_eq!(stored.0.len(), expected.0.len(), "row count");
        assert_eq!(stored.checksum(), expected.checksum(), "row checksum");
        assert_eq!(stored, expected, "every committed write, and nothing else");
        // Every committed write transaction incremented the tally once; none
        // of the rolled-back ones did.
        let tally = load::Tally::all(&mut conn)?;
        assert_eq!(tally[0].n, transactions, "tally");
        assert!(expected.0.len() > 100, "the workload wrote: {}", expected.0.len());
        eprintln!(
            "load: {} {THREADS} threads / pool {POOL}, {:.1} s: {} rows committed and checked (checksum {:016x}), {rolled_back} transactions rolled back, {reads} reads",
            conn.backend(),
            elapsed.as_secs_f64(),
            expected.0.len(),
            expected.checksum(),
        );
        drop(conn);

        // Once all eight connections are out, a checkout fails with a pool
        // error within its deadline instead of waiting for ever.
        let held: Vec<_> = (0..POOL).map(|_| pool.get()).collect::<Result<_, _>>()?;
        let asked = Instant::now();
        let err = pool.get_timeout(Duration::from_millis(300)).unwrap_err();
        assert!(matches!(err, Error::Pool { .. }), "{err:?}");
        assert!(asked.elapsed() < Duration::from_secs(5), "took {:?}", asked.elapsed());
        drop(held);
        assert!(pool.get_timeout(Duration::from_secs(5)).is_ok());
        Ok(())
    }

    fn a_panic_inside_a_transaction_rolls_back_and_the_connection_stays_usable(db) {
        // Through the pool: the connection goes back clean.
        let caught = catch_unwind(AssertUnwindSafe(|| {
            db.transaction(|c| -> glowplug::Result<()> {
                new_user("doomed").insert(c)?;
                panic!("a bug in a request handler");
            })
        }));
        assert!(caught.is_err());
        assert_eq!(User::count(&mut db.get()?)?, 0);

        // On a connection the caller keeps using after catching the panic.
        let mut conn = db.get()?;
        let caught = catch_unwind(AssertUnwindSafe(|| {
            glowplug::transaction(&mut *conn, |c| -> glowplug::Result<()> {
                new_user("doomed-too").insert(c)?;
                panic!("another bug");
            })
        }));
        assert!(caught.is_err());
        new_user("after").insert(&mut conn)?;
        // Seen from another connection: the write above was committed, not
        // swallowed by a transaction the panic left open.
        assert_eq!(User::count(&mut db.get()?)?, 1);

        // A panic in a savepoint, caught inside the outer transaction, rolls
        // back only the savepoint.
        glowplug::transaction(&mut *conn, |c| {
            new_user("outer").insert(c)?;
            let inner = catch_unwind(AssertUnwindSafe(|| {
                glowplug::transaction(c, |c| -> glowplug::Result<()> {
                    new_user("inner").insert(c)?;
                    panic!("inside the savepoint");
                })
            }));
            assert!(inner.is_err());
            new_user("outer-again").insert(c)?;
            Ok::<_, Error>(())
        })?;
        let mut names: Vec<String> = User::all(&mut conn)?.into_iter().map(|u| u.username).collect();
        names.sort();
        assert_eq!(names, ["after", "outer", "outer-again"]);
        Ok(())
    }

    fn an_error_in_a_nested_savepoint_rolls_back_only_that_savepoint(db) {
        let mut conn = db.get()?;
        glowplug::transaction(&mut *conn, |c| {
            new_user("kept").insert(c)?;
            let inner: glowplug::Result<()> = glowplug::transaction(c, |c| {
                new_user("dropped").insert(c)?;
                new_user("kept").insert(c)?; // a unique violation
                Ok(())
            });
            assert!(matches!(inner, Err(Error::UniqueViolation { .. })), "{inner:?}");
            // Two levels deep: the innermost fails, the middle one commits.
            glowplug::transaction(c, |c| {
                new_user("middle").insert(c)?;
                let innermost: glowplug::Result<()> = glowplug::transaction(c, |c| {
                    new_user("innermost").insert(c)?;
                    Err(Error::not_found("User", 0))
                });
                assert!(innermost.is_err());
                Ok::<_, Error>(())
            })?;
            Ok::<_, Error>(())
        })?;
        let mut names: Vec<String> = User::all(&mut conn)?.into_iter().map(|u| u.username).collect();
        names.sort();
        assert_eq!(names, ["kept", "middle"]);
        Ok(())
    }

    fn concurrent_read_then_write_transactions_both_commit(db) {
        // Two connections: one holds a write transaction for a while; the
        // other runs a read-then-write transaction meanwhile. On SQLite it
        // waits for the first (BEGIN IMMEDIATE) instead of failing with
        // "database is locked"; on PostgreSQL it reads the last committed
        // state without waiting.
        let mut first = db.get()?;
        let db2 = db.db.clone();
        let (wait, started) = mpsc::channel();
        let other = std::thread::spawn(move || {
            started.recv().ok();
            db2.transaction(|c| {
                let n = User::count(c)?;
                new_user(&format!("second-{n}")).insert(c)?;
                Ok::<_, Error>(n)
            })
        });
        glowplug::transaction(&mut *first, |c| {
            new_user("first").insert(c)?;
            wait.send(()).ok();
            std::thread::sleep(Duration::from_millis(300));
            Ok::<_, Error>(())
        })?;
        let seen = other.join().map_err(|_| "the second writer panicked")??;
        let expected = if first.backend() == Backend::Sqlite { 1 } else { 0 };
        assert_eq!(seen, expected, "rows the second transaction saw");
        assert_eq!(User::count(&mut first)?, 2);
        Ok(())
    }
}

/// The backend PID of a pooled PostgreSQL connection.
fn backend_pid(conn: &mut AnyConnection) -> glowplug::Result<i32> {
    #[derive(diesel::QueryableByName)]
    struct Pid {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        pid: i32,
    }
    let row: Pid = diesel::sql_query("SELECT pg_backend_pid() AS pid").get_result(conn)?;
    Ok(row.pid)
}

/// Ends a PostgreSQL session from another connection and waits until it is gone.
fn terminate(admin: &mut AnyConnection, pid: i32) -> glowplug::Result<()> {
    admin.batch_execute(&format!("SELECT pg_terminate_backend({pid}, 5000)"))?;
    Ok(())
}

/// A pool of one connection, so "the next checkout" is the replacement.
fn pool_of_one(url: &str, health_check: bool) -> glowplug::Result<Database> {
    Database::builder(url)
        .max_size(1)
        .test_on_check_out(health_check)
        .connection_timeout(Duration::from_secs(5))
        .build()
}

#[test]
fn a_connection_killed_inside_a_transaction_fails_the_caller_and_is_replaced() -> common::TestResult
{
    let Some(test) = common::postgres("killed_inside_a_transaction") else {
        return Ok(());
    };
    let mut admin = test.get()?;
    for health_check in [true, false] {
        let db = pool_of_one(&test.url, health_check)?;
        let mut killed = 0;
        let outcome: glowplug::Result<()> = db.transaction(|c| {
            new_user("half").insert(c)?;
            killed = backend_pid(c)?;
            terminate(&mut admin, killed)?;
            new_user("other-half").insert(c)?;
            Ok(())
        });
        let err = outcome.unwrap_err();
        assert!(matches!(err, Error::ConnectionLost { .. }), "{err:?}");
        assert!(err.to_string().contains("connection was lost"), "{err}");
        // Nothing of the transaction was kept.
        assert_eq!(User::count(&mut admin)?, 0);
        // The pool (of one) replaced the dead connection: the next checkout works.
        let mut conn = db.get()?;
        assert_ne!(
            backend_pid(&mut conn)?,
            killed,
            "health check {health_check}"
        );
        new_user("next").insert(&mut conn)?;
        assert_eq!(User::count(&mut conn)?, 1);
        User::query().count().get_result::<i64>(&mut admin)?;
        diesel::delete(users::table).execute(&mut conn)?;
    }
    Ok(())
}

#[test]
fn a_connection_killed_while_idle_is_replaced_with_or_without_the_health_check()
-> common::TestResult {
    let Some(test) = common::postgres("killed_while_idle") else {
        return Ok(());
    };
    let mut admin = test.get()?;
    for health_check in [true, false] {
        let db = pool_of_one(&test.url, health_check)?;
        let idle = backend_pid(&mut *db.get()?)?;
        terminate(&mut admin, idle)?;
        let mut conn = db.get()?;
        if health_check {
            // The ping on checkout found it dead and opened another.
            assert_ne!(backend_pid(&mut conn)?, idle);
        } else {
            // Handed out unchecked: its first statement fails, clearly...
            let err = User::count(&mut conn).unwrap_err();
            assert!(matches!(err, Error::ConnectionLost { .. }), "{err:?}");
            drop(conn);
            // ...and the pool does not hand it out again.
            conn = db.get()?;
            assert_ne!(backend_pid(&mut conn)?, idle);
        }
        assert_eq!(User::count(&mut conn)?, 0);
    }
    Ok(())
}

#[test]
fn database_transaction_on_sqlite_begins_immediate() -> common::TestResult {
    let test = common::sqlite("begins_immediate");
    let mut conn = test.get()?;
    let queries = glowplug::QueryRecorder::start();
    glowplug::transaction(&mut *conn, |c| {
        glowplug::transaction(c, User::count)?;
        Ok::<_, Error>(())
    })?;
    let sent = queries.take();
    assert_eq!(
        sent.first().map(|s| s.sql.as_str()),
        Some("BEGIN IMMEDIATE"),
        "{sent:?}"
    );
    assert!(
        sent.iter().any(|q| q.sql.starts_with("SAVEPOINT")),
        "{sent:?}"
    );
    assert_eq!(conn.backend(), Backend::Sqlite);
    Ok(())
}
