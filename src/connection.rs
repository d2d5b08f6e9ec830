//! Connections the façade runs on, whatever the backend.
//!
//! glowplug's model methods accept any [`DbConnection`]: a plain
//! [`SqliteConnection`] or [`PgConnection`], the runtime-chosen
//! [`AnyConnection`] the [`Database`](crate::Database) pool hands out, or any
//! r2d2 pooled connection of those. A [`DbConnection`] only has to say which
//! concrete connection it wraps ([`BackendConnection`]); every façade
//! operation is compiled once per backend and runs on the concrete diesel
//! connection, so diesel's prepared-statement cache applies exactly as in
//! hand-written diesel code and no multi-backend translation layer sits on
//! the hot path.
//!
//! [`AnyConnection`] is also a real diesel connection (it derives diesel's
//! `MultiConnection`), so hand-written diesel queries run on it too, within
//! the SQL and types both backends share (no `Json` columns there; use the
//! model's `fetch` or [`DbConnection::backend_connection`] for those).
//!
//! This module owns the dispatch; opening and pooling connections belongs to
//! [`crate::database`], and the SQL and settings that differ per backend to
//! the crate's `backend` module.

pub use diesel::pg::PgConnection;
pub use diesel::sqlite::SqliteConnection;

pub use crate::backend::Backend;

pub use any::AnyConnection;

/// Holds the `MultiConnection` derive, whose generated support items
/// (the multi-backend type and its query builder) carry no docs.
mod any {
    #![allow(missing_docs)]
    use super::{PgConnection, SqliteConnection};

    /// A connection chosen at run time from the database URL.
    ///
    /// This is what [`Database::get`](crate::Database::get) hands out (behind a
    /// pool guard). It implements diesel's `Connection`, so transactions
    /// (`conn.transaction(|c| ...)`, nested ones as savepoints) and hand-written
    /// diesel queries work on it directly.
    #[derive(diesel::MultiConnection)]
    pub enum AnyConnection {
        /// A PostgreSQL connection.
        Postgres(PgConnection),
        /// A SQLite connection.
        Sqlite(SqliteConnection),
    }
}

impl std::fmt::Debug for AnyConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let backend = match self {
            AnyConnection::Postgres(_) => Backend::Postgres,
            AnyConnection::Sqlite(_) => Backend::Sqlite,
        };
        f.debug_struct("AnyConnection")
            .field("backend", &backend)
            .finish_non_exhaustive()
    }
}

/// A borrowed concrete connection: what every façade operation runs on.
#[non_exhaustive]
pub enum BackendConnection<'a> {
    /// A SQLite connection.
    Sqlite(&'a mut SqliteConnection),
    /// A PostgreSQL connection.
    Postgres(&'a mut PgConnection),
}

impl std::fmt::Debug for BackendConnection<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BackendConnection({})", self.backend())
    }
}

impl BackendConnection<'_> {
    /// Which backend this connection talks to.
    pub fn backend(&self) -> Backend {
        match self {
            BackendConnection::Sqlite(_) => Backend::Sqlite,
            BackendConnection::Postgres(_) => Backend::Postgres,
        }
    }

    /// Runs `sql`, one or more statements separated by `;`, without results
    /// (diesel's `batch_execute`).
    pub fn batch_execute(&mut self, sql: &str) -> crate::Result<()> {
        use diesel::connection::SimpleConnection;
        match self {
            BackendConnection::Sqlite(c) => c.batch_execute(sql),
            BackendConnection::Postgres(c) => c.batch_execute(sql),
        }
        .map_err(crate::Error::from)
    }
}

impl DbConnection for BackendConnection<'_> {
    fn backend_connection(&mut self) -> BackendConnection<'_> {
        match self {
            BackendConnection::Sqlite(c) => BackendConnection::Sqlite(c),
            BackendConnection::Postgres(c) => BackendConnection::Postgres(c),
        }
    }
}

/// A connection glowplug's model methods can run on.
///
/// Implemented for [`SqliteConnection`], [`PgConnection`], [`AnyConnection`]
/// and every r2d2 pooled connection of them, including
/// [`PooledConnection`](crate::PooledConnection) from
/// [`Database::get`](crate::Database::get).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a connection glowplug can use",
    label = "expected a SqliteConnection, PgConnection, AnyConnection or a pooled connection of one",
    note = "pass `&mut conn` where `conn` comes from `Database::get()` or `SqliteConnection::establish`/`PgConnection::establish`"
)]
pub trait DbConnection {
    /// The concrete connection behind this one.
    fn backend_connection(&mut self) -> BackendConnection<'_>;

    /// Which backend this connection talks to.
    fn backend(&mut self) -> Backend {
        self.backend_connection().backend()
    }
}

impl DbConnection for SqliteConnection {
    fn backend_connection(&mut self) -> BackendConnection<'_> {
        BackendConnection::Sqlite(self)
    }
}

impl DbConnection for PgConnection {
    fn backend_connection(&mut self) -> BackendConnection<'_> {
        BackendConnection::Postgres(self)
    }
}

impl DbConnection for AnyConnection {
    fn backend_connection(&mut self) -> BackendConnection<'_> {
        match self {
            AnyConnection::Sqlite(c) => BackendConnection::Sqlite(c),
            AnyConnection::Postgres(c) => BackendConnection::Postgres(c),
        }
    }
}

impl<M> DbConnection for r2d2::PooledConnection<M>
where
    M: r2d2::ManageConnection,
    M::Connection: DbConnection,
{
    fn backend_connection(&mut self) -> BackendConnection<'_> {
        (**self).backend_connection()
    }
}

impl<T: DbConnection + ?Sized> DbConnection for &mut T {
    fn backend_connection(&mut self) -> BackendConnection<'_> {
        (**self).backend_connection()
    }
}

/// Runs `$body` with `$c` bound to the concrete connection behind `$conn`.
///
/// The body is compiled once per backend, so it may use anything diesel
/// accepts on that backend.
macro_rules! with_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $crate::connection::DbConnection::backend_connection($conn) {
            $crate::connection::BackendConnection::Sqlite($c) => $body,
            $crate::connection::BackendConnection::Postgres($c) => $body,
        }
    };
}
pub(crate) use with_backend;

/// Runs `sqlite` or `pg` on the concrete connection behind `conn`.
///
/// For generated code, which cannot match on the non-exhaustive
/// [`BackendConnection`]; see `__glowplug_backend!`.
#[doc(hidden)]
pub fn on_backend<T>(
    conn: &mut BackendConnection<'_>,
    sqlite: impl FnOnce(&mut SqliteConnection) -> T,
    pg: impl FnOnce(&mut PgConnection) -> T,
) -> T {
    match conn {
        BackendConnection::Sqlite(c) => sqlite(c),
        BackendConnection::Postgres(c) => pg(c),
    }
}

/// `$body` compiled once per backend and run with `$c` bound to the
/// concrete connection behind `$conn` (a `&mut BackendConnection`).
#[doc(hidden)]
#[macro_export]
macro_rules! __glowplug_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        $crate::__private::on_backend($conn, |$c| $body, |$c| $body)
    };
}
