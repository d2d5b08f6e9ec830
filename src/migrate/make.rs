//! Writing migration directories, the only place that does: `make NAME` (a
//! new, timestamped, empty migration) and [`make_migration`] (Django's
//! `makemigrations`: the SQL [`schema`](crate::schema) generates from the
//! difference between the models and the database).

use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;

use super::dir::Dir;
use super::{MigrationError, source_error};
use crate::connection::{Backend, DbConnection};
use crate::error::{Error, Result};
use crate::meta::ModelMeta;
use crate::schema::{Difference, compare, migration_sql, models_and_database};

/// The longest migration name [`make`] accepts (without the version).
pub const MAX_NAME_LEN: usize = 64;

/// Checks a migration name for [`make`]: it starts with a lower-case ASCII
/// letter and has only lower-case ASCII letters, digits and `_`, at most
/// [`MAX_NAME_LEN`] characters. The error says what was wrong and suggests a
/// name that would pass.
///
/// ```
/// assert!(glowplug::migrate::validate_name("create_users").is_ok());
/// let err = glowplug::migrate::validate_name("Create Users").unwrap_err();
/// assert!(err.to_string().contains("create_users"));
/// ```
pub fn validate_name(name: &str) -> Result<()> {
    let reason = if name.is_empty() {
        Some("the name is empty")
    } else if name.chars().count() > MAX_NAME_LEN {
        Some("the name is longer than 64 characters")
    } else if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        Some("the name must start with a lower-case letter")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        Some("the name may contain only lower-case letters, digits and `_`")
    } else {
        None
    };
    match reason {
        None => Ok(()),
        Some(reason) => {
            let hint = suggest(name)
                .map(|s| format!("; try `{s}`"))
                .unwrap_or_default();
            Err(MigrationError::InvalidName {
                name: name.to_owned(),
                reason: format!("{reason}{hint}"),
            }
            .into())
        }
    }
}

/// A valid name close to `name`, if there is one.
fn suggest(name: &str) -> Option<String> {
    let mut out = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out: String = out
        .trim_matches('_')
        .trim_start_matches(|c: char| c.is_ascii_digit() || c == '_')
        .chars()
        .take(MAX_NAME_LEN)
        .collect();
    let out = out.trim_end_matches('_').to_owned();
    (!out.is_empty() && out != name).then_some(out)
}

/// Creates `<version>_<name>/up.sql` and `down.sql` in the migrations
/// directory `dir`, the version being `now` as diesel writes it
/// (`%Y-%m-%d-%H%M%S`). Returns the directories created.
///
/// When `dir` holds one directory per backend (see [`Dir`]), the migration is
/// created in each, with the same version. The name is checked with
/// [`validate_name`]; a name some migration already has is refused; if the
/// version is taken (two migrations made in the same second), the next free
/// second is used. `dir` must exist.
pub fn make(dir: &Path, name: &str, now: NaiveDateTime) -> Result<Vec<PathBuf>> {
    make_with(dir, name, now, Backend::Sqlite, &mut |_| Files {
        up: "-- Your SQL goes here\n".into(),
        down: "-- This file should undo anything in `up.sql`\n".into(),
        metadata: None,
    })
}

/// The files of one new migration directory.
pub(crate) struct Files {
    pub(crate) up: String,
    pub(crate) down: String,
    /// `metadata.toml`, when the migration needs one.
    pub(crate) metadata: Option<String>,
}

/// [`make`] with the files `files` gives for each target directory's
/// backend (`single` when `dir` is not split by backend).
pub(crate) fn make_with(
    dir: &Path,
    name: &str,
    now: NaiveDateTime,
    single: Backend,
    files: &mut dyn FnMut(Backend) -> Files,
) -> Result<Vec<PathBuf>> {
    validate_name(name)?;
    let source = Dir::new(dir);
    let mut targets: Vec<(PathBuf, Backend)> = [Backend::Sqlite, Backend::Postgres]
        .into_iter()
        .map(|b| (source.for_backend(b), b))
        .collect();
    if targets[0].0 == targets[1].0 {
        targets = vec![(targets[0].0.clone(), single)];
    }
    let mut taken = Vec::new();
    for (target, _) in &targets {
        if !target.is_dir() {
            return Err(source_error(
                target.display(),
                "the migrations directory does not exist; create it first (`mkdir -p`), or run `glowplug database setup`",
            ));
        }
        for entry in std::fs::read_dir(target).map_err(|e| io(target, e))? {
            let entry = entry.map_err(|e| io(target, e))?;
            let Some(existing) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if existing.split_once('_').is_some_and(|(_, n)| n == name) {
                return Err(MigrationError::DuplicateName {
                    name: name.to_owned(),
                    existing: target.join(&existing).display().to_string(),
                }
                .into());
            }
            taken.push(existing);
        }
    }
    let mut at = now;
    let version = loop {
        let version = at.format("%Y-%m-%d-%H%M%S").to_string();
        if !taken.iter().any(|t| t.starts_with(&format!("{version}_"))) {
            break version;
        }
        at += chrono::Duration::seconds(1);
    };
    let mut created = Vec::new();
    for (target, backend) in &targets {
        let path = target.join(format!("{version}_{name}"));
        let content = files(*backend);
        let written = std::fs::create_dir(&path)
            .and_then(|()| std::fs::write(path.join("up.sql"), &content.up))
            .and_then(|()| std::fs::write(path.join("down.sql"), &content.down))
            .and_then(|()| match &content.metadata {
                Some(m) => std::fs::write(path.join("metadata.toml"), m),
                None => Ok(()),
            });
        if let Err(e) = written {
            // Leave nothing half-made behind.
            for made in created.iter().chain(std::iter::once(&path)) {
                let _ = std::fs::remove_dir_all(made);
            }
            return Err(io(&path, e));
        }
        created.push(path);
    }
    Ok(created)
}

/// What [`make_migration`] wrote.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WrittenMigration {
    /// The migration directories, one per backend directory.
    pub paths: Vec<PathBuf>,
    /// The differences the migration resolves.
    pub differences: Vec<Difference>,
    /// Warnings for the reader (see [`Generated::warnings`](crate::schema::Generated::warnings)).
    pub warnings: Vec<String>,
}

/// Django's `makemigrations`: compares the models with the database `conn`
/// is connected to (migrated to date) and writes a new migration `name`
/// into `dir` with the `up.sql` and `down.sql` that resolve every
/// difference ([`schema::migration_sql`](crate::schema::migration_sql)).
/// When `dir` holds one directory per backend (see [`Dir`]), each gets the
/// SQL for its backend, with one version. Returns `None`, writing nothing,
/// when there is no difference.
pub fn make_migration<C: DbConnection + ?Sized>(
    conn: &mut C,
    models: &[ModelMeta],
    dir: &Path,
    name: &str,
) -> Result<Option<WrittenMigration>> {
    validate_name(name)?;
    let (wanted, live) = models_and_database(conn, models)?;
    let differences = compare(&wanted, &live);
    if differences.is_empty() {
        return Ok(None);
    }
    let backend = conn.backend();
    let mut warnings = Vec::new();
    let paths = make_with(dir, name, crate::timestamp::now(), backend, &mut |target| {
        let g = migration_sql(target, &wanted, &live);
        if target == backend {
            warnings = g.warnings.clone();
        }
        Files {
            up: g.up,
            down: g.down,
            metadata: (!g.run_in_transaction).then(|| "run_in_transaction = false\n".to_owned()),
        }
    })?;
    Ok(Some(WrittenMigration {
        paths,
        differences,
        warnings,
    }))
}

fn io(path: &Path, e: std::io::Error) -> Error {
    source_error(path.display(), e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for good in ["create_users", "a", "add_index_2", &"x".repeat(64)] {
            assert!(validate_name(good).is_ok(), "{good}");
        }
        let cases = [
            ("", "empty", None),
            ("Create Users", "lower-case letter", Some("create_users")),
            ("add-index", "only lower-case", Some("add_index")),
            ("2fast", "start with", Some("fast")),
            ("../escape", "start with", Some("escape")),
            ("créer", "only lower-case", Some("cr_er")),
        ];
        for (bad, reason, hint) in cases {
            let err = validate_name(bad).unwrap_err().to_string();
            assert!(err.contains(reason), "{bad}: {err}");
            if let Some(hint) = hint {
                assert!(err.contains(&format!("try `{hint}`")), "{bad}: {err}");
            }
        }
        let long = validate_name(&"x".repeat(65)).unwrap_err().to_string();
        assert!(long.contains("longer than 64"), "{long}");
    }
}
