//! Database set-up shared by the tests (`tests/common/mod.rs`) and the
//! benches (`benches/`, through `#[path]`): the project's migrations, the
//! PostgreSQL server URL, and a fresh schema on it.

use diesel::Connection;
use diesel::connection::SimpleConnection;
use glowplug::{EmbeddedMigrations, PerBackend};

/// The project's own migrations, one directory per backend.
pub const MIGRATIONS: PerBackend<EmbeddedMigrations, EmbeddedMigrations> = glowplug::embed_migrations!(
    sqlite = "migrations/sqlite",
    postgres = "migrations/postgres"
);

// Each harness file brings its own copy, so it can be included alone.
#[allow(clippy::duplicate_mod)]
#[path = "local.rs"]
mod local;
#[allow(unused_imports)] // not every crate that includes this file skips
pub use local::{pg_base_url, skip};

/// Connects to the database at `url`, creating it if it does not exist.
pub fn pg_admin_connection(url: &str) -> Result<diesel::PgConnection, String> {
    // Tests running in parallel may race to create it: whichever loses
    // ("already exists", or a unique violation in the catalog) connects anyway.
    let created = glowplug::create_database(url);
    diesel::PgConnection::establish(url).map_err(|e| match created {
        Err(create) => create.to_string(),
        Ok(_) => e.to_string(),
    })
}

/// (Re)creates `schema` empty and returns a URL on `base` whose connections
/// see only that schema (libpq's `options=-csearch_path=…`).
pub fn pg_fresh_schema(admin: &mut diesel::PgConnection, base: &str, schema: &str) -> String {
    admin
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS \"{schema}\" CASCADE; CREATE SCHEMA \"{schema}\";"
        ))
        .expect("create a fresh schema");
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}options=-csearch_path%3D{schema}")
}

/// For the benches: an admin connection and the URL of a fresh `schema`, or
/// `None`, after a `SKIP postgres benchmarks` line on stdout, when no server answers.
pub fn pg_bench_schema(schema: &str) -> Option<(diesel::PgConnection, String)> {
    let base = pg_base_url();
    match pg_admin_connection(&base) {
        Ok(mut admin) => {
            let url = pg_fresh_schema(&mut admin, &base, schema);
            Some((admin, url))
        }
        Err(e) => {
            println!(
                "SKIP postgres benchmarks: PostgreSQL unreachable at {} ({})",
                glowplug::redact_url(&base),
                e.split_whitespace().collect::<Vec<_>>().join(" ")
            );
            None
        }
    }
}

/// For the benches: [`pg_bench_schema`] plus a connection to the fresh
/// schema with [`MIGRATIONS`] applied: `(admin, connection, url)`.
pub fn pg_bench_migrated(
    schema: &str,
) -> Option<(diesel::PgConnection, diesel::PgConnection, String)> {
    let (admin, url) = pg_bench_schema(schema)?;
    let mut conn = diesel::PgConnection::establish(&url).expect("connect to PostgreSQL");
    glowplug::Migrator::new(&mut conn, MIGRATIONS)
        .run()
        .expect("migrate PostgreSQL");
    Some((admin, conn, url))
}
