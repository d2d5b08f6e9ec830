//! Database work from async code (the `tokio` feature): [`Database::run`]
//! and [`Database::run_transaction`].
//!
//! diesel's connections are synchronous, so a query blocks the thread it
//! runs on. An async worker thread that blocks stops every other task it
//! serves, so glowplug never checks out or queries on one: `run` hands a
//! closure to tokio's blocking pool (`spawn_blocking`), which checks out a
//! pooled connection there, runs the closure, returns the connection and
//! wakes the awaiting task. This is the design of axum's own diesel example
//! and of deadpool-diesel. diesel-async, the alternative, is PostgreSQL and
//! MySQL only (glowplug's default backend is SQLite) and has its own
//! connection types, so every model operation would need a second, async
//! implementation; with this design every method of the façade works
//! unchanged inside the closure, on both backends.
//!
//! **Cancellation.** A future that is dropped (a client hung up, a
//! `tokio::time::timeout` ran out) cannot stop a closure that is already
//! running on a blocking thread; it runs to its end and its connection goes
//! back to the pool as after any other use, so no connection is left
//! checked out or broken. What the drop does change:
//!
//! * work that had not started yet (waiting for a blocking thread) never
//!   starts, and checks out nothing;
//! * [`Database::run_transaction`] rolls its transaction back if the future
//!   was dropped before the closure returned, so a cancelled request leaves
//!   nothing half-done; only a transaction whose `COMMIT` had already been
//!   sent is kept. [`Database::run`] commits nothing by itself: a
//!   transaction the closure opens ends inside the closure, as usual.
//!
//! **Timeouts.** A checkout waits up to the pool's connection timeout and
//! then fails with [`Error::Pool`] ([`DatabaseBuilder::connection_timeout`](crate::DatabaseBuilder::connection_timeout));
//! a statement runs up to the PostgreSQL `statement_timeout` when one is
//! set ([`Error::Timeout`]). To bound a whole request, wrap the future in
//! `tokio::time::timeout`: the caller gets tokio's `Elapsed` at once, and
//! the rules above say what becomes of the work.
//!
//! **Strict loading** follows the task, not the thread:
//! [`strict_loading_scope`](crate::strict_loading_scope) sets it for every
//! `run` the task awaits.
//!
//! **Query recorders** are lent: a [`QueryRecorder`](crate::QueryRecorder)
//! alive on the thread that calls `run` records the statements the closure
//! sends on the blocking thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::Database;
use super::PooledConnection;
use crate::connection::AnyConnection;
use crate::error::Error;
use crate::observe::record;
use crate::relation::strict;

impl Database {
    /// Runs `f` with a pooled connection on tokio's blocking pool and
    /// awaits its result, without blocking the async worker: neither the
    /// checkout (which waits up to the pool's connection timeout, then
    /// fails with [`Error::Pool`]) nor the queries. Every method of the
    /// façade works inside `f`. Under
    /// [`strict_loading_scope`](crate::strict_loading_scope), `f` runs with
    /// the task's strict-loading setting, and the
    /// [`QueryRecorder`](crate::QueryRecorder)s alive on the calling
    /// thread record what it sends. A panic in `f` resumes in the
    /// awaiting task. See [the module docs](crate::database::run) for what
    /// dropping the future does (in short: `f` runs to its end if it has
    /// started, and never starts if it has not).
    ///
    /// Needs a tokio runtime (`tokio` feature).
    ///
    /// ```
    /// # use glowplug::prelude::*;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> glowplug::Result<()> {
    /// let db = Database::connect("sqlite::memory:")?;
    /// let rows = db
    ///     .run(|conn| {
    ///         diesel::sql_query("CREATE TABLE t (x INTEGER)").execute(conn)?;
    ///         Ok::<_, glowplug::Error>(diesel::sql_query("INSERT INTO t VALUES (1), (2)").execute(conn)?)
    ///     })
    ///     .await?;
    /// assert_eq!(rows, 2);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut PooledConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<Error> + Send + 'static,
    {
        self.on_blocking_pool(Database::get, move |conn, _| f(conn))
            .await
    }

    /// [`run`](Self::run) on a connection for reads from
    /// [`Database::read`]: a replica that has replayed this `Database`'s
    /// writes, or the primary (see [`crate::database::replica`]). Without
    /// replicas, the same as `run`.
    ///
    /// ```
    /// # use glowplug::prelude::*;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> glowplug::Result<()> {
    /// let db = Database::connect("sqlite::memory:")?;
    /// let n: i32 = db
    ///     .run_read(|conn| Ok::<_, glowplug::Error>(diesel::select(1.into_sql::<diesel::sql_types::Integer>()).get_result(conn)?))
    ///     .await?;
    /// assert_eq!(n, 1);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn run_read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut PooledConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<Error> + Send + 'static,
    {
        self.on_blocking_pool(Database::read, move |conn, _| f(conn))
            .await
    }

    /// [`run`](Self::run) in a transaction: committed when `f` returns
    /// `Ok`, rolled back when it returns `Err`, panics, or when the future
    /// is dropped before `f` returns (a cancelled request leaves nothing
    /// half-written). As [`Database::transaction`]: SQLite begins with
    /// `BEGIN IMMEDIATE`; nested transactions inside are savepoints.
    ///
    /// ```
    /// # use glowplug::prelude::*;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> glowplug::Result<()> {
    /// let db = Database::connect("sqlite::memory:")?;
    /// db.run_transaction(|conn| {
    ///     diesel::sql_query("CREATE TABLE t (x INTEGER)").execute(conn)?;
    ///     diesel::sql_query("INSERT INTO t VALUES (1)").execute(conn)?;
    ///     Ok::<_, glowplug::Error>(())
    /// })
    /// .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn run_transaction<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<Error> + From<diesel::result::Error> + Send + 'static,
    {
        self.on_blocking_pool(Database::get, move |conn, cancelled| {
            crate::transaction(&mut **conn, |conn| {
                let value = f(conn)?;
                if cancelled.load(Ordering::SeqCst) {
                    return Err(Error::cancelled("its future was dropped before the transaction committed; it was rolled back").into());
                }
                Ok(value)
            })
        })
        .await
    }

    /// Checks out a connection with `checkout` on tokio's blocking pool and
    /// runs `f` with it and a flag that turns true when the awaiting future
    /// is dropped.
    async fn on_blocking_pool<T, E, F>(
        &self,
        checkout: fn(&Database) -> crate::Result<PooledConnection>,
        f: F,
    ) -> Result<T, E>
    where
        F: FnOnce(&mut PooledConnection, &AtomicBool) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<Error> + Send + 'static,
    {
        let db = self.clone();
        let scope = strict::task_scope();
        let recorders = record::lend();
        let cancelled = Arc::new(AtomicBool::new(false));
        let mut on_drop = CancelOnDrop(Some(cancelled.clone()));
        let handle = tokio::task::spawn_blocking(move || {
            if cancelled.load(Ordering::SeqCst) {
                return Err(Error::cancelled("its future was dropped before it started").into());
            }
            let _strict = strict::enter(scope);
            let _recorders = recorders.enter();
            let mut conn = checkout(&db)?;
            f(&mut conn, &cancelled)
        });
        let joined = handle.await;
        on_drop.0 = None;
        match joined {
            Ok(result) => result,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => Err(Error::cancelled("the tokio runtime shut down before it ran").into()),
        }
    }
}

/// Raises the flag when the future holding it is dropped before it finished.
struct CancelOnDrop(Option<Arc<AtomicBool>>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(flag) = &self.0 {
            flag.store(true, Ordering::SeqCst);
        }
    }
}
