//! The writes of a [`Scope`]: `update_all` and `delete_all`, one `UPDATE`
//! or `DELETE` with the scope's filters, on the concrete backend; on a model
//! with `soft_delete`, `force_delete_all` and (on `with_deleted()` and
//! `only_deleted()` scopes) `restore_all`.

use diesel::dsl;
use diesel::query_builder::{AsChangeset, IntoUpdateTarget};
use diesel::query_dsl::methods::{ExecuteDsl, FilterDsl};
use diesel::result::{EmptyChangeset, Error as DieselError};

use super::Touch;
use super::parts::{AllRows, Apply, Base, DeletedRows, NoJoin, NoWindow};
use super::run::exec;
use super::scope::Scope;
use super::soft_delete::SoftDelete;
use crate::connection::{DbConnection, PgConnection, SqliteConnection};
use crate::error::Result;
use crate::model::Crud;

/// The rows the writes of a scope reach before its filters, by where the
/// scope starts: `Model::filter(..)`/`Model::scope()` (the live rows on a
/// model with `soft_delete`, else every row), `with_deleted()` (every row)
/// or `only_deleted()` (the soft-deleted rows). A scope with joins has no
/// writes.
#[diagnostic::on_unimplemented(
    message = "this scope cannot `update_all` or `delete_all`",
    label = "the scope has joins",
    note = "the writes of a scope take no joins: filter on a subquery instead (`col.eq_any(other.select(..))`)"
)]
pub trait Rows<M> {
    /// The `UPDATE`/`DELETE` target (`notes`, or `notes WHERE deleted_at IS NULL`).
    type Target: IntoUpdateTarget;
    /// The `UPDATE`/`DELETE` target.
    fn target() -> Self::Target;
}

impl<M: Touch> Rows<M> for NoJoin {
    type Target = M::Live;
    fn target() -> M::Live {
        M::live()
    }
}

impl<M, Q> Rows<M> for Base<Q, AllRows>
where
    M: SoftDelete,
    M::Table: Default + IntoUpdateTarget,
{
    type Target = M::Table;
    fn target() -> M::Table {
        M::Table::default()
    }
}

/// The soft-deleted rows of model `M`'s table, as an `UPDATE`/`DELETE` target.
pub type DeletedTarget<M> =
    dsl::Filter<<M as crate::Model>::Table, dsl::IsNotNull<<M as SoftDelete>::DeletedAt>>;

impl<M, Q> Rows<M> for Base<Q, DeletedRows>
where
    M: SoftDelete,
    M::Table: Default + FilterDsl<dsl::IsNotNull<M::DeletedAt>>,
    DeletedTarget<M>: IntoUpdateTarget,
{
    type Target = DeletedTarget<M>;
    fn target() -> Self::Target {
        deleted_rows::<M>()
    }
}

fn deleted_rows<M>() -> DeletedTarget<M>
where
    M: SoftDelete,
    M::Table: Default + FilterDsl<dsl::IsNotNull<M::DeletedAt>>,
{
    let deleted = diesel::ExpressionMethods::is_not_null(M::DeletedAt::default());
    M::Table::default().filter(deleted)
}

/// The scopes whose `delete_all` means something: those that may match
/// rows not deleted yet (all but `only_deleted()`).
#[diagnostic::on_unimplemented(
    message = "this scope has no `delete_all`",
    label = "a scope with joins, or `only_deleted()`, whose rows are deleted already",
    note = "on `only_deleted()`, `force_delete_all` removes the rows for good and `restore_all` brings them back; a scope's writes take no joins"
)]
pub trait DeleteRows<M> {}

impl<M> DeleteRows<M> for NoJoin {}

impl<M: SoftDelete, Q> DeleteRows<M> for Base<Q, AllRows> {}

/// The `UPDATE` of `update_all` before its filters (`J`: where the scope
/// starts, see [`Rows`]).
pub type UpdateAll<M, Ch, J = NoJoin> = dsl::Update<<J as Rows<M>>::Target, <M as Touch>::With<Ch>>;

/// The `DELETE` of `delete_all` before its filters (on a model with
/// `soft_delete`, the `UPDATE` that sets `deleted_at`).
pub type DeleteAll<M> = <M as Touch>::Remove;

/// The `DELETE` of `force_delete_all` before its filters.
pub type ForceDeleteAll<M, J = NoJoin> = dsl::delete<<J as Rows<M>>::Target>;

/// The `UPDATE` of `restore_all` before its filters.
pub type RestoreAll<M> = dsl::Update<DeletedTarget<M>, <M as SoftDelete>::Restore>;

impl<M, J, W, O> Scope<M, J, W, O, NoWindow>
where
    M: Crud + Touch,
    J: Rows<M>,
{
    /// Sets `changes` on every row the filters match, in one `UPDATE`, and
    /// returns the number of rows changed. `changes` is any diesel changeset:
    /// `users::active.eq(false)`, a tuple of them, `users::age.eq(users::age + 1)`,
    /// or the model's changes struct (`UserChanges { .. }`). On a model with
    /// `timestamps`, `updated_at` is bumped too. On a model with
    /// `soft_delete`, soft-deleted rows are left alone, unless the scope
    /// starts from [`with_deleted`](SoftDelete::with_deleted) (every match)
    /// or [`only_deleted`](SoftDelete::only_deleted) (the deleted matches).
    ///
    /// Like Rails' `update_all`, it writes what it is given: the `varchar(N)`
    /// checks of [`Crud::update`] do not run (the database's own constraints
    /// do). Changes that set nothing on a model without timestamps send
    /// nothing and return 0.
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
    /// let aged = User::filter(users::age.lt(18)).update_all(&mut conn, users::age.eq(users::age + 1))?;
    /// assert_eq!(aged, 1);
    /// let ages: Vec<i32> = User::filter(users::name.eq("bob")).pluck(&mut conn, users::age)?;
    /// assert_eq!(ages, [18]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn update_all<C, Ch>(self, conn: &mut C, changes: Ch) -> Result<usize>
    where
        C: DbConnection + ?Sized,
        M::With<Ch>: AsChangeset<Target = <J::Target as diesel::associations::HasTable>::Table>,
        UpdateAll<M, Ch, J>: diesel::query_builder::AsQuery,
        W: Apply<UpdateAll<M, Ch, J>>,
        W::Output: ExecuteDsl<SqliteConnection> + ExecuteDsl<PgConnection>,
    {
        let op = crate::observe::scope(M::NAME, "update_all");
        let updated = update_where(conn, J::target(), self.filters, M::touch(changes));
        let rows = match updated {
            Err(DieselError::QueryBuilderError(e)) if e.is::<EmptyChangeset>() => 0,
            other => other.map_err(crate::model::written::<M>)?,
        };
        op.rows(rows);
        Ok(rows)
    }

    /// Deletes every row the filters match, in one `DELETE`, and returns
    /// the number of rows deleted.
    ///
    /// On a model with `soft_delete` it soft-deletes them instead, as
    /// Laravel's `delete()` on a query does: one `UPDATE` setting
    /// `deleted_at` (and bumping `updated_at`) on the matching rows not yet
    /// deleted, whose number it returns (on a
    /// [`with_deleted`](SoftDelete::with_deleted) scope as well: rows
    /// deleted before keep their `deleted_at`). Remove rows for good with
    /// [`force_delete_all`](Scope::force_delete_all). An
    /// [`only_deleted`](SoftDelete::only_deleted) scope has no `delete_all`.
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
    /// assert_eq!(User::filter(users::age.lt(18)).delete_all(&mut conn)?, 1);
    /// assert_eq!(User::count(&mut conn)?, 1);
    /// # Ok(())
    /// # }
    /// ```
    pub fn delete_all<C>(self, conn: &mut C) -> Result<usize>
    where
        C: DbConnection + ?Sized,
        J: DeleteRows<M>,
        W: Apply<DeleteAll<M>>,
        W::Output: ExecuteDsl<SqliteConnection> + ExecuteDsl<PgConnection>,
    {
        let op = crate::observe::scope(M::NAME, "delete_all");
        let rows = exec(conn, self.filters.apply(M::remove()))?;
        op.rows(rows);
        Ok(rows)
    }

    /// Deletes every row the filters match for good, in one `DELETE`, on a
    /// model with `soft_delete`, and returns the number of rows deleted: the
    /// live matches on a plain scope, every match on
    /// [`with_deleted`](SoftDelete::with_deleted), the deleted matches on
    /// [`only_deleted`](SoftDelete::only_deleted) (emptying the trash).
    ///
    /// ```
    /// # glowplug::model! { pub Note { id: pk, body: text, soft_delete } }
    /// # use glowplug::prelude::*;
    /// # fn main() -> glowplug::Result<()> {
    /// # let db = glowplug::Database::connect("sqlite::memory:")?;
    /// # let mut conn = db.get()?;
    /// # diesel::connection::SimpleConnection::batch_execute(&mut *conn,
    /// #     "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, deleted_at TIMESTAMP NULL);").unwrap();
    /// for body in ["a", "b", "old"] {
    ///     NewNote::new(body).insert(&mut conn)?;
    /// }
    /// Note::filter(notes::body.ne("a")).delete_all(&mut conn)?;    // soft: "b" and "old"
    /// let purged = Note::only_deleted().filter(notes::body.eq("old")).force_delete_all(&mut conn)?;
    /// assert_eq!(purged, 1);                                     // DELETE … WHERE deleted_at IS NOT NULL
    /// assert_eq!(Note::with_deleted().count(&mut conn)?, 2);
    /// # Ok(())
    /// # }
    /// ```
    pub fn force_delete_all<C>(self, conn: &mut C) -> Result<usize>
    where
        C: DbConnection + ?Sized,
        M: SoftDelete,
        W: Apply<ForceDeleteAll<M, J>>,
        W::Output: ExecuteDsl<SqliteConnection> + ExecuteDsl<PgConnection>,
    {
        let op = crate::observe::scope(M::NAME, "force_delete_all");
        let rows = exec(conn, self.filters.apply(diesel::delete(J::target())))?;
        op.rows(rows);
        Ok(rows)
    }
}

impl<M, Q, K, W, O> Scope<M, Base<Q, K>, W, O, NoWindow>
where
    M: SoftDelete,
    Base<Q, K>: Rows<M>,
{
    /// Clears `deleted_at` of every soft-deleted row the filters match (and
    /// bumps `updated_at` on models with timestamps), in one `UPDATE`, and
    /// returns the number of rows restored; on
    /// [`with_deleted`](SoftDelete::with_deleted) and
    /// [`only_deleted`](SoftDelete::only_deleted) scopes.
    ///
    /// ```
    /// # glowplug::model! { pub Note { id: pk, body: text, soft_delete } }
    /// # use glowplug::prelude::*;
    /// # fn main() -> glowplug::Result<()> {
    /// # let db = glowplug::Database::connect("sqlite::memory:")?;
    /// # let mut conn = db.get()?;
    /// # diesel::connection::SimpleConnection::batch_execute(&mut *conn,
    /// #     "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, deleted_at TIMESTAMP NULL);").unwrap();
    /// for body in ["a", "b", "c"] {
    ///     NewNote::new(body).insert(&mut conn)?;
    /// }
    /// assert_eq!(Note::scope().delete_all(&mut conn)?, 3);
    /// let back = Note::only_deleted().filter(notes::body.ne("c")).restore_all(&mut conn)?;
    /// assert_eq!((back, Note::count(&mut conn)?), (2, 2));
    /// # Ok(())
    /// # }
    /// ```
    pub fn restore_all<C>(self, conn: &mut C) -> Result<usize>
    where
        C: DbConnection + ?Sized,
        M::Table: Default + FilterDsl<dsl::IsNotNull<M::DeletedAt>>,
        DeletedTarget<M>: IntoUpdateTarget,
        M::Restore:
            AsChangeset<Target = <DeletedTarget<M> as diesel::associations::HasTable>::Table>,
        RestoreAll<M>: diesel::query_builder::AsQuery,
        W: Apply<RestoreAll<M>>,
        W::Output: ExecuteDsl<SqliteConnection> + ExecuteDsl<PgConnection>,
    {
        let op = crate::observe::scope(M::NAME, "restore_all");
        let changes = M::restore_changes();
        let rows = update_where(conn, deleted_rows::<M>(), self.filters, changes)
            .map_err(crate::model::written::<M>)?;
        op.rows(rows);
        Ok(rows)
    }
}

/// The table `update`/`delete` name for model `M` (its own table).
pub type TableOf<M> = <<M as crate::Model>::Table as diesel::associations::HasTable>::Table;

fn update_where<C, T, W, V>(
    conn: &mut C,
    table: T,
    filters: W,
    changes: V,
) -> diesel::QueryResult<usize>
where
    C: DbConnection + ?Sized,
    T: IntoUpdateTarget,
    V: AsChangeset<Target = T::Table>,
    dsl::Update<T, V>: diesel::query_builder::AsQuery,
    W: Apply<dsl::Update<T, V>>,
    W::Output: ExecuteDsl<SqliteConnection> + ExecuteDsl<PgConnection>,
{
    exec(conn, filters.apply(diesel::update(table).set(changes)))
}
