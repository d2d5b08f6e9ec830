//! Any diesel query, run through the concrete backend: [`RunDsl`].
//!
//! A diesel query run with diesel's own `load` on the pool's connection
//! ([`AnyConnection`](crate::AnyConnection)) goes through diesel's
//! multi-backend layer, which costs up to 2× on a small SQLite join. The
//! methods here run the same query on the [`SqliteConnection`] or
//! [`PgConnection`] behind the connection instead, so hand-written diesel on
//! glowplug's pool costs what it costs on a concrete connection (see
//! BENCHMARKS.md, "Any query on the pool"). The query is compiled once per
//! backend, so it may use anything both backends support (tuples, joins,
//! aggregates, `(User, Option<Post>)`); its statement is cached as diesel
//! caches it.
//!
//! The names differ from diesel's (`load`, `get_result`, `execute`) so that
//! a file importing both `glowplug::prelude::*` and `diesel::prelude::*`
//! never has two methods of the same name to choose from.

use diesel::connection::LoadConnection;
use diesel::query_dsl::LoadQuery;
use diesel::query_dsl::methods::ExecuteDsl;
use diesel::result::{OptionalExtension, QueryResult};
use diesel::{Connection, RunQueryDsl};

use crate::connection::{DbConnection, PgConnection, SqliteConnection, with_backend};
use crate::error::Result;

/// A query that loads rows of type `T` on both backends; `'q` is the
/// lifetime of the values it borrows (`users::name.eq(&name)`).
///
/// Implemented for every such diesel query; it only shortens the bounds of
/// glowplug's query methods.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be loaded as `{T}` on both backends",
    label = "the query's selection does not match `{T}`, or it uses SQL one backend lacks",
    note = "a query runs on SQLite and PostgreSQL alike: select the columns of `{T}` in its order, or `T::as_select()`"
)]
pub trait Loadable<'q, T>:
    LoadQuery<'q, SqliteConnection, T> + LoadQuery<'q, PgConnection, T>
{
}

impl<'q, T, Q> Loadable<'q, T> for Q where
    Q: LoadQuery<'q, SqliteConnection, T> + LoadQuery<'q, PgConnection, T>
{
}

/// Runs any diesel query on any glowplug connection through its concrete
/// backend: `query.fetch_all(&mut conn)` instead of diesel's
/// `query.load(&mut conn)`.
///
/// Implemented for every diesel query and statement; in the prelude.
///
/// ```
/// # glowplug::model! {
/// #     pub User { id: pk, name: text, has_many posts: Post by author_id }
/// #     pub Post { id: pk, author_id: bigint fk(User), title: text, belongs_to author: User by author_id }
/// # }
/// use glowplug::prelude::*;
///
/// # fn main() -> glowplug::Result<()> {
/// # let db = glowplug::Database::connect("sqlite::memory:")?;
/// let mut conn = db.get()?; // a pooled connection, whatever the backend
/// # diesel::connection::SimpleConnection::batch_execute(&mut *conn,
/// #     "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
/// #      CREATE TABLE posts (id INTEGER PRIMARY KEY, author_id BIGINT NOT NULL, title TEXT NOT NULL);").unwrap();
/// let ada = NewUser { name: "ada".into() }.insert(&mut conn)?;
/// NewUser { name: "bob".into() }.insert(&mut conn)?;
/// NewPost { author_id: ada.id, title: "Notes".into() }.insert(&mut conn)?;
///
/// // A left join into (model, optional model), as diesel would load it.
/// let rows: Vec<(User, Option<Post>)> = users::table
///     .left_join(posts::table)
///     .select((users::all_columns, posts::all_columns.nullable()))
///     .order(users::id)
///     .fetch_all(&mut conn)?;
/// assert_eq!(rows[0].1.as_ref().map(|p| p.title.as_str()), Some("Notes"));
/// assert!(rows[1].1.is_none());
///
/// // An aggregate, a single row, an optional row, a statement.
/// let per_author: Vec<(i64, i64)> = posts::table
///     .group_by(posts::author_id)
///     .select((posts::author_id, diesel::dsl::count_star()))
///     .fetch_all(&mut conn)?;
/// assert_eq!(per_author, [(ada.id, 1)]);
/// let name: String = users::table.find(ada.id).select(users::name).fetch_one(&mut conn)?;
/// let nobody: Option<User> = User::query().filter(users::name.eq("eve")).fetch_optional(&mut conn)?;
/// assert_eq!((name.as_str(), nobody), ("ada", None));
/// let renamed = diesel::update(users::table.find(ada.id)).set(users::name.eq("Ada")).exec(&mut conn)?;
/// assert_eq!(renamed, 1);
/// # Ok(())
/// # }
/// ```
pub trait RunDsl: RunQueryDsl<SqliteConnection> + RunQueryDsl<PgConnection> + Sized {
    /// Every row (diesel's `load`).
    fn fetch_all<'q, T, C>(self, conn: &mut C) -> Result<Vec<T>>
    where
        C: DbConnection + ?Sized,
        Self: Loadable<'q, T>,
    {
        fetch_rows(conn, self)
    }

    /// The first row the query returns; [`Error::NotFound`](crate::Error::NotFound)
    /// when it returns none (diesel's `get_result`).
    fn fetch_one<'q, T, C>(self, conn: &mut C) -> Result<T>
    where
        C: DbConnection + ?Sized,
        Self: Loadable<'q, T>,
    {
        fetch_one(conn, self)
    }

    /// The first row the query returns, or `None` (diesel's
    /// `get_result(..).optional()`).
    fn fetch_optional<'q, T, C>(self, conn: &mut C) -> Result<Option<T>>
    where
        C: DbConnection + ?Sized,
        Self: Loadable<'q, T>,
    {
        fetch_optional(conn, self)
    }

    /// Runs an `INSERT`, `UPDATE` or `DELETE` and returns the number of rows
    /// it touched (diesel's `execute`).
    fn exec<C>(self, conn: &mut C) -> Result<usize>
    where
        C: DbConnection + ?Sized,
        Self: ExecuteDsl<SqliteConnection> + ExecuteDsl<PgConnection>,
    {
        Ok(exec(conn, self)?)
    }
}

impl<Q> RunDsl for Q where Q: RunQueryDsl<SqliteConnection> + RunQueryDsl<PgConnection> {}

/// Every row of `query`, on the concrete backend behind `conn`.
pub(crate) fn fetch_rows<'q, C, Q, T>(conn: &mut C, query: Q) -> Result<Vec<T>>
where
    C: DbConnection + ?Sized,
    Q: Loadable<'q, T>,
{
    Ok(with_backend!(conn, c => load(query, c))?)
}

/// The first row of `query` (diesel's `get_result`), on the concrete backend.
pub(crate) fn fetch_one<'q, C, Q, T>(conn: &mut C, query: Q) -> Result<T>
where
    C: DbConnection + ?Sized,
    Q: Loadable<'q, T>,
{
    Ok(with_backend!(conn, c => get_result(query, c))?)
}

/// The first row of `query`, or `None`, on the concrete backend.
pub(crate) fn fetch_optional<'q, C, Q, T>(conn: &mut C, query: Q) -> Result<Option<T>>
where
    C: DbConnection + ?Sized,
    Q: Loadable<'q, T>,
{
    Ok(with_backend!(conn, c => get_result(query, c).optional())?)
}

/// Runs the statement `query` on the concrete backend; the rows it touched.
pub(crate) fn exec<C, Q>(conn: &mut C, query: Q) -> QueryResult<usize>
where
    C: DbConnection + ?Sized,
    Q: ExecuteDsl<SqliteConnection> + ExecuteDsl<PgConnection>,
{
    with_backend!(conn, c => ExecuteDsl::execute(query, c))
}

/// diesel's `load` on one concrete connection.
pub(crate) fn load<'q, Q, C, T>(query: Q, conn: &mut C) -> QueryResult<Vec<T>>
where
    C: Connection + LoadConnection,
    Q: LoadQuery<'q, C, T>,
{
    LoadQuery::internal_load(query, conn)?.collect()
}

/// diesel's `get_result` on one concrete connection.
fn get_result<'q, Q, C, T>(query: Q, conn: &mut C) -> QueryResult<T>
where
    C: Connection + LoadConnection,
    Q: LoadQuery<'q, C, T>,
{
    LoadQuery::internal_load(query, conn)?
        .next()
        .unwrap_or(Err(diesel::result::Error::NotFound))
}
