//! The migration methods of [`Database`](crate::Database), including the
//! one main way to bring a database up to date,
//! [`Database::run_pending_migrations`](crate::Database::run_pending_migrations).

use super::migrator::MigratorConnection;
use super::{MigrationSource, Migrator};
use crate::error::Result;

impl crate::Database {
    /// The main way to migrate: applies every pending migration of `source`
    /// as one batch and returns the versions applied (empty when nothing was
    /// pending). The same as `db.migrator(source).run()` ([`Migrator::run`]).
    ///
    /// For anything else (rolling back, status, pretend, options such as
    /// [`Migrator::allow_modified`], or a connection of your own with
    /// [`Migrator::new`]) use a [`Migrator`].
    ///
    /// ```
    /// use glowplug::prelude::*;
    /// const MIGRATIONS: glowplug::PerBackend<EmbeddedMigrations, EmbeddedMigrations> =
    ///     glowplug::embed_migrations!(sqlite = "migrations/sqlite", postgres = "migrations/postgres");
    ///
    /// let db = Database::connect("sqlite::memory:")?;
    /// let applied = db.run_pending_migrations(MIGRATIONS)?;
    /// assert!(!applied.is_empty());
    /// assert!(db.run_pending_migrations(MIGRATIONS)?.is_empty());
    /// # Ok::<(), glowplug::Error>(())
    /// ```
    pub fn run_pending_migrations<S: MigrationSource>(&self, source: S) -> Result<Vec<String>> {
        let report = self.migrator(source).run()?;
        Ok(report.applied.into_iter().map(|d| d.version).collect())
    }

    /// A [`Migrator`] for `source` on this pool: every operation of the
    /// harness, each taking a connection from the pool.
    pub fn migrator<S: MigrationSource>(&self, source: S) -> Migrator<'_, S> {
        Migrator::with_target(MigratorConnection::Pool(self), source)
    }
}
