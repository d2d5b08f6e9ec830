//! [`Migrator::pretend`]: the SQL a run or a rollback would execute, with
//! its transaction boundaries and ledger writes, as a script with `--`
//! comments. Nothing is executed, locked or created.

use crate::backend::string_literal;
use std::fmt::Write as _;

use super::Migrator;
use super::execute::Direction;
use super::ledger::{self, DIESEL_TABLE, LEDGER_TABLE};
use super::plan::{Reconciled, Rollback};
use super::source::{Migration, MigrationSource, Step};
use crate::error::Result;

/// The operation whose SQL [`Migrator::pretend`] shows.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operation {
    /// [`Migrator::run`].
    Run,
    /// [`Migrator::run_to`] this version.
    RunTo(String),
    /// [`Migrator::rollback`].
    Rollback(Rollback),
}

impl<S: MigrationSource> Migrator<'_, S> {
    /// The SQL that `operation` would execute, in order, with its transaction
    /// boundaries, as a SQL script with `--` comments. Reads only: nothing
    /// is executed, locked or created.
    pub fn pretend(&mut self, operation: Operation) -> Result<String> {
        let allow_modified = self.inner.allow_modified;
        let each = self.inner.batch_per_migration;
        self.connected(|this, conn| {
            let migrations = this.load(conn)?;
            let state = Reconciled::new(ledger::read(conn)?, &migrations);
            let backend = conn.backend();
            let mut out = String::new();
            match &operation {
                Operation::Run | Operation::RunTo(_) => {
                    let to = match &operation {
                        Operation::RunTo(t) => Some(t.as_str()),
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
                Operation::Rollback(how) => {
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
}

fn pretend_step(out: &mut String, m: &Migration, step: &Step, direction: Direction, batch: i32) {
    let word = match direction {
        Direction::Up => "up",
        Direction::Down => "down",
    };
    // Names come from directory names: keep them on their comment line and
    // inside their string literals.
    let comment = m.name().replace(['\n', '\r'], " ");
    let (v, n) = (string_literal(m.version()), string_literal(m.name()));
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
            "INSERT INTO {DIESEL_TABLE} (version) VALUES ({v});\nINSERT INTO {LEDGER_TABLE} (version, name, batch, ...) VALUES ({v}, {n}, {batch}, ...);"
        ),
        Direction::Down => format!(
            "DELETE FROM {DIESEL_TABLE} WHERE version = {v};\nDELETE FROM {LEDGER_TABLE} WHERE version = {v};"
        ),
    };
    if !transactional {
        out.push_str("BEGIN;\n");
    }
    out.push_str(&record);
    out.push_str("\nCOMMIT;\n");
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
