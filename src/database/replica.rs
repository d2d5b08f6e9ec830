//! Read replicas: PostgreSQL streaming replicas that serve reads, with
//! read-your-writes by WAL position.
//!
//! A [`Database`] built with [`DatabaseBuilder::replica`](super::DatabaseBuilder::replica)
//! keeps one pool for the primary and one per replica. Everything that
//! writes, locks or migrates uses the primary, as before: [`Database::get`],
//! [`Database::transaction`], the migrator. Reads go to a replica when the
//! caller asks: [`Database::read`] hands out a connection for reads, and
//! every model method takes it like any other connection
//! (`User::all(&mut db.read()?)`, filters, counts, eager loads);
//! [`Database::reading`] runs a closure on one.
//!
//! ```no_run
//! # use glowplug::prelude::*;
//! let db = Database::builder("postgres://app@primary/app")
//!     .replica("postgres://app@replica-1/app")
//!     .replica("postgres://app@replica-2/app")
//!     .build()?;
//! let mut conn = db.get()?; // the primary
//! diesel::sql_query("INSERT INTO notes (body) VALUES ('hi')").execute(&mut conn)?;
//! drop(conn); // its WAL position is noted as it goes back to the pool
//! let mut read = db.read()?; // a replica that has replayed that insert, or the primary
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Which server answers a read
//!
//! Replicas take turns (round robin). A replica is skipped when:
//!
//! * **it cannot be reached**: its checkout waits at most
//!   [`replica_checkout_timeout`](super::DatabaseBuilder::replica_checkout_timeout)
//!   (1 s by default; a refused connection fails at once), then the replica
//!   rests for [`replica_retry`](super::DatabaseBuilder::replica_retry) (5 s)
//!   before it is tried again, so a dead replica costs one timeout per
//!   retry period, not one per read;
//! * **it has not replayed the writes the read must see** (below);
//! * **it lags more than
//!   [`max_replica_lag`](super::DatabaseBuilder::max_replica_lag)**, when
//!   that is set: the lag is PostgreSQL's usual estimate (zero when the
//!   replica has replayed all it received, else the time since the last
//!   transaction it replayed committed);
//! * **it is no longer a replica**: a promoted server (`pg_is_in_recovery()`
//!   false) no longer receives the primary's writes, so it serves no reads
//!   from this `Database` until it is a replica again; a warning says so.
//!
//! A replica's state (in recovery, replayed position, lag) is one short
//! statement, sent at most once a second per replica, or when a read
//! needs a newer position than the replica was last seen to have.
//!
//! When no replica can serve a read, the read goes to the primary, or fails
//! with [`Error::Pool`] listing why each replica was skipped, as
//! [`replica_fallback`](super::DatabaseBuilder::replica_fallback) says
//! ([`ReplicaFallback::Primary`] by default). A read connection whose
//! replica dies while it is held fails like any lost connection
//! ([`Error::ConnectionLost`]); glowplug does not retry it elsewhere.
//!
//! # Read-your-writes by WAL position
//!
//! Every write on the primary advances its write-ahead log (WAL); a replica
//! shows a write once it has replayed the log up to that write's position.
//! glowplug compares positions, not clocks (Rails, Django and Laravel pin
//! reads to the primary for a fixed time after a write instead):
//!
//! * **Per `Database`** (the default): when a primary connection that ran a
//!   statement other than a read goes back to the pool, glowplug reads the
//!   primary's position (`pg_current_wal_lsn()`, one extra statement per
//!   such checkout, and only when replicas are configured) and keeps the
//!   highest one seen ([`Database::written`]). [`Database::read`] then uses
//!   only replicas that have replayed that far (`pg_last_wal_replay_lsn()`,
//!   asked only when the replica's last known position is older than the
//!   one needed). A write is noted when its connection returns to the pool,
//!   so read after dropping (or leaving the transaction of) the connection
//!   that wrote.
//! * **Per user session**: take the position after your write with
//!   [`WalPosition::current`], give it to the client (it prints as
//!   PostgreSQL does, `0/16B3748`, and parses back with [`str::parse`]),
//!   and read with [`Database::read_after`]. [`Database::read_any`] reads
//!   without any position (any replica within the lag limit).
//!
//! A replica behind the position needed is waited for up to
//! [`replica_wait`](super::DatabaseBuilder::replica_wait) (zero by
//! default: the read goes straight to the primary), checking every few
//! milliseconds.
//!
//! SQLite has no replication: a replica on a SQLite `Database` is an
//! [`Error::Config`] from [`build`](super::DatabaseBuilder::build).

use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use diesel::RunQueryDsl;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Bool, Double, Text};

use super::{Database, PooledConnection, manager};
use crate::connection::{AnyConnection, BackendConnection, DbConnection, PgConnection};
use crate::error::{Error, Result};

/// How often a replica's state (in recovery, lag) is read, at most, when
/// no read needs a newer position.
const STATUS_INTERVAL: Duration = Duration::from_secs(1);

/// How long a read waiting for a replica to catch up sleeps between checks.
const WAIT_STEP: Duration = Duration::from_millis(5);

/// A position in PostgreSQL's write-ahead log (an LSN): where a write
/// ended on the primary, or how far a replica has replayed.
///
/// It prints and parses as PostgreSQL writes it (`0/16B3748`), so it can be
/// carried in a cookie or a header; positions compare in log order.
///
/// ```
/// use glowplug::database::WalPosition;
/// let p: WalPosition = "1/A0".parse()?;
/// assert_eq!(p.to_string(), "1/A0");
/// assert!(p > "0/FFFFFFFF".parse()?);
/// assert!("banana".parse::<WalPosition>().is_err());
/// # Ok::<(), glowplug::database::ParseWalPositionError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WalPosition(u64);

impl WalPosition {
    /// The start of the log: every server has replayed it.
    pub const ZERO: WalPosition = WalPosition(0);

    /// The position as one number (PostgreSQL's `pg_lsn` as 64 bits).
    pub fn as_u64(self) -> u64 {
        self.0
    }

    /// The primary's current write position (`pg_current_wal_lsn()`): take
    /// it after a write commits and read with [`Database::read_after`] to
    /// see that write. On SQLite, which has no replicas, it is
    /// [`ZERO`](Self::ZERO). On a replica it is an error (PostgreSQL
    /// refuses: "recovery is in progress").
    pub fn current<C: DbConnection + ?Sized>(conn: &mut C) -> Result<WalPosition> {
        match conn.backend_connection() {
            BackendConnection::Sqlite(_) => Ok(WalPosition::ZERO),
            BackendConnection::Postgres(pg) => {
                let lsn: String = Fixed::<Position>::STATEMENT.get_result(pg)?;
                lsn.parse().map_err(|e: ParseWalPositionError| {
                    Error::config(format!("the server sent {e}"))
                })
            }
        }
    }
}

impl fmt::Display for WalPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:X}/{:X}", self.0 >> 32, self.0 & 0xFFFF_FFFF)
    }
}

/// The text given to [`WalPosition`]'s `parse` was not a WAL position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a WAL position: expected two hexadecimal numbers separated by `/`, as pg_current_wal_lsn() prints them (e.g. 0/16B3748)"
)]
pub struct ParseWalPositionError(String);

impl FromStr for WalPosition {
    type Err = ParseWalPositionError;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        let bad = || ParseWalPositionError(s.chars().take(40).collect());
        let (hi, lo) = s.trim().split_once('/').ok_or_else(bad)?;
        let half = |h: &str| {
            if h.is_empty() || h.len() > 8 {
                return Err(bad());
            }
            u32::from_str_radix(h, 16).map_err(|_| bad())
        };
        Ok(WalPosition(
            (u64::from(half(hi)?) << 32) | u64::from(half(lo)?),
        ))
    }
}

/// What a read does when no replica can serve it (every replica down,
/// behind the position needed or lagging too much).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReplicaFallback {
    /// Read from the primary (the default).
    #[default]
    Primary,
    /// Fail with [`Error::Pool`], which says why each replica was skipped.
    Fail,
}

/// The replica settings of a [`DatabaseBuilder`](super::DatabaseBuilder).
#[derive(Clone, Debug)]
pub(super) struct ReplicaSettings {
    pub(super) urls: Vec<String>,
    pub(super) fallback: ReplicaFallback,
    pub(super) wait: Duration,
    pub(super) max_lag: Option<Duration>,
    pub(super) checkout_timeout: Duration,
    pub(super) retry: Duration,
}

impl Default for ReplicaSettings {
    fn default() -> Self {
        ReplicaSettings {
            urls: Vec::new(),
            fallback: ReplicaFallback::Primary,
            wait: Duration::ZERO,
            max_lag: None,
            checkout_timeout: Duration::from_secs(1),
            retry: Duration::from_secs(5),
        }
    }
}

/// The replicas of a primary [`Database`], and the highest WAL position its
/// connections have written.
pub(super) struct Replicas {
    servers: Vec<Replica>,
    next: AtomicUsize,
    settings: ReplicaSettings,
}

/// One replica's pool and what is known of it.
struct Replica {
    db: Database,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Not tried again before this instant, and why.
    resting: Option<(Instant, String)>,
    /// The highest position it was seen to have replayed.
    replayed: WalPosition,
    /// Its lag, and when that was read.
    lag: Option<(Instant, Duration)>,
}

/// Whether a replica can serve a read.
enum Fit {
    Yes,
    /// Reachable, but behind what the read needs; waiting may help.
    Behind(String),
}

impl Replicas {
    pub(super) fn new(servers: Vec<Database>, settings: ReplicaSettings) -> Replicas {
        Replicas {
            servers: servers
                .into_iter()
                .map(|db| Replica {
                    db,
                    state: Mutex::new(State::default()),
                })
                .collect(),
            next: AtomicUsize::new(0),
            settings,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.servers.len()
    }

    /// A connection to a replica that can serve a read needing `at`, or
    /// the fallback's answer.
    pub(super) fn read(&self, primary: &Database, at: WalPosition) -> Result<PooledConnection> {
        let n = self.servers.len();
        let first = self.next.fetch_add(1, Ordering::Relaxed);
        let mut skipped = Vec::new();
        let mut behind = None;
        for i in 0..n {
            let index = (first + i) % n;
            let replica = &self.servers[index];
            let name = || format!("replica {} ({})", index + 1, replica.db.url());
            if let Some(why) = replica.resting() {
                skipped.push(format!("{}: {why}", name()));
                continue;
            }
            let mut conn = match replica.db.get_timeout(self.settings.checkout_timeout) {
                Ok(conn) => conn,
                Err(e) => {
                    replica.rest(&name(), e.to_string(), self.settings.retry);
                    skipped.push(format!("{}: {e}", name()));
                    continue;
                }
            };
            match replica.fit(&mut conn, at, self.settings.max_lag, false) {
                Ok(Fit::Yes) => {
                    tracing::debug!(target: "glowplug::replica", replica = index + 1, at = %at, "read from a replica");
                    return Ok(conn);
                }
                Ok(Fit::Behind(why)) => {
                    skipped.push(format!("{}: {why}", name()));
                    behind.get_or_insert((index, conn));
                }
                Err(why) => {
                    replica.rest(&name(), why.clone(), self.settings.retry);
                    skipped.push(format!("{}: {why}", name()));
                }
            }
        }
        if let Some((index, mut conn)) = behind
            && !self.settings.wait.is_zero()
        {
            let replica = &self.servers[index];
            let deadline = Instant::now() + self.settings.wait;
            while Instant::now() < deadline {
                std::thread::sleep(
                    WAIT_STEP.min(deadline.saturating_duration_since(Instant::now())),
                );
                match replica.fit(&mut conn, at, self.settings.max_lag, true) {
                    Ok(Fit::Yes) => return Ok(conn),
                    Ok(Fit::Behind(_)) => {}
                    Err(_) => break,
                }
            }
        }
        match self.settings.fallback {
            ReplicaFallback::Primary => {
                tracing::debug!(target: "glowplug::replica", at = %at, skipped = %skipped.join("; "), "read from the primary");
                primary.get()
            }
            ReplicaFallback::Fail => Err(Error::pool(format!(
                "no replica can serve this read ({}); wait for the replicas, raise replica_wait or max_replica_lag, or set replica_fallback(ReplicaFallback::Primary)",
                skipped.join("; ")
            ))),
        }
    }
}

impl Replica {
    /// Why this replica is resting, if it is.
    fn resting(&self) -> Option<String> {
        let mut state = lock(&self.state);
        match &state.resting {
            Some((until, why)) if Instant::now() < *until => {
                Some(format!("skipped until it is retried ({why})"))
            }
            Some(_) => {
                state.resting = None;
                None
            }
            None => None,
        }
    }

    fn rest(&self, name: &str, why: String, retry: Duration) {
        tracing::warn!(target: "glowplug::replica", replica = name, reason = %why, retry_in_ms = crate::observe::millis(retry), "replica skipped");
        lock(&self.state).resting = Some((Instant::now() + retry, why));
    }

    /// Whether the replica behind `conn` has replayed `at` and lags no more
    /// than `max_lag`, asking the server only when what is known does not
    /// answer (or `fresh` says to ask). An error means it is unusable.
    fn fit(
        &self,
        conn: &mut AnyConnection,
        at: WalPosition,
        max_lag: Option<Duration>,
        fresh: bool,
    ) -> std::result::Result<Fit, String> {
        let (known, lag) = {
            let state = lock(&self.state);
            (state.replayed, state.lag)
        };
        let lag_stale = lag.is_none_or(|(when, _)| when.elapsed() >= STATUS_INTERVAL);
        let (replayed, lag) = if fresh || at > known || lag_stale {
            let status = manager::quietly(conn, status).map_err(|e| e.to_string())?;
            if !status.in_recovery {
                return Err(
                    "it is not in recovery (promoted?), so it no longer receives the primary's writes"
                        .into(),
                );
            }
            let replayed: WalPosition = status.replayed.parse().map_err(|e| format!("{e}"))?;
            let lag = Duration::from_secs_f64(status.lag_ms.max(0.0) / 1000.0);
            let mut state = lock(&self.state);
            state.replayed = state.replayed.max(replayed);
            state.lag = Some((Instant::now(), lag));
            (state.replayed, Some(lag))
        } else {
            (known, lag.map(|(_, l)| l))
        };
        if replayed < at {
            return Ok(Fit::Behind(format!(
                "it has replayed the log to {replayed}, the read needs {at}"
            )));
        }
        if let (Some(max), Some(lag)) = (max_lag, lag)
            && lag > max
        {
            return Ok(Fit::Behind(format!(
                "it lags {lag:?}, more than max_replica_lag ({max:?})"
            )));
        }
        Ok(Fit::Yes)
    }
}

/// A fixed statement that diesel prepares once per connection and caches
/// (its query id is its type), unlike `sql_query`: a check then costs one
/// round trip instead of a prepare and an execute.
trait FixedSql: 'static {
    const SQL: &'static str;
    type SqlType;
}

/// The primary's write position.
struct Position;

impl FixedSql for Position {
    const SQL: &'static str = "SELECT pg_current_wal_lsn()::text";
    type SqlType = Text;
}

/// A replica's recovery state, replayed position and lag (ms).
struct ReplicaStatus;

impl FixedSql for ReplicaStatus {
    const SQL: &'static str = "SELECT pg_is_in_recovery(), \
         COALESCE(pg_last_wal_replay_lsn(), '0/0')::text, \
         (CASE WHEN pg_last_wal_receive_lsn() IS NULL \
                 OR pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() THEN 0 \
               ELSE COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000, 0) \
          END)::float8";
    type SqlType = (Bool, Text, Double);
}

/// The statement `Q`, to run.
struct Fixed<Q>(std::marker::PhantomData<Q>);

impl<Q> Fixed<Q> {
    const STATEMENT: Fixed<Q> = Fixed(std::marker::PhantomData);
}

impl<Q: FixedSql> QueryId for Fixed<Q> {
    type QueryId = Q;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<Q: FixedSql> QueryFragment<Pg> for Fixed<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> diesel::QueryResult<()> {
        out.push_sql(Q::SQL);
        Ok(())
    }
}

impl<Q: FixedSql> Query for Fixed<Q> {
    type SqlType = Q::SqlType;
}

impl<Q: FixedSql> RunQueryDsl<PgConnection> for Fixed<Q> {}

/// A replica's state: in recovery, replayed position, lag in milliseconds.
struct Status {
    in_recovery: bool,
    replayed: String,
    lag_ms: f64,
}

fn status(conn: &mut AnyConnection) -> diesel::QueryResult<Status> {
    let AnyConnection::Postgres(pg) = conn else {
        return Err(diesel::result::Error::QueryBuilderError(
            "a replica is a PostgreSQL server".into(),
        ));
    };
    let (in_recovery, replayed, lag_ms) = Fixed::<ReplicaStatus>::STATEMENT.get_result(pg)?;
    Ok(Status {
        in_recovery,
        replayed,
        lag_ms,
    })
}

/// The primary's current position, read on a primary connection that wrote,
/// and kept in `written` if higher.
pub(super) fn note_written(conn: &mut AnyConnection, written: &AtomicU64) {
    match manager::quietly(conn, WalPosition::current::<AnyConnection>) {
        Ok(at) => {
            written.fetch_max(at.0, Ordering::Relaxed);
        }
        Err(e) => {
            tracing::warn!(target: "glowplug::replica", error = %e, "could not read the primary's WAL position after a write; reads may miss it on replicas");
        }
    }
}

/// The position in `written`.
pub(super) fn position(written: &AtomicU64) -> WalPosition {
    WalPosition(written.load(Ordering::Relaxed))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_print_and_parse_as_postgresql_writes_them() {
        for text in ["0/0", "0/16B3748", "1/A0", "FFFFFFFF/FFFFFFFF"] {
            let p: WalPosition = text.parse().unwrap();
            assert_eq!(p.to_string(), text);
        }
        assert_eq!("1/0".parse::<WalPosition>().unwrap().as_u64(), 1 << 32);
        for bad in ["", "/", "1/", "/1", "12", "G/1", "1/2/3", "123456789/0"] {
            let err = bad.parse::<WalPosition>().unwrap_err().to_string();
            assert!(err.contains("not a WAL position"), "{bad}: {err}");
        }
    }
}
