//! Transactions that survive panics and concurrent SQLite writers (see [`transaction`]).

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use diesel::Connection;
use diesel::connection::{TransactionManager, TransactionManagerStatus};
use diesel::result::Error as DieselError;

use crate::backend::sqlite;
use crate::connection::{BackendConnection, DbConnection};

/// Runs `f` in a transaction on `conn`: committed when `f` returns `Ok`,
/// rolled back when it returns `Err` or panics (the panic then continues).
/// Inside another transaction it is a savepoint. On SQLite the outermost
/// transaction begins with `BEGIN IMMEDIATE`.
///
/// This function (and [`Database::transaction`](crate::Database::transaction),
/// which checks out a connection and calls it) differs from diesel's
/// `Connection::transaction` in two ways:
///
/// * **Panics roll back.** diesel leaves the transaction open when the
///   closure panics; a web server that catches the panic and goes on with the
///   same connection would then run every later statement inside that
///   never-committed transaction. Here the transaction (or the savepoint) is
///   rolled back and the panic resumes, so the connection is clean afterwards.
/// * **SQLite write transactions start with `BEGIN IMMEDIATE`.** A deferred
///   transaction that reads before it writes cannot wait for another writer:
///   SQLite fails its first write at once with "database is locked", busy
///   timeout or not, because its snapshot is stale. `BEGIN IMMEDIATE` takes
///   the write lock up front, waiting up to the busy timeout
///   ([`DatabaseBuilder::sqlite_busy_timeout`](crate::DatabaseBuilder::sqlite_busy_timeout)),
///   so concurrent writers queue instead of failing. Readers are never
///   blocked (WAL). Rails made the same choice in 7.1.
///
/// Nested calls open savepoints: an error (or panic) inside one rolls back
/// only that savepoint, and the outer transaction goes on.
///
/// The error returned is always the one that ended the transaction, never
/// the failure of the `ROLLBACK` that followed it. When SQLite has rolled
/// the transaction back by itself (it does on a full disk: the error is
/// [`Error::StorageFull`](crate::Error::StorageFull)), nothing of the
/// transaction was kept and the connection stays usable.
///
/// ```
/// use glowplug::prelude::*;
///
/// let db = Database::connect("sqlite::memory:")?;
/// let mut conn = db.get()?;
/// diesel::sql_query("CREATE TABLE t (x INTEGER)").execute(&mut conn)?;
/// let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
///     glowplug::transaction(&mut conn, |c| {
///         diesel::sql_query("INSERT INTO t VALUES (1)").execute(c)?;
///         panic!("a bug in the request handler");
///         #[allow(unreachable_code)]
///         Ok::<_, glowplug::Error>(())
///     })
/// }));
/// assert!(caught.is_err());
/// // Rolled back, and the same connection is out of the transaction.
/// #[derive(diesel::QueryableByName)]
/// struct N { #[diesel(sql_type = diesel::sql_types::BigInt)] n: i64 }
/// let n: N = diesel::sql_query("SELECT COUNT(*) AS n FROM t").get_result(&mut conn)?;
/// assert_eq!(n.n, 0);
/// # Ok::<(), glowplug::Error>(())
/// ```
pub fn transaction<C, T, E, F>(conn: &mut C, f: F) -> Result<T, E>
where
    C: Connection + DbConnection,
    F: FnOnce(&mut C) -> Result<T, E>,
    E: From<DieselError>,
{
    begin(conn)?;
    let span = crate::observe::transaction_span(conn);
    let run = || {
        let _entered = span.as_ref().map(tracing::Span::enter);
        f(conn)
    };
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(Ok(value)) => match C::TransactionManager::commit_transaction(conn) {
            Ok(()) => Ok(value),
            Err(DieselError::RollbackErrorOnCommit {
                commit_error,
                rollback_error,
            }) => {
                recover(conn, &rollback_error);
                Err((*commit_error).into())
            }
            Err(e) => Err(e.into()),
        },
        // The original error is the cause: a failed ROLLBACK after it says
        // less (SQLite may have rolled back already; the connection may be gone).
        Ok(Err(error)) => {
            rollback(conn);
            Err(error)
        }
        Err(panic) => {
            rollback(conn);
            resume_unwind(panic)
        }
    }
}

/// Rolls back the innermost transaction or savepoint. A failure is not
/// reported: the caller returns the error that made it roll back, and a
/// connection left broken is discarded by the pool (`has_broken`).
fn rollback<C: Connection + DbConnection>(conn: &mut C) {
    if let Err(e) = C::TransactionManager::rollback_transaction(conn) {
        recover(conn, &e);
    }
}

/// After a failed `ROLLBACK`: SQLite rolls a transaction back by itself on
/// some errors (a full disk, an I/O error, out of memory), and then refuses
/// the `ROLLBACK` with "cannot rollback - no transaction is active"; diesel
/// still counts the transaction as open and marks the connection broken.
/// Nothing is open, so its bookkeeping is reset and the connection stays
/// usable.
fn recover<C: Connection + DbConnection>(conn: &mut C, rollback_error: &DieselError) {
    if conn.backend() == crate::Backend::Sqlite && sqlite::rolled_back_already(rollback_error) {
        *C::TransactionManager::transaction_manager_status_mut(conn) =
            TransactionManagerStatus::default();
    }
}

/// `BEGIN IMMEDIATE` for an outermost SQLite transaction; otherwise what
/// diesel does (`BEGIN`, or a savepoint inside a transaction).
fn begin<C: Connection + DbConnection>(conn: &mut C) -> Result<(), DieselError> {
    if let BackendConnection::Sqlite(c) = conn.backend_connection() {
        match sqlite::begin_immediate(c) {
            Err(DieselError::AlreadyInTransaction) => {}
            other => return other,
        }
    }
    C::TransactionManager::begin_transaction(conn)
}
