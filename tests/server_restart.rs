//! A PostgreSQL server that goes away and comes back, on a throwaway cluster
//! the test starts itself (see `common/cluster.rs`): while it is down every
//! call fails within its timeout, and afterwards the same pool works again,
//! within about a second of the server's return after an 8-second outage.
//! Every error and every log line of the pool (r2d2 logs its failed
//! reconnection attempts) is scanned for the password.

#[path = "common/cluster.rs"]
mod cluster;
mod common;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use glowplug::Error;
use glowplug::prelude::*;

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn rows(conn: &mut AnyConnection) -> glowplug::Result<i64> {
    let row: Count = diesel::sql_query("SELECT COUNT(*) AS n FROM survivors").get_result(conn)?;
    Ok(row.n)
}

/// The rows through a fresh checkout of `db`, or the error.
fn rows_via(db: &Database) -> glowplug::Result<i64> {
    rows(&mut *db.get()?)
}

/// The log lines of this test binary (the `log` crate's facade).
struct Capture(Mutex<Vec<String>>);

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        let line = format!("{} {}: {}", record.level(), record.target(), record.args());
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(line);
    }
    fn flush(&self) {}
}

static LOG: Capture = Capture(Mutex::new(Vec::new()));

const TIMEOUT: Duration = Duration::from_secs(2);
/// How long the server stays down: long enough for r2d2's reconnect backoff
/// to have grown to 6.4 s, had it not been capped.
const OUTAGE: Duration = Duration::from_secs(8);
/// Generous: the machine is shared. What matters is "bounded", not "fast".
const BOUND: Duration = Duration::from_secs(15);

#[test]
fn the_pool_recovers_by_itself_after_the_server_restarts() -> common::TestResult {
    let Some(server) =
        cluster::Cluster::start("the_pool_recovers_by_itself_after_the_server_restarts")
    else {
        return Ok(());
    };
    log::set_logger(&LOG).map_err(|e| e.to_string())?;
    log::set_max_level(log::LevelFilter::Trace);
    let url = server.url(cluster::PASSWORD);
    let pool = |health_check: bool| {
        Database::builder(&url)
            .max_size(2)
            .test_on_check_out(health_check)
            .connection_timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .build()
    };
    let checked = pool(true)?;
    let unchecked = pool(false)?;
    // Default connection timeout (30 s), and connections kept open: while
    // the server is down every slot is a connection being reopened.
    let kept = Database::builder(&url)
        .max_size(2)
        .min_idle(2)
        .connect_timeout(TIMEOUT)
        .build()?;
    assert_eq!(rows_via(&kept).ok(), None, "no table yet");
    checked.get()?.batch_execute(
        "CREATE TABLE survivors (id INTEGER PRIMARY KEY); INSERT INTO survivors VALUES (1), (2);",
    )?;
    assert_eq!(rows_via(&unchecked)?, 2);
    let mut held = checked.get()?;

    server.stop_server();
    let down = Instant::now();

    // While the server is down: errors within the timeouts, never a hang.
    let timed = |what: &str, f: &mut dyn FnMut() -> glowplug::Result<i64>| {
        let started = Instant::now();
        let outcome = f();
        let took = started.elapsed();
        assert!(took < BOUND, "{what} took {took:?}");
        eprintln!("server down: {what}: {took:.1?}: {outcome:?}");
        let err = outcome.expect_err(what);
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains(cluster::PASSWORD), "{shown}");
        err
    };
    let err = timed(
        "a statement on a connection held across the stop",
        &mut || rows(&mut held),
    );
    assert!(matches!(err, Error::ConnectionLost { .. }), "{err:?}");
    drop(held);
    let err = timed("a checkout with the health check", &mut || {
        rows_via(&checked)
    });
    assert!(matches!(err, Error::Pool { .. }), "{err:?}");
    assert!(
        err.to_string().contains("no database connection available"),
        "{err}"
    );
    // Without the health check, an idle connection is handed out dead and its
    // first statement fails; once none is left, the checkout itself fails.
    let err = timed("a statement without the health check", &mut || {
        rows_via(&unchecked)
    });
    assert!(
        matches!(err, Error::ConnectionLost { .. } | Error::Pool { .. }),
        "{err:?}"
    );
    let err = timed("opening a new pool", &mut || {
        Database::connect(&url).map(|_| 0)
    });
    assert!(matches!(err, Error::Connection { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains(cluster::PASSWORD));

    // The kept connections die at a checkout; the pool reopens them in the
    // background, and r2d2 backs off longer after each failure.
    let err = kept.get_timeout(Duration::from_millis(500)).unwrap_err();
    assert!(matches!(err, Error::Pool { .. }), "{err:?}");
    std::thread::sleep(OUTAGE.saturating_sub(down.elapsed()));

    server.start_server();

    // Back: the first checkout of the pool on default settings succeeds
    // within about a second, whatever the outage's length.
    let started = Instant::now();
    assert_eq!(rows_via(&kept)?, 2);
    let first = started.elapsed();
    eprintln!(
        "server back after {:.1?} down: the first checkout of a pool on default settings took {first:.2?}",
        down.elapsed() - first
    );
    assert!(first < Duration::from_secs(2), "took {first:?}");

    // The same pools work again, without being rebuilt.
    let started = Instant::now();
    assert_eq!(
        rows_via(&checked)?,
        2,
        "the health check replaces dead connections at once"
    );
    let mut failures = 0;
    let recovered = loop {
        match rows_via(&unchecked) {
            Ok(n) => break n,
            Err(e) => {
                assert!(matches!(e, Error::ConnectionLost { .. }), "{e:?}");
                failures += 1;
                assert!(
                    failures <= 2,
                    "each dead connection fails once, then is replaced"
                );
            }
        }
    };
    assert_eq!(recovered, 2, "committed rows survive the restart");
    let lines = std::mem::take(&mut *LOG.0.lock().unwrap_or_else(|e| e.into_inner()));
    assert!(
        !lines.is_empty(),
        "the pool logged its failed reconnections"
    );
    for line in &lines {
        assert!(!line.contains(cluster::PASSWORD), "{line}");
    }
    eprintln!("{} log lines scanned; the first: {}", lines.len(), lines[0]);
    // Pools that keep connections open (`min_idle`, and every `:memory:`
    // pool) close without logging an error.
    drop(kept);
    drop(Database::connect("sqlite::memory:")?);
    std::thread::sleep(Duration::from_millis(300));
    let lines = std::mem::take(&mut *LOG.0.lock().unwrap_or_else(|e| e.into_inner()));
    assert!(
        !lines.iter().any(|l| l.starts_with("ERROR")),
        "closing logged errors: {lines:?}"
    );
    eprintln!(
        "server back: recovered in {:.1?}; {failures} statement(s) failed on dead connections without the health check",
        started.elapsed()
    );
    Ok(())
}
