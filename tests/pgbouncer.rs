//! glowplug through a real PgBouncer in transaction pooling mode (PostgreSQL
//! only: PgBouncer is a PostgreSQL pooler). Each test starts its own
//! PgBouncer (`common/bouncer.rs`) in front of the shared server, with a
//! database alias whose server sessions get the test's schema from
//! PgBouncer's `connect_query`, and few server sessions (1 or 2) for many
//! client connections, so sessions really are shared. Every committed row
//! is read back directly from the server, not through PgBouncer.
//!
//! What is checked: why diesel's named prepared statements break there and
//! that `prepared_statement_cache(false)` fixes it; model methods, batch
//! inserts (INSERT and COPY) and transactions from concurrent connections;
//! why the session-level migration lock cannot work through it and that 8
//! concurrent migrators with a direct `migration_url` apply each migration
//! once; what happens to a `SET` made by the `on_connect` hook.

mod common;

#[path = "common/bouncer.rs"]
mod bouncer;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bouncer::{Alias, Bouncer, Server};
use common::models::*;
use common::{TestDb, TestResult, new_user};
use diesel::connection::{CacheSize, SimpleConnection};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Text};
use glowplug::prelude::*;
use glowplug::{AnyConnection, CopyMode};

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Pid {
    #[diesel(sql_type = Integer)]
    pid: i32,
}

#[derive(QueryableByName)]
struct Flag {
    #[diesel(sql_type = Bool)]
    ok: bool,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// A test's schema on the shared server and a PgBouncer in front of it.
struct Behind {
    /// The test's schema, reached directly (with its search_path).
    direct: TestDb,
    bouncer: Bouncer,
}

impl Behind {
    /// The test's schema (migrated unless `blank`) and a PgBouncer with
    /// `pool_size` server sessions for it, or `None` (skip line) without
    /// PostgreSQL or pgbouncer.
    fn start(test: &str, pool_size: u32, blank: bool) -> Option<Behind> {
        let direct = if blank {
            common::blank_postgres(test)?
        } else {
            common::postgres(test)?
        };
        let schema = {
            let mut conn = direct.get().expect("a direct connection");
            diesel::sql_query("SELECT current_schema() AS name")
                .get_result::<Name>(&mut *conn)
                .expect("the test's schema")
                .name
        };
        let server = Server::from_url(
            &std::env::var("PG_DATABASE_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/glowplug_test".to_owned()),
        );
        let bouncer = Bouncer::start(
            test,
            pool_size,
            &[Alias {
                name: "app",
                dbname: &server.dbname,
                search_path: Some(&schema),
            }],
        )?;
        Some(Behind { direct, bouncer })
    }

    /// The URL of the test's schema through PgBouncer.
    fn url(&self) -> String {
        self.bouncer.url("app")
    }

    /// A pool through PgBouncer as it should be set up there: the
    /// statement cache off.
    fn pool(&self, max_size: u32) -> glowplug::Result<Database> {
        Database::builder(&self.url())
            .max_size(max_size)
            .prepared_statement_cache(false)
            .build()
    }

    /// A connection straight to the server, past PgBouncer.
    fn server(&self) -> PgConnection {
        PgConnection::establish(&self.direct.url).expect("a direct connection")
    }
}

/// Runs `work(t)` for `t` in `0..n` on `n` threads at once; their results
/// in thread order, or the first error.
fn on_threads<T: Send>(
    n: usize,
    work: impl Fn(usize) -> glowplug::Result<T> + Sync,
) -> glowplug::Result<Vec<T>> {
    std::thread::scope(|s| {
        let work = &work;
        let workers: Vec<_> = (0..n).map(|t| s.spawn(move || work(t))).collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a worker thread"))
            .collect()
    })
}

fn backend_pid(conn: &mut AnyConnection) -> glowplug::Result<i32> {
    Ok(diesel::sql_query("SELECT pg_backend_pid() AS pid")
        .get_result::<Pid>(conn)?
        .pid)
}

/// The usernames in the test's table, read on the server directly.
fn usernames_on_server(behind: &Behind) -> Vec<String> {
    users::table
        .select(users::username)
        .order(users::username)
        .load(&mut behind.server())
        .expect("read users on the server")
}

#[test]
fn named_prepared_statements_break_under_transaction_pooling_and_the_cache_off_fixes_it()
-> TestResult {
    let Some(behind) = Behind::start("named_statements", 1, false) else {
        return Ok(());
    };
    // Two clients, one server session: both of diesel's caches name their
    // first statement `__diesel_stmt_0`, on the same server session.
    let mut a = PgConnection::establish(&behind.url())?;
    let mut b = PgConnection::establish(&behind.url())?;
    assert_eq!(users::table.count().get_result::<i64>(&mut a)?, 0);
    let clash = users::table
        .select(users::id)
        .load::<i64>(&mut b)
        .unwrap_err()
        .to_string();
    assert!(
        clash.contains("prepared statement") && clash.contains("already exists"),
        "{clash}"
    );

    // With the cache off, the same statements from the same clients work.
    for conn in [&mut a, &mut b] {
        conn.set_prepared_statement_cache_size(CacheSize::Disabled);
    }
    for _ in 0..3 {
        assert_eq!(users::table.count().get_result::<i64>(&mut a)?, 0);
        assert!(
            users::table
                .select(users::id)
                .load::<i64>(&mut b)?
                .is_empty()
        );
        assert!(
            users::table
                .select(users::email)
                .load::<String>(&mut a)?
                .is_empty()
        );
    }
    Ok(())
}

#[test]
fn model_methods_work_from_concurrent_connections_through_pgbouncer() -> TestResult {
    let Some(behind) = Behind::start("model_methods", 2, false) else {
        return Ok(());
    };
    let db = behind.pool(8)?;
    let threads = 8;
    let pids = std::sync::Mutex::new(BTreeSet::new());
    on_threads(threads, |t| -> glowplug::Result<()> {
        let mut conn = db.get()?;
        for i in 0..6 {
            let user = new_user(&format!("t{t}_u{i}")).insert(&mut conn)?;
            assert_eq!(User::find(&mut conn, user.id)?.username, user.username);
            pids.lock().unwrap().insert(backend_pid(&mut conn)?);
            NewPost::new(user.id, format!("t{t}_p{i}")).insert(&mut conn)?;
        }
        let mine = User::filter(users::username.like(format!("t{t}_%")))
            .order(users::username)
            .all(&mut conn)?;
        assert_eq!(mine.len(), 6);
        let mut first = mine[0].clone();
        first.bio = Some(format!("thread {t}"));
        first.save(&mut conn)?;
        diesel::delete(posts::table.filter(posts::author_id.eq(mine[5].id))).execute(&mut *conn)?;
        mine[5].delete(&mut conn)?;
        let count = User::filter(users::username.like(format!("t{t}_%"))).count(&mut conn)?;
        assert_eq!(count, 5);
        let loaded = User::filter(users::username.like(format!("t{t}_%")))
            .order(users::username)
            .all(&mut conn)?
            .load(&mut conn, User::POSTS)?;
        for user in &loaded {
            let titles: Vec<&str> = user
                .get(User::POSTS)
                .iter()
                .map(|p| p.title.as_str())
                .collect();
            let i = user.username.rsplit('u').next().unwrap_or_default();
            assert_eq!(titles, vec![format!("t{t}_p{i}")]);
        }
        Ok(())
    })?;
    let sessions = pids.lock().unwrap().len();
    assert!(
        (1..=2).contains(&sessions),
        "8 client connections shared at most 2 server sessions (saw {sessions})"
    );

    let mut expected = Vec::new();
    for t in 0..threads {
        for i in 0..5 {
            expected.push(format!("t{t}_u{i}"));
        }
    }
    expected.sort();
    assert_eq!(usernames_on_server(&behind), expected);
    let bios: Vec<(String, Option<String>)> = users::table
        .select((users::username, users::bio))
        .filter(users::bio.is_not_null())
        .order(users::username)
        .load(&mut behind.server())?;
    let want: Vec<(String, Option<String>)> = (0..threads)
        .map(|t| (format!("t{t}_u0"), Some(format!("thread {t}"))))
        .collect();
    assert_eq!(bios, want);
    Ok(())
}

#[test]
fn batch_inserts_copy_and_insert_through_pgbouncer() -> TestResult {
    let Some(behind) = Behind::start("batch_inserts", 2, false) else {
        return Ok(());
    };
    let db = behind.pool(6)?;
    let rows = |prefix: &str, n: usize| -> Vec<NewUser> {
        (0..n)
            .map(|i| new_user(&format!("{prefix}{i:04}")))
            .collect()
    };
    on_threads(6, |t| -> glowplug::Result<()> {
        let mut conn = db.get()?;
        let copied = User::batch()
            .copy(CopyMode::Always)
            .insert(&mut conn, &rows(&format!("c{t}_"), 300))?;
        assert_eq!(copied, 300);
        let inserted = User::batch()
            .copy(CopyMode::Never)
            .insert(&mut conn, &rows(&format!("i{t}_"), 120))?;
        assert_eq!(inserted, 120);
        assert_eq!(
            User::insert_batch(&mut conn, &rows(&format!("a{t}_"), 40))?,
            40
        );
        Ok(())
    })?;
    let mut expected = Vec::new();
    for t in 0..6 {
        for (prefix, n) in [("c", 300), ("i", 120), ("a", 40)] {
            expected.extend((0..n).map(|i| format!("{prefix}{t}_{i:04}")));
        }
    }
    expected.sort();
    assert_eq!(usernames_on_server(&behind), expected);
    Ok(())
}

#[test]
fn transactions_commit_and_roll_back_through_pgbouncer() -> TestResult {
    let Some(behind) = Behind::start("transactions", 2, false) else {
        return Ok(());
    };
    let db = behind.pool(8)?;
    on_threads(8, |t| -> glowplug::Result<()> {
        for round in 0..4 {
            db.transaction(|conn| {
                new_user(&format!("kept_{t}_{round}_a")).insert(conn)?;
                // A savepoint rolled back inside a committed transaction.
                let inner: glowplug::Result<()> = glowplug::transaction(conn, |c| {
                    new_user(&format!("inner_{t}_{round}")).insert(c)?;
                    Err(glowplug::Error::config("undo the savepoint".into()))
                });
                assert!(inner.is_err());
                new_user(&format!("kept_{t}_{round}_b")).insert(conn)?;
                Ok::<_, glowplug::Error>(())
            })?;
            let undone = db.transaction(|conn| {
                new_user(&format!("undone_{t}_{round}")).insert(conn)?;
                Err::<(), _>(glowplug::Error::config("roll back".into()))
            });
            assert!(undone.is_err());
        }
        Ok(())
    })?;
    let mut expected = Vec::new();
    for t in 0..8 {
        for round in 0..4 {
            expected.push(format!("kept_{t}_{round}_a"));
            expected.push(format!("kept_{t}_{round}_b"));
        }
    }
    expected.sort();
    assert_eq!(usernames_on_server(&behind), expected);
    Ok(())
}

#[test]
fn a_session_lock_through_pgbouncer_is_held_by_every_client_of_its_server_session() -> TestResult {
    // Why migrations need a direct URL: a session-level advisory lock taken
    // through transaction pooling stays on a server session that PgBouncer
    // then gives to other clients, so a second "migrator" gets it too.
    let Some(behind) = Behind::start("session_lock", 1, false) else {
        return Ok(());
    };
    let db = behind.pool(2)?;
    let (mut a, mut b) = (db.get()?, db.get()?);
    let lock = "SELECT pg_try_advisory_lock(4242) AS ok";
    assert!(diesel::sql_query(lock).get_result::<Flag>(&mut *a)?.ok);
    assert!(
        diesel::sql_query(lock).get_result::<Flag>(&mut *b)?.ok,
        "the second client got the lock the first one holds"
    );
    diesel::sql_query("SELECT pg_advisory_unlock_all()").execute(&mut *a)?;
    // Directly on the server, the lock really is exclusive.
    let mut c = behind.server();
    let mut d = behind.server();
    assert!(diesel::sql_query(lock).get_result::<Flag>(&mut c)?.ok);
    assert!(!diesel::sql_query(lock).get_result::<Flag>(&mut d)?.ok);
    Ok(())
}

#[test]
fn eight_concurrent_migrators_through_pgbouncer_apply_each_migration_once() -> TestResult {
    let Some(behind) = Behind::start("migrators", 2, true) else {
        return Ok(());
    };
    let url = behind.url();
    let direct = behind.direct.url.clone();
    let applied: Vec<Vec<String>> = on_threads(8, |_| {
        let db = Database::builder(&url)
            .max_size(2)
            .prepared_statement_cache(false)
            .migration_url(&direct)
            .build()?;
        db.run_pending_migrations(common::MIGRATIONS)
    })?;
    let all: Vec<String> = applied.iter().flatten().cloned().collect();
    let distinct: BTreeSet<String> = all.iter().cloned().collect();
    assert!(!all.is_empty());
    assert_eq!(
        all.len(),
        distinct.len(),
        "no migration applied twice: {applied:?}"
    );
    assert_eq!(
        applied.iter().filter(|a| !a.is_empty()).count(),
        1,
        "one migrator applied everything, the others found nothing pending: {applied:?}"
    );

    let mut server = behind.server();
    let ledger: Vec<String> =
        diesel::sql_query("SELECT version AS name FROM glowplug_migrations ORDER BY version")
            .load::<Name>(&mut server)?
            .into_iter()
            .map(|n| n.name)
            .collect();
    let diesels: Vec<String> = diesel::sql_query(
        "SELECT version AS name FROM __diesel_schema_migrations ORDER BY version",
    )
    .load::<Name>(&mut server)?
    .into_iter()
    .map(|n| n.name)
    .collect();
    assert_eq!(ledger, distinct.iter().cloned().collect::<Vec<_>>());
    assert_eq!(diesels, ledger, "both ledgers agree");
    // The schema is there, and usable through PgBouncer.
    let db = behind.pool(2)?;
    assert_eq!(User::all(&mut db.get()?)?.len(), 0);
    Ok(())
}

#[test]
fn a_set_in_the_hook_leaks_to_other_clients_and_set_local_does_not() -> TestResult {
    let Some(behind) = Behind::start("session_settings", 1, false) else {
        return Ok(());
    };
    let opened = Arc::new(AtomicUsize::new(0));
    let count = opened.clone();
    let db = Database::builder(&behind.url())
        .max_size(2)
        .prepared_statement_cache(false)
        .on_connect(move |conn: &mut AnyConnection| {
            let n = 65 + count.fetch_add(1, Ordering::SeqCst);
            conn.batch_execute(&format!("SET work_mem = '{n}MB'"))?;
            Ok(())
        })
        .build()?;
    let show = |conn: &mut AnyConnection| -> glowplug::Result<String> {
        Ok(
            diesel::sql_query("SELECT current_setting('work_mem') AS name")
                .get_result::<Name>(conn)?
                .name,
        )
    };
    let mut first = db.get()?;
    assert_eq!(show(&mut first)?, "65MB");
    let mut second = db.get()?;
    assert_eq!(opened.load(Ordering::SeqCst), 2);
    assert_eq!(show(&mut second)?, "66MB");
    assert_eq!(
        show(&mut first)?,
        "66MB",
        "the second connection's SET landed on the server session the first one uses too; \
         PgBouncer runs no server_reset_query between clients in transaction mode"
    );

    // SET LOCAL lasts for its transaction only, on whatever session runs it.
    glowplug::transaction(&mut *first, |conn| {
        conn.batch_execute("SET LOCAL work_mem = '99MB'")?;
        assert_eq!(show(conn)?, "99MB");
        Ok::<_, glowplug::Error>(())
    })?;
    assert_eq!(show(&mut second)?, "66MB");
    assert_eq!(show(&mut first)?, "66MB");

    // PgBouncer's connect_query (the test's search_path) is on every server session.
    let n =
        diesel::sql_query("SELECT count(*) AS n FROM users").get_result::<Count>(&mut *second)?;
    assert_eq!(n.n, 0);
    Ok(())
}

#[test]
fn the_cli_migrates_on_migration_database_url_before_database_url() -> TestResult {
    let Some(db) = common::blank_postgres("cli_migration_url") else {
        return Ok(());
    };
    let dir = tempfile::tempdir()?;
    let migrations = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_glowplug"))
        .args(["migrate", "run", "--dir"])
        .arg(&migrations)
        .current_dir(dir.path())
        // The application's URL goes through PgBouncer; the CLI must not use it.
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:1/nowhere")
        .env("MIGRATION_DATABASE_URL", &db.url)
        .env_remove("MIGRATION_DIRECTORY")
        .output()?;
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let applied = diesel::sql_query("SELECT count(*) AS n FROM glowplug_migrations")
        .get_result::<Count>(&mut PgConnection::establish(&db.url)?)?;
    assert!(applied.n > 0);
    Ok(())
}

#[test]
fn a_pgbouncer_restart_fails_calls_within_their_timeouts_and_the_pool_recovers() -> TestResult {
    let Some(mut behind) = Behind::start("bouncer_restart", 1, false) else {
        return Ok(());
    };
    let db = Database::builder(&behind.url())
        .max_size(2)
        .prepared_statement_cache(false)
        .connect_timeout(std::time::Duration::from_secs(1))
        .build()?;
    new_user("before").insert(&mut db.get()?)?;
    let mut held = db.get()?;
    behind.bouncer.kill();
    let lost = User::all(&mut held).unwrap_err();
    assert!(
        matches!(lost, glowplug::Error::ConnectionLost { .. }),
        "{lost:?}"
    );
    drop(held);
    let started = std::time::Instant::now();
    let down = db
        .get_timeout(std::time::Duration::from_secs(1))
        .unwrap_err();
    assert!(matches!(down, glowplug::Error::Pool { .. }), "{down:?}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "no hang while PgBouncer is down"
    );

    behind.bouncer.restart();
    let mut conn = db.get_timeout(std::time::Duration::from_secs(5))?;
    new_user("after").insert(&mut conn)?;
    assert_eq!(usernames_on_server(&behind), vec!["after", "before"]);
    Ok(())
}
