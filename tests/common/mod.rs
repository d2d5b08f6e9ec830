//! Test harness: a migrated database per test, on SQLite and PostgreSQL.
//!
//! * SQLite: a fresh file in a temporary directory.
//! * PostgreSQL: a fresh schema per test in the database named by
//!   `PG_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/glowplug_test`,
//!   created if missing), selected through libpq's `options=-csearch_path=…`
//!   so every pooled connection of the test sees only its own tables; the
//!   schema is dropped when the test ends. When no server answers, the test
//!   prints a skip line and passes, unless `REQUIRE_PG=1`, where it fails.
//!
//! `backend_tests!` stamps out one test per backend from one body, so
//! results read `sqlite::name` and `postgres::name`.

#![allow(dead_code)]

pub mod models;
mod setup;

pub use setup::MIGRATIONS;
use setup::{pg_admin_connection, pg_base_url, pg_fresh_schema};

use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::Connection;
use diesel::connection::SimpleConnection;
use glowplug::Database;

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A listening TCP socket on 127.0.0.1 that never answers: the kernel
/// completes each connection, nobody reads or writes. A PostgreSQL client
/// waits there until its connect timeout, as with a host that drops
/// packets, without any traffic leaving the machine. Its port:
/// `listener.local_addr()?.port()`.
pub fn silent_server() -> std::net::TcpListener {
    std::net::TcpListener::bind("127.0.0.1:0").expect("a local port")
}

/// `text` percent-encoded, every byte but RFC 3986's unreserved ones (how
/// a user writes a password with special characters into a URL).
pub fn percent_encoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The live schema of `conn`'s database, restricted to `tables` (the
/// harness's own tables left out).
pub fn live_tables(
    conn: &mut glowplug::PooledConnection,
    tables: &[&str],
) -> glowplug::Result<glowplug::schema::Schema> {
    let mut schema = glowplug::schema::introspect(conn)?;
    schema.tables.retain(|t| tables.contains(&t.name.as_str()));
    Ok(schema)
}

/// Asserts that the live `tables` are exactly what `models` declare,
/// listing every difference otherwise.
#[track_caller]
pub fn assert_no_drift(
    conn: &mut glowplug::PooledConnection,
    tables: &[&str],
    models: &[glowplug::ModelMeta],
) {
    use glowplug::schema::{Difference, Schema, compare};
    let live = live_tables(conn, tables).expect("introspection");
    let differences = compare(&Schema::from_models(models), &live);
    assert!(differences.is_empty(), "{}", Difference::list(&differences));
}

/// A user with a unique email derived from `name`, everything else default.
pub fn new_user(name: &str) -> models::NewUser {
    models::NewUser::new(name, format!("{name}@example.com"))
}

/// A migrated database for one test; cleans up when dropped.
pub struct TestDb {
    pub db: Database,
    /// The URL the pool was built from (with the test's search_path for PostgreSQL).
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, schema: String },
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, schema } = &self.cleanup
            && let Ok(mut conn) = diesel::PgConnection::establish(admin_url)
        {
            let _ = conn.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"));
        }
    }
}

impl std::ops::Deref for TestDb {
    type Target = Database;
    fn deref(&self) -> &Database {
        &self.db
    }
}

/// A migrated SQLite database in a fresh temporary file.
pub fn sqlite(test: &str) -> TestDb {
    let testdb = blank_sqlite(test);
    testdb
        .run_pending_migrations(MIGRATIONS)
        .expect("migrate SQLite");
    testdb
}

/// An empty SQLite database in a fresh temporary file.
pub fn blank_sqlite(_test: &str) -> TestDb {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let db = Database::builder(&url)
        .max_size(4)
        .min_idle(1)
        .build()
        .expect("open SQLite");
    TestDb {
        db,
        url,
        cleanup: Cleanup::Sqlite(dir),
    }
}

static SCHEMA_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A migrated PostgreSQL schema for `test`, or `None` (with a skip line) when no server answers.
pub fn postgres(test: &str) -> Option<TestDb> {
    let testdb = blank_postgres(test)?;
    testdb
        .run_pending_migrations(MIGRATIONS)
        .expect("migrate PostgreSQL");
    Some(testdb)
}

/// An empty PostgreSQL schema for `test`, or `None` (with a skip line) when no server answers.
pub fn blank_postgres(test: &str) -> Option<TestDb> {
    let base = pg_base_url();
    let mut admin = match pg_admin_connection(&base) {
        Ok(conn) => conn,
        Err(e) => {
            let msg = format!(
                "PostgreSQL unreachable at {} ({e})",
                glowplug::redact_url(&base)
            );
            setup::skip(&format!("postgres::{test}"), &msg);
            return None;
        }
    };
    let n = SCHEMA_COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut schema = format!("gp_{}_{}_{n}", std::process::id(), test);
    schema.truncate(63);
    let url = pg_fresh_schema(&mut admin, &base, &schema);
    let db = Database::builder(&url)
        .max_size(4)
        .min_idle(1)
        .build()
        .expect("open PostgreSQL");
    Some(TestDb {
        db,
        url,
        cleanup: Cleanup::Postgres {
            admin_url: base,
            schema,
        },
    })
}

/// Stamps out `sqlite::$name` and `postgres::$name` from one body that
/// receives a migrated `TestDb`.
#[macro_export]
macro_rules! backend_tests {
    ($( $(#[$attr:meta])* fn $name:ident($db:ident) $body:block )*) => {
        mod sqlite {
            #[allow(unused_imports)]
            use super::*;
            $(
                $(#[$attr])*
                #[test]
                fn $name() -> $crate::common::TestResult {
                    let $db = $crate::common::sqlite(stringify!($name));
                    $body
                }
            )*
        }
        mod postgres {
            #[allow(unused_imports)]
            use super::*;
            $(
                $(#[$attr])*
                #[test]
                fn $name() -> $crate::common::TestResult {
                    let Some($db) = $crate::common::postgres(stringify!($name)) else { return Ok(()) };
                    $body
                }
            )*
        }
    };
}

/// A TCP proxy on 127.0.0.1 in front of a PostgreSQL server that can cut
/// every connection through it at once, as a network failure does: no
/// goodbye from the server, the sockets just close.
pub struct CutProxy {
    /// The proxy's port, to put in a URL in place of the server's.
    pub port: u16,
    open: std::sync::Arc<std::sync::Mutex<Vec<std::net::TcpStream>>>,
}

impl CutProxy {
    /// Starts a proxy to `target` (`host:port`); it runs until the test ends.
    pub fn start(target: &str) -> CutProxy {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a local port");
        let port = listener.local_addr().expect("its address").port();
        let open = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (target, sockets) = (target.to_owned(), open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = std::net::TcpStream::connect(&target) else {
                    continue;
                };
                let pipe = |mut from: std::net::TcpStream, mut to: std::net::TcpStream| {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                };
                let mut open = sockets.lock().unwrap();
                for s in [&client, &server] {
                    open.push(s.try_clone().expect("a socket handle"));
                }
                pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
                pipe(server, client);
            }
        });
        CutProxy { port, open }
    }

    /// Closes every connection made through the proxy so far.
    pub fn cut(&self) {
        for s in self.open.lock().unwrap().drain(..) {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
    }
}
