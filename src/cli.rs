//! The `glowplug` command-line tool, callable from an application's own binary.
//!
//! ```text
//! glowplug migrate run [--to VERSION] [--step] [--allow-modified] [--pretend]
//! glowplug migrate rollback [--step N | --batch N | --to VERSION] [--pretend]
//! glowplug migrate reset | refresh | redo [--step N] | repair
//! glowplug migrate status [--check]
//! glowplug migrate make NAME
//! glowplug migrate pretend run [--to VERSION] | rollback [--step N | --batch N | --to VERSION]
//! glowplug database setup | drop --yes
//! glowplug generate model NAME FIELD... [--no-migration]
//! glowplug makemigrations NAME          (an application binary with its models)
//! glowplug schema sql [--backend B]     (an application binary with its models)
//! glowplug schema check                 (an application binary with its models)
//! ```
//!
//! An application links its models and migrations into a management binary
//! of its own with one call, [`main_with_models`], and gets the schema
//! commands besides the others:
//!
//! ```no_run
//! glowplug::model! {
//!     pub User { id: pk, name: varchar(50) unique }
//! }
//! const MIGRATIONS: glowplug::PerBackend<glowplug::EmbeddedMigrations, glowplug::EmbeddedMigrations> =
//!     glowplug::embed_migrations!(sqlite = "migrations/sqlite", postgres = "migrations/postgres");
//!
//! fn main() -> std::process::ExitCode {
//!     glowplug::cli::main_with_models(&[User::META], MIGRATIONS)
//! }
//! ```
//!
//! * `makemigrations NAME` compares the models with the database (which must
//!   be migrated to date) and writes a migration with the `up.sql` and
//!   `down.sql` that resolve every difference, one per backend directory
//!   (see [`schema::make_migration`](crate::schema::make_migration)); the
//!   application is then rebuilt to embed it.
//! * `schema sql` prints the models' DDL; `schema check` lists every
//!   difference between the models and the database and exits with code 3
//!   when there is one.
//! * `generate model Post title:varchar(200) author_id:fk(User)` prints the
//!   `model!` block and writes a migration creating its table (field specs:
//!   [`scaffold`](crate::scaffold)).
//!
//! * **Database**: `--database-url`, else `DATABASE_URL` from the environment
//!   or a `.env` file in the working directory. Passwords are never printed:
//!   URLs are shown redacted and driver messages scrubbed.
//! * **Migrations directory**: `--dir`, else `MIGRATION_DIRECTORY`, else
//!   `[migrations_directory] dir` of the nearest `diesel.toml` (relative to
//!   that file), else `./migrations`; a directory per backend is picked as
//!   [`Dir`] describes. An application that embeds its migrations passes
//!   them to [`main_with`] instead, and the migrate commands use those
//!   (`make` still writes to the directory).
//! * **Timeouts**: a PostgreSQL URL without `connect_timeout` gets
//!   `--connect-timeout` seconds (10 by default), so an unreachable server is
//!   reported within it. `--statement-timeout SECS` and `--lock-timeout SECS`
//!   set PostgreSQL's `statement_timeout` and `lock_timeout` for the
//!   command's connection (see [`DatabaseBuilder::statement_timeout`](crate::DatabaseBuilder::statement_timeout)),
//!   so a migration whose `ALTER TABLE` waits behind a long transaction fails
//!   instead of blocking every query queued behind it.
//!   `--migration-lock-timeout SECS` (60 by default) is how long a migrate
//!   command waits for another migrator to finish.
//! * **Exit codes**: 0 success; 1 the command failed (the message says why);
//!   2 bad usage; 3 `migrate status --check` found migrations pending,
//!   modified, missing or dirty, or `schema check` found drift.
//! * Status is an aligned table, coloured when stdout is a terminal and
//!   `NO_COLOR` is unset.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::connection::Backend;
use crate::meta::ModelMeta;
use crate::migrate::{
    Dir, Direction, Done, MigrationSource, Migrator, Plan, Report, Rollback, make,
};
use crate::{Database, Error, Result};

/// The exit code of `migrate status --check` when something is not applied
/// and unchanged, and of `schema check` when the database differs from the models.
pub const EXIT_NOT_CLEAN: u8 = 3;

#[derive(Parser, Debug)]
#[command(
    name = "glowplug",
    version,
    about = "Migrations and databases for glowplug (diesel) projects",
    propagate_version = true
)]
struct Cli {
    /// The database URL (default: DATABASE_URL from the environment or .env).
    #[arg(long, global = true, value_name = "URL")]
    database_url: Option<String>,

    /// The migrations directory (default: MIGRATION_DIRECTORY, diesel.toml, ./migrations).
    #[arg(long, global = true, value_name = "DIR")]
    dir: Option<PathBuf>,

    /// Seconds to wait for a PostgreSQL server to answer.
    #[arg(long, global = true, value_name = "SECS", default_value_t = 10)]
    connect_timeout: u64,

    /// PostgreSQL: cancel a statement (a migration's) that runs longer than SECS.
    #[arg(long, global = true, value_name = "SECS")]
    statement_timeout: Option<f64>,

    /// PostgreSQL: cancel a statement that waits longer than SECS for a lock
    /// (an ALTER TABLE behind a long transaction), instead of blocking every
    /// query queued behind it.
    #[arg(long, global = true, value_name = "SECS")]
    lock_timeout: Option<f64>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run, roll back and inspect migrations.
    #[command(subcommand)]
    Migrate(MigrateCommand),
    /// Create or drop the database.
    #[command(subcommand)]
    Database(DatabaseCommand),
    /// Generate code: a model and the migration creating its table.
    #[command(subcommand)]
    Generate(GenerateCommand),
    /// Write a migration from the difference between the models and the database.
    Makemigrations {
        /// The name: lower-case letters, digits and `_` (e.g. add_user_bio).
        name: String,
    },
    /// The models' schema: print its DDL, or check the database against it.
    #[command(subcommand)]
    Schema(SchemaCommand),
}

#[derive(Subcommand, Debug)]
enum GenerateCommand {
    /// Print a `model!` block and write a migration creating its table.
    Model {
        /// The model name (e.g. BlogPost).
        name: String,
        /// Fields: `name:type[:modifier...]`, e.g. `title:varchar(200)`,
        /// `bio:text:null`, `author_id:fk(User):index`; `timestamps` adds
        /// created_at and updated_at.
        #[arg(required = true, value_name = "FIELD")]
        fields: Vec<String>,
        /// Only print the model; write no migration.
        #[arg(long)]
        no_migration: bool,
    },
}

#[derive(Subcommand, Debug)]
enum SchemaCommand {
    /// Print the CREATE TABLE and CREATE INDEX statements of the models.
    Sql {
        /// The backend (default: the one DATABASE_URL names, else sqlite).
        #[arg(long, value_enum)]
        backend: Option<BackendArg>,
    },
    /// List every difference between the models and the database; exit 3 if any.
    Check,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum BackendArg {
    Sqlite,
    Postgres,
}

#[derive(Args, Debug, Default)]
struct LockArgs {
    /// Seconds to wait for another migrator's lock.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    migration_lock_timeout: u64,
}

#[derive(Args, Debug)]
struct RunArgs {
    /// Apply pending migrations up to and including this version (or full name).
    #[arg(long, value_name = "VERSION")]
    to: Option<String>,
    /// Give each migration its own batch, so rollback undoes one at a time.
    #[arg(long)]
    step: bool,
    /// Run even though an applied migration's up.sql changed since.
    #[arg(long)]
    allow_modified: bool,
}

#[derive(Args, Debug)]
#[group(multiple = false)]
struct RollbackArgs {
    /// Roll back the last N migrations applied (default: the last batch).
    #[arg(long, value_name = "N")]
    step: Option<usize>,
    /// Roll back batch N.
    #[arg(long, value_name = "N")]
    batch: Option<i32>,
    /// Roll back every migration above this version ("0": all).
    #[arg(long, value_name = "VERSION")]
    to: Option<String>,
}

impl RollbackArgs {
    fn how(&self) -> Rollback {
        match (self.step, self.batch, &self.to) {
            (Some(n), _, _) => Rollback::Steps(n),
            (_, Some(b), _) => Rollback::Batch(b),
            (_, _, Some(t)) => Rollback::To(t.clone()),
            _ => Rollback::LastBatch,
        }
    }
}

#[derive(Subcommand, Debug)]
enum MigrateCommand {
    /// Apply every pending migration, as one batch.
    Run {
        #[command(flatten)]
        run: RunArgs,
        /// Print the SQL instead of running it.
        #[arg(long)]
        pretend: bool,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Roll back the last batch (or --step N, --batch N, --to VERSION).
    Rollback {
        #[command(flatten)]
        how: RollbackArgs,
        /// Print the SQL instead of running it.
        #[arg(long)]
        pretend: bool,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Roll back every migration.
    Reset {
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Roll back every migration, then apply them all.
    Refresh {
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Roll back the last N migrations and apply them again.
    Redo {
        /// How many migrations.
        #[arg(long, value_name = "N", default_value_t = 1)]
        step: usize,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Show every migration: applied, pending, modified, missing or dirty.
    Status {
        /// Exit with code 3 unless every migration is applied and unchanged.
        #[arg(long)]
        check: bool,
    },
    /// Create a timestamped migration directory with up.sql and down.sql.
    Make {
        /// The name: lower-case letters, digits and `_` (e.g. create_users).
        name: String,
    },
    /// Print the SQL that run or rollback would execute, changing nothing.
    #[command(subcommand)]
    Pretend(PretendCommand),
    /// Clear the dirty mark of a migration that failed outside a transaction.
    Repair {
        #[command(flatten)]
        lock: LockArgs,
    },
}

#[derive(Subcommand, Debug)]
enum PretendCommand {
    /// The SQL of `migrate run`.
    Run {
        /// Up to and including this version.
        #[arg(long, value_name = "VERSION")]
        to: Option<String>,
    },
    /// The SQL of `migrate rollback`.
    Rollback {
        #[command(flatten)]
        how: RollbackArgs,
    },
}

#[derive(Subcommand, Debug)]
enum DatabaseCommand {
    /// Create the database and the migrations directory if missing, then run the migrations.
    Setup,
    /// Drop the database (PostgreSQL) or delete its file (SQLite).
    Drop {
        /// Confirm: the data is lost.
        #[arg(long)]
        yes: bool,
    },
}

/// The `glowplug` binary: reads `.env`, then runs the command line on the
/// migrations directory.
pub fn main() -> ExitCode {
    main_inner(&[], None)
}

/// An application's own binary with its embedded migrations: the same
/// commands as `glowplug`, with `source` for the migrate commands.
///
/// ```no_run
/// const MIGRATIONS: glowplug::PerBackend<glowplug::EmbeddedMigrations, glowplug::EmbeddedMigrations> =
///     glowplug::embed_migrations!(sqlite = "migrations/sqlite", postgres = "migrations/postgres");
///
/// fn main() -> std::process::ExitCode {
///     glowplug::cli::main_with(MIGRATIONS)
/// }
/// ```
pub fn main_with<S: MigrationSource>(source: S) -> ExitCode {
    main_inner(&[], Some(&source))
}

/// An application's management binary with its models and embedded
/// migrations: every command of `glowplug`, plus `makemigrations`,
/// `schema sql` and `schema check` on `models` (see the [module docs](self)).
pub fn main_with_models<S: MigrationSource>(models: &[ModelMeta], source: S) -> ExitCode {
    main_inner(models, Some(&source))
}

fn main_inner(models: &[ModelMeta], source: Option<&dyn MigrationSource>) -> ExitCode {
    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        eprintln!("error: could not read .env: {e}");
        return ExitCode::from(1);
    }
    let stdout = std::io::stdout();
    let colour = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let code = run_with(
        std::env::args_os(),
        models,
        source,
        &mut stdout.lock(),
        &mut std::io::stderr().lock(),
        colour,
    );
    ExitCode::from(code)
}

/// Runs one command line (`args[0]` is the program name) and returns its
/// exit code, writing to `out` and `err`. `source` replaces the migrations
/// directory for the migrate commands when given. Reads `DATABASE_URL` and
/// `MIGRATION_DIRECTORY` from the environment (not `.env`; [`main`] loads it).
pub fn run<I, T>(
    args: I,
    source: Option<&dyn MigrationSource>,
    out: &mut dyn Write,
    err: &mut dyn Write,
    colour: bool,
) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    run_with(args, &[], source, out, err, colour)
}

/// [`run`] for a binary that also has its `models`, for `makemigrations`
/// and the `schema` commands.
pub fn run_with<I, T>(
    args: I,
    models: &[ModelMeta],
    source: Option<&dyn MigrationSource>,
    out: &mut dyn Write,
    err: &mut dyn Write,
    colour: bool,
) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            let text = without_passwords(&e.render().to_string(), &args);
            let _ = if e.use_stderr() {
                write!(err, "{text}")
            } else {
                write!(out, "{text}")
            };
            return u8::try_from(e.exit_code()).unwrap_or(2);
        }
    };
    let result = match &cli.command {
        Command::Generate(g) => generate(&cli, g, out),
        Command::Makemigrations { name } => makemigrations(&cli, models, source, name, out),
        Command::Schema(s) => schema(&cli, models, s, out),
        _ => execute(&cli, source, out, colour),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            1
        }
    }
}

/// `text` (a usage error, which may quote any argument) with every argument
/// that holds a database URL shown redacted.
fn without_passwords(text: &str, args: &[OsString]) -> String {
    let mut text = text.to_owned();
    for arg in args.iter().filter_map(|a| a.to_str()) {
        let value = arg.split_once('=').map_or(arg, |(_, v)| v);
        for url in [arg, value] {
            if url.contains("://") || url.contains("password") {
                text = text.replace(url, &crate::redact_url(url));
            }
        }
    }
    text
}

/// The database URL: the flag, else `DATABASE_URL`.
fn database_url(cli: &Cli) -> Result<String> {
    match &cli.database_url {
        Some(url) => Ok(url.clone()),
        None => std::env::var("DATABASE_URL").map_err(|_| {
            Error::Config(
                "DATABASE_URL is not set: set it in the environment or in .env, or pass --database-url".into(),
            )
        }),
    }
}

/// `--statement-timeout` / `--lock-timeout` as a duration.
fn seconds(flag: &str, secs: Option<f64>) -> Result<Option<Duration>> {
    secs.map(|s| {
        Duration::try_from_secs_f64(s).map_err(|_| {
            Error::Config(format!(
                "--{flag} must be a number of seconds of at least 0 (got {s})"
            ))
        })
    })
    .transpose()
}

/// The migrations directory: the flag, `MIGRATION_DIRECTORY`, `diesel.toml`, `./migrations`.
fn migrations_dir(cli: &Cli) -> Result<PathBuf> {
    if let Some(dir) = &cli.dir {
        return Ok(dir.clone());
    }
    if let Some(dir) = std::env::var_os("MIGRATION_DIRECTORY") {
        return Ok(PathBuf::from(dir));
    }
    let cwd = std::env::current_dir()
        .map_err(|e| Error::Config(format!("cannot read the working directory: {e}")))?;
    for dir in cwd.ancestors() {
        let file = dir.join("diesel.toml");
        if file.is_file() {
            return Ok(from_diesel_toml(&file)?.unwrap_or_else(|| dir.join("migrations")));
        }
    }
    Ok(cwd.join("migrations"))
}

/// `[migrations_directory] dir` of a `diesel.toml`, relative to its directory.
fn from_diesel_toml(file: &Path) -> Result<Option<PathBuf>> {
    let bad = |m: String| Error::Config(format!("{}: {m}", file.display()));
    let text = std::fs::read_to_string(file).map_err(|e| bad(e.to_string()))?;
    let table: toml::Table = toml::from_str(&text).map_err(|e| bad(e.message().to_owned()))?;
    let dir = table
        .get("migrations_directory")
        .and_then(|m| m.get("dir"))
        .map(|d| {
            d.as_str()
                .map(|d| file.parent().unwrap_or(Path::new(".")).join(d))
                .ok_or_else(|| bad("`[migrations_directory] dir` must be a string".into()))
        })
        .transpose()?;
    Ok(dir)
}

/// A pool of one connection on the database URL with the command line's timeouts.
fn connect(cli: &Cli) -> Result<Database> {
    connect_to(cli, &database_url(cli)?)
}

fn connect_to(cli: &Cli, url: &str) -> Result<Database> {
    let mut builder = Database::builder(url)
        .max_size(1)
        .connect_timeout(Duration::from_secs(cli.connect_timeout));
    if let Some(t) = seconds("statement-timeout", cli.statement_timeout)? {
        builder = builder.statement_timeout(t);
    }
    if let Some(t) = seconds("lock-timeout", cli.lock_timeout)? {
        builder = builder.lock_timeout(t);
    }
    builder.build()
}

fn execute(
    cli: &Cli,
    embedded: Option<&dyn MigrationSource>,
    out: &mut dyn Write,
    colour: bool,
) -> Result<u8> {
    let command = match &cli.command {
        Command::Database(db) => return database(cli, db, embedded, out),
        Command::Migrate(MigrateCommand::Make { name }) => {
            let dir = migrations_dir(cli)?;
            for path in make(&dir, name, chrono::Utc::now().naive_utc())? {
                let _ = writeln!(out, "Created {}", shown(&path));
            }
            return Ok(0);
        }
        Command::Migrate(command) => command,
        _ => unreachable!("dispatched in run_with"),
    };
    let dir;
    let source: &dyn MigrationSource = match embedded {
        Some(source) => source,
        None => {
            dir = Dir::new(migrations_dir(cli)?);
            &dir
        }
    };
    let db = connect(cli)?;
    // Progress lines are written while the migrator runs; the RefCell lets
    // the other arms write to `out` too.
    let out = std::cell::RefCell::new(out);
    let mut printed = |direction: Direction, done: &Done| {
        let verb = match direction {
            Direction::Up => "Applied",
            Direction::Down => "Rolled back",
        };
        let _ = writeln!(
            out.borrow_mut(),
            "{verb} {} (batch {}, {:.1?})",
            done.name,
            done.batch,
            done.duration
        );
    };
    let locked = |lock: &LockArgs| Duration::from_secs(lock.migration_lock_timeout);
    let migrator = db.migrator(source);
    let report = match command {
        MigrateCommand::Run { run, pretend, lock } => {
            let mut m = migrator
                .allow_modified(run.allow_modified)
                .batch_per_migration(run.step)
                .lock_timeout(locked(lock));
            if *pretend {
                let plan = run.to.clone().map_or(Plan::Run, Plan::RunTo);
                let sql = m.pretend(plan)?;
                let _ = write!(out.borrow_mut(), "{sql}");
                return Ok(0);
            }
            let mut m = m.on_done(&mut printed);
            match &run.to {
                Some(to) => m.run_to(to)?,
                None => m.run()?,
            }
        }
        MigrateCommand::Rollback { how, pretend, lock } => {
            let mut m = migrator.lock_timeout(locked(lock));
            if *pretend {
                let sql = m.pretend(Plan::Rollback(how.how()))?;
                let _ = write!(out.borrow_mut(), "{sql}");
                return Ok(0);
            }
            migrator_with(m, &mut printed).rollback(how.how())?
        }
        MigrateCommand::Reset { lock } => {
            migrator_with(migrator.lock_timeout(locked(lock)), &mut printed).reset()?
        }
        MigrateCommand::Refresh { lock } => {
            migrator_with(migrator.lock_timeout(locked(lock)), &mut printed).refresh()?
        }
        MigrateCommand::Redo { step, lock } => {
            migrator_with(migrator.lock_timeout(locked(lock)), &mut printed).redo(*step)?
        }
        MigrateCommand::Repair { lock } => {
            let repaired = migrator.lock_timeout(locked(lock)).repair()?;
            if repaired.is_empty() {
                let _ = writeln!(
                    out.borrow_mut(),
                    "Nothing to repair: no migration is marked dirty"
                );
            }
            for (name, state) in repaired {
                let _ = writeln!(
                    out.borrow_mut(),
                    "Cleared the dirty mark of {name}: now {state}"
                );
            }
            return Ok(0);
        }
        MigrateCommand::Status { check } => {
            let mut m = migrator;
            let status = m.status()?;
            let _ = writeln!(out.borrow_mut(), "Database: {}", db.url());
            let _ = write!(out.borrow_mut(), "{}", status.table(colour));
            return Ok(if *check && !status.is_clean() {
                EXIT_NOT_CLEAN
            } else {
                0
            });
        }
        MigrateCommand::Pretend(p) => {
            let mut m = migrator;
            let plan = match p {
                PretendCommand::Run { to } => to.clone().map_or(Plan::Run, Plan::RunTo),
                PretendCommand::Rollback { how } => Plan::Rollback(how.how()),
            };
            let sql = m.pretend(plan)?;
            let _ = write!(out.borrow_mut(), "{sql}");
            return Ok(0);
        }
        MigrateCommand::Make { .. } => unreachable!("handled above"),
    };
    summary(*out.borrow_mut(), &report);
    Ok(0)
}

/// The models, or an error saying how to get a binary that has them.
fn need_models<'a>(models: &'a [ModelMeta], command: &str) -> Result<&'a [ModelMeta]> {
    if models.is_empty() {
        return Err(Error::Config(format!(
            "`{command}` needs the application's models; build a management binary that calls \
             glowplug::cli::main_with_models(&[User::META, ...], MIGRATIONS) and run the command there"
        )));
    }
    Ok(models)
}

/// Prints each line of `lines` under `title`, when there are any.
fn print_list(out: &mut dyn Write, title: &str, lines: impl IntoIterator<Item = String>) {
    let lines: Vec<String> = lines.into_iter().collect();
    if !lines.is_empty() {
        let _ = writeln!(out, "{title}");
        for line in lines {
            let _ = writeln!(out, "  - {line}");
        }
    }
}

/// `path` relative to the working directory, for display.
fn shown(path: &Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    path.strip_prefix(&cwd)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn makemigrations(
    cli: &Cli,
    models: &[ModelMeta],
    embedded: Option<&dyn MigrationSource>,
    name: &str,
    out: &mut dyn Write,
) -> Result<u8> {
    let models = need_models(models, "makemigrations")?;
    crate::migrate::validate_name(name)?;
    let path = migrations_dir(cli)?;
    let dir = Dir::new(&path);
    let source: &dyn MigrationSource = embedded.unwrap_or(&dir);
    let db = connect(cli)?;
    let status = db.migrator(source).status()?;
    if !status.is_clean() {
        return Err(Error::Config(
            "the database is not migrated to date, so it does not show the schema the migrations make; \
             run `migrate run` (and see `migrate status`) first"
                .into(),
        ));
    }
    let mut conn = db.get()?;
    match crate::schema::make_migration(&mut conn, models, &path, name)? {
        None => {
            let _ = writeln!(out, "No changes: the database matches the models");
        }
        Some(made) => {
            for p in &made.paths {
                let _ = writeln!(out, "Created {}", shown(p));
            }
            print_list(
                out,
                "Changes:",
                made.differences.iter().map(ToString::to_string),
            );
            print_list(out, "Check before applying:", made.warnings);
        }
    }
    Ok(0)
}

fn schema(
    cli: &Cli,
    models: &[ModelMeta],
    command: &SchemaCommand,
    out: &mut dyn Write,
) -> Result<u8> {
    match command {
        SchemaCommand::Sql { backend } => {
            let models = need_models(models, "schema sql")?;
            let backend = match backend {
                Some(BackendArg::Sqlite) => Backend::Sqlite,
                Some(BackendArg::Postgres) => Backend::Postgres,
                None => url_backend(cli)?,
            };
            let _ = write!(out, "{}", crate::schema::create_sql(backend, models)?);
            Ok(0)
        }
        SchemaCommand::Check => {
            let models = need_models(models, "schema check")?;
            let db = connect(cli)?;
            let mut conn = db.get()?;
            let differences = crate::schema::diff(&mut conn, models)?;
            if differences.is_empty() {
                let _ = writeln!(
                    out,
                    "No drift: {} matches the {} models",
                    db.url(),
                    models.len()
                );
                return Ok(0);
            }
            print_list(
                out,
                &format!("{} differs from the models:", db.url()),
                differences.iter().map(ToString::to_string),
            );
            Ok(EXIT_NOT_CLEAN)
        }
    }
}

/// The backend the database URL names, SQLite when none is set.
fn url_backend(cli: &Cli) -> Result<Backend> {
    match database_url(cli) {
        Ok(url) => Ok(crate::url::ConnectionSpec::parse(&url)?.backend()),
        Err(_) => Ok(Backend::Sqlite),
    }
}

fn generate(cli: &Cli, command: &GenerateCommand, out: &mut dyn Write) -> Result<u8> {
    let GenerateCommand::Model {
        name,
        fields,
        no_migration,
    } = command;
    let spec = crate::scaffold::ModelSpec::parse(name, fields)?;
    let mut written = Vec::new();
    if !no_migration {
        let table = spec.table();
        written = crate::migrate::make::make_with(
            &migrations_dir(cli)?,
            &format!("create_{}", table.name),
            chrono::Utc::now().naive_utc(),
            url_backend(cli)?,
            &mut |backend| crate::migrate::make::Files {
                up: crate::schema::create_table_sql(backend, &table),
                down: format!("DROP TABLE {};\n", crate::backend::ident(&table.name)),
                metadata: None,
            },
        )?;
    }
    let _ = write!(out, "{}", spec.source());
    for p in written {
        let _ = writeln!(out, "Created {}", shown(&p));
    }
    Ok(0)
}

fn migrator_with<'a, S: MigrationSource>(
    m: Migrator<'a, S>,
    printed: &'a mut dyn FnMut(Direction, &Done),
) -> Migrator<'a, S> {
    m.on_done(printed)
}

fn summary(out: &mut dyn Write, report: &Report) {
    if report.applied.is_empty() && report.reverted.is_empty() {
        let _ = writeln!(out, "Nothing to do");
    }
}

fn database(
    cli: &Cli,
    command: &DatabaseCommand,
    embedded: Option<&dyn MigrationSource>,
    out: &mut dyn Write,
) -> Result<u8> {
    let written = database_url(cli)?;
    let shown = crate::redact_url(&written);
    let url = crate::url::with_connect_timeout(&written, Duration::from_secs(cli.connect_timeout))?;
    match command {
        DatabaseCommand::Setup => {
            if crate::create_database(&url)? {
                let _ = writeln!(out, "Created database {shown}");
            }
            let dir;
            let source: &dyn MigrationSource = match embedded {
                Some(source) => source,
                None => {
                    let path = migrations_dir(cli)?;
                    if !path.exists() {
                        std::fs::create_dir_all(&path).map_err(|e| {
                            Error::Config(format!("cannot create {}: {e}", path.display()))
                        })?;
                        let _ = writeln!(out, "Created {}", path.display());
                    }
                    dir = Dir::new(path);
                    &dir
                }
            };
            let db = connect_to(cli, &written)?;
            let mut printed = |_: Direction, done: &Done| {
                let _ = writeln!(out, "Applied {} (batch {})", done.name, done.batch);
            };
            db.migrator(source).on_done(&mut printed).run()?;
            Ok(0)
        }
        DatabaseCommand::Drop { yes } => {
            if !yes {
                return Err(Error::Config(format!(
                    "this drops {shown} and every row in it; pass --yes to confirm"
                )));
            }
            if crate::drop_database(&url)? {
                let _ = writeln!(out, "Dropped {shown}");
            } else {
                let _ = writeln!(out, "{shown} did not exist");
            }
            Ok(0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
