//! Applying and reverting one migration at a time: each in its own
//! transaction with its ledger rows, or outside one with a dirty mark that
//! only success clears; and what each step reports ([`StepReport`],
//! [`Report`]).

use std::time::{Duration, Instant};

use super::error::MigrationError;
use super::ledger::{self, LedgerRow};
use super::migrator::SourceAndSettings;
use super::plan::Reconciled;
use super::source::{self, Migration, MigrationSource, Step};
use crate::connection::BackendConnection;
use crate::error::{Error, Result};
use crate::observe::millis;

/// What one step did: a migration applied (`up`) or rolled back (`down`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepReport {
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
#[non_exhaustive]
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
    pub reverted: Vec<StepReport>,
    /// Applied, in order.
    pub applied: Vec<StepReport>,
}

pub(super) fn transaction<T>(
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
        if let (true, BackendConnection::Sqlite(c)) = (enforced, &mut *conn) {
            let _ = crate::backend::sqlite::set_foreign_keys(c, true);
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
fn apply(
    conn: &mut BackendConnection<'_>,
    m: &Migration,
    batch: i32,
    seq: i64,
) -> Result<StepReport> {
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
            source: Box::new(e),
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
            source: Box::new(e),
        })?;
        row.dirty = false;
        row.duration_us = micros(start.elapsed());
        transaction(conn, |c| {
            ledger::insert_diesel(c, &row.version)?;
            ledger::update_ledger(c, &row)
        })?;
    }
    Ok(StepReport {
        version: row.version,
        name: row.name,
        batch,
        duration: Duration::from_micros(row.duration_us.unsigned_abs()),
    })
}

/// Rolls `m` back and removes its records.
fn revert(conn: &mut BackendConnection<'_>, m: &Migration, row: &LedgerRow) -> Result<StepReport> {
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
            source: Box::new(e),
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
            source: Box::new(e),
        })?;
        transaction(conn, |c| ledger::delete(c, &row.version))?;
    }
    Ok(StepReport {
        version: row.version.clone(),
        name: row.name.clone(),
        batch: row.batch,
        duration: start.elapsed(),
    })
}

/// The `tracing` span of one migration step (target `glowplug::migrate`).
fn migration_span(m: &Migration, direction: Direction) -> tracing::Span {
    tracing::info_span!(
        target: "glowplug::migrate",
        "migration",
        version = m.version(),
        name = m.name(),
        direction = ?direction,
        elapsed_ms = tracing::field::Empty,
    )
}

impl<S: MigrationSource> SourceAndSettings<'_, S> {
    /// The source's migrations for the backend of `conn`, by version.
    pub(super) fn load(&self, conn: &mut BackendConnection<'_>) -> Result<Vec<Migration>> {
        source::load(&self.source, conn.backend())
    }

    pub(super) fn report(&mut self, direction: Direction, done: &StepReport) {
        if let Some(f) = self.on_done.as_mut() {
            f(direction, done);
        }
    }

    pub(super) fn apply_all(
        &mut self,
        conn: &mut BackendConnection<'_>,
        plan: &[&Migration],
        state: &Reconciled,
    ) -> Result<Vec<StepReport>> {
        let mut batch = state.next_batch();
        let mut applied = Vec::with_capacity(plan.len());
        for (seq, m) in (state.next_seq()..).zip(plan) {
            let span = migration_span(m, Direction::Up);
            let done = span.in_scope(|| apply(conn, m, batch, seq))?;
            span.record("elapsed_ms", millis(done.duration));
            self.report(Direction::Up, &done);
            applied.push(done);
            if self.batch_per_migration {
                batch += 1;
            }
        }
        Ok(applied)
    }

    pub(super) fn revert_all(
        &mut self,
        conn: &mut BackendConnection<'_>,
        plan: &[(&Migration, LedgerRow)],
    ) -> Result<Vec<StepReport>> {
        let mut reverted = Vec::with_capacity(plan.len());
        for (m, row) in plan {
            let span = migration_span(m, Direction::Down);
            let done = span.in_scope(|| revert(conn, m, row))?;
            span.record("elapsed_ms", millis(done.duration));
            self.report(Direction::Down, &done);
            reverted.push(done);
        }
        Ok(reverted)
    }
}
