//! Opening, checking and closing the pool's connections (the r2d2
//! `ManageConnection`), and what happens to connections when the last
//! [`Database`](super::Database) handle is dropped.
//!
//! Settings per connection are applied here, as the backend modules write
//! them (SQLite pragmas, PostgreSQL `statement_timeout` and `lock_timeout`;
//! libpq's `connect_timeout` and `application_name` from [`crate::url`]),
//! then the statement-cache setting and the user's `on_connect` hook;
//! waiting for a connection and the pool's own settings belong to
//! [`super`].

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::r2d2::R2D2Connection;

use super::metrics::Counters;
use crate::connection::{AnyConnection, Backend, PgConnection, SqliteConnection};
use crate::error::{Error, Result};
use crate::observe::{Observer, Settings};
use crate::url::ConnectionSpec;

/// Opens connections for the pool (an r2d2 `ManageConnection`).
///
/// Built by [`DatabaseBuilder::build`](super::DatabaseBuilder::build);
/// public so that the pooled connection type can be named.
pub struct ConnectionManager {
    pub(super) spec: ConnectionSpec,
    pub(super) sqlite_busy_timeout: Duration,
    /// SQLite's page cache per connection, in KiB.
    pub(super) sqlite_cache_kib: u64,
    pub(super) connect_timeout: Duration,
    /// `SET statement_timeout …; SET lock_timeout …` for new PostgreSQL
    /// connections, when either is set (`backend::postgres::session_sql`).
    pub(super) pg_session: Option<String>,
    pub(super) life: Arc<Lifecycle>,
    /// Tracing, slow-query and user instrumentation settings for each connection.
    pub(super) observe: Arc<Settings>,
    /// The pool's counters (checkouts, broken connections replaced, …).
    pub(super) counters: Arc<Counters>,
    /// A primary with read replicas: the highest WAL position its
    /// connections wrote, read when a connection that wrote returns
    /// (see [`super::replica`]).
    pub(super) written: Option<Arc<std::sync::atomic::AtomicU64>>,
    /// The user's set-up for each new connection (`DatabaseBuilder::on_connect`).
    pub(super) on_connect: Option<Arc<super::builder::OnConnect>>,
    /// PostgreSQL's `application_name`, unless the URL sets one.
    pub(super) application_name: Option<String>,
    /// diesel's prepared-statement cache on (`false` behind PgBouncer's
    /// transaction pooling).
    pub(super) statement_cache: bool,
}

impl std::fmt::Debug for ConnectionManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionManager")
            .field("url", &self.spec)
            .finish_non_exhaustive()
    }
}

/// What the pool's connections share with its handles: the connection the
/// pool was proven with, the connects under way, and whether the pool is
/// closing.
#[derive(Default)]
pub(super) struct Lifecycle {
    /// The connection `build` opened to prove the URL, handed to the first
    /// `connect` instead of opening another.
    spare: Mutex<Option<AnyConnection>>,
    state: Mutex<Connects>,
    changed: Condvar,
}

#[derive(Default)]
struct Connects {
    in_flight: usize,
    closing: bool,
}

impl Lifecycle {
    pub(super) fn keep_spare(&self, conn: AnyConnection) {
        *lock(&self.spare) = Some(conn);
    }

    /// Marks the pool closing and waits up to `limit` for the connects
    /// under way to finish, so no connection is being opened (a TLS
    /// handshake in a background thread) when the process exits.
    pub(super) fn close(&self, limit: Duration) {
        lock(&self.spare).take();
        let mut state = lock(&self.state);
        state.closing = true;
        let deadline = Instant::now().checked_add(limit);
        while state.in_flight > 0 {
            let left = deadline.map_or(Duration::from_secs(1), |d| {
                d.saturating_duration_since(Instant::now())
            });
            if left.is_zero() {
                break;
            }
            state = self
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    fn closing(&self) -> bool {
        lock(&self.state).closing
    }
}

/// Counts a connect as under way until dropped.
struct InFlight<'a>(&'a Lifecycle);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        lock(&self.0.state).in_flight -= 1;
        self.0.changed.notify_all();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// glowplug's instrumentation on `conn`, if it still has it.
fn observer<C: diesel::Connection>(conn: &mut C) -> Option<&mut Observer> {
    conn.instrumentation().downcast_mut::<Observer>()
}

impl ConnectionManager {
    /// The instrumentation chain for a new connection (installed after the
    /// connection's own settings, so those statements are not traced).
    fn observer(&self, backend: Backend) -> Observer {
        Observer::new(backend, self.observe.clone())
    }

    /// Whether `conn` is broken; a connection whose instrumentation was
    /// replaced (`set_instrumentation` during a checkout) gets glowplug's
    /// chain back here, as it returns to the pool.
    fn broken<C: diesel::Connection + R2D2Connection>(
        &self,
        conn: &mut C,
        backend: Backend,
    ) -> bool {
        if conn.is_broken() {
            return true;
        }
        match observer(conn) {
            Some(watch) => watch.lost(),
            None => {
                conn.set_instrumentation(self.observer(backend));
                false
            }
        }
    }

    /// Opens and configures one connection.
    pub(super) fn establish(&self) -> Result<AnyConnection> {
        let fail = |message: String| connection_error(&self.spec, message);
        let configure_failed =
            |e: diesel::result::Error| fail(format!("could not configure the connection: {e}"));
        match &self.spec {
            ConnectionSpec::Postgres(info) => {
                let mut info = info.with_connect_timeout(self.connect_timeout);
                if let Some(name) = &self.application_name
                    && info.get("application_name").is_none()
                {
                    info.set("application_name", name.clone());
                }
                let mut conn =
                    PgConnection::establish(&info.conninfo()).map_err(|e| fail(e.to_string()))?;
                crate::backend::postgres::configure(&mut conn, self.pg_session.as_deref())
                    .map_err(configure_failed)?;
                self.set_up(AnyConnection::Postgres(conn), Backend::Postgres)
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
                crate::backend::sqlite::configure(
                    &mut conn,
                    self.sqlite_busy_timeout,
                    self.sqlite_cache_kib,
                    self.spec.is_memory(),
                )
                .map_err(configure_failed)?;
                self.set_up(AnyConnection::Sqlite(conn), Backend::Sqlite)
            }
        }
    }
}

impl ConnectionManager {
    /// The last steps of opening `conn`: the statement cache setting, the
    /// user's hook, then glowplug's instrumentation.
    fn set_up(&self, mut conn: AnyConnection, backend: Backend) -> Result<AnyConnection> {
        if !self.statement_cache {
            conn.set_prepared_statement_cache_size(diesel::connection::CacheSize::Disabled);
        }
        if let Some(hook) = &self.on_connect {
            hook(&mut conn).map_err(|e| {
                connection_error(
                    &self.spec,
                    format!("the on_connect hook failed on a new connection: {e}"),
                )
            })?;
        }
        conn.set_instrumentation(self.observer(backend));
        Ok(conn)
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = AnyConnection;
    type Error = Error;

    fn connect(&self) -> Result<AnyConnection> {
        let life = &*self.life;
        {
            let mut state = lock(&life.state);
            if state.closing {
                return Err(Error::pool(POOL_CLOSED.into()));
            }
            state.in_flight += 1;
        }
        let _in_flight = InFlight(life);
        if let Some(conn) = lock(&life.spare).take() {
            return Ok(conn);
        }
        self.establish()
    }

    /// The health check: diesel's `ping` (`SELECT 1` as a cached prepared
    /// statement) on the concrete connection.
    fn is_valid(&self, conn: &mut AnyConnection) -> Result<()> {
        if self.life.closing() {
            return Err(Error::pool(POOL_CLOSED.into()));
        }
        let pinged = quietly(conn, |conn| match conn {
            AnyConnection::Postgres(c) => c.ping(),
            AnyConnection::Sqlite(c) => c.ping(),
        });
        if pinged.is_err() {
            self.counters.broken();
        }
        pinged.map_err(Error::from)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        if self.life.closing() {
            return true;
        }
        let broken = match conn {
            AnyConnection::Postgres(c) => self.broken(c, Backend::Postgres),
            AnyConnection::Sqlite(c) => self.broken(c, Backend::Sqlite),
        };
        if broken {
            self.counters.broken();
        } else if let (Some(written), AnyConnection::Postgres(c)) = (&self.written, &mut *conn)
            && observer(c).is_some_and(Observer::take_wrote)
        {
            super::replica::note_written(conn, written);
        }
        broken
    }
}

/// Runs `f` on `conn` with glowplug's instrumentation muted: the health
/// check's ping and glowplug's own bookkeeping statements (a replica's
/// position, the primary's after a write) are not traced, recorded or
/// forwarded, unless the settings trace health checks.
pub(super) fn quietly<T>(conn: &mut AnyConnection, f: impl FnOnce(&mut AnyConnection) -> T) -> T {
    set_muted(conn, true);
    let result = f(conn);
    set_muted(conn, false);
    result
}

fn set_muted(conn: &mut AnyConnection, muted: bool) {
    let observer = match conn {
        AnyConnection::Postgres(c) => observer(c),
        AnyConnection::Sqlite(c) => observer(c),
    };
    if let Some(o) = observer {
        o.mute(muted);
    }
}

/// Why a closed pool opens nothing.
const POOL_CLOSED: &str = "the pool is closed: the last Database handle was dropped";

/// What the pool does with the errors of its background connects: logs them
/// as r2d2 does (`log` at ERROR), except the refusal of a closed pool, which
/// is expected (closing hands idle connections out once more, and r2d2 then
/// tries to replace those `min_idle` asks for).
#[derive(Debug)]
pub(super) struct ConnectErrors;

impl r2d2::HandleError<Error> for ConnectErrors {
    fn handle_error(&self, error: Error) {
        if !matches!(&error, Error::Pool { message: m, .. } if m == POOL_CLOSED) {
            r2d2::HandleError::handle_error(&r2d2::LoggingErrorHandler, error);
        }
    }
}

/// A failed connection attempt on `spec`, with any password removed from
/// the driver's message.
pub(super) fn connection_error(spec: &ConnectionSpec, message: String) -> Error {
    Error::Connection {
        url: spec.redacted(),
        message: spec.scrub(&message),
    }
}
