//! Batch inserts: many rows in few statements, all or nothing.
//!
//! [`Crud::insert_batch`],
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
//!   ([`sqlite_variable_limit`]:
//!   32 766 for the bundled library).
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
use diesel::result::QueryResult;

use crate::Backend;
use crate::connection::{DbConnection, with_backend};
use crate::connection::{POSTGRES_PARAMETER_LIMIT, sqlite_variable_limit};
use crate::error::{Error, Result};
use crate::model::{Crud, Model, ModelOps, NewModel};

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

/// What a batch does with each chunk: count the rows, or keep the stored rows.
trait ChunkOp<M: Model> {
    type Out;
    fn start(rows: usize) -> Self::Out;
    fn run<Conn>(conn: &mut Conn, chunk: &[M::New], out: &mut Self::Out) -> QueryResult<()>
    where
        M: ModelOps<Conn>;
}

/// Counts the inserted rows.
enum Count {}

impl<M: Model> ChunkOp<M> for Count {
    type Out = usize;
    fn start(_: usize) -> usize {
        0
    }
    fn run<Conn>(conn: &mut Conn, chunk: &[M::New], out: &mut usize) -> QueryResult<()>
    where
        M: ModelOps<Conn>,
    {
        *out += M::op_insert_rows(conn, chunk)?;
        Ok(())
    }
}

/// Keeps the stored rows, each statement's in key order (= input order).
enum Returning {}

impl<M: Model> ChunkOp<M> for Returning {
    type Out = Vec<M>;
    fn start(rows: usize) -> Vec<M> {
        Vec::with_capacity(rows)
    }
    fn run<Conn>(conn: &mut Conn, chunk: &[M::New], out: &mut Vec<M>) -> QueryResult<()>
    where
        M: ModelOps<Conn>,
    {
        let mut returned = M::op_insert_rows_returning(conn, chunk)?;
        returned.sort_by_key(|row| row.id());
        out.append(&mut returned);
        Ok(())
    }
}

/// Validates `rows`, then sends them in chunks in one transaction.
fn insert_slice_as<Op, M, C>(conn: &mut C, rows: &[M::New]) -> Result<Op::Out>
where
    Op: ChunkOp<M>,
    M: Crud,
    M::New: NewModel,
    C: DbConnection + ?Sized,
{
    if rows.is_empty() {
        return Ok(Op::start(0));
    }
    validate_all::<M>(rows, 0)?;
    let per = rows_per_statement(conn.backend(), binds_per_row::<M>());
    with_backend!(conn, c => c.transaction(|c| {
        let mut out = Op::start(rows.len());
        for chunk in rows.chunks(per) {
            Op::run(c, chunk, &mut out)?;
        }
        Ok::<_, Error>(out)
    }))
}

pub(crate) fn insert_slice<M, C>(conn: &mut C, rows: &[M::New]) -> Result<usize>
where
    M: Crud,
    M::New: NewModel,
    C: DbConnection + ?Sized,
{
    insert_slice_as::<Count, M, C>(conn, rows)
}

pub(crate) fn insert_slice_returning<M, C>(conn: &mut C, rows: &[M::New]) -> Result<Vec<M>>
where
    M: Crud,
    M::New: NewModel,
    C: DbConnection + ?Sized,
{
    insert_slice_as::<Returning, M, C>(conn, rows)
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
            <Count as ChunkOp<M>>::run(c, &chunk, &mut inserted)?;
        }
        Ok::<_, Error>(inserted)
    }))
}
