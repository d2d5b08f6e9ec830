//! Creating and dropping the database a URL names ([`create_database`],
//! [`drop_database`]); the pool itself belongs to [`super`].

use diesel::prelude::*;

use super::manager::connection_error;
use super::{DEFAULT_CONNECT_TIMEOUT, Database};
use crate::backend::{postgres, sqlite};
use crate::connection::PgConnection;
use crate::error::{Error, Result};
use crate::url::{ConnectionSpec, PgConninfo};

/// Creates the database `url` names if it does not exist; returns whether
/// this call created it. PostgreSQL: `CREATE DATABASE` from the server's
/// `postgres` maintenance database; when another process creates the same
/// database at the same moment, that is success too (`Ok(false)`). SQLite:
/// the file (its directory must exist); an in-memory database needs
/// nothing, and a `file:` URI is opened (SQLite creates the file if the
/// URI's mode allows) and reported as not created.
pub fn create_database(url: &str) -> Result<bool> {
    let spec = ConnectionSpec::parse(url)?;
    match &spec {
        _ if spec.is_memory() => Ok(false),
        ConnectionSpec::Sqlite { path } => create_sqlite_file(url, path),
        ConnectionSpec::Postgres(info) => create_postgres_database(&spec, info),
    }
}

/// Drops the database `url` names; returns whether it existed. PostgreSQL:
/// `DROP DATABASE` from the `postgres` maintenance database (it fails while
/// other sessions are connected). SQLite: removes the file and its `-wal`,
/// `-shm` and `-glowplug-lock` companions.
pub fn drop_database(url: &str) -> Result<bool> {
    let spec = ConnectionSpec::parse(url)?;
    match &spec {
        _ if spec.is_memory() => Ok(false),
        ConnectionSpec::Sqlite { path } => remove_sqlite_files(path),
        ConnectionSpec::Postgres(info) => {
            let (name, mut admin) = pg_maintenance(&spec, info)?;
            let existed = postgres::database_exists(&mut admin, &name).map_err(Error::from)?;
            if existed {
                postgres::drop_database(&mut admin, &name)
                    .map_err(|e| admin_error("drop", &name, e))?;
            }
            Ok(existed)
        }
    }
}

/// [`create_database`] for a SQLite file `path` (or `file:` URI) of `url`.
fn create_sqlite_file(url: &str, path: &str) -> Result<bool> {
    if path.starts_with("file:") {
        // SQLite resolves a URI filename itself; opening it creates
        // the file when the URI's mode allows.
        Database::builder(url).max_size(1).build()?;
        return Ok(false);
    }
    // Whoever creates the (empty) file first created the database;
    // SQLite reads an empty file as an empty database.
    let created = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(_) => true,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => false,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // The directory is missing: the pool says so.
            Database::builder(url).max_size(1).build()?;
            true
        }
        Err(e) => {
            return Err(Error::config_caused_by(
                format!("cannot create {path}: {e}"),
                e,
            ));
        }
    };
    // Proves the file is a database glowplug can open.
    Database::builder(url).max_size(1).build()?;
    Ok(created)
}

/// [`create_database`] on PostgreSQL: `CREATE DATABASE` unless connecting
/// to it already works.
fn create_postgres_database(spec: &ConnectionSpec, info: &PgConninfo) -> Result<bool> {
    let conninfo = info
        .with_connect_timeout(DEFAULT_CONNECT_TIMEOUT)
        .conninfo();
    match PgConnection::establish(&conninfo) {
        Ok(_) => Ok(false),
        Err(e) if e.to_string().contains("does not exist") => {
            let (name, mut admin) = pg_maintenance(spec, info)?;
            match postgres::create_database(&mut admin, &name) {
                Ok(()) => Ok(true),
                Err(e) if postgres::already_exists(&e) => Ok(false),
                Err(e) => Err(admin_error("create", &name, e)),
            }
        }
        Err(e) => Err(connection_error(spec, e.to_string())),
    }
}

/// [`drop_database`] for a SQLite file: removes it and its companions;
/// whether the database file existed.
fn remove_sqlite_files(path: &str) -> Result<bool> {
    let existed = std::path::Path::new(path).exists();
    for suffix in std::iter::once("").chain(sqlite::COMPANION_SUFFIXES) {
        match std::fs::remove_file(format!("{path}{suffix}")) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(Error::config_caused_by(
                    format!("cannot remove {path}{suffix}: {e}"),
                    e,
                ));
            }
        }
    }
    Ok(existed)
}

/// The database name in `info` and a connection to the server's `postgres` database.
fn pg_maintenance(spec: &ConnectionSpec, info: &PgConninfo) -> Result<(String, PgConnection)> {
    let name = info
        .get("dbname")
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            Error::config(format!(
                "{} names no database; add `/name` after the host",
                spec.redacted()
            ))
        })?
        .to_owned();
    let mut admin = info.with_connect_timeout(DEFAULT_CONNECT_TIMEOUT);
    admin.set("dbname", "postgres".into());
    let conn = PgConnection::establish(&admin.conninfo())
        .map_err(|e| connection_error(spec, e.to_string()))?;
    Ok((name, conn))
}

/// A failed `CREATE`/`DROP DATABASE`: the connection worked, the statement did not.
fn admin_error(verb: &str, name: &str, e: diesel::result::Error) -> Error {
    match Error::from(e) {
        Error::Query(cause) => Error::schema_caused_by(
            format!(
                "could not {verb} the database `{name}`: {} (the server answered; check that the user may {verb} databases{})",
                crate::error::with_causes(&cause),
                if verb == "drop" {
                    " and that no other session is connected to it"
                } else {
                    ""
                }
            ),
            cause,
        ),
        other => other,
    }
}
