//! The migration harness through the library, on SQLite and PostgreSQL:
//! batches, rollback order, targets, status states, checksums, failures,
//! dirty marks, pretend, Rust migrations, the lock, and diesel's own table.

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use common::TestResult;
use diesel::prelude::*;
use glowplug::migrate::{
    Dir, MigrationError, MigrationSource, Operation, Rollback, RustMigration, State, checksum,
};
use glowplug::{BackendConnection, Database, DbConnection, Error};

/// A test database with a migrations directory of its own.
struct Env {
    db: common::TestDb,
    dir: tempfile::TempDir,
}

/// Stamps out `sqlite::$name` and `postgres::$name` with an empty database
/// and an empty migrations directory.
macro_rules! migrate_tests {
    ($( fn $name:ident($env:ident) $body:block )*) => {
        mod sqlite {
            use super::*;
            $(
                #[test]
                fn $name() -> TestResult {
                    let $env = Env::new(common::blank_sqlite(stringify!($name)));
                    $body
                }
            )*
        }
        mod postgres {
            use super::*;
            $(
                #[test]
                fn $name() -> TestResult {
                    let Some(db) = common::blank_postgres(stringify!($name)) else { return Ok(()) };
                    let $env = Env::new(db);
                    $body
                }
            )*
        }
    };
}

#[derive(QueryableByName)]
struct Text {
    #[diesel(sql_type = diesel::sql_types::Text)]
    v: String,
}

impl Env {
    fn new(db: common::TestDb) -> Env {
        Env {
            db,
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes migration `name` with `up` and, when given, `down`.
    fn add(&self, name: &str, up: &str, down: Option<&str>) {
        let path = self.path(name);
        std::fs::create_dir_all(&path).unwrap();
        std::fs::write(path.join("up.sql"), up).unwrap();
        if let Some(down) = down {
            std::fs::write(path.join("down.sql"), down).unwrap();
        }
    }

    /// A migration creating table `t` (and dropping it on the way down).
    fn table(&self, name: &str, t: &str) {
        self.add(name, &table_sql(t), Some(&format!("DROP TABLE {t};\n")));
    }

    fn source(&self) -> Dir {
        Dir::new(self.dir.path())
    }

    fn migrator(&self) -> glowplug::Migrator<'_, Dir> {
        self.db.migrator(self.source())
    }

    /// One text column of a query, on either backend.
    fn strings(&self, sql: &str) -> Vec<String> {
        let mut conn = self.db.get().unwrap();
        let rows = match conn.backend_connection() {
            BackendConnection::Sqlite(c) => diesel::sql_query(sql).load::<Text>(c),
            BackendConnection::Postgres(c) => diesel::sql_query(sql).load::<Text>(c),
            _ => unreachable!(),
        };
        rows.unwrap().into_iter().map(|r| r.v).collect()
    }

    /// diesel's versions, in order.
    fn diesel_versions(&self) -> Vec<String> {
        self.strings("SELECT version AS v FROM __diesel_schema_migrations ORDER BY version")
    }

    /// The ledger as `version:batch`, in applied order.
    fn ledger(&self) -> Vec<String> {
        self.strings(
            "SELECT version || ':' || CAST(batch AS TEXT) AS v FROM glowplug_migrations ORDER BY seq",
        )
    }

    fn has_table(&self, table: &str) -> bool {
        let mut conn = self.db.get().unwrap();
        let sql = match conn.backend() {
            glowplug::Backend::Sqlite => {
                format!(
                    "SELECT name AS v FROM sqlite_master WHERE type = 'table' AND name = '{table}'"
                )
            }
            _ => format!(
                "SELECT CAST(to_regclass('{table}') AS TEXT) AS v WHERE to_regclass('{table}') IS NOT NULL"
            ),
        };
        drop(conn);
        !self.strings(&sql).is_empty()
    }

    fn states(&self) -> Vec<(String, State, Option<i32>)> {
        self.migrator()
            .status()
            .unwrap()
            .entries
            .into_iter()
            .map(|e| (e.name, e.state, e.batch))
            .collect()
    }
}

/// The `up.sql` of [`Env::table`].
fn table_sql(t: &str) -> String {
    format!("CREATE TABLE {t} (\n    id INTEGER PRIMARY KEY,\n    note TEXT\n);\n")
}

const M1: &str = "2026-01-01-000001_one";
const M2: &str = "2026-01-01-000002_two";
const M3: &str = "2026-01-01-000003_three";

fn names(done: &[glowplug::migrate::StepReport]) -> Vec<&str> {
    done.iter().map(|d| d.name.as_str()).collect()
}

fn migration_error(result: glowplug::Result<impl std::fmt::Debug>) -> MigrationError {
    match result {
        Err(Error::Migration(e)) => e,
        other => panic!("expected a migration error, got {other:?}"),
    }
}

// Rust migrations (plain functions: they cannot capture).
fn seed_up(conn: &mut BackendConnection<'_>) -> glowplug::Result<()> {
    conn.batch_execute("INSERT INTO one (id, note) VALUES (1, 'from rust')")
}
fn seed_down(conn: &mut BackendConnection<'_>) -> glowplug::Result<()> {
    conn.batch_execute("DELETE FROM one WHERE id = 1")
}
fn slow_up(_: &mut BackendConnection<'_>) -> glowplug::Result<()> {
    std::thread::sleep(Duration::from_secs(3));
    Ok(())
}
fn panicking_up(_: &mut BackendConnection<'_>) -> glowplug::Result<()> {
    panic!("a Rust migration panicked on purpose")
}
static SEED: [RustMigration; 1] = [RustMigration::new(
    "2026-01-01-000002_seed",
    seed_up,
    Some(seed_down),
)];
static SEED_IRREVERSIBLE: [RustMigration; 1] =
    [RustMigration::new("2026-01-01-000002_seed", seed_up, None)];
static SLOW: [RustMigration; 1] = [RustMigration::new("2026-01-01-000009_slow", slow_up, None)];
static PANICS: [RustMigration; 1] = [RustMigration::new(
    "2026-01-01-000010_panics",
    panicking_up,
    None,
)];

migrate_tests! {
    fn run_applies_pending_as_one_batch_and_records_both_tables(env) {
        env.table(M1, "one");
        env.table(M2, "two");
        env.table(M3, "three");
        let report = env.migrator().run()?;
        assert_eq!(names(&report.applied), [M1, M2, M3]);
        assert!(report.applied.iter().all(|d| d.batch == 1));
        assert!(report.reverted.is_empty());
        assert_eq!(env.diesel_versions(), ["20260101000001", "20260101000002", "20260101000003"]);
        assert_eq!(env.ledger(), ["20260101000001:1", "20260101000002:1", "20260101000003:1"]);
        let sums = env.strings("SELECT checksum AS v FROM glowplug_migrations ORDER BY seq");
        assert_eq!(sums[0], checksum(&table_sql("one")));
        assert!(env.has_table("one") && env.has_table("three"));
        // Nothing pending: a second run applies nothing and adds no batch.
        assert!(env.migrator().run()?.applied.is_empty());
        assert_eq!(env.ledger().len(), 3);
        let status = env.migrator().status()?;
        assert!(status.is_clean());
        assert!(status.entries.iter().all(|e| e.applied_at.is_some() && e.duration.is_some()));
        Ok(())
    }

    fn rollback_undoes_the_last_batch_in_applied_order(env) {
        env.table(M1, "one");
        env.table(M3, "three");
        env.migrator().run()?;
        // An older migration arrives later (a merged branch): it runs in batch 2.
        env.table(M2, "two");
        let second = env.migrator().run()?;
        assert_eq!(names(&second.applied), [M2]);
        assert_eq!(second.applied[0].batch, 2);
        // The last batch is M2, although M3 has the highest version.
        let undone = env.migrator().rollback(Rollback::LastBatch)?;
        assert_eq!(names(&undone.reverted), [M2]);
        assert!(!env.has_table("two") && env.has_table("three"));
        env.migrator().run()?;
        // --step 2: the last two applied, newest first, across batches.
        let undone = env.migrator().rollback(Rollback::Steps(2))?;
        assert_eq!(names(&undone.reverted), [M2, M3]);
        assert_eq!(env.diesel_versions(), ["20260101000001"]);
        env.migrator().run()?;
        assert_eq!(env.ledger(), ["20260101000001:1", "20260101000002:2", "20260101000003:2"]);
        // --batch 1 undoes only batch 1; an unknown batch is refused.
        let undone = env.migrator().rollback(Rollback::Batch(1))?;
        assert_eq!(names(&undone.reverted), [M1]);
        assert!(matches!(
            migration_error(env.migrator().rollback(Rollback::Batch(7))),
            MigrationError::UnknownBatch { batch: 7 }
        ));
        Ok(())
    }

    fn batch_per_migration_and_targets(env) {
        env.table(M1, "one");
        env.table(M2, "two");
        env.table(M3, "three");
        let report = env.migrator().run_to("20260101000002")?;
        assert_eq!(names(&report.applied), [M1, M2]);
        let report = env.migrator().batch_per_migration(true).run()?;
        assert_eq!(report.applied[0].batch, 2);
        env.migrator().rollback(Rollback::All)?;
        let report = env.migrator().batch_per_migration(true).run()?;
        assert_eq!(report.applied.iter().map(|d| d.batch).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(names(&env.migrator().rollback(Rollback::LastBatch)?.reverted), [M3]);
        env.migrator().run()?;
        // Down to a version given by its full name: everything above it.
        let undone = env.migrator().rollback(Rollback::To(M1.into()))?;
        assert_eq!(names(&undone.reverted), [M3, M2]);
        assert!(matches!(
            migration_error(env.migrator().run_to("20990101000000")),
            MigrationError::UnknownTarget { .. }
        ));
        assert_eq!(env.diesel_versions(), ["20260101000001"]);
        assert_eq!(names(&env.migrator().rollback(Rollback::To("0".into()))?.reverted), [M1]);
        Ok(())
    }

    fn reset_refresh_and_redo(env) {
        env.table(M1, "one");
        env.table(M2, "two");
        env.migrator().run()?;
        env.table(M3, "three");
        env.migrator().run()?;
        let redo = env.migrator().redo(Rollback::Steps(2))?;
        assert_eq!(names(&redo.reverted), [M3, M2]);
        assert_eq!(names(&redo.applied), [M2, M3]);
        // Applied again as the batch after the last one left.
        assert!(redo.applied.iter().all(|d| d.batch == 2));
        let refresh = env.migrator().refresh()?;
        assert_eq!(names(&refresh.reverted), [M3, M2, M1]);
        assert_eq!(names(&refresh.applied), [M1, M2, M3]);
        assert!(refresh.applied.iter().all(|d| d.batch == 1));
        // redo takes the same selection as rollback: here, the last batch.
        let again = env.migrator().redo(Rollback::LastBatch)?;
        assert_eq!(names(&again.reverted), [M3, M2, M1]);
        assert_eq!(names(&again.applied), [M1, M2, M3]);
        assert!(again.applied.iter().all(|d| d.batch == 1));
        let reset = env.migrator().reset()?;
        assert_eq!(reset.reverted.len(), 3);
        assert!(env.diesel_versions().is_empty() && env.ledger().is_empty());
        assert!(!env.has_table("one") && !env.has_table("three"));
        assert!(env.migrator().reset()?.reverted.is_empty());
        Ok(())
    }

    fn status_reports_modified_missing_and_pending(env) {
        env.table(M1, "one");
        env.table(M2, "two");
        env.migrator().run()?;
        env.table(M3, "three");
        // CRLF line endings alone are not a modification.
        let up = env.path(M1).join("up.sql");
        std::fs::write(&up, table_sql("one").replace('\n', "\r\n"))?;
        assert_eq!(env.states()[0].1, State::Applied);
        std::fs::write(&up, table_sql("one").replace("INTEGER", "BIGINT"))?;
        std::fs::remove_dir_all(env.path(M2))?;
        let status = env.migrator().status()?;
        let states: Vec<_> = status.entries.iter().map(|e| (e.name.as_str(), e.state, e.batch)).collect();
        assert_eq!(states, [
            (M1, State::Modified, Some(1)),
            (M2, State::Missing, Some(1)),
            (M3, State::Pending, None),
        ]);
        assert!(!status.is_clean());
        let table = status.table(false);
        assert!(table.contains("modified") && table.contains("missing"), "{table}");
        assert!(table.contains("3 migrations: 0 applied, 1 pending, 1 modified, 1 missing"), "{table}");
        // Every row has the same column layout.
        let col = table.find("State").unwrap();
        for line in table.lines().skip(1).take(4) {
            assert!(line[..col].ends_with("  ") && !line[col..].starts_with(' '), "{table}");
        }
        // run refuses, naming the migration, and applies nothing.
        match migration_error(env.migrator().run()) {
            MigrationError::Modified { names } => assert_eq!(names, [M1]),
            other => panic!("{other:?}"),
        }
        // The library names its API, not the CLI's flags (the CLI adds those).
        let refused = env.migrator().run().unwrap_err().to_string();
        assert!(refused.contains("Migrator::allow_modified") && !refused.contains("--"), "{refused}");
        assert!(!env.has_table("three"));
        // Allowed explicitly, it runs; the missing one cannot be rolled back.
        assert_eq!(names(&env.migrator().allow_modified(true).run()?.applied), [M3]);
        assert!(matches!(
            migration_error(env.migrator().rollback(Rollback::All)),
            MigrationError::Missing { .. }
        ));
        assert!(env.has_table("three"), "a refused rollback undoes nothing");
        Ok(())
    }

    fn a_failing_migration_keeps_its_cause_down_to_diesels_error(env) {
        env.add(M1, "CREATE TABLE one (id INTEGER PRIMARY KEY, code VARCHAR(10) NOT NULL UNIQUE);", Some("DROP TABLE one;"));
        env.add(M2, "INSERT INTO one (id, code) VALUES (1, 'a'); INSERT INTO one (id, code) VALUES (2, 'a');", None);
        let err = env.migrator().run().unwrap_err();
        // The migration error names the migration; its source is glowplug's
        // classified error, whose source is diesel's.
        let failed = std::error::Error::source(&err).expect("Error::Migration has a source");
        let failed = failed.downcast_ref::<MigrationError>().expect("a MigrationError");
        // A unique violation inside a migration can be matched.
        match failed {
            MigrationError::Failed { name, source, .. } => {
                assert_eq!(name, M2);
                assert!(matches!(**source, Error::UniqueViolation { .. }), "{source:?}");
            }
            other => panic!("{other:?}"),
        }
        let mut chain = std::error::Error::source(&err);
        let mut reached = false;
        while let Some(e) = chain {
            if let Some(diesel::result::Error::DatabaseError(kind, _)) = e.downcast_ref::<diesel::result::Error>() {
                assert!(matches!(kind, diesel::result::DatabaseErrorKind::UniqueViolation), "{kind:?}");
                reached = true;
            }
            chain = e.source();
        }
        assert!(reached, "the source chain reaches diesel's DatabaseError(UniqueViolation, ..): {err:?}");
        // The message is unchanged: it still says what the database said.
        assert!(err.to_string().contains(&format!("migration {M2} failed and was rolled back")), "{err}");
        Ok(())
    }

    fn a_failing_migration_stops_the_batch_and_keeps_the_earlier_ones(env) {
        env.table(M1, "one");
        env.add(M2, "CREATE TABLE two (id INTEGER PRIMARY KEY); INSERT INTO no_such_table VALUES (1);", Some("DROP TABLE two;"));
        env.table(M3, "three");
        match migration_error(env.migrator().run()) {
            MigrationError::Failed { name, message, .. } => {
                assert_eq!(name, M2);
                assert!(message.contains("no_such_table"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert!(env.has_table("one"));
        assert!(!env.has_table("two"), "the failed migration rolled back");
        assert!(!env.has_table("three"), "the run stopped");
        assert_eq!(env.diesel_versions(), ["20260101000001"]);
        assert_eq!(env.states(), [
            (M1.to_owned(), State::Applied, Some(1)),
            (M2.to_owned(), State::Pending, None),
            (M3.to_owned(), State::Pending, None),
        ]);
        // Fixed, the next run applies the rest as batch 2.
        env.table(M2, "two");
        let report = env.migrator().run()?;
        assert_eq!(names(&report.applied), [M2, M3]);
        assert!(report.applied.iter().all(|d| d.batch == 2));
        Ok(())
    }

    fn outside_a_transaction_failure_leaves_a_dirty_mark_until_repair(env) {
        env.table(M1, "one");
        env.add(M2, "CREATE TABLE two (id INTEGER PRIMARY KEY);\nINSERT INTO no_such_table VALUES (1);", Some("DROP TABLE two;"));
        std::fs::write(env.path(M2).join("metadata.toml"), "run_in_transaction = false\n")?;
        env.table(M3, "three");
        assert!(matches!(migration_error(env.migrator().run()), MigrationError::FailedDirty { .. }));
        assert_eq!(env.states()[1], (M2.to_owned(), State::Dirty, Some(1)));
        assert!(!env.migrator().status()?.is_clean());
        // Blocked until repaired.
        match migration_error(env.migrator().run()) {
            MigrationError::Dirty { names } => assert_eq!(names, [M2]),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            migration_error(env.migrator().rollback(Rollback::LastBatch)),
            MigrationError::Dirty { .. }
        ));
        // The user cleans up by hand and fixes the file; repair makes it pending.
        if env.has_table("two") {
            env.db.get()?.backend_connection().batch_execute("DROP TABLE two")?;
        }
        env.add(M2, "CREATE TABLE two (id INTEGER PRIMARY KEY);", Some("DROP TABLE two;"));
        assert_eq!(env.migrator().repair()?, [(M2.to_owned(), State::Pending)]);
        assert!(env.migrator().repair()?.is_empty());
        let report = env.migrator().run()?;
        assert_eq!(names(&report.applied), [M2, M3]);
        // A successful non-transactional migration is recorded like any other.
        assert_eq!(env.ledger(), ["20260101000001:1", "20260101000002:2", "20260101000003:2"]);
        assert!(env.migrator().status()?.is_clean());
        Ok(())
    }

    fn a_migration_that_opens_its_own_transaction_and_fails_is_rolled_back(env) {
        // Outside the harness's transaction, a migration may BEGIN itself (as
        // SQLite rebuilds do); if it fails, its transaction must not outlive it.
        env.add(M1, "BEGIN;\nCREATE TABLE one (id INTEGER PRIMARY KEY);\nINSERT INTO no_such_table VALUES (1);\nCOMMIT;", Some("DROP TABLE one;"));
        std::fs::write(env.path(M1).join("metadata.toml"), "run_in_transaction = false\n")?;
        let mut conn = env.db.get()?;
        let run = glowplug::Migrator::new(&mut conn, env.source()).run();
        assert!(matches!(migration_error(run), MigrationError::FailedDirty { .. }));
        // The same connection works, outside any transaction, and `one` was rolled back.
        assert!(!env.has_table("one"));
        conn.backend_connection().batch_execute("CREATE TABLE probe (id INTEGER PRIMARY KEY)")?;
        conn.transaction::<_, Error, _>(|c| c.backend_connection().batch_execute("DROP TABLE probe"))?;
        assert_eq!(env.states()[0], (M1.to_owned(), State::Dirty, Some(1)));
        Ok(())
    }

    fn metadata_toml_is_read_strictly(env) {
        env.table(M1, "one");
        for (text, expect) in [
            ("run_in_transaction = maybe", "cannot be read"),
            ("run_in_transactions = false", "cannot be read"),
            ("", "does not set `run_in_transaction`"),
        ] {
            std::fs::write(env.path(M1).join("metadata.toml"), text)?;
            match migration_error(env.migrator().run()) {
                MigrationError::Source { path, message } => {
                    assert!(path.ends_with("metadata.toml"), "{path}");
                    assert!(message.contains(expect), "{text:?}: {message}");
                }
                other => panic!("{other:?}"),
            }
        }
        assert!(!env.has_table("one"), "nothing ran");
        std::fs::write(env.path(M1).join("metadata.toml"), "run_in_transaction = true")?;
        assert_eq!(env.migrator().run()?.applied.len(), 1);
        Ok(())
    }

    fn pretend_prints_the_plan_and_changes_nothing(env) {
        env.table(M1, "one");
        env.table(M2, "two");
        std::fs::write(env.path(M2).join("metadata.toml"), "run_in_transaction = false")?;
        let sql = env.migrator().pretend(Operation::Run)?;
        let at = |needle: &str| sql.find(needle).unwrap_or_else(|| panic!("{needle} not in\n{sql}"));
        assert!(at("-- 2026-01-01-000001_one (up, batch 1)") < at("BEGIN;"));
        assert!(at("BEGIN;") < at("CREATE TABLE one"));
        assert!(at("CREATE TABLE one") < at("INSERT INTO __diesel_schema_migrations (version) VALUES ('20260101000001')"));
        assert!(at("CREATE TABLE two") > at("run_in_transaction = false"));
        assert_eq!(sql.matches("COMMIT;").count(), 2);
        // Nothing was executed or created.
        assert!(!env.has_table("one") && !env.has_table("glowplug_migrations"));
        assert!(!env.has_table("__diesel_schema_migrations"));
        env.migrator().run()?;
        let down = env.migrator().pretend(Operation::Rollback(Rollback::LastBatch))?;
        let two = down.find("DROP TABLE two").expect("two's down");
        let one = down.find("DROP TABLE one").expect("one's down");
        assert!(two < one, "newest first:\n{down}");
        assert!(env.has_table("one") && env.has_table("two"));
        let to = env.migrator().pretend(Operation::RunTo("x".into()));
        assert!(matches!(migration_error(to), MigrationError::UnknownTarget { .. }));
        Ok(())
    }

    fn rust_migrations_are_ordered_with_sql_ones(env) {
        env.table(M1, "one");
        env.table(M3, "three");
        let source = env.source().with_rust(&SEED);
        let report = env.db.migrator(&source).run()?;
        assert_eq!(names(&report.applied), [M1, "2026-01-01-000002_seed", M3]);
        assert_eq!(env.strings("SELECT note AS v FROM one"), ["from rust"]);
        let status = env.db.migrator(&source).status()?;
        assert!(status.entries[1].rust && !status.entries[0].rust);
        assert!(status.table(false).contains("2026-01-01-000002_seed (rust)"));
        let undone = env.db.migrator(&source).rollback(Rollback::Steps(2))?;
        assert_eq!(names(&undone.reverted), [M3, "2026-01-01-000002_seed"]);
        assert!(env.strings("SELECT note AS v FROM one").is_empty());
        // An irreversible one refuses to roll back, and nothing is undone.
        let irreversible = env.source().with_rust(&SEED_IRREVERSIBLE);
        env.db.migrator(&irreversible).run()?;
        assert!(matches!(
            migration_error(env.db.migrator(&irreversible).rollback(Rollback::All)),
            MigrationError::Irreversible { .. }
        ));
        assert_eq!(env.diesel_versions().len(), 3);
        Ok(())
    }

    fn eight_concurrent_runners_apply_each_migration_once(env) {
        env.add("2026-01-01-000000_hits", "CREATE TABLE hits (name VARCHAR(50) NOT NULL);", Some("DROP TABLE hits;"));
        for i in 1..=6 {
            env.add(
                &format!("2026-01-01-00000{i}_m{i}"),
                &format!("CREATE TABLE m{i} (id INTEGER PRIMARY KEY); INSERT INTO hits (name) VALUES ('m{i}');"),
                Some(&format!("DROP TABLE m{i};")),
            );
        }
        let runners = 8;
        let barrier = Arc::new(Barrier::new(runners));
        let handles: Vec<_> = (0..runners)
            .map(|_| {
                let (url, dir, barrier) = (env.db.url.clone(), env.dir.path().to_owned(), barrier.clone());
                std::thread::spawn(move || -> glowplug::Result<usize> {
                    // Each runner has its own pool and connection.
                    let db = Database::builder(&url).max_size(1).build()?;
                    barrier.wait();
                    Ok(db.migrator(Dir::new(dir)).run()?.applied.len())
                })
            })
            .collect();
        let applied: Vec<usize> = handles.into_iter().map(|h| h.join().unwrap()).collect::<Result<_, _>>()?;
        assert_eq!(applied.iter().sum::<usize>(), 7, "{applied:?}");
        let mut hits = env.strings("SELECT name AS v FROM hits ORDER BY name");
        hits.dedup();
        assert_eq!(hits, ["m1", "m2", "m3", "m4", "m5", "m6"]);
        assert_eq!(env.strings("SELECT name AS v FROM hits").len(), 6);
        assert_eq!(env.diesel_versions().len(), 7);
        assert_eq!(env.ledger().len(), 7);
        Ok(())
    }

    fn the_lock_times_out_and_is_released_on_every_path(env) {
        env.table(M1, "one");
        let url = env.db.url.clone();
        let dir = env.dir.path().to_owned();
        let holder = std::thread::spawn(move || {
            let db = Database::builder(&url).max_size(1).build().unwrap();
            db.migrator(Dir::new(dir).with_rust(&SLOW)).run().map(|r| r.applied.len())
        });
        std::thread::sleep(Duration::from_millis(700));
        let other = Database::builder(&env.db.url).max_size(1).build()?;
        let started = std::time::Instant::now();
        match migration_error(other.migrator(env.source()).lock_timeout(Duration::from_millis(300)).run()) {
            MigrationError::Locked { waited, holder } => {
                assert!(waited >= Duration::from_millis(300));
                let holder = holder.expect("the holder is named");
                assert!(holder.contains("pid") || holder.contains("glowplug-lock"), "{holder}");
            }
            other => panic!("{other:?}"),
        }
        assert!(started.elapsed() < Duration::from_secs(2), "polled, not blocked");
        assert_eq!(holder.join().unwrap()?, 2);
        // After an error: a failing migration, then another connection gets the lock at once.
        env.add(M2, "INSERT INTO no_such_table VALUES (1);", None);
        assert!(matches!(migration_error(env.migrator().run()), MigrationError::Failed { .. }));
        assert!(matches!(
            migration_error(other.migrator(env.source()).lock_timeout(Duration::from_millis(100)).run()),
            MigrationError::Failed { .. }
        ));
        // After a panic in a Rust migration.
        std::fs::remove_dir_all(env.path(M2))?;
        let panicking = env.source().with_rust(&PANICS);
        let run = |db: &Database| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                db.migrator(&panicking).lock_timeout(Duration::from_millis(100)).run()
            }))
        };
        assert!(run(&env.db).is_err(), "the migration panicked");
        // Had the lock leaked, this would be a Locked error; it panics again instead.
        assert!(run(&other).is_err(), "the other runner took the lock and ran the migration");
        Ok(())
    }

    fn the_diesel_table_stays_valid_both_ways(env) {
        use glowplug::__private::diesel_migrations::{FileBasedMigrations, MigrationHarness};
        env.table(M1, "one");
        env.table(M2, "two");
        // diesel applies M1 first: glowplug adopts it as batch 0.
        let diesel_source = || FileBasedMigrations::from_path(env.dir.path()).unwrap();
        let mut conn = env.db.get()?;
        match conn.backend_connection() {
            BackendConnection::Sqlite(c) => { c.run_next_migration(diesel_source()).unwrap(); }
            BackendConnection::Postgres(c) => { c.run_next_migration(diesel_source()).unwrap(); }
            _ => unreachable!(),
        }
        drop(conn);
        assert_eq!(env.states()[0], (M1.to_owned(), State::Applied, Some(0)));
        assert_eq!(names(&env.migrator().run()?.applied), [M2]);
        assert_eq!(env.ledger(), ["20260101000001:0", "20260101000002:1"]);
        // diesel sees what glowplug applied, and its revert is noticed.
        let mut conn = env.db.get()?;
        let applied = match conn.backend_connection() {
            BackendConnection::Sqlite(c) => {
                let v = c.applied_migrations().unwrap().len();
                c.revert_last_migration(diesel_source()).unwrap();
                v
            }
            BackendConnection::Postgres(c) => {
                let v = c.applied_migrations().unwrap().len();
                c.revert_last_migration(diesel_source()).unwrap();
                v
            }
            _ => unreachable!(),
        };
        drop(conn);
        assert_eq!(applied, 2);
        assert_eq!(env.states()[1], (M2.to_owned(), State::Pending, None));
        assert_eq!(names(&env.migrator().run()?.applied), [M2]);
        Ok(())
    }

    fn a_missing_directory_and_bad_names_are_clear_errors(env) {
        let gone = Dir::new(env.path("nowhere"));
        match migration_error(env.db.migrator(&gone).run()) {
            MigrationError::Source { path, message } => {
                assert!(path.ends_with("nowhere"), "{path}");
                assert!(message.contains("does not exist"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        env.table("create_users", "users");
        assert!(matches!(migration_error(env.migrator().status()), MigrationError::Source { .. }));
        std::fs::remove_dir_all(env.path("create_users"))?;
        env.table("2026-01-01-000001_a", "a");
        env.table("2026-01-01-000001_b", "b");
        assert!(matches!(migration_error(env.migrator().run()), MigrationError::DuplicateVersion { .. }));
        std::fs::remove_dir_all(env.path("2026-01-01-000001_b"))?;
        std::fs::create_dir(env.path("2026-01-01-000002_no_up"))?;
        match migration_error(env.migrator().run()) {
            MigrationError::Source { message, .. } => assert!(message.contains("no up.sql"), "{message}"),
            other => panic!("{other:?}"),
        }
        assert!(!env.has_table("a"));
        Ok(())
    }

    fn a_non_utf8_migration_directory_is_an_error_naming_it(env) {
        use std::os::unix::ffi::OsStrExt;
        env.table(M1, "one");
        let bad = env.dir.path().join(std::ffi::OsStr::from_bytes(b"2026-01-01-000002_caf\xe9"));
        std::fs::create_dir(&bad)?;
        std::fs::write(bad.join("up.sql"), table_sql("two"))?;
        refused(&env, "2026-01-01-000002_caf\u{FFFD}", &["not valid UTF-8", "rename it"]);
        Ok(())
    }

    fn a_broken_migration_symlink_is_an_error_naming_it(env) {
        env.table(M1, "one");
        std::os::unix::fs::symlink(env.path("gone"), env.path(M2))?;
        refused(&env, M2, &["symlink that cannot be followed", "No such file", "remove it"]);
        Ok(())
    }

    fn a_looping_migration_symlink_is_an_error_naming_it(env) {
        env.table(M1, "one");
        std::os::unix::fs::symlink(env.path(M3), env.path(M2))?;
        std::os::unix::fs::symlink(env.path(M2), env.path(M3))?;
        match migration_error(env.migrator().status()) {
            MigrationError::Source { path, message } => {
                assert!(path.ends_with(M2) || path.ends_with(M3), "{path}");
                assert!(message.contains("cannot be followed") && message.contains("symbolic links"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(migration_error(env.migrator().run()), MigrationError::Source { .. }));
        assert!(!env.has_table("one"), "nothing is applied");
        Ok(())
    }

    fn a_symlink_to_a_migration_directory_is_applied(env) {
        env.table(M1, "one");
        let elsewhere = tempfile::tempdir()?;
        let real = elsewhere.path().join("shared_two");
        std::fs::create_dir(&real)?;
        std::fs::write(real.join("up.sql"), table_sql("two"))?;
        std::fs::write(real.join("down.sql"), "DROP TABLE two;\n")?;
        std::os::unix::fs::symlink(&real, env.path(M2))?;
        // Hidden entries and regular files are skipped, as the rule says.
        std::fs::write(env.path("README.md"), "notes")?;
        std::fs::write(env.path(".keep"), "")?;
        std::fs::create_dir(env.path(".scratch"))?;
        let pending = env.states();
        assert_eq!(pending, [(M1.to_owned(), State::Pending, None), (M2.to_owned(), State::Pending, None)]);
        assert_eq!(names(&env.migrator().run()?.applied), [M1, M2]);
        assert!(env.has_table("one") && env.has_table("two"));
        assert!(env.states().iter().all(|(_, state, _)| *state == State::Applied));
        Ok(())
    }

    fn a_broken_backend_directory_symlink_is_an_error(env) {
        // A broken `<backend>` symlink is not a reason to read the parent instead.
        env.table(M1, "one");
        let backend = env.db.backend().name();
        std::os::unix::fs::symlink(env.path("gone"), env.path(backend))?;
        match migration_error(env.migrator().run()) {
            MigrationError::Source { path, message } => {
                assert!(path.ends_with(backend), "{path}");
                assert!(message.contains("No such file"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert!(!env.has_table("one"));
        // Nor to run the other backend's directory, named as the source, instead
        // of its broken sibling.
        let other = match env.db.backend() {
            glowplug::Backend::Sqlite => "postgres",
            _ => "sqlite",
        };
        std::fs::create_dir(env.path(other))?;
        std::fs::rename(env.path(M1), env.path(other).join(M1))?;
        match migration_error(env.db.migrator(Dir::new(env.path(other))).run()) {
            MigrationError::Source { path, .. } => assert!(path.ends_with(backend), "{path}"),
            other => panic!("{other:?}"),
        }
        assert!(!env.has_table("one"));
        Ok(())
    }

    fn a_dangling_down_sql_symlink_is_an_error_not_a_missing_down(env) {
        // A dangling down.sql is not "no down.sql" (an irreversible migration).
        env.table(M1, "one");
        std::fs::remove_file(env.path(M1).join("down.sql"))?;
        std::os::unix::fs::symlink(env.path("gone.sql"), env.path(M1).join("down.sql"))?;
        match migration_error(env.migrator().status()) {
            MigrationError::Source { path, message } => {
                assert!(path.ends_with("down.sql"), "{path}");
                assert!(message.contains("symlink whose target does not exist"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(migration_error(env.migrator().run()), MigrationError::Source { .. }));
        assert!(!env.has_table("one"));
        Ok(())
    }
}

/// `status` and `run` both refuse the directory with an error naming
/// `entry` and saying each of `reasons`, and nothing is applied.
fn refused(env: &Env, entry: &str, reasons: &[&str]) {
    for (what, result) in [
        ("status", env.migrator().status().map(|_| ())),
        ("run", env.migrator().run().map(|_| ())),
    ] {
        match migration_error(result) {
            MigrationError::Source { path, message } => {
                assert!(path.ends_with(entry), "{what}: {path}");
                for reason in reasons {
                    assert!(message.contains(reason), "{what}: {message}");
                }
            }
            other => panic!("{what}: {other:?}"),
        }
    }
    assert!(!env.has_table("one"), "nothing is applied");
}

/// `make` writes one directory per backend with the same version, and refuses bad input.
#[test]
fn make_creates_timestamped_directories() -> TestResult {
    use glowplug::migrate::make;
    let root = tempfile::tempdir()?;
    let (sqlite, postgres) = (root.path().join("sqlite"), root.path().join("postgres"));
    std::fs::create_dir_all(&sqlite)?;
    std::fs::create_dir_all(&postgres)?;
    let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 21)
        .unwrap()
        .and_hms_opt(10, 20, 30)
        .unwrap();
    // Pointing at one backend's directory finds the sibling too.
    let made = make(&sqlite, "create_users", now)?;
    assert_eq!(
        made,
        [
            sqlite.join("2026-11-21-102030_create_users"),
            postgres.join("2026-11-21-102030_create_users")
        ]
    );
    for dir in &made {
        assert!(dir.join("up.sql").is_file() && dir.join("down.sql").is_file());
    }
    // The same second again: the next free second.
    let next = make(root.path(), "add_email", now)?;
    assert!(next[0].ends_with("2026-11-21-102031_add_email"), "{next:?}");
    // What make writes, the migrator reads.
    let all = Dir::new(&sqlite).migrations(glowplug::Backend::Sqlite)?;
    assert_eq!(all.len(), 2);
    assert_eq!(
        all.iter()
            .filter(|m| m.version() == "20261121102030")
            .count(),
        1
    );
    for (name, expect) in [
        ("create_users", "already exists"),
        ("Create Users", "try `create_users`"),
        ("../x", "lower-case letter"),
        ("", "empty"),
    ] {
        let err = make(root.path(), name, now).unwrap_err().to_string();
        assert!(err.contains(expect), "{name:?}: {err}");
    }
    let err = make(&root.path().join("missing"), "x", now)
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not exist"), "{err}");
    assert_eq!(std::fs::read_dir(&sqlite)?.count(), 2, "nothing half-made");
    Ok(())
}

/// Embedded migrations read through a recording connection match the files.
#[test]
fn embedded_migrations_expose_their_sql() -> TestResult {
    for backend in [glowplug::Backend::Sqlite, glowplug::Backend::Postgres] {
        let mut embedded = common::MIGRATIONS.migrations(backend)?;
        let mut dir = Dir::new(Path::new("migrations").join(backend.name())).migrations(backend)?;
        embedded.sort_by(|a, b| a.name().cmp(b.name()));
        dir.sort_by(|a, b| a.name().cmp(b.name()));
        assert_eq!(embedded.len(), dir.len());
        for (e, d) in embedded.iter().zip(&dir) {
            assert_eq!(e.name(), d.name());
            assert_eq!(e.up().sql(), d.up().sql());
            assert_eq!(
                e.down().and_then(|s| s.sql()),
                d.down().and_then(|s| s.sql())
            );
            assert_eq!(e.checksum(), d.checksum());
        }
    }
    Ok(())
}
