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
//!   (see [`migrate::make_migration`](crate::migrate::make_migration)); the
//!   application is then rebuilt to embed it.
//! * `schema sql` prints the models' DDL; `schema check` lists every
//!   difference between the models and the database and exits with code 3
//!   when there is one.
//! * `generate model Post title:varchar(200) author_id:fk(User)` prints the
//!   `model!` block and writes a migration creating its table (field specs:
//!   [`scaffold`](crate::scaffold)).
//!
//! * **Database**: `--database-url`, else `MIGRATION_DATABASE_URL`, else
//!   `DATABASE_URL`, from the environment or a `.env` file in the working
//!   directory. `MIGRATION_DATABASE_URL` is for applications behind
//!   PgBouncer's transaction pooling: the migration lock needs a direct
//!   server session (README, "Behind PgBouncer"). Passwords are never printed:
//!   URLs are shown redacted and driver messages scrubbed.
//! * **Migrations directory**: `--dir`, else `MIGRATION_DIRECTORY`, else
//!   `[migrations_directory] dir` of the nearest `diesel.toml` (relative to
//!   that file), else `./migrations`; a directory per backend is picked as
//!   [`Dir`](crate::migrate::Dir) describes. An application that embeds its migrations passes
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
//! * **Seeing the SQL**: the `glowplug` binary honours `RUST_LOG` (e.g.
//!   `RUST_LOG=glowplug=debug`; see [`crate::observe`] for the targets),
//!   and `--verbose` prints each statement with its duration to stderr.
//!   The library installs no `tracing` subscriber: an application's own
//!   management binary installs one as `glowplug`'s `main` does, with
//!   [`log_filter`] for the same filter.
//!
//! The module's files: `args` (the clap grammar), `commands` (what each
//! command does), `settings` (URL, directory and timeouts from flags,
//! environment and `diesel.toml`) and `output` (what is printed).

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

use crate::meta::ModelMeta;
use crate::migrate::MigrationSource;

mod args;
mod commands;
mod output;
mod settings;

use args::{Cli, Command};

/// The exit code of `migrate status --check` when something is not applied
/// and unchanged, and of `schema check` when the database differs from the models.
pub const EXIT_NOT_CLEAN: u8 = 3;

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

/// The `tracing` filter directives the `glowplug` binary uses: `RUST_LOG`
/// when set (else WARN: slow queries and warnings), plus statements
/// (`glowplug::query=debug`) and migrations (`glowplug::migrate=info`) when
/// `args` hold `--verbose`.
///
/// ```
/// assert_eq!(glowplug::cli::log_filter(["glowplug", "--verbose", "migrate", "status"], None),
///            "warn,glowplug::query=debug,glowplug::migrate=info");
/// assert_eq!(glowplug::cli::log_filter(["glowplug", "migrate", "status"], Some("glowplug=trace")),
///            "glowplug=trace");
/// ```
pub fn log_filter<I, T>(args: I, rust_log: Option<&str>) -> String
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    let verbose = args
        .into_iter()
        .skip(1)
        .map(Into::into)
        .take_while(|a| a != "--")
        .any(|a| a == "--verbose");
    let base = rust_log.filter(|r| !r.trim().is_empty()).unwrap_or("warn");
    if verbose {
        format!("{base},glowplug::query=debug,glowplug::migrate=info")
    } else {
        base.to_owned()
    }
}

/// Runs one command line (`args[0]` is the program name) and returns its
/// exit code, writing to `out` and `err`. `source` replaces the migrations
/// directory for the migrate commands when given. Reads `DATABASE_URL`,
/// `MIGRATION_DATABASE_URL` and `MIGRATION_DIRECTORY` from the environment (not `.env`; [`main`] loads it).
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
        Command::Migrate(m) => commands::migrate(&cli, m, source, out, colour),
        Command::Database(d) => commands::database(&cli, d, source, out),
        Command::Generate(g) => commands::generate(&cli, g, out),
        Command::Makemigrations { name } => {
            commands::makemigrations(&cli, models, source, name, out)
        }
        Command::Schema(s) => commands::schema(&cli, models, s, out),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            output::error(err, &e);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
