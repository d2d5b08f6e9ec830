//! `decimal(P, S)`: exact decimals on both backends. The Rust value is
//! [`Decimal`], a `bigdecimal::BigDecimal` (the decimal type diesel maps,
//! exact at any precision); the SQL type is
//! [`sql_types::ExactDecimal<P, S>`](crate::sql_types::ExactDecimal).
//!
//! * PostgreSQL: `NUMERIC(P,S)`, through diesel's own mapping.
//! * SQLite: diesel's SQLite `Numeric` goes through `f64`, so
//!   12345678901234567.89 would come back as 12345678901234568. glowplug
//!   stores the exact digits as text instead, in a column declared
//!   `DECIMAL_TEXT(P,S)` (text affinity: SQLite's numeric affinity would
//!   turn the text into a float again). The text has one width per column
//!   and sorts as the numbers do, so `ORDER BY` and comparisons stay right:
//!   a non-negative value is `0` and its digits padded to `P` (`decimal(6,2)`:
//!   12.5 is `00012.50`); a negative one is `#` and the nines' complement of
//!   its digits (-12.5 is `#99987.49`). Plain decimal text written by
//!   another client (`12.5`, `-3`) reads back too.
//!
//! As on PostgreSQL, a value is rounded to `S` places on write (halves away
//! from zero), and one with more than `P - S` digits before the point is
//! refused.

use std::fmt;
use std::ops::Deref;
use std::str::FromStr;

use bigdecimal::{BigDecimal, RoundingMode};
use diesel::deserialize::{self, FromSql};
use diesel::internal::derives::as_expression::Bound;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::Nullable;
use diesel::sqlite::{Sqlite, SqliteValue};

use crate::sql_types::ExactDecimal;

/// An exact decimal column value (`decimal(P, S)`): a `bigdecimal::BigDecimal`.
///
/// ```
/// use std::str::FromStr;
/// let price = glowplug::Decimal::from_str("12345678901234567.89")?;
/// assert_eq!(price.to_string(), "12345678901234567.89");
/// # Ok::<(), bigdecimal::ParseBigDecimalError>(())
/// ```
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, diesel::deserialize::FromSqlRow,
)]
pub struct Decimal(pub BigDecimal);

impl Deref for Decimal {
    type Target = BigDecimal;
    fn deref(&self) -> &BigDecimal {
        &self.0
    }
}

impl From<BigDecimal> for Decimal {
    fn from(d: BigDecimal) -> Decimal {
        Decimal(d)
    }
}

impl From<Decimal> for BigDecimal {
    fn from(d: Decimal) -> BigDecimal {
        d.0
    }
}

impl From<i64> for Decimal {
    fn from(n: i64) -> Decimal {
        Decimal(BigDecimal::from(n))
    }
}

impl FromStr for Decimal {
    type Err = bigdecimal::ParseBigDecimalError;
    fn from_str(s: &str) -> Result<Decimal, Self::Err> {
        BigDecimal::from_str(s).map(Decimal)
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// As a string (`"12.50"`), so no digit is lost in JSON.
impl serde::Serialize for Decimal {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

/// From a string (`"12.50"`) or a JSON number.
impl<'de> serde::Deserialize<'de> for Decimal {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        let text = match &value {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            other => {
                return Err(serde::de::Error::custom(format!(
                    "{other} is not a decimal"
                )));
            }
        };
        text.parse().map_err(serde::de::Error::custom)
    }
}

macro_rules! as_expression {
    ($($sql:ty => $rust:ty),*) => {$(
        impl<const P: u32, const S: u32> diesel::expression::AsExpression<$sql> for $rust {
            type Expression = Bound<$sql, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }
    )*};
}

as_expression!(
    ExactDecimal<P, S> => Decimal,
    ExactDecimal<P, S> => &Decimal,
    Nullable<ExactDecimal<P, S>> => Decimal,
    Nullable<ExactDecimal<P, S>> => &Decimal
);

impl<const P: u32, const S: u32, DB> ToSql<Nullable<ExactDecimal<P, S>>, DB> for Decimal
where
    DB: diesel::backend::Backend,
    Decimal: ToSql<ExactDecimal<P, S>, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
        ToSql::<ExactDecimal<P, S>, DB>::to_sql(self, out)
    }
}

impl<const P: u32, const S: u32> ToSql<ExactDecimal<P, S>, Pg> for Decimal {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        ToSql::<diesel::sql_types::Numeric, Pg>::to_sql(&self.0, out)
    }
}

impl<const P: u32, const S: u32> FromSql<ExactDecimal<P, S>, Pg> for Decimal {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        FromSql::<diesel::sql_types::Numeric, Pg>::from_sql(value).map(Decimal)
    }
}

impl<const P: u32, const S: u32> ToSql<ExactDecimal<P, S>, Sqlite> for Decimal {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(sortable_text(&self.0, P, S)?);
        Ok(IsNull::No)
    }
}

impl<const P: u32, const S: u32> FromSql<ExactDecimal<P, S>, Sqlite> for Decimal {
    fn from_sql(value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<diesel::sql_types::Text, Sqlite>>::from_sql(value)?;
        from_sortable_text(&text)
            .map(Decimal)
            .ok_or_else(|| format!("`{text}` stored in a decimal column is not a decimal").into())
    }
}

/// `value` rounded to `scale` places as SQLite stores it (see the module
/// docs); an error when it has more than `precision - scale` integer digits.
pub(crate) fn sortable_text(
    value: &BigDecimal,
    precision: u32,
    scale: u32,
) -> Result<String, String> {
    let rounded = value.with_scale_round(i64::from(scale), RoundingMode::HalfUp);
    let (digits, _) = rounded.as_bigint_and_exponent();
    let negative = digits.sign() == bigdecimal::num_bigint::Sign::Minus;
    let magnitude = digits.magnitude().to_string();
    let (p, s) = (precision as usize, scale as usize);
    if magnitude.len() > p {
        return Err(format!(
            "{value} does not fit decimal({precision}, {scale}): at most {} digits before the point",
            p - s
        ));
    }
    let padded = format!("{magnitude:0>p$}");
    let (int, frac) = padded.split_at(p - s);
    let body = if s == 0 {
        int.to_owned()
    } else {
        format!("{int}.{frac}")
    };
    Ok(if negative {
        format!("#{}", complement(&body))
    } else {
        format!("0{body}")
    })
}

/// Each digit `d` of `text` as `9 - d` (the point kept): the same text
/// for a negative value sorts as the number does.
fn complement(text: &str) -> String {
    text.chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => char::from_digit(9 - d, 10).unwrap_or(c),
            None => c,
        })
        .collect()
}

/// The value of SQLite decimal text: glowplug's sortable form, or plain
/// decimal text.
pub(crate) fn from_sortable_text(text: &str) -> Option<BigDecimal> {
    match text.strip_prefix('#') {
        Some(digits) => BigDecimal::from_str(&complement(digits)).ok().map(|d| -d),
        None => BigDecimal::from_str(text.trim()).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_text_is_exact_and_sorts_as_numbers() {
        let values = [
            "-12345678901234567.89",
            "-1.5",
            "-0.01",
            "0",
            "0.01",
            "1.5",
            "9.99",
            "10",
            "12345678901234567.89",
        ];
        let texts: Vec<String> = values
            .iter()
            .map(|v| sortable_text(&BigDecimal::from_str(v).unwrap(), 20, 2).unwrap())
            .collect();
        let mut sorted = texts.clone();
        sorted.sort();
        assert_eq!(texts, sorted);
        for (v, t) in values.iter().zip(&texts) {
            assert_eq!(
                from_sortable_text(t),
                Some(BigDecimal::from_str(v).unwrap()),
                "{t}"
            );
            assert_eq!(t.len(), texts[0].len());
        }
        assert_eq!(texts[5], "0000000000000000001.50");
        assert_eq!(texts[1], "#999999999999999998.49");
        assert_eq!(
            sortable_text(&BigDecimal::from_str("1.005").unwrap(), 5, 2).unwrap(),
            "0001.01"
        );
        assert!(sortable_text(&BigDecimal::from_str("1000").unwrap(), 5, 2).is_err());
        assert_eq!(
            from_sortable_text("-3.25"),
            Some(BigDecimal::from_str("-3.25").unwrap())
        );
    }
}
