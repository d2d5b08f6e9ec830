//! The values `timestamps` and `soft_delete` columns get: [`now`], the
//! time written into `created_at`, `updated_at` and `deleted_at`; [`Stamp`],
//! the same value as an insert or update binds it (on SQLite as the text
//! diesel writes, built without chrono's formatter); and [`InUtc`], a stored
//! `deleted_at` read as an instant. Called by the code `model!` generates.

use chrono::{Datelike, NaiveDateTime, Timelike, Utc};

/// The time stamped into `created_at` / `updated_at`: UTC, to the microsecond
/// (the precision PostgreSQL stores), so the value in memory equals the
/// value read back on both backends.
pub fn now() -> NaiveDateTime {
    let t = Utc::now().naive_utc();
    t.with_nanosecond(t.nanosecond() / 1_000 * 1_000)
        .unwrap_or(t)
}

/// A stored `deleted_at` as an instant: a `timestamp` column holds UTC
/// (glowplug writes [`now`]), a `timestamptz` one is an instant already.
pub trait InUtc {
    /// The instant, if any.
    fn in_utc(self) -> Option<crate::UtcDateTime>;
}

impl InUtc for Option<NaiveDateTime> {
    fn in_utc(self) -> Option<crate::UtcDateTime> {
        self.map(|t| crate::UtcDateTime(t.and_utc()))
    }
}

impl InUtc for Option<crate::UtcDateTime> {
    fn in_utc(self) -> Option<crate::UtcDateTime> {
        self
    }
}

/// A `created_at` / `updated_at` value as an insert binds it: the same
/// value and, on SQLite, the same text as diesel's `NaiveDateTime`
/// (`%F %T%.f`), written without chrono's formatter, which measured a
/// quarter of a batch insert's instructions on SQLite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::expression::AsExpression)]
#[diesel(sql_type = diesel::sql_types::Timestamp)]
#[diesel(sql_type = crate::sql_types::TimestampTz)]
pub struct Stamp(pub NaiveDateTime);

/// `timestamps(tz)`: the same instant as a `timestamptz`.
impl diesel::serialize::ToSql<crate::sql_types::TimestampTz, diesel::sqlite::Sqlite> for Stamp {
    fn to_sql<'b>(
        &'b self,
        out: &mut diesel::serialize::Output<'b, '_, diesel::sqlite::Sqlite>,
    ) -> diesel::serialize::Result {
        out.set_value(crate::sql_types::sqlite_instant(&self.0.and_utc()));
        Ok(diesel::serialize::IsNull::No)
    }
}

/// `timestamps(tz)` on PostgreSQL: `timestamptz` has `timestamp`'s wire
/// format (microseconds since 2000, here in UTC).
impl diesel::serialize::ToSql<crate::sql_types::TimestampTz, diesel::pg::Pg> for Stamp {
    fn to_sql<'b>(
        &'b self,
        out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
    ) -> diesel::serialize::Result {
        diesel::serialize::ToSql::<diesel::sql_types::Timestamptz, diesel::pg::Pg>::to_sql(
            &self.0, out,
        )
    }
}

impl diesel::serialize::ToSql<diesel::sql_types::Timestamp, diesel::sqlite::Sqlite> for Stamp {
    fn to_sql<'b>(
        &'b self,
        out: &mut diesel::serialize::Output<'b, '_, diesel::sqlite::Sqlite>,
    ) -> diesel::serialize::Result {
        out.set_value(sqlite_timestamp_text(&self.0));
        Ok(diesel::serialize::IsNull::No)
    }
}

impl diesel::serialize::ToSql<diesel::sql_types::Timestamp, diesel::pg::Pg> for Stamp {
    fn to_sql<'b>(
        &'b self,
        out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
    ) -> diesel::serialize::Result {
        diesel::serialize::ToSql::<diesel::sql_types::Timestamp, diesel::pg::Pg>::to_sql(
            &self.0, out,
        )
    }
}

/// `t` as chrono formats `"%F %T%.f"`: the fraction has 0, 3, 6 or 9 digits,
/// as few as show the value. Years outside 0..=9999 and leap seconds go
/// through chrono.
fn sqlite_timestamp_text(t: &NaiveDateTime) -> String {
    let nanos = t.nanosecond();
    if !(0..=9999).contains(&t.year()) || nanos >= 1_000_000_000 {
        return t.format("%F %T%.f").to_string();
    }
    fn digits(out: &mut String, value: u32, width: usize) {
        let mut buf = [b'0'; 9];
        let mut v = value;
        for slot in buf[..width].iter_mut().rev() {
            *slot = b'0' + (v % 10) as u8;
            v /= 10;
        }
        out.extend(buf[..width].iter().map(|&b| char::from(b)));
    }
    let mut out = String::with_capacity(29);
    digits(&mut out, t.year() as u32, 4);
    out.push('-');
    digits(&mut out, t.month(), 2);
    out.push('-');
    digits(&mut out, t.day(), 2);
    out.push(' ');
    digits(&mut out, t.hour(), 2);
    out.push(':');
    digits(&mut out, t.minute(), 2);
    out.push(':');
    digits(&mut out, t.second(), 2);
    if nanos != 0 {
        out.push('.');
        match (nanos % 1_000_000, nanos % 1_000) {
            (0, _) => digits(&mut out, nanos / 1_000_000, 3),
            (_, 0) => digits(&mut out, nanos / 1_000, 6),
            _ => digits(&mut out, nanos, 9),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn now_is_truncated_to_microseconds() {
        assert_eq!(now().nanosecond() % 1_000, 0);
    }

    #[test]
    fn sqlite_text_matches_chrono() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("a date");
        let mut cases: Vec<NaiveDateTime> = Vec::new();
        for date in [
            day(2026, 11, 21),
            day(1, 1, 1),
            day(999, 12, 31),
            day(9999, 12, 31),
            day(10_000, 1, 1),
            day(-5, 3, 4),
        ] {
            for (h, m, s) in [(0, 0, 0), (9, 5, 7), (23, 59, 59)] {
                for nanos in [
                    0,
                    1,
                    1_000,
                    120_000,
                    123_456_000,
                    500_000_000,
                    999_999_999,
                    7_000_001,
                    1_000_000_500,
                ] {
                    cases.extend(date.and_hms_nano_opt(h, m, s, nanos));
                }
            }
        }
        assert!(cases.len() > 100);
        for t in cases {
            assert_eq!(
                sqlite_timestamp_text(&t),
                t.format("%F %T%.f").to_string(),
                "{t:?}"
            );
        }
    }
}
