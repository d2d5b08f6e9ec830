//! Soft deletes: what a model declared with `soft_delete,` adds.
//!
//! The model gets a nullable `deleted_at` timestamp column, and its base
//! query ([`Model::query`](crate::Model::query)) reads only the rows whose
//! `deleted_at` is NULL. Every read is built on that query, so `all`,
//! `find`, `first`/`last`, `find_by`, scopes (`filter`, `count`, `exists`,
//! `pluck`, aggregates), pagination, eager and lazy loads of the model as a
//! relation target, and `with_count` all skip deleted rows without a
//! filter of their own. The writes skip them as well: `delete` and a
//! scope's `delete_all` set `deleted_at` (Laravel's and Rails' `paranoia`
//! behaviour) on rows not yet deleted, and `update_all` changes only rows
//! not deleted. `save`/`update` of a row read before it was deleted still
//! write it (by primary key).
//!
//! [`SoftDelete`] reaches the deleted rows: [`with_deleted`](SoftDelete::with_deleted)
//! and [`only_deleted`](SoftDelete::only_deleted) start scopes,
//! [`restore`](SoftDelete::restore) clears `deleted_at`, and
//! [`force_delete`](SoftDelete::force_delete) removes the row for good.
//! `model!` implements the trait only for models that declare `soft_delete`.
//!
//! The writes of a scope, by where it starts:
//!
//! | scope | `update_all` | `delete_all` | [`force_delete_all`](Scope::force_delete_all) | [`restore_all`](Scope::restore_all) |
//! |---|---|---|---|---|
//! | `Note::filter(..)` | live matches | soft-deletes the matches | `DELETE`s the matches | — |
//! | `Note::with_deleted()` | every match | soft-deletes the live matches | `DELETE`s every match | restores the deleted matches |
//! | `Note::only_deleted()` | deleted matches | — (deleted already) | `DELETE`s the deleted matches | restores the matches |
//!
//! Each is one statement and returns the number of rows written; a row
//! soft-deleted again keeps its first `deleted_at`.

use diesel::dsl;
use diesel::expression::Expression;
use diesel::query_dsl::methods::{FilterDsl, SelectDsl};

use super::parts::{AllRows, Base, DeletedRows};
use super::scope::{AllColumns, Scope};
use crate::connection::DbConnection;
use crate::error::{Error, Result};
use crate::model::Crud;

/// Every row of model `M`'s table, deleted or not, with the model's columns.
pub type WithDeleted<M> = dsl::Select<<M as crate::Model>::Table, AllColumns<M>>;

/// The rows of model `M`'s table that are soft-deleted.
pub type OnlyDeleted<M> = dsl::Filter<WithDeleted<M>, dsl::IsNotNull<<M as SoftDelete>::DeletedAt>>;

/// The methods of a model declared with `soft_delete,` (see the
/// [module docs](self)); in the prelude.
///
/// ```
/// # glowplug::model! { pub Note { id: pk, body: text, soft_delete } }
/// use glowplug::prelude::*;
///
/// # fn main() -> glowplug::Result<()> {
/// # let db = glowplug::Database::connect("sqlite::memory:")?;
/// # let mut conn = db.get()?;
/// # diesel::connection::SimpleConnection::batch_execute(&mut *conn,
/// #     "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, deleted_at TIMESTAMP NULL);").unwrap();
/// let kept = NewNote::new("kept").insert(&mut conn)?;
/// let mut gone = NewNote::new("gone").insert(&mut conn)?;
/// gone.delete(&mut conn)?;                        // UPDATE notes SET deleted_at = now
/// assert_eq!(Note::count(&mut conn)?, 1);         // deleted rows are not read
/// assert!(Note::find_optional(&mut conn, gone.id)?.is_none());
/// assert_eq!(Note::with_deleted().count(&mut conn)?, 2);
/// let deleted: Vec<String> = Note::only_deleted().pluck(&mut conn, notes::body)?;
/// assert_eq!(deleted, ["gone"]);
///
/// gone.restore(&mut conn)?;                       // deleted_at = NULL again
/// assert!(gone.deleted_at.is_none());
/// assert_eq!(Note::count(&mut conn)?, 2);
/// kept.force_delete(&mut conn)?;                  // DELETE FROM notes
/// assert_eq!(Note::with_deleted().count(&mut conn)?, 1);
/// # Ok(())
/// # }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no soft deletes",
    label = "its `model!` does not declare `soft_delete`",
    note = "add `soft_delete,` to the model's body in `glowplug::model!`"
)]
pub trait SoftDelete: Crud {
    /// The `deleted_at` column (`notes::deleted_at`).
    type DeletedAt: Expression<SqlType: diesel::sql_types::SingleValue> + Default;

    /// The changes of a restore: `deleted_at = NULL`, with `updated_at`
    /// bumped on models with timestamps.
    type Restore;

    /// The changes of a restore (see [`SoftDelete::Restore`]).
    fn restore_changes() -> Self::Restore;

    /// When this row was soft-deleted (`None`: it was not), as an instant
    /// whether `deleted_at` is a `timestamp` (`soft_delete`, which glowplug
    /// writes in UTC) or a `timestamptz` (`soft_delete(tz)`).
    fn deleted_at(&self) -> Option<crate::UtcDateTime>;

    /// Clears `deleted_at` of the row with key `id` (and bumps `updated_at`
    /// on models with timestamps); whether a deleted row was restored.
    fn restore_by_id<C: DbConnection + ?Sized>(conn: &mut C, id: Self::Id) -> Result<bool>;

    /// Deletes the row with key `id` for good (`DELETE`), deleted or not;
    /// whether a row was deleted.
    fn force_delete_by_id<C: DbConnection + ?Sized>(conn: &mut C, id: Self::Id) -> Result<bool>;

    /// A [`Scope`] over every row, soft-deleted or not: filter, order,
    /// join and run it as any scope. Its writes reach deleted rows too:
    /// `update_all` changes every match, `force_delete_all` removes them
    /// for good, `restore_all` restores the deleted ones, and `delete_all`
    /// soft-deletes those not deleted yet (as on a plain scope).
    fn with_deleted() -> Scope<Self, Base<WithDeleted<Self>, AllRows>>
    where
        Self::Table: Default + SelectDsl<AllColumns<Self>>,
    {
        let table = Self::Table::default();
        let rows = table.select(<Self::Table as diesel::Table>::all_columns());
        Scope::from_base(rows, AllRows)
    }

    /// A [`Scope`] over the soft-deleted rows only. Its writes reach those
    /// rows: `update_all`, `force_delete_all` (empty the trash for good) and
    /// `restore_all`. It has no `delete_all`: its rows are deleted already.
    fn only_deleted() -> Scope<Self, Base<OnlyDeleted<Self>, DeletedRows>>
    where
        Self::Table: Default + SelectDsl<AllColumns<Self>>,
        WithDeleted<Self>: FilterDsl<dsl::IsNotNull<Self::DeletedAt>>,
    {
        let table = Self::Table::default();
        let rows = table.select(<Self::Table as diesel::Table>::all_columns());
        let deleted = diesel::ExpressionMethods::is_not_null(Self::DeletedAt::default());
        Scope::from_base(rows.filter(deleted), DeletedRows)
    }

    /// Whether this row is soft-deleted.
    fn is_deleted(&self) -> bool {
        self.deleted_at().is_some()
    }

    /// Clears this row's `deleted_at` and reloads it (two statements);
    /// [`Error::NotFound`] if it was not deleted or no longer exists.
    fn restore<C: DbConnection + ?Sized>(&mut self, conn: &mut C) -> Result<()> {
        if !Self::restore_by_id(conn, self.id())? {
            return Err(Error::not_found(Self::META.name, self.id()));
        }
        self.reload(conn)
    }

    /// Deletes this row for good (`DELETE`), deleted or not;
    /// [`Error::NotFound`] if it no longer exists.
    fn force_delete<C: DbConnection + ?Sized>(&self, conn: &mut C) -> Result<()> {
        match Self::force_delete_by_id(conn, self.id())? {
            true => Ok(()),
            false => Err(Error::not_found(Self::META.name, self.id())),
        }
    }
}

/// `SoftDelete` for a model with `soft_delete` (nothing for others).
#[doc(hidden)]
#[macro_export]
macro_rules! __glowplug_soft_delete {
    (no, $($rest:tt)*) => {};
    (yes, model = $model:ident, table = $table:ident, pk = $pk:ident, timestamps = $ts:ident) => {
        impl $crate::SoftDelete for $model {
            type DeletedAt = $table::deleted_at;
            type Restore = <$model as $crate::__private::Touch>::With<
                $crate::__private::diesel::dsl::Eq<
                    $table::deleted_at,
                    $crate::__private::Option<$crate::__private::Stamp>,
                >,
            >;

            fn restore_changes() -> Self::Restore {
                let none: $crate::__private::Option<$crate::__private::Stamp> =
                    $crate::__private::Option::None;
                $crate::__glowplug_touch!($ts, $table, $table::deleted_at.eq(none))
            }

            fn deleted_at(&self) -> $crate::__private::Option<$crate::__private::UtcDateTime> {
                $crate::__private::InUtc::in_utc(self.deleted_at)
            }

            fn restore_by_id<C: $crate::DbConnection + ?::core::marker::Sized>(
                conn: &mut C,
                id: <Self as $crate::Model>::Id,
            ) -> $crate::Result<bool> {
                let restore = $crate::__private::diesel::update(
                    $table::table
                        .find(id)
                        .filter($table::deleted_at.is_not_null()),
                )
                .set(<Self as $crate::SoftDelete>::restore_changes());
                ::core::result::Result::Ok($crate::RunDsl::exec(restore, conn)? > 0)
            }

            fn force_delete_by_id<C: $crate::DbConnection + ?::core::marker::Sized>(
                conn: &mut C,
                id: <Self as $crate::Model>::Id,
            ) -> $crate::Result<bool> {
                let delete = $crate::__private::diesel::delete($table::table.find(id));
                ::core::result::Result::Ok($crate::RunDsl::exec(delete, conn)? > 0)
            }
        }
    };
}
