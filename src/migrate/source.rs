//! Where migrations come from: embedded SQL, a directory read at run time,
//! and Rust functions, all turned into one list of [`Migration`]s per backend.
//!
//! Every source resolves to the same thing: a [`Migration`] with a version, a
//! name, an `up` and an optional `down` step (SQL text or a Rust function),
//! whether it runs in a transaction, and a checksum of its `up` SQL.
//!
//! * [`EmbeddedMigrations`] (from [`embed_migrations!`](crate::embed_migrations)):
//!   diesel embeds the SQL but does not expose it, so glowplug obtains it by
//!   running each migration against a recording connection that stores the
//!   SQL instead of executing it. diesel reads `metadata.toml` when it embeds,
//!   and treats a file it cannot parse as `run_in_transaction = true`; read
//!   the same directory through [`Dir`] (as `glowplug migrate status` does)
//!   to have such a file reported as the error it is.
//! * [`Dir`]: a diesel-style directory read when the migrator runs, with a
//!   strict `metadata.toml`.
//! * [`RustMigration`]: `up` and `down` functions, merged with another source
//!   by [`MigrationSource::with_rust`] and ordered with it by version.
//! * [`PerBackend`]: one source per backend.

use std::borrow::Cow;
use std::marker::PhantomData;

use diesel::backend::Backend as DieselBackend;
use diesel::connection::{BoxableConnection, SimpleConnection};
use diesel::migration::MigrationSource as DieselSource;
use diesel::pg::Pg;
use diesel::sqlite::Sqlite;
use sha2::{Digest, Sha256};

use super::{MigrationError, PerBackend, source_error};
use crate::connection::{Backend, BackendConnection};
use crate::error::{Error, Result};

pub use diesel_migrations::EmbeddedMigrations;

/// The signature of a Rust migration step: it gets the migration's
/// connection (inside the migration's transaction unless the migration opts
/// out) and returns an error to fail the migration.
pub type RustStep = fn(&mut BackendConnection<'_>) -> Result<()>;

/// One step of a migration: SQL text, or a Rust function.
#[derive(Clone)]
pub enum Step {
    /// SQL run as one batch (`batch_execute`).
    Sql(Cow<'static, str>),
    /// A Rust function run on the migration's connection.
    Rust(RustStep),
}

impl std::fmt::Debug for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::Sql(sql) => f.debug_tuple("Sql").field(&sql.len()).finish(),
            Step::Rust(_) => f.write_str("Rust"),
        }
    }
}

impl Step {
    /// The SQL of this step, when it is SQL.
    pub fn sql(&self) -> Option<&str> {
        match self {
            Step::Sql(sql) => Some(sql),
            Step::Rust(_) => None,
        }
    }
}

/// One migration, resolved from any source.
#[derive(Debug, Clone)]
pub struct Migration {
    name: String,
    version: String,
    up: Step,
    down: Option<Step>,
    run_in_transaction: bool,
    checksum: Option<String>,
}

impl Migration {
    /// A SQL migration named like a diesel migration directory
    /// (`2026-11-20-120000_create_users`).
    pub fn sql(
        name: impl Into<String>,
        up: impl Into<Cow<'static, str>>,
        down: Option<Cow<'static, str>>,
        run_in_transaction: bool,
    ) -> Result<Migration> {
        let name = name.into();
        let version = version_of(&name)?;
        let up = up.into();
        let checksum = Some(checksum(&up));
        Ok(Migration {
            name,
            version,
            up: Step::Sql(up),
            down: down.map(Step::Sql),
            run_in_transaction,
            checksum,
        })
    }

    /// The full name (`2026-11-20-120000_create_users`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The version diesel records: the name up to the first `_`, dashes
    /// removed (`20261120120000`).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The `up` step.
    pub fn up(&self) -> &Step {
        &self.up
    }

    /// The `down` step, if the migration can be rolled back.
    pub fn down(&self) -> Option<&Step> {
        self.down.as_ref()
    }

    /// Whether it runs inside a transaction (`run_in_transaction` in
    /// `metadata.toml`; `true` by default).
    pub fn run_in_transaction(&self) -> bool {
        self.run_in_transaction
    }

    /// The SHA-256 (hex) of the `up` SQL with line endings normalised to
    /// `\n`; `None` for Rust migrations.
    pub fn checksum(&self) -> Option<&str> {
        self.checksum.as_deref()
    }

    /// Whether this is a Rust-code migration.
    pub fn is_rust(&self) -> bool {
        matches!(self.up, Step::Rust(_))
    }
}

/// The checksum glowplug records: SHA-256 (hex) of `sql` with `\r\n` and
/// lone `\r` turned into `\n`, so a checkout with other line endings is not
/// reported as modified.
pub fn checksum(sql: &str) -> String {
    let digest = if sql.contains('\r') {
        Sha256::digest(sql.replace("\r\n", "\n").replace('\r', "\n").as_bytes())
    } else {
        Sha256::digest(sql.as_bytes())
    };
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(2 * digest.len());
    for b in digest {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    out
}

/// The version of a migration name: the part before the first `_`, with
/// dashes removed; it must be digits (diesel's `%Y-%m-%d-%H%M%S` form or any
/// other number) and at most 50 characters (diesel's column).
pub(crate) fn version_of(name: &str) -> Result<String> {
    let bad = |reason: &str| {
        Error::from(MigrationError::InvalidName {
            name: name.to_owned(),
            reason: reason.to_owned(),
        })
    };
    let (prefix, rest) = name.split_once('_').ok_or_else(|| {
        bad("a migration is named `<version>_<name>`, e.g. `2026-11-20-120000_create_users`")
    })?;
    let version: String = prefix.chars().filter(|c| *c != '-').collect();
    if version.is_empty() || !version.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad(
            "the version (before the first `_`) must be digits and dashes, e.g. `2026-11-20-120000`",
        ));
    }
    if version.len() > 50 {
        return Err(bad("the version is longer than diesel's 50 characters"));
    }
    if rest.is_empty() {
        return Err(bad("the name after the version is empty"));
    }
    Ok(version)
}

/// A source of migrations for glowplug's [`Migrator`](super::Migrator).
pub trait MigrationSource {
    /// The migrations for `backend`, in any order (the migrator sorts them by
    /// version and refuses duplicates).
    fn migrations(&self, backend: Backend) -> Result<Vec<Migration>>;

    /// This source together with Rust-code migrations, ordered by version.
    ///
    /// ```
    /// use glowplug::migrate::{MigrationSource, RustMigration};
    /// use glowplug::{BackendConnection, EmbeddedMigrations};
    ///
    /// fn seed(conn: &mut BackendConnection<'_>) -> glowplug::Result<()> {
    ///     conn.batch_execute("INSERT INTO categories (name) VALUES ('general')")
    /// }
    /// fn unseed(conn: &mut BackendConnection<'_>) -> glowplug::Result<()> {
    ///     conn.batch_execute("DELETE FROM categories WHERE name = 'general'")
    /// }
    /// static RUST: [RustMigration; 1] = [RustMigration::new("2026-11-22-000000_seed", seed, Some(unseed))];
    /// const SQL: glowplug::PerBackend<EmbeddedMigrations, EmbeddedMigrations> =
    ///     glowplug::embed_migrations!(sqlite = "migrations/sqlite", postgres = "migrations/postgres");
    ///
    /// let db = glowplug::Database::connect(":memory:")?;
    /// let report = db.migrator(SQL.with_rust(&RUST)).run()?;
    /// assert_eq!(report.applied.last().unwrap().name, "2026-11-22-000000_seed");
    /// # Ok::<(), glowplug::Error>(())
    /// ```
    fn with_rust(self, rust: &'static [RustMigration]) -> WithRust<Self>
    where
        Self: Sized,
    {
        WithRust { sql: self, rust }
    }
}

impl<T: MigrationSource + ?Sized> MigrationSource for &T {
    fn migrations(&self, backend: Backend) -> Result<Vec<Migration>> {
        (**self).migrations(backend)
    }
}

impl<S: MigrationSource, P: MigrationSource> MigrationSource for PerBackend<S, P> {
    fn migrations(&self, backend: Backend) -> Result<Vec<Migration>> {
        match backend {
            Backend::Sqlite => self.sqlite.migrations(backend),
            Backend::Postgres => self.postgres.migrations(backend),
        }
    }
}

impl MigrationSource for EmbeddedMigrations {
    fn migrations(&self, backend: Backend) -> Result<Vec<Migration>> {
        match backend {
            Backend::Sqlite => record::<Sqlite>(self),
            Backend::Postgres => record::<Pg>(self),
        }
    }
}

/// A connection that keeps the SQL it is given instead of running it.
struct Recorder<DB> {
    sql: Option<String>,
    backend: PhantomData<DB>,
}

impl<DB: 'static> SimpleConnection for Recorder<DB> {
    fn batch_execute(&mut self, query: &str) -> diesel::QueryResult<()> {
        self.sql.get_or_insert_default().push_str(query);
        Ok(())
    }
}

impl<DB: DieselBackend + 'static> BoxableConnection<DB> for Recorder<DB> {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
        self
    }
}

/// The SQL of diesel's embedded migrations, taken from a recording connection.
fn record<DB: DieselBackend + 'static>(source: &EmbeddedMigrations) -> Result<Vec<Migration>>
where
    EmbeddedMigrations: DieselSource<DB>,
{
    let embedded = |message: String| source_error("embedded migrations", message);
    let migrations = DieselSource::<DB>::migrations(source).map_err(|e| embedded(e.to_string()))?;
    migrations
        .iter()
        .map(|m| {
            let name = m.name().to_string();
            let mut rec = Recorder::<DB> {
                sql: None,
                backend: PhantomData,
            };
            m.run(&mut rec)
                .map_err(|e| embedded(format!("{name}: {e}")))?;
            let up = rec.sql.take().unwrap_or_default();
            // diesel's embedded `revert` fails only when there is no down.sql.
            let down = m
                .revert(&mut rec)
                .ok()
                .map(|()| rec.sql.take().unwrap_or_default());
            Migration::sql(
                name,
                up,
                down.map(Cow::Owned),
                m.metadata().run_in_transaction(),
            )
        })
        .collect()
}

/// A migration written in Rust: `up` and `down` functions that get the
/// migration's connection. It is ordered with the SQL migrations of the same
/// source by its version (the name's prefix), runs in a transaction unless
/// [`RustMigration::without_transaction`] is used, and has no checksum.
#[derive(Clone, Copy)]
pub struct RustMigration {
    name: &'static str,
    up: RustStep,
    down: Option<RustStep>,
    run_in_transaction: bool,
}

impl std::fmt::Debug for RustMigration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RustMigration")
            .field("name", &self.name)
            .field("reversible", &self.down.is_some())
            .field("run_in_transaction", &self.run_in_transaction)
            .finish()
    }
}

impl RustMigration {
    /// A Rust migration named like a migration directory
    /// (`2026-11-22-000000_backfill_slugs`); `down: None` makes it
    /// irreversible (rolling it back is refused).
    pub const fn new(name: &'static str, up: RustStep, down: Option<RustStep>) -> RustMigration {
        RustMigration {
            name,
            up,
            down,
            run_in_transaction: true,
        }
    }

    /// The same migration, run outside a transaction.
    pub const fn without_transaction(mut self) -> RustMigration {
        self.run_in_transaction = false;
        self
    }

    /// Its name.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    fn resolve(&self) -> Result<Migration> {
        Ok(Migration {
            name: self.name.to_owned(),
            version: version_of(self.name)?,
            up: Step::Rust(self.up),
            down: self.down.map(Step::Rust),
            run_in_transaction: self.run_in_transaction,
            checksum: None,
        })
    }
}

impl MigrationSource for [RustMigration] {
    fn migrations(&self, _backend: Backend) -> Result<Vec<Migration>> {
        self.iter().map(RustMigration::resolve).collect()
    }
}

/// A source together with Rust migrations; built by [`MigrationSource::with_rust`].
#[derive(Debug, Clone, Copy)]
pub struct WithRust<S> {
    sql: S,
    rust: &'static [RustMigration],
}

impl<S: MigrationSource> MigrationSource for WithRust<S> {
    fn migrations(&self, backend: Backend) -> Result<Vec<Migration>> {
        let mut all = self.sql.migrations(backend)?;
        all.extend(self.rust.migrations(backend)?);
        Ok(all)
    }
}

/// `source`'s migrations for `backend`, sorted by version, duplicates refused.
pub(crate) fn load(source: &dyn MigrationSource, backend: Backend) -> Result<Vec<Migration>> {
    let mut all = source.migrations(backend)?;
    all.sort_by(|a, b| a.version.cmp(&b.version).then_with(|| a.name.cmp(&b.name)));
    if let Some(pair) = all.windows(2).find(|w| w[0].version == w[1].version) {
        return Err(MigrationError::DuplicateVersion {
            version: pair[0].version.clone(),
            names: vec![pair[0].name.clone(), pair[1].name.clone()],
        }
        .into());
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_ignores_line_endings() {
        let unix = checksum("CREATE TABLE t (id INT);\nDROP TABLE x;\n");
        assert_eq!(
            unix,
            checksum("CREATE TABLE t (id INT);\r\nDROP TABLE x;\r\n")
        );
        assert_eq!(unix, checksum("CREATE TABLE t (id INT);\rDROP TABLE x;\r"));
        assert_ne!(
            unix,
            checksum("CREATE TABLE t (id BIGINT);\nDROP TABLE x;\n")
        );
        assert_eq!(unix.len(), 64);
    }

    #[test]
    fn versions_follow_diesel() {
        assert_eq!(
            version_of("2026-11-20-120000_create_users").unwrap(),
            "20261120120000"
        );
        assert_eq!(
            version_of("00000000000000_diesel_initial_setup").unwrap(),
            "00000000000000"
        );
        assert_eq!(version_of("12_a_b").unwrap(), "12");
        for bad in ["create_users", "2026", "2026-11-20_", "v1_x", "_x"] {
            let err = version_of(bad).unwrap_err().to_string();
            assert!(err.contains(bad), "{err}");
        }
    }
}
