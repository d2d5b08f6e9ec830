//! Batch inserts, upserts and PostgreSQL `COPY`: many rows in few
//! statements, all or nothing.
//!
//! The short forms are methods of every model:
//! [`Crud::insert_batch`],
//! [`insert_batch_returning`](crate::Crud::insert_batch_returning),
//! [`insert_batch_iter`](crate::Crud::insert_batch_iter) and
//! [`upsert_rows`](crate::Crud::upsert_rows); single-row upserts are
//! [`NewModel::upsert`] and
//! [`NewModel::insert_or_ignore`], and one full row by its primary key is
//! [`save_or_insert`](crate::Crud::save_or_insert).
//! [`Batch`] (`User::batch()`) adds the options: an `ON CONFLICT` clause,
//! the `COPY` choice and a progress callback.
//!
//! ```
//! use glowplug::prelude::*;
//! use glowplug::batch::{OnConflict, Progress};
//!
//! glowplug::model! {
//!     Tag { id: pk, name: varchar(50) unique, uses: int default(0) }
//! }
//!
//! # fn main() -> glowplug::Result<()> {
//! let db = Database::connect("sqlite::memory:")?;
//! let mut conn = db.get()?;
//! # diesel::sql_query("CREATE TABLE tags (id INTEGER PRIMARY KEY AUTOINCREMENT, \
//! #   name VARCHAR(50) NOT NULL UNIQUE, uses INTEGER NOT NULL DEFAULT 0)").execute(&mut conn)?;
//! let tags: Vec<NewTag> = (0..1000)
//!     .map(|i| NewTag { name: format!("tag{i}"), uses: Some(1) })
//!     .collect();
//! assert_eq!(Tag::insert_batch(&mut conn, &tags)?, 1000);
//!
//! // Insert-or-update on the `unique` column, reporting progress.
//! let mut seen = Vec::new();
//! let again: Vec<NewTag> = (995..1005)
//!     .map(|i| NewTag { name: format!("tag{i}"), uses: Some(2) })
//!     .collect();
//! let written = Tag::batch()
//!     .on_conflict(tags::name, OnConflict::Update)
//!     .progress(|p: Progress| seen.push(p.done))
//!     .insert(&mut conn, &again)?;
//! assert_eq!(written, 10);
//! assert_eq!(seen, [10]);
//! assert_eq!(Tag::count(&mut conn)?, 1005);
//! # Ok(())
//! # }
//! ```
//!
//! # Chunks and statements
//!
//! A batch is cut into *chunks* of as many rows as one statement may bind:
//!
//! * rows per chunk = ⌊parameter limit / columns written per row⌋
//!   ([`rows_per_statement`]), where the columns written are every column
//!   but the primary key (timestamps included);
//! * the parameter limit is 65 535 on PostgreSQL, and on SQLite the linked
//!   library's `SQLITE_MAX_VARIABLE_NUMBER`, read at run time
//!   ([`Backend::max_parameters`]: 32 766 for the bundled library).
//!
//! Within a chunk, plain inserts go as statements of [`ARRAY_ROWS`] rows
//! (diesel's `&[T; N]` insert), then of 128, 64, 32 or 16 rows while more
//! than 16 are left, then one statement of the exact rest: 100 rows go as
//! 64 + 32 + 4, 10 rows as one statement of 10. Each is a fixed-size
//! insert, whose prepared statement diesel caches, so a batch of any size
//! reuses at most twenty prepared statements per model and parses none
//! twice; diesel never caches a `Vec` insert, whose SQL it rebuilds and
//! SQLite re-parses every time. Measured with hand-written diesel on SQLite in memory (6 columns
//! written per row, no secondary index, 100 000 rows, medians of 7): `Vec` chunks of the full 5 461 rows 139 ms, 1 000-row `Vec` chunks
//! 133 ms, arrays of 5 461 rows 102 ms, of 1 024 rows 96 ms, of 256 rows
//! 87 ms, of 64 rows 90 ms; one INSERT per row 162 ms; raw `rusqlite` with
//! one prepared statement 90 ms. On PostgreSQL: `Vec` chunks of 10 922 rows
//! 676 ms, arrays of 64 rows 545 ms, of 256 rows 373 ms, of 1 024 rows
//! 339 ms, `COPY` 201 ms. 256 rows is the size that is near the best on
//! both backends and stays under both limits for every model (32 columns ×
//! 256 rows = 8 192 parameters). `BENCHMARKS.md` has the benches.
//!
//! diesel sends a `Vec` insert as one statement whatever its size and fails
//! past the limit ("number of parameters must be between 0 and 65535"); on
//! SQLite it falls back to one INSERT per row when the insert struct has
//! optional defaulted fields. glowplug's insert structs apply defaults and
//! timestamps in Rust (exactly as for single inserts), so every row has the
//! same fixed column list and SQLite gets multi-row statements too.
//!
//! # PostgreSQL `COPY`
//!
//! On PostgreSQL a plain insert of at least [`COPY_THRESHOLD`] (100) rows
//! goes through binary `COPY … FROM STDIN` (diesel's `copy_from`) instead
//! of INSERT statements, one `COPY` per [`COPY_ROWS`] rows (an iterator is
//! read that many rows at a time; a last piece under the threshold is
//! inserted): [`CopyMode::Auto`], the default. [`CopyMode::Always`] and
//! [`CopyMode::Never`] force the choice; SQLite has no `COPY` and always
//! inserts. `COPY` cannot return rows or take an `ON CONFLICT` clause, so
//! the returning form and upserts always insert. Rows, defaults,
//! timestamps and errors (a unique violation names its constraint) are the
//! same on both paths.
//!
//! The threshold is measured (`pg/copy_vs_insert` in `benches/batch.rs`):
//! `COPY` took 2.0 ms for 100 rows against 2.3 ms for INSERT, 2.5 against
//! 4.1 ms for 300, 7.5 against 9.8 ms for 1 000, 16 against 29 ms for 3 000.
//!
//! # Upserts
//!
//! [`Batch::on_conflict`] takes a [`UniqueKey`] of the model (its primary
//! key or a column declared `unique` in `model!`) and an [`OnConflict`]
//! action: `Ignore` skips rows whose key exists (`ON CONFLICT DO
//! NOTHING`), `Update` overwrites every written column of the existing row
//! but `created_at` with the new values (`DO UPDATE SET col =
//! excluded.col`), which bumps `updated_at`. Insert structs carry no
//! primary key; rows that carry theirs (imports, syncs) are upserted by key
//! with [`Crud::upsert_rows`].
//!
//! Chunks are also bounded in bytes: about [`CHUNK_BYTES`] (4 MiB) of rows,
//! estimated from the serialized size of a chunk's first eight rows. Narrow
//! rows are not affected (100 000 rows of a few columns are well under it);
//! a streaming batch of 1 KB rows holds about 4 000 rows at a time instead
//! of 100 000 (BENCHMARKS.md, "Peak memory of streaming batches").
//!
//! # Atomicity and bad input
//!
//! All statements of a batch run in one transaction (a savepoint inside an
//! enclosing transaction); a batch that is one statement (up to 16 rows,
//! or one `COPY`) is atomic by itself and sends no `BEGIN`. A failure in any chunk, such as a unique
//! violation in the third of five, leaves nothing of the batch behind and
//! returns the database's error ([`Error::UniqueViolation`] names the
//! table, the key's columns and its constraint, the same on both backends). Rows are validated against
//! the constraints declared in `model!` (`varchar(N)`), and on SQLite
//! against what SQLite stores as given (no NaN floats, dates and timestamps
//! in years 0000–9999), before they are sent; a bad row is
//! [`Error::InvalidRow`] with its index. A slice is validated
//! whole before the first statement; an iterator is validated one chunk at
//! a time, and a bad row rolls back the chunks already sent. An empty batch
//! returns 0 and sends nothing.
//!
//! The returning form gives the stored rows in input order: each
//! statement's `RETURNING` rows are ordered by primary key, which both
//! backends assign in the order of the `VALUES` list.

use std::marker::PhantomData;

use diesel::query_builder::QueryId;
use diesel::result::QueryResult;

use crate::Backend;
use crate::connection::{BackendConnection, DbConnection, with_backend};
use crate::error::{Error, Result};
use crate::hooks::Hook;
use crate::model::{Crud, Model, ModelOps, NewModel, Validate};

mod statements;

pub use statements::{ARRAY_ROWS, CHUNK_BYTES};
use statements::{SendArray, fill_chunk, rows_within_budget, statement_sizes, statements};

/// The rows from which [`CopyMode::Auto`] uses `COPY` on PostgreSQL
/// (measured: `COPY` is already faster than INSERT at 100 rows).
pub const COPY_THRESHOLD: usize = 100;

/// The most rows one `COPY` statement carries; larger batches send one
/// `COPY` per this many rows (each reported to the progress callback).
pub const COPY_ROWS: usize = 100_000;

/// The rows one INSERT statement carries on `backend` when each row binds
/// `binds_per_row` parameters (at least 1).
pub fn rows_per_statement(backend: Backend, binds_per_row: usize) -> usize {
    (backend.max_parameters() / binds_per_row.max(1)).max(1)
}

/// The parameters one row of `M` binds: every column but the key.
fn binds_per_row<M: Model>() -> usize {
    M::META.columns.len().saturating_sub(1)
}

/// A column that identifies a row for an upsert: the model's primary key, or
/// a column declared `unique` in `model!` (`users::username`).
///
/// `model!` implements it; the database needs the matching unique index or
/// constraint, which the declaration promises.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a unique key of `{M}`",
    label = "neither the primary key nor a `unique` column of `{M}`",
    note = "declare the column `unique` in `model!`, or use the primary key"
)]
pub trait UniqueKey<M: Model>:
    diesel::Column<Table = M::Table> + QueryId + Copy + Send + 'static
{
}

/// What an upsert does with a row whose key already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnConflict {
    /// Keep the existing row; the new one is skipped (`DO NOTHING`).
    Ignore,
    /// Overwrite the existing row's columns (all but the key and
    /// `created_at`) with the new values (`DO UPDATE SET col = excluded.col`).
    Update,
}

/// Whether a PostgreSQL batch goes through `COPY` (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CopyMode {
    /// `COPY` for chunks of at least [`COPY_THRESHOLD`] rows.
    #[default]
    Auto,
    /// `COPY` whatever the size.
    Always,
    /// INSERT statements only.
    Never,
}

/// How far a batch has got, given to a [`Batch::progress`] callback after
/// each chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Rows sent so far (they commit together when the batch ends).
    pub done: usize,
    /// Rows in the batch: the slice's length, or an iterator's exact size
    /// hint (`None` when it has none).
    pub total: Option<usize>,
}

/// A plain insert (no `ON CONFLICT`): the type parameter of [`Batch`].
#[derive(Debug, Clone, Copy, Default)]
pub struct PlainInsert {
    copy: CopyMode,
}

/// An upsert on key `K`: the type parameter of [`Batch`] after
/// [`Batch::on_conflict`].
#[derive(Debug, Clone, Copy)]
pub struct Upsert<K> {
    key: K,
    action: OnConflict,
}

/// A batch insert with options, from `Model::batch()`.
///
/// Set the options, then run it with [`insert`](Batch::insert),
/// [`insert_iter`](Batch::insert_iter) or (plain inserts only)
/// [`insert_returning`](Batch::insert_returning). See the module docs.
#[must_use = "a batch does nothing until `insert` runs it"]
pub struct Batch<'p, M, W = PlainInsert> {
    write: W,
    progress: Option<Box<dyn FnMut(Progress) + 'p>>,
    model: PhantomData<fn() -> M>,
}

impl<M, W: std::fmt::Debug> std::fmt::Debug for Batch<'_, M, W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch")
            .field("write", &self.write)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl<M: Crud> Default for Batch<'_, M, PlainInsert> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'p, M: Crud> Batch<'p, M, PlainInsert> {
    /// A plain batch insert with the default options.
    pub fn new() -> Self {
        Batch {
            write: PlainInsert::default(),
            progress: None,
            model: PhantomData,
        }
    }

    /// Chooses whether PostgreSQL uses `COPY` ([`CopyMode::Auto`] by default).
    pub fn copy(mut self, mode: CopyMode) -> Self {
        self.write.copy = mode;
        self
    }

    /// Makes the batch an upsert on `key`: rows whose key exists are
    /// skipped or overwrite the stored row, as `action` says.
    pub fn on_conflict<K: UniqueKey<M>>(
        self,
        key: K,
        action: OnConflict,
    ) -> Batch<'p, M, Upsert<K>> {
        Batch {
            write: Upsert { key, action },
            progress: self.progress,
            model: PhantomData,
        }
    }

    /// Inserts `rows` and returns them as stored (ids, defaults,
    /// timestamps), in the order of `rows`. Always INSERT … RETURNING.
    pub fn insert_returning<C>(self, conn: &mut C, rows: &[M::New]) -> Result<Vec<M>>
    where
        C: DbConnection + ?Sized,
        M::New: NewModel,
    {
        if M::HOOKS && !rows.is_empty() {
            return before_insert_hooks::<M, _, _>(conn, rows, |c, rows| {
                let stored = self.insert_returning_rows(c, rows)?;
                for row in &stored {
                    M::hook(Hook::AfterInsert(row), c)?;
                }
                Ok(stored)
            });
        }
        self.insert_returning_rows(conn, rows)
    }

    fn insert_returning_rows<C>(mut self, conn: &mut C, rows: &[M::New]) -> Result<Vec<M>>
    where
        C: DbConnection + ?Sized,
        M::New: NewModel,
    {
        let _op = crate::observe::scope(M::NAME, "insert_batch_returning");
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let backend = conn.backend();
        validate(rows, 0, |row: &M::New| row.validate_for(backend))?;
        let per = rows_per_statement(backend, binds_per_row::<M>()).min(rows_within_budget(rows));
        let one_statement = statement_sizes(rows.len(), per).count() == 1;
        let total = Some(rows.len());
        with_backend!(conn, c => atomic(c, one_statement, |c| {
            let mut out = Vec::with_capacity(rows.len());
            for chunk in rows.chunks(per) {
                insert_returning_chunk::<M, _>(c, chunk, per, &mut out)?;
                self.report(out.len(), total);
            }
            Ok::<_, Error>(out)
        }))
        .map_err(|e| e.for_model(&M::META))
    }
}

impl<'p, M: Crud, W: Write<M>> Batch<'p, M, W> {
    /// Calls `callback` after each chunk with the rows sent so far, for a
    /// progress bar. The rows commit together when the batch ends.
    pub fn progress(mut self, callback: impl FnMut(Progress) + 'p) -> Self {
        self.progress = Some(Box::new(callback));
        self
    }

    /// Inserts (or upserts) `rows` in one transaction and returns the rows
    /// written: inserted, plus updated for [`OnConflict::Update`].
    ///
    /// Every row is validated first ([`Error::InvalidRow`] names the first
    /// bad row's index; nothing is written). An empty slice sends nothing.
    pub fn insert<C>(self, conn: &mut C, rows: &[M::New]) -> Result<usize>
    where
        C: DbConnection + ?Sized,
        M::New: NewModel,
    {
        if M::HOOKS && !rows.is_empty() {
            return before_insert_hooks::<M, _, _>(conn, rows, |c, rows| self.insert_rows(c, rows));
        }
        self.insert_rows(conn, rows)
    }

    fn insert_rows<C>(mut self, conn: &mut C, rows: &[M::New]) -> Result<usize>
    where
        C: DbConnection + ?Sized,
        M::New: NewModel,
    {
        let _op = crate::observe::scope(M::NAME, "insert_batch");
        if rows.is_empty() {
            return Ok(0);
        }
        let backend = conn.backend();
        validate(rows, 0, |row: &M::New| row.validate_for(backend))?;
        let plan = self
            .write
            .plan(backend, rows.len())
            .within(rows_within_budget(rows));
        let one_statement =
            rows.len() <= plan.chunk && self.write.statements(&plan, rows.len()) == 1;
        let total = Some(rows.len());
        with_backend!(conn, c => atomic(c, one_statement, |c| {
            let (mut sent, mut written) = (0, 0);
            for chunk in rows.chunks(plan.chunk) {
                written += self.write.chunk(c, chunk, &plan)?;
                sent += chunk.len();
                self.report(sent, total);
            }
            Ok::<_, Error>(written)
        }))
        .map_err(|e| e.for_model(&M::META))
    }

    /// [`insert`](Batch::insert) from an iterator: rows are taken one chunk
    /// at a time, so memory stays bounded by one chunk whatever the number
    /// of rows. Still one transaction; a bad row rolls back the chunks
    /// already sent.
    pub fn insert_iter<C, I>(mut self, conn: &mut C, rows: I) -> Result<usize>
    where
        C: DbConnection + ?Sized,
        I: IntoIterator<Item = M::New>,
        M::New: NewModel,
    {
        let _op = crate::observe::scope(M::NAME, "insert_batch_iter");
        let mut rows = rows.into_iter().peekable();
        if rows.peek().is_none() {
            return Ok(0);
        }
        let total = match rows.size_hint() {
            (low, Some(high)) if low == high => Some(low),
            _ => None,
        };
        let backend = conn.backend();
        let per = self.write.chunk_rows(backend);
        with_backend!(conn, c => crate::transaction(c, |c| {
            let mut chunk = Vec::with_capacity(per.min(16_384));
            let (mut sent, mut written) = (0, 0);
            loop {
                fill_chunk(&mut chunk, &mut rows, per);
                if chunk.is_empty() {
                    break;
                }
                validate(&chunk, sent, |row: &M::New| row.validate_for(backend))?;
                let plan = self.write.plan(backend, chunk.len());
                written += self.write.chunk(c, &chunk, &plan)?;
                sent += chunk.len();
                self.report(sent, total);
            }
            Ok::<_, Error>(written)
        }))
        .map_err(|e| e.for_model(&M::META))
    }
}

impl<M, W> Batch<'_, M, W> {
    fn report(&mut self, done: usize, total: Option<usize>) {
        if let Some(progress) = self.progress.as_mut() {
            progress(Progress { done, total });
        }
    }
}

/// For a model with hooks: one transaction in which `before_insert` runs on
/// a copy of each row (a failing hook is [`Error::InvalidRow`] with its
/// index), then `write` sends the copies (checked there as usual).
fn before_insert_hooks<M, C, T>(
    conn: &mut C,
    rows: &[M::New],
    write: impl FnOnce(&mut BackendConnection<'_>, &[M::New]) -> Result<T>,
) -> Result<T>
where
    M: Crud,
    M::New: NewModel,
    C: DbConnection + ?Sized,
{
    with_backend!(conn, c => crate::transaction(c, |c| {
        let mut rows = rows.to_vec();
        for (index, row) in rows.iter_mut().enumerate() {
            M::hook(Hook::BeforeInsert(row), c).map_err(|e| Error::InvalidRow {
                index,
                source: Box::new(e),
            })?;
        }
        write(&mut c.backend_connection(), &rows)
    }))
}

/// Checks every row with `check`; the first bad row is [`Error::InvalidRow`]
/// with its index in the batch (`offset` + its index in `rows`).
fn validate<T>(rows: &[T], offset: usize, check: impl Fn(&T) -> Result<()>) -> Result<()> {
    for (i, row) in rows.iter().enumerate() {
        check(row).map_err(|e| Error::InvalidRow {
            index: offset + i,
            source: Box::new(e),
        })?;
    }
    Ok(())
}

/// How a batch sends its chunks, decided once per batch (or chunk).
#[doc(hidden)]
#[derive(Debug)]
pub struct ChunkPlan {
    /// Rows per chunk (one `COPY`, or INSERT statements of `per` rows at most).
    chunk: usize,
    /// Rows per INSERT statement (the parameter limit).
    per: usize,
    copy: bool,
}

/// How a [`Batch`] writes one chunk: a plain insert or an upsert.
#[doc(hidden)]
pub trait Write<M: Model> {
    /// The rows an iterator batch takes per chunk on `backend`.
    fn chunk_rows(&self, backend: Backend) -> usize;
    /// The chunk size and statement form for `rows` rows on `backend`.
    fn plan(&self, backend: Backend, rows: usize) -> ChunkPlan;
    /// Writes one chunk; returns the rows written.
    fn chunk<C>(&self, conn: &mut C, chunk: &[M::New], plan: &ChunkPlan) -> QueryResult<usize>
    where
        M: ModelOps<C>;
    /// How many statements [`chunk`](Write::chunk) sends for `rows` rows.
    fn statements(&self, plan: &ChunkPlan, rows: usize) -> usize;
}

impl ChunkPlan {
    /// This plan with chunks of at most `rows` rows (the byte budget).
    fn within(mut self, rows: usize) -> Self {
        self.chunk = self.chunk.min(rows).max(1);
        self
    }
}

/// Runs `f` in one transaction, unless the batch is a single statement,
/// which is atomic by itself (a hand-written insert sends no `BEGIN` either).
fn atomic<C, T>(conn: &mut C, one_statement: bool, f: impl FnOnce(&mut C) -> Result<T>) -> Result<T>
where
    C: diesel::Connection + DbConnection,
{
    match one_statement {
        true => f(conn),
        false => crate::transaction(conn, f),
    }
}

impl<M: Model> Write<M> for PlainInsert {
    fn chunk_rows(&self, backend: Backend) -> usize {
        match (backend, self.copy) {
            (Backend::Postgres, CopyMode::Auto | CopyMode::Always) => COPY_ROWS,
            _ => rows_per_statement(backend, binds_per_row::<M>()),
        }
    }

    fn plan(&self, backend: Backend, rows: usize) -> ChunkPlan {
        let copy = backend == Backend::Postgres
            && match self.copy {
                CopyMode::Auto => rows >= COPY_THRESHOLD,
                CopyMode::Always => true,
                CopyMode::Never => false,
            };
        let per = rows_per_statement(backend, binds_per_row::<M>());
        ChunkPlan {
            chunk: if copy { COPY_ROWS } else { per },
            per,
            copy,
        }
    }

    fn chunk<C>(&self, conn: &mut C, chunk: &[M::New], plan: &ChunkPlan) -> QueryResult<usize>
    where
        M: ModelOps<C>,
    {
        if plan.copy {
            return M::op_copy_rows(conn, chunk);
        }
        let mut written = 0;
        statements(conn, chunk, plan.per, &Inserts::<M>::new(), |n| {
            written += n
        })?;
        Ok(written)
    }

    fn statements(&self, plan: &ChunkPlan, rows: usize) -> usize {
        match plan.copy {
            true => rows.div_ceil(plan.chunk),
            false => statement_sizes(rows, plan.per).count(),
        }
    }
}

/// Plain INSERT statements of `M`'s insert structs.
struct Inserts<M>(PhantomData<fn() -> M>);

/// INSERT … RETURNING statements of `M`'s insert structs.
struct InsertsReturning<M>(PhantomData<fn() -> M>);

impl<M> Inserts<M> {
    fn new() -> Self {
        Inserts(PhantomData)
    }
}

impl<M: ModelOps<C>, C> SendArray<C, M::New> for Inserts<M> {
    type Output = usize;

    fn send<const N: usize>(&self, conn: &mut C, rows: &[M::New; N]) -> QueryResult<usize> {
        M::op_insert_array(conn, rows)
    }
}

impl<M: ModelOps<C>, C> SendArray<C, M::New> for InsertsReturning<M> {
    type Output = Vec<M>;

    fn send<const N: usize>(&self, conn: &mut C, rows: &[M::New; N]) -> QueryResult<Vec<M>> {
        M::op_insert_array_returning(conn, rows)
    }
}

impl<M: Model, K: UniqueKey<M>> Write<M> for Upsert<K> {
    fn chunk_rows(&self, backend: Backend) -> usize {
        rows_per_statement(backend, binds_per_row::<M>())
    }

    fn plan(&self, backend: Backend, _rows: usize) -> ChunkPlan {
        let per = rows_per_statement(backend, binds_per_row::<M>());
        ChunkPlan {
            chunk: per,
            per,
            copy: false,
        }
    }

    fn chunk<C>(&self, conn: &mut C, chunk: &[M::New], _plan: &ChunkPlan) -> QueryResult<usize>
    where
        M: ModelOps<C>,
    {
        M::op_upsert_rows(conn, chunk, self.key, self.action)
    }

    fn statements(&self, _plan: &ChunkPlan, _rows: usize) -> usize {
        1
    }
}

/// Inserts one chunk with RETURNING, appending the stored rows in input order.
fn insert_returning_chunk<M, C>(
    conn: &mut C,
    chunk: &[M::New],
    per: usize,
    out: &mut Vec<M>,
) -> QueryResult<()>
where
    M: ModelOps<C>,
{
    let sender = InsertsReturning::<M>(PhantomData);
    statements(conn, chunk, per, &sender, |mut returned: Vec<M>| {
        returned.sort_by_key(|row| row.id());
        out.append(&mut returned);
    })
}

/// Inserts or updates full rows by primary key, in one transaction; on
/// PostgreSQL the key's sequence is then moved past the largest key, so
/// later inserts do not collide with the keys written here.
pub(crate) fn put_rows<M, C>(conn: &mut C, rows: &[M], action: OnConflict) -> Result<usize>
where
    M: Crud,
    C: DbConnection + ?Sized,
{
    if rows.is_empty() {
        return Ok(0);
    }
    let backend = conn.backend();
    validate(rows, 0, |row: &M| row.validate_for(backend))?;
    // A full row binds every column, the key included.
    let per = rows_per_statement(backend, M::META.columns.len());
    with_backend!(conn, c => crate::transaction(c, |c| {
        let mut written = 0;
        for chunk in rows.chunks(per) {
            written += M::op_put_rows(c, chunk, action)?;
        }
        c.after_put::<M>()?;
        Ok::<_, Error>(written)
    }))
    .map_err(|e| e.for_model(&M::META))
}

/// What follows writing explicit keys: PostgreSQL's sequence catch-up.
trait AfterPut {
    fn after_put<M: Model>(&mut self) -> QueryResult<()>;
}

impl AfterPut for crate::connection::SqliteConnection {
    // An INTEGER PRIMARY KEY takes the largest key + 1 by itself.
    fn after_put<M: Model>(&mut self) -> QueryResult<()> {
        Ok(())
    }
}

impl AfterPut for crate::connection::PgConnection {
    fn after_put<M: Model>(&mut self) -> QueryResult<()> {
        crate::backend::postgres::catch_up_sequence(self, M::TABLE, M::PRIMARY_KEY)
    }
}
