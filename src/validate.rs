//! Checks a value passes before it is written, and the errors they report.
//!
//! * [`FieldErrors`]: every failing field of one row, each with a code and a
//!   message, in the order the checks ran (the model's column order, then
//!   the custom validator's); [`Error::Invalid`] carries it, and it
//!   serializes to `{"errors": {"email": ["is invalid"]}}`.
//! * [`Rule`]: a check declared on a column of `model!` (`validate(email,
//!   length(3..=50))`), and the `varchar(N)` maximum length. Rules are const
//!   data in the generated code; [`check_rules`] applies them to any value
//!   whose Rust type implements [`Checked`].
//! * [`check_sqlite`]: what SQLite cannot store as given (NaN floats, dates
//!   and timestamps outside years 0000–9999), on SQLite only.
//!
//! The `validate`/`validate_for` methods `model!` generates call these;
//! nothing is sent when a check fails.
//!
//! The validators are written here rather than taken from `validator` or
//! `garde`: both are derive macros (proc-macro crates with `syn`, which
//! `model!` as `macro_rules!` would have to emit attributes for, on three
//! structs per model with different `Option` layers), and their e-mail and
//! URL checks pull in `url`/`idna` and `regex` for every user. Here a rule
//! is a const value and one generic function applies it; only `regex(..)`
//! needs a crate, behind the `regex` feature.

use chrono::{Datelike, NaiveDate, NaiveDateTime};

use std::borrow::Cow;

use crate::error::{Error, Result};

/// One failed check of one field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct FieldError {
    /// The field (column) name, or `"base"` for the row as a whole.
    pub field: Cow<'static, str>,
    /// What failed, for programs: the rule's name (`length`, `range`,
    /// `one_of`, `email`, `url`, `regex`, `not_empty`), `sqlite` for a value
    /// SQLite cannot store, a constraint's kind (`unique`, `foreign_key`,
    /// `not_null`, `check`, see [`Error::field_errors`]), or a custom
    /// validator's own code.
    pub code: Cow<'static, str>,
    /// What failed, for people: `is too long (maximum is 50 characters)`.
    pub message: String,
}

/// Every failed check of one row, in the order they ran: the columns in
/// declaration order, then the model's custom validator.
///
/// Serializes (serde) to the shape web APIs use, fields in the order of
/// their first error (when written straight to text, e.g.
/// `serde_json::to_string`):
///
/// ```
/// let mut errors = glowplug::FieldErrors::new("User");
/// errors.add("email", "email", "is invalid");
/// errors.add("age", "range", "must be between 0 and 150");
/// assert_eq!(
///     serde_json::to_string(&errors).unwrap(),
///     r#"{"errors":{"email":["is invalid"],"age":["must be between 0 and 150"]}}"#
/// );
/// assert_eq!(errors.to_string(), "email: is invalid\nage: must be between 0 and 150");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldErrors {
    model: &'static str,
    errors: Vec<FieldError>,
}

impl FieldErrors {
    /// No errors yet, for a row of `model` (a model, insert or changes struct name).
    pub fn new(model: &'static str) -> Self {
        FieldErrors {
            model,
            errors: Vec::new(),
        }
    }

    /// Records that `field` failed the check `code`, with `message`.
    pub fn add(
        &mut self,
        field: impl Into<Cow<'static, str>>,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) {
        self.errors.push(FieldError {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        });
    }

    /// The model (or insert/changes struct) that was checked.
    pub fn model(&self) -> &'static str {
        self.model
    }

    /// Whether no check failed.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// How many checks failed.
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// Every failed check, in the order they ran.
    pub fn iter(&self) -> std::slice::Iter<'_, FieldError> {
        self.errors.iter()
    }

    /// The failed checks of `field`.
    pub fn field<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a FieldError> + 'a {
        self.errors.iter().filter(move |e| e.field == field)
    }

    /// `Ok(())` when nothing failed, else [`Error::Invalid`] with these errors.
    pub fn into_result(self) -> Result<()> {
        match self.errors.is_empty() {
            true => Ok(()),
            false => Err(Error::Invalid(self)),
        }
    }

    /// The fields in the order of their first error, each with its messages.
    fn grouped(&self) -> Vec<(&str, Vec<&str>)> {
        let mut out: Vec<(&str, Vec<&str>)> = Vec::new();
        for e in &self.errors {
            match out.iter_mut().find(|(f, _)| *f == e.field) {
                Some((_, messages)) => messages.push(&e.message),
                None => out.push((&e.field, vec![&e.message])),
            }
        }
        out
    }
}

impl<'a> IntoIterator for &'a FieldErrors {
    type Item = &'a FieldError;
    type IntoIter = std::slice::Iter<'a, FieldError>;
    fn into_iter(self) -> Self::IntoIter {
        self.errors.iter()
    }
}

/// One line per failed check: `email: is invalid`.
impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{}: {}", e.field, e.message)?;
        }
        Ok(())
    }
}

impl serde::Serialize for FieldErrors {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        struct Fields<'a>(Vec<(&'a str, Vec<&'a str>)>);
        impl serde::Serialize for Fields<'_> {
            fn serialize<S: serde::Serializer>(
                &self,
                serializer: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(Some(self.0.len()))?;
                for (field, messages) in &self.0 {
                    map.serialize_entry(field, messages)?;
                }
                map.end()
            }
        }
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("errors", &Fields(self.grouped()))?;
        map.end()
    }
}

/// A check declared on a column in `model!` (`validate(..)`), or the
/// maximum length of a `varchar(N)`. A value that is NULL, or unset in an
/// insert or changes struct, passes every rule (declare the column without
/// `null` to require it).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Rule {
    /// `length(min..=max)`, `length(min..)`, `length(..=max)`: the length in
    /// characters (Unicode scalar values) of text.
    Length {
        /// The least length allowed.
        min: Option<usize>,
        /// The greatest length allowed.
        max: Option<usize>,
    },
    /// `range(min..=max)`, `range(min..)`, `range(..=max)`: a number's
    /// bounds, inclusive (compared as `f64`: exact for integers up to 2^53).
    Range {
        /// The least value allowed.
        min: Option<f64>,
        /// The greatest value allowed.
        max: Option<f64>,
    },
    /// `one_of("a", "b")`: text equal to one of the values.
    OneOf(&'static [&'static str]),
    /// `email`: text shaped like an e-mail address: one `@`, something
    /// before it, a domain with a dot after it, no spaces.
    Email,
    /// `url`: an `http://` or `https://` URL with a host and no spaces.
    Url,
    /// `regex("^[a-z]+$")`: text the pattern matches (the `regex` feature).
    Regex(&'static str),
    /// `not_empty`: text with something besides white space.
    NotEmpty,
}

impl Rule {
    /// `length(..)`, for generated code.
    pub const fn length(min: Option<usize>, max: Option<usize>) -> Rule {
        Rule::Length { min, max }
    }

    /// `range(..)`, for generated code.
    pub const fn range(min: Option<f64>, max: Option<f64>) -> Rule {
        Rule::Range { min, max }
    }

    /// `regex("..")`, for generated code.
    #[cfg(feature = "regex")]
    pub const fn regex(pattern: &'static str) -> Rule {
        Rule::Regex(pattern)
    }

    /// `regex("..")` without the `regex` feature: a compile error.
    #[cfg(not(feature = "regex"))]
    pub const fn regex(_pattern: &'static str) -> Rule {
        panic!(
            "the `regex(..)` validation needs glowplug's `regex` feature: add `features = [\"regex\"]` to glowplug in Cargo.toml"
        )
    }

    /// The message for `value` when it fails this rule; `None` when it passes.
    fn failure(&self, value: &Value<'_>) -> Option<String> {
        match (self, value) {
            (Rule::Length { min, max }, Value::Text(text)) => {
                let len = text.chars().count();
                match (min, max) {
                    (Some(min), _) if len < *min => {
                        Some(format!("is too short (minimum is {min} characters)"))
                    }
                    (_, Some(max)) if len > *max => {
                        Some(format!("is too long (maximum is {max} characters)"))
                    }
                    _ => None,
                }
            }
            (Rule::Range { min, max }, Value::Number(n)) => {
                let low = min.is_some_and(|m| *n < m);
                let high = max.is_some_and(|m| *n > m);
                // NaN is outside every range.
                let nan = n.is_nan() && (min.is_some() || max.is_some());
                (low || high || nan).then(|| match (min, max) {
                    (Some(min), Some(max)) => format!("must be between {min} and {max}"),
                    (Some(min), None) => format!("must be at least {min}"),
                    (None, _) => format!("must be at most {}", max.unwrap_or(f64::NAN)),
                })
            }
            (Rule::OneOf(values), Value::Text(text)) => {
                (!values.contains(text)).then(|| format!("is not one of: {}", values.join(", ")))
            }
            (Rule::Email, Value::Text(text)) => (!is_email(text)).then(|| "is invalid".to_owned()),
            (Rule::Url, Value::Text(text)) => {
                (!is_url(text)).then(|| "is not a valid URL".to_owned())
            }
            (Rule::Regex(pattern), Value::Text(text)) => {
                (!regex_matches(pattern, text)).then(|| "is invalid".to_owned())
            }
            (Rule::NotEmpty, Value::Text(text)) => {
                text.trim().is_empty().then(|| "can't be blank".to_owned())
            }
            _ => None,
        }
    }

    /// The rule's name, the [`FieldError::code`] of its failures.
    pub const fn code(&self) -> &'static str {
        match self {
            Rule::Length { .. } => "length",
            Rule::Range { .. } => "range",
            Rule::OneOf(_) => "one_of",
            Rule::Email => "email",
            Rule::Url => "url",
            Rule::Regex(_) => "regex",
            Rule::NotEmpty => "not_empty",
        }
    }
}

fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && !text.chars().any(char::is_whitespace)
        && domain.split('.').count() >= 2
        && domain.split('.').all(|label| !label.is_empty())
}

fn is_url(text: &str) -> bool {
    let Some(rest) = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
    else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit('@').next().unwrap_or("");
    !host.is_empty()
        && !host.starts_with(':')
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(feature = "regex")]
fn regex_matches(pattern: &'static str, text: &str) -> bool {
    use std::collections::HashMap;
    use std::sync::{Mutex, PoisonError};
    // Compiled once per pattern (patterns are the literals of `model!`).
    static CACHE: Mutex<Option<HashMap<&'static str, Option<regex::Regex>>>> = Mutex::new(None);
    let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    let compiled = cache
        .get_or_insert_with(HashMap::new)
        .entry(pattern)
        .or_insert_with(|| regex::Regex::new(pattern).ok());
    // A pattern that does not compile matches nothing (and says so in tests).
    compiled.as_ref().is_some_and(|re| re.is_match(text))
}

#[cfg(not(feature = "regex"))]
fn regex_matches(_pattern: &'static str, _text: &str) -> bool {
    // `Rule::regex` does not compile without the feature; a hand-built
    // `Rule::Regex` cannot be checked, so it fails.
    false
}

/// What the rules look at in a value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// Text (`String`).
    Text(&'a str),
    /// A number (the integer and float types, [`Decimal`](crate::Decimal)).
    Number(f64),
}

/// A column value the declared rules can check: text, numbers, and options
/// of them (`None`, NULL or unset, passes every rule).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be checked by `validate(..)` rules",
    note = "`validate(..)` applies to text (`text`, `varchar`) and number (`int`, `bigint`, `smallint`, `float`, `double`, `decimal`) columns"
)]
pub trait Checked {
    /// The value as the rules see it; `None` for NULL or unset.
    fn checked(&self) -> Option<Value<'_>>;
}

impl Checked for String {
    fn checked(&self) -> Option<Value<'_>> {
        Some(Value::Text(self))
    }
}

macro_rules! checked_number {
    ($($t:ty),*) => {$(
        impl Checked for $t {
            fn checked(&self) -> Option<Value<'_>> {
                Some(Value::Number(*self as f64))
            }
        }
    )*};
}
checked_number!(i16, i32, i64, f32, f64);

impl Checked for crate::Decimal {
    fn checked(&self) -> Option<Value<'_>> {
        self.to_string().parse().ok().map(Value::Number)
    }
}

impl<T: Checked> Checked for Option<T> {
    fn checked(&self) -> Option<Value<'_>> {
        self.as_ref().and_then(Checked::checked)
    }
}

/// Applies `rules` to `value` of `field`, recording each failure in `errors`.
pub fn check_rules<V: Checked + ?Sized>(
    errors: &mut FieldErrors,
    field: &'static str,
    value: &V,
    rules: &[Rule],
) {
    let Some(value) = value.checked() else {
        return;
    };
    for rule in rules {
        if let Some(message) = rule.failure(&value) {
            errors.add(field, rule.code(), message);
        }
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
    errors: &mut FieldErrors,
    field: &'static str,
    value: &V,
) {
    let message = match value.sqlite_problem() {
        None => return,
        Some(SqliteProblem::NaN) => "NaN cannot be stored in SQLite (it becomes NULL); \
             write a number, or None in a `null` column, or use PostgreSQL, which stores NaN"
            .to_owned(),
        Some(SqliteProblem::Year(year)) => format!(
            "year {year} cannot be stored in SQLite: it stores dates and timestamps as text, \
             which sorts and compares correctly only for years 0000 to 9999; \
             keep the value in that range, or use PostgreSQL"
        ),
    };
    errors.add(field, "sqlite", message);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failures<V: Checked>(value: V, rules: &[Rule]) -> Vec<String> {
        let mut errors = FieldErrors::new("M");
        check_rules(&mut errors, "f", &value, rules);
        errors
            .iter()
            .map(|e| format!("{}: {}", e.code, e.message))
            .collect()
    }

    #[test]
    fn length_counts_characters_and_none_passes() {
        let max3 = [Rule::length(None, Some(3))];
        assert!(failures("ééé".to_string(), &max3).is_empty());
        assert_eq!(
            failures("abcd".to_string(), &max3),
            ["length: is too long (maximum is 3 characters)"]
        );
        assert!(failures(None::<String>, &max3).is_empty());
        assert_eq!(failures(Some(Some("abcd".to_string())), &max3).len(), 1);
        assert_eq!(
            failures("a".to_string(), &[Rule::length(Some(2), None)]),
            ["length: is too short (minimum is 2 characters)"]
        );
    }

    #[test]
    fn every_rule_passes_and_fails() {
        let range = [Rule::range(Some(0.0), Some(150.0))];
        assert!(failures(150_i32, &range).is_empty());
        assert_eq!(
            failures(151_i64, &range),
            ["range: must be between 0 and 150"]
        );
        assert_eq!(
            failures(-1_i16, &[Rule::range(Some(0.0), None)]),
            ["range: must be at least 0"]
        );
        assert_eq!(failures(f64::NAN, &range).len(), 1, "NaN is out of range");
        assert_eq!(
            failures(2.5_f32, &[Rule::range(None, Some(2.0))]),
            ["range: must be at most 2"]
        );
        let one_of = [Rule::OneOf(&["admin", "user"])];
        assert!(failures("admin".to_string(), &one_of).is_empty());
        assert_eq!(
            failures("root".to_string(), &one_of),
            ["one_of: is not one of: admin, user"]
        );
        for ok in ["a@x.io", "first.last+tag@mail.example.com"] {
            assert!(failures(ok.to_string(), &[Rule::Email]).is_empty(), "{ok}");
        }
        for bad in [
            "", "a", "a@", "@x.io", "a@x", "a b@x.io", "a@@x.io", "a@x..io",
        ] {
            assert_eq!(
                failures(bad.to_string(), &[Rule::Email]),
                ["email: is invalid"],
                "{bad}"
            );
        }
        for ok in ["https://x.io", "http://localhost:8080/a?b#c"] {
            assert!(failures(ok.to_string(), &[Rule::Url]).is_empty(), "{ok}");
        }
        for bad in [
            "x.io",
            "ftp://x.io",
            "https://",
            "https:// x.io",
            "https://:80",
        ] {
            assert_eq!(failures(bad.to_string(), &[Rule::Url]).len(), 1, "{bad}");
        }
        assert_eq!(
            failures(" \t".to_string(), &[Rule::NotEmpty]),
            ["not_empty: can't be blank"]
        );
        assert!(failures("x".to_string(), &[Rule::NotEmpty]).is_empty());
        // A rule of another kind of value does not apply.
        assert!(failures(5_i32, &[Rule::Email]).is_empty());
    }

    #[cfg(feature = "regex")]
    #[test]
    fn regex_matches_the_pattern() {
        let rule = [Rule::regex("^[A-Z]{3}$")];
        assert!(failures("ABC".to_string(), &rule).is_empty());
        assert_eq!(failures("abc".to_string(), &rule), ["regex: is invalid"]);
        assert_eq!(
            failures("A".to_string(), &[Rule::regex("(")]).len(),
            1,
            "a bad pattern matches nothing"
        );
    }

    #[test]
    fn field_errors_serialize_grouped_in_first_seen_order() {
        let mut errors = FieldErrors::new("User");
        errors.add("email", "email", "is invalid");
        errors.add("age", "range", "must be between 0 and 150");
        errors.add("email", "length", "is too short (minimum is 5 characters)");
        assert_eq!(
            serde_json::to_string(&errors).unwrap(),
            r#"{"errors":{"email":["is invalid","is too short (minimum is 5 characters)"],"age":["must be between 0 and 150"]}}"#
        );
        assert_eq!(errors.field("email").count(), 2);
        assert_eq!(errors.len(), 3);
        let err = errors.into_result().unwrap_err();
        assert!(
            err.to_string().contains("\nage: must be between 0 and 150"),
            "{err}"
        );
    }

    #[test]
    fn sqlite_refuses_nan_and_years_outside_0000_to_9999() {
        let problems = |check: &dyn Fn(&mut FieldErrors)| {
            let mut errors = FieldErrors::new("M");
            check(&mut errors);
            errors.iter().map(|e| e.message.clone()).collect::<Vec<_>>()
        };
        let day = |y| NaiveDate::from_ymd_opt(y, 1, 1).expect("a date");
        for ok in [day(0), day(1970), day(9999)] {
            assert!(
                problems(&|e| check_sqlite(e, "day", &ok)).is_empty(),
                "{ok}"
            );
            assert!(problems(&|e| check_sqlite(e, "at", &ok.and_hms_opt(0, 0, 0))).is_empty());
        }
        for bad in [day(10_000), day(-1)] {
            let found = problems(&|e| check_sqlite(e, "day", &Some(Some(bad))));
            assert_eq!(found.len(), 1);
            assert!(found[0].contains("0000 to 9999"), "{found:?}");
        }
        for ok in [0.0, -0.0, f64::INFINITY, f64::NEG_INFINITY, f64::MAX] {
            assert!(problems(&|e| check_sqlite(e, "x", &ok)).is_empty(), "{ok}");
        }
        assert!(problems(&|e| check_sqlite(e, "x", &None::<f64>)).is_empty());
        let found = problems(&|e| check_sqlite(e, "x", &Some(f32::NAN)));
        assert!(
            found[0].contains("NaN cannot be stored in SQLite"),
            "{found:?}"
        );
    }
}
