//! Pagination of any model query: by page number ([`Paginate::paginate`],
//! a [`Page`] with the total, in at most two queries) and by cursor
//! ([`Paginate::cursor_paginate`], a [`CursorPage`] with an opaque `next`
//! cursor, in one query however deep). Both run on the concrete backend
//! connection, like [`Crud::fetch`], and both results serialize for an API.
//! The orderings a cursor may follow are in [`keyset`]; the cursor's text
//! form in `cursor`.
//!
//! ```
//! # glowplug::model! { pub User { id: pk, name: text, age: int } }
//! use glowplug::pagination::Paginate;
//! use glowplug::prelude::*;
//!
//! # fn main() -> glowplug::Result<()> {
//! # let db = glowplug::Database::connect("sqlite::memory:")?;
//! # let mut conn = db.get()?;
//! # diesel::connection::SimpleConnection::batch_execute(&mut *conn,
//! #     "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER NOT NULL);").unwrap();
//! for i in 1..=45 {
//!     NewUser { name: format!("user {i}"), age: 20 + i % 30 }.insert(&mut conn)?;
//! }
//! let min_age = 21; // borrowed by the query below: no `'static` needed
//! let adults = || User::query().filter(users::age.ge(&min_age));
//!
//! // By page number: the rows of page 2 and the total.
//! let page = User::paginate(&mut conn, adults().order(users::id), 2, 20)?;
//! assert_eq!((page.items.len(), page.total, page.pages), (20, 44, 3));
//! assert_eq!(page.items[0].id, 21); // user 30 is 20: filtered out
//!
//! // By cursor: hand `next` to the client, get it back with the next request.
//! let first = User::cursor_paginate(&mut conn, adults(), users::id.asc(), None, 20)?;
//! let next = first.next.as_deref().expect("more rows");
//! let second = User::cursor_paginate(&mut conn, adults(), users::id.asc(), Some(next), 20)?;
//! assert_eq!(second.items[0].id, 21);
//!
//! // A cursor the server did not issue is an error, never a panic.
//! let bad = User::cursor_paginate(&mut conn, adults(), users::id.asc(), Some("nonsense!"), 20);
//! assert!(matches!(bad, Err(glowplug::Error::Pagination { .. })));
//! # Ok(())
//! # }
//! ```
//!
//! Which to use: page numbers when a client jumps to page *n* or shows a
//! total; cursors for feeds and deep or large listings. `OFFSET` makes the
//! database read and drop every row before the page (page 1 000 of 20 reads
//! 20 000 rows), and rows inserted or deleted meanwhile shift pages; a
//! cursor page starts with an index lookup after the last row seen, so
//! every page costs the same, and a row is never shown twice.
//!
//! Semantics worth knowing:
//!
//! * `paginate` sends the page's query (`LIMIT`/`OFFSET` on the query as
//!   given: order it, or pages are in no defined order), then, unless the
//!   page shows where the rows end (a page with rows but fewer than
//!   `per_page`, or an empty first page), a `COUNT(*)` of the same query.
//!   The two are not one snapshot: run them in a transaction when the rows
//!   change under heavy writes. A page past the end is empty, with the
//!   total.
//! * `cursor_paginate` orders the query by the key given (replacing any
//!   order of its own) and fetches `per_page + 1` rows to know whether there
//!   is a next page. The key must be unique (end it with the primary key):
//!   rows that tie on it would be skipped. Cursors go forward only.
//! * Page numbers start at 1; page 0, `per_page` 0 and a bad cursor are
//!   [`Error::Pagination`], sent before any query. Clamp `per_page` from
//!   a client to a maximum of your own.
//! * Under [`strict_loading`](crate::strict_loading) the rows count as
//!   loaded in a collection, as for [`Crud::fetch`].

mod cursor;
pub mod keyset;

use diesel::dsl::{self, CountStar, count_star};
use diesel::query_dsl::LoadQuery;
use diesel::query_dsl::methods::{FilterDsl, LimitDsl, OffsetDsl, OrderDsl, SelectDsl};
use diesel::result::QueryResult;
use serde::Serialize;

use crate::connection::{
    BackendConnection, DbConnection, PgConnection, SqliteConnection, with_backend,
};
use crate::error::{Error, Result};
use crate::model::{Crud, Model};
use keyset::KeysetOrder;

/// One page of rows by page number, with the total: what
/// [`Paginate::paginate`] returns. Serializes as
/// `{"items":[…],"total":44,"page":2,"per_page":20,"pages":3}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T> {
    /// The rows of this page (at most `per_page`).
    pub items: Vec<T>,
    /// The number of rows of the whole query.
    pub total: u64,
    /// This page's number, from 1.
    pub page: u64,
    /// The page size asked for.
    pub per_page: u64,
    /// The number of pages (`total / per_page`, rounded up; 0 when there are no rows).
    pub pages: u64,
}

impl<T> Page<T> {
    /// The same page with its items replaced by `f(items)`, for instance
    /// with their relations loaded: `page.try_map(|users| users.load(&mut conn, User::POSTS))`.
    pub fn try_map<U>(self, f: impl FnOnce(Vec<T>) -> Result<Vec<U>>) -> Result<Page<U>> {
        Ok(Page {
            items: f(self.items)?,
            total: self.total,
            page: self.page,
            per_page: self.per_page,
            pages: self.pages,
        })
    }
}

/// One page of rows after a cursor: what [`Paginate::cursor_paginate`]
/// returns. Serializes as `{"items":[…],"per_page":20,"next":"WyJ1c2Vyc…"}`
/// (`"next":null` on the last page).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CursorPage<T> {
    /// The rows of this page (at most `per_page`).
    pub items: Vec<T>,
    /// The page size asked for.
    pub per_page: u64,
    /// The cursor of the next page, or `None` when this page is the last.
    pub next: Option<String>,
}

impl<T> CursorPage<T> {
    /// The same page with its items replaced by `f(items)` (see [`Page::try_map`]).
    pub fn try_map<U>(self, f: impl FnOnce(Vec<T>) -> Result<Vec<U>>) -> Result<CursorPage<U>> {
        Ok(CursorPage {
            items: f(self.items)?,
            per_page: self.per_page,
            next: self.next,
        })
    }
}

/// A query [`Paginate::paginate`] can page: a model query (`User::query()`
/// with filters, order, joins) that takes `LIMIT`/`OFFSET` and can be
/// counted, on both backends. Implemented for every such query; `'q` is the
/// lifetime of what it borrows.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be paged by number",
    label = "expected a query such as `User::query().filter(..).order(..)` (no `limit`, `offset` or `select` of its own)"
)]
pub trait OffsetQuery<'q, T>: Clone {
    /// The rows `offset..offset + limit`.
    #[doc(hidden)]
    fn load_page(
        self,
        conn: &mut BackendConnection<'_>,
        limit: i64,
        offset: i64,
    ) -> QueryResult<Vec<T>>;
    /// The number of rows.
    #[doc(hidden)]
    fn count_rows(self, conn: &mut BackendConnection<'_>) -> QueryResult<i64>;
}

use keyset::NoOrder;

/// The count query of `Q`: its order replaced by [`NoOrder`], then `SELECT COUNT(*)`.
type CountOf<Q> = dsl::Select<dsl::Order<Q, NoOrder>, CountStar>;

impl<'q, T, Q> OffsetQuery<'q, T> for Q
where
    Q: Clone + LimitDsl + OrderDsl<NoOrder>,
    dsl::Limit<Q>: OffsetDsl,
    dsl::Offset<dsl::Limit<Q>>: LoadQuery<'q, SqliteConnection, T> + LoadQuery<'q, PgConnection, T>,
    dsl::Order<Q, NoOrder>: SelectDsl<CountStar>,
    CountOf<Q>: LoadQuery<'q, SqliteConnection, i64> + LoadQuery<'q, PgConnection, i64>,
{
    fn load_page(
        self,
        conn: &mut BackendConnection<'_>,
        limit: i64,
        offset: i64,
    ) -> QueryResult<Vec<T>> {
        let query = OffsetDsl::offset(LimitDsl::limit(self, limit), offset);
        with_backend!(conn, c => diesel::RunQueryDsl::load(query, c))
    }

    fn count_rows(self, conn: &mut BackendConnection<'_>) -> QueryResult<i64> {
        let query = SelectDsl::select(OrderDsl::order(self, NoOrder), count_star());
        with_backend!(conn, c => diesel::RunQueryDsl::get_result(query, c))
    }
}

/// A query [`Paginate::cursor_paginate`] can page by the ordering `K`: a
/// model query (`User::query()` with filters) that takes `K`'s order, the
/// condition "after the cursor" and a `LIMIT`, on both backends.
/// Implemented for every such query; `'q` is the lifetime of what it borrows.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be paged by cursor in the ordering `{K}`",
    label = "expected a query such as `User::query().filter(..)` (no `limit`, `offset` or `select` of its own) and an ordering on its table's columns"
)]
pub trait KeysetQuery<'q, T, K: KeysetOrder> {
    /// The first `limit` rows in `key`'s order, after `after` when given.
    #[doc(hidden)]
    fn load_after(
        self,
        conn: &mut BackendConnection<'_>,
        key: K,
        after: Option<K::Values>,
        limit: i64,
    ) -> QueryResult<Vec<T>>;
}

impl<'q, T, K, Q> KeysetQuery<'q, T, K> for Q
where
    K: KeysetOrder,
    Q: OrderDsl<K::Order> + FilterDsl<K::After>,
    dsl::Order<Q, K::Order>: LimitDsl,
    dsl::Limit<dsl::Order<Q, K::Order>>:
        LoadQuery<'q, SqliteConnection, T> + LoadQuery<'q, PgConnection, T>,
    dsl::Filter<Q, K::After>: OrderDsl<K::Order>,
    dsl::Order<dsl::Filter<Q, K::After>, K::Order>: LimitDsl,
    dsl::Limit<dsl::Order<dsl::Filter<Q, K::After>, K::Order>>:
        LoadQuery<'q, SqliteConnection, T> + LoadQuery<'q, PgConnection, T>,
{
    fn load_after(
        self,
        conn: &mut BackendConnection<'_>,
        key: K,
        after: Option<K::Values>,
        limit: i64,
    ) -> QueryResult<Vec<T>> {
        match after {
            None => {
                let query = LimitDsl::limit(OrderDsl::order(self, key.order()), limit);
                with_backend!(conn, c => diesel::RunQueryDsl::load(query, c))
            }
            Some(values) => {
                let filtered = FilterDsl::filter(self, K::after(values));
                let query = LimitDsl::limit(OrderDsl::order(filtered, key.order()), limit);
                with_backend!(conn, c => diesel::RunQueryDsl::load(query, c))
            }
        }
    }
}

/// Pagination for every model: `User::paginate(..)`, `User::cursor_paginate(..)`.
pub trait Paginate: Crud {
    /// Page `page` (from 1) of `per_page` rows of `query`, with the total
    /// number of rows: the page's query, then a `COUNT(*)` unless the page
    /// shows where the rows end. See the [module docs](self).
    ///
    /// `query` is any model query (`User::query().filter(..).order(..)`);
    /// it may borrow its values (`users::name.eq(&name)`).
    fn paginate<'q, C, Q>(conn: &mut C, query: Q, page: u64, per_page: u64) -> Result<Page<Self>>
    where
        C: DbConnection + ?Sized,
        Q: OffsetQuery<'q, Self>,
    {
        let (limit, offset) = page_window(Self::NAME, page, per_page)?;
        let op = crate::observe::scope(Self::NAME, "paginate");
        let mut conn = conn.backend_connection();
        let items = query.clone().load_page(&mut conn, limit, offset)?;
        let total = match items.len() as u64 {
            n if n > 0 && n < per_page => offset as u64 + n,
            0 if page == 1 => 0,
            _ => query.count_rows(&mut conn)? as u64,
        };
        op.rows(items.len());
        crate::relation::strict::register_collection(&items);
        Ok(Page {
            items,
            total,
            page,
            per_page,
            pages: total.div_ceil(per_page),
        })
    }

    /// `per_page` rows of `query` in the order `key`, after the row `after`
    /// points to (`None`: from the start), with the cursor of the next page:
    /// one query, however deep. See the [module docs](self).
    ///
    /// `key` is one column with its direction (`users::id.asc()`) or a tuple
    /// of two or three in one direction (`(posts::created_at.desc(),
    /// posts::id.desc())`); it must be unique. `after` is a `next` cursor of
    /// an earlier page, as the client sent it back; one this model and key
    /// did not issue is [`Error::Pagination`].
    fn cursor_paginate<'q, C, Q, K>(
        conn: &mut C,
        query: Q,
        key: K,
        after: Option<&str>,
        per_page: u64,
    ) -> Result<CursorPage<Self>>
    where
        C: DbConnection + ?Sized,
        K: KeysetOrder,
        Q: KeysetQuery<'q, Self, K>,
        Self: Serialize,
    {
        let limit = match per_page {
            0 => return Err(bad_size(Self::NAME)),
            n => i64::try_from(n)
                .ok()
                .and_then(|n| n.checked_add(1))
                .ok_or_else(|| too_big(Self::NAME))?,
        };
        let columns = K::columns();
        let signature = signature::<Self, K>(&columns);
        let after = after
            .map(|c| cursor::decode(Self::NAME, &signature, c))
            .transpose()?;
        let op = crate::observe::scope(Self::NAME, "cursor_paginate");
        let mut items = query.load_after(&mut conn.backend_connection(), key, after, limit)?;
        let next = match items.len() as u64 > per_page {
            true => {
                items.truncate(per_page as usize);
                let last = items.last().expect("per_page > 0 rows");
                Some(cursor::encode(Self::NAME, &signature, &columns, last)?)
            }
            false => None,
        };
        op.rows(items.len());
        crate::relation::strict::register_collection(&items);
        Ok(CursorPage {
            items,
            per_page,
            next,
        })
    }
}

impl<T: Crud> Paginate for T {}

/// `LIMIT` and `OFFSET` of page `page` of `per_page`.
fn page_window(model: &'static str, page: u64, per_page: u64) -> Result<(i64, i64)> {
    if page == 0 {
        return Err(Error::Pagination {
            model,
            message: "page 0 asked for; pages are numbered from 1".into(),
        });
    }
    if per_page == 0 {
        return Err(bad_size(model));
    }
    let limit = i64::try_from(per_page).map_err(|_| too_big(model))?;
    let offset = (page - 1)
        .checked_mul(per_page)
        .and_then(|o| i64::try_from(o).ok());
    Ok((limit, offset.ok_or_else(|| too_big(model))?))
}

fn bad_size(model: &'static str) -> Error {
    Error::Pagination {
        model,
        message: "per_page is 0; ask for at least one row per page".into(),
    }
}

fn too_big(model: &'static str) -> Error {
    Error::Pagination {
        model,
        message: "page × per_page is beyond what SQL's LIMIT/OFFSET can express (2^63 - 1 rows)"
            .into(),
    }
}

/// What a cursor records about who issued it: `users:id>`, `posts:created_at,id<`.
fn signature<T: Model, K: KeysetOrder>(columns: &[&str]) -> String {
    format!(
        "{}:{}{}",
        T::TABLE,
        columns.join(","),
        K::direction().trim()
    )
}
