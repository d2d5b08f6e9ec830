//! What each command does. [`migrate`] handles every `migrate` subcommand
//! in one `match`, the others have a function each; all return the exit
//! code, or the error the caller prints.

use std::io::Write;
use std::time::Duration;

use super::EXIT_NOT_CLEAN;
use super::args::{
    BackendArg, Cli, DatabaseCommand, GenerateCommand, LockArgs, MigrateCommand, PretendCommand,
    SchemaCommand,
};
use super::output::{print_list, progress, repaired, shown, summary};
use super::settings::{connect, connect_to, database_url, migrations_dir, url_backend};
use crate::connection::Backend;
use crate::meta::ModelMeta;
use crate::migrate::{
    Dir, Direction, MigrationSource, Migrator, Operation, Report, Rollback, StepReport, make,
};
use crate::{Error, Result};

/// The migrator of a command that reads or writes migrations.
type CliMigrator<'a> = Migrator<'a, &'a dyn MigrationSource>;

/// Runs `f` with the migration source: the embedded one, else the
/// migrations directory.
fn with_source<T>(
    cli: &Cli,
    embedded: Option<&dyn MigrationSource>,
    f: impl FnOnce(&dyn MigrationSource) -> Result<T>,
) -> Result<T> {
    match embedded {
        Some(source) => f(source),
        None => f(&Dir::new(migrations_dir(cli)?)),
    }
}

/// Runs `op` on a migrator with `lock`'s timeout that prints each migration
/// as it is applied or rolled back, then prints the summary.
fn changing(
    cli: &Cli,
    embedded: Option<&dyn MigrationSource>,
    out: &mut dyn Write,
    lock: &LockArgs,
    op: impl FnOnce(CliMigrator<'_>) -> Result<Report>,
) -> Result<u8> {
    with_source(cli, embedded, |source| {
        let db = connect(cli)?;
        let report = {
            let mut printed =
                |direction: Direction, done: &StepReport| progress(out, direction, done);
            let migrator = db
                .migrator(source)
                .lock_timeout(Duration::from_secs(lock.migration_lock_timeout))
                .on_done(&mut printed);
            op(migrator)?
        };
        summary(out, &report);
        Ok(0)
    })
}

/// Runs `op` on a migrator that only reads (status, pretend).
fn reading<T>(
    cli: &Cli,
    embedded: Option<&dyn MigrationSource>,
    op: impl FnOnce(&crate::Database, CliMigrator<'_>) -> Result<T>,
) -> Result<T> {
    with_source(cli, embedded, |source| {
        let db = connect(cli)?;
        op(&db, db.migrator(source))
    })
}

/// Prints the SQL of `plan`.
fn pretend(migrator: CliMigrator<'_>, plan: Operation, out: &mut dyn Write) -> Result<u8> {
    let mut migrator = migrator;
    let sql = migrator.pretend(plan)?;
    let _ = write!(out, "{sql}");
    Ok(0)
}

/// `glowplug migrate …`.
pub(super) fn migrate(
    cli: &Cli,
    command: &MigrateCommand,
    embedded: Option<&dyn MigrationSource>,
    out: &mut dyn Write,
    colour: bool,
) -> Result<u8> {
    match command {
        MigrateCommand::Make { name } => {
            for path in make(&migrations_dir(cli)?, name, chrono::Utc::now().naive_utc())? {
                let _ = writeln!(out, "Created {}", shown(&path));
            }
            Ok(0)
        }
        MigrateCommand::Run {
            run, pretend: true, ..
        } => reading(cli, embedded, |_, m| {
            let m = m
                .allow_modified(run.allow_modified)
                .batch_per_migration(run.step);
            pretend(
                m,
                run.to.clone().map_or(Operation::Run, Operation::RunTo),
                out,
            )
        }),
        MigrateCommand::Run { run, lock, .. } => changing(cli, embedded, out, lock, |m| {
            let mut m = m
                .allow_modified(run.allow_modified)
                .batch_per_migration(run.step);
            match &run.to {
                Some(to) => m.run_to(to),
                None => m.run(),
            }
        }),
        MigrateCommand::Rollback {
            how, pretend: true, ..
        } => reading(cli, embedded, |_, m| {
            pretend(m, Operation::Rollback(how.how()), out)
        }),
        MigrateCommand::Rollback { how, lock, .. } => {
            changing(cli, embedded, out, lock, |mut m| m.rollback(how.how()))
        }
        MigrateCommand::Reset { lock } => changing(cli, embedded, out, lock, |mut m| m.reset()),
        MigrateCommand::Refresh { lock } => changing(cli, embedded, out, lock, |mut m| m.refresh()),
        MigrateCommand::Redo { step, lock } => changing(cli, embedded, out, lock, |mut m| {
            m.redo(Rollback::Steps(*step))
        }),
        MigrateCommand::Repair { lock } => reading(cli, embedded, |_, m| {
            let cleared = m
                .lock_timeout(Duration::from_secs(lock.migration_lock_timeout))
                .repair()?;
            repaired(out, &cleared);
            Ok(0)
        }),
        MigrateCommand::Status { check } => reading(cli, embedded, |db, mut m| {
            let status = m.status()?;
            let _ = writeln!(out, "Database: {}", db.url());
            let _ = write!(out, "{}", status.table(colour));
            Ok(if *check && !status.is_clean() {
                EXIT_NOT_CLEAN
            } else {
                0
            })
        }),
        MigrateCommand::Pretend(p) => reading(cli, embedded, |_, m| {
            let plan = match p {
                PretendCommand::Run { to } => to.clone().map_or(Operation::Run, Operation::RunTo),
                PretendCommand::Rollback { how } => Operation::Rollback(how.how()),
            };
            pretend(m, plan, out)
        }),
    }
}

/// The models, or an error saying how to get a binary that has them.
fn need_models<'a>(models: &'a [ModelMeta], command: &str) -> Result<&'a [ModelMeta]> {
    if models.is_empty() {
        return Err(Error::config(format!(
            "`{command}` needs the application's models; build a management binary that calls \
             glowplug::cli::main_with_models(&[User::META, ...], MIGRATIONS) and run the command there"
        )));
    }
    Ok(models)
}

pub(super) fn makemigrations(
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
        return Err(Error::config(
            "the database is not migrated to date, so it does not show the schema the migrations make; \
             run `migrate run` (and see `migrate status`) first"
                .into(),
        ));
    }
    let mut conn = db.get()?;
    match crate::migrate::make_migration(&mut conn, models, &path, name)? {
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

pub(super) fn schema(
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

pub(super) fn generate(cli: &Cli, command: &GenerateCommand, out: &mut dyn Write) -> Result<u8> {
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

pub(super) fn database(
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
                            Error::config_caused_by(
                                format!("cannot create {}: {e}", path.display()),
                                e,
                            )
                        })?;
                        let _ = writeln!(out, "Created {}", path.display());
                    }
                    dir = Dir::new(path);
                    &dir
                }
            };
            let db = connect_to(cli, &written)?;
            let mut printed = |_: Direction, done: &StepReport| {
                let _ = writeln!(out, "Applied {} (batch {})", done.name, done.batch);
            };
            db.migrator(source).on_done(&mut printed).run()?;
            Ok(0)
        }
        DatabaseCommand::Drop { yes } => {
            if !yes {
                return Err(Error::config(format!(
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
