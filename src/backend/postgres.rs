//! PostgreSQL's own SQL and settings: the session settings every pooled
//! connection gets (`statement_timeout`, `lock_timeout`), the bind-parameter
//! limit, moving a key's sequence past explicitly written keys, and
//! creating and dropping databases.
//!
//! Reading URLs and libpq's `connect_timeout` belong to [`crate::url`];
//! opening and pooling connections to [`crate::database`].

use std::time::Duration;

use diesel::QueryResult;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::{ident, string_literal};
use crate::connection::PgConnection;

/// The most parameters one PostgreSQL statement may carry (the wire
/// protocol counts them in 16 bits).
pub(crate) const MAX_PARAMETERS: usize = 65_535;

/// The `SET` statements that give a new connection the pool's
/// `statement_timeout` and `lock_timeout` (whole milliseconds, rounded
/// up), or `None` when neither is set (the server's settings apply).
pub(crate) fn session_sql(
    statement_timeout: Option<Duration>,
    lock_timeout: Option<Duration>,
) -> Option<String> {
    let sets: Vec<String> = [
        ("statement_timeout", statement_timeout),
        ("lock_timeout", lock_timeout),
    ]
    .into_iter()
    .filter_map(|(name, value)| Some(format!("SET {name} = {}", millis_ceil(value?))))
    .collect();
    (!sets.is_empty()).then(|| sets.join("; "))
}

/// Runs a new connection's session settings ([`session_sql`]), if any.
pub(crate) fn configure(conn: &mut PgConnection, session_sql: Option<&str>) -> QueryResult<()> {
    match session_sql {
        Some(sql) => conn.batch_execute(sql),
        None => Ok(()),
    }
}

/// `d` in whole milliseconds, rounded up, as PostgreSQL's timeouts take it.
pub(crate) fn millis_ceil(d: Duration) -> u64 {
    let ms = d.as_millis() + u128::from(!d.subsec_nanos().is_multiple_of(1_000_000));
    u64::try_from(ms).unwrap_or(u64::MAX)
}

/// Moves the sequence behind `table`'s key column `key` past the largest
/// key in the table, after rows were written with explicit keys, so later
/// inserts do not collide with them. Does nothing when the column has no
/// sequence or the sequence is already past.
pub(crate) fn catch_up_sequence(
    conn: &mut PgConnection,
    table: &str,
    key: &str,
) -> QueryResult<()> {
    // pg_get_serial_sequence parses its first argument as SQL (so the table
    // is quoted as an identifier, then as a string) and takes its second
    // literally.
    let table_sql = ident(table);
    diesel::sql_query(format!(
        "SELECT setval(s.seq, s.top) FROM (SELECT pg_get_serial_sequence({}, {}) AS seq, \
         (SELECT MAX({}) FROM {table_sql}) AS top) s \
         WHERE s.seq IS NOT NULL AND s.top > COALESCE(pg_sequence_last_value(s.seq::regclass), 0)",
        string_literal(&table_sql),
        string_literal(key),
        ident(key),
    ))
    .execute(conn)
    .map(drop)
}

mod catalog {
    #![allow(missing_docs)]
    diesel::table! {
        /// PostgreSQL's catalog of databases.
        pg_database (datname) {
            datname -> Text,
        }
    }
}
use catalog::pg_database;

/// Whether the server `admin` is connected to has a database called `name`.
pub(crate) fn database_exists(admin: &mut PgConnection, name: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        pg_database::table.filter(pg_database::datname.eq(name)),
    ))
    .get_result(admin)
}

/// `CREATE DATABASE name`.
pub(crate) fn create_database(admin: &mut PgConnection, name: &str) -> QueryResult<()> {
    admin.batch_execute(&format!("CREATE DATABASE {}", ident(name)))
}

/// `DROP DATABASE name` (it fails while other sessions are connected).
pub(crate) fn drop_database(admin: &mut PgConnection, name: &str) -> QueryResult<()> {
    admin.batch_execute(&format!("DROP DATABASE {}", ident(name)))
}

/// Whether `CREATE DATABASE` failed because the database exists: another
/// process created it between our check and our statement (PostgreSQL then
/// reports `duplicate_database`, or a unique violation on its catalog).
pub(crate) fn already_exists(e: &diesel::result::Error) -> bool {
    match e {
        diesel::result::Error::DatabaseError(kind, info) => {
            matches!(kind, diesel::result::DatabaseErrorKind::UniqueViolation)
                || info.message().ends_with("already exists")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_round_up() {
        assert_eq!(millis_ceil(Duration::from_micros(1)), 1);
        assert_eq!(millis_ceil(Duration::from_millis(1500)), 1500);
        assert_eq!(millis_ceil(Duration::MAX), u64::MAX);
    }

    #[test]
    fn sessions_set_only_what_was_asked() {
        assert_eq!(session_sql(None, None), None);
        let ms = Duration::from_millis;
        assert_eq!(
            session_sql(Some(ms(1500)), None).as_deref(),
            Some("SET statement_timeout = 1500")
        );
        assert_eq!(
            session_sql(Some(ms(1500)), Some(Duration::from_micros(10))).as_deref(),
            Some("SET statement_timeout = 1500; SET lock_timeout = 1")
        );
        assert_eq!(
            session_sql(None, Some(ms(2))).as_deref(),
            Some("SET lock_timeout = 2")
        );
    }
}
