//! [`DatabaseBuilder`]: the pool's settings, their defaults and limits
//! (the table in the [module docs](super)), and building the pool from
//! them. Opening each connection belongs to `manager`; the pool handle,
//! checkouts and transactions to [`super`].

use std::sync::Arc;
use std::time::Duration;

use super::manager::{self, ConnectionManager, Lifecycle};
use super::metrics::Counters;
use super::replica::{ReplicaFallback, ReplicaSettings, Replicas};
use super::{
    C_INT_MAX, CHECKOUT_ROUND, DEFAULT_CONNECT_TIMEOUT, DEFAULT_SQLITE_CACHE_SIZE, Database,
    MAX_POOL_SIZE, Shared,
};
use crate::backend::postgres;
use crate::connection::AnyConnection;
use crate::error::{Error, Result};
use crate::observe::Settings;
use crate::url::ConnectionSpec;

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
#[derive(Clone)]
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
    sqlite_cache_size: u64,
    connect_timeout: Duration,
    statement_timeout: Option<Duration>,
    lock_timeout: Option<Duration>,
    observe: Settings,
    replicas: ReplicaSettings,
    on_connect: Option<Arc<OnConnect>>,
    application_name: Option<String>,
    prepared_statement_cache: bool,
    migration_url: Option<String>,
}

/// The hook of [`DatabaseBuilder::on_connect`].
pub(super) type OnConnect = dyn Fn(&mut AnyConnection) -> Result<()> + Send + Sync;

impl std::fmt::Debug for DatabaseBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseBuilder")
            .field("url", &crate::redact_url(&self.url))
            .field("max_size", &self.max_size)
            .field("min_idle", &self.min_idle)
            .field("connection_timeout", &self.connection_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_lifetime", &self.max_lifetime)
            .field("test_on_check_out", &self.test_on_check_out)
            .field("sqlite_busy_timeout", &self.sqlite_busy_timeout)
            .field("sqlite_cache_size", &self.sqlite_cache_size)
            .field("connect_timeout", &self.connect_timeout)
            .field("statement_timeout", &self.statement_timeout)
            .field("lock_timeout", &self.lock_timeout)
            .field("slow_query_threshold", &self.observe.slow_query)
            .field("log_binds", &self.observe.binds)
            .field("trace_health_checks", &self.observe.health_checks)
            .field("instrumentation", &self.observe.user.is_some())
            .field(
                "replicas",
                &self
                    .replicas
                    .urls
                    .iter()
                    .map(|u| crate::redact_url(u))
                    .collect::<Vec<_>>(),
            )
            .field("replica_fallback", &self.replicas.fallback)
            .field("replica_wait", &self.replicas.wait)
            .field("max_replica_lag", &self.replicas.max_lag)
            .field("replica_checkout_timeout", &self.replicas.checkout_timeout)
            .field("replica_retry", &self.replicas.retry)
            .field("on_connect", &self.on_connect.is_some())
            .field("application_name", &self.application_name)
            .field("prepared_statement_cache", &self.prepared_statement_cache)
            .field(
                "migration_url",
                &self.migration_url.as_deref().map(crate::redact_url),
            )
            .finish()
    }
}

impl DatabaseBuilder {
    pub(super) fn new(url: &str) -> Self {
        DatabaseBuilder {
            url: url.to_owned(),
            max_size: 10,
            min_idle: None,
            connection_timeout: Duration::from_secs(30),
            idle_timeout: Some(Duration::from_secs(600)),
            max_lifetime: Some(Duration::from_secs(1800)),
            test_on_check_out: true,
            sqlite_busy_timeout: Duration::from_secs(5),
            sqlite_cache_size: DEFAULT_SQLITE_CACHE_SIZE,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            statement_timeout: None,
            lock_timeout: None,
            observe: Settings::default(),
            replicas: ReplicaSettings::default(),
            on_connect: None,
            application_name: default_application_name(),
            prepared_statement_cache: true,
            migration_url: None,
        }
    }

    /// Adds a PostgreSQL streaming replica that serves reads
    /// ([`Database::read`]); call once per replica. Writes, transactions and
    /// migrations stay on the primary (the builder's URL). Every pool
    /// setting applies to the replica's own pool as well. A replica that
    /// is down when the pool is built is not an error: it is skipped until
    /// it answers. See [`super::replica`] for routing and read-your-writes.
    /// On SQLite, [`build`](Self::build) refuses replicas.
    pub fn replica(mut self, url: &str) -> Self {
        self.replicas.urls.push(url.to_owned());
        self
    }

    /// What a read does when no replica can serve it: go to the primary
    /// (the default) or fail with [`Error::Pool`].
    pub fn replica_fallback(mut self, fallback: ReplicaFallback) -> Self {
        self.replicas.fallback = fallback;
        self
    }

    /// How long a read waits for a replica to replay the writes it must
    /// see before it takes the [`replica_fallback`](Self::replica_fallback)
    /// (default zero: no waiting). At most one minute.
    pub fn replica_wait(mut self, wait: Duration) -> Self {
        self.replicas.wait = wait;
        self
    }

    /// Replicas lagging more than `lag` behind the primary serve no reads
    /// (default: no limit). The lag is read at most once a second per replica.
    pub fn max_replica_lag(mut self, lag: Duration) -> Self {
        self.replicas.max_lag = Some(lag);
        self
    }

    /// How long a read waits for a replica's connection before it moves on
    /// to the next server (default 1 s; longer than zero; the
    /// [`connection_timeout`](Self::connection_timeout) when that is shorter).
    pub fn replica_checkout_timeout(mut self, timeout: Duration) -> Self {
        self.replicas.checkout_timeout = timeout;
        self
    }

    /// How long a replica that could not be reached is left alone before
    /// it is tried again (default 5 s; longer than zero).
    pub fn replica_retry(mut self, retry: Duration) -> Self {
        self.replicas.retry = retry;
        self
    }

    /// The most connections the pool opens (default 10; 1 to [`MAX_POOL_SIZE`]).
    pub fn max_size(mut self, max_size: u32) -> Self {
        self.max_size = max_size;
        self
    }

    /// Connections the pool keeps open even when idle, opened in the
    /// background at start-up and after connections close (default 0:
    /// connections are opened when checkouts need them).
    pub fn min_idle(mut self, min_idle: u32) -> Self {
        self.min_idle = Some(min_idle);
        self
    }

    /// How long [`Database::get`] waits for a connection (default 30 s;
    /// `Duration::MAX` waits without limit).
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
    /// before failing with [`Error::Busy`] (default 5 s; at most
    /// 2 147 483 647 ms, SQLite's limit).
    pub fn sqlite_busy_timeout(mut self, timeout: Duration) -> Self {
        self.sqlite_busy_timeout = timeout;
        self
    }

    /// The most memory each SQLite connection keeps as its page cache, in
    /// bytes (default [`DEFAULT_SQLITE_CACHE_SIZE`]: SQLite's own 2 000
    /// KiB). Rounded up to whole KiB and set with `PRAGMA cache_size =
    /// -KiB`; at most 2 147 483 647 KiB. Not applied on PostgreSQL, whose
    /// cache is the server's `shared_buffers`.
    ///
    /// A larger cache keeps more of a big database in the connection's own
    /// memory (at most this times the pool's `max_size`; it fills only as
    /// pages are read). The default stays SQLite's because that is what
    /// measured faster here: `benches/sqlite_cache.rs` on a 55 MB table,
    /// quiet machine, gave `count(*)` 0.72 ms with 2 MiB against 7.7 ms with
    /// 64 MiB, and a lookup by key 2.7 µs against 4.6 µs (BENCHMARKS.md,
    /// "SQLite page cache"). Raise it for workloads that measure better
    /// with it.
    ///
    /// ```
    /// let db = glowplug::Database::builder("sqlite::memory:")
    ///     .sqlite_cache_size(16 * 1024 * 1024)
    ///     .build()?;
    /// # Ok::<(), glowplug::Error>(())
    /// ```
    pub fn sqlite_cache_size(mut self, bytes: u64) -> Self {
        self.sqlite_cache_size = bytes;
        self
    }

    /// How long opening a PostgreSQL connection may take before it fails
    /// (default 10 s; whole seconds, at least 1, as libpq counts them; at
    /// most 2 147 483 647 s). A `connect_timeout` already in the URL wins.
    /// Without a limit, a host that drops packets would hold a checkout for
    /// minutes.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// PostgreSQL's `statement_timeout` for every connection of the pool: the
    /// server cancels a statement that runs longer, and it fails with
    /// [`Error::Timeout`] (default: none, the server's setting). Whole
    /// milliseconds, rounded up; at most 2 147 483 647 ms. SQLite has no
    /// such setting: there it is not applied.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// let db = glowplug::Database::builder("postgres://app@db/app")
    ///     .statement_timeout(Duration::from_secs(5))
    ///     .lock_timeout(Duration::from_secs(1))
    ///     .build()?;
    /// # Ok::<(), glowplug::Error>(())
    /// ```
    pub fn statement_timeout(mut self, timeout: Duration) -> Self {
        self.statement_timeout = Some(timeout);
        self
    }

    /// PostgreSQL's `lock_timeout` for every connection of the pool: a
    /// statement that waits longer for a lock (a row another transaction is
    /// updating, a table an `ALTER TABLE` is changing) is cancelled and fails
    /// with [`Error::Timeout`] (default: none, wait as long as the holder
    /// holds it). Whole milliseconds, rounded up; at most 2 147 483 647 ms.
    /// SQLite's lock wait is [`sqlite_busy_timeout`](Self::sqlite_busy_timeout);
    /// this one is not applied there.
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = Some(timeout);
        self
    }

    /// Adds your own diesel `Instrumentation` to every connection of the
    /// pool, after glowplug's (the lost-connection watch, `tracing`, the
    /// slow-query log and the query recorders): both run, nothing is
    /// replaced. Each connection gets its own clone of `instrumentation`
    /// (share counters through an `Arc`). Health-check pings are not
    /// forwarded unless [`trace_health_checks`](Self::trace_health_checks).
    ///
    /// One per pool: a second call replaces the first (combine them in one
    /// closure). Without one, diesel's global default
    /// (`diesel::connection::set_default_instrumentation`) is used, as for
    /// diesel's own connections.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use diesel::connection::InstrumentationEvent;
    /// use diesel::prelude::*;
    ///
    /// let started = Arc::new(AtomicUsize::new(0));
    /// let counter = started.clone();
    /// let db = glowplug::Database::builder("sqlite::memory:")
    ///     .instrumentation(move |event: InstrumentationEvent<'_>| {
    ///         if let InstrumentationEvent::StartQuery { .. } = event {
    ///             counter.fetch_add(1, Ordering::Relaxed);
    ///         }
    ///     })
    ///     .build()?;
    /// diesel::sql_query("SELECT 1").execute(&mut db.get()?)?;
    /// assert_eq!(started.load(Ordering::Relaxed), 1, "the health check is not counted");
    /// # Ok::<(), glowplug::Error>(())
    /// ```
    pub fn instrumentation<I>(mut self, instrumentation: I) -> Self
    where
        I: diesel::connection::Instrumentation + Clone + Sync,
    {
        self.observe.user = Some(Arc::new(move || Box::new(instrumentation.clone())));
        self
    }

    /// Logs statements that take at least `threshold` at WARN (target
    /// `glowplug::slow_query`) with their SQL and duration (default: none).
    /// Only the statements over it are formatted.
    ///
    /// ```
    /// use std::time::Duration;
    /// let db = glowplug::Database::builder("sqlite::memory:")
    ///     .slow_query_threshold(Duration::from_millis(200))
    ///     .build()?;
    /// # Ok::<(), glowplug::Error>(())
    /// ```
    pub fn slow_query_threshold(mut self, threshold: Duration) -> Self {
        self.observe.slow_query = Some(threshold);
        self
    }

    /// Adds the bind values to statement events, slow-query warnings and
    /// recorded [`Statement`](crate::observe::Statement)s (default `false`:
    /// they may hold personal data or secrets).
    pub fn log_binds(mut self, log: bool) -> Self {
        self.observe.binds = log;
        self
    }

    /// Traces, records and forwards the pool's health-check pings
    /// (`SELECT 1` on each checkout, see
    /// [`test_on_check_out`](Self::test_on_check_out)) like any statement
    /// (default `false`: they are left out, so query counts and logs show
    /// only what the application sends).
    pub fn trace_health_checks(mut self, trace: bool) -> Self {
        self.observe.health_checks = trace;
        self
    }

    /// Runs `hook` on every new connection of the pool, after glowplug's own
    /// settings (pragmas, timeouts) and before the connection is first handed
    /// out: `SET search_path`, `SET ROLE`, a SQLite pragma, a temporary table.
    /// An error from it fails that connect with [`Error::Connection`] saying
    /// the hook failed, with the hook's own error as its message (the
    /// connection is closed, never pooled); when building the pool, `build`
    /// returns it. One per pool: a second call replaces the first.
    ///
    /// Its statements are not traced or recorded (glowplug's instrumentation
    /// is installed after it), and it runs again on every replacement
    /// connection, so it must be safe to repeat.
    ///
    /// Behind PgBouncer in transaction pooling mode a `SET` here does not
    /// stay with your connection: PgBouncer hands server sessions to
    /// whichever client has a transaction, so the setting lands on one server
    /// session and is then seen by other clients' transactions there, and
    /// yours run on sessions that never got it. Put such settings in
    /// PgBouncer's `connect_query`, the role (`ALTER ROLE … SET`) or `SET
    /// LOCAL` inside each transaction (README, "Behind PgBouncer").
    ///
    /// ```
    /// use diesel::connection::SimpleConnection;
    /// use diesel::prelude::*;
    /// use glowplug::AnyConnection;
    ///
    /// let db = glowplug::Database::builder("sqlite::memory:")
    ///     .on_connect(|conn: &mut AnyConnection| {
    ///         conn.batch_execute("PRAGMA case_sensitive_like = ON")?;
    ///         Ok(())
    ///     })
    ///     .build()?;
    /// let n: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
    ///     "'A' LIKE 'a'",
    /// ))
    /// .get_result(&mut db.get()?)?;
    /// assert_eq!(n, 0, "LIKE is case-sensitive on this pool");
    /// # Ok::<(), glowplug::Error>(())
    /// ```
    pub fn on_connect<F>(mut self, hook: F) -> Self
    where
        F: Fn(&mut AnyConnection) -> Result<()> + Send + Sync + 'static,
    {
        self.on_connect = Some(Arc::new(hook));
        self
    }

    /// PostgreSQL's `application_name` for the pool's connections, shown in
    /// `pg_stat_activity` and the server's logs (`%a`) so each application
    /// is told apart there. Default: the name of the running program (its
    /// executable's file name without extension). An `application_name` in
    /// the URL wins; `None` sends none (the server shows an empty name).
    /// Sent at connect time (a libpq option), so PgBouncer passes it on too.
    /// At most 63 bytes are kept by the server. Not applied on SQLite.
    pub fn application_name(mut self, name: Option<&str>) -> Self {
        self.application_name = name.map(str::to_owned);
        self
    }

    /// diesel's prepared-statement cache on each connection (default
    /// `true`): a statement glowplug runs again is sent as a named prepared
    /// statement, parsed and planned once per connection. Turn it off
    /// (`false`) behind **PgBouncer in transaction pooling mode** before
    /// PgBouncer 1.21: there a named statement prepared on one server session
    /// is missing on the next one (`prepared statement "__diesel_stmt_0"
    /// does not exist`). Without the cache every statement goes as one
    /// unnamed parse-bind-execute, which PgBouncer forwards within one
    /// transaction; the cost is measured in BENCHMARKS.md ("Through
    /// PgBouncer"). On SQLite it only costs speed.
    ///
    /// glowplug does not guess this from the URL (there is no sure sign of
    /// a pooler in it, and a `?pgbouncer=true` marker would be a parameter
    /// libpq does not know): set it where the URL is chosen.
    pub fn prepared_statement_cache(mut self, on: bool) -> Self {
        self.prepared_statement_cache = on;
        self
    }

    /// A URL the migrations run on, instead of the pool's (default: the
    /// pool's; [`Database::builder_from_env`] reads it from
    /// `MIGRATION_DATABASE_URL`). Give the **direct** server URL here when
    /// the pool goes through PgBouncer in transaction pooling mode: the
    /// migration lock is a session-level advisory lock, which needs one
    /// server session from lock to unlock, and a migration may hold a
    /// statement outside a transaction (`CREATE INDEX CONCURRENTLY`).
    /// [`Database::migrator`] and [`Database::run_pending_migrations`] then
    /// open one connection on this URL per operation, with this builder's
    /// other settings (hook, timeouts, `application_name`; the statement
    /// cache on), and close it afterwards. Both URLs must name the same
    /// backend; it is checked by [`build`](Self::build).
    pub fn migration_url(mut self, url: &str) -> Self {
        self.migration_url = Some(url.to_owned());
        self
    }

    /// Checks the settings, opens one connection to prove the URL works, and
    /// builds the pool.
    pub fn build(mut self) -> Result<Database> {
        let spec = ConnectionSpec::parse(&self.url)?;
        self.check()?;
        let replicas = self.open_replicas(&spec)?;
        let written = replicas
            .as_ref()
            .map(|_| Arc::new(std::sync::atomic::AtomicU64::new(0)));
        self.observe.writes = written.is_some();
        self.open(spec, true, written, replicas)
    }

    /// The replicas' pools, none opened yet (a replica down at start-up is
    /// skipped until it answers).
    fn open_replicas(&self, primary: &ConnectionSpec) -> Result<Option<Replicas>> {
        let settings = &self.replicas;
        if settings.urls.is_empty() {
            return Ok(None);
        }
        if primary.backend() != crate::connection::Backend::Postgres {
            return Err(Error::config(
                "read replicas are for PostgreSQL: SQLite has no replication; remove .replica(..) from the builder".into(),
            ));
        }
        let mut pools = Vec::with_capacity(settings.urls.len());
        for url in &settings.urls {
            let spec = ConnectionSpec::parse(url)?;
            if spec.backend() != crate::connection::Backend::Postgres {
                return Err(Error::config(format!(
                    "the replica `{}` is not a PostgreSQL URL; replicas of a PostgreSQL primary are PostgreSQL servers",
                    spec.redacted()
                )));
            }
            let mut builder = self.clone();
            builder.url.clone_from(url);
            builder.replicas = ReplicaSettings::default();
            builder.migration_url = None;
            pools.push(builder.open(spec, false, None, None)?);
        }
        let mut settings = settings.clone();
        settings.checkout_timeout = settings.checkout_timeout.min(self.connection_timeout);
        Ok(Some(Replicas::new(pools, settings)))
    }

    /// Opens the pool on `spec`; with `eager`, one connection at once, so
    /// a wrong URL fails here.
    fn open(
        self,
        spec: ConnectionSpec,
        eager: bool,
        written: Option<Arc<std::sync::atomic::AtomicU64>>,
        replicas: Option<Replicas>,
    ) -> Result<Database> {
        let pg_session = postgres::session_sql(self.statement_timeout, self.lock_timeout);
        let life = Arc::new(Lifecycle::default());
        let counters = Arc::new(Counters::default());
        let migration_spec = self.migration_spec(&spec)?;
        let observe = Arc::new(self.observe.clone());
        let manager_on = |spec: ConnectionSpec, statement_cache: bool| ConnectionManager {
            spec,
            sqlite_busy_timeout: self.sqlite_busy_timeout,
            sqlite_cache_kib: self.sqlite_cache_size.div_ceil(1024),
            connect_timeout: self.connect_timeout,
            pg_session: pg_session.clone(),
            life: life.clone(),
            observe: observe.clone(),
            counters: counters.clone(),
            written: written.clone(),
            on_connect: self.on_connect.clone(),
            application_name: self.application_name.clone(),
            statement_cache,
        };
        let manager = manager_on(spec.clone(), self.prepared_statement_cache);
        let migrations = migration_spec.map(|s| Arc::new(manager_on(s, true)));
        // Fail fast with the driver's own message rather than a pool
        // timeout; the first checkout gets this connection.
        if eager {
            life.keep_spare(manager.establish()?);
        }

        let memory = spec.is_memory();
        // r2d2's default worker pool keeps its threads until its next
        // scheduled job (the reaper, every 30 s) after the pool is dropped,
        // so a program that builds pools in a loop runs out of threads.
        let workers = scheduled_thread_pool::ScheduledThreadPool::builder()
            .num_threads(3)
            .thread_name_pattern("glowplug-pool-{}")
            .on_drop_behavior(scheduled_thread_pool::OnPoolDropBehavior::DiscardPendingScheduled)
            .build();
        let builder = r2d2::Pool::builder()
            .thread_pool(Arc::new(workers))
            .error_handler(Box::new(manager::ConnectErrors))
            .connection_timeout(CHECKOUT_ROUND)
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
                .min_idle(Some(self.min_idle.unwrap_or(0)))
                .idle_timeout(self.idle_timeout)
                .max_lifetime(self.max_lifetime)
        };
        let pool = builder.build_unchecked(manager);
        tracing::debug!(
            target: "glowplug::pool",
            url = %spec.redacted(),
            backend = %spec.backend(),
            max_size = if memory { 1 } else { self.max_size },
            "pool opened",
        );
        Ok(Database {
            shared: Arc::new(Shared {
                pool,
                backend: spec.backend(),
                url: spec.redacted(),
                connection_timeout: self.connection_timeout,
                max_size: if memory { 1 } else { self.max_size },
                close_wait: self.connect_timeout.saturating_add(Duration::from_secs(1)),
                life,
                counters,
                written,
                replicas,
                migrations,
            }),
        })
    }

    /// The [`migration_url`](Self::migration_url), read, on the backend of
    /// the pool's `spec`.
    fn migration_spec(&self, spec: &ConnectionSpec) -> Result<Option<ConnectionSpec>> {
        let Some(url) = &self.migration_url else {
            return Ok(None);
        };
        let migration = ConnectionSpec::parse(url)
            .map_err(|e| Error::config(format!("the migration URL could not be used: {e}")))?;
        if migration.backend() != spec.backend() {
            return Err(Error::config(format!(
                "the migration URL is for {} but the pool's URL is for {}: give both for the same database",
                migration.backend(),
                spec.backend()
            )));
        }
        Ok(Some(migration))
    }

    /// Every setting within its range (see the module docs' table).
    fn check(&self) -> Result<()> {
        let bad = |m: String| Err(Error::config(m));
        if self.max_size == 0 || self.max_size > MAX_POOL_SIZE {
            return bad(format!(
                "max_size must be at least 1 and at most {MAX_POOL_SIZE} (got {})",
                self.max_size
            ));
        }
        if let Some(min) = self.min_idle.filter(|&m| m > self.max_size) {
            return bad(format!(
                "min_idle ({min}) cannot exceed max_size ({})",
                self.max_size
            ));
        }
        if self.connection_timeout.is_zero() {
            return bad(
                "connection_timeout must be longer than zero (Duration::MAX waits without limit)"
                    .into(),
            );
        }
        for (name, value) in [
            ("idle_timeout", self.idle_timeout),
            ("max_lifetime", self.max_lifetime),
        ] {
            if value.is_some_and(|v| v.is_zero()) {
                return bad(format!(
                    "{name} must be longer than zero; pass None for no limit"
                ));
            }
        }
        if self.connect_timeout.as_secs() > C_INT_MAX {
            return bad(format!(
                "connect_timeout must be at most {C_INT_MAX} s, libpq's limit (got {:?})",
                self.connect_timeout
            ));
        }
        if self.sqlite_busy_timeout.as_millis() > u128::from(C_INT_MAX) {
            return bad(format!(
                "sqlite_busy_timeout must be at most {C_INT_MAX} ms (about 24 days), SQLite's limit (got {:?})",
                self.sqlite_busy_timeout
            ));
        }
        if self.sqlite_cache_size.div_ceil(1024) > C_INT_MAX {
            return bad(format!(
                "sqlite_cache_size must be at most {C_INT_MAX} KiB (about 2 TiB), SQLite's limit (got {} bytes)",
                self.sqlite_cache_size
            ));
        }
        for (name, value) in [
            ("statement_timeout", self.statement_timeout),
            ("lock_timeout", self.lock_timeout),
        ] {
            match value {
                Some(v) if v.is_zero() => {
                    return bad(format!(
                        "{name} must be longer than zero (PostgreSQL reads 0 as no limit; leave it unset for that)"
                    ));
                }
                Some(v) if postgres::millis_ceil(v) > C_INT_MAX => {
                    return bad(format!(
                        "{name} must be at most {C_INT_MAX} ms, PostgreSQL's limit (got {v:?})"
                    ));
                }
                _ => {}
            }
        }
        // Replica settings matter only with replicas.
        let r = &self.replicas;
        if !r.urls.is_empty() {
            if r.wait > Duration::from_secs(60) {
                return bad(format!(
                    "replica_wait must be at most one minute (got {:?}); a read should not wait longer for a replica than for the primary",
                    r.wait
                ));
            }
            if r.checkout_timeout.is_zero() {
                return bad("replica_checkout_timeout must be longer than zero".into());
            }
            if r.retry.is_zero() {
                return bad("replica_retry must be longer than zero".into());
            }
        }
        Ok(())
    }
}

/// The running program's name (its executable's file stem), PostgreSQL's
/// `application_name` unless [`DatabaseBuilder::application_name`] says
/// otherwise.
fn default_application_name() -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    let stem = exe.file_stem()?.to_str()?;
    (!stem.is_empty()).then(|| stem.to_owned())
}
