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
//!   databases (readers never block the writer), and a busy timeout (5 s by
//!   default, [`DatabaseBuilder::sqlite_busy_timeout`]) so concurrent writers
//!   wait instead of failing with "database is locked".
//! * **PostgreSQL**: nothing beyond the URL; libpq options such as
//!   `?options=-c%20search_path%3Dmyschema` are honoured.
//!
//! An in-memory SQLite database exists once per connection, so for
//! `:memory:` URLs the pool is pinned to exactly one connection that is never
//! recycled (otherwise every checkout could see a different, empty database).
//! Hold at most one checkout at a time on such a pool.
//!
//! Building a pool opens one connection first, so a wrong URL, password or
//! host fails at once with [`Error::Connection`] instead of after the pool's
//! timeout. The password never appears in `Debug`, `Display` or an error.
//!
//! # Failures and recovery
//!
//! * **A checkout that cannot be served** within
//!   [`connection_timeout`](DatabaseBuilder::connection_timeout) (or the
//!   deadline given to [`Database::get_timeout`]) returns [`Error::Pool`]; it
//!   never blocks for longer.
//! * **A lost PostgreSQL connection** (the server restarted, an administrator
//!   ran `pg_terminate_backend`, a network cut) makes the statement that
//!   meets it fail with [`Error::ConnectionLost`]; the server has rolled back
//!   whatever the transaction had not committed. The pool never hands that
//!   connection out again: each pooled connection watches its own results
//!   (a diesel `Instrumentation`) and reports itself broken when it is
//!   returned, and the health check on checkout
//!   ([`test_on_check_out`](DatabaseBuilder::test_on_check_out), on by
//!   default) replaces connections that died while idle before anyone sees
//!   them. Replacing a pooled connection's instrumentation with
//!   `set_instrumentation` turns the watch off for that connection.
//! * **While the server is down**, checkouts fail with [`Error::Pool`] after
//!   the connection timeout (with the health check on) or statements fail with
//!   [`Error::ConnectionLost`] (with it off); nothing hangs, because new
//!   PostgreSQL connections give up after
//!   [`connect_timeout`](DatabaseBuilder::connect_timeout). Once the server is
//!   back, the next checkouts open fresh connections: no restart of the
//!   application is needed.
//! * **SQLite writers from several threads or processes** queue on the
//!   database's write lock for up to the busy timeout; past it the statement
//!   fails with [`Error::Busy`] and nothing of it is written.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::R2D2Connection;

use crate::connection::{AnyConnection, Backend, PgConnection, SqliteConnection};
use crate::error::{Error, Result};
use crate::url::ConnectionSpec;

/// How long opening a PostgreSQL connection may take, unless the URL or
/// [`DatabaseBuilder::connect_timeout`] says otherwise.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The database file used by [`Database::from_env`] when `DATABASE_URL` is unset.
pub const DEFAULT_SQLITE_PATH: &str = "glowplug.db";

/// A pooled connection from [`Database::get`]; it dereferences to [`AnyConnection`].
pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

/// Opens connections for the pool (an r2d2 `ManageConnection`).
///
/// Built by [`DatabaseBuilder::build`]; public so that the pooled connection
/// type can be named.
pub struct ConnectionManager {
    spec: ConnectionSpec,
    sqlite_busy_timeout: Duration,
    connect_timeout: Duration,
}

/// Watches a pooled PostgreSQL connection's results for a lost connection, so
/// the pool can drop it when it is returned (diesel's own check only looks at
/// its transaction state). Forwards every event to the instrumentation diesel
/// would have installed (`set_default_instrumentation`).
struct LostWatch {
    lost: bool,
    inner: Option<Box<dyn diesel::connection::Instrumentation>>,
}

impl diesel::connection::Instrumentation for LostWatch {
    fn on_connection_event(&mut self, event: diesel::connection::InstrumentationEvent<'_>) {
        if let diesel::connection::InstrumentationEvent::FinishQuery {
            error:
                Some(diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::ClosedConnection,
                    _,
                )),
            ..
        } = &event
        {
            self.lost = true;
        }
        if let Some(inner) = &mut self.inner {
            inner.on_connection_event(event);
        }
    }
}

/// Whether `conn` has seen its server go away (see [`LostWatch`]).
fn connection_lost(conn: &mut PgConnection) -> bool {
    conn.instrumentation()
        .downcast_ref::<LostWatch>()
        .is_some_and(|watch| watch.lost)
}

impl std::fmt::Debug for ConnectionManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionManager")
            .field("url", &self.spec)
            .finish_non_exhaustive()
    }
}

impl ConnectionManager {
    fn establish(&self) -> Result<AnyConnection> {
        let fail = |message: String| connection_error(&self.spec, message);
        match &self.spec {
            ConnectionSpec::Postgres { url } => {
                let url = crate::url::with_connect_timeout(url, self.connect_timeout);
                let mut conn = PgConnection::establish(&url).map_err(|e| fail(e.to_string()))?;
                conn.set_instrumentation(LostWatch {
                    lost: false,
                    inner: diesel::connection::get_default_instrumentation(),
                });
                Ok(AnyConnection::Postgres(conn))
            }
            ConnectionSpec::Sqlite { path } => {
                if !self.spec.is_memory() && !path.starts_with("file:") {
                    let parent = std::path::Path::new(path).parent();
                    if let Some(dir) = parent.filter(|d| !d.as_os_str().is_empty() && !d.is_dir()) {
                        return Err(fail(format!(
                            "the directory `{}` does not exist; create it first or choose another path",
                            dir.display()
                        )));
                    }
                }
                let mut conn =
                    SqliteConnection::establish(path).map_err(|e| fail(e.to_string()))?;
                let mut pragmas = format!(
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {};",
                    self.sqlite_busy_timeout.as_millis()
                );
                if !self.spec.is_memory() {
                    pragmas.push_str(" PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
                }
                conn.batch_execute(&pragmas)
                    .map_err(|e| fail(format!("could not configure the connection: {e}")))?;
                Ok(AnyConnection::Sqlite(conn))
            }
        }
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = AnyConnection;
    type Error = Error;

    fn connect(&self) -> Result<AnyConnection> {
        self.establish()
    }

    /// The health check: diesel's `ping` (`SELECT 1` as a cached prepared
    /// statement) on the concrete connection.
    fn is_valid(&self, conn: &mut AnyConnection) -> Result<()> {
        match conn {
            AnyConnection::Postgres(c) => c.ping(),
            AnyConnection::Sqlite(c) => c.ping(),
        }
        .map_err(Error::from)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        match conn {
            AnyConnection::Postgres(c) => c.is_broken() || connection_lost(c),
            AnyConnection::Sqlite(c) => c.is_broken(),
        }
    }
}

/// Settings for a [`Database`]; start with [`Database::builder`].
///
/// ```
/// use std::time::Duration;
/// let db = glowplug::Database::builder("sqlite::memory:")
///     .connection_timeout(Duration::from_secs(5))
///     .build()?;
/// assert_eq!(db.backend(), glowplug::Backend::Sqlite);
/// # Ok::<(), glowplug::Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "call .build() to open the pool"]
pub struct DatabaseBuilder {
    url: String,
    max_size: u32,
    min_idle: Option<u32>,
    connection_timeout: Duration,
    idle_timeout: Option<Duration>,
    max_lifetime: Option<Duration>,
    test_on_check_out: bool,
    sqlite_busy_timeout: Duration,
    connect_timeout: Duration,
}

impl DatabaseBuilder {
    fn new(url: &str) -> Self {
        DatabaseBuilder {
            url: url.to_owned(),
            max_size: 10,
            min_idle: None,
            connection_timeout: Duration::from_secs(30),
            idle_timeout: Some(Duration::from_secs(600)),
            max_lifetime: Some(Duration::from_secs(1800)),
            test_on_check_out: true,
            sqlite_busy_timeout: Duration::from_secs(5),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        }
    }

    /// The most connections the pool opens (default 10; at least 1).
    pub fn max_size(mut self, max_size: u32) -> Self {
        self.max_size = max_size;
        self
    }

    /// Idle connections the pool keeps open (default: `max_size`).
    pub fn min_idle(mut self, min_idle: u32) -> Self {
        self.min_idle = Some(min_idle);
        self
    }

    /// How long [`Database::get`] waits for a connection (default 30 s).
    pub fn connection_timeout(mut self, timeout: Duration) -> Self {
        self.connection_timeout = timeout;
        self
    }

    /// Close connections idle for this long (default 10 min; `None` never).
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Replace connections older than this (default 30 min; `None` never).
    pub fn max_lifetime(mut self, lifetime: Option<Duration>) -> Self {
        self.max_lifetime = lifetime;
        self
    }

    /// The health check: ping each connection (`SELECT 1`) before handing it
    /// out, and replace it if the ping fails (default `true`). It costs one
    /// round trip per checkout on PostgreSQL (measured in `BENCHMARKS.md`);
    /// without it, a connection that died while idle fails its first
    /// statement with [`Error::ConnectionLost`] and is replaced afterwards.
    pub fn test_on_check_out(mut self, test: bool) -> Self {
        self.test_on_check_out = test;
        self
    }

    /// How long a SQLite connection waits for a lock held by another writer
    /// before failing with "database is locked" (default 5 s).
    pub fn sqlite_busy_timeout(mut self, timeout: Duration) -> Self {
        self.sqlite_busy_timeout = timeout;
        self
    }

    /// How long opening a PostgreSQL connection may take before it fails
    /// (default 10 s; whole seconds, at least 1, as libpq counts them). A
    /// `connect_timeout` already in the URL wins. Without a limit, a host
    /// that drops packets would hold a checkout for minutes.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Checks the settings, opens one connection to prove the URL works, and
    /// builds the pool.
    pub fn build(self) -> Result<Database> {
        let spec = ConnectionSpec::parse(&self.url)?;
        if self.max_size == 0 {
            return Err(Error::Config(
                "the pool size must be at least 1 (got max_size(0))".into(),
            ));
        }
        if let Some(min) = self.min_idle.filter(|&m| m > self.max_size) {
            return Err(Error::Config(format!(
                "min_idle ({min}) cannot exceed max_size ({})",
                self.max_size
            )));
        }
        if self.connection_timeout.is_zero() {
            return Err(Error::Config(
                "the connection timeout must be longer than zero".into(),
            ));
        }
        let manager = ConnectionManager {
            spec: spec.clone(),
            sqlite_busy_timeout: self.sqlite_busy_timeout,
            connect_timeout: self.connect_timeout,
        };
        // Fail fast with the driver's own message rather than a pool timeout.
        drop(manager.establish()?);

        let memory = spec.is_memory();
        let builder = r2d2::Pool::builder()
            .connection_timeout(self.connection_timeout)
            .test_on_check_out(self.test_on_check_out);
        let builder = if memory {
            builder
                .max_size(1)
                .min_idle(Some(1))
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            builder
                .max_size(self.max_size)
                .min_idle(self.min_idle)
                .idle_timeout(self.idle_timeout)
                .max_lifetime(self.max_lifetime)
        };
        let pool = builder.build_unchecked(manager);
        Ok(Database {
            backend: spec.backend(),
            url: spec.redacted(),
            pool,
        })
    }
}

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
    pool: r2d2::Pool<ConnectionManager>,
    backend: Backend,
    url: String,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("backend", &self.backend)
            .field("url", &self.url)
            .field("state", &self.pool.state())
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
        Database::connect(&url_from_env()?)
    }

    /// A connection from the pool; it goes back to the pool when dropped.
    /// Waits up to the pool's connection timeout, then fails with
    /// [`Error::Pool`].
    pub fn get(&self) -> Result<PooledConnection> {
        Ok(self.pool.get()?)
    }

    /// Like [`get`](Self::get), but waits at most `timeout` (for a request
    /// with its own deadline).
    ///
    /// ```
    /// # use glowplug::prelude::*;
    /// use std::time::Duration;
    /// let db = Database::connect("sqlite::memory:")?; // one connection
    /// let held = db.get()?;
    /// let err = db.get_timeout(Duration::from_millis(50)).unwrap_err();
    /// assert!(matches!(err, glowplug::Error::Pool(_)));
    /// drop(held);
    /// assert!(db.get_timeout(Duration::from_millis(50)).is_ok());
    /// # Ok::<(), glowplug::Error>(())
    /// ```
    pub fn get_timeout(&self, timeout: Duration) -> Result<PooledConnection> {
        Ok(self.pool.get_timeout(timeout)?)
    }

    /// The backend chosen from the URL.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL, with any password replaced by `***`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The underlying r2d2 pool, for its state and statistics.
    pub fn pool(&self) -> &r2d2::Pool<ConnectionManager> {
        &self.pool
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

/// Creates the database `url` names if it does not exist; returns whether
/// it was created. PostgreSQL: `CREATE DATABASE` from the server's
/// `postgres` maintenance database. SQLite: the file (its directory must
/// exist); an in-memory database needs nothing.
pub fn create_database(url: &str) -> Result<bool> {
    let spec = ConnectionSpec::parse(url)?;
    match &spec {
        ConnectionSpec::Sqlite { path } => {
            if spec.is_memory() || std::path::Path::new(path).exists() {
                return Ok(false);
            }
            Database::builder(url).max_size(1).build()?;
            Ok(true)
        }
        ConnectionSpec::Postgres { url } => match PgConnection::establish(
            &crate::url::with_connect_timeout(url, DEFAULT_CONNECT_TIMEOUT),
        ) {
            Ok(_) => Ok(false),
            Err(e) if e.to_string().contains("does not exist") => {
                let (name, mut admin) = pg_maintenance(&spec, url)?;
                admin
                    .batch_execute(&format!("CREATE DATABASE {}", quote_ident(&name)))
                    .map_err(|e| connection_error(&spec, e.to_string()))?;
                Ok(true)
            }
            Err(e) => Err(connection_error(&spec, e.to_string())),
        },
    }
}

/// Drops the database `url` names; returns whether it existed. PostgreSQL:
/// `DROP DATABASE` from the `postgres` maintenance database (it fails while
/// other sessions are connected). SQLite: removes the file and its `-wal`,
/// `-shm` and `-glowplug-lock` companions.
pub fn drop_database(url: &str) -> Result<bool> {
    let spec = ConnectionSpec::parse(url)?;
    match &spec {
        ConnectionSpec::Sqlite { path } => {
            if spec.is_memory() {
                return Ok(false);
            }
            let existed = std::path::Path::new(path).exists();
            for suffix in ["", "-wal", "-shm", "-glowplug-lock"] {
                match std::fs::remove_file(format!("{path}{suffix}")) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        return Err(Error::Config(format!("cannot remove {path}{suffix}: {e}")));
                    }
                }
            }
            Ok(existed)
        }
        ConnectionSpec::Postgres { url } => {
            let (name, mut admin) = pg_maintenance(&spec, url)?;
            let existed = diesel::select(diesel::dsl::exists(
                pg_database::table.filter(pg_database::datname.eq(&name)),
            ))
            .get_result::<bool>(&mut admin)
            .map_err(Error::from)?;
            if existed {
                admin
                    .batch_execute(&format!("DROP DATABASE {}", quote_ident(&name)))
                    .map_err(|e| connection_error(&spec, e.to_string()))?;
            }
            Ok(existed)
        }
    }
}

mod catalog {
    #![allow(missing_docs)]
    diesel::table! {
        /// PostgreSQL's catalog of databases.
        pg_database (datname) {
            datname -> Text,
        }
    }
}
use catalog::pg_database;

/// The database name in `url` and a connection to the server's `postgres` database.
fn pg_maintenance(spec: &ConnectionSpec, url: &str) -> Result<(String, PgConnection)> {
    let (name, admin_url) = crate::url::pg_database(url, "postgres").ok_or_else(|| {
        Error::Config(format!(
            "{} names no database; add `/name` after the host",
            spec.redacted()
        ))
    })?;
    let admin_url = crate::url::with_connect_timeout(&admin_url, DEFAULT_CONNECT_TIMEOUT);
    let admin =
        PgConnection::establish(&admin_url).map_err(|e| connection_error(spec, e.to_string()))?;
    Ok((name, admin))
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn connection_error(spec: &ConnectionSpec, message: String) -> Error {
    Error::Connection {
        url: spec.redacted(),
        message: spec.scrub(&message),
    }
}

/// `DATABASE_URL` from the environment or `.env`, or the SQLite default.
pub(crate) fn url_from_env() -> Result<String> {
    match dotenvy::dotenv() {
        Ok(_) => {}
        Err(e) if e.not_found() => {}
        Err(e) => {
            return Err(Error::Config(format!(
                "could not read the .env file: {e}; fix the line or remove the file"
            )));
        }
    }
    match std::env::var("DATABASE_URL") {
        Ok(url) => Ok(url),
        Err(std::env::VarError::NotPresent) => Ok(DEFAULT_SQLITE_PATH.to_owned()),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(Error::Config("DATABASE_URL is not valid UTF-8".into()))
        }
    }
}
