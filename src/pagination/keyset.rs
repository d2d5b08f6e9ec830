//! Keyset orderings: which diesel orderings a cursor page accepts
//! ([`KeysetOrder`]: `users::id.asc()`, `(posts::created_at.desc(),
//! posts::id.desc())`), which column types a cursor can carry
//! ([`CursorType`]), and the `WHERE` condition that starts a page after a
//! cursor (a row-value comparison, `(created_at, id) < ($1, $2)`, which both
//! backends answer from an index on those columns). Paging itself is in
//! [`super`]; the cursor's text form in `super::cursor`.

use std::marker::PhantomData;

use diesel::Column;
use diesel::backend::Backend;
use diesel::expression::{AppearsOnTable, Expression, ValidGrouping, is_aggregate};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::result::QueryResult;
use diesel::serialize::ToSql;
use diesel::sql_types::{self, Bool, HasSqlType, SingleValue, SqlType};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A column type a cursor can carry, and the Rust value it is read as.
///
/// Implemented for the `NOT NULL` types an ordering key is usually made of:
/// integers, text, booleans, floats, dates, timestamps (`timestamp`,
/// `timestamptz`) and `uuid`. A nullable column cannot be a keyset key (SQL
/// comparisons with NULL are never true, so rows would be skipped).
#[diagnostic::on_unimplemented(
    message = "a column of SQL type `{Self}` cannot be part of a keyset ordering",
    note = "keyset keys are NOT NULL integer, text, bool, float, date, timestamp, timestamptz or uuid columns"
)]
pub trait CursorType: SqlType + SingleValue {
    /// The Rust value a cursor holds for this type.
    type Value: Serialize + DeserializeOwned;
}

macro_rules! cursor_types {
    ($($sql:ty => $rust:ty,)*) => {$(
        impl CursorType for $sql {
            type Value = $rust;
        }
    )*};
}
cursor_types! {
    sql_types::SmallInt => i16,
    sql_types::Integer => i32,
    sql_types::BigInt => i64,
    sql_types::Text => String,
    sql_types::Bool => bool,
    sql_types::Float => f32,
    sql_types::Double => f64,
    sql_types::Date => chrono::NaiveDate,
    sql_types::Timestamp => chrono::NaiveDateTime,
    crate::sql_types::TimestampTz => crate::values::UtcDateTime,
    crate::sql_types::Uuid => crate::values::Uuid,
}

/// Marker: an ascending ordering (`>` after the cursor).
#[derive(Debug, Clone, Copy)]
pub enum Ascending {}

/// Marker: a descending ordering (`<` after the cursor).
#[derive(Debug, Clone, Copy)]
pub enum Descending {}

/// The comparison that means "after" in a direction.
#[doc(hidden)]
pub trait Direction: 'static {
    const AFTER: &'static str;
}

impl Direction for Ascending {
    const AFTER: &'static str = " > ";
}

impl Direction for Descending {
    const AFTER: &'static str = " < ";
}

/// One column of a keyset ordering: `users::id.asc()` or `users::id.desc()`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a keyset ordering column",
    label = "expected a column with a direction: `users::id.asc()` or `users::id.desc()`"
)]
pub trait KeyPart: Copy + Expression {
    /// The column.
    type Column: Column + Default + Copy;
    /// The value a cursor holds for it.
    type Value: Serialize + DeserializeOwned;
    /// [`Ascending`] or [`Descending`].
    type Direction: Direction;
}

impl<C> KeyPart for diesel::dsl::Asc<C>
where
    C: Column + Default + Copy + Expression,
    C::SqlType: CursorType,
{
    type Column = C;
    type Value = <C::SqlType as CursorType>::Value;
    type Direction = Ascending;
}

impl<C> KeyPart for diesel::dsl::Desc<C>
where
    C: Column + Default + Copy + Expression,
    C::SqlType: CursorType,
{
    type Column = C;
    type Value = <C::SqlType as CursorType>::Value;
    type Direction = Descending;
}

/// An ordering to page by with a cursor: one column with a direction
/// (`users::id.asc()`), or a tuple of two or three in the same direction
/// (`(posts::created_at.desc(), posts::id.desc())`). The columns together
/// must be unique (end with the primary key) or rows that tie are skipped.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a keyset ordering",
    label = "expected `users::id.asc()`, or a tuple of columns in one direction such as `(posts::created_at.desc(), posts::id.desc())`"
)]
pub trait KeysetOrder: Copy {
    /// The cursor's values, one per column (a tuple, read from the cursor's JSON array).
    type Values: DeserializeOwned;
    /// The ordering, as diesel's `order` takes it.
    type Order: Copy + Expression;
    /// The condition "after the cursor" ([`After`]).
    type After;

    /// The columns' names, in order (the model fields a cursor is read from).
    fn columns() -> Vec<&'static str>;
    /// The comparison that means "after": `" > "` ascending, `" < "` descending.
    fn direction() -> &'static str;
    /// The ordering.
    fn order(self) -> Self::Order;
    /// The condition that keeps the rows after `values` in this ordering.
    fn after(values: Self::Values) -> Self::After;
}

impl<P: KeyPart> KeysetOrder for P {
    type Values = (P::Value,);
    type Order = P;
    type After = After<(P::Column,), (P::Value,), P::Direction>;

    fn columns() -> Vec<&'static str> {
        vec![P::Column::NAME]
    }
    fn direction() -> &'static str {
        <P::Direction as Direction>::AFTER
    }
    fn order(self) -> P {
        self
    }
    fn after(values: Self::Values) -> Self::After {
        After::new((P::Column::default(),), values)
    }
}

macro_rules! keyset_tuples {
    ($( ($first:ident $(, $rest:ident)+) )*) => {$(
        impl<$first: KeyPart $(, $rest: KeyPart<Direction = $first::Direction>)+> KeysetOrder for ($first $(, $rest)+) {
            type Values = ($first::Value $(, $rest::Value)+);
            type Order = ($first $(, $rest)+);
            type After = After<($first::Column $(, $rest::Column)+), Self::Values, $first::Direction>;

            fn columns() -> Vec<&'static str> {
                vec![$first::Column::NAME $(, $rest::Column::NAME)+]
            }
            fn direction() -> &'static str {
                <$first::Direction as Direction>::AFTER
            }
            fn order(self) -> Self::Order {
                self
            }
            fn after(values: Self::Values) -> Self::After {
                After::new(($first::Column::default() $(, $rest::Column::default())+), values)
            }
        }
    )*};
}
keyset_tuples!((A, B)(A, B, C));

/// `(c1, c2) > ($1, $2)` (`<` when descending; `c1 > $1` for one column):
/// the rows after a cursor. Built by [`KeysetOrder::after`].
#[derive(Debug, Clone, Copy)]
pub struct After<Cols, Vals, Dir> {
    columns: Cols,
    values: Vals,
    direction: PhantomData<Dir>,
}

impl<Cols, Vals, Dir> After<Cols, Vals, Dir> {
    fn new(columns: Cols, values: Vals) -> Self {
        After {
            columns,
            values,
            direction: PhantomData,
        }
    }
}

impl<Cols, Vals, Dir> Expression for After<Cols, Vals, Dir> {
    type SqlType = Bool;
}

impl<Cols, Vals, Dir> ValidGrouping<()> for After<Cols, Vals, Dir> {
    type IsAggregate = is_aggregate::Never;
}

impl<QS, Cols: AppearsOnTable<QS>, Vals, Dir> AppearsOnTable<QS> for After<Cols, Vals, Dir> {}

impl<Cols: QueryId, Vals, Dir: 'static> QueryId for After<Cols, Vals, Dir> {
    // The SQL depends on the columns and the direction only: the values are binds.
    type QueryId = After<Cols::QueryId, (), Dir>;
    const HAS_STATIC_QUERY_ID: bool = Cols::HAS_STATIC_QUERY_ID;
}

macro_rules! after_fragments {
    ($( ($($col:ident $val:ident),+) )*) => {$(
        impl<DB, Dir, $($col, $val),+> QueryFragment<DB> for After<($($col,)+), ($($val,)+), Dir>
        where
            DB: Backend $(+ HasSqlType<<$col as Expression>::SqlType>)+,
            Dir: Direction,
            $($col: QueryFragment<DB> + Expression, $val: ToSql<<$col as Expression>::SqlType, DB>,)+
        {
            #[allow(non_snake_case)]
            fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
                let ($($col,)+) = &self.columns;
                let ($($val,)+) = &self.values;
                let several = [$(stringify!($col)),+].len() > 1;
                if several {
                    out.push_sql("(");
                }
                let mut first = true;
                $(
                    if !std::mem::take(&mut first) {
                        out.push_sql(", ");
                    }
                    $col.walk_ast(out.reborrow())?;
                )+
                out.push_sql(if several { ")" } else { "" });
                out.push_sql(Dir::AFTER);
                out.push_sql(if several { "(" } else { "" });
                let mut first = true;
                $(
                    if !std::mem::take(&mut first) {
                        out.push_sql(", ");
                    }
                    out.push_bind_param::<<$col as Expression>::SqlType, _>($val)?;
                )+
                out.push_sql(if several { ")" } else { "" });
                Ok(())
            }
        }
    )*};
}
after_fragments!((C1 V1)(C1 V1, C2 V2)(C1 V1, C2 V2, C3 V3));

/// A constant order, `ORDER BY (SELECT 1)`: it replaces a query's own order
/// in the count of [`Paginate::paginate`](super::Paginate::paginate), since
/// PostgreSQL refuses `SELECT COUNT(*) … ORDER BY id` (and diesel refuses
/// to build it). Both backends accept it and sort nothing.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, QueryId)]
pub struct NoOrder;

impl Expression for NoOrder {
    type SqlType = sql_types::Integer;
}

impl ValidGrouping<()> for NoOrder {
    type IsAggregate = is_aggregate::Never;
}

impl<QS> AppearsOnTable<QS> for NoOrder {}

impl<DB: Backend> QueryFragment<DB> for NoOrder {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("(SELECT 1)");
        Ok(())
    }
}
