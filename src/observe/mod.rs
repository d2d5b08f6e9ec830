//! Seeing what the database does: `tracing` events for every statement,
//! the slow-query log, query recording for tests, and the operation each
//! statement belongs to.
//!
//! Every connection of a [`Database`](crate::Database) pool carries one
//! diesel `Instrumentation`, glowplug's chain, which for each event:
//!
//! 1. watches for a lost PostgreSQL connection (so the pool drops it);
//! 2. emits `tracing` events and spans (below), when a subscriber wants them;
//! 3. logs statements slower than
//!    [`slow_query_threshold`](crate::DatabaseBuilder::slow_query_threshold)
//!    at WARN;
//! 4. hands each statement to the [`QueryRecorder`]s of the current thread;
//! 5. forwards the event to the application's own instrumentation
//!    ([`DatabaseBuilder::instrumentation`](crate::DatabaseBuilder::instrumentation)).
//!
//! The pool's health-check pings (`SELECT 1` on checkout) go through none of
//! 2–5 unless [`DatabaseBuilder::trace_health_checks`](crate::DatabaseBuilder::trace_health_checks)
//! asks for them.
//!
//! # Events and spans
//!
//! | target | level | what | fields |
//! |---|---|---|---|
//! | `glowplug::query` | DEBUG | event per statement | `sql`, `elapsed_ms`, `backend`, `model` and `operation` when run by the façade, `binds` when [`log_binds`](crate::DatabaseBuilder::log_binds) is on, `error` when it failed |
//! | `glowplug::slow_query` | WARN | event per statement over the threshold | as above, plus `threshold_ms` |
//! | `glowplug::operation` | DEBUG | span per façade call (`User::all`, `Post` eager load of `comments`) | `model`, `operation`, `relation`, `rows` (rows returned or written) |
//! | `glowplug::transaction` | DEBUG | span per transaction or savepoint, entered around the closure of [`crate::transaction`] (and so of `Database::transaction`), so your own events inside belong to it | `backend`, `depth`, `savepoint`, `outcome` (`commit`/`rollback`), `elapsed_ms` |
//! | `glowplug::pool` | DEBUG | span per checkout that had to wait; event when a pool opens | `wait_ms`; `url` (password replaced by `***`), `backend` |
//! | `glowplug::migrate` | INFO | span per migration applied or reverted | `version`, `direction`, `elapsed_ms` |
//!
//! diesel does not report row counts per statement, so `rows` is on the
//! operation span, where the façade knows them. Bind values are left out
//! by default, as they may hold personal data. The URL's password never
//! appears.
//!
//! When no subscriber is interested, a statement costs a few checks: no
//! clock is read and no SQL is formatted unless a recorder, a subscriber or
//! the slow-query threshold needs it (measured in `BENCHMARKS.md`).
//!
//! glowplug never installs a subscriber; the application does
//! (`tracing_subscriber::fmt().init()`), and the `glowplug` binary does for
//! `RUST_LOG` and `--verbose`.

mod instrument;
mod operation;
pub(crate) mod record;
mod text;

pub use instrument::instrument;
pub(crate) use instrument::{Observer, Settings, transaction_span};
pub use operation::Operation;
pub(crate) use operation::{scope, scope_relation};
pub use record::{QueryLog, QueryRecorder, Statement, count_queries};

/// A duration in milliseconds, as the events' `elapsed_ms` fields carry it.
pub(crate) fn millis(d: std::time::Duration) -> f64 {
    // Exact integer nanoseconds, divided once: 1 ns reads 1e-6, not 1.0000000000000002e-6.
    d.as_nanos() as f64 / 1_000_000.0
}
