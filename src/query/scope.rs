//! [`Scope`]: a model query being built (`User::filter(..)`), diesel's
//! `filter`/`order`/`limit`/`offset`/joins on it, and the methods that run
//! it (`all`, `first`, `last`, `count`, `exists`, `pluck`, aggregates,
//! `with_count`), each on the concrete backend; its writes are in `write.rs`.

use std::marker::PhantomData;

use diesel::JoinTo;
use diesel::dsl::{self, CountStar};
use diesel::expression::{AsExpression, Expression, ValidGrouping};
use diesel::helper_types as agg;
use diesel::query_dsl::InternalJoinDsl;
use diesel::query_dsl::methods::{
    FilterDsl, LimitDsl, OffsetDsl, OrderDsl, SelectDsl, ThenOrderDsl,
};
use diesel::sql_types::{Foldable, IntoNullable, SingleValue, SqlOrd, SqlType};

use super::CountOf;
use super::parts::{
    Apply, Base, FirstOrder, FirstWindow, Join, LastOrder, NoFilter, NoJoin, NoOrder, NoWindow,
    OrderBy, Where, Window,
};
use super::run::{Loadable, fetch_one, fetch_optional, fetch_rows};
use crate::connection::DbConnection;
use crate::error::Result;
use crate::model::Crud;

/// A model query being built: `User::filter(users::age.gt(18))`, then any
/// of diesel's `filter`, `order`/`order_by`, `then_order_by`, `limit`,
/// `offset`, `inner_join`, `left_join`, then a method that runs it.
///
/// Every method runs on the concrete backend connection behind `conn`,
/// built on [`Model::query`](crate::Model::query) (the model's base query):
///
/// | method | SQL |
/// |---|---|
/// | [`all`](Scope::all) | the rows, in the scope's order |
/// | [`first`](Scope::first) / [`last`](Scope::last) | one row by the scope's order (reversed for `last`), or by primary key; `Option` |
/// | [`count`](Scope::count), [`exists`](Scope::exists) | `COUNT(*)`, `EXISTS (…)` |
/// | [`pluck`](Scope::pluck) | one column of the rows |
/// | [`sum`](Scope::sum), [`avg`](Scope::avg), [`min`](Scope::min), [`max`](Scope::max), [`value`](Scope::value) | one aggregate |
/// | [`update_all`](Scope::update_all), [`delete_all`](Scope::delete_all) | `UPDATE`/`DELETE … WHERE` the filters; the number of rows |
/// | [`force_delete_all`](Scope::force_delete_all), [`restore_all`](Scope::restore_all) | with `soft_delete`: `DELETE` for good, `deleted_at = NULL` (see [`SoftDelete`](crate::SoftDelete)) |
///
/// `count`, `exists`, the aggregates, `update_all` and `delete_all` apply
/// to every row the filters match: they ignore the order, and a scope with
/// a `limit` or `offset` has none of them (SQL would silently ignore the
/// window; count a page with `all(..).len()`). `update_all` and
/// `delete_all` take no joins either. `first` replaces the scope's limit
/// with 1 and keeps its offset.
///
/// The methods are inherent, so with `diesel::prelude::*` in scope as well,
/// `scope.first(conn)` and `scope.count(conn)` are these, never diesel's
/// `RunQueryDsl::first` or `QueryDsl::count`.
///
/// ```
/// # glowplug::model! { pub User { id: pk, name: text, age: int } }
/// use glowplug::prelude::*;
///
/// # fn main() -> glowplug::Result<()> {
/// # let db = glowplug::Database::connect("sqlite::memory:")?;
/// # let mut conn = db.get()?;
/// # diesel::connection::SimpleConnection::batch_execute(&mut *conn,
/// #     "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER NOT NULL);").unwrap();
/// for (name, age) in [("ada", 36), ("bob", 17), ("cy", 52)] {
///     NewUser { name: name.into(), age }.insert(&mut conn)?;
/// }
/// let adults = || User::filter(users::age.ge(18));
/// assert_eq!(adults().count(&mut conn)?, 2);
/// let oldest = adults().order(users::age.desc()).first(&mut conn)?;
/// assert_eq!(oldest.map(|u| u.name).as_deref(), Some("cy"));
/// let names: Vec<String> = adults().order(users::name).pluck(&mut conn, users::name)?;
/// assert_eq!(names, ["ada", "cy"]);
/// # Ok(())
/// # }
/// ```
#[must_use = "a scope does nothing until a method such as `all` or `first` runs it"]
pub struct Scope<M, J = NoJoin, W = NoFilter, O = NoOrder, L = NoWindow> {
    joins: J,
    pub(super) filters: W,
    order: O,
    window: L,
    model: PhantomData<fn() -> M>,
}

impl<M, J: Clone, W: Clone, O: Clone, L: Clone> Clone for Scope<M, J, W, O, L> {
    fn clone(&self) -> Self {
        Scope {
            joins: self.joins.clone(),
            filters: self.filters.clone(),
            order: self.order.clone(),
            window: self.window.clone(),
            model: PhantomData,
        }
    }
}

impl<M, J, W, O, L> std::fmt::Debug for Scope<M, J, W, O, L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scope")
            .field("model", &std::any::type_name::<M>())
            .finish_non_exhaustive()
    }
}

impl<M> Scope<M> {
    /// Every row of the model (see [`Queries::scope`](super::Queries::scope)).
    pub(super) fn new() -> Self {
        Scope {
            joins: NoJoin,
            filters: NoFilter,
            order: NoOrder,
            window: NoWindow,
            model: PhantomData,
        }
    }
}

impl<M, Q, K> Scope<M, Base<Q, K>> {
    /// The rows of `query` (a query of the model's table selecting every
    /// column, the rows `kind` says) in place of the model's base query.
    pub(super) fn from_base(query: Q, kind: K) -> Self {
        Scope {
            joins: Base(query, kind),
            filters: NoFilter,
            order: NoOrder,
            window: NoWindow,
            model: PhantomData,
        }
    }
}

impl<M, J, W, O, L> Scope<M, J, W, O, L> {
    fn with<J2, W2, O2, L2>(
        joins: J2,
        filters: W2,
        order: O2,
        window: L2,
    ) -> Scope<M, J2, W2, O2, L2> {
        Scope {
            joins,
            filters,
            order,
            window,
            model: PhantomData,
        }
    }
}

// diesel's query DSL on a scope: each method records its piece (see `parts`).

impl<M, J, W, O, L> diesel::QueryDsl for Scope<M, J, W, O, L> {}

impl<M, J, W, O, L, P> FilterDsl<P> for Scope<M, J, W, O, L> {
    type Output = Scope<M, J, Where<W, P>, O, L>;
    fn filter(self, predicate: P) -> Self::Output {
        let filters = Where {
            prev: self.filters,
            predicate,
        };
        Self::with(self.joins, filters, self.order, self.window)
    }
}

impl<M, J, W, O, L, E: Expression> OrderDsl<E> for Scope<M, J, W, O, L> {
    type Output = Scope<M, J, W, OrderBy<E>, L>;
    fn order(self, expr: E) -> Self::Output {
        Self::with(self.joins, self.filters, OrderBy(expr), self.window)
    }
}

impl<M, J, W, L, E> ThenOrderDsl<E> for Scope<M, J, W, NoOrder, L> {
    type Output = Scope<M, J, W, OrderBy<E>, L>;
    fn then_order_by(self, expr: E) -> Self::Output {
        Self::with(self.joins, self.filters, OrderBy(expr), self.window)
    }
}

impl<M, J, W, O, L, E> ThenOrderDsl<E> for Scope<M, J, W, OrderBy<O>, L> {
    type Output = Scope<M, J, W, OrderBy<(O, E)>, L>;
    fn then_order_by(self, expr: E) -> Self::Output {
        let order = OrderBy((self.order.0, expr));
        Self::with(self.joins, self.filters, order, self.window)
    }
}

impl<M, J, W, O> LimitDsl for Scope<M, J, W, O, NoWindow> {
    type Output = Scope<M, J, W, O, Window>;
    fn limit(self, limit: i64) -> Self::Output {
        let window = Window { limit, offset: 0 };
        Self::with(self.joins, self.filters, self.order, window)
    }
}

impl<M, J, W, O> LimitDsl for Scope<M, J, W, O, Window> {
    type Output = Self;
    fn limit(mut self, limit: i64) -> Self {
        self.window.limit = limit;
        self
    }
}

impl<M, J, W, O> OffsetDsl for Scope<M, J, W, O, NoWindow> {
    type Output = Scope<M, J, W, O, Window>;
    fn offset(self, offset: i64) -> Self::Output {
        // `LIMIT` with no bound: both backends accept the largest BIGINT.
        let window = Window {
            limit: i64::MAX,
            offset,
        };
        Self::with(self.joins, self.filters, self.order, window)
    }
}

impl<M, J, W, O> OffsetDsl for Scope<M, J, W, O, Window> {
    type Output = Self;
    fn offset(mut self, offset: i64) -> Self {
        self.window.offset = offset;
        self
    }
}

// Joins: the `ON` clause comes from the query joined so far (the model's
// table, then each table joined), as for a diesel query.
impl<M, J, W, O, L, Rhs> JoinTo<Rhs> for Scope<M, J, W, O, L>
where
    M: crate::Model,
    J: Apply<M::Query>,
    J::Output: JoinTo<Rhs>,
{
    type FromClause = <J::Output as JoinTo<Rhs>>::FromClause;
    type OnClause = <J::Output as JoinTo<Rhs>>::OnClause;
    fn join_target(rhs: Rhs) -> (Self::FromClause, Self::OnClause) {
        <J::Output as JoinTo<Rhs>>::join_target(rhs)
    }
}

impl<M, J, W, O, L, R, K, On> InternalJoinDsl<R, K, On> for Scope<M, J, W, O, L> {
    type Output = Scope<M, Join<J, R, K, On>, W, O, L>;
    fn join(self, rhs: R, kind: K, on: On) -> Self::Output {
        let joins = Join {
            prev: self.joins,
            rhs,
            kind,
            on,
        };
        Self::with(joins, self.filters, self.order, self.window)
    }
}

/// The model's base query with a scope's joins and filters on it.
pub type Filtered<M, J, W> = <W as Apply<<J as Apply<<M as crate::Model>::Query>>::Output>>::Output;

/// [`Filtered`] with the order `O` and the window `L` on it.
pub type Windowed<M, J, W, O, L> = <L as Apply<<O as Apply<Filtered<M, J, W>>>::Output>>::Output;

/// Every column of model `M`'s table, in the model's field order.
pub type AllColumns<M> = <<M as crate::Model>::Table as diesel::Table>::AllColumns;

/// The query of one row by the order `O` (`first`/`last`).
pub type OneRow<Q, O> = dsl::Offset<dsl::Limit<dsl::Order<Q, O>>>;

impl<M, J, W, O, L> Scope<M, J, W, O, L>
where
    M: Crud,
    J: Apply<M::Query>,
    W: Apply<J::Output>,
{
    fn split(self) -> (Filtered<M, J, W>, O, L) {
        let query = self.filters.apply(self.joins.apply(M::query()));
        (query, self.order, self.window)
    }

    /// The diesel query this scope runs for [`all`](Scope::all), to run
    /// elsewhere (`User::paginate`, a subquery, diesel's own methods).
    pub fn into_query(self) -> Windowed<M, J, W, O, L>
    where
        O: Apply<Filtered<M, J, W>>,
        L: Apply<O::Output>,
    {
        let (query, order, window) = self.split();
        window.apply(order.apply(query))
    }

    /// The rows, in the scope's order (none given: in no particular order).
    ///
    /// Under [`strict_loading`](crate::strict_loading) the rows count as
    /// loaded in a collection, as for [`Crud::all`].
    pub fn all<'q, C>(self, conn: &mut C) -> Result<Vec<M>>
    where
        C: DbConnection + ?Sized,
        O: Apply<Filtered<M, J, W>>,
        L: Apply<O::Output>,
        Windowed<M, J, W, O, L>: Loadable<'q, M>,
    {
        let op = crate::observe::scope(M::NAME, "scope_all");
        let rows = fetch_rows(conn, self.into_query())?;
        op.rows(rows.len());
        crate::relation::strict::register_collection(&rows);
        Ok(rows)
    }

    /// The first row by the scope's order, or by primary key when it has
    /// none; `None` when no row matches.
    ///
    /// ```
    /// # glowplug::model! { pub User { id: pk, name: text, age: int } }
    /// # use glowplug::prelude::*;
    /// # fn main() -> glowplug::Result<()> {
    /// # let db = glowplug::Database::connect("sqlite::memory:")?;
    /// # let mut conn = db.get()?;
    /// # diesel::connection::SimpleConnection::batch_execute(&mut *conn,
    /// #     "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER NOT NULL);").unwrap();
    /// NewUser { name: "ada".into(), age: 36 }.insert(&mut conn)?;
    /// NewUser { name: "bob".into(), age: 17 }.insert(&mut conn)?;
    /// let youngest = User::scope().order(users::age.asc()).first(&mut conn)?;
    /// assert_eq!(youngest.unwrap().name, "bob");
    /// assert!(User::filter(users::age.gt(99)).first(&mut conn)?.is_none());
    /// # Ok(())
    /// # }
    /// ```
    pub fn first<'q, C>(self, conn: &mut C) -> Result<Option<M>>
    where
        C: DbConnection + ?Sized,
        O: FirstOrder<M>,
        L: FirstWindow,
        Filtered<M, J, W>: OrderDsl<O::Order>,
        dsl::Order<Filtered<M, J, W>, O::Order>: LimitDsl,
        dsl::Limit<dsl::Order<Filtered<M, J, W>, O::Order>>: OffsetDsl,
        OneRow<Filtered<M, J, W>, O::Order>: Loadable<'q, M>,
    {
        let _op = crate::observe::scope(M::NAME, "first");
        let Some(window) = self.window.first_window() else {
            return Ok(None);
        };
        let (query, order, _) = self.split();
        fetch_optional(conn, window.apply(query.order(order.first_order())))
    }

    /// The last row by the scope's order (reversed: `ORDER BY name DESC`
    /// for `.order(users::name.asc())`), or by primary key when it has none;
    /// `None` when no row matches. The order must say each column's
    /// direction (`col.asc()`, `col.desc()`, or a tuple of them).
    ///
    /// ```
    /// # glowplug::model! { pub User { id: pk, name: text, age: int } }
    /// # use glowplug::prelude::*;
    /// # fn main() -> glowplug::Result<()> {
    /// # let db = glowplug::Database::connect("sqlite::memory:")?;
    /// # let mut conn = db.get()?;
    /// # diesel::connection::SimpleConnection::batch_execute(&mut *conn,
    /// #     "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER NOT NULL);").unwrap();
    /// NewUser { name: "ada".into(), age: 36 }.insert(&mut conn)?;
    /// NewUser { name: "bob".into(), age: 17 }.insert(&mut conn)?;
    /// assert_eq!(User::scope().last(&mut conn)?.unwrap().name, "bob"); // the largest id
    /// let oldest = User::scope().order(users::age.asc()).last(&mut conn)?;
    /// assert_eq!(oldest.unwrap().name, "ada");
    /// # Ok(())
    /// # }
    /// ```
    pub fn last<'q, C>(self, conn: &mut C) -> Result<Option<M>>
    where
        C: DbConnection + ?Sized,
        O: LastOrder<M>,
        L: FirstWindow,
        Filtered<M, J, W>: OrderDsl<O::Order>,
        dsl::Order<Filtered<M, J, W>, O::Order>: LimitDsl,
        dsl::Limit<dsl::Order<Filtered<M, J, W>, O::Order>>: OffsetDsl,
        OneRow<Filtered<M, J, W>, O::Order>: Loadable<'q, M>,
    {
        let _op = crate::observe::scope(M::NAME, "last");
        let Some(window) = self.window.first_window() else {
            return Ok(None);
        };
        let (query, order, _) = self.split();
        fetch_optional(conn, window.apply(query.order(order.last_order())))
    }

    /// The rows, each with the number of its targets in `relation` (a
    /// `has_many`, `has_one` or `many_to_many`), in one query: Laravel's
    /// `withCount`. The count is a correlated subquery on the target's base
    /// query (`SELECT users.*, (SELECT COUNT(*) FROM posts WHERE
    /// posts.author_id = users.id) FROM users …`; for a `many_to_many`,
    /// `… FROM tags WHERE tags.id IN (SELECT tag_id FROM post_tags WHERE
    /// post_tags.post_id = posts.id)`), so the scope's filters, order and
    /// window apply to the parents as in [`all`](Scope::all), and targets
    /// the base query leaves out (soft-deleted ones) are not counted.
    ///
    /// ```
    /// # glowplug::model! {
    /// #     pub User { id: pk, name: text, has_many posts: Post by author_id }
    /// #     pub Post { id: pk, author_id: bigint fk(User), title: text }
    /// # }
    /// # use glowplug::prelude::*;
    /// # fn main() -> glowplug::Result<()> {
    /// # let db = glowplug::Database::connect("sqlite::memory:")?;
    /// # let mut conn = db.get()?;
    /// # diesel::connection::SimpleConnection::batch_execute(&mut *conn,
    /// #     "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
    /// #      CREATE TABLE posts (id INTEGER PRIMARY KEY, author_id BIGINT NOT NULL, title TEXT NOT NULL);").unwrap();
    /// let ada = NewUser { name: "ada".into() }.insert(&mut conn)?;
    /// NewUser { name: "bob".into() }.insert(&mut conn)?;
    /// for title in ["one", "two"] {
    ///     NewPost { author_id: ada.id, title: title.into() }.insert(&mut conn)?;
    /// }
    /// let counted = User::scope().order(users::id).with_count(&mut conn, User::POSTS)?;
    /// let counts: Vec<(&str, i64)> = counted.iter().map(|(u, n)| (u.name.as_str(), *n)).collect();
    /// assert_eq!(counts, [("ada", 2), ("bob", 0)]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_count<'q, C, R>(self, conn: &mut C, relation: R) -> Result<Vec<(M, i64)>>
    where
        C: DbConnection + ?Sized,
        R: CountOf<M>,
        M::Table: Default,
        R::Expr: Expression,
        Filtered<M, J, W>: SelectDsl<(AllColumns<M>, R::Expr)>,
        O: Apply<dsl::Select<Filtered<M, J, W>, (AllColumns<M>, R::Expr)>>,
        L: Apply<O::Output>,
        L::Output: Loadable<'q, (M, i64)>,
    {
        let _op = crate::observe::scope(M::NAME, "with_count");
        let _ = relation;
        let columns = (<M::Table as diesel::Table>::all_columns(), R::count_of());
        let (query, order, window) = self.split();
        fetch_rows(conn, window.apply(order.apply(query.select(columns))))
    }

    /// One column of the rows, in the scope's order and window:
    /// `User::filter(..).pluck(&mut conn, users::name)` gives a `Vec<String>`.
    pub fn pluck<'q, C, Col, T>(self, conn: &mut C, column: Col) -> Result<Vec<T>>
    where
        C: DbConnection + ?Sized,
        Col: Expression,
        Filtered<M, J, W>: SelectDsl<Col>,
        O: Apply<dsl::Select<Filtered<M, J, W>, Col>>,
        L: Apply<O::Output>,
        L::Output: Loadable<'q, T>,
    {
        let _op = crate::observe::scope(M::NAME, "pluck");
        let (query, order, window) = self.split();
        fetch_rows(conn, window.apply(order.apply(query.select(column))))
    }
}

impl<M, J, W, O> Scope<M, J, W, O, NoWindow>
where
    M: Crud,
    J: Apply<M::Query>,
    W: Apply<J::Output>,
{
    /// The number of rows the filters match (`SELECT COUNT(*)`).
    ///
    /// With a join, every joined row counts, as in SQL.
    pub fn count<'q, C>(self, conn: &mut C) -> Result<i64>
    where
        C: DbConnection + ?Sized,
        Filtered<M, J, W>: SelectDsl<CountStar>,
        dsl::Select<Filtered<M, J, W>, CountStar>: Loadable<'q, i64>,
    {
        let _op = crate::observe::scope(M::NAME, "count");
        let (query, _, _) = self.split();
        fetch_one(conn, query.select(dsl::count_star()))
    }

    /// Whether any row matches (`SELECT EXISTS (…)`).
    ///
    /// ```
    /// # glowplug::model! { pub User { id: pk, name: text, age: int } }
    /// # use glowplug::prelude::*;
    /// # fn main() -> glowplug::Result<()> {
    /// # let db = glowplug::Database::connect("sqlite::memory:")?;
    /// # let mut conn = db.get()?;
    /// # diesel::connection::SimpleConnection::batch_execute(&mut *conn,
    /// #     "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER NOT NULL);").unwrap();
    /// NewUser { name: "ada".into(), age: 36 }.insert(&mut conn)?;
    /// let name = String::from("ada"); // borrowed, not 'static
    /// assert!(User::filter(users::name.eq(&name)).exists(&mut conn)?);
    /// assert!(!User::filter(users::age.lt(18)).exists(&mut conn)?);
    /// # Ok(())
    /// # }
    /// ```
    pub fn exists<'q, C>(self, conn: &mut C) -> Result<bool>
    where
        C: DbConnection + ?Sized,
        dsl::exists<Filtered<M, J, W>>: Expression,
        dsl::select<dsl::exists<Filtered<M, J, W>>>:
            Loadable<'q, bool> + diesel::query_builder::AsQuery,
    {
        let _op = crate::observe::scope(M::NAME, "exists");
        let (query, _, _) = self.split();
        fetch_one(conn, diesel::select(dsl::exists(query)))
    }

    /// One aggregate (or any single-value expression) over the rows the
    /// filters match: `scope.value(&mut conn, diesel::dsl::count_distinct(users::age))`.
    /// [`sum`](Scope::sum), [`avg`](Scope::avg), [`min`](Scope::min) and
    /// [`max`](Scope::max) are this with diesel's functions.
    pub fn value<'q, C, E, T>(self, conn: &mut C, expr: E) -> Result<T>
    where
        C: DbConnection + ?Sized,
        E: Expression,
        Filtered<M, J, W>: SelectDsl<E>,
        dsl::Select<Filtered<M, J, W>, E>: Loadable<'q, T>,
    {
        let _op = crate::observe::scope(M::NAME, "value");
        let (query, _, _) = self.split();
        fetch_one(conn, query.select(expr))
    }

    /// `SUM(column)`; `None` when no row matches. The type is diesel's: an
    /// `int` column sums to `i64`, a `bigint` one to a `Decimal`-like
    /// `BigDecimal` (`numeric`).
    ///
    /// ```
    /// # glowplug::model! { pub User { id: pk, name: text, age: int } }
    /// # use glowplug::prelude::*;
    /// # fn main() -> glowplug::Result<()> {
    /// # let db = glowplug::Database::connect("sqlite::memory:")?;
    /// # let mut conn = db.get()?;
    /// # diesel::connection::SimpleConnection::batch_execute(&mut *conn,
    /// #     "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER NOT NULL);").unwrap();
    /// NewUser { name: "ada".into(), age: 36 }.insert(&mut conn)?;
    /// NewUser { name: "bob".into(), age: 17 }.insert(&mut conn)?;
    /// let total: Option<i64> = User::scope().sum(&mut conn, users::age)?;
    /// let oldest: Option<i32> = User::scope().max(&mut conn, users::age)?;
    /// let youngest: Option<i32> = User::scope().min(&mut conn, users::age)?;
    /// assert_eq!((total, oldest, youngest), (Some(53), Some(36), Some(17)));
    /// let none: Option<i32> = User::filter(users::age.gt(99)).max(&mut conn, users::age)?;
    /// assert_eq!(none, None);
    /// # Ok(())
    /// # }
    /// ```
    pub fn sum<'q, C, Col, T>(self, conn: &mut C, column: Col) -> Result<T>
    where
        C: DbConnection + ?Sized,
        Col: Expression + ValidGrouping<()> + AsExpression<Col::SqlType>,
        Col::SqlType: Foldable,
        Filtered<M, J, W>: SelectDsl<agg::sum<Col>>,
        dsl::Select<Filtered<M, J, W>, agg::sum<Col>>: Loadable<'q, T>,
    {
        let _op = crate::observe::scope(M::NAME, "sum");
        self.value(conn, dsl::sum(column))
    }

    /// `AVG(column)`; `None` when no row matches (a `BigDecimal` for
    /// integer columns, `f64` for `double`).
    pub fn avg<'q, C, Col, T>(self, conn: &mut C, column: Col) -> Result<T>
    where
        C: DbConnection + ?Sized,
        Col: Expression + ValidGrouping<()> + AsExpression<Col::SqlType>,
        Col::SqlType: Foldable,
        Filtered<M, J, W>: SelectDsl<agg::avg<Col>>,
        dsl::Select<Filtered<M, J, W>, agg::avg<Col>>: Loadable<'q, T>,
    {
        let _op = crate::observe::scope(M::NAME, "avg");
        self.value(conn, dsl::avg(column))
    }

    /// `MIN(column)`; `None` when no row matches.
    pub fn min<'q, C, Col, T>(self, conn: &mut C, column: Col) -> Result<T>
    where
        C: DbConnection + ?Sized,
        Col: Expression + ValidGrouping<()> + AsExpression<Col::SqlType>,
        Col::SqlType: SqlOrd + IntoNullable + SingleValue,
        <Col::SqlType as IntoNullable>::Nullable: SqlType + SingleValue,
        Filtered<M, J, W>: SelectDsl<agg::min<Col>>,
        dsl::Select<Filtered<M, J, W>, agg::min<Col>>: Loadable<'q, T>,
    {
        let _op = crate::observe::scope(M::NAME, "min");
        self.value(conn, dsl::min(column))
    }

    /// `MAX(column)`; `None` when no row matches.
    pub fn max<'q, C, Col, T>(self, conn: &mut C, column: Col) -> Result<T>
    where
        C: DbConnection + ?Sized,
        Col: Expression + ValidGrouping<()> + AsExpression<Col::SqlType>,
        Col::SqlType: SqlOrd + IntoNullable + SingleValue,
        <Col::SqlType as IntoNullable>::Nullable: SqlType + SingleValue,
        Filtered<M, J, W>: SelectDsl<agg::max<Col>>,
        dsl::Select<Filtered<M, J, W>, agg::max<Col>>: Loadable<'q, T>,
    {
        let _op = crate::observe::scope(M::NAME, "max");
        self.value(conn, dsl::max(column))
    }
}
