//! The command line's grammar: every command, subcommand and flag, as clap
//! definitions. Nothing here runs anything; [`super::commands`] does.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::migrate::Rollback;

#[derive(Parser, Debug)]
#[command(
    name = "glowplug",
    version,
    about = "Migrations and databases for glowplug (diesel) projects",
    propagate_version = true
)]
pub(super) struct Cli {
    /// The database URL (default: MIGRATION_DATABASE_URL, else DATABASE_URL, from the environment or .env).
    #[arg(long, global = true, value_name = "URL")]
    pub(super) database_url: Option<String>,

    /// The migrations directory (default: MIGRATION_DIRECTORY, diesel.toml, ./migrations).
    #[arg(long, global = true, value_name = "DIR")]
    pub(super) dir: Option<PathBuf>,

    /// Seconds to wait for a PostgreSQL server to answer.
    #[arg(long, global = true, value_name = "SECS", default_value_t = 10)]
    pub(super) connect_timeout: u64,

    /// PostgreSQL: cancel a statement (a migration's) that runs longer than SECS.
    #[arg(long, global = true, value_name = "SECS")]
    pub(super) statement_timeout: Option<f64>,

    /// PostgreSQL: cancel a statement that waits longer than SECS for a lock
    /// (an ALTER TABLE behind a long transaction), instead of blocking every
    /// query queued behind it.
    #[arg(long, global = true, value_name = "SECS")]
    pub(super) lock_timeout: Option<f64>,

    /// Print each SQL statement with its duration to stderr (the
    /// `glowplug` binary; `RUST_LOG` chooses any other `tracing` output).
    #[arg(long, global = true)]
    pub(super) verbose: bool,

    #[command(subcommand)]
    pub(super) command: Command,
}

#[derive(Subcommand, Debug)]
pub(super) enum Command {
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
pub(super) enum GenerateCommand {
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
pub(super) enum SchemaCommand {
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
pub(super) enum BackendArg {
    Sqlite,
    Postgres,
}

#[derive(Args, Debug, Default)]
pub(super) struct LockArgs {
    /// Seconds to wait for another migrator's lock.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub(super) migration_lock_timeout: u64,
}

#[derive(Args, Debug)]
pub(super) struct RunArgs {
    /// Apply pending migrations up to and including this version (or full name).
    #[arg(long, value_name = "VERSION")]
    pub(super) to: Option<String>,
    /// Give each migration its own batch, so rollback undoes one at a time.
    #[arg(long)]
    pub(super) step: bool,
    /// Run even though an applied migration's up.sql changed since.
    #[arg(long)]
    pub(super) allow_modified: bool,
}

#[derive(Args, Debug)]
#[group(multiple = false)]
pub(super) struct RollbackArgs {
    /// Roll back the last N migrations applied (default: the last batch).
    #[arg(long, value_name = "N")]
    pub(super) step: Option<usize>,
    /// Roll back batch N.
    #[arg(long, value_name = "N")]
    pub(super) batch: Option<i32>,
    /// Roll back every migration above this version ("0": all).
    #[arg(long, value_name = "VERSION")]
    pub(super) to: Option<String>,
}

impl RollbackArgs {
    pub(super) fn how(&self) -> Rollback {
        match (self.step, self.batch, &self.to) {
            (Some(n), _, _) => Rollback::Steps(n),
            (_, Some(b), _) => Rollback::Batch(b),
            (_, _, Some(t)) => Rollback::To(t.clone()),
            _ => Rollback::LastBatch,
        }
    }
}

#[derive(Subcommand, Debug)]
pub(super) enum MigrateCommand {
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
pub(super) enum PretendCommand {
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
pub(super) enum DatabaseCommand {
    /// Create the database and the migrations directory if missing, then run the migrations.
    Setup,
    /// Drop the database (PostgreSQL) or delete its file (SQLite).
    Drop {
        /// Confirm: the data is lost.
        #[arg(long)]
        yes: bool,
    },
}
