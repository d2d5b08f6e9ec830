//! The pieces a [`Scope`](super::Scope) is built from, kept apart until the
//! scope runs: its joins, its filters, its order and its window (`LIMIT`
//! and `OFFSET`). Keeping them apart is what lets `count` drop the order,
//! `last` reverse it, `first` replace the limit, and `update_all` put the
//! same filters on an `UPDATE`. Each piece puts itself on a diesel query
//! with [`Apply`]; the SQL is what the same diesel chain would send.

use diesel::dsl;
use diesel::expression::Expression;
use diesel::query_dsl::InternalJoinDsl;
use diesel::query_dsl::methods::{FilterDsl, LimitDsl, OffsetDsl, OrderDsl};
use diesel::{ExpressionMethods, Table};

use crate::relation::PrimaryKeyOf;

/// A piece of a scope put on the diesel query `Q`.
pub trait Apply<Q> {
    /// The query with the piece on it.
    type Output;
    /// Puts the piece on `query`.
    fn apply(self, query: Q) -> Self::Output;
}

/// No join (the model's table alone).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoJoin;

/// The joins `Prev`, then a join to `R` of kind `K` (inner or left) on `On`.
#[derive(Debug, Clone, Copy)]
pub struct Join<Prev, R, K, On> {
    pub(super) prev: Prev,
    pub(super) rhs: R,
    pub(super) kind: K,
    pub(super) on: On,
}

/// The scope starts from this query instead of the model's base query
/// (`User::with_deleted()` starts from every row, deleted or not); joins
/// come after it. `K` says which rows `Q` reads ([`AllRows`] or
/// [`DeletedRows`]), for the scope's writes.
#[derive(Debug, Clone, Copy)]
pub struct Base<Q, K>(pub(super) Q, pub(super) K);

/// The rows of a `with_deleted()` scope: every row, deleted or not.
#[derive(Debug, Clone, Copy, Default)]
pub struct AllRows;

/// The rows of an `only_deleted()` scope: the soft-deleted ones.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeletedRows;

impl<Q0, Q, K> Apply<Q0> for Base<Q, K> {
    type Output = Q;
    fn apply(self, _model_query: Q0) -> Q {
        self.0
    }
}

/// No filter.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoFilter;

/// The filters `Prev`, and `P`.
#[derive(Debug, Clone, Copy)]
pub struct Where<Prev, P> {
    pub(super) prev: Prev,
    pub(super) predicate: P,
}

/// No order: `first`/`last` go by the primary key.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoOrder;

/// The order `O` (a column, `col.asc()`, `col.desc()` or a tuple of them).
#[derive(Debug, Clone, Copy)]
pub struct OrderBy<O>(pub(super) O);

/// No `LIMIT` or `OFFSET`.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoWindow;

/// A `LIMIT` and an `OFFSET`.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub(super) limit: i64,
    pub(super) offset: i64,
}

impl<Q> Apply<Q> for NoJoin {
    type Output = Q;
    fn apply(self, query: Q) -> Q {
        query
    }
}

impl<Q, Prev, R, K, On> Apply<Q> for Join<Prev, R, K, On>
where
    Prev: Apply<Q>,
    Prev::Output: InternalJoinDsl<R, K, On>,
{
    type Output = <Prev::Output as InternalJoinDsl<R, K, On>>::Output;
    fn apply(self, query: Q) -> Self::Output {
        self.prev.apply(query).join(self.rhs, self.kind, self.on)
    }
}

impl<Q> Apply<Q> for NoFilter {
    type Output = Q;
    fn apply(self, query: Q) -> Q {
        query
    }
}

impl<Q, Prev, P> Apply<Q> for Where<Prev, P>
where
    Prev: Apply<Q>,
    Prev::Output: FilterDsl<P>,
{
    type Output = dsl::Filter<Prev::Output, P>;
    fn apply(self, query: Q) -> Self::Output {
        self.prev.apply(query).filter(self.predicate)
    }
}

impl<Q> Apply<Q> for NoOrder {
    type Output = Q;
    fn apply(self, query: Q) -> Q {
        query
    }
}

impl<Q: OrderDsl<O>, O: Expression> Apply<Q> for OrderBy<O> {
    type Output = dsl::Order<Q, O>;
    fn apply(self, query: Q) -> Self::Output {
        query.order(self.0)
    }
}

impl<Q> Apply<Q> for NoWindow {
    type Output = Q;
    fn apply(self, query: Q) -> Q {
        query
    }
}

impl<Q> Apply<Q> for Window
where
    Q: LimitDsl,
    dsl::Limit<Q>: OffsetDsl,
{
    type Output = dsl::Offset<dsl::Limit<Q>>;
    fn apply(self, query: Q) -> Self::Output {
        query.limit(self.limit).offset(self.offset)
    }
}

/// What a window becomes for `first`/`last`: one row at the same offset
/// (`None`: the window holds no row).
pub trait FirstWindow {
    /// The window of the first row.
    fn first_window(&self) -> Option<Window>;
}

impl FirstWindow for NoWindow {
    fn first_window(&self) -> Option<Window> {
        Some(Window {
            limit: 1,
            offset: 0,
        })
    }
}

impl FirstWindow for Window {
    fn first_window(&self) -> Option<Window> {
        (self.limit > 0).then_some(Window {
            limit: 1,
            offset: self.offset,
        })
    }
}

/// The order `first` uses: the scope's, or the primary key ascending.
pub trait FirstOrder<M> {
    /// The order expression.
    type Order: Expression;
    /// The order `first` uses.
    fn first_order(self) -> Self::Order;
}

/// The order `last` uses: the scope's reversed, or the primary key descending.
#[diagnostic::on_unimplemented(
    message = "`last` cannot reverse this order",
    label = "`last` reverses `col.asc()`, `col.desc()` and tuples of them",
    note = "write the direction of each column: `.order(users::name.asc())` rather than `.order(users::name)`"
)]
pub trait LastOrder<M> {
    /// The order expression.
    type Order: Expression;
    /// The order `last` uses.
    fn last_order(self) -> Self::Order;
}

impl<M> FirstOrder<M> for NoOrder
where
    M: diesel::associations::HasTable,
    PrimaryKeyOf<M>: ExpressionMethods,
    dsl::Asc<PrimaryKeyOf<M>>: Expression,
{
    type Order = dsl::Asc<PrimaryKeyOf<M>>;
    fn first_order(self) -> Self::Order {
        M::table().primary_key().asc()
    }
}

impl<M> LastOrder<M> for NoOrder
where
    M: diesel::associations::HasTable,
    PrimaryKeyOf<M>: ExpressionMethods,
    dsl::Desc<PrimaryKeyOf<M>>: Expression,
{
    type Order = dsl::Desc<PrimaryKeyOf<M>>;
    fn last_order(self) -> Self::Order {
        M::table().primary_key().desc()
    }
}

impl<M, O: Expression> FirstOrder<M> for OrderBy<O> {
    type Order = O;
    fn first_order(self) -> O {
        self.0
    }
}

impl<M, O: Reverse> LastOrder<M> for OrderBy<O> {
    type Order = O::Reversed;
    fn last_order(self) -> O::Reversed {
        self.0.reverse()
    }
}

/// An order that can be turned around: `col.asc()`, `col.desc()` (on a
/// column, or any expression with a `Default` value) and tuples of them.
pub trait Reverse {
    /// The reversed order.
    type Reversed: Expression;
    /// The reversed order.
    fn reverse(self) -> Self::Reversed;
}

impl<T> Reverse for dsl::Asc<T>
where
    T: ExpressionMethods + Default,
    dsl::Desc<T>: Expression,
{
    type Reversed = dsl::Desc<T>;
    fn reverse(self) -> Self::Reversed {
        T::default().desc()
    }
}

impl<T> Reverse for dsl::Desc<T>
where
    T: ExpressionMethods + Default,
    dsl::Asc<T>: Expression,
{
    type Reversed = dsl::Asc<T>;
    fn reverse(self) -> Self::Reversed {
        T::default().asc()
    }
}

macro_rules! reverse_tuples {
    ($( ($($name:ident),+) )*) => {$(
        impl<$($name: Reverse),+> Reverse for ($($name,)+)
        where ($($name::Reversed,)+): Expression
        {
            type Reversed = ($($name::Reversed,)+);
            #[allow(non_snake_case)]
            fn reverse(self) -> Self::Reversed {
                let ($($name,)+) = self;
                ($($name.reverse(),)+)
            }
        }
    )*};
}
reverse_tuples!((A, B)(A, B, C)(A, B, C, D));
