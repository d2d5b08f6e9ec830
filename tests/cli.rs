//! The `glowplug` binary, run as a user runs it, on SQLite and PostgreSQL:
//! the make → edit → run → status → rollback workflow, every migrate command,
//! exit codes, `.env` and `diesel.toml`, and no password in any output.

#[path = "common/blog.rs"]
mod blog;
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::TestResult;

/// The password put into PostgreSQL URLs (the test server trusts any).
const PASSWORD: &str = "Sup3rSecretPw";

/// A project directory with `diesel.toml`, `.env` and a `migrations` directory.
struct Project {
    dir: tempfile::TempDir,
    _db: common::TestDb,
}

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Project {
    fn new(db: common::TestDb) -> Project {
        let dir = tempfile::tempdir().unwrap();
        let url = db
            .url
            .replacen("postgres@", &format!("postgres:{PASSWORD}@"), 1);
        std::fs::write(dir.path().join(".env"), format!("DATABASE_URL={url}\n")).unwrap();
        std::fs::write(
            dir.path().join("diesel.toml"),
            "[migrations_directory]\ndir = \"db/migrations\"\n",
        )
        .unwrap();
        std::fs::create_dir_all(dir.path().join("db/migrations")).unwrap();
        Project { dir, _db: db }
    }

    /// Runs `glowplug args…` in the project, with no DATABASE_URL in the environment.
    fn run(&self, args: &[&str]) -> Output {
        run_in(self.dir.path(), args)
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(
            out.code, 0,
            "glowplug {args:?}\n{}\n{}",
            out.stdout, out.stderr
        );
        out.stdout
    }

    /// `migrate make NAME` and fills in its SQL; returns the directory.
    fn make(&self, name: &str, up: &str, down: &str) -> PathBuf {
        let out = self.ok(&["migrate", "make", name]);
        let created = out
            .lines()
            .next()
            .unwrap()
            .strip_prefix("Created ")
            .unwrap();
        // Shown relative to the working directory.
        assert!(created.starts_with("db/migrations/"), "{out}");
        let path = self.dir.path().join(created);
        std::fs::write(path.join("up.sql"), up).unwrap();
        std::fs::write(path.join("down.sql"), down).unwrap();
        path
    }
}

/// The state column of migration `name` in a status table.
fn state_of<'s>(table: &'s str, name: &str) -> &'s str {
    table
        .lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or_else(|| panic!("{name} not in\n{table}"))
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_glowplug"))
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("MIGRATION_DATABASE_URL")
        .env_remove("MIGRATION_DIRECTORY")
        .output()
        .expect("run glowplug");
    let out = Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(
        !out.stdout.contains(PASSWORD) && !out.stderr.contains(PASSWORD),
        "the password leaked: {}{}",
        out.stdout,
        out.stderr
    );
    out
}

macro_rules! cli_tests {
    ($( fn $name:ident($p:ident) $body:block )*) => {
        mod sqlite {
            use super::*;
            $( #[test] fn $name() -> TestResult {
                let $p = Project::new(common::blank_sqlite(stringify!($name)));
                $body
            } )*
        }
        mod postgres {
            use super::*;
            $( #[test] fn $name() -> TestResult {
                let Some(db) = common::blank_postgres(stringify!($name)) else { return Ok(()) };
                let $p = Project::new(db);
                $body
            } )*
        }
    };
}

cli_tests! {
    fn the_migration_workflow(p) {
        // make → edit → status → pretend → run → status → rollback.
        let notes = p.make("create_notes", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n", "DROP TABLE notes;\n");
        let name = notes.file_name().unwrap().to_str().unwrap().to_owned();
        let status = p.run(&["migrate", "status", "--check"]);
        assert_eq!(status.code, 3, "{}", status.stdout);
        assert_eq!(state_of(&status.stdout, &name), "pending");
        assert!(!status.stdout.contains("\x1b["), "no colour when not a terminal");
        let sql = p.ok(&["migrate", "pretend", "run"]);
        assert!(sql.contains("BEGIN;\nCREATE TABLE notes"), "{sql}");
        assert_eq!(p.run(&["migrate", "status", "--check"]).code, 3, "pretend changed nothing");
        let run = p.ok(&["migrate", "run"]);
        assert!(run.contains(&format!("Applied {name} (batch 1")), "{run}");
        let status = p.ok(&["migrate", "status", "--check"]);
        assert_eq!(state_of(&status, &name), "applied");
        assert!(status.contains(&format!("{name}  applied  1 ")), "{status}");
        assert!(status.contains("1 migrations: 1 applied, 0 pending"), "{status}");
        assert!(p.ok(&["migrate", "run"]).contains("Nothing to do"));

        let tags = p.make("create_tags", "CREATE TABLE tags (id INTEGER PRIMARY KEY);\n", "DROP TABLE tags;\n");
        let tags = tags.file_name().unwrap().to_str().unwrap().to_owned();
        assert!(p.ok(&["migrate", "run", "--step"]).contains(&format!("Applied {tags} (batch 2")));
        let back = p.ok(&["migrate", "rollback"]);
        assert!(back.contains(&format!("Rolled back {tags}")) && !back.contains(&name), "{back}");
        assert!(p.ok(&["migrate", "pretend", "rollback", "--step", "1"]).contains("DROP TABLE notes"));
        p.ok(&["migrate", "run"]);
        let redo = p.ok(&["migrate", "redo"]);
        assert!(redo.contains(&format!("Rolled back {tags}")) && redo.contains(&format!("Applied {tags}")), "{redo}");
        let refresh = p.ok(&["migrate", "refresh"]);
        assert_eq!(refresh.matches("Rolled back").count(), 2, "{refresh}");
        assert_eq!(refresh.matches("Applied").count(), 2, "{refresh}");
        assert!(p.ok(&["migrate", "rollback", "--batch", "1"]).contains("Rolled back"));
        p.ok(&["migrate", "run", "--to", &name]);
        assert_eq!(state_of(&p.ok(&["migrate", "status"]), &tags), "pending");
        p.ok(&["migrate", "run"]);
        assert_eq!(p.ok(&["migrate", "reset"]).matches("Rolled back").count(), 2);
        assert!(p.ok(&["migrate", "repair"]).contains("Nothing to repair"));
        Ok(())
    }

    fn modified_and_failing_migrations(p) {
        let one = p.make("create_one", "CREATE TABLE one (id INTEGER PRIMARY KEY);\n", "DROP TABLE one;\n");
        p.ok(&["migrate", "run"]);
        std::fs::write(one.join("up.sql"), "CREATE TABLE one (id BIGINT PRIMARY KEY);\n")?;
        let status = p.run(&["migrate", "status", "--check"]);
        assert_eq!(status.code, 3);
        assert!(status.stdout.contains("modified"), "{}", status.stdout);
        p.make("create_two", "CREATE TABLE two (id INTEGER PRIMARY KEY);\n", "DROP TABLE two;\n");
        let refused = p.run(&["migrate", "run"]);
        assert_eq!(refused.code, 1);
        assert!(refused.stderr.contains("create_one") && refused.stderr.contains("--allow-modified"), "{}", refused.stderr);
        assert!(p.ok(&["migrate", "run", "--allow-modified"]).contains("create_two"));
        // A failing migration: exit 1, named, and the earlier ones of the batch stay.
        p.make("create_three", "CREATE TABLE three (id INTEGER PRIMARY KEY);\n", "DROP TABLE three;\n");
        p.make("broken", "INSERT INTO no_such_table VALUES (1);\n", "\n");
        let failed = p.run(&["migrate", "run", "--allow-modified"]);
        assert_eq!(failed.code, 1);
        assert!(failed.stdout.contains("Applied") && failed.stdout.contains("create_three"), "{}", failed.stdout);
        assert!(failed.stderr.contains("broken") && failed.stderr.contains("rolled back"), "{}", failed.stderr);
        let status = p.ok(&["migrate", "status"]);
        assert!(status.contains("2 applied, 1 pending, 1 modified"), "{status}");
        Ok(())
    }

    fn an_application_binary_runs_the_commands_on_its_embedded_migrations(p) {
        let url = p._db.url.clone();
        let cli = |args: &[&str]| {
            let (mut out, mut err) = (Vec::new(), Vec::new());
            let tail = ["--database-url", url.as_str()];
            let argv = ["app", "migrate"].iter().chain(args).chain(&tail).copied();
            let code = glowplug::cli::run(argv, Some(&common::MIGRATIONS), &mut out, &mut err, false);
            (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
        };
        let (code, out, _) = cli(&["status", "--check"]);
        assert_eq!(code, glowplug::cli::EXIT_NOT_CLEAN);
        assert_eq!(state_of(&out, "2026-11-20-000001_create_users_and_posts"), "pending");
        let (code, out, err) = cli(&["run"]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(out.matches("Applied").count(), 3, "{out}");
        assert_eq!(cli(&["status", "--check"]).0, 0);
        let (code, out, _) = cli(&["rollback", "--step", "1"]);
        assert_eq!(code, 0);
        assert!(out.contains("Rolled back 2026-11-21-000001_create_relation_tables"), "{out}");
        Ok(())
    }

    fn an_application_binary_makes_migrations_and_checks_the_schema(p) {
        let url = p._db.url.clone();
        let dir = p.dir.path().join("db/migrations");
        let dir = dir.to_str().unwrap().to_owned();
        // In process, as an application's management binary runs it; `--dir`
        // always, since the working directory is this crate's.
        let cli = |models: &[glowplug::ModelMeta], args: &[&str]| {
            let (mut out, mut err) = (Vec::new(), Vec::new());
            let tail = ["--database-url", url.as_str(), "--dir", dir.as_str()];
            let argv = ["app"].iter().chain(args).chain(&tail).copied();
            let code = glowplug::cli::run_with(argv, models, None, &mut out, &mut err, false);
            (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
        };
        let (v1, v2) = (blog::v1::MODELS, blog::v2::MODELS);
        let (code, out, _) = cli(v1, &["schema", "check"]);
        assert_eq!(code, glowplug::cli::EXIT_NOT_CLEAN, "{out}");
        assert!(out.contains("  - table `writers` is missing from the database"), "{out}");
        let (code, out, err) = cli(v1, &["makemigrations", "initial"]);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("Created ") && out.contains("_initial"), "{out}");
        assert_eq!(cli(v1, &["migrate", "run"]).0, 0);
        let (code, out, _) = cli(v1, &["schema", "check"]);
        assert_eq!(code, 0, "{out}");
        assert!(out.starts_with("No drift") && out.contains("the 2 models"), "{out}");
        // The models change.
        let (code, out, err) = cli(v2, &["makemigrations", "blog_v2"]);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("Changes:\n") && out.contains("articles.headline: the model renames it from `title`"), "{out}");
        assert!(out.contains("Check before applying:\n  - drops column articles.notes"), "{out}");
        assert_eq!(cli(v2, &["schema", "check"]).0, glowplug::cli::EXIT_NOT_CLEAN, "not applied yet");
        // makemigrations compares with a migrated database only.
        let (code, _, err) = cli(v2, &["makemigrations", "too_early"]);
        assert!(code == 1 && err.contains("not migrated to date"), "{err}");
        assert_eq!(cli(v2, &["migrate", "run"]).0, 0);
        assert_eq!(cli(v2, &["schema", "check"]).0, 0);
        let (code, out, _) = cli(v2, &["makemigrations", "again"]);
        assert!(code == 0 && out.starts_with("No changes"), "{out}");
        // down.sql takes it back.
        assert_eq!(cli(v2, &["migrate", "rollback"]).0, 0);
        assert_eq!(cli(v1, &["schema", "check"]).0, 0);
        // The DDL, per backend.
        let (code, out, _) = cli(v2, &["schema", "sql", "--backend", "postgres"]);
        assert_eq!(code, 0);
        assert!(out.contains("CREATE TABLE writers (\n    id BIGSERIAL PRIMARY KEY,\n    name VARCHAR(80) NOT NULL UNIQUE,"), "{out}");
        assert!(out.find("CREATE TABLE topics").unwrap() < out.find("CREATE TABLE articles").unwrap(), "{out}");
        let (_, out, _) = cli(v2, &["schema", "sql", "--backend", "sqlite"]);
        assert!(out.contains("id INTEGER PRIMARY KEY AUTOINCREMENT"), "{out}");
        // The plain `glowplug` binary has no models and says how to get them.
        let none = p.run(&["schema", "check"]);
        assert!(none.code == 1 && none.stderr.contains("main_with_models"), "{}", none.stderr);
        Ok(())
    }

    fn generate_model_prints_the_model_and_writes_its_migration(p) {
        let out = p.ok(&["generate", "model", "Author", "name:varchar(100):unique"]);
        assert!(out.contains("pub Author {\n        id: pk,\n        name: varchar(100) unique,\n    }"), "{out}");
        let out = p.ok(&["generate", "model", "BlogPost", "title:varchar(200)", "body:text:null",
            "author_id:fk(Author):index", "published:bool:default(false)", "timestamps"]);
        assert!(out.starts_with("glowplug::model! {\n    pub BlogPost {\n        id: pk,\n"), "{out}");
        for line in ["title: varchar(200),", "body: text null,", "author_id: bigint index fk(Author),",
            "published: bool default(false),", "timestamps,"] {
            assert!(out.contains(line), "{line}: {out}");
        }
        let created = out.lines().find_map(|l| l.strip_prefix("Created ")).unwrap();
        assert!(created.ends_with("_create_blog_posts"), "{out}");
        let up = std::fs::read_to_string(p.dir.path().join(created).join("up.sql"))?;
        assert!(up.contains("author_id BIGINT NOT NULL REFERENCES authors (id)"), "{up}");
        assert!(up.contains("CREATE INDEX blog_posts_author_id_idx ON blog_posts (author_id);"), "{up}");
        let run = p.ok(&["migrate", "run"]);
        assert!(run.contains("_create_authors") && run.contains("_create_blog_posts"), "{run}");
        assert!(p.ok(&["migrate", "rollback"]).contains("Rolled back"));
        // --no-migration only prints.
        let out = p.ok(&["generate", "model", "Tag", "name:text", "--no-migration"]);
        assert!(!out.contains("Created"), "{out}");
        // Bad specs name the field and the fix; nothing is written.
        for (args, want) in [
            (&["generate", "model", "post", "title:text"][..], "upper-case letter"),
            (&["generate", "model", "Post", "title"], "field `title`: it has no type"),
            (&["generate", "model", "Post", "title:strng"], "unknown type `strng`"),
            (&["generate", "model", "Post", "n:int:default(\"x\")"], "not a literal of type int"),
        ] {
            let bad = p.run(args);
            assert_eq!(bad.code, 1, "{args:?}");
            assert!(bad.stderr.contains(want), "{args:?}: {}", bad.stderr);
        }
        let usage = p.run(&["generate", "model", "Post"]);
        assert_eq!(usage.code, 2, "fields are required: {}", usage.stderr);
        let made = std::fs::read_dir(p.dir.path().join("db/migrations"))?.count();
        assert_eq!(made, 2, "only the two good models wrote migrations");
        Ok(())
    }

    fn bad_input_gets_clear_errors(p) {
        let bad = p.run(&["migrate", "make", "Create Users"]);
        assert_eq!(bad.code, 1);
        assert!(bad.stderr.contains("try `create_users`"), "{}", bad.stderr);
        p.make("create_users", "SELECT 1;", "SELECT 1;");
        let dup = p.run(&["migrate", "make", "create_users"]);
        assert!(dup.code == 1 && dup.stderr.contains("already exists"), "{}", dup.stderr);
        let missing = p.run(&["migrate", "status", "--dir", "nowhere"]);
        assert_eq!(missing.code, 1);
        assert!(missing.stderr.contains("nowhere") && missing.stderr.contains("does not exist"), "{}", missing.stderr);
        let usage = p.run(&["migrate", "rollback", "--step", "1", "--batch", "2"]);
        assert_eq!(usage.code, 2, "{}", usage.stderr);
        let usage = p.run(&["migrate", "frobnicate"]);
        assert_eq!(usage.code, 2, "{}", usage.stderr);
        let drop = p.run(&["database", "drop"]);
        assert!(drop.code == 1 && drop.stderr.contains("--yes"), "{}", drop.stderr);
        Ok(())
    }

    fn timeout_flags_reach_the_migrations_connection(p) {
        let postgres = p._db.backend() == glowplug::Backend::Postgres;
        let up = if postgres {
            "SELECT pg_sleep(1); CREATE TABLE slow (x INTEGER);"
        } else {
            "CREATE TABLE slow (x INTEGER);"
        };
        let slow = p.make("create_slow", up, "DROP TABLE slow;");
        let name = slow.file_name().unwrap().to_str().unwrap().to_owned();
        // Bad values are refused before anything runs.
        for (arg, says) in [
            ("--statement-timeout=-1", "--statement-timeout must be a number of seconds"),
            ("--lock-timeout=0", "lock_timeout must be longer than zero"),
        ] {
            let bad = p.run(&[arg, "migrate", "run"]);
            assert_eq!(bad.code, 1, "{}", bad.stderr);
            assert!(bad.stderr.contains(says), "{}", bad.stderr);
        }
        let limited = p.run(&["--statement-timeout", "0.2", "--lock-timeout", "0.1", "migrate", "run", "--migration-lock-timeout", "5"]);
        if postgres {
            // The server cancels the migration; nothing of it is applied.
            assert_eq!(limited.code, 1, "{}", limited.stdout);
            assert!(limited.stderr.contains("statement timeout"), "{}", limited.stderr);
            assert_eq!(state_of(&p.ok(&["migrate", "status"]), &name), "pending");
            p.ok(&["migrate", "run"]);
        } else {
            // SQLite takes the flags and has no such timeouts.
            assert_eq!(limited.code, 0, "{}", limited.stderr);
        }
        assert_eq!(state_of(&p.ok(&["migrate", "status"]), &name), "applied");
        Ok(())
    }

    fn unreadable_migration_entries_fail_status_check_and_run(p) {
        use std::os::unix::ffi::OsStrExt;
        let good = p.make("create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY);", "DROP TABLE users;");
        let migrations = good.parent().unwrap().to_path_buf();
        let refused = |name: &str, reason: &str| {
            for args in [&["migrate", "status", "--check"][..], &["migrate", "run"]] {
                let out = p.run(args);
                assert_eq!(out.code, 1, "{args:?}: {}{}", out.stdout, out.stderr);
                assert!(out.stderr.contains(name) && out.stderr.contains(reason), "{args:?}: {}", out.stderr);
            }
        };
        let broken = migrations.join("2099-01-01-000000_broken");
        std::os::unix::fs::symlink(migrations.join("gone"), &broken)?;
        refused("2099-01-01-000000_broken", "cannot be followed");
        std::fs::remove_file(&broken)?;
        let non_utf8 = migrations.join(std::ffi::OsStr::from_bytes(b"2099-01-01-000001_caf\xe9"));
        std::fs::create_dir(&non_utf8)?;
        std::fs::write(non_utf8.join("up.sql"), "SELECT 1;")?;
        refused("2099-01-01-000001_caf\u{FFFD}", "not valid UTF-8");
        std::fs::remove_dir_all(&non_utf8)?;
        let status = p.run(&["migrate", "status", "--check"]);
        assert_eq!(status.code, 3, "nothing was applied: {}", status.stdout);
        Ok(())
    }
}

#[test]
fn help_is_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["--help"][..],
        &["migrate", "--help"],
        &["migrate", "run", "--help"],
        &["migrate", "rollback", "--help"],
        &["migrate", "status", "--help"],
        &["migrate", "make", "--help"],
        &["migrate", "pretend", "--help"],
        &["migrate", "repair", "--help"],
        &["database", "setup", "--help"],
        &["database", "drop", "--help"],
        &["generate", "model", "--help"],
        &["makemigrations", "--help"],
        &["schema", "sql", "--help"],
        &["schema", "check", "--help"],
    ] {
        let out = run_in(dir.path(), args);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        assert!(
            out.stdout.contains("Usage: glowplug"),
            "{args:?}: {}",
            out.stdout
        );
    }
}

#[test]
fn no_database_url_and_unreachable_servers_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("migrations")).unwrap();
    let unset = run_in(dir.path(), &["migrate", "status"]);
    assert_eq!(unset.code, 1);
    assert!(
        unset.stderr.contains("DATABASE_URL is not set"),
        "{}",
        unset.stderr
    );
    // Nothing listens on port 1: refused at once.
    let url = format!("postgres://app:{PASSWORD}@127.0.0.1:1/app");
    let refused = run_in(dir.path(), &["migrate", "status", "--database-url", &url]);
    assert_eq!(refused.code, 1);
    assert!(
        refused
            .stderr
            .contains("could not connect to postgres://app:***@127.0.0.1:1/app"),
        "{}",
        refused.stderr
    );
    // A host that never answers: the error comes within the connect timeout.
    let started = Instant::now();
    let silent = common::silent_server();
    let port = silent.local_addr().unwrap().port();
    let url = format!("postgres://app:{PASSWORD}@127.0.0.1:{port}/app");
    let silent = run_in(
        dir.path(),
        &[
            "migrate",
            "status",
            "--connect-timeout",
            "2",
            "--database-url",
            &url,
        ],
    );
    assert_eq!(silent.code, 1);
    assert!(
        silent.stderr.contains("could not connect"),
        "{}",
        silent.stderr
    );
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn database_setup_and_drop_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("app.db").display());
    let setup = run_in(dir.path(), &["database", "setup", "--database-url", &url]);
    assert_eq!(setup.code, 0, "{}", setup.stderr);
    assert!(dir.path().join("app.db").is_file());
    assert!(
        dir.path().join("migrations").is_dir(),
        "setup creates the migrations directory"
    );
    std::fs::create_dir(dir.path().join("migrations/2026-01-01-000000_t")).unwrap();
    std::fs::write(
        dir.path().join("migrations/2026-01-01-000000_t/up.sql"),
        "CREATE TABLE t (id INTEGER);",
    )
    .unwrap();
    let again = run_in(dir.path(), &["database", "setup", "--database-url", &url]);
    assert!(
        again.stdout.contains("Applied 2026-01-01-000000_t"),
        "{}",
        again.stdout
    );
    let dropped = run_in(
        dir.path(),
        &["database", "drop", "--yes", "--database-url", &url],
    );
    assert_eq!(dropped.code, 0, "{}", dropped.stderr);
    assert!(!dir.path().join("app.db").exists());
    assert!(
        run_in(
            dir.path(),
            &["database", "drop", "--yes", "--database-url", &url]
        )
        .stdout
        .contains("did not exist")
    );
}

#[test]
fn database_setup_and_drop_on_postgres() {
    // Uses a database of its own, so that dropping it disturbs no other test.
    let Some(probe) = common::blank_postgres("cli_database") else {
        return;
    };
    let base = probe.url.split('?').next().unwrap().to_owned();
    let name = format!("glowplug_cli_{}", std::process::id());
    let server =
        base.rsplit_once('/')
            .unwrap()
            .0
            .replacen("postgres@", &format!("postgres:{PASSWORD}@"), 1);
    let url = format!("{server}/{name}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("migrations/2026-01-01-000000_t")).unwrap();
    std::fs::write(
        dir.path().join("migrations/2026-01-01-000000_t/up.sql"),
        "CREATE TABLE t (id INTEGER);",
    )
    .unwrap();
    let setup = run_in(dir.path(), &["database", "setup", "--database-url", &url]);
    assert_eq!(setup.code, 0, "{}", setup.stderr);
    assert!(
        setup.stdout.contains(&format!(
            "Created database {}",
            url.replace(PASSWORD, "***")
        )),
        "{}",
        setup.stdout
    );
    assert!(
        setup.stdout.contains("Applied 2026-01-01-000000_t"),
        "{}",
        setup.stdout
    );
    let status = run_in(
        dir.path(),
        &["migrate", "status", "--check", "--database-url", &url],
    );
    assert_eq!(status.code, 0, "{}", status.stdout);
    let dropped = run_in(
        dir.path(),
        &["database", "drop", "--yes", "--database-url", &url],
    );
    assert_eq!(dropped.code, 0, "{}", dropped.stderr);
    let gone = run_in(dir.path(), &["migrate", "status", "--database-url", &url]);
    assert!(
        gone.code == 1 && gone.stderr.contains("does not exist"),
        "{}",
        gone.stderr
    );
}
