//! [`Dir`]: a diesel-style migrations directory read at run time, strictly
//! (nothing skipped silently, a strict `metadata.toml`), with one directory
//! per backend when the layout has them.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use super::source::{Migration, MigrationSource};
use super::{MigrationError, source_error};
use crate::connection::Backend;
use crate::error::{Error, Result};

/// A diesel-style migrations directory, read when the migrator needs it:
/// one `<version>_<name>/` directory per migration with `up.sql`, an
/// optional `down.sql` and an optional `metadata.toml`.
///
/// Unlike diesel, a `metadata.toml` that cannot be parsed, that has keys
/// other than `run_in_transaction`, or that does not set it (diesel then
/// silently runs the migration outside a transaction) is an error naming the
/// file.
///
/// **Nothing is skipped silently.** Every entry of the directory is one of:
///
/// 1. a hidden entry (its name starts with `.`: `.keep`, `.git`, editor
///    files): skipped;
/// 2. a regular file (`README.md`; a symlink is not a regular file here):
///    skipped;
/// 3. anything else is a migration, and must be a directory, or a symlink
///    that resolves to a directory, named `<version>_<name>` in UTF-8.
///
/// So an entry of the third kind that cannot be read is an error naming the
/// entry, never a migration quietly left out of `status` and `run`: a symlink
/// that cannot be followed (broken, looping, no permission; the OS reason is
/// given), a symlink to something other than a directory, a FIFO, socket or
/// device, and a name that is not UTF-8 (shown with `�`, to be renamed).
/// Inside a migration, an `up.sql`, `down.sql` or `metadata.toml` that is a
/// broken symlink is an error too, not a missing file. diesel's own
/// directory reader (`FileBasedMigrations`) also fails on these entries,
/// except a non-UTF-8 name, which it accepts under a lossy spelling.
///
/// **One directory per backend.** If the directory holds `sqlite/` and
/// `postgres/` sub-directories, the one for the connection's backend is
/// used. If the directory itself is named `sqlite` or `postgres` and a
/// sibling is named after the other backend, the sibling is used on that
/// backend (so `diesel.toml` can point at `migrations/sqlite` while
/// PostgreSQL runs `migrations/postgres`). [`Dir::for_backend`] says which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dir {
    path: PathBuf,
}

impl Dir {
    /// The directory at `path` (not read until the migrator runs).
    pub fn new(path: impl Into<PathBuf>) -> Dir {
        Dir { path: path.into() }
    }

    /// The path given to [`Dir::new`].
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The directory whose migrations run on `backend` (see the type's docs).
    ///
    /// A symlink named after the backend counts even when it cannot be
    /// followed, so that reading it reports why rather than falling back to
    /// another backend's migrations.
    pub fn for_backend(&self, backend: Backend) -> PathBuf {
        let present = |p: &Path| p.is_dir() || is_symlink(p);
        let own = self.path.join(backend.name());
        if present(&own) {
            return own;
        }
        let is_backend_dir = |p: &Path| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n == "sqlite" || n == "postgres")
        };
        if is_backend_dir(&self.path)
            && let Some(sibling) = self.path.parent().map(|p| p.join(backend.name()))
            && present(&sibling)
        {
            return sibling;
        }
        self.path.clone()
    }
}

impl MigrationSource for Dir {
    fn migrations(&self, backend: Backend) -> Result<Vec<Migration>> {
        let dir = self.for_backend(backend);
        match std::fs::metadata(&dir) {
            Ok(meta) if meta.is_dir() => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !is_symlink(&dir) => {
                return Err(source_error(
                    dir.display(),
                    "the migrations directory does not exist; create it, or give the path of the right one",
                ));
            }
            Err(e) => {
                return Err(source_error(
                    dir.display(),
                    format!(
                        "the migrations directory cannot be read: {e}; fix the path or the symlink, or give the path of the right one"
                    ),
                ));
            }
            Ok(_) => {
                return Err(source_error(
                    dir.display(),
                    "the migrations directory is not a directory; give the path of the directory that holds the migrations",
                ));
            }
        }
        let entries =
            std::fs::read_dir(&dir).map_err(|e| source_error(dir.display(), e.to_string()))?;
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| source_error(dir.display(), e.to_string()))?;
            if let Some((path, name)) = migration_entry(&entry)? {
                out.push(read_migration(&path, name)?);
            }
        }
        Ok(out)
    }
}

/// Whether `path` itself (not what it points to) is a symlink.
fn is_symlink(path: &Path) -> bool {
    path.symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink())
}

/// Sorts one entry of a migrations directory by the rule in [`Dir`]'s docs:
/// `None` for a hidden entry or a regular file (skipped), the path and name
/// of a migration directory, or an error naming an entry that would be a
/// migration but cannot be read.
fn migration_entry(entry: &std::fs::DirEntry) -> Result<Option<(PathBuf, String)>> {
    let path = entry.path();
    let file_name = entry.file_name();
    if file_name.to_string_lossy().starts_with('.') {
        return Ok(None);
    }
    let kind = entry.file_type().map_err(|e| {
        source_error(
            path.display(),
            format!("cannot be read: {e}; fix its permissions, or move it out of the migrations directory"),
        )
    })?;
    if kind.is_file() {
        return Ok(None);
    }
    if kind.is_symlink() {
        match std::fs::metadata(&path) {
            Ok(target) if target.is_dir() => {}
            Ok(_) => {
                return Err(source_error(
                    path.display(),
                    "is a symlink to a file, not to a migration directory; point it at a `<version>_<name>` directory, or remove it (a README or other note may stay as a regular file)",
                ));
            }
            Err(e) => {
                return Err(source_error(
                    path.display(),
                    format!(
                        "is a symlink that cannot be followed, so this migration cannot be read: {e}; point it at an existing migration directory, or remove it"
                    ),
                ));
            }
        }
    } else if !kind.is_dir() {
        return Err(source_error(
            path.display(),
            "is neither a migration directory nor a regular file (a FIFO, socket or device); move it out of the migrations directory",
        ));
    }
    let Some(name) = file_name.to_str() else {
        return Err(source_error(
            path.display(),
            "the name is not valid UTF-8 (shown here with `\u{FFFD}`), so it cannot be recorded as a migration; rename it to `<version>_<name>` in UTF-8, e.g. `2026-11-20-120000_create_users`",
        ));
    };
    Ok(Some((path, name.to_owned())))
}

/// The strict form of diesel's `metadata.toml`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Metadata {
    run_in_transaction: Option<bool>,
}

fn read_migration(path: &Path, name: String) -> Result<Migration> {
    let read = |file: &str| -> Result<Option<String>> {
        let p = path.join(file);
        match std::fs::read_to_string(&p) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !is_symlink(&p) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(source_error(
                p.display(),
                format!(
                    "is a symlink whose target does not exist: {e}; point it at the file, or remove it"
                ),
            )),
            Err(e) => Err(source_error(p.display(), e.to_string())),
        }
    };
    let up = read("up.sql")?.ok_or_else(|| {
        source_error(
            path.display(),
            "no up.sql in this migration directory; every migration needs one",
        )
    })?;
    let down = read("down.sql")?;
    let run_in_transaction = match read("metadata.toml")? {
        None => true,
        Some(text) => {
            let file = path.join("metadata.toml");
            let meta: Metadata = toml::from_str(&text).map_err(|e| {
                source_error(file.display(),
                    format!(
                        "cannot be read: {}; it may only contain `run_in_transaction = true` or `= false`",
                        e.message()
                    ),
                )
            })?;
            meta.run_in_transaction.ok_or_else(|| {
                source_error(file.display(),
                    "does not set `run_in_transaction`, which diesel then treats as false; write `run_in_transaction = false` (or `true`), or delete the file",
                )
            })?
        }
    };
    Migration::sql(name, up, down.map(Cow::Owned), run_in_transaction).map_err(|e| match e {
        Error::Migration(MigrationError::InvalidName { reason, .. }) => {
            source_error(path.display(), reason)
        }
        other => other,
    })
}
