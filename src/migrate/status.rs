//! Where each migration stands ([`State`], [`Entry`], [`Status`]) and the
//! status table, aligned and optionally coloured, that `glowplug migrate
//! status` prints.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::time::Duration;

use chrono::NaiveDateTime;

use super::plan::Reconciled;
use super::source::Migration;
use crate::connection::Backend;

/// Where a migration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
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

impl Status {
    /// The status of `migrations` (the source's) against what the ledger records.
    pub(super) fn new(backend: Backend, state: &Reconciled, migrations: &[Migration]) -> Status {
        let modified: HashSet<String> = state.modified(migrations).into_iter().collect();
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
        Status { backend, entries }
    }
}
