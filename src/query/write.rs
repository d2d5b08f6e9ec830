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
pub type UpdateAll<M, Ch> = dsl::Update<<M as crate::Model>::Table, <M as Touch>::With<Ch>>;

/// The `DELETE` of `delete_all` before its filters.
pub type DeleteAll<M> = dsl::delete<<M as crate::Model>::Table>;

impl<M, W, O> Scope<M, NoJoin, W, O, NoWindow>
where
    M: Crud + Touch,
    M::Table: IntoUpdateTarget + Default,
{
    /// Sets `changes` on every row the filters match, in one `UPDATE`, and
    /// returns the number of rows changed. `changes` is any diesel changeset:
    /// `users::active.eq(false)`, a tuple of them, `users::age.eq(users::age + 1)`,
    /// or the model's changes struct (`UserChanges { .. }`). On a model with
    /// `timestamps`, `updated_at` is bumped too.
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
        M::With<Ch>: AsChangeset<Target = TableOf<M>>,
        UpdateAll<M, Ch>: diesel::query_builder::AsQuery,
        W: Apply<UpdateAll<M, Ch>>,
        W::Output: ExecuteDsl<SqliteConnection> + ExecuteDsl<PgConnection>,
    {
        let op = crate::observe::scope(M::NAME, "update_all");
        let updated = update_where(conn, M::Table::default(), self.filters, M::touch(changes));
        let rows = match updated {
            Err(DieselError::QueryBuilderError(e)) if e.is::<EmptyChangeset>() => 0,
            other => other?,
        };
        op.rows(rows);
        Ok(rows)
    }

    /// Deletes every row the filters match, in one `DELETE`, and returns
    /// the number of rows deleted.
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
        let rows = delete_where(conn, M::Table::default(), self.filters)?;
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

fn delete_where<C, T, W>(conn: &mut C, table: T, filters: W) -> diesel::QueryResult<usize>
where
    C: DbConnection + ?Sized,
    T: IntoUpdateTarget,
    W: Apply<dsl::delete<T>>,
    W::Output: ExecuteDsl<SqliteConnection> + ExecuteDsl<PgConnection>,
{
    exec(conn, filters.apply(diesel::delete(table)))
}
