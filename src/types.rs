//! The column-type table for run-time code: for each [`ColumnType`], its
//! `model!` keyword, its Rust and diesel types, its name in each backend's
//! DDL, the names each backend's catalog reports for it, and its row in the
//! `model!` docs.
//!
//! DDL ([`crate::schema`]), introspection, the drift checks and
//! `glowplug generate model` ([`crate::scaffold`]) read this table; the
//! macro layer reads its mirror, `__glowplug_type!` in `macros/types.rs`,
//! and `tests/type_table.rs` checks that the two agree (a model with one
//! column of every keyword, its metadata and DDL). Adding a type is one
//! entry here, one rule there, and tests.
//!
//! The SQL types glowplug defines itself, for types diesel maps differently
//! per backend or not at all on SQLite, are in [`crate::sql_types`].

use std::fmt;
use std::mem::discriminant;

use crate::connection::Backend;
use crate::meta::ColumnType;

/// What a type keyword takes in parentheses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Args {
    /// Nothing.
    None,
    /// An optional maximum length: `varchar`, `varchar(N)`.
    Length,
    /// Precision and scale, required: `decimal(P, S)`.
    PrecisionScale,
}

/// How default values and literals of the type are read and compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// An integer: literals as `i64`.
    Integer,
    /// A float: literals as `f64`.
    Float,
    /// `true` / `false`.
    Bool,
    /// Text: Rust string literals become SQL strings.
    Text,
    /// Anything else: defaults are applied by glowplug on insert only.
    Other,
}

/// One type of the table.
#[derive(Debug)]
pub(crate) struct TypeInfo {
    /// A value of the type, arguments aside: the entry is found by its variant.
    pub sample: ColumnType,
    /// The `model!` keyword (and `generate model` spec name).
    pub keyword: &'static str,
    /// Other keywords for the same type.
    pub aliases: &'static [&'static str],
    /// What the keyword takes in parentheses.
    pub args: Args,
    /// How literals of the type are read.
    pub class: Class,
    /// diesel's SQL type (for the docs: the `table!` type `model!` writes).
    #[cfg_attr(not(test), allow(dead_code))]
    pub diesel: &'static str,
    /// The field's Rust type, as the docs show it.
    #[cfg_attr(not(test), allow(dead_code))]
    pub rust: &'static str,
    /// The name in PostgreSQL DDL (arguments appended).
    pub pg: &'static str,
    /// The name in SQLite DDL (arguments appended).
    pub sqlite: &'static str,
    /// What PostgreSQL's `format_type` reports, arguments aside.
    pub pg_names: &'static [&'static str],
    /// Declared SQLite types read as this type (upper case, arguments aside).
    pub sqlite_names: &'static [&'static str],
}

/// Every type `model!` declares, in the order of the docs table.
pub(crate) const TYPES: &[TypeInfo] = &[
    TypeInfo {
        sample: ColumnType::Integer,
        keyword: "int",
        aliases: &["integer"],
        args: Args::None,
        class: Class::Integer,
        diesel: "Integer",
        rust: "i32",
        pg: "INTEGER",
        sqlite: "INTEGER",
        pg_names: &["integer"],
        sqlite_names: &["INTEGER", "INT"],
    },
    TypeInfo {
        sample: ColumnType::BigInt,
        keyword: "bigint",
        aliases: &[],
        args: Args::None,
        class: Class::Integer,
        diesel: "BigInt",
        rust: "i64",
        pg: "BIGINT",
        sqlite: "BIGINT",
        pg_names: &["bigint"],
        sqlite_names: &["BIGINT"],
    },
    TypeInfo {
        sample: ColumnType::SmallInt,
        keyword: "smallint",
        aliases: &[],
        args: Args::None,
        class: Class::Integer,
        diesel: "SmallInt",
        rust: "i16",
        pg: "SMALLINT",
        sqlite: "SMALLINT",
        pg_names: &["smallint"],
        sqlite_names: &["SMALLINT"],
    },
    TypeInfo {
        sample: ColumnType::Float,
        keyword: "float",
        aliases: &[],
        args: Args::None,
        class: Class::Float,
        diesel: "Float",
        rust: "f32",
        pg: "REAL",
        sqlite: "REAL",
        pg_names: &["real"],
        sqlite_names: &["REAL", "FLOAT"],
    },
    TypeInfo {
        sample: ColumnType::Double,
        keyword: "double",
        aliases: &[],
        args: Args::None,
        class: Class::Float,
        diesel: "Double",
        rust: "f64",
        pg: "DOUBLE PRECISION",
        sqlite: "DOUBLE",
        pg_names: &["double precision"],
        sqlite_names: &["DOUBLE", "DOUBLE PRECISION"],
    },
    TypeInfo {
        sample: ColumnType::Bool,
        keyword: "bool",
        aliases: &[],
        args: Args::None,
        class: Class::Bool,
        diesel: "Bool",
        rust: "bool",
        pg: "BOOLEAN",
        sqlite: "BOOLEAN",
        pg_names: &["boolean"],
        sqlite_names: &["BOOLEAN", "BOOL"],
    },
    TypeInfo {
        sample: ColumnType::Text,
        keyword: "text",
        aliases: &[],
        args: Args::None,
        class: Class::Text,
        diesel: "Text",
        rust: "String",
        pg: "TEXT",
        sqlite: "TEXT",
        pg_names: &["text"],
        sqlite_names: &["TEXT"],
    },
    TypeInfo {
        sample: ColumnType::Varchar(None),
        keyword: "varchar",
        aliases: &[],
        args: Args::Length,
        class: Class::Text,
        diesel: "Text",
        rust: "String",
        pg: "VARCHAR",
        sqlite: "VARCHAR",
        pg_names: &["character varying"],
        sqlite_names: &["VARCHAR"],
    },
    TypeInfo {
        sample: ColumnType::Timestamp,
        keyword: "timestamp",
        aliases: &[],
        args: Args::None,
        class: Class::Other,
        diesel: "Timestamp",
        rust: "chrono::NaiveDateTime",
        pg: "TIMESTAMP",
        sqlite: "TIMESTAMP",
        pg_names: &["timestamp without time zone"],
        sqlite_names: &["TIMESTAMP", "DATETIME"],
    },
    TypeInfo {
        sample: ColumnType::TimestampTz,
        keyword: "timestamptz",
        aliases: &[],
        args: Args::None,
        class: Class::Other,
        diesel: "glowplug::sql_types::TimestampTz",
        rust: "glowplug::UtcDateTime",
        pg: "TIMESTAMPTZ",
        sqlite: "TIMESTAMPTZ",
        pg_names: &["timestamp with time zone"],
        sqlite_names: &["TIMESTAMPTZ"],
    },
    TypeInfo {
        sample: ColumnType::Date,
        keyword: "date",
        aliases: &[],
        args: Args::None,
        class: Class::Other,
        diesel: "Date",
        rust: "chrono::NaiveDate",
        pg: "DATE",
        sqlite: "DATE",
        pg_names: &["date"],
        sqlite_names: &["DATE"],
    },
    TypeInfo {
        sample: ColumnType::Time,
        keyword: "time",
        aliases: &[],
        args: Args::None,
        class: Class::Other,
        diesel: "Time",
        rust: "chrono::NaiveTime",
        pg: "TIME",
        sqlite: "TIME",
        pg_names: &["time without time zone"],
        sqlite_names: &["TIME"],
    },
    TypeInfo {
        sample: ColumnType::Binary,
        keyword: "binary",
        aliases: &[],
        args: Args::None,
        class: Class::Other,
        diesel: "Binary",
        rust: "Vec<u8>",
        pg: "BYTEA",
        sqlite: "BLOB",
        pg_names: &["bytea"],
        sqlite_names: &["BLOB", "BINARY"],
    },
    TypeInfo {
        sample: ColumnType::Json,
        keyword: "json",
        aliases: &[],
        args: Args::None,
        class: Class::Other,
        diesel: "Json",
        rust: "serde_json::Value",
        pg: "JSON",
        sqlite: "JSON",
        pg_names: &["json"],
        sqlite_names: &["JSON"],
    },
    TypeInfo {
        sample: ColumnType::Uuid,
        keyword: "uuid",
        aliases: &[],
        args: Args::None,
        class: Class::Other,
        diesel: "glowplug::sql_types::Uuid",
        rust: "glowplug::Uuid",
        pg: "UUID",
        sqlite: "UUID",
        pg_names: &["uuid"],
        sqlite_names: &["UUID"],
    },
    TypeInfo {
        sample: ColumnType::Decimal(0, 0),
        keyword: "decimal",
        aliases: &[],
        args: Args::PrecisionScale,
        class: Class::Other,
        diesel: "glowplug::sql_types::ExactDecimal<P, S>",
        rust: "glowplug::Decimal",
        pg: "NUMERIC",
        sqlite: "DECIMAL_TEXT",
        pg_names: &["numeric"],
        sqlite_names: &["DECIMAL_TEXT"],
    },
];

/// The table's entry for `ty`; `None` for [`ColumnType::Other`].
pub(crate) fn info(ty: &ColumnType) -> Option<&'static TypeInfo> {
    TYPES
        .iter()
        .find(|t| discriminant(&t.sample) == discriminant(ty))
}

/// The entry whose keyword (or alias) is `word`.
pub(crate) fn by_keyword(word: &str) -> Option<&'static TypeInfo> {
    TYPES
        .iter()
        .find(|t| t.keyword == word || t.aliases.contains(&word))
}

impl TypeInfo {
    /// The type with arguments `arg` (`None`: no parentheses); an error
    /// says what the keyword takes.
    pub(crate) fn with_args(&self, arg: Option<&str>) -> Result<ColumnType, String> {
        match (self.args, arg) {
            (Args::PrecisionScale, None) => Err(format!(
                "`{}` needs a precision and a scale: `{}(P, S)`",
                self.keyword, self.keyword
            )),
            (Args::PrecisionScale, Some(a)) => {
                let parts: Vec<Option<u32>> = a.split(',').map(|n| n.trim().parse().ok()).collect();
                match parts.as_slice() {
                    [Some(p), Some(s)] if *p > 0 && s <= p => Ok(ColumnType::Decimal(*p, *s)),
                    _ => Err(format!(
                        "`{}({a})` needs a precision P > 0 and a scale S <= P: `{}(P, S)`",
                        self.keyword, self.keyword
                    )),
                }
            }
            (_, None) => Ok(self.sample.clone()),
            (Args::Length, Some(n)) => n
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| *n > 0)
                .map(|n| ColumnType::Varchar(Some(n)))
                .ok_or_else(|| format!("`{}({n})` needs a positive length", self.keyword)),
            (Args::None, Some(a)) => Err(format!("`{}` takes no `({a})`", self.keyword)),
        }
    }

    /// The row of the `model!` docs table for this type.
    #[cfg(test)]
    pub(crate) fn docs_row(&self) -> String {
        let mut words = vec![format!("`{}`", self.keyword)];
        words.extend(self.aliases.iter().map(|a| format!("`{a}`")));
        match self.args {
            Args::Length => words.push(format!("`{}(N)`", self.keyword)),
            Args::PrecisionScale => words = vec![format!("`{}(P, S)`", self.keyword)],
            Args::None => {}
        }
        format!(
            "| {} | `{}` | `{}` | `{}` | `{}` |",
            words.join(", "),
            self.diesel,
            self.rust,
            self.pg,
            self.sqlite
        )
    }
}

impl ColumnType {
    /// The table's class of the type (how its literals read).
    pub(crate) fn class(&self) -> Class {
        info(self).map_or(Class::Other, |t| t.class)
    }

    /// Whether the type is an integer.
    pub(crate) fn is_integer(&self) -> bool {
        self.class() == Class::Integer
    }

    /// Whether the type is a number (integer or float).
    pub(crate) fn is_numeric(&self) -> bool {
        matches!(self.class(), Class::Integer | Class::Float)
    }

    /// The arguments in parentheses, as DDL and `model!` write them (`(200)`).
    fn args_text(&self) -> String {
        match self {
            ColumnType::Varchar(Some(n)) => format!("({n})"),
            ColumnType::Decimal(p, s) => format!("({p},{s})"),
            _ => String::new(),
        }
    }

    /// The backend's DDL name (`BIGINT`, `VARCHAR(200)`, `BYTEA`/`BLOB`).
    pub(crate) fn ddl_name(&self, backend: Backend) -> String {
        match info(self) {
            Some(t) => {
                let base = match backend {
                    Backend::Postgres => t.pg,
                    Backend::Sqlite => t.sqlite,
                };
                format!("{base}{}", self.args_text())
            }
            None => self.to_string(),
        }
    }

    /// The type a backend's catalog reports as `name` (PostgreSQL's
    /// `format_type`, SQLite's declared type); [`ColumnType::Other`] when
    /// glowplug does not model it.
    pub(crate) fn from_database(backend: Backend, name: &str) -> ColumnType {
        let name = name.trim();
        let (base, arg) = match name.split_once('(') {
            Some((base, rest)) => (base.trim(), rest.strip_suffix(')')),
            None => (name, None),
        };
        let found = TYPES.iter().find(|t| match backend {
            Backend::Postgres => t.pg_names.contains(&base),
            Backend::Sqlite => t.sqlite_names.iter().any(|n| n.eq_ignore_ascii_case(base)),
        });
        found
            .filter(|_| arg.is_some() == name.contains('('))
            .and_then(|t| t.with_args(arg).ok())
            .unwrap_or_else(|| ColumnType::Other(name.to_owned()))
    }
}

/// The `model!` spelling (`varchar(200)`, `bigint`), or the database's name
/// for [`ColumnType::Other`].
impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match info(self) {
            Some(t) => write!(f, "{}{}", t.keyword, self.args_text()),
            None => match self {
                ColumnType::Other(name) => f.write_str(name),
                _ => write!(f, "{self:?}"),
            },
        }
    }
}

/// Every keyword and alias, as the error for an unknown type lists them.
pub(crate) fn keywords() -> String {
    let mut words = Vec::new();
    for t in TYPES {
        words.push(t.keyword.to_owned());
        words.extend(t.aliases.iter().map(|a| (*a).to_owned()));
        match t.args {
            Args::Length => words.push(format!("{}(N)", t.keyword)),
            Args::PrecisionScale => *words.last_mut().expect("the keyword") += "(P, S)",
            Args::None => {}
        }
    }
    words.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_but_other_has_one_entry() {
        for (i, t) in TYPES.iter().enumerate() {
            assert!(
                TYPES[i + 1..]
                    .iter()
                    .all(|u| discriminant(&u.sample) != discriminant(&t.sample)),
                "{} twice",
                t.keyword
            );
            assert_eq!(info(&t.sample).map(|i| i.keyword), Some(t.keyword));
            assert_eq!(by_keyword(t.keyword).map(|i| i.keyword), Some(t.keyword));
        }
        assert!(info(&ColumnType::Other("x".into())).is_none());
    }

    #[test]
    fn ddl_names_read_back() {
        for backend in [Backend::Postgres, Backend::Sqlite] {
            for t in TYPES {
                let args = (t.args == Args::PrecisionScale).then_some("20, 2");
                let ty = t.with_args(args).unwrap();
                let name = ty.ddl_name(backend);
                if backend == Backend::Postgres {
                    let reported = format!("{}{}", t.pg_names[0], ty.args_text());
                    assert_eq!(ColumnType::from_database(backend, &reported), ty, "{name}");
                } else {
                    assert_eq!(ColumnType::from_database(backend, &name), ty, "{name}");
                }
            }
        }
        assert_eq!(
            ColumnType::from_database(Backend::Postgres, "character varying(50)"),
            ColumnType::Varchar(Some(50))
        );
        assert_eq!(
            ColumnType::from_database(Backend::Sqlite, "varchar(8)"),
            ColumnType::Varchar(Some(8))
        );
        assert_eq!(
            ColumnType::from_database(Backend::Postgres, "jsonb"),
            ColumnType::Other("jsonb".into())
        );
        assert_eq!(
            ColumnType::from_database(Backend::Sqlite, "numeric(10,2)"),
            ColumnType::Other("numeric(10,2)".into())
        );
    }

    /// The `model!` docs list every type, each row as the table renders it.
    #[test]
    fn docs_table_lists_every_type() {
        let docs = include_str!("macros/mod.rs");
        let readme = include_str!("../README.md");
        for t in TYPES {
            let row = t.docs_row();
            assert!(
                docs.contains(&format!("/// {row}\n")),
                "model! docs lack: {row}"
            );
            assert!(
                readme.contains(&format!("`{}`", t.keyword)),
                "README lacks `{}`",
                t.keyword
            );
        }
    }

    /// The error for an unknown type lists the same keywords.
    #[test]
    fn unknown_type_message_lists_every_keyword() {
        let table = include_str!("macros/types.rs");
        assert!(table.contains(&keywords()), "{}", keywords());
    }
}
