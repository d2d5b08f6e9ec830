//! Planning: what the two ledger tables say, reconciled with each other
//! ([`Reconciled`]: versions the diesel CLI applied are adopted, rows it
//! reverted dropped), and the migrations a run applies or a [`Rollback`]
//! undoes, in order.

use std::collections::{HashMap, HashSet};

use super::error::MigrationError;
use super::ledger::{self, LedgerRow};
use super::source::Migration;
use crate::error::Result;

/// Which migrations a rollback undoes, newest applied first.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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

/// What the tables say, reconciled with each other.
pub(super) struct Reconciled {
    /// Effective rows by (batch, seq): applied or dirty.
    pub(super) rows: Vec<LedgerRow>,
    /// Versions in diesel's table.
    pub(super) applied: HashSet<String>,
    /// Reconciled rows to add (adopted from diesel's table).
    pub(super) adopt: Vec<LedgerRow>,
    /// Reconciled rows to drop (diesel no longer lists them).
    pub(super) stale: Vec<String>,
}

impl Reconciled {
    pub(super) fn new(recorded: ledger::Recorded, migrations: &[Migration]) -> Reconciled {
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
        Reconciled {
            rows,
            applied,
            adopt,
            stale: stale.into_iter().map(|r| r.version).collect(),
        }
    }

    pub(super) fn next_batch(&self) -> i32 {
        self.rows.iter().map(|r| r.batch).max().unwrap_or(0) + 1
    }

    pub(super) fn next_seq(&self) -> i64 {
        self.rows.iter().map(|r| r.seq).max().unwrap_or(0) + 1
    }

    pub(super) fn refuse_dirty(&self) -> Result<()> {
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

    pub(super) fn modified(&self, migrations: &[Migration]) -> Vec<String> {
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
    pub(super) fn plan_run<'m>(
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
    pub(super) fn plan_rollback<'m>(
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
