//! The `Database` pool: URLs, settings, transactions, savepoints, migrations,
//! and errors that never show a password.

mod common;

use std::time::{Duration, Instant};

use common::models::*;
use common::new_user;
use glowplug::prelude::*;
use glowplug::{Backend, Error};

backend_tests! {
    fn a_pool_from_a_url_shares_one_database(db) {
        let again = Database::connect(&db.url)?;
        assert_eq!(again.backend(), db.backend());
        new_user("pooled").insert(&mut db.get()?)?;
        // Two checkouts at once, from a second pool on the same URL.
        let (mut a, mut b) = (again.get()?, again.get()?);
        assert_eq!(User::count(&mut a)?, 1);
        assert_eq!(User::count(&mut b)?, 1);
        assert!(!again.url().is_empty());
        Ok(())
    }

    fn sqlite_connections_enforce_foreign_keys_and_use_wal(db) {
        let mut conn = db.get()?;
        if let glowplug::BackendConnection::Sqlite(c) = conn.backend_connection() {
            #[derive(diesel::QueryableByName)]
            struct Pragma {
                #[diesel(sql_type = diesel::sql_types::Text)]
                journal_mode: String,
            }
            let mode: Pragma = diesel::sql_query("PRAGMA journal_mode").get_result(c)?;
            assert_eq!(mode.journal_mode, "wal");
        }
        // Enforced foreign keys on both backends (SQLite leaves them off by default).
        let err = NewPost::new(12345, "x").insert(&mut conn).unwrap_err();
        assert!(matches!(err, Error::ForeignKeyViolation { .. }), "{err:?}");
        Ok(())
    }

    fn sqlite_connections_get_the_configured_page_cache(db) {
        // PRAGMA cache_size reads back negative KiB when set in bytes.
        fn cache_kib(conn: &mut glowplug::PooledConnection) -> glowplug::Result<Option<i64>> {
            #[derive(diesel::QueryableByName)]
            struct Pragma {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                cache_size: i64,
            }
            Ok(match conn.backend_connection() {
                glowplug::BackendConnection::Sqlite(c) => {
                    Some(diesel::sql_query("PRAGMA cache_size").get_result::<Pragma>(c)?.cache_size)
                }
                _ => None,
            })
        }
        let sqlite = db.backend() == Backend::Sqlite;
        let default = cache_kib(&mut db.get()?)?;
        assert_eq!(default, sqlite.then_some(-(glowplug::DEFAULT_SQLITE_CACHE_SIZE as i64 / 1024)));
        assert_eq!(glowplug::DEFAULT_SQLITE_CACHE_SIZE, 2000 * 1024, "SQLite's own default");
        let small = Database::builder(&db.url).sqlite_cache_size(2 << 20).build()?;
        assert_eq!(cache_kib(&mut small.get()?)?, sqlite.then_some(-2048));
        // Every connection of the pool, not only the first; bytes round up to whole KiB.
        let odd = Database::builder(&db.url).sqlite_cache_size(1_000_000).max_size(2).build()?;
        let (mut a, mut b) = (odd.get()?, odd.get()?);
        assert_eq!((cache_kib(&mut a)?, cache_kib(&mut b)?), (sqlite.then_some(-977), sqlite.then_some(-977)));
        // On PostgreSQL the setting is accepted and not applied.
        new_user("cached").insert(&mut a)?;
        assert_eq!(User::count(&mut b)?, 1);
        let err = Database::builder(&db.url).sqlite_cache_size(u64::MAX).build().unwrap_err();
        assert!(matches!(err, Error::Config { .. }) && err.to_string().contains("sqlite_cache_size must be at most"), "{err}");
        Ok(())
    }

    fn a_failed_transaction_rolls_back(db) {
        let result: Result<(), Error> = db.transaction(|conn| {
            new_user("kept-if-committed").insert(conn)?;
            new_user("second").insert(conn)?;
            // Violates the unique username: the whole transaction must go.
            new_user("second").insert(conn)?;
            Ok(())
        });
        assert!(matches!(result, Err(Error::UniqueViolation { .. })), "{result:?}");
        assert_eq!(User::count(&mut db.get()?)?, 0);

        let committed = db.transaction(|conn| {
            new_user("committed").insert(conn)?;
            User::count(conn)
        })?;
        assert_eq!(committed, 1);
        assert_eq!(User::count(&mut db.get()?)?, 1);
        Ok(())
    }

    fn a_failed_nested_transaction_rolls_back_only_its_savepoint(db) {
        let mut conn = db.get()?;
        conn.transaction(|conn| {
            new_user("outer").insert(conn)?;
            let inner: Result<(), Error> = conn.transaction(|conn| {
                new_user("inner").insert(conn)?;
                Err(Error::invalid("User", "username", "refused", "rejected on purpose"))
            });
            assert!(matches!(inner, Err(Error::Invalid(_))));
            // The outer transaction goes on after the savepoint's rollback, even on PostgreSQL.
            new_user("after").insert(conn)?;
            Ok::<_, Error>(())
        })?;
        let mut names: Vec<String> = User::all(&mut conn)?.into_iter().map(|u| u.username).collect();
        names.sort();
        assert_eq!(names, ["after", "outer"]);

        // A database error inside the savepoint is contained the same way.
        conn.transaction(|conn| {
            let dup = conn.transaction(|conn| new_user("outer").insert(conn));
            assert!(matches!(dup, Err(Error::UniqueViolation { .. })));
            new_user("still-fine").insert(conn)?;
            Ok::<_, Error>(())
        })?;
        assert_eq!(User::count(&mut conn)?, 3);
        Ok(())
    }

    fn an_exhausted_pool_times_out_with_a_pool_error(db) {
        let small = Database::builder(&db.url)
            .max_size(1)
            .connection_timeout(Duration::from_millis(200))
            .build()?;
        let held = small.get()?;
        let started = Instant::now();
        let err = small.get().unwrap_err();
        assert!(matches!(err, Error::Pool { .. }), "{err:?}");
        assert!(err.to_string().contains("no database connection available"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
        drop(held);
        assert_eq!(User::count(&mut small.get()?)?, 0, "usable again once the connection is back");
        Ok(())
    }

    fn migrations_run_once_and_report_what_they_applied(db) {
        // The harness already migrated; nothing is pending.
        assert!(db.run_pending_migrations(common::MIGRATIONS)?.is_empty());
        let mut conn = db.get()?;
        let applied: Vec<String> = diesel::sql_query("SELECT version FROM __diesel_schema_migrations ORDER BY version")
            .load::<Version>(&mut conn)?
            .into_iter()
            .map(|v| v.version)
            .collect();
        assert_eq!(applied, ["20261120000001", "20261120000002", "20261121000001"]);
        Ok(())
    }
}

#[derive(diesel::QueryableByName)]
struct Version {
    #[diesel(sql_type = diesel::sql_types::Text)]
    version: String,
}

#[test]
fn sqlite_memory_database_keeps_its_data_across_checkouts() -> common::TestResult {
    let db = Database::connect("sqlite::memory:")?;
    assert_eq!(db.backend(), Backend::Sqlite);
    let applied = db.run_pending_migrations(common::MIGRATIONS)?;
    assert_eq!(applied.len(), 3);
    new_user("mem").insert(&mut db.get()?)?;
    assert_eq!(
        User::count(&mut db.get()?)?,
        1,
        "one pinned connection, one database"
    );
    assert_eq!(db.pool().max_size(), 1);
    Ok(())
}

#[test]
fn from_env_defaults_to_a_sqlite_file_or_reads_database_url() -> common::TestResult {
    // The only test in this binary that touches the environment or the working
    // directory; every other test uses absolute paths.
    let dir = tempfile::tempdir()?;
    let project_dir = std::env::current_dir()?;
    std::env::set_current_dir(dir.path())?;
    // SAFETY: no other thread of this test binary reads or writes the environment.
    unsafe { std::env::remove_var("DATABASE_URL") };
    let default = Database::from_env();
    std::env::set_current_dir(&project_dir)?;
    let default = default?;
    assert_eq!(default.backend(), Backend::Sqlite);
    assert!(
        dir.path().join(glowplug::DEFAULT_SQLITE_PATH).exists(),
        "glowplug.db created in the working directory"
    );

    let file = dir.path().join("from-env.db");
    unsafe { std::env::set_var("DATABASE_URL", format!("sqlite://{}", file.display())) };
    let db = Database::from_env();
    unsafe { std::env::remove_var("DATABASE_URL") };
    db?.run_pending_migrations(common::MIGRATIONS)?;
    assert!(file.exists(), "DATABASE_URL honoured");

    // A PostgreSQL URL in DATABASE_URL chooses PostgreSQL.
    if let Some(pg) = common::postgres("from_env_reads_a_postgres_url") {
        unsafe { std::env::set_var("DATABASE_URL", &pg.url) };
        let db = Database::from_env();
        unsafe { std::env::remove_var("DATABASE_URL") };
        let db = db?;
        assert_eq!(db.backend(), Backend::Postgres);
        assert_eq!(
            User::count(&mut db.get()?)?,
            0,
            "the migrated test schema is reachable"
        );
    }
    Ok(())
}

#[test]
fn bad_urls_and_settings_are_clear_errors() {
    let cases: [(&str, &str); 3] = [
        ("", "the database URL is empty"),
        (
            "mysql://root:topsecret@localhost/db",
            "unsupported database URL scheme `mysql`",
        ),
        (
            "/definitely/missing/dir/app.db",
            "the directory `/definitely/missing/dir` does not exist",
        ),
    ];
    for (url, expected) in cases {
        let err = Database::connect(url).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(expected), "{url:?}: {msg}");
        assert!(
            !msg.contains("topsecret") && !format!("{err:?}").contains("topsecret"),
            "{msg}"
        );
    }
    let err = Database::builder("sqlite::memory:")
        .max_size(0)
        .build()
        .unwrap_err();
    assert!(
        matches!(err, Error::Config { .. }) && err.to_string().contains("at least 1"),
        "{err}"
    );
    let err = Database::builder("sqlite::memory:")
        .max_size(2)
        .min_idle(3)
        .build()
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("min_idle (3) cannot exceed max_size (2)"),
        "{err}"
    );
}

#[test]
fn an_unreachable_server_fails_fast_without_showing_the_password() {
    // Port 1 on loopback refuses connections at once.
    let url = "postgres://app:hunter2-secret@127.0.0.1:1/db";
    let started = Instant::now();
    let err = Database::connect(url).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert!(matches!(err, Error::Connection { .. }), "{err:?}");
    let shown = format!("{err} {err:?}");
    assert!(
        shown.contains("postgres://app:***@127.0.0.1:1/db"),
        "{shown}"
    );
    assert!(!shown.contains("hunter2-secret"), "{shown}");
}

#[test]
fn debug_output_of_a_database_hides_the_password() -> common::TestResult {
    let Some(test) = common::postgres("debug_output_of_a_database_hides_the_password") else {
        return Ok(());
    };
    // Trust authentication ignores the password, so the pool opens with one in its URL.
    let url = test
        .url
        .replacen("postgres://postgres@", "postgres://postgres:pa55word@", 1);
    let db = Database::connect(&url)?;
    let shown = format!("{db:?} {}", db.url());
    assert!(shown.contains("postgres:***@"), "{shown}");
    assert!(!shown.contains("pa55word"), "{shown}");
    let conn = db.get()?;
    assert!(!format!("{conn:?}").contains("pa55word"));
    Ok(())
}
