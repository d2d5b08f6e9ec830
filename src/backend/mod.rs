//! What glowplug says differently to each database: the [`Backend`] enum,
//! and a home per backend for the SQL and settings that differ
//! ([`postgres`], [`sqlite`]).
//!
//! This module owns connection settings (what every new connection runs),
//! bind-parameter limits, identifier and string quoting, how diesel names
//! a `RETURNING` list's columns ([`ReturningNames`]), and the few
//! statements glowplug writes by hand outside DDL (SQLite's `BEGIN
//! IMMEDIATE` and foreign-key switch, PostgreSQL's session timeouts,
//! sequence catch-up and `CREATE DATABASE`). What is the same on both
//! backends is written once, here. Column types and DDL belong to
//! [`crate::schema`], the migration ledger and lock to [`crate::migrate`],
//! and running one piece of code on either concrete connection to
//! [`crate::connection`].

pub(crate) mod postgres;
pub(crate) mod sqlite;

/// How diesel names the columns of a `RETURNING` list on each backend:
/// `"users"."id"` on PostgreSQL, `` `id` `` on SQLite. [`UpsertOne`](crate::upsert::UpsertOne)
/// follows it, so its SQL is diesel's for the same upsert.
#[doc(hidden)]
pub trait ReturningNames {
    /// Whether each column is qualified by its table.
    const QUALIFIED: bool;
}

impl ReturningNames for diesel::pg::Pg {
    const QUALIFIED: bool = true;
}

impl ReturningNames for diesel::sqlite::Sqlite {
    const QUALIFIED: bool = false;
}

/// The database backends glowplug supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// SQLite, embedded (the default).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Backend {
    /// The backend's lower-case name (`"sqlite"` or `"postgres"`).
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// The most bind parameters one statement may carry: 65 535 on
    /// PostgreSQL (its wire protocol counts them in 16 bits); on SQLite the
    /// linked library's `SQLITE_MAX_VARIABLE_NUMBER` (32 766 unless the
    /// library was built otherwise), read from the library once per process.
    ///
    /// ```
    /// use glowplug::Backend;
    /// assert_eq!(Backend::Postgres.max_parameters(), 65_535);
    /// assert!(Backend::Sqlite.max_parameters() >= 999);
    /// ```
    pub fn max_parameters(self) -> usize {
        match self {
            Backend::Sqlite => sqlite::max_parameters(),
            Backend::Postgres => postgres::MAX_PARAMETERS,
        }
    }

    /// The most keys one `IN` list (diesel's `eq_any`) may hold: SQLite binds
    /// one parameter per key, PostgreSQL one array (`= ANY($1)`) whatever
    /// the number of keys.
    pub(crate) fn max_keys_per_in_list(self) -> usize {
        match self {
            Backend::Sqlite => sqlite::max_parameters(),
            Backend::Postgres => usize::MAX,
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Words quoted when used as a table, column, index or database name:
/// PostgreSQL's reserved key words (reserved, and those allowed only as a
/// function or type name), which neither backend takes bare everywhere,
/// and `by`, `drop`, `index`, `key` and `set`, which SQLite's parser
/// refuses in some positions. Sorted, for the binary search.
const RESERVED: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "binary",
    "both",
    "by",
    "case",
    "cast",
    "check",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "drop",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "group",
    "having",
    "ilike",
    "in",
    "index",
    "initially",
    "inner",
    "intersect",
    "into",
    "is",
    "isnull",
    "join",
    "key",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "natural",
    "not",
    "notnull",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "outer",
    "overlaps",
    "placing",
    "primary",
    "references",
    "returning",
    "right",
    "select",
    "session_user",
    "set",
    "similar",
    "some",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
];

/// `name` as an SQL identifier (a table, column, index, constraint or
/// database name), the same on both backends: as it is when it is a plain
/// lower-case identifier that is no reserved word, otherwise in double
/// quotes with any `"` doubled. Quoting only where needed keeps the DDL
/// glowplug writes readable; a name that needs no quotes means the same
/// either way.
pub(crate) fn ident(name: &str) -> String {
    let plain = name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain && RESERVED.binary_search(&name).is_err() {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// `text` as an SQL string literal (in single quotes, any `'` doubled), the
/// same on both backends. Not for identifiers: see [`ident`].
pub(crate) fn string_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_words_are_sorted_lower_case_and_unique() {
        assert!(RESERVED.windows(2).all(|w| w[0] < w[1]), "sort RESERVED");
        assert!(
            RESERVED
                .iter()
                .all(|w| w.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        );
    }

    #[test]
    fn identifiers_are_quoted_only_when_needed() {
        for plain in ["users", "_tmp_2", "post_tags"] {
            assert_eq!(ident(plain), plain);
        }
        for (name, quoted) in [
            ("user", r#""user""#),
            ("grant", r#""grant""#),
            ("Users", r#""Users""#),
            ("my-db", r#""my-db""#),
            ("2fa", r#""2fa""#),
            (r#"Weird"Name"#, r#""Weird""Name""#),
        ] {
            assert_eq!(ident(name), quoted);
        }
    }

    #[test]
    fn string_literals_double_their_quotes() {
        assert_eq!(string_literal("it's"), "'it''s'");
        assert_eq!(string_literal(""), "''");
    }

    #[test]
    fn parameter_limits() {
        assert_eq!(Backend::Postgres.max_parameters(), 65_535);
        assert!(Backend::Sqlite.max_parameters() >= 999);
        assert_eq!(
            Backend::Sqlite.max_keys_per_in_list(),
            Backend::Sqlite.max_parameters()
        );
        assert_eq!(Backend::Postgres.max_keys_per_in_list(), usize::MAX);
    }
}
