//! The migration methods of [`Database`](crate::Database): a [`Migrator`]
//! on the pool, and [`Database::run_pending_migrations`](crate::Database::run_pending_migrations).

use super::migrator::MigratorConnection;
use super::{MigrationSource, Migrator};
use crate::connection::DbConnection;
use crate::error::Result;

impl crate::Database {
    /// A [`Migrator`] for `source` on this pool.
    pub fn migrator<S: MigrationSource>(&self, source: S) -> Migrator<'_, S> {
        Migrator::with_target(MigratorConnection::Pool(self), source)
    }
}

/// Applies every pending migration of `source` on `conn` as one batch
/// ([`Migrator::run`]) and returns the versions applied (empty when nothing
/// was pending).
pub fn run_pending_migrations<C, S>(conn: &mut C, source: S) -> Result<Vec<String>>
where
    C: DbConnection,
    S: MigrationSource,
{
    let report = Migrator::new(conn, source).run()?;
    Ok(report.applied.into_iter().map(|d| d.version).collect())
}

impl crate::Database {
    /// Applies every pending migration of `source` as one batch (see [`Migrator::run`]).
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
}
