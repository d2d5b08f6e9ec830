//! The migration harness: [`Migrator`] runs, rolls back and reports on
//! migrations, in batches, under a lock, with checksums.
//!
//! ```
//! use glowplug::migrate::{Rollback, State};
//! use glowplug::prelude::*;
//! const MIGRATIONS: glowplug::PerBackend<EmbeddedMigrations, EmbeddedMigrations> =
//!     glowplug::embed_migrations!(sqlite = "migrations/sqlite", postgres = "migrations/postgres");
//!
//! let db = Database::connect("sqlite::memory:")?;
//! let report = db.migrator(MIGRATIONS).run()?;          // every pending migration, as batch 1
//! assert!(report.applied.iter().all(|m| m.batch == 1));
//! let status = db.migrator(MIGRATIONS).status()?;
//! assert!(status.entries.iter().all(|e| e.state == State::Applied));
//! let undone = db.migrator(MIGRATIONS).rollback(Rollback::LastBatch)?;
//! assert_eq!(undone.reverted.len(), report.applied.len());
//! # Ok::<(), glowplug::Error>(())
//! ```
//!
//! What it does beyond `diesel_migrations`, and how:
//!
//! * **Sources** ([`MigrationSource`]): embedded SQL
//!   ([`embed_migrations!`](crate::embed_migrations)), a directory read at
//!   run time ([`Dir`]), Rust functions ([`RustMigration`]), one source per
//!   backend ([`PerBackend`]). All are ordered by version together.
//! * **Ledger**: diesel's `__diesel_schema_migrations` stays valid (the
//!   diesel CLI agrees on what is applied); glowplug's `glowplug_migrations`
//!   adds name, batch, order, checksum, time and duration, written in the
//!   same transaction as diesel's row.
//! * **Batches**: [`Migrator::run`] applies what is pending as one batch (or
//!   one batch each, [`Migrator::batch_per_migration`]); [`Rollback`] undoes
//!   the last batch in reverse *applied* order (not by highest version), N
//!   steps, one batch, down to a version, or everything.
//! * **Lock**: one migrator at a time per database and schema (advisory lock
//!   on PostgreSQL, a file lock on SQLite; see the `lock` module notes in
//!   [`Migrator::lock_timeout`]).
//! * **Checksums**: SHA-256 of each `up.sql`, line endings normalised; `run`
//!   refuses while an applied migration was edited, unless
//!   [`Migrator::allow_modified`].
//! * **Transactions**: each migration in its own transaction, unless its
//!   `metadata.toml` says `run_in_transaction = false`. A failing migration
//!   is rolled back and stops the run; the ones before it stay applied. One
//!   that fails outside a transaction leaves a *dirty* mark that blocks
//!   further runs until [`Migrator::repair`].
//! * [`Migrator::status`], [`Migrator::pretend`] (the SQL a plan would run,
//!   with its transaction boundaries) and [`make`] (a new timestamped
//!   directory).
//!
//! Every operation that writes takes the lock, reads both tables and
//! reconciles them first (adopting versions the diesel CLI applied as batch 0).
//! On PostgreSQL, a migration that runs outside a transaction must be a
//! single statement for `CREATE INDEX CONCURRENTLY`: PostgreSQL runs several
//! statements sent at once in one implicit transaction.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use diesel::migration::MigrationSource as DieselSource;
use diesel::pg::Pg;
use diesel::sqlite::Sqlite;

use crate::connection::{Backend, BackendConnection, DbConnection};
use crate::error::{Error, Result};

mod ledger;
mod lock;
pub(crate) mod make;
mod source;

pub use ledger::LEDGER_TABLE;
use ledger::LedgerRow;
pub use make::{MAX_NAME_LEN, make, validate_name};
pub use source::{
    Dir, EmbeddedMigrations, Migration, MigrationSource, RustMigration, RustStep, Step, WithRust,
    checksum,
};

/// How long a migrator waits for another one to finish, by default.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// What went wrong while reading, running or rolling back migrations.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MigrationError {
    /// A migration failed inside its transaction, which was rolled back.
    #[error(
        "migration {name} failed and was rolled back (the migrations before it stay applied): {message}"
    )]
    Failed {
        /// The migration's name.
        name: String,
        /// What the database or the Rust step said.
        message: String,
    },

    /// Rolling a migration back failed inside its transaction, which was undone.
    #[error("rolling back {name} failed and was undone (it stays applied): {message}")]
    RollbackFailed {
        /// The migration's name.
        name: String,
        /// What the database or the Rust step said.
        message: String,
    },

    /// A migration that runs outside a transaction failed half-way.
    #[error(
        "migration {name} failed outside a transaction and may be partly done: {message}; fix the database by hand, then run `glowplug migrate repair` to clear its dirty mark"
    )]
    FailedDirty {
        /// The migration's name.
        name: String,
        /// What the database or the Rust step said.
        message: String,
    },

    /// A dirty mark blocks migrating until it is repaired.
    #[error(
        "{} failed outside a transaction earlier and is marked dirty; check the database by hand, then run `glowplug migrate repair` (Migrator::repair) to clear the mark",
        names.join(", ")
    )]
    Dirty {
        /// The dirty migrations.
        names: Vec<String>,
    },

    /// Applied migrations whose `up.sql` changed since they were applied.
    #[error(
        "{} changed after being applied (checksum mismatch); restore the file(s) and add a new migration instead, or allow it explicitly (`--allow-modified`, Migrator::allow_modified)",
        names.join(", ")
    )]
    Modified {
        /// The modified migrations.
        names: Vec<String>,
    },

    /// Another migrator held the lock for the whole timeout.
    #[error(
        "another migrator is running: the migration lock was not free within {waited:.1?}{}; wait for it, or raise the lock timeout",
        holder.as_ref().map(|h| format!(" (held by {h})")).unwrap_or_default()
    )]
    Locked {
        /// How long this migrator waited.
        waited: Duration,
        /// Who holds the lock, when known.
        holder: Option<String>,
    },

    /// A migration without a `down` step was asked to roll back.
    #[error("{name} cannot be rolled back: it has no down.sql (or down function)")]
    Irreversible {
        /// The migration's name.
        name: String,
    },

    /// Applied migrations that the source does not have, so cannot be rolled back.
    #[error(
        "{} applied, but not in the migration source, so its down.sql is unknown; restore the migration files first",
        names.join(", ")
    )]
    Missing {
        /// The versions or names concerned.
        names: Vec<String>,
    },

    /// A target version that no migration has.
    #[error(
        "no migration has version {version}; give a version (`20261120120000`) or a full name from `glowplug migrate status`"
    )]
    UnknownTarget {
        /// The target as given.
        version: String,
    },

    /// `--batch N` for a batch that is not applied.
    #[error("batch {batch} is not applied; `glowplug migrate status` lists the batches")]
    UnknownBatch {
        /// The batch asked for.
        batch: i32,
    },

    /// A migration source could not be read.
    #[error("{path}: {message}")]
    Source {
        /// The directory or file (or "embedded migrations").
        path: String,
        /// What was wrong and how to fix it.
        message: String,
    },

    /// A migration name that cannot be used.
    #[error("invalid migration name `{name}`: {reason}")]
    InvalidName {
        /// The name as given.
        name: String,
        /// What is wrong with it.
        reason: String,
    },

    /// `make` with a name a migration already has.
    #[error("a migration named `{name}` already exists ({existing}); choose another name")]
    DuplicateName {
        /// The name as given.
        name: String,
        /// The existing migration's directory.
        existing: String,
    },

    /// Two migrations of one source share a version.
    #[error(
        "migrations {} share version {version}; rename one so that every version is unique",
        names.join(" and ")
    )]
    DuplicateVersion {
        /// The shared version.
        version: String,
        /// The migrations that have it.
        names: Vec<String>,
    },
}

/// [`MigrationError::Source`] for `path` (a file, a directory, or "embedded
/// migrations"), as an [`Error`].
pub(crate) fn source_error(path: impl std::fmt::Display, message: impl Into<String>) -> Error {
    MigrationError::Source {
        path: path.to_string(),
        message: message.into(),
    }
    .into()
}

/// One source per backend: `sqlite` runs on SQLite, `postgres` on PostgreSQL.
///
/// Usually built by `glowplug::embed_migrations!(sqlite = "…", postgres = "…")`,
/// or `PerBackend { sqlite: Dir::new(..), postgres: Dir::new(..) }`.
#[derive(Debug, Clone, Copy)]
pub struct PerBackend<S, P> {
    /// The migrations for SQLite.
    pub sqlite: S,
    /// The migrations for PostgreSQL.
    pub postgres: P,
}

impl<S: DieselSource<Sqlite>, P> DieselSource<Sqlite> for PerBackend<S, P> {
    fn migrations(
        &self,
    ) -> diesel::migration::Result<Vec<Box<dyn diesel::migration::Migration<Sqlite>>>> {
        self.sqlite.migrations()
    }
}

impl<S, P: DieselSource<Pg>> DieselSource<Pg> for PerBackend<S, P> {
    fn migrations(
        &self,
    ) -> diesel::migration::Result<Vec<Box<dyn diesel::migration::Migration<Pg>>>> {
        self.postgres.migrations()
    }
}

/// Which migrations a rollback undoes, newest applied first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rollback {
    /// The last batch (Laravel's `migrate:rollback`).
    LastBatch,
    /// The last `n` migrations applied, across batches.
    Steps(usize),
    /// Every migration of batch `n`.
    Batch(i32),
    /// Every migration with a version above this one (a version or a full
    /// name; `"0"` means all).
    To(String),
    /// Everything (`reset`).
    All,
}

/// Where a migration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Applied, and its `up.sql` is unchanged since.
    Applied,
    /// Not applied yet.
    Pending,
    /// Applied, but its `up.sql` changed since (checksum mismatch).
    Modified,
    /// Applied, but the source has no such migration.
    Missing,
    /// Failed outside a transaction; needs `repair`.
    Dirty,
}

impl State {
    /// The lower-case word shown in the status table.
    pub fn name(self) -> &'static str {
        match self {
            State::Applied => "applied",
            State::Pending => "pending",
            State::Modified => "modified",
            State::Missing => "missing",
            State::Dirty => "dirty",
        }
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One row of [`Status`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The version diesel records.
    pub version: String,
    /// The full name (the version alone for a missing migration the ledger does not name).
    pub name: String,
    /// Where it stands.
    pub state: State,
    /// The batch it was applied in (0: applied by the diesel CLI before the ledger knew it).
    pub batch: Option<i32>,
    /// When it was applied (UTC).
    pub applied_at: Option<NaiveDateTime>,
    /// How long its `up` step took.
    pub duration: Option<Duration>,
    /// Whether it is a Rust-code migration.
    pub rust: bool,
}

/// Every migration, known to the source or to the database, by version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The backend it was read from.
    pub backend: Backend,
    /// One entry per migration.
    pub entries: Vec<Entry>,
}

impl Status {
    /// The entries in `state`.
    pub fn with_state(&self, state: State) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(move |e| e.state == state)
    }

    /// Whether everything is applied and unchanged: nothing pending,
    /// modified, missing or dirty. `glowplug migrate status --check` exits
    /// non-zero otherwise.
    pub fn is_clean(&self) -> bool {
        self.entries.iter().all(|e| e.state == State::Applied)
    }

    /// The status as an aligned table; `colour` adds ANSI colours to the state.
    pub fn table(&self, colour: bool) -> String {
        let header = [
            "Migration",
            "State",
            "Batch",
            "Applied at (UTC)",
            "Duration",
        ];
        let rows: Vec<[String; 5]> = self
            .entries
            .iter()
            .map(|e| {
                let kind = if e.rust { " (rust)" } else { "" };
                [
                    format!("{}{kind}", e.name),
                    e.state.name().to_owned(),
                    e.batch.map(|b| b.to_string()).unwrap_or_default(),
                    e.applied_at
                        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                        .unwrap_or_default(),
                    e.duration.map(format_duration).unwrap_or_default(),
                ]
            })
            .collect();
        let mut widths = header.map(str::len);
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        let line = |out: &mut String, cells: [&str; 5], state: Option<State>| {
            let mut text = String::new();
            for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
                let pad = w.saturating_sub(cell.chars().count());
                let cell = match (i, state, colour) {
                    (1, Some(s), true) => format!("\x1b[{}m{cell}\x1b[0m", state_colour(s)),
                    _ => (*cell).to_owned(),
                };
                let _ = write!(text, "{cell}{}  ", " ".repeat(pad));
            }
            out.push_str(text.trim_end());
            out.push('\n');
        };
        line(&mut out, header, None);
        let rule = widths.map(|w| "-".repeat(w));
        line(&mut out, rule.each_ref().map(String::as_str), None);
        for (row, entry) in rows.iter().zip(&self.entries) {
            line(
                &mut out,
                row.each_ref().map(String::as_str),
                Some(entry.state),
            );
        }
        let count = |s| self.with_state(s).count();
        let _ = writeln!(
            out,
            "{} migrations: {} applied, {} pending, {} modified, {} missing, {} dirty",
            self.entries.len(),
            count(State::Applied),
            count(State::Pending),
            count(State::Modified),
            count(State::Missing),
            count(State::Dirty)
        );
        out
    }
}

fn state_colour(state: State) -> &'static str {
    match state {
        State::Applied => "32",
        State::Pending => "33",
        State::Modified | State::Dirty => "31",
        State::Missing => "35",
    }
}

/// `1.234s`, `12.3ms` or `45µs`.
fn format_duration(d: Duration) -> String {
    if d >= Duration::from_secs(1) {
        format!("{:.3}s", d.as_secs_f64())
    } else if d >= Duration::from_millis(1) {
        format!("{:.1}ms", d.as_secs_f64() * 1e3)
    } else {
        format!("{}µs", d.as_micros())
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.table(false))
    }
}

/// A migration applied or rolled back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    /// The version diesel records.
    pub version: String,
    /// The full name.
    pub name: String,
    /// The batch it was applied in (for a rollback: the batch it had).
    pub batch: i32,
    /// How long its step took.
    pub duration: Duration,
}

/// Which way a migration went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Applied (`up`).
    Up,
    /// Rolled back (`down`).
    Down,
}

/// What an operation did, in the order it did it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Rolled back, newest first.
    pub reverted: Vec<Done>,
    /// Applied, in order.
    pub applied: Vec<Done>,
}

/// What [`Migrator::pretend`] shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// [`Migrator::run`].
    Run,
    /// [`Migrator::run_to`] this version.
    RunTo(String),
    /// [`Migrator::rollback`].
    Rollback(Rollback),
}

enum Target<'a> {
    Pool(&'a crate::Database),
    Conn(&'a mut (dyn DbConnection + 'a)),
}

/// Runs, rolls back and reports on the migrations of one source; see the
/// [module docs](self).
///
/// Built by [`Database::migrator`](crate::Database::migrator) (each
/// operation takes a connection from the pool) or [`Migrator::new`] (on a
/// connection of yours).
pub struct Migrator<'a, S> {
    target: Target<'a>,
    inner: Inner<'a, S>,
}

/// Everything of a [`Migrator`] but its connection.
struct Inner<'a, S> {
    source: S,
    allow_modified: bool,
    batch_per_migration: bool,
    lock_timeout: Duration,
    on_done: Option<OnDone<'a>>,
}

/// The callback of [`Migrator::on_done`].
type OnDone<'a> = Box<dyn FnMut(Direction, &Done) + 'a>;

impl<S> std::fmt::Debug for Migrator<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Migrator")
            .field("allow_modified", &self.inner.allow_modified)
            .field("batch_per_migration", &self.inner.batch_per_migration)
            .field("lock_timeout", &self.inner.lock_timeout)
            .finish_non_exhaustive()
    }
}

impl crate::Database {
    /// A [`Migrator`] for `source` on this pool.
    pub fn migrator<S: MigrationSource>(&self, source: S) -> Migrator<'_, S> {
        Migrator::with_target(Target::Pool(self), source)
    }
}

/// What the tables say, reconciled with each other.
struct Ledger {
    /// Effective rows by (batch, seq): applied or dirty.
    rows: Vec<LedgerRow>,
    /// Versions in diesel's table.
    applied: HashSet<String>,
    /// Ledger rows to add (adopted from diesel's table).
    adopt: Vec<LedgerRow>,
    /// Ledger rows to drop (diesel no longer lists them).
    stale: Vec<String>,
}

impl Ledger {
    fn new(recorded: ledger::Recorded, migrations: &[Migration]) -> Ledger {
        let applied: HashSet<String> = recorded.diesel.iter().map(|(v, _)| v.clone()).collect();
        let known: HashSet<String> = recorded.ledger.iter().map(|r| r.version.clone()).collect();
        let mut next_seq = recorded.ledger.iter().map(|r| r.seq).max().unwrap_or(0) + 1;
        let (rows, stale): (Vec<_>, Vec<_>) = recorded
            .ledger
            .into_iter()
            .partition(|r| r.dirty || applied.contains(&r.version));
        let by_version: HashMap<&str, &Migration> =
            migrations.iter().map(|m| (m.version(), m)).collect();
        let adopt: Vec<LedgerRow> = recorded
            .diesel
            .iter()
            .filter(|(v, _)| !known.contains(v))
            .map(|(version, run_on)| {
                let m = by_version.get(version.as_str());
                let row = LedgerRow {
                    version: version.clone(),
                    name: m.map_or_else(|| version.clone(), |m| m.name().to_owned()),
                    batch: 0,
                    seq: next_seq,
                    checksum: m.and_then(|m| m.checksum().map(str::to_owned)),
                    applied_at: *run_on,
                    duration_us: 0,
                    dirty: false,
                };
                next_seq += 1;
                row
            })
            .collect();
        let mut rows: Vec<LedgerRow> = rows.into_iter().chain(adopt.iter().cloned()).collect();
        rows.sort_by_key(|r| (r.batch, r.seq));
        Ledger {
            rows,
            applied,
            adopt,
            stale: stale.into_iter().map(|r| r.version).collect(),
        }
    }

    fn next_batch(&self) -> i32 {
        self.rows.iter().map(|r| r.batch).max().unwrap_or(0) + 1
    }

    fn next_seq(&self) -> i64 {
        self.rows.iter().map(|r| r.seq).max().unwrap_or(0) + 1
    }

    fn refuse_dirty(&self) -> Result<()> {
        let dirty: Vec<String> = self
            .rows
            .iter()
            .filter(|r| r.dirty)
            .map(|r| r.name.clone())
            .collect();
        if dirty.is_empty() {
            Ok(())
        } else {
            Err(MigrationError::Dirty { names: dirty }.into())
        }
    }

    fn modified(&self, migrations: &[Migration]) -> Vec<String> {
        let by_version: HashMap<&str, &Migration> =
            migrations.iter().map(|m| (m.version(), m)).collect();
        self.rows
            .iter()
            .filter(|r| !r.dirty)
            .filter(|r| {
                let current = by_version
                    .get(r.version.as_str())
                    .and_then(|m| m.checksum());
                matches!((current, &r.checksum), (Some(now), Some(then)) if now != then)
            })
            .map(|r| r.name.clone())
            .collect()
    }

    /// The migrations `run` would apply, in order.
    fn plan_run<'m>(
        &self,
        migrations: &'m [Migration],
        to: Option<&str>,
        allow_modified: bool,
    ) -> Result<Vec<&'m Migration>> {
        self.refuse_dirty()?;
        let modified = self.modified(migrations);
        if !modified.is_empty() && !allow_modified {
            return Err(MigrationError::Modified { names: modified }.into());
        }
        let limit = match to {
            Some(t) => Some(
                find_version(migrations, &self.rows, t)
                    .ok_or_else(|| MigrationError::UnknownTarget { version: t.into() })?,
            ),
            None => None,
        };
        Ok(migrations
            .iter()
            .filter(|m| !self.applied.contains(m.version()))
            .filter(|m| limit.as_deref().is_none_or(|l| m.version() <= l))
            .collect())
    }

    /// The rows `rollback` would undo, newest applied first, each with its migration.
    fn plan_rollback<'m>(
        &self,
        migrations: &'m [Migration],
        how: &Rollback,
    ) -> Result<Vec<(&'m Migration, LedgerRow)>> {
        self.refuse_dirty()?;
        let mut newest_first: Vec<&LedgerRow> = self.rows.iter().rev().collect();
        match how {
            Rollback::LastBatch => {
                let last = newest_first.first().map(|r| r.batch);
                newest_first.retain(|r| Some(r.batch) == last);
            }
            Rollback::Steps(n) => newest_first.truncate(*n),
            Rollback::Batch(b) => {
                newest_first.retain(|r| r.batch == *b);
                if newest_first.is_empty() {
                    return Err(MigrationError::UnknownBatch { batch: *b }.into());
                }
            }
            Rollback::To(t) => {
                let floor = if t == "0" {
                    String::new()
                } else {
                    find_version(migrations, &self.rows, t)
                        .ok_or_else(|| MigrationError::UnknownTarget { version: t.into() })?
                };
                newest_first.retain(|r| r.version.as_str() > floor.as_str());
            }
            Rollback::All => {}
        }
        let by_version: HashMap<&str, &'m Migration> =
            migrations.iter().map(|m| (m.version(), m)).collect();
        let missing: Vec<String> = newest_first
            .iter()
            .filter(|r| !by_version.contains_key(r.version.as_str()))
            .map(|r| r.name.clone())
            .collect();
        if !missing.is_empty() {
            return Err(MigrationError::Missing { names: missing }.into());
        }
        let plan: Vec<(&'m Migration, LedgerRow)> = newest_first
            .into_iter()
            .map(|r| (by_version[r.version.as_str()], r.clone()))
            .collect();
        if let Some((m, _)) = plan.iter().find(|(m, _)| m.down().is_none()) {
            return Err(MigrationError::Irreversible {
                name: m.name().to_owned(),
            }
            .into());
        }
        Ok(plan)
    }
}

/// The version `target` names: a version or a full name, of the source or the ledger.
fn find_version(migrations: &[Migration], rows: &[LedgerRow], target: &str) -> Option<String> {
    migrations
        .iter()
        .map(|m| (m.version(), m.name()))
        .chain(rows.iter().map(|r| (r.version.as_str(), r.name.as_str())))
        .find(|(v, n)| *v == target || *n == target)
        .map(|(v, _)| v.to_owned())
}

fn transaction<T>(
    conn: &mut BackendConnection<'_>,
    f: impl FnOnce(&mut BackendConnection<'_>) -> Result<T>,
) -> Result<T> {
    match conn {
        BackendConnection::Sqlite(c) => {
            crate::transaction(&mut **c, |c| f(&mut BackendConnection::Sqlite(c)))
        }
        BackendConnection::Postgres(c) => {
            crate::transaction(&mut **c, |c| f(&mut BackendConnection::Postgres(c)))
        }
    }
}

/// Runs a step of a `run_in_transaction = false` migration. Such a step may
/// open its own transaction, and on SQLite switch foreign keys off (a table
/// rebuild does); if it fails halfway, its open transaction is rolled back
/// (on either backend) and foreign-key enforcement is restored, so the
/// connection is left as it was found.
fn exec_outside_transaction(step: &Step, conn: &mut BackendConnection<'_>) -> Result<()> {
    let enforced = match conn {
        BackendConnection::Sqlite(c) => crate::backend::sqlite::foreign_keys(c).unwrap_or(false),
        _ => false,
    };
    let result = exec(step, conn);
    if result.is_err() {
        // No transaction may be open; then ROLLBACK fails (SQLite) or only
        // warns (PostgreSQL), which is fine.
        let _ = conn.batch_execute("ROLLBACK");
        if enforced {
            let _ = conn.batch_execute("PRAGMA foreign_keys = ON");
        }
    }
    result
}

fn exec(step: &Step, conn: &mut BackendConnection<'_>) -> Result<()> {
    match step {
        Step::Sql(sql) => conn.batch_execute(sql),
        Step::Rust(f) => f(conn),
    }
}

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// Applies `m` and records it as `batch`, `seq`.
fn apply(conn: &mut BackendConnection<'_>, m: &Migration, batch: i32, seq: i64) -> Result<Done> {
    let mut row = LedgerRow {
        version: m.version().to_owned(),
        name: m.name().to_owned(),
        batch,
        seq,
        checksum: m.checksum().map(str::to_owned),
        applied_at: crate::timestamp::now(),
        duration_us: 0,
        dirty: false,
    };
    let failed = |e: Error| -> Error {
        MigrationError::Failed {
            name: m.name().to_owned(),
            message: e.to_string(),
        }
        .into()
    };
    let start = Instant::now();
    if m.run_in_transaction() {
        let row = &mut row;
        transaction(conn, |c| {
            exec(m.up(), c)?;
            row.duration_us = micros(start.elapsed());
            ledger::insert_applied(c, row)
        })
        .map_err(failed)?;
    } else {
        row.dirty = true;
        ledger::insert_ledger(conn, &row).map_err(failed)?;
        exec_outside_transaction(m.up(), conn).map_err(|e| MigrationError::FailedDirty {
            name: m.name().to_owned(),
            message: e.to_string(),
        })?;
        row.dirty = false;
        row.duration_us = micros(start.elapsed());
        transaction(conn, |c| {
            ledger::insert_diesel(c, &row.version)?;
            ledger::update_ledger(c, &row)
        })?;
    }
    Ok(Done {
        version: row.version,
        name: row.name,
        batch,
        duration: Duration::from_micros(row.duration_us.unsigned_abs()),
    })
}

/// Rolls `m` back and removes its records.
fn revert(conn: &mut BackendConnection<'_>, m: &Migration, row: &LedgerRow) -> Result<Done> {
    let down = m.down().ok_or_else(|| MigrationError::Irreversible {
        name: m.name().to_owned(),
    })?;
    let start = Instant::now();
    if m.run_in_transaction() {
        transaction(conn, |c| {
            exec(down, c)?;
            ledger::delete(c, &row.version)
        })
        .map_err(|e| MigrationError::RollbackFailed {
            name: m.name().to_owned(),
            message: e.to_string(),
        })?;
    } else {
        let dirty = LedgerRow {
            dirty: true,
            ..row.clone()
        };
        ledger::update_ledger(conn, &dirty)?;
        exec_outside_transaction(down, conn).map_err(|e| MigrationError::FailedDirty {
            name: m.name().to_owned(),
            message: e.to_string(),
        })?;
        transaction(conn, |c| ledger::delete(c, &row.version))?;
    }
    Ok(Done {
        version: row.version.clone(),
        name: row.name.clone(),
        batch: row.batch,
        duration: start.elapsed(),
    })
}

impl<S: MigrationSource> Inner<'_, S> {
    /// The source's migrations for the backend of `conn`, by version.
    fn load(&self, conn: &mut BackendConnection<'_>) -> Result<Vec<Migration>> {
        source::load(&self.source, conn.backend())
    }

    fn report(&mut self, direction: Direction, done: &Done) {
        if let Some(f) = self.on_done.as_mut() {
            f(direction, done);
        }
    }

    fn apply_all(
        &mut self,
        conn: &mut BackendConnection<'_>,
        plan: &[&Migration],
        state: &Ledger,
    ) -> Result<Vec<Done>> {
        let mut batch = state.next_batch();
        let mut applied = Vec::with_capacity(plan.len());
        for (seq, m) in (state.next_seq()..).zip(plan) {
            let done = apply(conn, m, batch, seq)?;
            self.report(Direction::Up, &done);
            applied.push(done);
            if self.batch_per_migration {
                batch += 1;
            }
        }
        Ok(applied)
    }

    fn revert_all(
        &mut self,
        conn: &mut BackendConnection<'_>,
        plan: &[(&Migration, LedgerRow)],
    ) -> Result<Vec<Done>> {
        let mut reverted = Vec::with_capacity(plan.len());
        for (m, row) in plan {
            let done = revert(conn, m, row)?;
            self.report(Direction::Down, &done);
            reverted.push(done);
        }
        Ok(reverted)
    }
}

impl<'a, S: MigrationSource> Migrator<'a, S> {
    /// A migrator for `source` on `conn` (any glowplug connection).
    ///
    /// On PostgreSQL the lock is a session lock on this connection; it is
    /// released before each operation returns.
    pub fn new(conn: &'a mut (dyn DbConnection + 'a), source: S) -> Migrator<'a, S> {
        Migrator::with_target(Target::Conn(conn), source)
    }

    fn with_target(target: Target<'a>, source: S) -> Migrator<'a, S> {
        Migrator {
            target,
            inner: Inner {
                source,
                allow_modified: false,
                batch_per_migration: false,
                lock_timeout: DEFAULT_LOCK_TIMEOUT,
                on_done: None,
            },
        }
    }

    /// Run even though an applied migration's `up.sql` changed since it was
    /// applied (by default [`MigrationError::Modified`] stops the run).
    pub fn allow_modified(mut self, allow: bool) -> Self {
        self.inner.allow_modified = allow;
        self
    }

    /// Give each migration of a run its own batch, so that
    /// [`Rollback::LastBatch`] undoes one at a time (Laravel's `--step`).
    pub fn batch_per_migration(mut self, each: bool) -> Self {
        self.inner.batch_per_migration = each;
        self
    }

    /// How long to wait for another migrator's lock before failing with
    /// [`MigrationError::Locked`] (default [`DEFAULT_LOCK_TIMEOUT`]).
    ///
    /// PostgreSQL: a session-level advisory lock keyed by database and
    /// schema, polled with `pg_try_advisory_lock` (never the blocking form,
    /// which can deadlock with `CREATE INDEX CONCURRENTLY`) and released on
    /// every path. SQLite: an exclusive OS lock on `<database>-glowplug-lock`
    /// beside the file, which the OS drops if the process dies; an in-memory
    /// database needs none.
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.inner.lock_timeout = timeout;
        self
    }

    /// Calls `f` after each migration is applied or rolled back (the CLI
    /// prints them), so progress is visible even if a later one fails.
    pub fn on_done(mut self, f: impl FnMut(Direction, &Done) + 'a) -> Self {
        self.inner.on_done = Some(Box::new(f));
        self
    }

    /// Runs `f` on a connection (from the pool, or the one given).
    fn connected<T>(
        &mut self,
        f: impl FnOnce(&mut Inner<'a, S>, &mut BackendConnection<'_>) -> Result<T>,
    ) -> Result<T> {
        let Migrator { target, inner } = self;
        match target {
            Target::Pool(db) => f(inner, &mut db.get()?.backend_connection()),
            Target::Conn(conn) => f(inner, &mut conn.backend_connection()),
        }
    }

    /// Runs `f` under the lock, with the tables created and reconciled.
    fn locked<T>(
        &mut self,
        f: impl FnOnce(&mut Inner<'a, S>, &mut BackendConnection<'_>, &[Migration], Ledger) -> Result<T>,
    ) -> Result<T> {
        let timeout = self.inner.lock_timeout;
        self.connected(|this, conn| {
            let migrations = this.load(conn)?;
            lock::with_lock(conn, timeout, |conn| {
                ledger::ensure_tables(conn)?;
                let state = Ledger::new(ledger::read(conn)?, &migrations);
                if !state.adopt.is_empty() || !state.stale.is_empty() {
                    transaction(conn, |c| {
                        state
                            .adopt
                            .iter()
                            .try_for_each(|r| ledger::insert_ledger(c, r))?;
                        state
                            .stale
                            .iter()
                            .try_for_each(|v| ledger::delete_ledger(c, v))
                    })?;
                }
                f(this, conn, &migrations, state)
            })
        })
    }

    /// Applies every pending migration, in version order, as one batch.
    pub fn run(&mut self) -> Result<Report> {
        self.run_up(None)
    }

    /// Applies the pending migrations up to and including `version` (a
    /// version or a full name).
    pub fn run_to(&mut self, version: &str) -> Result<Report> {
        self.run_up(Some(version))
    }

    fn run_up(&mut self, to: Option<&str>) -> Result<Report> {
        self.locked(|this, conn, migrations, state| {
            let plan = state.plan_run(migrations, to, this.allow_modified)?;
            let applied = this.apply_all(conn, &plan, &state)?;
            Ok(Report {
                applied,
                ..Report::default()
            })
        })
    }

    /// Rolls back what `how` selects, newest applied first. Nothing is
    /// undone if any selected migration is irreversible or missing from the
    /// source.
    pub fn rollback(&mut self, how: Rollback) -> Result<Report> {
        self.locked(|this, conn, migrations, state| {
            let plan = state.plan_rollback(migrations, &how)?;
            let reverted = this.revert_all(conn, &plan)?;
            Ok(Report {
                reverted,
                ..Report::default()
            })
        })
    }

    /// Rolls back every applied migration.
    pub fn reset(&mut self) -> Result<Report> {
        self.rollback(Rollback::All)
    }

    /// Rolls back everything, then applies everything as batch 1.
    pub fn refresh(&mut self) -> Result<Report> {
        self.locked(|this, conn, migrations, state| {
            let undo = state.plan_rollback(migrations, &Rollback::All)?;
            let reverted = this.revert_all(conn, &undo)?;
            let state = Ledger::new(ledger::read(conn)?, migrations);
            let plan = state.plan_run(migrations, None, this.allow_modified)?;
            let applied = this.apply_all(conn, &plan, &state)?;
            Ok(Report { reverted, applied })
        })
    }

    /// Rolls back the last `steps` migrations applied and applies exactly
    /// those again, as one new batch.
    pub fn redo(&mut self, steps: usize) -> Result<Report> {
        self.locked(|this, conn, migrations, state| {
            let undo = state.plan_rollback(migrations, &Rollback::Steps(steps))?;
            let reverted = this.revert_all(conn, &undo)?;
            let mut again: Vec<&Migration> = undo.iter().map(|(m, _)| *m).collect();
            again.sort_by(|a, b| a.version().cmp(b.version()));
            let state = Ledger::new(ledger::read(conn)?, migrations);
            let applied = this.apply_all(conn, &again, &state)?;
            Ok(Report { reverted, applied })
        })
    }

    /// Every migration of the source and of the database with its state.
    /// Reads only: no lock, nothing created.
    pub fn status(&mut self) -> Result<Status> {
        self.connected(|this, conn| {
            let migrations = this.load(conn)?;
            let state = Ledger::new(ledger::read(conn)?, &migrations);
            let modified: HashSet<String> = state.modified(&migrations).into_iter().collect();
            let known: HashSet<&str> = migrations.iter().map(|m| m.version()).collect();
            let rust: HashSet<&str> = migrations
                .iter()
                .filter(|m| m.is_rust())
                .map(|m| m.version())
                .collect();
            let mut entries: Vec<Entry> = state
                .rows
                .iter()
                .map(|r| Entry {
                    version: r.version.clone(),
                    name: r.name.clone(),
                    state: if r.dirty {
                        State::Dirty
                    } else if !known.contains(r.version.as_str()) {
                        State::Missing
                    } else if modified.contains(&r.name) {
                        State::Modified
                    } else {
                        State::Applied
                    },
                    batch: Some(r.batch),
                    applied_at: Some(r.applied_at),
                    duration: Some(Duration::from_micros(r.duration_us.unsigned_abs())),
                    rust: rust.contains(r.version.as_str()),
                })
                .collect();
            let recorded: HashSet<String> = state.rows.iter().map(|r| r.version.clone()).collect();
            entries.extend(
                migrations
                    .iter()
                    .filter(|m| !recorded.contains(m.version()))
                    .map(|m| Entry {
                        version: m.version().to_owned(),
                        name: m.name().to_owned(),
                        state: State::Pending,
                        batch: None,
                        applied_at: None,
                        duration: None,
                        rust: m.is_rust(),
                    }),
            );
            entries.sort_by(|a, b| a.version.cmp(&b.version));
            Ok(Status {
                backend: conn.backend(),
                entries,
            })
        })
    }

    /// The SQL that `plan` would execute, in order, with its transaction
    /// boundaries, as a SQL script with `--` comments. Reads only: nothing
    /// is executed, locked or created.
    pub fn pretend(&mut self, plan: Plan) -> Result<String> {
        let allow_modified = self.inner.allow_modified;
        let each = self.inner.batch_per_migration;
        self.connected(|this, conn| {
            let migrations = this.load(conn)?;
            let state = Ledger::new(ledger::read(conn)?, &migrations);
            let backend = conn.backend();
            let mut out = String::new();
            match &plan {
                Plan::Run | Plan::RunTo(_) => {
                    let to = match &plan {
                        Plan::RunTo(t) => Some(t.as_str()),
                        _ => None,
                    };
                    let steps = state.plan_run(&migrations, to, allow_modified)?;
                    let _ = writeln!(
                        out,
                        "-- glowplug migrate run on {backend}: {} migration(s); nothing below has been executed",
                        steps.len()
                    );
                    let mut batch = state.next_batch();
                    for m in steps {
                        pretend_step(&mut out, m, m.up(), Direction::Up, batch);
                        if each {
                            batch += 1;
                        }
                    }
                }
                Plan::Rollback(how) => {
                    let steps = state.plan_rollback(&migrations, how)?;
                    let _ = writeln!(
                        out,
                        "-- glowplug migrate rollback on {backend}: {} migration(s); nothing below has been executed",
                        steps.len()
                    );
                    for (m, row) in steps {
                        if let Some(down) = m.down() {
                            pretend_step(&mut out, m, down, Direction::Down, row.batch);
                        }
                    }
                }
            }
            Ok(out)
        })
    }

    /// Clears dirty marks left by migrations that failed outside a
    /// transaction: one that failed while being applied becomes pending
    /// again, one that failed while being rolled back stays applied. Fix the
    /// database by hand first. Returns the migrations cleared and where each
    /// now stands.
    pub fn repair(&mut self) -> Result<Vec<(String, State)>> {
        self.locked(|_, conn, _, state| {
            let dirty: Vec<&LedgerRow> = state.rows.iter().filter(|r| r.dirty).collect();
            transaction(conn, |c| {
                dirty
                    .iter()
                    .map(|r| {
                        if state.applied.contains(&r.version) {
                            let clean = LedgerRow {
                                dirty: false,
                                ..(*r).clone()
                            };
                            ledger::update_ledger(c, &clean)?;
                            Ok((r.name.clone(), State::Applied))
                        } else {
                            ledger::delete_ledger(c, &r.version)?;
                            Ok((r.name.clone(), State::Pending))
                        }
                    })
                    .collect()
            })
        })
    }
}

/// `text` as a SQL string literal.
fn sql_string(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn pretend_step(out: &mut String, m: &Migration, step: &Step, direction: Direction, batch: i32) {
    let word = match direction {
        Direction::Up => "up",
        Direction::Down => "down",
    };
    // Names come from directory names: keep them on their comment line and
    // inside their string literals.
    let comment = m.name().replace(['\n', '\r'], " ");
    let (v, n) = (sql_string(m.version()), sql_string(m.name()));
    let _ = writeln!(out, "\n-- {comment} ({word}, batch {batch})");
    let transactional = m.run_in_transaction();
    if transactional {
        out.push_str("BEGIN;\n");
    } else {
        out.push_str("-- runs outside a transaction (run_in_transaction = false)\n");
    }
    match step.sql() {
        Some(sql) => {
            out.push_str(sql.trim_end());
            out.push('\n');
        }
        None => out.push_str("-- a Rust migration: its statements are known only when it runs\n"),
    }
    let record = match direction {
        Direction::Up => format!(
            "INSERT INTO __diesel_schema_migrations (version) VALUES ({v});\nINSERT INTO {LEDGER_TABLE} (version, name, batch, ...) VALUES ({v}, {n}, {batch}, ...);"
        ),
        Direction::Down => format!(
            "DELETE FROM __diesel_schema_migrations WHERE version = {v};\nDELETE FROM {LEDGER_TABLE} WHERE version = {v};"
        ),
    };
    if !transactional {
        out.push_str("BEGIN;\n");
    }
    out.push_str(&record);
    out.push_str("\nCOMMIT;\n");
}

/// Applies every pending migration of `source` on `conn` as one batch
/// ([`Migrator::run`]) and returns the versions applied (empty when nothing
/// was pending).
pub fn run_pending_migrations<C, S>(conn: &mut C, source: S) -> Result<Vec<String>>
where
    C: DbConnection,
    S: MigrationSource,
{
    let report = Migrator::new(conn, source).run()?;
    Ok(report.applied.into_iter().map(|d| d.version).collect())
}

impl crate::Database {
    /// Applies every pending migration of `source` as one batch (see [`Migrator::run`]).
    ///
    /// ```
    /// use glowplug::prelude::*;
    /// const MIGRATIONS: glowplug::PerBackend<EmbeddedMigrations, EmbeddedMigrations> =
    ///     glowplug::embed_migrations!(sqlite = "migrations/sqlite", postgres = "migrations/postgres");
    ///
    /// let db = Database::connect("sqlite::memory:")?;
    /// let applied = db.run_pending_migrations(MIGRATIONS)?;
    /// assert!(!applied.is_empty());
    /// assert!(db.run_pending_migrations(MIGRATIONS)?.is_empty());
    /// # Ok::<(), glowplug::Error>(())
    /// ```
    pub fn run_pending_migrations<S: MigrationSource>(&self, source: S) -> Result<Vec<String>> {
        let report = self.migrator(source).run()?;
        Ok(report.applied.into_iter().map(|d| d.version).collect())
    }
}

/// Embeds a directory of migrations in the binary.
///
/// * `embed_migrations!()` — the `migrations` directory of the crate (searched
///   upwards from `Cargo.toml`'s directory, like diesel);
/// * `embed_migrations!("path")` — a directory relative to `Cargo.toml`;
/// * `embed_migrations!(sqlite = "path", postgres = "path")` — one directory
///   per backend, as a [`PerBackend`].
///
/// Cargo does not notice new migration directories by itself: add a
/// `build.rs` with `println!("cargo:rerun-if-changed=migrations");` to
/// rebuild when they change.
#[macro_export]
macro_rules! embed_migrations {
    () => {{
        use $crate::__private::diesel_migrations;
        $crate::__private::diesel_migrations::embed_migrations!()
    }};
    ($path:literal) => {{
        use $crate::__private::diesel_migrations;
        $crate::__private::diesel_migrations::embed_migrations!($path)
    }};
    (sqlite = $sqlite:literal, postgres = $postgres:literal $(,)?) => {
        $crate::PerBackend {
            sqlite: $crate::embed_migrations!($sqlite),
            postgres: $crate::embed_migrations!($postgres),
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretend_output_keeps_odd_names_inside_their_comment_and_literals() {
        let m = Migration::sql("20260101000000_it's\nDROP TABLE x", "SELECT 1;", None, true)
            .expect("a valid migration");
        let mut out = String::new();
        pretend_step(
            &mut out,
            &m,
            &Step::Sql("SELECT 1;".into()),
            Direction::Up,
            1,
        );
        assert!(
            out.contains("-- 20260101000000_it's DROP TABLE x (up, batch 1)"),
            "{out}"
        );
        assert!(
            out.contains("'20260101000000_it''s\nDROP TABLE x'"),
            "{out}"
        );
    }
}
