//! Database URLs: which backend a URL means, and how to print it safely.
//!
//! Accepted forms (the backend is chosen from the scheme):
//!
//! | URL | backend |
//! |---|---|
//! | `postgres://user:pass@host:5432/db?options` or `postgresql://…` | PostgreSQL (libpq URI) |
//! | `host=db user=app dbname=app` (libpq `key=value` pairs) | PostgreSQL |
//! | `sqlite://path/to/file.db`, `sqlite:path/to/file.db` | SQLite file (created if missing) |
//! | `sqlite::memory:`, `sqlite://:memory:`, `:memory:` | SQLite in memory |
//! | `file:data.db?mode=ro` | SQLite URI filename, passed to SQLite as is |
//! | `path/to/file.db` (no scheme) | SQLite file |
//!
//! Any other scheme (`mysql://`, `http://`, …), and `user:password@host…`
//! without a scheme, are refused with [`Error::Config`] (without showing
//! the rest of the URL). A string without a scheme that starts with `word=` is
//! read as libpq `key=value` pairs; a SQLite file whose name starts that
//! way is written `sqlite://word=….db`.
//!
//! # PostgreSQL URLs and passwords
//!
//! A PostgreSQL URL is read by libpq's own parser (`PQconninfoParse`), the
//! one libpq uses when it connects, never split by hand. glowplug then:
//!
//! * **shows** it rebuilt from what libpq read, with the password (and
//!   `sslpassword`) as `***`: [`redact_url`], [`Database::url`](crate::Database::url),
//!   every `Debug`, every error and every line of the command-line tool. The
//!   shown URL means the same as the original; parameters appear in libpq's
//!   order and percent-encoded.
//! * **connects** by handing libpq the options it read, as quoted
//!   `key='value'` pairs, so adding `connect_timeout` or naming another
//!   database never changes what the rest of the URL means.
//! * **refuses** a URL libpq would read differently from what its writer
//!   meant, with [`Error::Config`] saying what to percent-encode and without
//!   echoing the URL: an `@` after a `/` or a second `@` (a password with a
//!   raw `/` or `@`), a port that is not a number, anything libpq cannot
//!   parse (its own message, with the quoted part left out).
//!
//! A raw `#`, `?`, `:`, `&` or space in a password is read correctly by
//! libpq and accepted; `@`, `/` and `%` must be written `%40`, `%2F` and
//! `%25`. An `@` anywhere else in the URL (a user name or a parameter value)
//! is also written `%40`.

mod postgres;

use std::time::Duration;

use crate::connection::Backend;
use crate::error::{Error, Result};

pub(crate) use postgres::PgConninfo;

/// A parsed database URL.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum ConnectionSpec {
    /// A SQLite database: a path, a `file:` URI or `:memory:`.
    Sqlite { path: String },
    /// PostgreSQL connection options, as libpq read them.
    Postgres(PgConninfo),
}

impl ConnectionSpec {
    pub(crate) fn parse(url: &str) -> Result<Self> {
        let url = url.trim();
        if url.is_empty() {
            return Err(Error::config(
                "the database URL is empty: set DATABASE_URL to `postgres://user@host/db` or a SQLite path such as `app.db`".into(),
            ));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") || is_conninfo(url) {
            return PgConninfo::parse(url).map(ConnectionSpec::Postgres);
        }
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            let path = if path.is_empty() || path == ":memory:" {
                ":memory:".to_owned()
            } else {
                path.to_owned()
            };
            return Ok(ConnectionSpec::Sqlite { path });
        }
        if url == ":memory:" || url.starts_with("file:") {
            return Ok(ConnectionSpec::Sqlite { path: url.into() });
        }
        if let Some((scheme, _)) = url.split_once("://") {
            // The rest of the URL may hold a password in a form glowplug
            // does not parse, so only the scheme is shown.
            return Err(Error::config(format!(
                "unsupported database URL scheme `{}`: glowplug supports postgres://, postgresql://, sqlite:// and plain SQLite file paths",
                scheme.escape_debug()
            )));
        }
        if looks_like_credentials(url) {
            return Err(Error::config(
                "the database URL looks like `user:password@host/…` without a scheme: write postgres://user:password@host/db (a SQLite file whose name has `:` and `@` is written sqlite://…)".into(),
            ));
        }
        Ok(ConnectionSpec::Sqlite { path: url.into() })
    }

    pub(crate) fn backend(&self) -> Backend {
        match self {
            ConnectionSpec::Sqlite { .. } => Backend::Sqlite,
            ConnectionSpec::Postgres(_) => Backend::Postgres,
        }
    }

    /// Whether this is an in-memory SQLite database (one database per connection).
    pub(crate) fn is_memory(&self) -> bool {
        match self {
            ConnectionSpec::Sqlite { path } => {
                path == ":memory:" || (path.starts_with("file:") && path.contains("mode=memory"))
            }
            ConnectionSpec::Postgres(_) => false,
        }
    }

    /// The URL as it may be shown: every password replaced by `***`.
    pub(crate) fn redacted(&self) -> String {
        match self {
            ConnectionSpec::Sqlite { path } => format!("sqlite://{path}"),
            ConnectionSpec::Postgres(info) => info.redacted(),
        }
    }

    /// Removes every password from a message that might echo it.
    pub(crate) fn scrub(&self, message: &str) -> String {
        match self {
            ConnectionSpec::Sqlite { .. } => message.to_owned(),
            ConnectionSpec::Postgres(info) => info.scrub(message),
        }
    }
}

impl std::fmt::Debug for ConnectionSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Whether `text` (no scheme) starts `user:password@`: a PostgreSQL URL
/// missing its scheme, which must not be taken (and shown) as a file name.
fn looks_like_credentials(text: &str) -> bool {
    text.split_once('@')
        .is_some_and(|(before, _)| before.contains(':') && !before.contains('/'))
}

/// Whether `text` (no scheme) starts like libpq `key=value` pairs.
fn is_conninfo(text: &str) -> bool {
    let key_len = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    key_len > 0 && text[key_len..].trim_start().starts_with('=')
}

/// Which backend `url` means, without connecting; the error says what is
/// wrong with a URL glowplug cannot use (see the [module docs](self) for the
/// accepted forms).
///
/// ```
/// use glowplug::{Backend, url::backend_of};
/// assert_eq!(backend_of("postgres://app@db.internal/app")?, Backend::Postgres);
/// assert_eq!(backend_of("host=db.internal dbname=app")?, Backend::Postgres);
/// assert_eq!(backend_of("data/app.db")?, Backend::Sqlite);
/// assert!(backend_of("mysql://root@localhost/app").is_err());
/// # Ok::<(), glowplug::Error>(())
/// ```
pub fn backend_of(url: &str) -> Result<Backend> {
    ConnectionSpec::parse(url).map(|spec| spec.backend())
}

/// For a PostgreSQL `url`: the same connection with libpq's
/// `connect_timeout` set to `timeout`, unless it sets one, as a libpq
/// `key='value'` string (it holds the password: never show it). Any other
/// URL unchanged.
#[cfg_attr(not(feature = "cli"), allow(dead_code))] // the CLI's connections only
pub(crate) fn with_connect_timeout(url: &str, timeout: Duration) -> Result<String> {
    match ConnectionSpec::parse(url)? {
        ConnectionSpec::Postgres(info) => Ok(info.with_connect_timeout(timeout).conninfo()),
        ConnectionSpec::Sqlite { .. } => Ok(url.to_owned()),
    }
}

/// Returns `url` as it may be shown: a PostgreSQL URL rebuilt from what
/// libpq reads in it with every password (`user:password@`, `?password=`,
/// `password=` pairs, `sslpassword`) shown as `***`; a SQLite URL as it is.
/// A URL glowplug cannot read is shown only by its scheme.
///
/// ```
/// assert_eq!(
///     glowplug::redact_url("postgres://app:s3cret@db:5432/prod"),
///     "postgres://app:***@db:5432/prod"
/// );
/// // libpq reads `#` and `?` in a password as part of it.
/// assert_eq!(
///     glowplug::redact_url("postgres://app:s3#cr?t@db/prod?sslmode=require"),
///     "postgres://app:***@db/prod?sslmode=require"
/// );
/// assert_eq!(
///     glowplug::redact_url("postgres://db/prod?user=app&password=s3cret"),
///     "postgres://app:***@db/prod"
/// );
/// ```
pub fn redact_url(url: &str) -> String {
    match ConnectionSpec::parse(url) {
        Ok(spec) => spec.redacted(),
        Err(_) => match url.trim().split_once("://") {
            Some((scheme, _)) => format!("{}://***", scheme.escape_debug()),
            None => "***".to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_urls_get_a_connect_timeout_that_changes_nothing_else() {
        let seven = Duration::from_secs(7);
        let read = |text: &str| match ConnectionSpec::parse(text).unwrap() {
            ConnectionSpec::Postgres(info) => info,
            other => panic!("{other:?}"),
        };
        let timed = read(&with_connect_timeout("postgres://u:a?b@h/db", seven).unwrap());
        assert_eq!(timed.get("password"), Some("a?b"));
        assert_eq!(timed.get("dbname"), Some("db"));
        assert_eq!(timed.get("connect_timeout"), Some("7"));
        let kept = read(&with_connect_timeout("postgres://h/db?connect_timeout=1", seven).unwrap());
        assert_eq!(kept.get("connect_timeout"), Some("1"));
        assert_eq!(with_connect_timeout("app.db", seven).unwrap(), "app.db");
        // libpq counts whole seconds; never 0, which would mean no limit.
        for (timeout, secs) in [
            (Duration::from_millis(1500), "2"),
            (Duration::ZERO, "1"),
            (Duration::MAX, "18446744073709551615"),
        ] {
            let timed = read(&with_connect_timeout("postgres://h/db", timeout).unwrap());
            assert_eq!(timed.get("connect_timeout"), Some(secs));
        }
    }

    #[test]
    fn schemes_choose_the_backend() {
        let cases = [
            ("postgres://u@h/db", Backend::Postgres),
            ("postgresql://u@h/db", Backend::Postgres),
            ("host=h dbname=db", Backend::Postgres),
            ("sqlite://data/app.db", Backend::Sqlite),
            ("sqlite://dbname=x.db", Backend::Sqlite),
            ("sqlite:app.db", Backend::Sqlite),
            ("sqlite::memory:", Backend::Sqlite),
            (":memory:", Backend::Sqlite),
            ("file:app.db?mode=ro", Backend::Sqlite),
            ("app.db", Backend::Sqlite),
            ("my data.db", Backend::Sqlite),
        ];
        for (url, backend) in cases {
            assert_eq!(
                ConnectionSpec::parse(url).unwrap().backend(),
                backend,
                "{url}"
            );
        }
        assert_eq!(
            ConnectionSpec::parse("sqlite://data/app.db").unwrap(),
            ConnectionSpec::Sqlite {
                path: "data/app.db".into()
            }
        );
        assert!(
            ConnectionSpec::parse("sqlite::memory:")
                .unwrap()
                .is_memory()
        );
        assert!(ConnectionSpec::parse("sqlite://").unwrap().is_memory());
    }

    #[test]
    fn unknown_schemes_and_empty_urls_are_refused() {
        let err = ConnectionSpec::parse("mysql://root:pw@localhost/db").unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("unsupported database URL scheme `mysql`"),
            "{msg}"
        );
        assert!(!msg.contains("pw"), "{msg}");
        assert!(matches!(
            ConnectionSpec::parse("  "),
            Err(Error::Config { .. })
        ));
        assert_eq!(redact_url("mysql://root:pw@localhost/db"), "mysql://***");
        let err = ConnectionSpec::parse("app:s3cret@db.internal/app").unwrap_err();
        assert!(err.to_string().contains("without a scheme"), "{err}");
        assert!(!err.to_string().contains("s3cret"), "{err}");
        assert_eq!(redact_url("app:s3cret@db.internal/app"), "***");
        assert!(ConnectionSpec::parse("data/a@b.db").is_ok());
        assert_eq!(redact_url("postgres://u:p/w@h/db"), "postgres://***");
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://u:p%40ss@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            redact_url("postgres://u:a@h/db?password=b&sslmode=disable"),
            "postgres://u:***@h/db?sslmode=disable"
        );
        assert_eq!(
            redact_url("host=h password=secret sslpassword=other"),
            "postgres://:***@h?sslpassword=***"
        );
        let spec = ConnectionSpec::parse("postgres://u:hunter2@h/db").unwrap();
        assert_eq!(spec.scrub("auth failed for hunter2"), "auth failed for ***");
        assert_eq!(format!("{spec:?}"), "postgres://u:***@h/db");
    }
}
