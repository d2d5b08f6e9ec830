//! PostgreSQL connection strings, read by libpq's own parser.
//!
//! glowplug never splits a PostgreSQL URL by hand: `PQconninfoParse` (the
//! parser libpq itself uses when it connects) reads it into libpq's
//! options, and everything else works on those options:
//!
//! * connecting passes them back to libpq as a quoted `key='value'` string,
//!   so adding `connect_timeout` (or changing the database for `CREATE
//!   DATABASE`) can never change what the rest of the URL means;
//! * showing a URL renders it from the options with every secret
//!   (`password`, `sslpassword`) replaced by `***`, so no way of writing a
//!   password (raw, percent-encoded, `?password=`, `key=value`) survives;
//! * a URL libpq would read differently from what its writer meant is
//!   refused before it is used, without echoing it (see [`check_uri_shape`]).

use std::ffi::{CStr, CString, c_char};

use crate::error::{Error, Result};

/// The options whose values are secrets: never shown, scrubbed from messages.
const SECRET_KEYS: [&str; 2] = ["password", "sslpassword"];

/// What to do about characters libpq reads specially, for every error here.
const ENCODE_HINT: &str = "percent-encode special characters in the user name, password, \
     database name and parameter values (`@` as %40, `/` as %2F, `%` as %25)";

/// libpq's connection options, as libpq reads a URL or `key=value` string.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PgConninfo {
    /// `(keyword, value)` for every option the string sets, in libpq's order.
    options: Vec<(String, String)>,
    /// Every secret as it may appear in a message: decoded, and as written.
    secrets: Vec<String>,
}

impl PgConninfo {
    /// Reads `text`, a `postgres://` / `postgresql://` URI or a libpq
    /// `key=value` string.
    pub(crate) fn parse(text: &str) -> Result<PgConninfo> {
        let written_password = match uri_rest(text) {
            Some(rest) => check_uri_shape(rest)?,
            None => None,
        };
        let options = libpq_parse(text)?;
        let mut info = PgConninfo {
            options,
            secrets: Vec::new(),
        };
        let mut secrets: Vec<String> = SECRET_KEYS
            .iter()
            .filter_map(|k| info.get(k))
            .map(str::to_owned)
            .chain(written_password)
            .filter(|s| !s.is_empty())
            .collect();
        secrets.sort();
        secrets.dedup();
        info.secrets = secrets;
        info.check_ports()?;
        Ok(info)
    }

    /// The value of option `key`, if the string sets it.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Sets option `key` to `value`.
    pub(crate) fn set(&mut self, key: &str, value: String) {
        match self.options.iter_mut().find(|(k, _)| k == key) {
            Some((_, v)) => *v = value,
            None => self.options.push((key.to_owned(), value)),
        }
    }

    /// These options with libpq's `connect_timeout` set to `timeout` (whole
    /// seconds, at least 1: 0 would mean no limit), unless they set one.
    pub(crate) fn with_connect_timeout(&self, timeout: std::time::Duration) -> PgConninfo {
        let mut info = self.clone();
        if info.get("connect_timeout").is_none() {
            let secs = timeout
                .as_secs()
                .saturating_add(u64::from(timeout.subsec_nanos() > 0))
                .max(1);
            info.set("connect_timeout", secs.to_string());
        }
        info
    }

    /// The options as a libpq `key='value'` string, for connecting. Holds
    /// the password: never shown.
    pub(crate) fn conninfo(&self) -> String {
        let mut out = String::new();
        for (key, value) in &self.options {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(key);
            out.push_str("='");
            for c in value.chars() {
                if c == '\\' || c == '\'' {
                    out.push('\\');
                }
                out.push(c);
            }
            out.push('\'');
        }
        out
    }

    /// The options as a `postgres://` URL with every secret shown as `***`.
    pub(crate) fn redacted(&self) -> String {
        let mut out = String::from("postgres://");
        let user = self.get("user");
        let password = self.get("password").is_some();
        if user.is_some() || password {
            out.push_str(&encode(user.unwrap_or("")));
            if password {
                out.push_str(":***");
            }
            out.push('@');
        }
        let authority = self.authority();
        if let Some(hosts) = &authority {
            out.push_str(hosts);
        }
        if let Some(db) = self.get("dbname") {
            out.push('/');
            out.push_str(&encode(db));
        }
        let mut sep = '?';
        for (key, value) in &self.options {
            let shown_above = matches!(key.as_str(), "user" | "password" | "dbname")
                || (authority.is_some() && matches!(key.as_str(), "host" | "port"));
            if shown_above {
                continue;
            }
            out.push(sep);
            sep = '&';
            out.push_str(&encode(key));
            out.push('=');
            if SECRET_KEYS.contains(&key.as_str()) {
                out.push_str("***");
            } else {
                out.push_str(&encode(value));
            }
        }
        out
    }

    /// Hosts and ports in URI form (`h1:5432,[::1]:5433`), when they can be
    /// written there with the same meaning; otherwise `None`, and they are
    /// shown as `?host=…&port=…`.
    fn authority(&self) -> Option<String> {
        let hosts: Vec<&str> = self.get("host").map_or(vec![], |h| h.split(',').collect());
        let ports: Vec<&str> = self.get("port").map_or(vec![], |p| p.split(',').collect());
        let plain = |h: &&str| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'))
        };
        let fits = ports.is_empty() || ports.len() == hosts.len() || hosts.len() <= 1;
        if !fits || !hosts.iter().all(plain) || (hosts.is_empty() && ports.len() > 1) {
            return None;
        }
        let count = hosts.len().max(ports.len());
        let parts: Vec<String> = (0..count)
            .map(|i| {
                let host = hosts.get(i).copied().unwrap_or("");
                let host = if host.contains(':') {
                    format!("[{host}]")
                } else {
                    host.to_owned()
                };
                match ports.get(i) {
                    Some(port) if !port.is_empty() => format!("{host}:{port}"),
                    _ => host,
                }
            })
            .collect();
        Some(parts.join(","))
    }

    /// `message` with every secret of this string replaced by `***`.
    pub(crate) fn scrub(&self, message: &str) -> String {
        self.secrets
            .iter()
            .fold(message.to_owned(), |m, s| m.replace(s.as_str(), "***"))
    }

    /// Every port must be a number: a word there means the URL was misread
    /// (a `/` in a password ends the host early), and libpq would echo it.
    fn check_ports(&self) -> Result<()> {
        let numeric = |p: &str| p.chars().all(|c| c.is_ascii_digit());
        match self.get("port") {
            Some(ports) if !ports.split(',').all(numeric) => Err(Error::config(format!(
                "the PostgreSQL URL's port is not a number: check the host and port \
                 (`host:5432`); {ENCODE_HINT}"
            ))),
            _ => Ok(()),
        }
    }
}

impl std::fmt::Debug for PgConninfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// What follows `postgres://` or `postgresql://`, if `text` is such a URI.
fn uri_rest(text: &str) -> Option<&str> {
    text.strip_prefix("postgres://")
        .or_else(|| text.strip_prefix("postgresql://"))
}

/// Refuses a URI that libpq would read differently from what its writer
/// meant, and returns the password as written, if any.
///
/// libpq reads a user name and password only when an `@` comes before the
/// first `/`, and ends them at the first `@`. So a raw `/` in a password
/// turns the user name and password into a host and port (and the rest into
/// the database name), and a raw `@` ends the password early and makes the
/// rest the host; either way libpq would then connect somewhere else and
/// echo parts of the password in its error. A raw `#`, `?`, `:`, `&` or
/// space in a password is read correctly by libpq, and accepted.
///
/// The rule: at most one raw `@`, and no `/` before it. Any other `@` (in a
/// user name, password or parameter value) is written `%40`.
fn check_uri_shape(rest: &str) -> Result<Option<String>> {
    let mut ats = rest.match_indices('@');
    let Some((at, _)) = ats.next() else {
        return Ok(None);
    };
    if ats.next().is_some() {
        return Err(Error::config(format!(
            "the PostgreSQL URL has more than one `@`: libpq ends the password at the first one \
             and reads the rest as the host; {ENCODE_HINT}"
        )));
    }
    if rest[..at].contains('/') {
        return Err(Error::config(format!(
            "the PostgreSQL URL has a `/` before its `@`: libpq reads a user name and password \
             only before the first `/`, so it would take them for the host and port; {ENCODE_HINT}"
        )));
    }
    Ok(rest[..at].split_once(':').map(|(_, p)| p.to_owned()))
}

/// Runs libpq's `PQconninfoParse` on `text`. libpq's own error messages
/// quote the part they could not read, which may be a password, so they are
/// reworded (see [`libpq_reason`]).
fn libpq_parse(text: &str) -> Result<Vec<(String, String)>> {
    let c_text = CString::new(text).map_err(|_| {
        Error::config("the PostgreSQL connection string contains a NUL character".into())
    })?;
    let mut err: *mut c_char = std::ptr::null_mut();
    // SAFETY: `c_text` is a NUL-terminated string that outlives the call;
    // `err` is a valid place for libpq to store its message pointer.
    let options = unsafe { pq_sys::PQconninfoParse(c_text.as_ptr(), &mut err) };
    if options.is_null() {
        let message = if err.is_null() {
            "libpq ran out of memory".to_owned()
        } else {
            // SAFETY: libpq set `err` to a NUL-terminated message it
            // allocated; it is read once and freed with `PQfreemem`.
            let message = unsafe { CStr::from_ptr(err) }
                .to_string_lossy()
                .into_owned();
            unsafe { pq_sys::PQfreemem(err.cast()) };
            message
        };
        return Err(Error::config(format!(
            "the PostgreSQL connection string could not be read: {}; {ENCODE_HINT}",
            libpq_reason(&message)
        )));
    }
    let mut out = Vec::new();
    let mut bad_key = None;
    let mut at = options;
    // SAFETY: `PQconninfoParse` returned an array of options that ends with
    // an entry whose keyword is NULL; keyword and value are NUL-terminated
    // strings (the value NULL when unset). The array is freed with
    // `PQconninfoFree` once, after the loop, and nothing borrowed outlives it.
    unsafe {
        while !(*at).keyword.is_null() {
            let option = &*at;
            if !option.val.is_null() {
                let key = CStr::from_ptr(option.keyword)
                    .to_string_lossy()
                    .into_owned();
                match CStr::from_ptr(option.val).to_str() {
                    Ok(value) => out.push((key, value.to_owned())),
                    Err(_) => bad_key = Some(key),
                }
            }
            at = at.add(1);
        }
        pq_sys::PQconninfoFree(options);
    }
    match bad_key {
        Some(key) => Err(Error::config(format!(
            "the PostgreSQL connection string's `{key}` is not valid UTF-8 once percent-decoded \
             (a `%` and two hex digits are read as one encoded byte); {ENCODE_HINT}"
        ))),
        None => Ok(out),
    }
}

/// What libpq's parse error `message` says, in words that quote nothing of
/// the string. libpq quotes the token it could not read, and that token may
/// be a password or part of one (with quotes inside, or a parameter name
/// made of a password's text after a raw `&`).
fn libpq_reason(message: &str) -> String {
    const REASONS: [(&str, &str); 11] = [
        (
            "invalid URI query parameter",
            "an unknown URL parameter (a name after `?` that libpq does not know; \
             a `&` inside a value is written `%26`)",
        ),
        (
            "invalid percent-encoded token",
            "a `%` not followed by two hex digits",
        ),
        ("forbidden value %00", "an encoded NUL character (`%00`)"),
        ("missing key/value separator", "a URL parameter without `=`"),
        (
            "extra key/value separator",
            "a URL parameter with a second `=` (write it `%3D`)",
        ),
        (
            "looking for matching \"]\"",
            "an IPv6 address without its closing `]`",
        ),
        (
            "IPv6 host address may not be empty",
            "an empty IPv6 address `[]`",
        ),
        (
            "unexpected character",
            "an unexpected character after an IPv6 address",
        ),
        ("invalid connection option", "an unknown `key=`"),
        (
            "missing \"=\" after",
            "a word without `=` (quote values with spaces: `password='a b'`)",
        ),
        (
            "unterminated quoted string",
            "a quoted value without its closing quote",
        ),
    ];
    REASONS
        .iter()
        .find(|(libpq, _)| message.contains(libpq))
        .map_or_else(
            || "a form libpq does not accept".to_owned(),
            |(_, ours)| format!("it has {ours}"),
        )
}

/// `text` percent-encoded, keeping only RFC 3986's unreserved characters.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> PgConninfo {
        PgConninfo::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn passwords_with_characters_libpq_reads_raw_are_accepted_and_hidden() {
        for (url, password) in [
            ("postgres://u:Zq8ab#cd@host/db", "Zq8ab#cd"),
            ("postgres://u:ab?cd@host/db?sslmode=disable", "ab?cd"),
            ("postgres://u:a:b&c d@host/db", "a:b&c d"),
            ("postgres://u:p%40ss%2Fw@host/db", "p@ss/w"),
            ("postgresql://host/db?password=s%26cret", "s&cret"),
            ("host=h user=u password='it\\'s secret'", "it's secret"),
        ] {
            let info = parsed(url);
            assert_eq!(info.get("password"), Some(password), "{url}");
            let shown = format!("{} {info:?}", info.redacted());
            assert!(!shown.contains(password), "{url}: {shown}");
            assert!(shown.contains("***"), "{url}: {shown}");
            assert_eq!(info.scrub(&format!("echo {password}")), "echo ***");
        }
        assert_eq!(
            parsed("postgres://u:Zq8ab#cd@host:5433/db?sslmode=disable").redacted(),
            "postgres://u:***@host:5433/db?sslmode=disable"
        );
    }

    #[test]
    fn urls_libpq_would_misread_are_refused_without_echoing_them() {
        for url in [
            "postgres://u:a/bcdef@host/db",
            "postgres://u:a@bcdef@host/db",
            "postgres://u:1/b?sslmode=x@host/db",
            "postgres://u:a/b?cdef@host/db",
            "postgres://u:bc%zzdef@host/db",
            "postgres://u:secret/db",
            "postgres://[::1,bcdef/db",
        ] {
            let err = PgConninfo::parse(url).unwrap_err();
            assert!(matches!(err, Error::Config { .. }), "{url}: {err:?}");
            let shown = format!("{err} {err:?}");
            for secret in ["bcdef", "a/b", "secret", "sslmode=x"] {
                assert!(!shown.contains(secret), "{url}: {shown}");
            }
            assert!(shown.contains("percent-encode"), "{shown}");
        }
    }

    #[test]
    fn libpq_parse_errors_quote_nothing() {
        let reason = |text: &str| match PgConninfo::parse(text) {
            Err(Error::Config { message: m, .. }) => m,
            other => panic!("{text}: {other:?}"),
        };
        for (url, says, hides) in [
            (
                "postgres://h/db?password=abc&defghi=1",
                "an unknown URL parameter",
                "defghi",
            ),
            (
                "postgres://u:a\"%zz\"bcdef@h/db",
                "a `%` not followed by two hex digits",
                "bcdef",
            ),
            ("host=h password=abc defghi", "a word without `=`", "defghi"),
            ("postgres://[::1/secret", "closing `]`", "secret"),
        ] {
            let m = reason(url);
            assert!(m.contains(says), "{m}");
            assert!(!m.contains(hides), "{m}");
        }
    }

    #[test]
    fn the_rendering_means_what_the_url_means() {
        for url in [
            "postgres://",
            "postgres://u@h/db",
            "postgres://:5433/db",
            "postgres://h1:5432,[::1]:5433/db?target_session_attrs=read-write",
            "postgres:///db?host=/var/run/postgresql",
            "postgres://h1,h2:5433/db",
            "postgres://h/db?options=-c%20search_path%3Dx&application_name=a%20b",
            "host=h dbname='it\\'s' port=5432",
        ] {
            let info = parsed(url);
            let again = parsed(&info.redacted());
            assert_eq!(again.options, info.options, "{url} -> {}", info.redacted());
        }
    }

    #[test]
    fn conninfo_keeps_every_value_as_libpq_read_it() {
        let mut info = parsed("postgres://u:it's%20a\\b@h/db?options=-c%20x%3D1");
        info.set("connect_timeout", "7".into());
        let again = parsed(&info.conninfo());
        let sorted = |i: &PgConninfo| {
            let mut o = i.options.clone();
            o.sort();
            o
        };
        assert_eq!(sorted(&again), sorted(&info));
        assert_eq!(again.get("password"), Some("it's a\\b"));
        assert_eq!(again.get("connect_timeout"), Some("7"));
    }
}
