//! Database URLs: which backend a URL means, and how to print it safely.
//!
//! Accepted forms (the backend is chosen from the scheme):
//!
//! | URL | backend |
//! |---|---|
//! | `postgres://user:pass@host:5432/db?options` or `postgresql://…` | PostgreSQL (libpq URI) |
//! | `sqlite://path/to/file.db`, `sqlite:path/to/file.db` | SQLite file (created if missing) |
//! | `sqlite::memory:`, `sqlite://:memory:`, `:memory:` | SQLite in memory |
//! | `file:data.db?mode=ro` | SQLite URI filename, passed to SQLite as is |
//! | `path/to/file.db` (no scheme) | SQLite file |
//!
//! Any other scheme (`mysql://`, `http://`, …) is refused with
//! [`Error::Config`]. [`redact_url`] replaces a password with `***`
//! wherever glowplug prints or stores a URL.

use crate::connection::Backend;
use crate::error::{Error, Result};

/// A parsed database URL.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum ConnectionSpec {
    /// A SQLite database: a path, a `file:` URI or `:memory:`.
    Sqlite { path: String },
    /// A PostgreSQL URI, exactly as given (libpq parses it).
    Postgres { url: String },
}

impl ConnectionSpec {
    pub(crate) fn parse(url: &str) -> Result<Self> {
        let url = url.trim();
        if url.is_empty() {
            return Err(Error::Config(
                "the database URL is empty: set DATABASE_URL to `postgres://user@host/db` or a SQLite path such as `app.db`".into(),
            ));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(ConnectionSpec::Postgres { url: url.into() });
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
            return Err(Error::Config(format!(
                "unsupported database URL scheme `{scheme}` in {}: glowplug supports postgres://, postgresql://, sqlite:// and plain SQLite file paths",
                redact_url(url)
            )));
        }
        Ok(ConnectionSpec::Sqlite { path: url.into() })
    }

    pub(crate) fn backend(&self) -> Backend {
        match self {
            ConnectionSpec::Sqlite { .. } => Backend::Sqlite,
            ConnectionSpec::Postgres { .. } => Backend::Postgres,
        }
    }

    /// Whether this is an in-memory SQLite database (one database per connection).
    pub(crate) fn is_memory(&self) -> bool {
        match self {
            ConnectionSpec::Sqlite { path } => {
                path == ":memory:" || (path.starts_with("file:") && path.contains("mode=memory"))
            }
            ConnectionSpec::Postgres { .. } => false,
        }
    }

    /// The URL as it may be shown: the password replaced by `***`.
    pub(crate) fn redacted(&self) -> String {
        match self {
            ConnectionSpec::Sqlite { path } => format!("sqlite://{path}"),
            ConnectionSpec::Postgres { url } => redact_url(url),
        }
    }

    /// The password in the URL, if any (used to scrub driver messages).
    pub(crate) fn password(&self) -> Option<String> {
        match self {
            ConnectionSpec::Sqlite { .. } => None,
            ConnectionSpec::Postgres { url } => password_of(url),
        }
    }

    /// Removes the password from a message that might echo it.
    pub(crate) fn scrub(&self, message: &str) -> String {
        match self.password() {
            Some(p) if !p.is_empty() => message.replace(&p, "***"),
            _ => message.to_owned(),
        }
    }
}

/// Which backend `url` means, without connecting; the error says what is
/// wrong with a URL glowplug cannot use (see the [module docs](self) for the
/// accepted forms).
///
/// ```
/// use glowplug::{Backend, url::backend_of};
/// assert_eq!(backend_of("postgres://app@db.internal/app")?, Backend::Postgres);
/// assert_eq!(backend_of("data/app.db")?, Backend::Sqlite);
/// assert!(backend_of("mysql://root@localhost/app").is_err());
/// # Ok::<(), glowplug::Error>(())
/// ```
pub fn backend_of(url: &str) -> Result<Backend> {
    ConnectionSpec::parse(url).map(|spec| spec.backend())
}

/// A PostgreSQL `url` with libpq's `connect_timeout` (whole seconds, at least
/// 1) added, unless it already has one; any other URL unchanged.
pub(crate) fn with_connect_timeout(url: &str, timeout: std::time::Duration) -> String {
    let pg = url.starts_with("postgres://") || url.starts_with("postgresql://");
    if !pg || url.contains("connect_timeout=") {
        return url.to_owned();
    }
    let secs = timeout.as_secs() + u64::from(timeout.subsec_nanos() > 0);
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}connect_timeout={}", secs.max(1))
}

/// For a PostgreSQL URL: the database it names and the same URL naming
/// `other` instead (for `CREATE`/`DROP DATABASE` from the maintenance database).
pub(crate) fn pg_database(url: &str, other: &str) -> Option<(String, String)> {
    let after_scheme = url.find("://")? + 3;
    let slash = after_scheme + url[after_scheme..].find('/')?;
    let end = url[slash + 1..]
        .find(['?', '#'])
        .map_or(url.len(), |i| slash + 1 + i);
    let name = &url[slash + 1..end];
    if name.is_empty() {
        return None;
    }
    Some((
        name.to_owned(),
        format!("{}{other}{}", &url[..=slash], &url[end..]),
    ))
}

impl std::fmt::Debug for ConnectionSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// The span (start, end) of the user-info password in `url`, if any.
fn password_span(url: &str) -> Option<(usize, usize)> {
    let after_scheme = url.find("://")? + 3;
    let authority_end = url[after_scheme..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| after_scheme + i);
    let authority = &url[after_scheme..authority_end];
    let at = authority.rfind('@')?;
    let userinfo = &authority[..at];
    let colon = userinfo.find(':')?;
    Some((after_scheme + colon + 1, after_scheme + at))
}

/// The span of a `password=` query parameter's value, if any.
fn password_param_span(url: &str) -> Option<(usize, usize)> {
    let query_start = url.find('?')? + 1;
    let mut offset = query_start;
    for pair in url[query_start..].split('&') {
        if let Some(value) = pair.strip_prefix("password=") {
            let start = offset + "password=".len();
            return Some((start, start + value.len()));
        }
        offset += pair.len() + 1;
    }
    None
}

fn password_of(url: &str) -> Option<String> {
    let (s, e) = password_span(url).or_else(|| password_param_span(url))?;
    Some(url[s..e].to_owned())
}

/// Returns `url` with any password (`user:password@` or `?password=`) replaced by `***`.
///
/// ```
/// assert_eq!(
///     glowplug::redact_url("postgres://app:s3cret@db:5432/prod"),
///     "postgres://app:***@db:5432/prod"
/// );
/// assert_eq!(
///     glowplug::redact_url("postgres://db/prod?user=app&password=s3cret"),
///     "postgres://db/prod?user=app&password=***"
/// );
/// ```
pub fn redact_url(url: &str) -> String {
    let mut out = url.to_owned();
    // The query parameter comes later in the string, so replace it first.
    if let Some((s, e)) = password_param_span(&out) {
        out.replace_range(s..e, "***");
    }
    if let Some((s, e)) = password_span(&out) {
        out.replace_range(s..e, "***");
    }
    out
}

#[cfg(test)]
mod tests {

    #[test]
    fn postgres_urls_get_a_connect_timeout() {
        use std::time::Duration;
        let seven = Duration::from_secs(7);
        assert_eq!(
            with_connect_timeout("postgres://h/db", seven),
            "postgres://h/db?connect_timeout=7"
        );
        assert_eq!(
            with_connect_timeout("postgres://h/db?sslmode=disable", seven),
            "postgres://h/db?sslmode=disable&connect_timeout=7"
        );
        assert_eq!(
            with_connect_timeout("postgres://h/db?connect_timeout=1", seven),
            "postgres://h/db?connect_timeout=1"
        );
        assert_eq!(with_connect_timeout("app.db", seven), "app.db");
        // libpq counts whole seconds; never 0, which would mean no limit.
        assert_eq!(
            with_connect_timeout("postgres://h/db", Duration::from_millis(1500)),
            "postgres://h/db?connect_timeout=2"
        );
        assert_eq!(
            with_connect_timeout("postgres://h/db", Duration::ZERO),
            "postgres://h/db?connect_timeout=1"
        );
    }

    use super::*;

    #[test]
    fn schemes_choose_the_backend() {
        let cases = [
            ("postgres://u@h/db", Backend::Postgres),
            ("postgresql://u@h/db", Backend::Postgres),
            ("sqlite://data/app.db", Backend::Sqlite),
            ("sqlite:app.db", Backend::Sqlite),
            ("sqlite::memory:", Backend::Sqlite),
            (":memory:", Backend::Sqlite),
            ("file:app.db?mode=ro", Backend::Sqlite),
            ("app.db", Backend::Sqlite),
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
        assert!(!msg.contains("pw@"), "{msg}");
        assert!(matches!(ConnectionSpec::parse("  "), Err(Error::Config(_))));
    }

    #[test]
    fn postgres_database_names() {
        assert_eq!(
            pg_database("postgres://u:p@h:5432/app?sslmode=disable", "postgres"),
            Some((
                "app".to_owned(),
                "postgres://u:p@h:5432/postgres?sslmode=disable".to_owned()
            ))
        );
        assert_eq!(pg_database("postgres://h", "postgres"), None);
        assert_eq!(pg_database("postgres://h/", "postgres"), None);
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://u:p%40ss@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            redact_url("postgres://u:a@h/db?password=b&x=1"),
            "postgres://u:***@h/db?password=***&x=1"
        );
        let spec = ConnectionSpec::parse("postgres://u:hunter2@h/db").unwrap();
        assert_eq!(spec.password().as_deref(), Some("hunter2"));
        assert_eq!(spec.scrub("auth failed for hunter2"), "auth failed for ***");
        assert_eq!(format!("{spec:?}"), "postgres://u:***@h/db");
    }
}
