//! The migration harness: [`Migrator`] runs, rolls back and reports on
//! migrations, in batches, under a lock, with checksums.
//!
//! The main way to bring a database up to date is
//! [`Database::run_pending_migrations`](crate::Database::run_pending_migrations);
//! it runs a [`Migrator`], which is there for everything else: rollbacks,
//! status, pretend, options, and a connection of your own ([`Migrator::new`]).
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
//!
//! The module's files, one concern each: `error` ([`MigrationError`]),
//! `source` (where migrations come from), `embed` ([`embed_migrations!`](crate::embed_migrations),
//! [`PerBackend`]), `ledger` (the two tables), `plan` (reconciling them and
//! choosing what to run or undo), `execute` (applying and reverting one
//! migration), `migrator` ([`Migrator`]), `status` ([`Status`] and its
//! table), `pretend`, `lock`, `make` (new migration directories) and
//! `database` (the [`Database`](crate::Database) methods).

use std::time::Duration;

mod database;
mod dir;
mod embed;
mod error;
mod execute;
mod ledger;
mod lock;
pub(crate) mod make;
mod migrator;
mod plan;
mod pretend;
mod source;
mod status;

pub use dir::Dir;
pub use embed::PerBackend;
pub use error::MigrationError;
pub(crate) use error::source_error;
pub use execute::{Direction, Report, StepReport};
pub use ledger::LEDGER_TABLE;
pub(crate) use ledger::LEDGER_TABLES;
pub use make::{MAX_NAME_LEN, WrittenMigration, make, make_migration, validate_name};
pub use migrator::Migrator;
pub use plan::Rollback;
pub use pretend::Operation;
pub use source::{
    EmbeddedMigrations, Migration, MigrationSource, RustMigration, RustStep, Step, WithRust,
    checksum,
};
pub use status::{Entry, State, Status};

/// How long a migrator waits for another one to finish, by default.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(60);
