//! Everyday queries on a model without dropping to raw diesel, each run on
//! the concrete backend connection (see [`crate::connection`]):
//!
//! * [`Queries`], on every model: `User::filter(users::age.gt(18))` and
//!   `User::scope()` start a [`Scope`]; `User::first`/`last` by primary key;
//!   `User::find_by(conn, users::email.eq(&email))` and its `Option` form.
//! * [`Scope`]: diesel's `filter`/`order`/`limit`/`offset`/joins, then
//!   `all`, `first`, `last`, `count`, `exists`, `pluck`, `sum`/`avg`/`min`/`max`,
//!   `update_all`, `delete_all`.
//! * [`RunDsl`]: any other diesel query (tuples, joins, aggregates) on a
//!   pooled connection at the cost of a concrete one: `query.fetch_all(&mut conn)`.
//!
//! Every method is built on [`Model::query`](crate::Model::query), and every
//! method takes queries that borrow their values (`users::name.eq(&name)`
//! with a `name` that is not `'static`). Names never clash with diesel's:
//! the scope's methods are inherent (they win over `RunQueryDsl::first` and
//! `QueryDsl::count`), and [`RunDsl`]'s are `fetch_*`/`exec`, so a file may
//! import both `glowplug::prelude::*` and `diesel::prelude::*`.
//!
//! [`NewModel::get_or_insert`](crate::NewModel::get_or_insert) (find by a
//! unique key or insert, through `ON CONFLICT`) lives with the other inserts.

pub mod parts;
mod run;
mod scope;
pub mod soft_delete;
mod write;

use diesel::dsl;
use diesel::query_builder::QueryFragment;
use diesel::query_dsl::methods::{FilterDsl, LimitDsl, OffsetDsl, OrderDsl};
use diesel::sqlite::Sqlite;

pub use run::{Loadable, RunDsl};
pub(crate) use run::{fetch_optional, fetch_rows};
pub use scope::{AllColumns, Filtered, OneRow, Scope, Windowed};
pub use soft_delete::SoftDelete;
pub use write::{
    DeleteAll, DeleteRows, DeletedTarget, ForceDeleteAll, RestoreAll, Rows, TableOf, UpdateAll,
};

use crate::connection::DbConnection;
use crate::error::{Error, Result};
use crate::model::Crud;
use parts::{FirstOrder, LastOrder, NoFilter, NoJoin, NoOrder, Where};

/// The query methods of every model (`User::filter`, `User::find_by`, …);
/// in the prelude.
///
/// ```
/// # glowplug::model! { pub User { id: pk, email: text unique, age: int } }
/// use glowplug::prelude::*;
///
/// # fn main() -> glowplug::Result<()> {
/// # let db = glowplug::Database::connect("sqlite::memory:")?;
/// # let mut conn = db.get()?;
/// # diesel::connection::SimpleConnection::batch_execute(&mut *conn,
/// #     "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, age INTEGER NOT NULL);").unwrap();
/// NewUser { email: "ada@x.io".into(), age: 36 }.insert(&mut conn)?;
/// NewUser { email: "bob@x.io".into(), age: 17 }.insert(&mut conn)?;
///
/// let email = String::from("bob@x.io"); // borrowed below, not 'static
/// let bob = User::find_by(&mut conn, users::email.eq(&email))?;
/// assert_eq!(bob.age, 17);
/// assert!(User::find_by_optional(&mut conn, users::email.eq("eve@x.io"))?.is_none());
/// let err = User::find_by(&mut conn, users::email.eq("eve@x.io")).unwrap_err();
/// assert!(err.is_not_found() && err.to_string().contains("users.email = ?"), "{err}");
///
/// assert_eq!(User::first(&mut conn)?.map(|u| u.age), Some(36)); // smallest id
/// assert_eq!(User::last(&mut conn)?.map(|u| u.age), Some(17));  // largest id
/// assert_eq!(User::filter(users::age.ge(18)).count(&mut conn)?, 1);
/// # Ok(())
/// # }
/// ```
pub trait Queries: Crud {
    /// Every row of the model, as a [`Scope`] to order, limit or join:
    /// `User::scope().order(users::name).limit(10).all(&mut conn)`.
    fn scope() -> Scope<Self> {
        Scope::new()
    }

    /// The rows matching `predicate` (any diesel boolean expression), as a
    /// [`Scope`]: `User::filter(users::age.gt(18))`. Chain more of diesel's
    /// `filter`, `order`, `limit`, `offset` and joins, then run it.
    fn filter<P>(predicate: P) -> Scope<Self, NoJoin, Where<NoFilter, P>> {
        FilterDsl::filter(Scope::new(), predicate)
    }

    /// The row with the smallest primary key, or `None` when the table is empty.
    fn first<'q, C>(conn: &mut C) -> Result<Option<Self>>
    where
        C: DbConnection + ?Sized,
        NoOrder: FirstOrder<Self>,
        Self::Query: OrderDsl<<NoOrder as FirstOrder<Self>>::Order>,
        dsl::Order<Self::Query, <NoOrder as FirstOrder<Self>>::Order>: LimitDsl,
        dsl::Limit<dsl::Order<Self::Query, <NoOrder as FirstOrder<Self>>::Order>>: OffsetDsl,
        OneRow<Self::Query, <NoOrder as FirstOrder<Self>>::Order>: Loadable<'q, Self>,
    {
        Self::scope().first(conn)
    }

    /// The row with the largest primary key, or `None` when the table is empty.
    fn last<'q, C>(conn: &mut C) -> Result<Option<Self>>
    where
        C: DbConnection + ?Sized,
        NoOrder: LastOrder<Self>,
        Self::Query: OrderDsl<<NoOrder as LastOrder<Self>>::Order>,
        dsl::Order<Self::Query, <NoOrder as LastOrder<Self>>::Order>: LimitDsl,
        dsl::Limit<dsl::Order<Self::Query, <NoOrder as LastOrder<Self>>::Order>>: OffsetDsl,
        OneRow<Self::Query, <NoOrder as LastOrder<Self>>::Order>: Loadable<'q, Self>,
    {
        Self::scope().last(conn)
    }

    /// The first row matching `condition` (`users::email.eq(&email)`), or
    /// [`Error::NotFound`] naming the model and the condition.
    fn find_by<'q, C, P>(conn: &mut C, condition: P) -> Result<Self>
    where
        C: DbConnection + ?Sized,
        P: Clone + QueryFragment<Sqlite>,
        Self::Query: FilterDsl<P>,
        dsl::Filter<Self::Query, P>: LimitDsl,
        dsl::Limit<dsl::Filter<Self::Query, P>>: Loadable<'q, Self>,
    {
        let _op = crate::observe::scope(Self::NAME, "find_by");
        Self::find_by_optional(conn, condition.clone())?.ok_or_else(|| Error::NotFound {
            model: Self::NAME,
            id: None,
            condition: Some(describe(&condition)),
        })
    }

    /// The first row matching `condition`, or `None`.
    fn find_by_optional<'q, C, P>(conn: &mut C, condition: P) -> Result<Option<Self>>
    where
        C: DbConnection + ?Sized,
        Self::Query: FilterDsl<P>,
        dsl::Filter<Self::Query, P>: LimitDsl,
        dsl::Limit<dsl::Filter<Self::Query, P>>: Loadable<'q, Self>,
    {
        let _op = crate::observe::scope(Self::NAME, "find_by_optional");
        fetch_optional(conn, Self::query().filter(condition).limit(1))
    }
}

impl<M: Crud> Queries for M {}

/// A condition as text for an error: `users.email = ? (binds: ["eve@x.io"])`.
pub(crate) fn describe<P: QueryFragment<Sqlite>>(condition: &P) -> String {
    let text = diesel::debug_query::<Sqlite, _>(condition)
        .to_string()
        .replace('`', "");
    let (sql, binds) = text.split_once(" -- binds: ").unwrap_or((&text, "[]"));
    // diesel wraps a comparison in parentheses; one condition reads better without.
    let sql = match sql.strip_prefix('(').and_then(|s| s.strip_suffix(')')) {
        Some(inner) if !inner.contains('(') => inner,
        _ => sql,
    };
    format!("{sql} (binds: {binds})")
}

/// A relation whose targets can be counted per parent with
/// [`Scope::with_count`] by a column of the target: `has_many` and
/// `has_one` (implemented by `model!`; a `many_to_many` implements
/// [`CountOf`] itself, counting through its join table).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be counted per parent",
    label = "`with_count` counts a `has_many`, `has_one` or `many_to_many` relation",
    note = "declare it in `glowplug::model!`: `has_many posts: Post by author_id,`"
)]
pub trait CountRelation: crate::Relation {
    /// The target's column that holds the parent's key (`posts::author_id`).
    type ForeignKey: Default;
}

/// The expression `(SELECT COUNT(*) FROM targets WHERE fk = parents.pk)`
/// of [`Scope::with_count`]; implemented for every [`CountRelation`], and
/// by `model!` for each `many_to_many` (what it counts is chosen by
/// [`BySoftDelete`]).
pub trait CountOf<M> {
    /// The correlated subquery.
    type Expr;
    /// The correlated subquery.
    fn count_of() -> Self::Expr;
}

/// The target query of relation `R` filtered to the rows of one parent of `M`.
type ChildrenOf<R, M> = dsl::Filter<
    <<R as crate::Relation>::Target as crate::Model>::Query,
    dsl::Eq<<R as CountRelation>::ForeignKey, crate::relation::PrimaryKeyOf<M>>,
>;

impl<R, M> CountOf<M> for R
where
    R: CountRelation,
    M: diesel::associations::HasTable,
    R::ForeignKey: diesel::ExpressionMethods,
    <R::ForeignKey as diesel::Expression>::SqlType: diesel::sql_types::SqlType,
    crate::relation::PrimaryKeyOf<M>:
        diesel::expression::AsExpression<<R::ForeignKey as diesel::Expression>::SqlType>,
    <R::Target as crate::Model>::Query:
        FilterDsl<dsl::Eq<R::ForeignKey, crate::relation::PrimaryKeyOf<M>>>,
    ChildrenOf<R, M>: diesel::query_dsl::methods::SelectDsl<dsl::CountStar>,
    dsl::Select<ChildrenOf<R, M>, dsl::CountStar>: diesel::query_dsl::methods::SingleValueDsl,
    dsl::SingleValue<dsl::Select<ChildrenOf<R, M>, dsl::CountStar>>:
        diesel::NullableExpressionMethods,
{
    type Expr = CountRows<ChildrenOf<R, M>>;
    fn count_of() -> Self::Expr {
        let children = <R::Target as crate::Model>::query().filter(diesel::ExpressionMethods::eq(
            R::ForeignKey::default(),
            crate::relation::primary_key_of::<M>(),
        ));
        count_rows(children)
    }
}

/// Whether a model declares `soft_delete`, as a type
/// ([`Touch::SoftDeletes`]), for choices made at compile time by the
/// model at the other end of a relation (see [`BySoftDelete`]).
#[doc(hidden)]
pub struct SoftDeletes<const DECLARED: bool>;

/// Picks `A` for a model without soft deletes and `B` for one with them.
///
/// A `many_to_many`'s [`CountOf`] uses it to choose what to count by its
/// target. A target without soft deletes: the parent's join rows (`SELECT
/// COUNT(*) FROM post_tags WHERE post_id = posts.id`), one per pair, what a
/// hand-written count reads; it equals the number of targets the relation
/// loads when each pair is stored once and a pair cannot outlive its target
/// (a unique pair and foreign keys guarantee both). A target with soft
/// deletes: the live targets the join table pairs with the parent (`SELECT
/// COUNT(*) FROM tags WHERE deleted_at IS NULL AND id IN (SELECT tag_id
/// FROM post_tags WHERE post_id = posts.id)`), so deleted targets are not
/// counted.
#[doc(hidden)]
pub trait BySoftDelete<A, B> {
    /// `A` or `B`.
    type Out;
    /// `without` or `with`.
    fn pick(without: A, with: B) -> Self::Out;
}

impl<A, B> BySoftDelete<A, B> for SoftDeletes<false> {
    type Out = A;
    fn pick(without: A, _with: B) -> A {
        without
    }
}

impl<A, B> BySoftDelete<A, B> for SoftDeletes<true> {
    type Out = B;
    fn pick(_without: A, with: B) -> B {
        with
    }
}

/// `(SELECT COUNT(*) FROM …)` of the target query `Q`, as a value of the
/// parent row (see [`CountOf`]).
pub type CountRows<Q> = dsl::AssumeNotNull<dsl::SingleValue<dsl::Select<Q, dsl::CountStar>>>;

/// [`CountRows`] as a value.
#[doc(hidden)]
pub fn count_rows<Q>(rows: Q) -> CountRows<Q>
where
    Q: diesel::query_dsl::methods::SelectDsl<dsl::CountStar>,
    dsl::Select<Q, dsl::CountStar>: diesel::query_dsl::methods::SingleValueDsl,
    dsl::SingleValue<dsl::Select<Q, dsl::CountStar>>: diesel::NullableExpressionMethods,
{
    use diesel::query_dsl::methods::SingleValueDsl;
    diesel::NullableExpressionMethods::assume_not_null(
        rows.select(dsl::count_star()).single_value(),
    )
}

/// What the writes of a scope need to know about a model (generated by
/// `model!`): `update_all`'s changeset with `updated_at` bumped on models
/// with `timestamps`, the rows `update_all` reaches (on models with
/// `soft_delete`, those not deleted) and the statement of `delete_all`
/// (`DELETE`, or with `soft_delete` an `UPDATE` setting `deleted_at`).
#[doc(hidden)]
pub trait Touch {
    /// `C`, with `updated_at = now` where the model has timestamps.
    type With<C>;
    /// Adds the `updated_at` bump to `changes`.
    fn touch<C>(changes: C) -> Self::With<C>;
    /// The rows `update_all` and `delete_all` may write.
    type Live: diesel::query_builder::IntoUpdateTarget;
    /// The rows `update_all` and `delete_all` may write.
    fn live() -> Self::Live;
    /// The statement of `delete_all`, before the scope's filters.
    type Remove;
    /// The statement of `delete_all`, before the scope's filters.
    fn remove() -> Self::Remove;
    /// Whether the model declares `soft_delete`: [`SoftDeletes`]`<true>`
    /// or `<false>`.
    type SoftDeletes;
}

/// `Touch` for one model (`timestamps = yes | no`, `soft_delete = yes | no`).
#[doc(hidden)]
#[macro_export]
macro_rules! __glowplug_query_impls {
    (model = $model:ident, table = $table:ident, timestamps = yes, soft_delete = $sd:ident) => {
        impl $crate::__private::Touch for $model {
            type With<C> = (
                C,
                $crate::__private::diesel::dsl::Eq<$table::updated_at, $crate::__private::Stamp>,
            );
            fn touch<C>(changes: C) -> Self::With<C> {
                $crate::__glowplug_touch!(yes, $table, changes)
            }
            $crate::__glowplug_remove!(items $sd, yes, $table);
        }
    };
    (model = $model:ident, table = $table:ident, timestamps = no, soft_delete = $sd:ident) => {
        impl $crate::__private::Touch for $model {
            type With<C> = C;
            fn touch<C>(changes: C) -> C {
                changes
            }
            $crate::__glowplug_remove!(items $sd, no, $table);
        }
    };
}
