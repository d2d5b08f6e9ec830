//! glowplug's upsert statements, written from the model's metadata instead
//! of generated per model: the `DO UPDATE SET` list ([`Excluded`]), and the
//! whole statements of the single-row upsert ([`UpsertOne`]) and of
//! `put_rows` (full rows upserted by key, [`PutRows`]).
//!
//! An upsert that overwrites (`OnConflict::Update`) sets every column but
//! the key and `created_at` to the value the row would have inserted:
//! `"name" = excluded."name", …`. As a diesel changeset tuple, that list was
//! one large type per model, per backend and per upsert operation, and it
//! was most of what `model!` cost to type-check (BENCHMARKS.md, "Compile
//! time of `model!`"). [`Excluded`] is one generic changeset that writes the
//! same SQL from [`Model::META`](crate::Model::META), so each model's
//! upserts reuse the proofs of its plain inserts.

use std::marker::PhantomData;

use diesel::Column;
use diesel::backend::Backend as DieselBackend;
use diesel::query_builder::{AsChangeset, AstPass, Query, QueryFragment, QueryId};
use diesel::result::QueryResult;

use crate::batch::OnConflict;
use crate::meta::{ColumnMeta, DELETED_AT};
use crate::model::Model;

/// `column = excluded.column` for every column of `M` an overwriting upsert
/// writes: all but the primary key, `created_at` and `deleted_at`
/// (`updated_at` included, so it takes the inserted row's value), and
/// `lock_version = table.lock_version + 1`.
///
/// An empty list makes diesel send `DO NOTHING` instead of `DO UPDATE SET`;
/// it is empty for a model with no such column, and for
/// [`OnConflict::Ignore`], so both actions share one statement type (one
/// type to check per model; diesel prepares `DO UPDATE` statements afresh
/// each time anyway, and the batch upserts that use this are uncached
/// slices).
#[doc(hidden)]
pub struct Excluded<M> {
    overwrite: bool,
    model: PhantomData<fn() -> M>,
}

impl<M> Excluded<M> {
    /// The list for `M` under `action`.
    pub fn new(action: OnConflict) -> Self {
        Excluded {
            overwrite: action == OnConflict::Update,
            model: PhantomData,
        }
    }
}

impl<M> Clone for Excluded<M> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M> Copy for Excluded<M> {}

impl<M> std::fmt::Debug for Excluded<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Excluded")
            .field("overwrite", &self.overwrite)
            .finish()
    }
}

/// Whether an overwriting upsert writes `column`: not the key, not
/// `created_at`, and not `soft_delete`'s `deleted_at` (only `delete`,
/// `restore` and `force_delete` change whether a row is deleted).
fn overwritten(column: &ColumnMeta) -> bool {
    let kept = column.managed && (column.name == "created_at" || column.name == DELETED_AT);
    !column.primary_key && !kept
}

/// `lock_version`'s managed column, which an overwrite bumps
/// (`lock_version = table.lock_version + 1`) instead of copying, so that a
/// copy read before the upsert is stale.
fn bumped(column: &ColumnMeta) -> bool {
    column.managed && column.name == "lock_version"
}

impl<M: Model> AsChangeset for Excluded<M>
where
    M::Table: diesel::QuerySource,
{
    type Target = M::Table;
    type Changeset = Self;

    fn as_changeset(self) -> Self {
        self
    }
}

impl<M: Model, DB: DieselBackend> QueryFragment<DB> for Excluded<M> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        let columns = M::META.columns.iter().filter(|c| overwritten(c));
        for (i, column) in columns.enumerate() {
            if !self.overwrite {
                break;
            }
            if i > 0 {
                out.push_sql(", ");
            }
            out.push_identifier(column.name)?;
            if bumped(column) {
                out.push_sql(" = ");
                push_qualified(&mut out, M::META.table, column.name)?;
                out.push_sql(" + 1");
            } else {
                out.push_sql(" = excluded.");
                out.push_identifier(column.name)?;
            }
        }
        Ok(())
    }

    fn is_noop(&self, _backend: &DB) -> QueryResult<bool> {
        Ok(!self.overwrite || !M::META.columns.iter().any(overwritten))
    }
}

/// Not static: the SQL depends on the action (diesel does not cache these
/// statements either way).
impl<M: 'static> QueryId for Excluded<M> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

/// A model's columns (every column, the key included, in declaration
/// order) for glowplug's own statements: their names ([`UpsertOne`]'s
/// `RETURNING`, `relation::ByKeys`' select list) and one full row's values
/// as binds ([`PutRows`]); implemented by `model!` for each backend.
#[doc(hidden)]
pub trait BindRow<DB: DieselBackend>: Model {
    /// The column names, in declaration order.
    const COLUMNS: &'static [&'static str];
    /// Binds this row's values, `?, ?, …`.
    fn bind_row<'b>(&'b self, out: &mut AstPass<'_, 'b, DB>) -> QueryResult<()>;

    /// Writes the column names, `"id", "name", …`, or with `qualified`
    /// `"users"."id", "users"."name", …` (as diesel writes a select list or
    /// a `RETURNING` list).
    fn write_columns(out: &mut AstPass<'_, '_, DB>, qualified: bool) -> QueryResult<()> {
        let mut separator = Separator::default();
        for name in Self::COLUMNS {
            separator.next(out);
            match qualified {
                true => push_qualified(out, Self::TABLE, name)?,
                false => out.push_identifier(name)?,
            }
        }
        Ok(())
    }
}

/// Writes `"table"."column"`.
pub(crate) fn push_qualified<DB: DieselBackend>(
    out: &mut AstPass<'_, '_, DB>,
    table: &str,
    column: &str,
) -> QueryResult<()> {
    out.push_identifier(table)?;
    out.push_sql(".");
    out.push_identifier(column)
}

/// Writes `, ` before every item but the first.
#[doc(hidden)]
#[derive(Default)]
pub struct Separator(bool);

impl Separator {
    /// The separator before the next item.
    pub fn next<DB: DieselBackend>(&mut self, out: &mut AstPass<'_, '_, DB>) {
        if std::mem::replace(&mut self.0, true) {
            out.push_sql(", ");
        }
    }
}

/// `INSERT INTO t (every column) VALUES (…), (…) ON CONFLICT (key) DO
/// UPDATE SET …` (or `DO NOTHING`) for full rows of `M`: the statement of
/// `put_rows`, written from the model's metadata, with each row's values
/// bound by [`BindRow`].
///
/// diesel's statement for this, a tuple of `column.eq(&row.column)` per
/// row under `on_conflict(key)`, was the most expensive of the bodies
/// `model!` generates to type-check (BENCHMARKS.md, "Compile time of
/// `model!`"); binding each column is one simple proof per column. Not
/// cached, as diesel does not cache a multi-row insert whose row count
/// varies, nor any `DO UPDATE`.
#[doc(hidden)]
pub struct PutRows<'a, M> {
    rows: &'a [M],
    changes: Excluded<M>,
}

impl<'a, M> PutRows<'a, M> {
    /// The statement for `rows` (at least one) under `action`.
    pub fn new(rows: &'a [M], action: OnConflict) -> Self {
        PutRows {
            rows,
            changes: Excluded::new(action),
        }
    }
}

impl<M: BindRow<DB>, DB: DieselBackend> QueryFragment<DB> for PutRows<'_, M> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.unsafe_to_cache_prepared();
        out.push_sql("INSERT INTO ");
        out.push_identifier(M::META.table)?;
        out.push_sql(" (");
        M::write_columns(&mut out, false)?;
        out.push_sql(") VALUES ");
        for (i, row) in self.rows.iter().enumerate() {
            out.push_sql(if i == 0 { "(" } else { ", (" });
            row.bind_row(&mut out)?;
            out.push_sql(")");
        }
        // `model!` refuses a model without exactly one primary key.
        let key = M::META
            .columns
            .iter()
            .find(|c| c.primary_key)
            .ok_or_else(|| {
                diesel::result::Error::QueryBuilderError(
                    format!("model `{}` has no primary key", M::META.name).into(),
                )
            })?;
        on_conflict(key.name, &self.changes, out)
    }
}

impl<M> QueryId for PutRows<'_, M> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<M, Conn> diesel::RunQueryDsl<Conn> for PutRows<'_, M> {}

/// Ends an upsert: ` ON CONFLICT (key) DO UPDATE SET …`, or `DO NOTHING`
/// when `changes` writes nothing.
fn on_conflict<'b, M: Model, DB: DieselBackend>(
    key: &str,
    changes: &'b Excluded<M>,
    mut out: AstPass<'_, 'b, DB>,
) -> QueryResult<()> {
    out.push_sql(" ON CONFLICT (");
    out.push_identifier(key)?;
    if changes.is_noop(out.backend())? {
        out.push_sql(") DO NOTHING");
    } else {
        out.push_sql(") DO UPDATE SET ");
        changes.walk_ast(out.reborrow())?;
    }
    Ok(())
}

/// `INSERT INTO t (…) VALUES (…) ON CONFLICT (key) DO UPDATE SET …` (or
/// `DO NOTHING`) `RETURNING` every column of `M`: the statement of
/// `NewModel::upsert` and `insert_or_ignore`, the SQL diesel writes for
/// them. `V` is the insert struct's
/// `Insertable` values (diesel's `ValuesClause`, which writes the column
/// list and binds the values, the same as a plain insert), `K` the key
/// column.
///
/// diesel's statement for this (`insert_into(..).values(..).on_conflict(key)`
/// then `do_nothing()` or `do_update().set(..)`, then `returning(..)`) was
/// two statement types per model and backend, the most expensive bodies
/// `model!` generated to type-check after `put_rows` (BENCHMARKS.md,
/// "Compile time of `model!`"). This one type serves both actions, and its
/// query id is its SQL, so diesel caches the prepared statement of each
/// action (diesel's own `DO UPDATE` is never cached).
#[doc(hidden)]
pub struct UpsertOne<M, K, V> {
    values: V,
    changes: Excluded<M>,
    key: PhantomData<fn() -> K>,
}

impl<M, K, V> UpsertOne<M, K, V> {
    /// The statement for the insert values `values`, on a conflict on
    /// `key`, under `action`.
    pub fn new(values: V, _key: K, action: OnConflict) -> Self {
        UpsertOne {
            values,
            changes: Excluded::new(action),
            key: PhantomData,
        }
    }
}

impl<M, K, V, DB> QueryFragment<DB> for UpsertOne<M, K, V>
where
    M: BindRow<DB>,
    K: Column,
    V: QueryFragment<DB>,
    DB: DieselBackend + crate::backend::ReturningNames,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("INSERT INTO ");
        out.push_identifier(M::META.table)?;
        out.push_sql(" ");
        self.values.walk_ast(out.reborrow())?;
        on_conflict(K::NAME, &self.changes, out.reborrow())?;
        out.push_sql(" RETURNING ");
        M::write_columns(&mut out, DB::QUALIFIED)
    }
}

/// Rows of the model's own query (every column, in declaration order).
impl<M: Model, K, V> Query for UpsertOne<M, K, V>
where
    M::Query: Query,
{
    type SqlType = <M::Query as Query>::SqlType;
}

/// Keyed by its SQL: one cached statement per action (and per column list).
impl<M, K, V> QueryId for UpsertOne<M, K, V> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<M, K, V, Conn> diesel::RunQueryDsl<Conn> for UpsertOne<M, K, V> {}
