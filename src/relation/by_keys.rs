//! The statement eager loading sends for a direct relation: a model's rows
//! whose key or foreign-key column holds one of a chunk of keys ([`ByKeys`]),
//! written from the model's metadata instead of built per relation with
//! diesel's `filter(column.eq_any(keys))`.
//!
//! The SQL is the SQL diesel writes for that filter, character for
//! character: `SELECT "t"."id", … FROM "t" WHERE ("t"."col" IN (?, ?, …))`
//! on SQLite (not cached: its length varies, as diesel's),
//! `WHERE ("t"."col" = ANY($1))` with one array bind on PostgreSQL (cached,
//! keyed by its SQL), and `WHERE (("t"."deleted_at" IS NULL) AND (…))` for
//! a model with `soft_delete`, as its [`Model::query`] filters. diesel's
//! statement was a new type for rustc to check for every relation and
//! backend, and the relations' `fetch` bodies were the largest share of
//! what `model!` cost to type-check after the upserts (BENCHMARKS.md,
//! "Compile time of `model!`"); this one is checked once, here.

use std::marker::PhantomData;

use diesel::Column;
use diesel::backend::Backend as DieselBackend;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::result::QueryResult;
use diesel::serialize::ToSql;
use diesel::sql_types::{Array, HasSqlType};
use diesel::sqlite::Sqlite;

use crate::meta::DELETED_AT;
use crate::model::Model;
use crate::upsert::{BindRow, Separator, push_qualified};

/// The rows of `T` whose column `Col` holds one of `keys` (live rows only
/// when `T` soft-deletes), every column selected in declaration order.
#[doc(hidden)]
pub struct ByKeys<'a, T, Col, K> {
    keys: &'a [K],
    of: PhantomData<fn() -> (T, Col)>,
}

impl<'a, T, Col, K> ByKeys<'a, T, Col, K> {
    /// The statement for `keys` of column `_column`.
    pub fn new(_column: Col, keys: &'a [K]) -> Self {
        ByKeys {
            keys,
            of: PhantomData,
        }
    }
}

impl<T: Model, Col: Column, K> ByKeys<'_, T, Col, K> {
    /// `SELECT … FROM t WHERE [deleted_at IS NULL AND] col`, before the
    /// backend's list of keys.
    fn walk_head<DB: DieselBackend>(out: &mut AstPass<'_, '_, DB>) -> QueryResult<()>
    where
        T: BindRow<DB>,
    {
        out.push_sql("SELECT ");
        T::write_columns(out, true)?;
        out.push_sql(" FROM ");
        out.push_identifier(T::META.table)?;
        out.push_sql(" WHERE (");
        if T::META.soft_delete() {
            out.push_sql("(");
            push_qualified(out, T::META.table, DELETED_AT)?;
            out.push_sql(" IS NULL) AND (");
        }
        push_qualified(out, T::META.table, Col::NAME)
    }

    /// The end of the `WHERE` clause: `)`, or `))` after a soft-delete filter.
    fn walk_tail<DB: DieselBackend>(out: &mut AstPass<'_, '_, DB>) {
        out.push_sql(if T::META.soft_delete() { "))" } else { ")" });
    }
}

impl<T, Col, K> QueryFragment<Sqlite> for ByKeys<'_, T, Col, K>
where
    T: BindRow<Sqlite>,
    Col: Column,
    Sqlite: HasSqlType<Col::SqlType>,
    K: ToSql<Col::SqlType, Sqlite>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        out.unsafe_to_cache_prepared();
        Self::walk_head(&mut out)?;
        // SQLite accepts an empty list (no rows).
        out.push_sql(" IN (");
        let mut separator = Separator::default();
        for key in self.keys {
            separator.next(&mut out);
            out.push_bind_param::<Col::SqlType, K>(key)?;
        }
        out.push_sql(")");
        Self::walk_tail(&mut out);
        Ok(())
    }
}

impl<T, Col, K> QueryFragment<Pg> for ByKeys<'_, T, Col, K>
where
    T: BindRow<Pg>,
    Col: Column<SqlType: 'static>,
    Pg: HasSqlType<Col::SqlType>,
    [K]: ToSql<Array<Col::SqlType>, Pg>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        Self::walk_head(&mut out)?;
        out.push_sql(" = ANY(");
        out.push_bind_param::<Array<Col::SqlType>, [K]>(self.keys)?;
        out.push_sql(")");
        Self::walk_tail(&mut out);
        Ok(())
    }
}

/// Rows of the model's own query (every column, in declaration order).
impl<T: Model, Col, K> Query for ByKeys<'_, T, Col, K>
where
    T::Query: Query,
{
    type SqlType = <T::Query as Query>::SqlType;
}

/// Keyed by its SQL (cached on PostgreSQL, whose SQL does not depend on
/// the number of keys).
impl<T, Col, K> QueryId for ByKeys<'_, T, Col, K> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<T, Col, K, Conn> diesel::RunQueryDsl<Conn> for ByKeys<'_, T, Col, K> {}
