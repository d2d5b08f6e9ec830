//! [`Migrator`]: the one type that runs, rolls back, reports on and repairs
//! the migrations of a source, on a pool or on a connection of yours. Each
//! operation loads the source, takes the lock, reconciles the ledger
//! ([`super::plan`]), and hands the plan to [`super::execute`].

use std::time::Duration;

use super::execute::{Direction, Report, StepReport, transaction};
use super::ledger::{self, LedgerRow};
use super::plan::{Reconciled, Rollback};
use super::source::{Migration, MigrationSource};
use super::status::{State, Status};
use super::{DEFAULT_LOCK_TIMEOUT, lock};
use crate::connection::{BackendConnection, DbConnection};
use crate::error::Result;

pub(super) enum MigratorConnection<'a> {
    Pool(&'a crate::Database),
    Borrowed(&'a mut (dyn DbConnection + 'a)),
}

/// Runs, rolls back and reports on the migrations of one source; see the
/// [module docs](crate::migrate).
///
/// Built by [`Database::migrator`](crate::Database::migrator) (each
/// operation takes a connection from the pool) or [`Migrator::new`] (on a
/// connection of yours).
pub struct Migrator<'a, S> {
    pub(super) target: MigratorConnection<'a>,
    pub(super) inner: SourceAndSettings<'a, S>,
}

/// Everything of a [`Migrator`] but its connection.
pub(super) struct SourceAndSettings<'a, S> {
    pub(super) source: S,
    pub(super) allow_modified: bool,
    pub(super) batch_per_migration: bool,
    pub(super) lock_timeout: Duration,
    pub(super) on_done: Option<OnDone<'a>>,
}

/// The callback of [`Migrator::on_done`].
type OnDone<'a> = Box<dyn FnMut(Direction, &StepReport) + 'a>;

impl<S> std::fmt::Debug for Migrator<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Migrator")
            .field("allow_modified", &self.inner.allow_modified)
            .field("batch_per_migration", &self.inner.batch_per_migration)
            .field("lock_timeout", &self.inner.lock_timeout)
            .finish_non_exhaustive()
    }
}

impl<'a, S: MigrationSource> Migrator<'a, S> {
    /// A migrator for `source` on `conn` (any glowplug connection).
    ///
    /// On PostgreSQL the lock is a session lock on this connection; it is
    /// released before each operation returns.
    pub fn new(conn: &'a mut (dyn DbConnection + 'a), source: S) -> Migrator<'a, S> {
        Migrator::with_target(MigratorConnection::Borrowed(conn), source)
    }

    pub(super) fn with_target(target: MigratorConnection<'a>, source: S) -> Migrator<'a, S> {
        Migrator {
            target,
            inner: SourceAndSettings {
                source,
                allow_modified: false,
                batch_per_migration: false,
                lock_timeout: DEFAULT_LOCK_TIMEOUT,
                on_done: None,
            },
        }
    }

    /// Run even though an applied migration's `up.sql` changed since it was
    /// applied (by default [`MigrationError::Modified`](super::MigrationError::Modified) stops the run).
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
    /// [`MigrationError::Locked`](super::MigrationError::Locked) (default [`DEFAULT_LOCK_TIMEOUT`]).
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
    pub fn on_done(mut self, f: impl FnMut(Direction, &StepReport) + 'a) -> Self {
        self.inner.on_done = Some(Box::new(f));
        self
    }

    /// Runs `f` on a connection (from the pool, or the one given).
    pub(super) fn connected<T>(
        &mut self,
        f: impl FnOnce(&mut SourceAndSettings<'a, S>, &mut BackendConnection<'_>) -> Result<T>,
    ) -> Result<T> {
        let Migrator { target, inner } = self;
        match target {
            MigratorConnection::Pool(db) => match db.migration_connection()? {
                Some(mut direct) => f(inner, &mut direct.backend_connection()),
                None => f(inner, &mut db.get()?.backend_connection()),
            },
            MigratorConnection::Borrowed(conn) => f(inner, &mut conn.backend_connection()),
        }
    }

    /// Runs `f` under the lock, with the tables created and reconciled.
    pub(super) fn locked<T>(
        &mut self,
        f: impl FnOnce(
            &mut SourceAndSettings<'a, S>,
            &mut BackendConnection<'_>,
            &[Migration],
            Reconciled,
        ) -> Result<T>,
    ) -> Result<T> {
        let timeout = self.inner.lock_timeout;
        self.connected(|this, conn| {
            let migrations = this.load(conn)?;
            lock::with_lock(conn, timeout, |conn| {
                ledger::ensure_tables(conn)?;
                let state = Reconciled::new(ledger::read(conn)?, &migrations);
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
            let state = Reconciled::new(ledger::read(conn)?, migrations);
            let plan = state.plan_run(migrations, None, this.allow_modified)?;
            let applied = this.apply_all(conn, &plan, &state)?;
            Ok(Report { reverted, applied })
        })
    }

    /// Rolls back what `how` selects (as [`rollback`](Migrator::rollback)
    /// does) and applies exactly those migrations again, as one new batch:
    /// `redo(Rollback::Steps(1))` re-runs the last migration applied.
    pub fn redo(&mut self, how: Rollback) -> Result<Report> {
        self.locked(|this, conn, migrations, state| {
            let undo = state.plan_rollback(migrations, &how)?;
            let reverted = this.revert_all(conn, &undo)?;
            let mut again: Vec<&Migration> = undo.iter().map(|(m, _)| *m).collect();
            again.sort_by(|a, b| a.version().cmp(b.version()));
            let state = Reconciled::new(ledger::read(conn)?, migrations);
            let applied = this.apply_all(conn, &again, &state)?;
            Ok(Report { reverted, applied })
        })
    }

    /// Every migration of the source and of the database with its state.
    /// Reads only: no lock, nothing created.
    pub fn status(&mut self) -> Result<Status> {
        self.connected(|this, conn| {
            let migrations = this.load(conn)?;
            let state = Reconciled::new(ledger::read(conn)?, &migrations);
            Ok(Status::new(conn.backend(), &state, &migrations))
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
