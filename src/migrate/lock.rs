//! The migration lock: one migrator at a time per database (and schema).
//!
//! * **PostgreSQL**: a session-level advisory lock on the migration
//!   connection, keyed by the database and schema the ledger lives in. It is
//!   taken with `pg_try_advisory_lock`, polled with backoff (5 ms doubling to
//!   250 ms) until the timeout, never with the blocking `pg_advisory_lock`:
//!   a session waiting there holds a snapshot that `CREATE INDEX
//!   CONCURRENTLY` in the holder's migration waits for, a deadlock. It is
//!   released on the same connection on every path, errors and panics
//!   included.
//!
//!   A session lock needs one server session from lock to unlock, which
//!   PgBouncer's *transaction* pooling does not keep: the lock would stay
//!   on a server session PgBouncer lends to other clients, and a second
//!   migrator there would get it too (re-entrant), while the unlock may
//!   run on another session. So migrations go to the server directly
//!   (`DatabaseBuilder::migration_url`, `MIGRATION_DATABASE_URL`, the CLI's
//!   `--database-url`). A transaction-level lock (`pg_advisory_xact_lock`)
//!   was not chosen: it would force the whole run into one transaction,
//!   which `run_in_transaction = false` migrations (`CREATE INDEX
//!   CONCURRENTLY`) cannot join, and a long DDL transaction through a
//!   pooler holds one of its few server sessions for the whole run.
//! * **SQLite**: an exclusive OS file lock (`flock`) on a file beside the
//!   database, `<database>-glowplug-lock`, polled the same way. The
//!   operating system drops it when the process ends, so a crashed migrator
//!   never leaves a stale lock. glowplug does not lock the database file
//!   itself: closing any other handle to it would drop SQLite's own POSIX
//!   locks in this process. An in-memory database needs no lock.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};
use sha2::{Digest, Sha256};

use super::{MigrationError, source_error};
use crate::connection::BackendConnection;
use crate::error::Result;

/// Runs `f` while holding the migration lock of the database behind `conn`.
pub(crate) fn with_lock<T>(
    conn: &mut BackendConnection<'_>,
    timeout: Duration,
    f: impl FnOnce(&mut BackendConnection<'_>) -> Result<T>,
) -> Result<T> {
    match conn {
        BackendConnection::Postgres(c) => {
            let key = pg_key(c)?;
            if let Some(waited) = poll(timeout, || try_pg_lock(c, key))? {
                let holder = pg_holder(c, key).ok().flatten();
                return Err(MigrationError::Locked { waited, holder }.into());
            }
            let outcome = catch_unwind(AssertUnwindSafe(|| f(&mut BackendConnection::Postgres(c))));
            let unlocked = diesel::sql_query("SELECT pg_advisory_unlock($1) AS ok")
                .bind::<BigInt, _>(key)
                .get_result::<Flag>(*c);
            match outcome {
                Err(panic) => resume_unwind(panic),
                Ok(result) => {
                    let value = result?;
                    unlocked?;
                    Ok(value)
                }
            }
        }
        BackendConnection::Sqlite(c) => {
            let Some(path) = sqlite_lock_path(c)? else {
                return f(&mut BackendConnection::Sqlite(c));
            };
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .map_err(|e| {
                    source_error(
                        path.display(),
                        format!("cannot open the migration lock file: {e}"),
                    )
                })?;
            let acquired = poll(timeout, || match file.try_lock() {
                Ok(()) => Ok(true),
                Err(std::fs::TryLockError::WouldBlock) => Ok(false),
                Err(std::fs::TryLockError::Error(e)) => {
                    Err(source_error(path.display(), format!("cannot lock: {e}")))
                }
            })?;
            if let Some(waited) = acquired {
                let holder = Some(format!("another process, through {}", path.display()));
                return Err(MigrationError::Locked { waited, holder }.into());
            }
            // The lock is released when `file` is dropped, on every path.
            let result = f(&mut BackendConnection::Sqlite(c));
            let _ = file.unlock();
            result
        }
    }
}

/// Calls `try_lock` with backoff until it succeeds (`None`) or `timeout`
/// passes (`Some(time waited)`).
fn poll(timeout: Duration, mut try_lock: impl FnMut() -> Result<bool>) -> Result<Option<Duration>> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(5);
    loop {
        if try_lock()? {
            return Ok(None);
        }
        let waited = start.elapsed();
        if waited >= timeout {
            return Ok(Some(waited));
        }
        std::thread::sleep(pause.min(timeout - waited));
        pause = (pause * 2).min(Duration::from_millis(250));
    }
}

#[derive(QueryableByName)]
struct Flag {
    #[diesel(sql_type = Bool)]
    ok: bool,
}

#[derive(QueryableByName)]
struct Scope {
    #[diesel(sql_type = Text)]
    scope: String,
}

#[derive(QueryableByName)]
struct Pid {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pid: i32,
}

/// The advisory-lock key: 64 bits of SHA-256 over the database and schema.
fn pg_key(c: &mut PgConnection) -> Result<i64> {
    let scope = diesel::sql_query(
        "SELECT current_database() || '.' || coalesce(current_schema(), '') AS scope",
    )
    .get_result::<Scope>(c)?;
    let digest = Sha256::digest(format!("{}:{}", super::LEDGER_TABLE, scope.scope).as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    Ok(i64::from_be_bytes(bytes))
}

fn try_pg_lock(c: &mut PgConnection, key: i64) -> Result<bool> {
    let got = diesel::sql_query("SELECT pg_try_advisory_lock($1) AS ok")
        .bind::<BigInt, _>(key)
        .get_result::<Flag>(c)?;
    Ok(got.ok)
}

/// Which backend holds the lock, for the timeout message.
fn pg_holder(c: &mut PgConnection, key: i64) -> Result<Option<String>> {
    // A bigint advisory key is stored as classid (high half) and objid (low half).
    let pid = diesel::sql_query(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted \
         AND classid::bigint = ($1 >> 32) & 4294967295 AND objid::bigint = $1 & 4294967295 \
         AND objsubid = 1 LIMIT 1",
    )
    .bind::<BigInt, _>(key)
    .get_result::<Pid>(c)
    .optional()?;
    Ok(pid.map(|p| format!("PostgreSQL backend pid {} (see pg_stat_activity)", p.pid)))
}

#[derive(QueryableByName)]
struct DbFile {
    #[diesel(sql_type = Text)]
    file: String,
}

/// The lock file of a file database; `None` for an in-memory one.
fn sqlite_lock_path(c: &mut SqliteConnection) -> Result<Option<PathBuf>> {
    let main = diesel::sql_query("SELECT file FROM pragma_database_list WHERE name = 'main'")
        .get_result::<DbFile>(c)
        .optional()?;
    Ok(main.map(|m| m.file).filter(|f| !f.is_empty()).map(|f| {
        PathBuf::from(format!(
            "{f}{}",
            crate::backend::sqlite::MIGRATION_LOCK_SUFFIX
        ))
    }))
}
