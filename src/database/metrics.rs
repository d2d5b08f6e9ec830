//! The pool's state and counters: [`PoolMetrics`], from
//! [`Database::metrics`](super::Database::metrics). The counters are
//! atomics bumped by checkouts (`super`) and by the connection manager
//! (`manager`) when it finds a connection broken.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// A snapshot of a pool: its connections now, and counters since it was built.
///
/// ```
/// # use glowplug::prelude::*;
/// let db = Database::connect("sqlite::memory:")?;
/// drop(db.get()?);
/// let m = db.metrics();
/// assert_eq!((m.connections, m.idle, m.in_use), (1, 1, 0));
/// assert_eq!(m.checkouts, 1);
/// # Ok::<(), glowplug::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolMetrics {
    /// Connections open (idle or in use).
    pub connections: u32,
    /// Connections open and waiting in the pool.
    pub idle: u32,
    /// Connections checked out.
    pub in_use: u32,
    /// Callers waiting for a connection right now.
    pub waiting: u64,
    /// Successful checkouts ([`Database::get`](super::Database::get) and
    /// everything that uses it).
    pub checkouts: u64,
    /// Checkouts that failed because no connection came within their timeout.
    pub checkout_timeouts: u64,
    /// Connections found broken and replaced: a failed health check, a
    /// lost connection or an unfinished transaction seen when it was returned.
    pub broken_replaced: u64,
    /// The time callers spent waiting for a connection, summed.
    pub total_wait: Duration,
}

/// The counters behind [`PoolMetrics`], shared by the pool's handles and
/// its connection manager.
#[derive(Default, Debug)]
pub(crate) struct Counters {
    checkouts: AtomicU64,
    timeouts: AtomicU64,
    broken: AtomicU64,
    waiting: AtomicU64,
    wait_nanos: AtomicU64,
}

impl Counters {
    pub(crate) fn checkout(&self) {
        self.checkouts.fetch_add(1, Relaxed);
    }

    pub(crate) fn timeout(&self) {
        self.timeouts.fetch_add(1, Relaxed);
    }

    pub(crate) fn broken(&self) {
        self.broken.fetch_add(1, Relaxed);
    }

    /// Counts a caller as waiting until the guard is dropped, and adds the
    /// wait to the total then.
    pub(crate) fn wait(&self) -> Waiting<'_> {
        self.waiting.fetch_add(1, Relaxed);
        Waiting {
            counters: self,
            start: std::time::Instant::now(),
        }
    }

    pub(crate) fn snapshot(&self, state: r2d2::State) -> PoolMetrics {
        PoolMetrics {
            connections: state.connections,
            idle: state.idle_connections,
            in_use: state.connections.saturating_sub(state.idle_connections),
            waiting: self.waiting.load(Relaxed),
            checkouts: self.checkouts.load(Relaxed),
            checkout_timeouts: self.timeouts.load(Relaxed),
            broken_replaced: self.broken.load(Relaxed),
            total_wait: Duration::from_nanos(self.wait_nanos.load(Relaxed)),
        }
    }
}

/// A caller waiting for a connection; see [`Counters::wait`].
pub(crate) struct Waiting<'a> {
    counters: &'a Counters,
    start: std::time::Instant,
}

impl Waiting<'_> {
    /// How long this caller has waited.
    pub(crate) fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        let waited = u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.counters.wait_nanos.fetch_add(waited, Relaxed);
        self.counters.waiting.fetch_sub(1, Relaxed);
    }
}
