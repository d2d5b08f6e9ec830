//! The connection pool: [`Database`], configured from a URL or the environment.
//!
//! A [`Database`] is an r2d2 pool of [`AnyConnection`]s; the backend is
//! chosen from the URL when the pool is built (see [`crate::url`] for the
//! accepted forms). It is cheap to clone and safe to share between threads.
//!
//! What every new connection gets:
//!
//! * **SQLite**: `PRAGMA foreign_keys = ON` (SQLite leaves foreign keys off
//!   by default), `journal_mode = WAL` and `synchronous = NORMAL` for file
//!   databases (readers never block the writer), a busy timeout (5 s by
//!   default, [`DatabaseBuilder::sqlite_busy_timeout`]) so concurrent writers
//!   wait instead of failing with "database is locked", and SQLite's own
//!   2 000 KiB page cache, set explicitly ([`DatabaseBuilder::sqlite_cache_size`]).
//! * **PostgreSQL**: the URL's settings, libpq's `connect_timeout`
//!   ([`DatabaseBuilder::connect_timeout`]), and `statement_timeout` and
//!   `lock_timeout` when they are set
//!   ([`DatabaseBuilder::statement_timeout`], [`DatabaseBuilder::lock_timeout`]).
//!   libpq options such as `?options=-c%20search_path%3Dmyschema` are honoured.
//!   `application_name` is the program's name unless the URL or
//!   [`DatabaseBuilder::application_name`] says otherwise, so each
//!   application shows in `pg_stat_activity`.
//! * **Both**: then your own [`DatabaseBuilder::on_connect`] hook (`SET
//!   search_path`, a pragma), whose error fails that connect; and diesel's
//!   prepared-statement cache, unless
//!   [`DatabaseBuilder::prepared_statement_cache`] turns it off.
//!
//! # Behind PgBouncer
//!
//! PgBouncer applies to PostgreSQL only. In its *transaction* pooling mode a
//! client's statements run on whichever server session PgBouncer lends it
//! for that transaction, so three things change (all tested through a real
//! PgBouncer 1.18 in `tests/pgbouncer.rs`; the README's "Deployment" says
//! which setting goes where):
//!
//! * **Prepared statements**: diesel's named statements (before PgBouncer
//!   1.21) clash or go missing between server sessions; build the pool with
//!   [`prepared_statement_cache(false)`](DatabaseBuilder::prepared_statement_cache).
//!   glowplug does not detect PgBouncer from the URL.
//! * **Migrations**: the migration lock is a session-level advisory lock,
//!   which PgBouncer would leave on a shared server session (another client
//!   there "holds" it too); give the direct server URL as
//!   [`migration_url`](DatabaseBuilder::migration_url) or
//!   `MIGRATION_DATABASE_URL`.
//! * **Session settings**: a `SET` (from the hook, `statement_timeout`,
//!   `lock_timeout`) lands on one server session: other clients sharing it
//!   see it, and your later transactions may run on sessions without it
//!   (PgBouncer runs no `server_reset_query` between clients in this mode).
//!   Set them in PgBouncer's `connect_query`, on the role (`ALTER ROLE … SET`)
//!   or with `SET LOCAL` in a transaction. `application_name` is sent at
//!   connect time and passed on by PgBouncer.
//!
//! An in-memory SQLite database exists once per connection, so for
//! `:memory:` URLs the pool is pinned to exactly one connection that is never
//! recycled (otherwise every checkout could see a different, empty database).
//! Hold at most one checkout at a time on such a pool.
//!
//! # Start-up and shut-down
//!
//! Building a pool opens one connection, so a wrong URL, password or host
//! fails at once with [`Error::Connection`] instead of after the pool's
//! timeout; that connection is the one the first checkout gets. Further
//! connections are opened when checkouts need them, up to `max_size`, and
//! kept while they are used (closed after `idle_timeout` idle); a pool keeps
//! `min_idle` connections open at all times only when
//! [`DatabaseBuilder::min_idle`] says so. Nothing is opened in the
//! background at start-up unless `min_idle` asks for it.
//!
//! When the last handle to a [`Database`] is dropped (all its clones), the
//! pool closes: it waits for connections being opened to finish (at most the
//! connect timeout), then closes its idle connections on the dropping
//! thread; connections still checked out are closed when they are returned.
//! So a program that returns from `main` exits with no connection half-open
//! in a background thread (which made short PostgreSQL programs crash in
//! OpenSSL's exit handlers). A `Database` kept in a `static` is never
//! dropped; `std::process::exit` runs no destructors.
//!
//! The password never appears in `Debug`, `Display` or an error.
//!
//! # Settings and their limits
//!
//! | setting | default | range |
//! |---|---|---|
//! | [`max_size`](DatabaseBuilder::max_size) | 10 | 1 – 10 000 |
//! | [`min_idle`](DatabaseBuilder::min_idle) | 0 | 0 – `max_size` |
//! | [`connection_timeout`](DatabaseBuilder::connection_timeout), [`Database::get_timeout`] | 30 s | longer than zero; `Duration::MAX` waits without limit |
//! | [`idle_timeout`](DatabaseBuilder::idle_timeout), [`max_lifetime`](DatabaseBuilder::max_lifetime) | 10 min, 30 min | longer than zero, or `None` |
//! | [`connect_timeout`](DatabaseBuilder::connect_timeout) | 10 s | up to 2 147 483 647 s (libpq's limit); rounded up to whole seconds, at least 1 |
//! | [`sqlite_busy_timeout`](DatabaseBuilder::sqlite_busy_timeout) | 5 s | up to 2 147 483 647 ms, about 24 days (SQLite's limit) |
//! | [`sqlite_cache_size`](DatabaseBuilder::sqlite_cache_size) | 2 000 KiB, SQLite's own ([`DEFAULT_SQLITE_CACHE_SIZE`]) | 0 – 2 147 483 647 KiB, in bytes, rounded up to KiB |
//! | [`statement_timeout`](DatabaseBuilder::statement_timeout), [`lock_timeout`](DatabaseBuilder::lock_timeout) | none | longer than zero, up to 2 147 483 647 ms (PostgreSQL's limit) |
//! | [`on_connect`](DatabaseBuilder::on_connect) | none | any closure; its error fails the connect |
//! | [`application_name`](DatabaseBuilder::application_name) | the program's name | any text or `None`; the URL's wins; PostgreSQL only |
//! | [`prepared_statement_cache`](DatabaseBuilder::prepared_statement_cache) | on | off behind PgBouncer's transaction pooling |
//! | [`migration_url`](DatabaseBuilder::migration_url) | the pool's URL (`MIGRATION_DATABASE_URL` with [`Database::builder_from_env`]) | a URL of the same backend |
//!
//! A value outside its range is an [`Error::Config`] from
//! [`build`](DatabaseBuilder::build) naming the setting; none is silently
//! changed into something else.
//!
//! # Failures and recovery
//!
//! * **A checkout that cannot be served** within
//!   [`connection_timeout`](DatabaseBuilder::connection_timeout) (or the
//!   deadline given to [`Database::get_timeout`]) returns [`Error::Pool`]; it
//!   never blocks for longer. The message says why: every connection in use,
//!   or the last error opening a new one.
//! * **A lost PostgreSQL connection** (the server restarted, an administrator
//!   ran `pg_terminate_backend`, a network cut) makes the statement that
//!   meets it fail with [`Error::ConnectionLost`] (also during `COPY`); the
//!   server has rolled back whatever the transaction had not committed. The
//!   pool never hands that connection out again: each pooled connection
//!   watches its own results (a diesel `Instrumentation`) and reports itself
//!   broken when it is returned, and the health check on checkout
//!   ([`test_on_check_out`](DatabaseBuilder::test_on_check_out), on by
//!   default) replaces connections that died while idle before anyone sees
//!   them. The watch is part of glowplug's instrumentation chain (see
//!   [`crate::observe`]): add your own diesel
//!   `Instrumentation` with [`DatabaseBuilder::instrumentation`] rather
//!   than `set_instrumentation`, which replaces the chain (watch included)
//!   until the connection is returned to the pool, where it gets it back.
//! * **While the server is down**, checkouts fail with [`Error::Pool`] after
//!   the connection timeout (with the health check on) or statements fail with
//!   [`Error::ConnectionLost`] (with it off); nothing hangs, because new
//!   PostgreSQL connections give up after
//!   [`connect_timeout`](DatabaseBuilder::connect_timeout). The pool retries
//!   opening connections at least every half second (r2d2 would back off to
//!   half the connection timeout, 15 s by default), so once the server is
//!   back the next checkouts get fresh connections within about a second: no
//!   restart of the application is needed.
//! * **A statement past `statement_timeout`**, or waiting past
//!   `lock_timeout`, is cancelled by the server and fails with
//!   [`Error::Timeout`]; the connection stays usable.
//! * **SQLite writers from several threads or processes** queue on the
//!   database's write lock for up to the busy timeout; past it the statement
//!   fails with [`Error::Busy`] and nothing of it is written.

mod admin;
mod builder;
mod manager;
mod metrics;
pub mod replica;
#[cfg(feature = "tokio")]
pub mod run;

use std::sync::Arc;
use std::time::{Duration, Instant};

pub use admin::{create_database, drop_database};
pub use builder::DatabaseBuilder;
pub use manager::ConnectionManager;
use manager::Lifecycle;
use metrics::Counters;
pub use metrics::PoolMetrics;
pub use replica::{ParseWalPositionError, ReplicaFallback, WalPosition};

use crate::connection::{AnyConnection, Backend};
use crate::error::{Error, Result};

/// How long opening a PostgreSQL connection may take, unless the URL or
/// [`DatabaseBuilder::connect_timeout`] says otherwise.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The page cache of each SQLite connection, in bytes, unless
/// [`DatabaseBuilder::sqlite_cache_size`] says otherwise: SQLite's own
/// default, 2 000 KiB. See that method for why it was kept.
pub const DEFAULT_SQLITE_CACHE_SIZE: u64 = 2000 * 1024;

/// The database file used by [`Database::from_env`] when `DATABASE_URL` is unset.
pub const DEFAULT_SQLITE_PATH: &str = "glowplug.db";

/// The largest pool [`DatabaseBuilder::max_size`] accepts.
pub const MAX_POOL_SIZE: u32 = 10_000;

/// How long one wait of a checkout on the r2d2 pool lasts. r2d2 backs off
/// between failed connection attempts up to half its own connection timeout,
/// so this also bounds that pause (to half of it) after an outage; a
/// checkout waits in rounds of this length until its own deadline.
const CHECKOUT_ROUND: Duration = Duration::from_secs(1);

/// The largest value libpq (`connect_timeout`, seconds) and PostgreSQL and
/// SQLite (milliseconds) take for their timeouts: a C `int`.
const C_INT_MAX: u64 = i32::MAX as u64;

/// A pooled connection from [`Database::get`]; it dereferences to [`AnyConnection`].
pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

/// A pool of database connections, the entry point of glowplug.
///
/// ```
/// use glowplug::prelude::*;
///
/// let db = Database::connect("sqlite::memory:")?;
/// let mut conn = db.get()?;
/// assert_eq!(conn.backend(), Backend::Sqlite);
/// # Ok::<(), glowplug::Error>(())
/// ```
#[derive(Clone)]
pub struct Database {
    shared: Arc<Shared>,
}

/// What every clone of a [`Database`] shares; the pool closes when it drops.
struct Shared {
    pool: r2d2::Pool<ConnectionManager>,
    backend: Backend,
    url: String,
    connection_timeout: Duration,
    max_size: u32,
    /// How long closing waits for connects under way.
    close_wait: Duration,
    life: Arc<Lifecycle>,
    counters: Arc<Counters>,
    /// With replicas: the highest WAL position the primary's connections wrote.
    written: Option<Arc<std::sync::atomic::AtomicU64>>,
    replicas: Option<replica::Replicas>,
    /// Opens the connections migrations run on, when
    /// [`DatabaseBuilder::migration_url`] names another URL than the pool's.
    migrations: Option<Arc<ConnectionManager>>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.life.close(self.close_wait);
        // Idle connections are handed out once more and, the pool being
        // closed, dropped on this thread as they return.
        while let Some(conn) = self.pool.try_get() {
            drop(conn);
        }
    }
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("backend", &self.shared.backend)
            .field("url", &self.shared.url)
            .field("metrics", &self.metrics())
            .finish()
    }
}

impl Database {
    /// Opens a pool with default settings for `url` (see [`crate::url`] for the forms).
    pub fn connect(url: &str) -> Result<Database> {
        Database::builder(url).build()
    }

    /// Settings for a pool on `url`; finish with [`DatabaseBuilder::build`].
    pub fn builder(url: &str) -> DatabaseBuilder {
        DatabaseBuilder::new(url)
    }

    /// Opens a pool on `DATABASE_URL`, read from the environment or a `.env`
    /// file; when it is unset, on the SQLite file [`DEFAULT_SQLITE_PATH`] in
    /// the working directory.
    pub fn from_env() -> Result<Database> {
        Database::builder_from_env()?.build()
    }

    /// Settings for a pool on the URL [`from_env`](Self::from_env) reads,
    /// to change before [`build`](DatabaseBuilder::build) (a slow-query
    /// threshold, your own instrumentation).
    ///
    /// `MIGRATION_DATABASE_URL`, when set (in the environment or `.env`),
    /// becomes the builder's [`migration_url`](DatabaseBuilder::migration_url).
    pub fn builder_from_env() -> Result<DatabaseBuilder> {
        let builder = DatabaseBuilder::new(&url_from_env()?);
        Ok(match std::env::var("MIGRATION_DATABASE_URL") {
            Ok(url) if !url.trim().is_empty() => builder.migration_url(&url),
            _ => builder,
        })
    }

    /// A connection from the pool; it goes back to the pool when dropped.
    /// Waits up to the pool's connection timeout, then fails with
    /// [`Error::Pool`].
    pub fn get(&self) -> Result<PooledConnection> {
        self.get_timeout(self.shared.connection_timeout)
    }

    /// Like [`get`](Self::get), but waits at most `timeout` (for a request
    /// with its own deadline; `Duration::MAX` waits without limit).
    ///
    /// ```
    /// # use glowplug::prelude::*;
    /// use std::time::Duration;
    /// let db = Database::connect("sqlite::memory:")?; // one connection
    /// let held = db.get()?;
    /// let err = db.get_timeout(Duration::from_millis(50)).unwrap_err();
    /// assert!(matches!(err, glowplug::Error::Pool { .. }));
    /// drop(held);
    /// assert!(db.get_timeout(Duration::from_millis(50)).is_ok());
    /// # Ok::<(), glowplug::Error>(())
    /// ```
    pub fn get_timeout(&self, timeout: Duration) -> Result<PooledConnection> {
        // An idle connection: no clock to read, no waiting.
        if let Some(conn) = self.shared.pool.try_get() {
            self.shared.counters.checkout();
            return Ok(conn);
        }
        let waiting = self.shared.counters.wait();
        let span = tracing::debug_span!(
            target: "glowplug::pool",
            "checkout",
            backend = %self.shared.backend,
            wait_ms = tracing::field::Empty,
        );
        let _entered = span.enter();
        let got = self.wait_for_connection(timeout);
        span.record("wait_ms", crate::observe::millis(waiting.elapsed()));
        match &got {
            Ok(_) => self.shared.counters.checkout(),
            Err(_) => self.shared.counters.timeout(),
        }
        got
    }

    /// The slow path of [`get_timeout`](Self::get_timeout): waits in rounds
    /// for a connection until `timeout`.
    fn wait_for_connection(&self, timeout: Duration) -> Result<PooledConnection> {
        let start = Instant::now();
        let deadline = start.checked_add(timeout);
        let mut cause = None;
        loop {
            let round = deadline.map_or(CHECKOUT_ROUND, |d| {
                d.saturating_duration_since(Instant::now())
                    .min(CHECKOUT_ROUND)
            });
            match self.shared.pool.get_timeout(round) {
                Ok(conn) => return Ok(conn),
                Err(e) => {
                    // r2d2 hands the last connect error to one waiter only.
                    let text = e.to_string();
                    if let Some(c) = text.strip_prefix("timed out waiting for connection: ") {
                        cause = Some(c.to_owned());
                    }
                }
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(self.checkout_failed(start.elapsed(), cause));
            }
        }
    }

    /// The error of a checkout that waited `waited` in vain.
    fn checkout_failed(&self, waited: Duration, cause: Option<String>) -> Error {
        let waited = Duration::from_millis(u64::try_from(waited.as_millis()).unwrap_or(u64::MAX));
        Error::pool(match cause {
            Some(cause) => format!(
                "no database connection available within {waited:?}: opening a new one failed: {cause}"
            ),
            None => format!(
                "no database connection available within {waited:?}: all {} connections of the pool are in use (raise max_size or connection_timeout, or hold connections for shorter)",
                self.shared.max_size
            ),
        })
    }

    /// A new connection on the [migration URL](DatabaseBuilder::migration_url),
    /// when one was given (`None`: migrations use the pool).
    pub(crate) fn migration_connection(&self) -> Result<Option<AnyConnection>> {
        self.shared
            .migrations
            .as_ref()
            .map(|m| m.establish())
            .transpose()
    }

    /// The backend chosen from the URL.
    pub fn backend(&self) -> Backend {
        self.shared.backend
    }

    /// The URL, with any password replaced by `***` (see [`crate::redact_url`]).
    pub fn url(&self) -> &str {
        &self.shared.url
    }

    /// The pool's connections now (open, idle, in use, callers waiting) and
    /// its counters since it was built (checkouts, checkout timeouts, broken
    /// connections replaced, total wait). See [`PoolMetrics`].
    pub fn metrics(&self) -> PoolMetrics {
        self.shared.counters.snapshot(self.shared.pool.state())
    }

    /// The underlying r2d2 pool, for its state and statistics. Its own
    /// `get` waits at most one second: use [`Database::get`]. It stops
    /// opening connections when the last `Database` handle is dropped.
    pub fn pool(&self) -> &r2d2::Pool<ConnectionManager> {
        &self.shared.pool
    }

    /// A connection for reads: a replica that has replayed every write
    /// this `Database` has made ([`written`](Self::written)), or the
    /// primary when none has (see [`replica`] for the rules). Without
    /// replicas, the same as [`get`](Self::get).
    ///
    /// ```
    /// # use glowplug::prelude::*;
    /// let db = Database::connect("sqlite::memory:")?; // no replicas: the primary
    /// let n: i32 = diesel::select(1.into_sql::<diesel::sql_types::Integer>())
    ///     .get_result(&mut db.read()?)?;
    /// assert_eq!(n, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read(&self) -> Result<PooledConnection> {
        self.read_after(self.written())
    }

    /// A connection for reads that must see every write up to `at` (a
    /// [`WalPosition`] a user session carried from its last write).
    pub fn read_after(&self, at: WalPosition) -> Result<PooledConnection> {
        match &self.shared.replicas {
            Some(replicas) => replicas.read(self, at),
            None => self.get(),
        }
    }

    /// A connection for reads that need not see any particular write: any
    /// replica within [`max_replica_lag`](DatabaseBuilder::max_replica_lag).
    pub fn read_any(&self) -> Result<PooledConnection> {
        self.read_after(WalPosition::ZERO)
    }

    /// Runs `f` on a connection from [`read`](Self::read).
    pub fn reading<T, E, F>(&self, f: F) -> std::result::Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> std::result::Result<T, E>,
        E: From<Error>,
    {
        let mut conn = self.read()?;
        f(&mut conn)
    }

    /// The highest WAL position the primary's connections have written
    /// (noted as each returns to the pool); [`WalPosition::ZERO`] without
    /// replicas, whose `Database` does not track it.
    pub fn written(&self) -> WalPosition {
        self.shared
            .written
            .as_deref()
            .map_or(WalPosition::ZERO, replica::position)
    }

    /// How many replicas this `Database` reads from.
    pub fn replica_count(&self) -> usize {
        self.shared
            .replicas
            .as_ref()
            .map_or(0, replica::Replicas::len)
    }

    /// Runs `f` in a transaction on a pooled connection: committed when `f`
    /// returns `Ok`, rolled back when it returns `Err` or panics (the panic
    /// then continues, and the connection goes back to the pool clean).
    ///
    /// Inside, [`glowplug::transaction`](crate::transaction) or
    /// `conn.transaction(...)` opens a nested transaction (a savepoint). On
    /// SQLite the transaction begins with `BEGIN IMMEDIATE`, so concurrent
    /// writers wait for each other (see [`glowplug::transaction`](crate::transaction)).
    ///
    /// ```
    /// # use glowplug::prelude::*;
    /// # let db = Database::connect("sqlite::memory:")?;
    /// let n = db.transaction(|conn| {
    ///     diesel::sql_query("CREATE TABLE t (x INTEGER)").execute(conn)?;
    ///     Ok::<_, glowplug::Error>(diesel::sql_query("INSERT INTO t VALUES (1)").execute(conn)?)
    /// })?;
    /// assert_eq!(n, 1);
    /// # Ok::<(), glowplug::Error>(())
    /// ```
    pub fn transaction<T, E, F>(&self, f: F) -> std::result::Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> std::result::Result<T, E>,
        E: From<Error> + From<diesel::result::Error>,
    {
        let mut conn = self.get()?;
        crate::transaction(&mut *conn, f)
    }
}

/// `DATABASE_URL` from the environment or `.env`, or the SQLite default.
pub(crate) fn url_from_env() -> Result<String> {
    match dotenvy::dotenv() {
        Ok(_) => {}
        Err(e) if e.not_found() => {}
        Err(e) => {
            return Err(Error::config_caused_by(
                format!("could not read the .env file: {e}; fix the line or remove the file"),
                e,
            ));
        }
    }
    match std::env::var("DATABASE_URL") {
        Ok(url) => Ok(url),
        Err(std::env::VarError::NotPresent) => Ok(DEFAULT_SQLITE_PATH.to_owned()),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(Error::config("DATABASE_URL is not valid UTF-8".into()))
        }
    }
}
