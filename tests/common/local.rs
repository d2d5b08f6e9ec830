//! What every test harness file needs to know about the local machine, in
//! one place: the PostgreSQL server URL, a free port, and the rule for a
//! missing server or tool (a skip line, or a failure under `REQUIRE_PG=1`).
//! Included with `#[path]` by `setup.rs`, `cluster.rs` and `bouncer.rs`,
//! which the tests and the benches include in turn.

#![allow(dead_code)]

use std::io::Write;

/// The PostgreSQL database used when `PG_DATABASE_URL` is unset.
pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/glowplug_test";

/// The PostgreSQL server URL: `PG_DATABASE_URL`, or [`DEFAULT_PG_URL`].
pub fn pg_base_url() -> String {
    std::env::var("PG_DATABASE_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_owned())
}

/// Whether a missing PostgreSQL server or tool fails the test (`REQUIRE_PG=1`,
/// as `.ci/run` sets it) instead of skipping it.
pub fn require_pg() -> bool {
    std::env::var("REQUIRE_PG").is_ok_and(|v| v == "1")
}

/// Reports that `test` cannot run because of `why`: a `SKIP` line on stderr
/// (written straight there, so it shows for passing tests too), or a panic
/// under `REQUIRE_PG=1`.
pub fn skip(test: &str, why: &str) {
    if require_pg() {
        panic!("{why}; REQUIRE_PG=1 makes this a failure");
    }
    let _ = writeln!(std::io::stderr(), "SKIP {test}: {why}");
}

/// A TCP port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
