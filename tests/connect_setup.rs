//! Per-connection set-up on both backends: the `on_connect` hook runs once
//! on every new connection, after glowplug's own settings; an error from it
//! fails that connect and says so; PostgreSQL's `application_name` is the
//! program's name by default, the builder's or the URL's otherwise.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use glowplug::prelude::*;
use glowplug::{AnyConnection, Error};

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

/// The mark the hook left on this connection's session (a temporary table).
fn mark(conn: &mut AnyConnection) -> glowplug::Result<i64> {
    Ok(diesel::sql_query("SELECT n FROM hook_mark")
        .get_result::<Number>(conn)?
        .n)
}

/// A setting glowplug applied before the hook: SQLite's foreign keys,
/// PostgreSQL's statement_timeout (set on the pools below).
fn own_setting(conn: &mut AnyConnection) -> glowplug::Result<String> {
    let sql = match conn.backend() {
        Backend::Sqlite => "SELECT CAST(foreign_keys AS TEXT) AS name FROM pragma_foreign_keys",
        _ => "SELECT current_setting('statement_timeout') AS name",
    };
    Ok(diesel::sql_query(sql).get_result::<Name>(conn)?.name)
}

backend_tests! {
    fn on_connect_runs_once_on_every_new_connection_after_glowplugs_settings(db) {
        let opened = Arc::new(AtomicUsize::new(0));
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (count, settings) = (opened.clone(), seen.clone());
        let pool = Database::builder(&db.url)
            .max_size(3)
            .statement_timeout(std::time::Duration::from_secs(7))
            .on_connect(move |conn: &mut AnyConnection| {
                let n = count.fetch_add(1, Ordering::SeqCst) + 1;
                settings.lock().unwrap().push(own_setting(conn)?);
                conn.batch_execute(&format!(
                    "CREATE TEMP TABLE hook_mark (n BIGINT); INSERT INTO hook_mark VALUES ({n})"
                ))?;
                Ok(())
            })
            .build()?;
        assert_eq!(opened.load(Ordering::SeqCst), 1, "build opens one connection");
        let mut held = vec![pool.get()?, pool.get()?, pool.get()?];
        assert_eq!(opened.load(Ordering::SeqCst), 3);
        let mut marks = Vec::new();
        for conn in &mut held {
            marks.push(mark(conn)?);
        }
        marks.sort();
        assert_eq!(marks, vec![1, 2, 3], "each connection ran the hook once, on its own session");
        drop(held);
        for _ in 0..5 {
            let mut conn = pool.get()?;
            assert!((1..=3).contains(&mark(&mut conn)?));
        }
        assert_eq!(opened.load(Ordering::SeqCst), 3, "reused connections do not run it again");
        let expected = match pool.backend() {
            Backend::Sqlite => "1",
            _ => "7s",
        };
        assert_eq!(*seen.lock().unwrap(), vec![expected; 3], "the hook sees glowplug's settings");
        Ok(())
    }

    fn an_on_connect_error_fails_that_connect_and_says_so(db) {
        let refused = Database::builder(&db.url)
            .on_connect(|_: &mut AnyConnection| Err(Error::config("no tenant for this pool".into())))
            .build()
            .unwrap_err();
        let text = refused.to_string();
        assert!(matches!(refused, Error::Connection { .. }), "{refused:?}");
        assert!(text.contains("on_connect hook failed") && text.contains("no tenant for this pool"), "{text}");

        // A hook whose SQL fails on every connection after the first: the
        // first keeps working, a second checkout fails with the hook's error.
        let opened = Arc::new(AtomicUsize::new(0));
        let count = opened.clone();
        let pool = Database::builder(&db.url)
            .max_size(2)
            .on_connect(move |conn: &mut AnyConnection| {
                if count.fetch_add(1, Ordering::SeqCst) >= 1 {
                    conn.batch_execute("SELECT * FROM no_such_table_for_the_hook")?;
                }
                Ok(())
            })
            .build()?;
        let mut first = pool.get()?;
        let err = pool.get_timeout(std::time::Duration::from_millis(1500)).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("on_connect hook failed") && text.contains("no_such_table_for_the_hook"), "{text}");
        assert_eq!(diesel::sql_query("SELECT CAST(1 AS BIGINT) AS n").get_result::<Number>(&mut *first)?.n, 1);
        assert!(opened.load(Ordering::SeqCst) >= 2, "the second connect ran the hook");
        Ok(())
    }
}

mod postgres_only {
    use super::*;

    fn own_application_name(pool: &Database) -> glowplug::Result<String> {
        let mut conn = pool.get()?;
        Ok(diesel::sql_query(
            "SELECT application_name AS name FROM pg_stat_activity WHERE pid = pg_backend_pid()",
        )
        .get_result::<Name>(&mut *conn)?
        .name)
    }

    #[test]
    fn application_name_is_the_programs_name_unless_the_builder_or_url_says_otherwise()
    -> common::TestResult {
        let Some(db) = common::postgres("application_name") else {
            return Ok(());
        };
        let program = std::env::current_exe()?
            .file_stem()
            .and_then(|s| s.to_str())
            .map(str::to_owned)
            .expect("a program name");
        assert!(program.starts_with("connect_setup"), "{program}");
        assert_eq!(own_application_name(&Database::connect(&db.url)?)?, program);
        let named = Database::builder(&db.url)
            .application_name(Some("billing-worker"))
            .build()?;
        assert_eq!(own_application_name(&named)?, "billing-worker");
        let unnamed = Database::builder(&db.url).application_name(None).build()?;
        assert_eq!(own_application_name(&unnamed)?, "");
        let in_url = Database::builder(&format!("{}&application_name=from-url", db.url))
            .application_name(Some("billing-worker"))
            .build()?;
        assert_eq!(own_application_name(&in_url)?, "from-url", "the URL's wins");
        Ok(())
    }
}

#[test]
fn application_name_is_not_applied_on_sqlite() -> common::TestResult {
    let db = common::sqlite("application_name");
    let pool = Database::builder(&db.url)
        .application_name(Some("billing-worker"))
        .build()?;
    let mut conn = pool.get()?;
    let n =
        diesel::sql_query("SELECT count(*) AS n FROM users").get_result::<Number>(&mut *conn)?;
    assert_eq!(n.n, 0, "the pool works; the setting is PostgreSQL's only");
    Ok(())
}

#[test]
fn migrations_run_on_the_migration_url_and_a_url_of_another_backend_is_refused()
-> common::TestResult {
    let dir = tempfile::tempdir()?;
    let pool_url = format!("sqlite://{}", dir.path().join("pool.db").display());
    let direct_url = format!("sqlite://{}", dir.path().join("direct.db").display());
    let db = Database::builder(&pool_url)
        .migration_url(&direct_url)
        .build()?;
    assert!(!db.run_pending_migrations(common::MIGRATIONS)?.is_empty());
    let tables = |url: &str| -> glowplug::Result<i64> {
        let mut conn = Database::connect(url)?.get()?;
        Ok(diesel::sql_query(
            "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'users'",
        )
        .get_result::<Number>(&mut *conn)?
        .n)
    };
    assert_eq!(tables(&direct_url)?, 1, "migrated on the migration URL");
    assert_eq!(tables(&pool_url)?, 0, "not on the pool's");

    let err = Database::builder(&pool_url)
        .migration_url("postgres://app:s3cret-pw@db.example/app")
        .build()
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Config { .. }), "{err:?}");
    assert!(
        text.contains("migration URL") && text.contains("same database"),
        "{text}"
    );
    assert!(!text.contains("s3cret-pw"));
    Ok(())
}
