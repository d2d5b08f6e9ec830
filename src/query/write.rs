//! The writes of a [`Scope`]: `update_all` and `delete_all`, one `UPDATE`
//! or `DELETE` with the scope's filters, on the concrete backend.

use diesel::dsl;
use diesel::query_builder::{AsChangeset, IntoUpdateTarget};
use diesel::query_dsl::methods::ExecuteDsl;
use diesel::result::{EmptyChangeset, Error as DieselError};

use super::Touch;
use super::parts::{Apply, NoJoin, NoWindow};
use super::run::exec;
use super::scope::Scope;
use crate::connection::{DbConnection, PgConnection, SqliteConnection};
use crate::error::Result;
use crate::model::Crud;

/// The `UPDATE` of `update_all` before its filters.
pub type UpdateAll<M, Ch> = dsl::Update<<M as Touch>::Live, <M as Touch>::With<Ch>>;

/// The `DELETE` of `delete_all` before its filters (on a model with
/// `soft_delete`, the `UPDATE` that sets `deleted_at`).
pub type DeleteAll<M> = <M as Touch>::Remove;

impl<M, W, O> Scope<M, NoJoin, W, O, NoWindow>
where
    M: Crud + Touch,
{
    /// Sets `changes` on every row the filters match, in one `UPDATE`, and
    /// returns the number of rows changed. `changes` is any diesel changeset:
    /// `users::active.eq(false)`, a tuple of them, `users::age.eq(users::age + 1)`,
    /// or the model's changes struct (`UserChanges { .. }`). On a model with
    /// `timestamps`, `updated_at` is bumped too. On a model with
    /// `soft_delete`, soft-deleted rows are left alone.
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
        M::With<Ch>: AsChangeset<Target = <M::Live as diesel::associations::HasTable>::Table>,
        UpdateAll<M, Ch>: diesel::query_builder::AsQuery,
        W: Apply<UpdateAll<M, Ch>>,
        W::Output: ExecuteDsl<SqliteConnection> + ExecuteDsl<PgConnection>,
    {
        let op = crate::observe::scope(M::NAME, "update_all");
        let updated = update_where(conn, M::live(), self.filters, M::touch(changes));
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
    /// deleted, whose number it returns. Remove rows for good with
    /// [`SoftDelete::force_delete`](crate::SoftDelete::force_delete).
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
        W: Apply<DeleteAll<M>>,
        W::Output: ExecuteDsl<SqliteConnection> + ExecuteDsl<PgConnection>,
    {
        let op = crate::observe::scope(M::NAME, "delete_all");
        let rows = exec(conn, self.filters.apply(M::remove()))?;
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
