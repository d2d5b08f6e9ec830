//! Embedding migrations in the binary: the [`embed_migrations!`](crate::embed_migrations)
//! macro and [`PerBackend`], one source per backend, which its two-directory
//! form builds.

use diesel::migration::MigrationSource as DieselSource;
use diesel::pg::Pg;
use diesel::sqlite::Sqlite;

/// One source per backend: `sqlite` runs on SQLite, `postgres` on PostgreSQL.
///
/// Usually built by `glowplug::embed_migrations!(sqlite = "…", postgres = "…")`,
/// or `PerBackend { sqlite: Dir::new(..), postgres: Dir::new(..) }`.
#[derive(Debug, Clone, Copy)]
pub struct PerBackend<S, P> {
    /// The migrations for SQLite.
    pub sqlite: S,
    /// The migrations for PostgreSQL.
    pub postgres: P,
}

impl<S: DieselSource<Sqlite>, P> DieselSource<Sqlite> for PerBackend<S, P> {
    fn migrations(
        &self,
    ) -> diesel::migration::Result<Vec<Box<dyn diesel::migration::Migration<Sqlite>>>> {
        self.sqlite.migrations()
    }
}

impl<S, P: DieselSource<Pg>> DieselSource<Pg> for PerBackend<S, P> {
    fn migrations(
        &self,
    ) -> diesel::migration::Result<Vec<Box<dyn diesel::migration::Migration<Pg>>>> {
        self.postgres.migrations()
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
