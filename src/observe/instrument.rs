//! glowplug's diesel `Instrumentation`, one per connection: the chain of
//! the lost-connection watch, `tracing`, the slow-query log, the recorders
//! and the application's own instrumentation (see [`super`]).

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::{DebugQuery, Instrumentation, InstrumentationEvent};
use tracing::field::Empty;

use super::millis;
use super::operation::{self, Operation};
use super::record::{self, Statement};
use super::text::Text;
use crate::connection::Backend;

/// Makes the application's instrumentation for each new connection.
pub(crate) type UserInstrumentation = Arc<dyn Fn() -> Box<dyn Instrumentation> + Send + Sync>;

/// What the pool's `DatabaseBuilder` says about observing statements.
#[derive(Clone, Default)]
pub(crate) struct Settings {
    pub(crate) slow_query: Option<Duration>,
    pub(crate) binds: bool,
    pub(crate) health_checks: bool,
    pub(crate) user: Option<UserInstrumentation>,
    /// Notes whether a statement may have written (a primary with read
    /// replicas, whose pool then reads the WAL position on check-in).
    pub(crate) writes: bool,
}

/// glowplug's instrumentation on one connection.
pub(crate) struct Observer {
    backend: Backend,
    /// The slow-query threshold, copied here so the per-statement check
    /// reads no shared memory.
    slow_query: Option<Duration>,
    settings: Arc<Settings>,
    /// The connection met an error that means the server is gone.
    lost: bool,
    /// A health check is running: not traced, recorded or forwarded.
    muted: bool,
    /// Whether to watch for writes (the settings' `writes`), and whether
    /// a statement since the last [`take_wrote`](Self::take_wrote) may have written.
    track_writes: bool,
    wrote: bool,
    pending: Option<Pending>,
    transactions: Vec<Transaction>,
    user: Option<Box<dyn Instrumentation>>,
}

/// A statement started and not yet reported finished.
struct Pending {
    start: Instant,
    /// Formatted at the start when a recorder or subscriber wants it.
    text: Option<Text>,
    record: bool,
    cached: bool,
    operation: Option<Operation>,
}

/// An open transaction's span.
struct Transaction {
    depth: NonZeroU32,
    span: tracing::Span,
    start: Instant,
}

/// Whether a subscriber wants the per-statement events.
fn traced() -> bool {
    tracing::enabled!(target: "glowplug::query", tracing::Level::DEBUG)
}

impl Observer {
    pub(crate) fn new(backend: Backend, settings: Arc<Settings>) -> Observer {
        let user = match &settings.user {
            Some(make) => Some(make()),
            None => diesel::connection::get_default_instrumentation(),
        };
        Observer {
            backend,
            slow_query: settings.slow_query,
            settings: settings.clone(),
            lost: false,
            muted: false,
            track_writes: settings.writes,
            wrote: false,
            pending: None,
            transactions: Vec::new(),
            user,
        }
    }

    /// Whether this connection has seen its server go away.
    pub(crate) fn lost(&self) -> bool {
        self.lost
    }

    /// Whether a statement may have written since the last call, and
    /// forgets it (only tracked when the settings ask for it).
    pub(crate) fn take_wrote(&mut self) -> bool {
        std::mem::take(&mut self.wrote)
    }

    /// Mutes (for the pool's health check) or unmutes the chain, unless
    /// the settings trace health checks.
    pub(crate) fn mute(&mut self, muted: bool) {
        self.muted = muted && !self.settings.health_checks;
    }

    /// The per-statement hot path: a few checks, and nothing else unless a
    /// recorder, a subscriber or the slow-query threshold wants the statement.
    #[inline]
    fn start(&mut self, query: &dyn DebugQuery) {
        if self.pending.is_some() {
            self.flush();
        }
        if self.track_writes && !self.wrote {
            self.wrote = may_write(query);
        }
        let record = record::active();
        if record || self.slow_query.is_some() || traced() {
            self.observe(query, record);
        }
    }

    #[inline(never)]
    fn observe(&mut self, query: &dyn DebugQuery, record: bool) {
        let text = (record || traced()).then(|| Text::of(query, self.settings.binds));
        self.pending = Some(Pending {
            text,
            record,
            cached: false,
            operation: operation::current(),
            start: Instant::now(),
        });
    }

    /// Reports a statement whose end diesel did not announce (a cursor
    /// dropped early), timed until now.
    fn flush(&mut self) {
        if let Some(pending) = self.pending.take() {
            self.finish_pending(pending, None, None);
        }
    }

    #[inline]
    fn finish(&mut self, query: &dyn DebugQuery, error: Option<&diesel::result::Error>) {
        if self.pending.is_some()
            && let Some(pending) = self.pending.take()
        {
            self.finish_pending(pending, Some(query), error);
        }
    }

    fn finish_pending(
        &self,
        pending: Pending,
        query: Option<&dyn DebugQuery>,
        error: Option<&diesel::result::Error>,
    ) {
        let elapsed = pending.start.elapsed();
        let slow = self.slow_query.filter(|t| elapsed >= *t);
        let text = match (pending.text, slow, query) {
            (Some(text), _, _) => text,
            (None, Some(_), Some(q)) => Text::of(q, self.settings.binds),
            _ => return,
        };
        let (model, action) = match pending.operation {
            Some(op) => (Some(op.model), Some(op)),
            None => (None, None),
        };
        let error_text = error.map(|e| e.to_string());
        let parent = self.parent();
        if traced() {
            tracing::debug!(
                target: "glowplug::query",
                parent: parent.clone(),
                sql = %text.sql,
                elapsed_ms = millis(elapsed),
                backend = %self.backend,
                model,
                operation = action.map(display),
                binds = text.binds.as_deref(),
                error = error_text.as_deref(),
                "statement",
            );
        }
        if let Some(threshold) = slow {
            tracing::warn!(
                target: "glowplug::slow_query",
                parent: parent,
                sql = %text.sql,
                elapsed_ms = millis(elapsed),
                threshold_ms = millis(threshold),
                backend = %self.backend,
                model,
                operation = action.map(display),
                binds = text.binds.as_deref(),
                error = error_text.as_deref(),
                "slow statement",
            );
        }
        if pending.record {
            record::push(Statement {
                sql: text.sql,
                binds: text.binds,
                elapsed,
                backend: self.backend,
                operation: pending.operation,
                cached: pending.cached,
                error: error_text,
            });
        }
    }

    /// The span statement events belong to: the innermost transaction's,
    /// or the caller's current span.
    fn parent(&self) -> Option<tracing::Id> {
        match self.transactions.last() {
            Some(tx) => tx.span.id(),
            None => tracing::Span::current().id(),
        }
    }

    fn begin(&mut self, depth: NonZeroU32) {
        let span = tracing::debug_span!(
            target: "glowplug::transaction",
            "transaction",
            backend = %self.backend,
            depth = depth.get(),
            savepoint = depth.get() > 1,
            outcome = Empty,
            elapsed_ms = Empty,
        );
        if !span.is_disabled() {
            self.transactions.push(Transaction {
                depth,
                span,
                start: Instant::now(),
            });
        }
    }

    fn end(&mut self, depth: NonZeroU32, outcome: &'static str) {
        if self.transactions.last().is_some_and(|t| t.depth == depth)
            && let Some(tx) = self.transactions.pop()
        {
            tx.span.record("outcome", outcome);
            tx.span.record("elapsed_ms", millis(tx.start.elapsed()));
        }
    }
}

impl Instrumentation for Observer {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match &event {
            InstrumentationEvent::FinishQuery { query, error, .. } => {
                if let Some(e) = error
                    && crate::error::is_connection_lost(e)
                {
                    self.lost = true;
                }
                if !self.muted {
                    self.finish(*query, *error);
                }
            }
            _ if self.muted => {}
            InstrumentationEvent::StartQuery { query, .. } => self.start(*query),
            InstrumentationEvent::CacheQuery { .. } => {
                if let Some(p) = &mut self.pending {
                    p.cached = true;
                }
            }
            InstrumentationEvent::BeginTransaction { depth, .. } => self.begin(*depth),
            InstrumentationEvent::CommitTransaction { depth, .. } => self.end(*depth, "commit"),
            InstrumentationEvent::RollbackTransaction { depth, .. } => self.end(*depth, "rollback"),
            _ => {}
        }
        if !self.muted
            && let Some(user) = &mut self.user
        {
            user.on_connection_event(event);
        }
    }
}

/// The span of the innermost transaction open on `conn`, when a
/// subscriber wants transaction spans: [`crate::transaction`] enters it
/// around the caller's closure, so the caller's own events and spans
/// inside the transaction belong to it.
pub(crate) fn transaction_span<C: crate::connection::DbConnection + ?Sized>(
    conn: &mut C,
) -> Option<tracing::Span> {
    use crate::connection::BackendConnection;
    let instrumentation = match conn.backend_connection() {
        BackendConnection::Postgres(c) => diesel::Connection::instrumentation(c),
        BackendConnection::Sqlite(c) => diesel::Connection::instrumentation(c),
    };
    let observer = instrumentation.downcast_mut::<Observer>()?;
    observer.transactions.last().map(|t| t.span.clone())
}

/// Whether a statement may write: anything but a read, a setting or
/// transaction control, judged by its first keyword (read from the
/// statement's text, which is formatted only that far).
fn may_write(query: &dyn DebugQuery) -> bool {
    use std::fmt::Write;
    /// Keeps the first bytes of what is written, then stops the formatting.
    struct Head([u8; 12], usize);
    impl Write for Head {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            let room = self.0.len() - self.1;
            let take = s.len().min(room);
            self.0[self.1..self.1 + take].copy_from_slice(&s.as_bytes()[..take]);
            self.1 += take;
            if self.1 == self.0.len() {
                Err(std::fmt::Error)
            } else {
                Ok(())
            }
        }
    }
    let mut head = Head([0; 12], 0);
    let _ = write!(head, "{query}");
    let text = String::from_utf8_lossy(&head.0[..head.1]);
    let word = text
        .trim_start()
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("")
        .to_ascii_uppercase();
    !matches!(
        word.as_str(),
        "SELECT"
            | "SHOW"
            | "SET"
            | "BEGIN"
            | "COMMIT"
            | "ROLLBACK"
            | "SAVEPOINT"
            | "RELEASE"
            | "VALUES"
            | "TABLE"
            | "EXPLAIN"
            | "RESET"
            | "START"
            | "END"
    )
}

/// Gives a connection you opened yourself (not from a
/// [`Database`](crate::Database) pool, whose connections have it already)
/// glowplug's instrumentation with default settings: statement events,
/// transaction spans and the [`QueryRecorder`](super::QueryRecorder)s.
/// It replaces the connection's current instrumentation.
///
/// ```
/// use diesel::prelude::*;
/// let mut conn = SqliteConnection::establish(":memory:")?;
/// glowplug::instrument(&mut conn);
/// let (_, log) = glowplug::count_queries(|| diesel::sql_query("SELECT 1").execute(&mut conn));
/// log.assert_count(1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn instrument<C>(conn: &mut C)
where
    C: diesel::Connection + crate::connection::DbConnection,
{
    let backend = conn.backend();
    conn.set_instrumentation(Observer::new(backend, Arc::default()));
}
