//! Checks a value passes before it is written, called by the `validate`
//! and `validate_for` methods `model!` generates: the declared maximum
//! length of a `varchar(N)` ([`check_max_len`], on every backend), and what
//! SQLite cannot store as given ([`check_sqlite`]: NaN floats, dates and
//! timestamps outside years 0000–9999). A refused value is
//! [`Error::Validation`] naming the model and field; nothing is sent.

use chrono::{Datelike, NaiveDate, NaiveDateTime};

use crate::error::{Error, Result};

/// A value whose text length can be checked (`String`, and options of it).
pub trait TextLen {
    /// The length in characters, or `None` when there is no text (NULL or unset).
    fn text_len(&self) -> Option<usize>;
}

impl TextLen for String {
    fn text_len(&self) -> Option<usize> {
        Some(self.chars().count())
    }
}

impl<T: TextLen> TextLen for Option<T> {
    fn text_len(&self) -> Option<usize> {
        self.as_ref().and_then(TextLen::text_len)
    }
}

/// Checks a `varchar(N)` value against its maximum length, in characters.
pub fn check_max_len<V: TextLen + ?Sized>(
    model: &'static str,
    field: &'static str,
    value: &V,
    max: usize,
) -> Result<()> {
    match value.text_len() {
        Some(len) if len > max => Err(invalid(
            model,
            field,
            format!(
                "{len} characters is longer than the declared varchar({max}); shorten the value or raise the limit in model!"
            ),
        )),
        _ => Ok(()),
    }
}

/// Why SQLite would not store a value as it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqliteProblem {
    /// A floating-point NaN: SQLite turns it into NULL.
    NaN,
    /// A date or timestamp in this year, outside 0000–9999: SQLite keeps
    /// dates as text, which then sorts and compares wrongly.
    Year(i32),
}

/// A column value that SQLite may not store faithfully and comparably:
/// `f32`/`f64` (NaN), `NaiveDate`/`NaiveDateTime` (years outside 0000–9999),
/// and options of them.
pub trait SqliteFidelity {
    /// What SQLite would get wrong about this value; `None` when it stores
    /// it as given (NULL and unset included).
    fn sqlite_problem(&self) -> Option<SqliteProblem>;
}

impl SqliteFidelity for f64 {
    fn sqlite_problem(&self) -> Option<SqliteProblem> {
        self.is_nan().then_some(SqliteProblem::NaN)
    }
}

impl SqliteFidelity for f32 {
    fn sqlite_problem(&self) -> Option<SqliteProblem> {
        self.is_nan().then_some(SqliteProblem::NaN)
    }
}

impl SqliteFidelity for NaiveDate {
    fn sqlite_problem(&self) -> Option<SqliteProblem> {
        let year = self.year();
        (!(0..=9999).contains(&year)).then_some(SqliteProblem::Year(year))
    }
}

impl SqliteFidelity for NaiveDateTime {
    fn sqlite_problem(&self) -> Option<SqliteProblem> {
        self.date().sqlite_problem()
    }
}

impl SqliteFidelity for crate::UtcDateTime {
    fn sqlite_problem(&self) -> Option<SqliteProblem> {
        self.0.date_naive().sqlite_problem()
    }
}

impl<T: SqliteFidelity> SqliteFidelity for Option<T> {
    fn sqlite_problem(&self) -> Option<SqliteProblem> {
        self.as_ref().and_then(SqliteFidelity::sqlite_problem)
    }
}

/// Refuses, before a write to SQLite, a value SQLite would not store as
/// given or could not compare: a NaN float (SQLite stores NULL instead, or
/// fails a NOT NULL constraint), or a date or timestamp outside years
/// 0000–9999 (stored as text such as `+10000-01-01`, which sorts before
/// `2020-01-01`, so range filters and `ORDER BY` misplace it).
pub fn check_sqlite<V: SqliteFidelity + ?Sized>(
    model: &'static str,
    field: &'static str,
    value: &V,
) -> Result<()> {
    let message = match value.sqlite_problem() {
        None => return Ok(()),
        Some(SqliteProblem::NaN) => "NaN cannot be stored in SQLite (it becomes NULL); \
             write a number, or None in a `null` column, or use PostgreSQL, which stores NaN"
            .to_owned(),
        Some(SqliteProblem::Year(year)) => format!(
            "year {year} cannot be stored in SQLite: it stores dates and timestamps as text, \
             which sorts and compares correctly only for years 0000 to 9999; \
             keep the value in that range, or use PostgreSQL"
        ),
    };
    Err(invalid(model, field, message))
}

/// The error for a value of `model.field` that the checks refuse.
fn invalid(model: &'static str, field: &'static str, message: String) -> Error {
    Error::Validation {
        model,
        field,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_length_counts_characters() {
        assert!(check_max_len("User", "name", &"ééé".to_string(), 3).is_ok());
        let err = check_max_len("User", "name", &"abcd".to_string(), 3).unwrap_err();
        assert!(matches!(err, Error::Validation { field: "name", .. }));
        assert!(err.to_string().contains("varchar(3)"), "{err}");
        assert!(check_max_len("User", "name", &None::<String>, 3).is_ok());
        assert!(check_max_len("User", "name", &Some(Some("abcd".to_string())), 3).is_err());
    }

    #[test]
    fn sqlite_refuses_nan_and_years_outside_0000_to_9999() {
        let day = |y| NaiveDate::from_ymd_opt(y, 1, 1).expect("a date");
        for ok in [day(0), day(1970), day(9999)] {
            assert!(check_sqlite("M", "day", &ok).is_ok(), "{ok}");
            assert!(
                check_sqlite("M", "at", &ok.and_hms_opt(0, 0, 0)).is_ok(),
                "{ok}"
            );
        }
        let last = NaiveDate::from_ymd_opt(9999, 12, 31)
            .and_then(|d| d.and_hms_micro_opt(23, 59, 59, 999_999));
        assert!(check_sqlite("M", "at", &last).is_ok());
        for bad in [day(10_000), day(-1)] {
            let err = check_sqlite("M", "day", &Some(Some(bad))).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::Validation {
                        model: "M",
                        field: "day",
                        ..
                    }
                ),
                "{err:?}"
            );
            assert!(err.to_string().contains("0000 to 9999"), "{err}");
        }
        for ok in [0.0, -0.0, f64::INFINITY, f64::NEG_INFINITY, f64::MAX] {
            assert!(check_sqlite("M", "x", &ok).is_ok(), "{ok}");
        }
        assert!(check_sqlite("M", "x", &None::<f64>).is_ok());
        let err = check_sqlite("M", "x", &Some(f32::NAN)).unwrap_err();
        assert!(
            matches!(err, Error::Validation { field: "x", .. }),
            "{err:?}"
        );
        assert!(
            err.to_string().contains("NaN cannot be stored in SQLite"),
            "{err}"
        );
        assert!(check_sqlite("M", "x", &f64::NAN).is_err());
    }
}
