//! Recording the statements a block of code sends, for tests that assert
//! "this handler sends 3 queries": [`count_queries`], [`QueryRecorder`],
//! [`QueryLog`] and the [`assert_queries!`](crate::assert_queries) macro.
//!
//! What a recorder sees, and how it behaves with threads and async code,
//! is documented on [`QueryRecorder`].

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use super::Operation;
use crate::connection::Backend;

/// One statement a connection sent, as a [`QueryRecorder`] saw it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Statement {
    /// The SQL text, with placeholders (`$1`, `?`) where values are bound.
    pub sql: String,
    /// The bind values (`[1, "ada"]`), only when the pool was built with
    /// [`log_binds`](crate::DatabaseBuilder::log_binds).
    pub binds: Option<String>,
    /// From the start of the statement until diesel reported it finished
    /// (for loads, after the rows were read).
    pub elapsed: Duration,
    /// The backend it ran on.
    pub backend: Backend,
    /// The façade operation that sent it, if any.
    pub operation: Option<Operation>,
    /// Whether diesel prepared it and put it in its statement cache (the
    /// first run of a cacheable statement on this connection).
    pub cached: bool,
    /// The error it failed with, if it failed.
    pub error: Option<String>,
}

/// The SQL, and ` -- binds: […]` when the binds were recorded (diesel's
/// own `debug_query` format).
impl std::fmt::Display for Statement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.sql)?;
        match &self.binds {
            Some(binds) => write!(f, " -- binds: {binds}"),
            None => Ok(()),
        }
    }
}

/// The statements recorded by [`count_queries`] or [`QueryRecorder::take`],
/// in the order they were sent. It dereferences to `[Statement]`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueryLog {
    statements: Vec<Statement>,
}

impl QueryLog {
    /// The SQL of each statement.
    pub fn sql(&self) -> Vec<&str> {
        self.statements.iter().map(|s| s.sql.as_str()).collect()
    }

    /// How many statements diesel prepared and cached among these.
    pub fn cached(&self) -> usize {
        self.statements.iter().filter(|s| s.cached).count()
    }

    /// The statements.
    pub fn into_statements(self) -> Vec<Statement> {
        self.statements
    }

    /// Panics unless exactly `expected` statements were recorded; the
    /// message lists them.
    ///
    /// ```
    /// # use glowplug::prelude::*;
    /// let db = Database::connect("sqlite::memory:")?;
    /// let mut conn = db.get()?;
    /// let ((), log) = glowplug::count_queries(|| {
    ///     diesel::sql_query("CREATE TABLE t (x INTEGER)").execute(&mut conn).unwrap();
    ///     diesel::sql_query("INSERT INTO t VALUES (1)").execute(&mut conn).unwrap();
    /// });
    /// log.assert_count(2);
    /// assert_eq!(log.sql()[1], "INSERT INTO t VALUES (1)");
    /// # Ok::<(), glowplug::Error>(())
    /// ```
    #[track_caller]
    pub fn assert_count(&self, expected: usize) {
        if self.statements.len() != expected {
            let listed: Vec<String> = self
                .statements
                .iter()
                .enumerate()
                .map(|(i, s)| format!("  {}. {}", i + 1, s.sql))
                .collect();
            panic!(
                "expected {expected} statement(s), {} were sent:\n{}",
                self.statements.len(),
                listed.join("\n")
            );
        }
    }
}

impl std::ops::Deref for QueryLog {
    type Target = [Statement];
    fn deref(&self) -> &[Statement] {
        &self.statements
    }
}

impl IntoIterator for QueryLog {
    type Item = Statement;
    type IntoIter = std::vec::IntoIter<Statement>;
    fn into_iter(self) -> Self::IntoIter {
        self.statements.into_iter()
    }
}

#[derive(Default)]
struct Sink {
    statements: Vec<Statement>,
    cached: usize,
}

/// A recorder's statements, shared with the blocking threads its thread
/// lends it to ([`lend`]).
type SharedSink = Arc<Mutex<Sink>>;

fn lock(sink: &SharedSink) -> MutexGuard<'_, Sink> {
    sink.lock().unwrap_or_else(PoisonError::into_inner)
}

thread_local! {
    static SINKS: RefCell<Vec<SharedSink>> = const { RefCell::new(Vec::new()) };
    static ACTIVE: Cell<usize> = const { Cell::new(0) };
}

/// Whether a recorder is alive on this thread (cheap: one thread-local read).
pub(super) fn active() -> bool {
    ACTIVE.with(Cell::get) > 0
}

/// Hands `statement` to every recorder of this thread.
pub(super) fn push(statement: Statement) {
    SINKS.with(|sinks| {
        for sink in sinks.borrow().iter() {
            let mut sink = lock(sink);
            sink.cached += usize::from(statement.cached);
            sink.statements.push(statement.clone());
        }
    });
}

/// Records the statements sent on the current thread from
/// [`start`](QueryRecorder::start) until it is dropped; read them with
/// [`take`](QueryRecorder::take). Recorders nest: each sees every
/// statement sent while it is alive.
///
/// A recorder sees the statements sent **on its own thread** through a
/// connection of a [`Database`](crate::Database) pool (or one given
/// glowplug's instrumentation with [`instrument`](crate::instrument())).
/// Statements of other threads are not recorded, so tests running in
/// parallel do not see each other's queries. The pool's health-check pings
/// are not recorded unless
/// [`trace_health_checks`](crate::DatabaseBuilder::trace_health_checks).
///
/// In async code: `Database::run` and `Database::run_transaction` (the
/// `tokio` feature) lend the
/// recorders alive on the thread that calls them to the blocking thread
/// their closure runs on, so a recorder started in a task sees the
/// statements of the `run`s that task awaits. Around other synchronous
/// work (a `spawn_blocking` closure of your own, a handler running on the
/// thread that owns the connection) it records exactly that work. Across
/// an `.await` on a multi-threaded runtime it does not follow the task: the
/// task may resume on another thread (a `run` awaited there is not lent
/// this recorder), and other tasks polled on this thread are recorded too.
/// Start the recorder right before the `run`s it should see, or use a
/// current-thread runtime running one task.
///
/// ```
/// # use glowplug::prelude::*;
/// # let db = Database::connect("sqlite::memory:")?;
/// # let mut conn = db.get()?;
/// let queries = glowplug::QueryRecorder::start();
/// diesel::sql_query("SELECT 1").execute(&mut conn)?;
/// assert_eq!(queries.take().sql(), ["SELECT 1"]);
/// assert_eq!(queries.count(), 0, "take forgets what it returned");
/// # Ok::<(), glowplug::Error>(())
/// ```
#[must_use = "the recorder stops recording when dropped"]
pub struct QueryRecorder {
    sink: SharedSink,
    /// Registered on the thread that started it, so it is dropped there.
    _thread: PhantomData<*const ()>,
}

impl std::fmt::Debug for QueryRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueryRecorder")
            .field("recorded", &lock(&self.sink).statements.len())
            .finish()
    }
}

impl QueryRecorder {
    /// Starts recording this thread's statements.
    pub fn start() -> QueryRecorder {
        let sink = SharedSink::default();
        SINKS.with(|s| s.borrow_mut().push(sink.clone()));
        ACTIVE.with(|a| a.set(a.get() + 1));
        QueryRecorder {
            sink,
            _thread: PhantomData,
        }
    }

    /// The statements recorded since the start or the last `take`/`count`,
    /// forgetting them.
    pub fn take(&self) -> QueryLog {
        QueryLog {
            statements: std::mem::take(&mut lock(&self.sink).statements),
        }
    }

    /// How many statements were recorded since the start or the last
    /// `take`/`count`, forgetting them.
    pub fn count(&self) -> usize {
        self.take().len()
    }

    /// How many statements diesel prepared and put in its statement cache
    /// since the recorder started (not reset by `take`).
    pub fn cached(&self) -> usize {
        lock(&self.sink).cached
    }
}

impl Drop for QueryRecorder {
    fn drop(&mut self) {
        SINKS.with(|s| s.borrow_mut().retain(|x| !Arc::ptr_eq(x, &self.sink)));
        ACTIVE.with(|a| a.set(a.get() - 1));
    }
}

/// The recorders alive on the current thread, lent to another thread with
/// [`Lent::enter`] (what `Database::run` does for its blocking thread).
#[cfg(feature = "tokio")]
pub(crate) struct Lent(Vec<SharedSink>);

/// The current thread's recorders, to lend to another thread.
#[cfg(feature = "tokio")]
pub(crate) fn lend() -> Lent {
    Lent(SINKS.with(|s| s.borrow().clone()))
}

#[cfg(feature = "tokio")]
impl Lent {
    /// Makes the lent recorders see this thread's statements until the
    /// returned guard drops (the ones already here are not added twice).
    pub(crate) fn enter(self) -> Entered {
        let added: Vec<SharedSink> = SINKS.with(|s| {
            let mut sinks = s.borrow_mut();
            let added: Vec<SharedSink> = self
                .0
                .into_iter()
                .filter(|lent| !sinks.iter().any(|x| Arc::ptr_eq(x, lent)))
                .collect();
            sinks.extend(added.iter().cloned());
            added
        });
        ACTIVE.with(|a| a.set(a.get() + added.len()));
        Entered {
            added,
            _thread: PhantomData,
        }
    }
}

/// Lent recorders on this thread; withdrawn when dropped.
#[cfg(feature = "tokio")]
pub(crate) struct Entered {
    added: Vec<SharedSink>,
    _thread: PhantomData<*const ()>,
}

#[cfg(feature = "tokio")]
impl Drop for Entered {
    fn drop(&mut self) {
        SINKS.with(|s| {
            s.borrow_mut()
                .retain(|x| !self.added.iter().any(|lent| Arc::ptr_eq(x, lent)))
        });
        ACTIVE.with(|a| a.set(a.get() - self.added.len()));
    }
}

/// Runs `f` and returns its result with the statements it sent on this
/// thread (see [`QueryRecorder`] for what is recorded, and for threads and
/// async code).
///
/// ```
/// # glowplug::model! { pub User { id: pk, name: text } }
/// use glowplug::prelude::*;
/// # fn main() -> glowplug::Result<()> {
/// # let db = Database::connect("sqlite::memory:")?;
/// # let mut conn = db.get()?;
/// # diesel::connection::SimpleConnection::batch_execute(&mut *conn,
/// #     "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL)").unwrap();
/// let (users, log) = glowplug::count_queries(|| User::all(&mut conn));
/// assert!(users?.is_empty());
/// log.assert_count(1);
/// assert_eq!(log[0].operation.unwrap().to_string(), "User::all");
/// # Ok(())
/// # }
/// ```
pub fn count_queries<T>(f: impl FnOnce() -> T) -> (T, QueryLog) {
    let recorder = QueryRecorder::start();
    let value = f();
    (value, recorder.take())
}

/// Asserts that an expression sends exactly `n` statements on this thread,
/// and evaluates to its value. On failure the panic lists the statements.
///
/// ```
/// # glowplug::model! { pub User { id: pk, name: text } }
/// use glowplug::prelude::*;
/// # fn main() -> glowplug::Result<()> {
/// # let db = Database::connect("sqlite::memory:")?;
/// # let mut conn = db.get()?;
/// # diesel::connection::SimpleConnection::batch_execute(&mut *conn,
/// #     "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL)").unwrap();
/// let ada = glowplug::assert_queries!(1, NewUser { name: "ada".into() }.insert(&mut conn))?;
/// let found = glowplug::assert_queries!(1, User::find(&mut conn, ada.id))?;
/// assert_eq!(found.name, "ada");
/// # Ok(())
/// # }
/// ```
#[macro_export]
macro_rules! assert_queries {
    ($n:expr, $body:expr $(,)?) => {{
        let (value, log) = $crate::count_queries(|| $body);
        log.assert_count($n);
        value
    }};
}
