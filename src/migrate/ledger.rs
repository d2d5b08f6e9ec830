//! What the database records about applied migrations.
//!
//! Two tables, written in the same transaction for each migration:
//!
//! * diesel's `__diesel_schema_migrations (version, run_on)`, created with
//!   diesel's own definition, so the diesel CLI agrees on what is applied;
//! * glowplug's ledger, `glowplug_migrations (version, name, batch, seq,
//!   checksum, applied_at, duration_us, dirty)`: the batch a migration was
//!   applied in, the order it was applied in (`seq`), the checksum of its
//!   `up` SQL, when it ran and how long it took, and whether a migration
//!   that ran outside a transaction failed half-way (`dirty`).
//!
//! diesel's table says *what* is applied. A version it lists that the
//! ledger does not know (applied by the diesel CLI) is adopted into the
//! ledger as batch 0; a ledger row whose version diesel no longer lists
//! (reverted by the diesel CLI) is dropped, unless it is dirty.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::connection::{BackendConnection, with_backend};
use crate::error::Result;

/// Declares both tables once: the diesel `table!`s, their names as
/// constants and their `CREATE TABLE` statements all come from the two
/// identifiers given here.
macro_rules! ledger_tables {
    ($diesel:ident, $ledger:ident) => {
        diesel::table! {
            /// diesel's own migration table.
            $diesel (version) {
                version -> VarChar,
                run_on -> Timestamp,
            }
        }

        diesel::table! {
            /// glowplug's ledger.
            $ledger (version) {
                version -> VarChar,
                name -> Text,
                batch -> Integer,
                seq -> BigInt,
                checksum -> Nullable<VarChar>,
                applied_at -> Timestamp,
                duration_us -> BigInt,
                dirty -> Bool,
            }
        }

        /// The name of diesel's migration table.
        pub(crate) const DIESEL_TABLE: &str = stringify!($diesel);

        /// The name of glowplug's ledger table.
        pub const LEDGER_TABLE: &str = stringify!($ledger);

        /// diesel's table definition (`diesel_migrations`' `CREATE_MIGRATIONS_TABLE`)
        /// and the ledger's, valid on both backends.
        const CREATE_TABLES: &str = concat!(
            "CREATE TABLE IF NOT EXISTS ",
            stringify!($diesel),
            " (
       version VARCHAR(50) PRIMARY KEY NOT NULL,
       run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE IF NOT EXISTS ",
            stringify!($ledger),
            " (
       version VARCHAR(50) PRIMARY KEY NOT NULL,
       name TEXT NOT NULL,
       batch INTEGER NOT NULL,
       seq BIGINT NOT NULL,
       checksum VARCHAR(64),
       applied_at TIMESTAMP NOT NULL,
       duration_us BIGINT NOT NULL,
       dirty BOOLEAN NOT NULL DEFAULT FALSE
);"
        );
    };
}

ledger_tables!(__diesel_schema_migrations, glowplug_migrations);

/// Both tables: what [`schema::introspect`](crate::schema::introspect)
/// leaves out of the application's schema.
pub(crate) const LEDGER_TABLES: [&str; 2] = [DIESEL_TABLE, LEDGER_TABLE];

/// One ledger row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = glowplug_migrations)]
pub(crate) struct LedgerRow {
    pub version: String,
    pub name: String,
    pub batch: i32,
    pub seq: i64,
    pub checksum: Option<String>,
    pub applied_at: NaiveDateTime,
    pub duration_us: i64,
    pub dirty: bool,
}

/// What both tables hold.
#[derive(Debug, Default)]
pub(crate) struct Recorded {
    /// diesel's rows: version and `run_on`.
    pub diesel: Vec<(String, NaiveDateTime)>,
    /// The ledger, by `seq`.
    pub ledger: Vec<LedgerRow>,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Whether `table` exists (in the search path on PostgreSQL).
fn table_exists(conn: &mut BackendConnection<'_>, table: &str) -> Result<bool> {
    use diesel::sql_types::Text;
    let count = match conn {
        BackendConnection::Sqlite(c) => diesel::sql_query(
            "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?",
        )
        .bind::<Text, _>(table)
        .get_result::<Count>(*c)?,
        BackendConnection::Postgres(c) => diesel::sql_query(
            "SELECT count(*) AS n FROM (SELECT to_regclass($1) AS t) r WHERE t IS NOT NULL",
        )
        .bind::<Text, _>(table)
        .get_result::<Count>(*c)?,
    };
    Ok(count.n > 0)
}

/// Creates both tables if they do not exist.
pub(crate) fn ensure_tables(conn: &mut BackendConnection<'_>) -> Result<()> {
    conn.batch_execute(CREATE_TABLES)
}

/// Reads both tables; empty when they do not exist yet (nothing is created).
pub(crate) fn read(conn: &mut BackendConnection<'_>) -> Result<Recorded> {
    use __diesel_schema_migrations::dsl as d;
    use glowplug_migrations::dsl as g;
    let mut out = Recorded::default();
    if table_exists(conn, DIESEL_TABLE)? {
        out.diesel = with_backend!(conn, c => d::__diesel_schema_migrations
            .select((d::version, d::run_on))
            .order(d::version)
            .load(c))?;
    }
    if table_exists(conn, LEDGER_TABLE)? {
        out.ledger = with_backend!(conn, c => g::glowplug_migrations
            .select(LedgerRow::as_select())
            .order(g::seq)
            .load(c))?;
    }
    Ok(out)
}

/// Records `row` as applied: diesel's row and the ledger row.
pub(crate) fn insert_applied(conn: &mut BackendConnection<'_>, row: &LedgerRow) -> Result<()> {
    use __diesel_schema_migrations::dsl as d;
    with_backend!(conn, c => diesel::insert_into(d::__diesel_schema_migrations)
        .values(d::version.eq(&row.version))
        .execute(c))?;
    insert_ledger(conn, row)
}

/// Writes a ledger row only (a dirty mark, or an adopted diesel row).
pub(crate) fn insert_ledger(conn: &mut BackendConnection<'_>, row: &LedgerRow) -> Result<()> {
    use glowplug_migrations::dsl as g;
    with_backend!(conn, c => diesel::insert_into(g::glowplug_migrations).values(row).execute(c))?;
    Ok(())
}

/// Replaces the ledger row of `row.version` with `row`.
pub(crate) fn update_ledger(conn: &mut BackendConnection<'_>, row: &LedgerRow) -> Result<()> {
    use glowplug_migrations::dsl as g;
    with_backend!(conn, c => diesel::update(g::glowplug_migrations.find(&row.version))
        .set(row)
        .execute(c))?;
    Ok(())
}

/// Adds diesel's row for `version` (finishing a migration run outside a transaction).
pub(crate) fn insert_diesel(conn: &mut BackendConnection<'_>, version: &str) -> Result<()> {
    use __diesel_schema_migrations::dsl as d;
    with_backend!(conn, c => diesel::insert_into(d::__diesel_schema_migrations)
        .values(d::version.eq(version))
        .execute(c))?;
    Ok(())
}

/// Removes `version` from both tables.
pub(crate) fn delete(conn: &mut BackendConnection<'_>, version: &str) -> Result<()> {
    use __diesel_schema_migrations::dsl as d;
    with_backend!(conn, c => diesel::delete(d::__diesel_schema_migrations.find(version)).execute(c))?;
    delete_ledger(conn, version)
}

/// Removes `version` from the ledger only.
pub(crate) fn delete_ledger(conn: &mut BackendConnection<'_>, version: &str) -> Result<()> {
    use glowplug_migrations::dsl as g;
    with_backend!(conn, c => diesel::delete(g::glowplug_migrations.find(version)).execute(c))?;
    Ok(())
}
