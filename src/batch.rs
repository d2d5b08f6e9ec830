//! Batch inserts: many rows in few statements, all or nothing.
//!
//! [`Crud::insert_batch`](crate::Crud::insert_batch),
//! [`insert_batch_returning`](crate::Crud::insert_batch_returning) and
//! [`insert_batch_iter`](crate::Crud::insert_batch_iter) send multi-row
//! `INSERT … VALUES (…), (…)` statements of as many rows as the backend
//! accepts in one statement:
//!
//! * rows per statement = ⌊parameter limit / columns written per row⌋
//!   ([`rows_per_statement`]), where the columns written are every column
//!   but the primary key (timestamps included);
//! * the parameter limit is 65 535 on PostgreSQL, and on SQLite the linked
//!   library's `SQLITE_MAX_VARIABLE_NUMBER`, read at run time
//!   ([`sqlite_variable_limit`]: 32 766 for the bundled library).
//!
//! Diesel sends a `Vec` insert as one statement whatever its size and fails
//! past the limit ("number of parameters must be between 0 and 65535"); on
//! SQLite it falls back to one INSERT per row when the insert struct has
//! optional defaulted fields. glowplug's insert structs apply defaults and
//! timestamps in Rust (exactly as for single inserts), so every row has the
//! same fixed column list and SQLite gets one multi-row statement too.
//!
//! All statements of a batch run in one transaction (a savepoint inside an
//! enclosing transaction): a failure in any chunk, such as a unique
//! violation in the third of five, leaves nothing of the batch behind and
//! returns the database's error ([`Error::UniqueViolation`] names the
//! constraint where the backend reports it). Rows are validated against
//! the constraints declared in `model!` (`varchar(N)`) before they are sent;
//! a bad row is [`Error::InvalidRow`] with its index. A slice is validated
//! whole before the first statement; an iterator is validated one chunk at
//! a time, and a bad row rolls back the chunks already sent. An empty batch
//! returns 0 and sends nothing.
//!
//! The returning form gives the stored rows in input order: each
//! statement's `RETURNING` rows are ordered by primary key, which both
//! backends assign in the order of the `VALUES` list.

use diesel::Connection;

use crate::Backend;
use crate::connection::{DbConnection, with_backend};
use crate::error::{Error, Result};
use crate::model::{Crud, Model, ModelOps, NewModel};
pub use crate::relation::sqlite_variable_limit;

/// The most parameters one PostgreSQL statement may carry.
pub const POSTGRES_PARAMETER_LIMIT: usize = 65_535;

/// The rows one INSERT statement carries on `backend` when each row binds
/// `binds_per_row` parameters (at least 1).
pub fn rows_per_statement(backend: Backend, binds_per_row: usize) -> usize {
    let limit = match backend {
        Backend::Sqlite => sqlite_variable_limit(),
        Backend::Postgres => POSTGRES_PARAMETER_LIMIT,
    };
    (limit / binds_per_row.max(1)).max(1)
}

/// The parameters one row of `M` binds: every column but the key.
fn binds_per_row<M: Model>() -> usize {
    M::META.columns.len().saturating_sub(1)
}

fn validate_all<M: Model>(rows: &[M::New], offset: usize) -> Result<()>
where
    M::New: NewModel,
{
    for (i, row) in rows.iter().enumerate() {
        row.validate().map_err(|e| Error::InvalidRow {
            index: offset + i,
            source: Box::new(e),
        })?;
    }
    Ok(())
}

pub(crate) fn insert_slice<M, C>(conn: &mut C, rows: &[M::New]) -> Result<usize>
where
    M: Crud,
    M::New: NewModel,
    C: DbConnection + ?Sized,
{
    if rows.is_empty() {
        return Ok(0);
    }
    validate_all::<M>(rows, 0)?;
    let per = rows_per_statement(conn.backend(), binds_per_row::<M>());
    with_backend!(conn, c => c.transaction(|c| {
        let mut inserted = 0;
        for chunk in rows.chunks(per) {
            inserted += <M as ModelOps<_>>::op_insert_rows(c, chunk)?;
        }
        Ok::<_, Error>(inserted)
    }))
}

pub(crate) fn insert_slice_returning<M, C>(conn: &mut C, rows: &[M::New]) -> Result<Vec<M>>
where
    M: Crud,
    M::New: NewModel,
    C: DbConnection + ?Sized,
{
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    validate_all::<M>(rows, 0)?;
    let per = rows_per_statement(conn.backend(), binds_per_row::<M>());
    with_backend!(conn, c => c.transaction(|c| {
        let mut stored = Vec::with_capacity(rows.len());
        for chunk in rows.chunks(per) {
            let mut returned = <M as ModelOps<_>>::op_insert_rows_returning(c, chunk)?;
            returned.sort_by_key(|row| row.id());
            stored.append(&mut returned);
        }
        Ok::<_, Error>(stored)
    }))
}

pub(crate) fn insert_iter<M, C, I>(conn: &mut C, rows: I) -> Result<usize>
where
    M: Crud,
    M::New: NewModel,
    C: DbConnection + ?Sized,
    I: IntoIterator<Item = M::New>,
{
    let mut rows = rows.into_iter().peekable();
    if rows.peek().is_none() {
        return Ok(0);
    }
    let per = rows_per_statement(conn.backend(), binds_per_row::<M>());
    with_backend!(conn, c => c.transaction(|c| {
        let mut chunk = Vec::with_capacity(per.min(4096));
        let (mut taken, mut inserted) = (0, 0);
        loop {
            chunk.clear();
            chunk.extend(rows.by_ref().take(per));
            if chunk.is_empty() {
                break;
            }
            validate_all::<M>(&chunk, taken)?;
            taken += chunk.len();
            inserted += <M as ModelOps<_>>::op_insert_rows(c, &chunk)?;
        }
        Ok::<_, Error>(inserted)
    }))
}
