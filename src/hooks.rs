//! Lifecycle hooks: code a model runs before and after its rows are
//! inserted, saved, updated and deleted, in the same transaction as the
//! write.
//!
//! A model opts in with `hooks,` in its `model!` body and implements
//! [`Hooks`] (every method defaults to doing nothing). A model without
//! `hooks,` pays nothing: its writes take the paths they took before.
//!
//! With hooks, each write runs in a transaction (a savepoint inside an
//! enclosing one): the `before_*` hook, then the checks of `model!` (so a
//! hook that normalises a value has it checked), the write, then the
//! `after_*` hook. A hook that returns an error aborts the write and rolls
//! back everything the hooks and the write did.
//!
//! | write | hooks |
//! |---|---|
//! | `new.insert(..)` | `before_insert` (may change the row), `after_insert` (the stored row) |
//! | `row.save(..)` | `before_save` (may change the row), `after_save` |
//! | `row.update(.., changes)` | `before_update` (the row before, and the changes, which it may change), `after_update` (the stored row) |
//! | `row.delete(..)` | `before_delete`, `after_delete` |
//! | `insert_batch`, `batch().insert(..)` (upserts too) | `before_insert` per row, all before the first statement; no `after_insert` (no rows come back) |
//! | `insert_batch_returning` | `before_insert` per row, then `after_insert` per stored row |
//! | `insert_batch_iter`, `insert_or_ignore`, `upsert`, `get_or_insert`, `upsert_rows`, `save_or_insert`, `delete_by_id`, `update_all`, `delete_all` | none: like Rails' `upsert_all` and `update_all`, they write what they are given |

use crate::connection::DbConnection;
use crate::error::Result;
use crate::model::Model;

/// The hooks of a model declared with `hooks,` in `model!`. Every method
/// defaults to doing nothing; implement those you need. `conn` is the
/// connection of the write, inside its transaction: what a hook writes
/// with it commits or rolls back with the write.
///
/// ```
/// use glowplug::prelude::*;
/// use glowplug::Hooks;
///
/// glowplug::model! {
///     pub Account { id: pk, email: text unique validate(email), hooks, }
/// }
///
/// impl Hooks for Account {
///     fn before_insert<C: DbConnection + ?Sized>(new: &mut NewAccount, _conn: &mut C) -> glowplug::Result<()> {
///         new.email = new.email.trim().to_lowercase();
///         Ok(())
///     }
/// }
///
/// # fn main() -> glowplug::Result<()> {
/// # let db = glowplug::Database::connect("sqlite::memory:")?;
/// # let mut conn = db.get()?;
/// # glowplug::schema::create_all(&mut conn, &[Account::META])?;
/// let account = NewAccount { email: " Ada@Example.COM ".into() }.insert(&mut conn)?;
/// assert_eq!(account.email, "ada@example.com");
/// # Ok(())
/// # }
/// ```
pub trait Hooks: Model {
    /// Before a row is inserted; may change it. Runs before the checks.
    fn before_insert<C: DbConnection + ?Sized>(new: &mut Self::New, conn: &mut C) -> Result<()> {
        let _ = (new, conn);
        Ok(())
    }

    /// After a row was inserted, with the row as stored.
    fn after_insert<C: DbConnection + ?Sized>(&self, conn: &mut C) -> Result<()> {
        let _ = conn;
        Ok(())
    }

    /// Before `save` writes this row; may change it. Runs before the checks.
    fn before_save<C: DbConnection + ?Sized>(&mut self, conn: &mut C) -> Result<()> {
        let _ = conn;
        Ok(())
    }

    /// After `save`, with the row as stored.
    fn after_save<C: DbConnection + ?Sized>(&self, conn: &mut C) -> Result<()> {
        let _ = conn;
        Ok(())
    }

    /// Before `update` writes `changes` to this row (as it was); may change
    /// the changes. Runs before the checks.
    fn before_update<C: DbConnection + ?Sized>(
        &self,
        changes: &mut Self::Changes,
        conn: &mut C,
    ) -> Result<()> {
        let _ = (changes, conn);
        Ok(())
    }

    /// After `update`, with the row as stored.
    fn after_update<C: DbConnection + ?Sized>(&self, conn: &mut C) -> Result<()> {
        let _ = conn;
        Ok(())
    }

    /// Before `delete` deletes this row.
    fn before_delete<C: DbConnection + ?Sized>(&self, conn: &mut C) -> Result<()> {
        let _ = conn;
        Ok(())
    }

    /// After `delete` deleted this row.
    fn after_delete<C: DbConnection + ?Sized>(&self, conn: &mut C) -> Result<()> {
        let _ = conn;
        Ok(())
    }
}

/// One hook call, as the write paths make it (generated code forwards it
/// to [`dispatch`] for models with `hooks,`).
#[doc(hidden)]
pub enum Hook<'a, M: Model> {
    BeforeInsert(&'a mut M::New),
    AfterInsert(&'a M),
    BeforeSave(&'a mut M),
    AfterSave(&'a M),
    BeforeUpdate(&'a M, &'a mut M::Changes),
    AfterUpdate(&'a M),
    BeforeDelete(&'a M),
    AfterDelete(&'a M),
}

/// Runs `hook` on `M`'s [`Hooks`] implementation.
#[doc(hidden)]
pub fn dispatch<M: Hooks, C: DbConnection + ?Sized>(hook: Hook<'_, M>, conn: &mut C) -> Result<()> {
    match hook {
        Hook::BeforeInsert(new) => M::before_insert(new, conn),
        Hook::AfterInsert(row) => row.after_insert(conn),
        Hook::BeforeSave(row) => row.before_save(conn),
        Hook::AfterSave(row) => row.after_save(conn),
        Hook::BeforeUpdate(row, changes) => row.before_update(changes, conn),
        Hook::AfterUpdate(row) => row.after_update(conn),
        Hook::BeforeDelete(row) => row.before_delete(conn),
        Hook::AfterDelete(row) => row.after_delete(conn),
    }
}
