//! Running embedded migrations (the minimal harness).
//!
//! [`embed_migrations!`](crate::embed_migrations) embeds a directory of
//! diesel-style migrations (`<version>_<name>/up.sql`, `down.sql`) into the
//! binary, without the user depending on `diesel_migrations`. Because SQL
//! differs between backends, a project that targets both keeps one directory
//! per backend and embeds them together as [`PerBackend`]; the migrator picks
//! the one that matches the connection.
//!
//! [`run_pending_migrations`] applies what is pending, each migration in its
//! own transaction, and records it in diesel's `__diesel_schema_migrations`
//! table, so the diesel CLI agrees on what is applied. Batches, rollback,
//! status, locking and checksums are the job of the full migration harness.

use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use diesel::sqlite::Sqlite;
use diesel_migrations::MigrationHarness;

use crate::connection::{DbConnection, with_backend};
use crate::error::{Error, Result};

pub use diesel_migrations::EmbeddedMigrations;

/// One migration source per backend: `sqlite` runs on SQLite, `postgres` on PostgreSQL.
///
/// Usually built by `glowplug::embed_migrations!(sqlite = "…", postgres = "…")`.
#[derive(Debug, Clone, Copy)]
pub struct PerBackend<S, P> {
    /// The migrations for SQLite.
    pub sqlite: S,
    /// The migrations for PostgreSQL.
    pub postgres: P,
}

impl<S: MigrationSource<Sqlite>, P> MigrationSource<Sqlite> for PerBackend<S, P> {
    fn migrations(
        &self,
    ) -> diesel::migration::Result<Vec<Box<dyn diesel::migration::Migration<Sqlite>>>> {
        self.sqlite.migrations()
    }
}

impl<S, P: MigrationSource<Pg>> MigrationSource<Pg> for PerBackend<S, P> {
    fn migrations(
        &self,
    ) -> diesel::migration::Result<Vec<Box<dyn diesel::migration::Migration<Pg>>>> {
        self.postgres.migrations()
    }
}

/// Applies every pending migration of `source` on `conn`, in version order,
/// and returns the versions applied (empty when nothing was pending).
///
/// A failing migration is rolled back and stops the run; the ones before it
/// stay applied.
pub fn run_pending_migrations<C, S>(conn: &mut C, source: S) -> Result<Vec<String>>
where
    C: DbConnection + ?Sized,
    S: MigrationSource<Sqlite> + MigrationSource<Pg>,
{
    let applied = with_backend!(conn, c => c
        .run_pending_migrations(source)
        .map(|versions| versions.iter().map(ToString::to_string).collect::<Vec<_>>()));
    applied.map_err(|e| Error::Migration(e.to_string()))
}

impl crate::Database {
    /// Applies every pending migration of `source` (see [`run_pending_migrations`]).
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
    pub fn run_pending_migrations<S>(&self, source: S) -> Result<Vec<String>>
    where
        S: MigrationSource<Sqlite> + MigrationSource<Pg>,
    {
        run_pending_migrations(&mut self.get()?, source)
    }
}

/// Embeds a directory of migrations in the binary.
///
/// * `embed_migrations!()` — the `migrations` directory of the crate (searched
///   upwards from `Cargo.toml`'s directory, like diesel);
/// * `embed_migrations!("path")` — a directory relative to `Cargo.toml`;
/// * `embed_migrations!(sqlite = "path", postgres = "path")` — one directory
///   per backend, as a [`PerBackend`].
///
/// Cargo does not notice new migration directories by itself: add a
/// `build.rs` with `println!("cargo:rerun-if-changed=migrations");` to
/// rebuild when they change.
#[macro_export]
macro_rules! embed_migrations {
    () => {{
        use $crate::__private::diesel_migrations;
        $crate::__private::diesel_migrations::embed_migrations!()
    }};
    ($path:literal) => {{
        use $crate::__private::diesel_migrations;
        $crate::__private::diesel_migrations::embed_migrations!($path)
    }};
    (sqlite = $sqlite:literal, postgres = $postgres:literal $(,)?) => {
        $crate::PerBackend {
            sqlite: $crate::embed_migrations!($sqlite),
            postgres: $crate::embed_migrations!($postgres),
        }
    };
}
