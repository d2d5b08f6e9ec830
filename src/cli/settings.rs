//! Where a command's settings come from: the database URL (flag, then
//! `DATABASE_URL`), the migrations directory (flag, `MIGRATION_DIRECTORY`,
//! `diesel.toml`, `./migrations`), and the pool the command connects with,
//! carrying the command line's timeouts.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::args::Cli;
use crate::connection::Backend;
use crate::{Database, Error, Result};

/// The database URL: the flag, else `MIGRATION_DATABASE_URL` (the direct
/// server URL of an application that runs behind PgBouncer), else
/// `DATABASE_URL`.
pub(super) fn database_url(cli: &Cli) -> Result<String> {
    if let Some(url) = &cli.database_url {
        return Ok(url.clone());
    }
    match std::env::var("MIGRATION_DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => return Ok(url),
        _ => {}
    }
    std::env::var("DATABASE_URL").map_err(|_| {
        Error::config(
            "DATABASE_URL is not set: set it in the environment or in .env, or pass --database-url"
                .into(),
        )
    })
}

/// `--statement-timeout` / `--lock-timeout` as a duration.
fn seconds(flag: &str, secs: Option<f64>) -> Result<Option<Duration>> {
    secs.map(|s| {
        Duration::try_from_secs_f64(s).map_err(|_| {
            Error::config(format!(
                "--{flag} must be a number of seconds of at least 0 (got {s})"
            ))
        })
    })
    .transpose()
}

/// The migrations directory: the flag, `MIGRATION_DIRECTORY`, `diesel.toml`, `./migrations`.
pub(super) fn migrations_dir(cli: &Cli) -> Result<PathBuf> {
    if let Some(dir) = &cli.dir {
        return Ok(dir.clone());
    }
    if let Some(dir) = std::env::var_os("MIGRATION_DIRECTORY") {
        return Ok(PathBuf::from(dir));
    }
    let cwd = std::env::current_dir().map_err(|e| {
        Error::config_caused_by(format!("cannot read the working directory: {e}"), e)
    })?;
    for dir in cwd.ancestors() {
        let file = dir.join("diesel.toml");
        if file.is_file() {
            return Ok(from_diesel_toml(&file)?.unwrap_or_else(|| dir.join("migrations")));
        }
    }
    Ok(cwd.join("migrations"))
}

/// `[migrations_directory] dir` of a `diesel.toml`, relative to its directory.
fn from_diesel_toml(file: &Path) -> Result<Option<PathBuf>> {
    let bad = |m: String| Error::config(format!("{}: {m}", file.display()));
    let text = std::fs::read_to_string(file)
        .map_err(|e| Error::config_caused_by(format!("{}: {e}", file.display()), e))?;
    let table: toml::Table = toml::from_str(&text)
        .map_err(|e| Error::config_caused_by(format!("{}: {}", file.display(), e.message()), e))?;
    let dir = table
        .get("migrations_directory")
        .and_then(|m| m.get("dir"))
        .map(|d| {
            d.as_str()
                .map(|d| file.parent().unwrap_or(Path::new(".")).join(d))
                .ok_or_else(|| bad("`[migrations_directory] dir` must be a string".into()))
        })
        .transpose()?;
    Ok(dir)
}

/// A pool of one connection on the database URL with the command line's timeouts.
pub(super) fn connect(cli: &Cli) -> Result<Database> {
    connect_to(cli, &database_url(cli)?)
}

pub(super) fn connect_to(cli: &Cli, url: &str) -> Result<Database> {
    let mut builder = Database::builder(url)
        .max_size(1)
        .connect_timeout(Duration::from_secs(cli.connect_timeout));
    if let Some(t) = seconds("statement-timeout", cli.statement_timeout)? {
        builder = builder.statement_timeout(t);
    }
    if let Some(t) = seconds("lock-timeout", cli.lock_timeout)? {
        builder = builder.lock_timeout(t);
    }
    builder.build()
}
/// The backend the database URL names, SQLite when none is set.
pub(super) fn url_backend(cli: &Cli) -> Result<Backend> {
    match database_url(cli) {
        Ok(url) => Ok(crate::url::ConnectionSpec::parse(&url)?.backend()),
        Err(_) => Ok(Backend::Sqlite),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_diesel_toml_is_a_config_error_that_keeps_its_cause() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("diesel.toml");
        std::fs::write(&file, "[migrations_directory\ndir = 1").unwrap();
        let err = from_diesel_toml(&file).unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{err:?}");
        assert!(err.to_string().contains("diesel.toml"), "{err}");
        let cause = std::error::Error::source(&err).expect("the TOML error is kept");
        assert!(cause.is::<toml::de::Error>(), "{cause:?}");
    }
}
