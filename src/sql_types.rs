//! SQL types glowplug defines for column types diesel maps only on
//! PostgreSQL, or differently per backend: one diesel SQL type per `model!`
//! keyword, so a model's `table!` and its queries are the same on both
//! backends.
//!
//! On PostgreSQL each hands values to diesel's own mapping (same wire
//! format); on SQLite each is text, in a form whose text order is the
//! value order:
//!
//! | SQL type | `model!` | Rust | PostgreSQL | SQLite |
//! |---|---|---|---|---|
//! | [`Uuid`] | `uuid`, `pk(uuid)` | [`glowplug::Uuid`](crate::Uuid) (a `uuid::Uuid`) | `uuid` | text, 36 characters, lower case, hyphenated (`67e55044-10b1-426f-9247-bb680e5fe0c8`) |
//! | [`ExactDecimal<P, S>`](ExactDecimal) | `decimal(P, S)` | [`glowplug::Decimal`](crate::Decimal) (a `bigdecimal::BigDecimal`) | `numeric(P,S)` | text, exact, one width, sorting as the numbers (`0000012.50`; see [`Decimal`](crate::Decimal)) |
//! | [`TimestampTz`] | `timestamptz` | [`glowplug::UtcDateTime`](crate::UtcDateTime) (a `chrono::DateTime<Utc>`) | `timestamptz` | text, UTC, microseconds, one width (`2026-11-26 15:04:05.123456+00:00`) |
//!
//! The Rust values are glowplug's own thin wrappers ([`crate::values`]):
//! diesel's blanket `AsExpression` impl makes it impossible for a crate
//! other than diesel to bind a `uuid::Uuid` or `chrono::DateTime` to a SQL
//! type of its own (rustc's coherence rules), and a value must be bindable
//! to be inserted or compared (`posts::id.eq(id)`).
//!
//! diesel's own SQLite UUID support does not exist (diesel 2.3 maps `Uuid`
//! for PostgreSQL only), and its `TimestamptzSqlite` is a second SQL type,
//! which a model shared by both backends cannot use.

use chrono::{DateTime, Utc};
use diesel::deserialize::{self, FromSql};
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sqlite::{Sqlite, SqliteValue};

/// A UUID column (`uuid`): PostgreSQL's `uuid`; SQLite text.
#[derive(
    Debug, Clone, Copy, Default, diesel::sql_types::SqlType, diesel::query_builder::QueryId,
)]
#[diesel(postgres_type(oid = 2950, array_oid = 2951))]
#[diesel(sqlite_type(name = "Text"))]
pub struct Uuid;

/// An instant in UTC (`timestamptz`): PostgreSQL's `timestamptz`; SQLite text.
#[derive(
    Debug, Clone, Copy, Default, diesel::sql_types::SqlType, diesel::query_builder::QueryId,
)]
#[diesel(postgres_type(oid = 1184, array_oid = 1185))]
#[diesel(sqlite_type(name = "Text"))]
pub struct TimestampTz;

impl ToSql<Uuid, Pg> for crate::Uuid {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        ToSql::<diesel::sql_types::Uuid, Pg>::to_sql(&self.0, out)
    }
}

impl FromSql<Uuid, Pg> for crate::Uuid {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        FromSql::<diesel::sql_types::Uuid, Pg>::from_sql(value).map(crate::Uuid)
    }
}

impl ToSql<Uuid, Sqlite> for crate::Uuid {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.0.hyphenated().to_string());
        Ok(IsNull::No)
    }
}

impl FromSql<Uuid, Sqlite> for crate::Uuid {
    fn from_sql(value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<diesel::sql_types::Text, Sqlite>>::from_sql(value)?;
        uuid::Uuid::parse_str(&text)
            .map(crate::Uuid)
            .map_err(|e| format!("`{text}` stored in a uuid column is not a UUID: {e}").into())
    }
}

impl ToSql<TimestampTz, Pg> for crate::UtcDateTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        ToSql::<diesel::sql_types::Timestamptz, Pg>::to_sql(&self.0, out)
    }
}

impl FromSql<TimestampTz, Pg> for crate::UtcDateTime {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        FromSql::<diesel::sql_types::Timestamptz, Pg>::from_sql(value).map(crate::UtcDateTime)
    }
}

impl ToSql<TimestampTz, Sqlite> for crate::UtcDateTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(sqlite_instant(&self.0));
        Ok(IsNull::No)
    }
}

impl FromSql<TimestampTz, Sqlite> for crate::UtcDateTime {
    fn from_sql(value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<diesel::sql_types::Text, Sqlite>>::from_sql(value)?;
        parse_instant(&text).map(crate::UtcDateTime).ok_or_else(|| {
            format!("`{text}` stored in a timestamptz column is not a date and time with offset")
                .into()
        })
    }
}

/// An exact decimal with `P` digits, `S` of them after the point
/// (`decimal(P, S)`): PostgreSQL's `numeric(P,S)`; SQLite text (see
/// [`crate::Decimal`]'s module for its form). Named so that diesel's
/// `table!` gives the column no arithmetic operators, which SQLite text
/// could not honour.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExactDecimal<const P: u32, const S: u32>;

impl<const P: u32, const S: u32> diesel::sql_types::SqlType for ExactDecimal<P, S> {
    type IsNull = diesel::sql_types::is_nullable::NotNull;
}

impl<const P: u32, const S: u32> diesel::sql_types::SingleValue for ExactDecimal<P, S> {}

impl<const P: u32, const S: u32> diesel::query_builder::QueryId for ExactDecimal<P, S> {
    type QueryId = Self;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<const P: u32, const S: u32> diesel::sql_types::HasSqlType<ExactDecimal<P, S>> for Pg {
    fn metadata(_: &mut Self::MetadataLookup) -> diesel::pg::PgTypeMetadata {
        // `numeric` and its array type.
        diesel::pg::PgTypeMetadata::new(1700, 1231)
    }
}

impl<const P: u32, const S: u32> diesel::sql_types::HasSqlType<ExactDecimal<P, S>> for Sqlite {
    fn metadata(_: &mut ()) -> diesel::sqlite::SqliteType {
        diesel::sqlite::SqliteType::Text
    }
}

impl<const P: u32, const S: u32> diesel::sql_types::HasSqlType<ExactDecimal<P, S>>
    for MultiBackend
{
    fn metadata(
        lookup: &mut <MultiBackend as diesel::sql_types::TypeMetadata>::MetadataLookup,
    ) -> <MultiBackend as diesel::sql_types::TypeMetadata>::TypeMetadata {
        MultiBackend::lookup_sql_type::<ExactDecimal<P, S>>(lookup)
    }
}

impl<const P: u32, const S: u32> ToSql<ExactDecimal<P, S>, MultiBackend> for crate::Decimal {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
        out.set_value((ExactDecimal::<P, S>, self));
        Ok(IsNull::No)
    }
}

impl<const P: u32, const S: u32> FromSql<ExactDecimal<P, S>, MultiBackend> for crate::Decimal {
    fn from_sql(
        bytes: <MultiBackend as diesel::backend::Backend>::RawValue<'_>,
    ) -> deserialize::Result<Self> {
        bytes.from_sql::<Self, ExactDecimal<P, S>>()
    }
}

/// [`crate::AnyConnection`]'s backend, for hand-written queries on it.
type MultiBackend = <crate::AnyConnection as diesel::Connection>::Backend;

/// What diesel's `MultiConnection` derive gives its built-in SQL types:
/// the type known to the multi-backend connection, values handed to the
/// connection's backend.
macro_rules! on_any_connection {
    ($($sql:ident => $rust:ty),*) => {$(
        impl diesel::sql_types::HasSqlType<$sql> for MultiBackend {
            fn metadata(
                lookup: &mut <MultiBackend as diesel::sql_types::TypeMetadata>::MetadataLookup,
            ) -> <MultiBackend as diesel::sql_types::TypeMetadata>::TypeMetadata {
                MultiBackend::lookup_sql_type::<$sql>(lookup)
            }
        }

        impl ToSql<$sql, MultiBackend> for $rust {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
                out.set_value(($sql, self));
                Ok(IsNull::No)
            }
        }

        impl FromSql<$sql, MultiBackend> for $rust {
            fn from_sql(
                bytes: <MultiBackend as diesel::backend::Backend>::RawValue<'_>,
            ) -> deserialize::Result<Self> {
                bytes.from_sql::<Self, $sql>()
            }
        }
    )*};
}

on_any_connection!(Uuid => crate::Uuid, TimestampTz => crate::UtcDateTime);

/// The SQLite text of an instant: UTC, always six fraction digits and
/// `+00:00`, so text order is time order for years 0000–9999 (the years
/// glowplug lets SQLite store). Nanoseconds are cut to microseconds, as
/// PostgreSQL stores them.
pub(crate) fn sqlite_instant(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.6f+00:00").to_string()
}

/// An instant read back from SQLite text: the form glowplug writes, or any
/// RFC 3339 / `YYYY-MM-DD HH:MM:SS[.f]±HH:MM` text another writer left.
fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%:z")
        .or_else(|_| DateTime::parse_from_rfc3339(text))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn sqlite_instants_sort_as_time() {
        let at = |y, n| {
            Utc.with_ymd_and_hms(y, 6, 1, 12, 0, 0)
                .unwrap()
                .checked_add_signed(chrono::Duration::nanoseconds(n))
                .unwrap()
        };
        let times = [
            at(1, 0),
            at(999, 0),
            at(2026, 0),
            at(2026, 1_000),
            at(2026, 500_000_000),
            at(2026, 1_500_000_000),
            at(9999, 0),
        ];
        let texts: Vec<String> = times.iter().map(sqlite_instant).collect();
        let mut sorted = texts.clone();
        sorted.sort();
        assert_eq!(texts, sorted);
        assert!(texts.iter().all(|t| t.len() == texts[0].len()));
        for t in &times {
            assert_eq!(parse_instant(&sqlite_instant(t)), Some(*t));
        }
        assert_eq!(
            parse_instant("2026-01-02T03:04:05+02:00"),
            Some(Utc.with_ymd_and_hms(2026, 1, 2, 1, 4, 5).unwrap())
        );
    }
}
