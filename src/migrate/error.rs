//! What can go wrong while reading, running or rolling back migrations:
//! [`MigrationError`], one variant per case, each message saying what to do.

use std::time::Duration;

use crate::error::Error;

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
        /// The error itself: the database's (a unique violation, say) or
        /// the Rust step's.
        #[source]
        source: Box<Error>,
    },

    /// Rolling a migration back failed inside its transaction, which was undone.
    #[error("rolling back {name} failed and was undone (it stays applied): {message}")]
    RollbackFailed {
        /// The migration's name.
        name: String,
        /// What the database or the Rust step said.
        message: String,
        /// The error itself: the database's (a unique violation, say) or
        /// the Rust step's.
        #[source]
        source: Box<Error>,
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
        /// The error itself: the database's (a unique violation, say) or
        /// the Rust step's.
        #[source]
        source: Box<Error>,
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
        "{} changed after being applied (checksum mismatch); restore the file(s) and add a new migration instead, or allow it explicitly (Migrator::allow_modified)",
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
