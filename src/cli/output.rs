//! What the commands print: progress lines as migrations are applied or
//! rolled back, summaries, lists, paths relative to the working directory,
//! and errors.

use std::io::Write;
use std::path::Path;

use crate::Error;
use crate::migrate::{Direction, MigrationError, Report, State, StepReport};

/// One progress line: a migration applied or rolled back.
pub(super) fn progress(out: &mut dyn Write, direction: Direction, done: &StepReport) {
    let verb = match direction {
        Direction::Up => "Applied",
        Direction::Down => "Rolled back",
    };
    let _ = writeln!(
        out,
        "{verb} {} (batch {}, {:.1?})",
        done.name, done.batch, done.duration
    );
}

/// "Nothing to do" when `report` holds nothing.
pub(super) fn summary(out: &mut dyn Write, report: &Report) {
    if report.applied.is_empty() && report.reverted.is_empty() {
        let _ = writeln!(out, "Nothing to do");
    }
}

/// What `migrate repair` cleared.
pub(super) fn repaired(out: &mut dyn Write, repaired: &[(String, State)]) {
    if repaired.is_empty() {
        let _ = writeln!(out, "Nothing to repair: no migration is marked dirty");
    }
    for (name, state) in repaired {
        let _ = writeln!(out, "Cleared the dirty mark of {name}: now {state}");
    }
}

/// Prints each line of `lines` under `title`, when there are any.
pub(super) fn print_list(
    out: &mut dyn Write,
    title: &str,
    lines: impl IntoIterator<Item = String>,
) {
    let lines: Vec<String> = lines.into_iter().collect();
    if !lines.is_empty() {
        let _ = writeln!(out, "{title}");
        for line in lines {
            let _ = writeln!(out, "  - {line}");
        }
    }
}

/// `path` relative to the working directory, for display.
pub(super) fn shown(path: &Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    path.strip_prefix(&cwd)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// `error: …` for a failed command, with the command-line flag that helps
/// when there is one (library messages name API settings, not flags).
pub(super) fn error(err: &mut dyn Write, e: &Error) {
    let _ = writeln!(err, "error: {e}{}", flag_hint(e));
}

/// The flag or setting of this command line that addresses `e`.
fn flag_hint(e: &Error) -> &'static str {
    match e {
        Error::Migration(MigrationError::Modified { .. }) => {
            " (to run anyway, pass `--allow-modified`)"
        }
        Error::Migration(MigrationError::Locked { .. }) => {
            " (to wait longer, pass `--migration-lock-timeout SECS`)"
        }
        Error::Migration(MigrationError::Source { message, .. })
            if message.starts_with("the migrations directory") =>
        {
            " (the directory is `--dir`, else MIGRATION_DIRECTORY, else diesel.toml's `[migrations_directory] dir`, else ./migrations; `glowplug migrate make NAME` needs it too)"
        }
        _ => "",
    }
}
