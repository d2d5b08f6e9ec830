//! Real faults, and what the caller is told about them: a full SQLite
//! database (`PRAGMA max_page_count`, which makes SQLite fail with
//! SQLITE_FULL, and a real full disk: a small tmpfs), a PostgreSQL backend
//! terminated (or its connection cut) during
//! `COPY`, statements past `statement_timeout` and `lock_timeout`,
//! databases created by several threads at once, a server out of
//! connection slots, and which errors advise checking the server.

mod common;

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use common::models::*;
use common::new_user;
use diesel::connection::SimpleConnection;
use glowplug::batch::{Batch, CopyMode};
use glowplug::prelude::*;
use glowplug::{EmbeddedMigrations, Error};

/// `n` posts by `author`, each with a body of `size` bytes.
fn posts(author: i64, n: usize, size: usize) -> Vec<NewPost> {
    (0..n)
        .map(|i| NewPost {
            body: Some("x".repeat(size)),
            ..NewPost::new(author, format!("post {i}"))
        })
        .collect()
}

fn pg_int(conn: &mut AnyConnection, sql: &str) -> glowplug::Result<i64> {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    Ok(diesel::sql_query(sql).get_result::<N>(conn)?.n)
}

/// Asserts `err` is the full-database error and says nothing was kept.
fn assert_full(err: &Error) {
    assert!(matches!(err, Error::StorageFull { .. }), "{err:?}");
    assert!(
        std::error::Error::source(err).is_some_and(|s| s.is::<diesel::result::Error>()),
        "keeps diesel's error as its source: {err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains("database or disk is full"), "{msg}");
    assert!(msg.contains("nothing of this write was kept"), "{msg}");
    assert!(
        !msg.contains("rollback"),
        "the ROLLBACK's own failure hid the cause: {msg}"
    );
}

#[test]
fn a_full_sqlite_database_reports_the_cause_keeps_nothing_and_stays_usable() -> common::TestResult {
    let test = common::sqlite("full");
    // The size limit is a per-connection pragma: set on both connections
    // of the pool (the migrator uses two).
    let db = Database::builder(&test.url).max_size(2).build()?;
    let author = new_user("author").insert(&mut db.get()?)?;
    let pages = pg_int(
        &mut *db.get()?,
        "SELECT page_count AS n FROM pragma_page_count",
    )?;
    let both = [db.get()?, db.get()?];
    for mut conn in both {
        conn.batch_execute(&format!("PRAGMA max_page_count = {}", pages + 40))?;
    }

    // Each case writes until the database is full, in many statements, so
    // that SQLite rolls the whole transaction back itself (as it does on a
    // full disk) and the ROLLBACK that follows fails.

    // A batch insert (statements of 256 rows), through its own transaction.
    let err = Post::insert_batch(&mut db.get()?, &posts(author.id, 4_000, 100)).unwrap_err();
    assert_full(&err);
    assert_eq!(
        Post::count(&mut db.get()?)?,
        0,
        "nothing of the batch was kept"
    );

    // Database::transaction: a model insert, then raw SQL one row at a time
    // (SQLite undoes only the statement when a prepared statement fills the
    // database, and the whole transaction when a `batch_execute` does).
    let outcome: glowplug::Result<()> = db.transaction(|c| {
        NewPost::new(author.id, "first").insert(c)?;
        for _ in 0..400 {
            c.batch_execute(&format!(
                "INSERT INTO posts (author_id, title, body, published, created_at, updated_at) \
                 VALUES ({}, 'raw', printf('%.2000c', 'x'), false, '2026-01-01', '2026-01-01')",
                author.id
            ))?;
        }
        Ok(())
    });
    assert_full(&outcome.unwrap_err());
    assert_eq!(
        Post::count(&mut db.get()?)?,
        0,
        "nothing of the transaction was kept"
    );

    // A transactional migration that fills the database, row by row.
    static FILL: [glowplug::migrate::RustMigration; 1] = [glowplug::migrate::RustMigration::new(
        "20260101000000_fill",
        |c| {
            c.batch_execute("CREATE TABLE filler (x TEXT)")?;
            for _ in 0..400 {
                c.batch_execute("INSERT INTO filler VALUES (printf('%.2000c', 'x'))")?;
            }
            Ok(())
        },
        None,
    )];
    let err = db.migrator(&FILL[..]).run().unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("database or disk is full"), "{msg}");
    assert!(!msg.contains("rollback"), "{msg}");
    let status = db.migrator(&FILL[..]).status()?;
    assert!(
        !status.is_clean(),
        "the migration was not recorded as applied"
    );
    let tables = pg_int(
        &mut *db.get()?,
        "SELECT count(*) AS n FROM sqlite_master WHERE name = 'filler'",
    )?;
    assert_eq!(tables, 0, "nothing of the migration was kept");

    // A connection held across the failure stays usable: diesel does not
    // count it as inside a transaction any more.
    let mut conn = db.get()?;
    let outcome: glowplug::Result<()> = glowplug::transaction(&mut *conn, |c| {
        for _ in 0..400 {
            c.batch_execute("INSERT INTO users (username, email, active, created_at, updated_at) \
                 VALUES (printf('%.2000c', 'u') || random(), random(), true, '2026-01-01', '2026-01-01')")?;
        }
        Ok(())
    });
    assert_full(&outcome.unwrap_err());
    glowplug::transaction(&mut *conn, |c| new_user("held").insert(c))?;
    assert_eq!(User::count(&mut conn)?, 2);
    drop(conn);

    // Small writes fit and are kept.
    let mut conn = db.get()?;
    NewPost::new(author.id, "small").insert(&mut conn)?;
    db.transaction(|c| new_user("later").insert(c))?;
    assert_eq!(Post::count(&mut conn)?, 1);
    assert_eq!(User::count(&mut conn)?, 3);
    Ok(())
}

/// A 512 KiB tmpfs mounted on a temporary directory: a disk that fills up
/// for real (ENOSPC). Unmounted when dropped. `None` where mounting is not
/// allowed (it needs root, which the project's machines and CI run as).
struct TinyDisk(tempfile::TempDir);

impl TinyDisk {
    fn mount(test: &str) -> Option<TinyDisk> {
        let dir = tempfile::tempdir().ok()?;
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=512k", "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            eprintln!("SKIP {test}: cannot mount a tmpfs here (needs root)");
            return None;
        }
        Some(TinyDisk(dir))
    }
}

impl Drop for TinyDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.0.path())
            .status();
    }
}

#[test]
fn a_full_disk_under_sqlite_reports_the_cause_keeps_nothing_and_stays_usable() -> common::TestResult
{
    let Some(disk) = TinyDisk::mount("a_full_disk_under_sqlite") else {
        return Ok(());
    };
    let url = format!("sqlite://{}", disk.0.path().join("app.db").display());
    let db = Database::builder(&url).max_size(1).build()?;
    db.run_pending_migrations(common::MIGRATIONS)?;
    let mut conn = db.get()?;
    let author = new_user("author").insert(&mut conn)?;
    // A small page cache spills the transaction's pages to the disk as it
    // goes, so the disk fills up in the middle of it; SQLite then rolls the
    // whole transaction back and the ROLLBACK after it fails.
    conn.batch_execute("PRAGMA cache_size = 10")?;
    let err = Post::insert_batch(&mut conn, &posts(author.id, 2_000, 400)).unwrap_err();
    assert_full(&err);
    let err = glowplug::transaction(&mut *conn, |c| {
        for row in posts(author.id, 1_000, 2_000) {
            row.insert(c)?;
        }
        Ok::<_, Error>(())
    })
    .unwrap_err();
    assert_full(&err);
    // The same connection goes on: nothing was kept, small writes work.
    assert_eq!(Post::count(&mut conn)?, 0);
    glowplug::transaction(&mut *conn, |c| new_user("after").insert(c))?;
    NewPost::new(author.id, "small").insert(&mut conn)?;
    assert_eq!((User::count(&mut conn)?, Post::count(&mut conn)?), (2, 1));
    Ok(())
}

/// The backend process id of a PostgreSQL connection.
fn backend_pid(conn: &mut AnyConnection) -> glowplug::Result<i64> {
    pg_int(conn, "SELECT pg_backend_pid()::bigint AS n")
}

#[test]
fn a_postgres_connection_lost_during_copy_is_connection_lost() -> common::TestResult {
    let Some(test) = common::postgres("lost_during_copy") else {
        return Ok(());
    };
    let author = new_user("author").insert(&mut test.get()?)?;
    let rows = posts(author.id, 2 * glowplug::batch::COPY_ROWS, 400);
    // Two ways to lose the connection while the second COPY is sent: the
    // server ends the session (pg_terminate_backend), or the network cuts it.
    for cut in [false, true] {
        let proxy = common::CutProxy::start(&server_address(&test.url));
        let url = test.url.replacen(
            &server_address(&test.url),
            &format!("127.0.0.1:{}", proxy.port),
            1,
        );
        let db = Database::builder(&url).max_size(1).build()?;
        let mut conn = db.get()?;
        let pid = backend_pid(&mut conn)?;
        let admin = test.db.clone();
        let mut killer = None;
        let err = Batch::<Post>::new()
            .copy(CopyMode::Always)
            .progress(|_| {
                if killer.is_some() {
                    return;
                }
                if cut {
                    proxy.cut();
                    killer = Some(std::thread::spawn(|| Ok(())));
                } else {
                    let admin = admin.clone();
                    killer = Some(std::thread::spawn(move || {
                        admin
                            .get()?
                            .batch_execute(&format!("SELECT pg_terminate_backend({pid}, 5000)"))
                            .map_err(Error::from)
                    }));
                }
            })
            .insert(&mut conn, &rows)
            .unwrap_err();
        killer.expect("the first COPY finished").join().unwrap()?;
        eprintln!("lost during COPY (network cut: {cut}): {err}");
        assert!(matches!(err, Error::ConnectionLost { .. }), "{err:?}");
        assert!(
            std::error::Error::source(&err).is_some_and(|s| s.is::<diesel::result::Error>()),
            "{err:?}"
        );
        assert!(
            err.to_string().contains("retry the work on a new checkout"),
            "{err}"
        );
        drop(conn);
        // Nothing of the batch was kept, and the pool replaced the connection.
        let mut conn = db.get()?;
        assert_ne!(backend_pid(&mut conn)?, pid);
        assert_eq!(Post::count(&mut conn)?, 0);
    }
    Ok(())
}

/// `host:port` of the server a test URL names.
fn server_address(url: &str) -> String {
    let rest = url.split_once('@').map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:5432")
    }
}

#[test]
fn postgres_statement_and_lock_timeouts_cancel_with_a_clear_error() -> common::TestResult {
    let Some(test) = common::postgres("timeouts") else {
        return Ok(());
    };
    let db = Database::builder(&test.url)
        .max_size(2)
        .statement_timeout(Duration::from_millis(300))
        .lock_timeout(Duration::from_millis(200))
        .build()?;
    let mut conn = db.get()?;
    let settings = pg_int(
        &mut conn,
        "SELECT (current_setting('statement_timeout') = '300ms' \
            AND current_setting('lock_timeout') = '200ms')::int::bigint AS n",
    )?;
    assert_eq!(settings, 1, "applied to the pool's connections");

    // A statement that runs too long is cancelled; the connection goes on.
    let started = Instant::now();
    let err = conn
        .batch_execute("SELECT pg_sleep(5)")
        .map_err(Error::from)
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(err.to_string().contains("statement timeout"), "{err}");
    assert!(
        err.to_string().contains("the connection stays usable"),
        "{err}"
    );
    assert_eq!(User::count(&mut conn)?, 0);

    // A write that waits for a row lock past lock_timeout is cancelled,
    // inside a transaction that is then rolled back; the holder commits.
    let user = new_user("locked").insert(&mut conn)?;
    let mut holder = test.get()?;
    holder.batch_execute("BEGIN")?;
    holder.batch_execute(&format!(
        "UPDATE users SET bio = 'holder' WHERE id = {}",
        user.id
    ))?;
    let outcome: glowplug::Result<()> = db.transaction(|c| {
        new_user("written before the wait").insert(c)?;
        diesel::update(users::table.find(user.id))
            .set(users::bio.eq("waiter"))
            .execute(c)?;
        Ok(())
    });
    let err = outcome.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(err.to_string().contains("lock timeout"), "{err}");
    holder.batch_execute("COMMIT")?;
    assert_eq!(
        User::count(&mut conn)?,
        1,
        "the waiting transaction kept nothing"
    );
    assert_eq!(
        User::find(&mut conn, user.id)?.bio.as_deref(),
        Some("holder")
    );
    // Both connections of the pool are still usable.
    let mut other = db.get()?;
    assert_eq!(User::count(&mut other)?, 1);
    Ok(())
}

#[test]
fn sqlite_takes_the_postgres_timeouts_without_applying_them() -> common::TestResult {
    // The same builder code runs on both backends; SQLite's own lock wait
    // is the busy timeout.
    let test = common::sqlite("timeouts");
    let db = Database::builder(&test.url)
        .statement_timeout(Duration::from_millis(1))
        .lock_timeout(Duration::from_millis(1))
        .build()?;
    let mut conn = db.get()?;
    let slow = pg_int(
        &mut conn,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000) \
         SELECT count(*) AS n FROM n",
    )?;
    assert_eq!(slow, 300_000);
    Ok(())
}

backend_tests! {
    fn databases_created_by_several_threads_at_once_are_created_once(db) {
        let url = match db.backend() {
            Backend::Sqlite => format!("sqlite://{}.new.db", db.url.trim_start_matches("sqlite://")),
            _ => {
                // The server's URL, without the test's search_path.
                let base = db.url.split('?').next().unwrap_or_default();
                let name = format!("gp_created_{}", std::process::id());
                let url = base.replacen("/glowplug_test", &format!("/{name}"), 1);
                assert_ne!(url, base, "PG_DATABASE_URL names glowplug_test");
                glowplug::drop_database(&url)?;
                url
            }
        };
        let start = Arc::new(Barrier::new(8));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (url, start) = (url.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    glowplug::create_database(&url)
                })
            })
            .collect();
        let mut created = 0;
        for t in threads {
            if t.join().unwrap()? {
                created += 1;
            }
        }
        assert_eq!(created, 1, "exactly one thread created it, and none failed");
        assert!(!glowplug::create_database(&url)?, "it exists now");
        Database::connect(&url)?.get()?.batch_execute("CREATE TABLE t (x INTEGER)")?;
        assert!(glowplug::drop_database(&url)?);
        Ok(())
    }
}

/// Whether a message advises checking the server.
fn blames_the_server(err: &Error) -> bool {
    err.to_string().contains("check that the server is running")
}

#[test]
fn only_a_server_that_does_not_answer_is_blamed_on_the_server() -> common::TestResult {
    // SQLite: a file that is not a database.
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("garbage.db");
    std::fs::write(&path, vec![0x5a; 8192])?;
    let err = Database::connect(&path.display().to_string()).unwrap_err();
    assert!(
        err.to_string()
            .contains("not a SQLite database, or it is damaged"),
        "{err}"
    );
    assert!(!blames_the_server(&err), "{err}");

    let Some(test) = common::postgres("blame") else {
        return Ok(());
    };
    // A port nobody listens on: that one is the server.
    let err = Database::connect("postgres://app@127.0.0.1:1/app").unwrap_err();
    assert!(blames_the_server(&err), "{err}");

    // A server out of connection slots (for this role: CONNECTION LIMIT 1).
    let role = format!("gp_limited_{}", std::process::id());
    let mut admin = test.get()?;
    admin.batch_execute(&format!(
        "DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN CONNECTION LIMIT 1"
    ))?;
    let url = test
        .url
        .replacen("postgres://postgres@", &format!("postgres://{role}@"), 1);
    let result = (|| -> common::TestResult {
        let db = Database::builder(&url)
            .max_size(2)
            .connection_timeout(Duration::from_millis(1500))
            .build()?;
        let _held = db.get()?;
        let err = Database::connect(&url).unwrap_err();
        assert!(matches!(err, Error::Connection { .. }), "{err:?}");
        assert!(
            err.to_string().contains("no free connection slots"),
            "{err}"
        );
        assert!(err.to_string().contains("max_connections"), "{err}");
        assert!(!blames_the_server(&err), "{err}");
        // The pool's second connection cannot be opened: the checkout says why.
        let err = db.get().unwrap_err();
        assert!(matches!(err, Error::Pool { .. }), "{err:?}");
        assert!(
            err.to_string().contains("no free connection slots"),
            "{err}"
        );
        assert!(
            !err.to_string()
                .contains("connections of the pool are in use"),
            "{err}"
        );

        // CREATE DATABASE refused for lack of permission: the server answered.
        drop(_held);
        drop(db);
        let other = url.replacen("/glowplug_test", &format!("/{role}_db"), 1);
        let err = glowplug::create_database(&other).unwrap_err();
        assert!(
            err.to_string()
                .contains("permission denied to create database"),
            "{err}"
        );
        assert!(err.to_string().contains("may create databases"), "{err}");
        assert!(!blames_the_server(&err), "{err}");
        Ok(())
    })();
    admin.batch_execute(&format!("DROP ROLE IF EXISTS {role}"))?;
    result
}

/// Keeps `EmbeddedMigrations` in use for the `migrator` type inference above.
#[allow(dead_code)]
fn _unused(_: EmbeddedMigrations) {}
