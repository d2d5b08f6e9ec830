//! SQLite's own SQL and settings: the pragmas every connection gets, the
//! foreign-key switch, `BEGIN IMMEDIATE`, the bind-parameter limit of the
//! linked library, and the files a database consists of.
//!
//! Opening connections and pooling them belong to [`crate::database`];
//! what SQLite can store as given is checked in [`crate::validate`].

use std::time::Duration;

use diesel::QueryResult;
use diesel::RunQueryDsl;
use diesel::connection::{AnsiTransactionManager, SimpleConnection};
use diesel::result::Error as DieselError;

use crate::connection::SqliteConnection;

/// The settings every new connection gets: foreign keys enforced (SQLite
/// leaves them off by default), a busy timeout so writers wait for each
/// other instead of failing with "database is locked", a page cache of
/// `cache_kib` KiB (`PRAGMA cache_size = -N`, N in KiB; SQLite's default is
/// 2 MiB), and for a file database WAL journaling with `synchronous =
/// NORMAL`, so readers never block the writer. `memory`: an in-memory
/// database, which has no journal.
pub(crate) fn configure(
    conn: &mut SqliteConnection,
    busy_timeout: Duration,
    cache_kib: u64,
    memory: bool,
) -> QueryResult<()> {
    conn.batch_execute(&format!(
        "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {}; PRAGMA cache_size = -{cache_kib};",
        busy_timeout.as_millis()
    ))?;
    if memory {
        return Ok(());
    }
    // Switching to WAL writes the database header, which takes the write
    // lock. When several connections switch a new, empty file at once, each
    // holds a read lock and waits for the others; SQLite breaks that
    // deadlock by failing one of them with "database is locked" at once,
    // without waiting the busy timeout. Such a failure is retried until the
    // busy timeout has passed, as the busy handler would have waited.
    let started = std::time::Instant::now();
    loop {
        match conn.batch_execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;") {
            Err(e) if is_locked(&e) && started.elapsed() < busy_timeout => {
                std::thread::sleep(Duration::from_millis(5));
            }
            done => return done,
        }
    }
}

/// Whether `e` is SQLite's SQLITE_BUSY, "database is locked".
fn is_locked(e: &DieselError) -> bool {
    matches!(e, DieselError::DatabaseError(_, info) if is_busy(info.message()))
}

/// Whether a database message is SQLite's SQLITE_BUSY, "database is
/// locked" (the one place glowplug recognises it, see [`crate::Error::Busy`]).
pub(crate) fn is_busy(message: &str) -> bool {
    message.starts_with("database is locked")
}

/// Whether SQLite enforces foreign keys on `conn` (`PRAGMA foreign_keys`).
pub(crate) fn foreign_keys(conn: &mut SqliteConnection) -> QueryResult<bool> {
    #[derive(diesel::QueryableByName)]
    struct Flag {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        foreign_keys: i64,
    }
    diesel::sql_query("SELECT foreign_keys FROM pragma_foreign_keys")
        .get_result::<Flag>(conn)
        .map(|f| f.foreign_keys != 0)
}

/// Switches foreign-key enforcement on or off (`PRAGMA foreign_keys`);
/// SQLite ignores the switch inside a transaction.
pub(crate) fn set_foreign_keys(conn: &mut SqliteConnection, on: bool) -> QueryResult<()> {
    conn.batch_execute(if on {
        "PRAGMA foreign_keys = ON"
    } else {
        "PRAGMA foreign_keys = OFF"
    })
}

/// Begins an outermost transaction with `BEGIN IMMEDIATE`, which takes the
/// write lock up front (waiting up to the busy timeout), so that a
/// transaction that reads before it writes cannot fail its first write with
/// "database is locked". Inside a transaction: `AlreadyInTransaction`.
pub(crate) fn begin_immediate(conn: &mut SqliteConnection) -> QueryResult<()> {
    AnsiTransactionManager::begin_transaction_sql(conn, "BEGIN IMMEDIATE")
}

/// Whether a failed `ROLLBACK` failed because SQLite had already rolled the
/// transaction back by itself (it does on a full disk, an I/O error or out
/// of memory), so that no transaction is open any more.
pub(crate) fn rolled_back_already(rollback_error: &DieselError) -> bool {
    matches!(
        rollback_error,
        DieselError::DatabaseError(_, info)
            if info.message() == "cannot rollback - no transaction is active"
    )
}

/// The file [`crate::migrate`] locks while it migrates a SQLite database:
/// the database's path with this appended.
pub(crate) const MIGRATION_LOCK_SUFFIX: &str = "-glowplug-lock";

/// The files that belong to a SQLite database besides the database file
/// itself, as suffixes of its path: the WAL journal, its shared-memory
/// index, and the migration lock file.
pub(crate) const COMPANION_SUFFIXES: [&str; 3] = ["-wal", "-shm", MIGRATION_LOCK_SUFFIX];

/// The most parameters one statement may have in the linked SQLite library
/// (`SQLITE_MAX_VARIABLE_NUMBER`), read once per process; 32 766, the
/// default of the library's build, if it cannot be read.
pub(crate) fn max_parameters() -> usize {
    static LIMIT: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *LIMIT.get_or_init(|| read_variable_limit().unwrap_or(32_766))
}

/// `SQLITE_MAX_VARIABLE_NUMBER` of the linked SQLite library, read with
/// `sqlite3_limit` on a throwaway in-memory database (a new connection's
/// limit is the library's compiled-in maximum). `None` if SQLite cannot
/// open one.
fn read_variable_limit() -> Option<usize> {
    use libsqlite3_sys as ffi;
    let mut db: *mut ffi::sqlite3 = std::ptr::null_mut();
    // SAFETY: the name is a NUL-terminated literal; `db` is an out pointer
    // SQLite fills in (also on failure, where it must still be closed); the
    // handle is used only on this thread and closed before returning.
    unsafe {
        let opened = ffi::sqlite3_open_v2(
            c":memory:".as_ptr(),
            &mut db,
            ffi::SQLITE_OPEN_READWRITE | ffi::SQLITE_OPEN_MEMORY,
            std::ptr::null(),
        );
        let limit = (opened == ffi::SQLITE_OK)
            .then(|| ffi::sqlite3_limit(db, ffi::SQLITE_LIMIT_VARIABLE_NUMBER, -1));
        ffi::sqlite3_close(db);
        limit
            .and_then(|l| usize::try_from(l).ok())
            .filter(|&l| l > 0)
    }
}
