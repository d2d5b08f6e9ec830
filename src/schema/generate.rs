//! Generated migrations: the SQL that takes the database's schema to the
//! models' (`up.sql`) and back (`down.sql`), for each backend.
//!
//! PostgreSQL gets `ALTER TABLE` for everything. SQLite's `ALTER TABLE` can
//! only rename, add and drop plain columns, so any other change to a table
//! (type, nullability, default, a foreign key, a unique constraint, the
//! primary key, dropping an indexed or referenced column) rebuilds it:
//! create the new table under a temporary name, copy the rows, drop the old
//! table, rename the new one, recreate its indexes
//! (<https://sqlite.org/lang_altertable.html#otheralter>). A rebuild needs
//! foreign-key enforcement off, which SQLite ignores inside a transaction,
//! so a migration with a rebuild runs outside the harness's transaction
//! (`metadata.toml`: `run_in_transaction = false`), opens its own, and
//! checks `pragma_foreign_key_check` before it commits: a row the new table
//! would orphan fails the migration, and nothing of it is kept.

use super::check::{constraint_name, enum_check_sql};
use super::ddl::{
    add_foreign_key, column_sql, create_index, create_table_as, default_sql, index_name, list,
    schema_sql, script, type_sql,
};
use super::diff::{
    Difference, Renames, TableDelta, compare, hinted_renames, rules, same_type, table_delta,
};
use super::{Schema, Table, check_references, introspect};
use crate::backend::ident;
use crate::connection::{Backend, DbConnection};
use crate::error::Result;
use crate::meta::ModelMeta;

/// The SQL for one backend, to go from the database's schema to the models'
/// and back.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Generated {
    /// The differences the migration resolves.
    pub differences: Vec<Difference>,
    /// `up.sql`.
    pub up: String,
    /// `down.sql`.
    pub down: String,
    /// Whether the harness should wrap the files in a transaction (false when
    /// a SQLite table rebuild opens its own).
    pub run_in_transaction: bool,
    /// What a reader should check before applying: data that a drop loses, a
    /// `NOT NULL` column without default that fails on a table with rows,
    /// changes left to a hand-written migration.
    pub warnings: Vec<String>,
}

/// Statements for one direction.
#[derive(Debug, Default)]
pub(crate) struct MigrationStatements {
    pub(crate) statements: Vec<String>,
    /// Whether a SQLite table is rebuilt (foreign keys must be off).
    pub(crate) rebuild: bool,
    pub(crate) warnings: Vec<String>,
}

/// The temporary name of a table being rebuilt.
fn rebuild_name(table: &str) -> String {
    format!("_glowplug_new_{table}")
}

/// Whether SQLite needs a rebuild for `d`.
fn needs_rebuild(d: &TableDelta<'_>) -> bool {
    let in_key = |col: &str| {
        d.from.primary_key.iter().any(|c| c == col)
            || d.from
                .foreign_keys
                .iter()
                .any(|k| k.columns.iter().any(|c| c == col))
            || d.from
                .indexes
                .iter()
                .any(|i| i.constraint && i.columns.iter().any(|c| c == col))
    };
    let addable = |c: &super::Column| {
        !c.auto_increment
            && !d.to.primary_key.contains(&c.name)
            && (c.nullable || c.default.is_some())
            && !d.to.foreign_keys.iter().any(|k| {
                k.columns.contains(&c.name) && (k.columns.len() > 1 || c.default.is_some())
            })
    };
    let fk_on_added_column = |k: &super::ForeignKey| {
        k.columns.len() == 1 && d.added.iter().any(|c| c.name == k.columns[0])
    };
    d.primary_key_changed
        || !d.changed.is_empty()
        || !d.dropped_fks.is_empty()
        || !d.added_fks.iter().all(|k| fk_on_added_column(k))
        || d.dropped_indexes.iter().any(|i| i.constraint)
        || !d.added.iter().all(|c| addable(c))
        || d.dropped.iter().any(|c| in_key(&c.name))
}

/// The statements that alter one table as `d` says, on `backend`.
pub(crate) fn alter_table(backend: Backend, d: &TableDelta<'_>) -> MigrationStatements {
    let mut plan = MigrationStatements::default();
    let t = ident(&d.to.name);
    plan.warnings = alter_warnings(d);
    if backend == Backend::Sqlite && needs_rebuild(d) {
        plan.rebuild = true;
        plan.statements = rebuild_table(backend, d);
        return plan;
    }
    let s = &mut plan.statements;
    for k in &d.dropped_fks {
        let name = k
            .name
            .clone()
            .unwrap_or_else(|| format!("{}_{}_fkey", d.to.name, k.columns.join("_")));
        s.push(format!("ALTER TABLE {t} DROP CONSTRAINT {}", ident(&name)));
    }
    for i in &d.dropped_indexes {
        let name = ident(&index_name(&d.to.name, i));
        if i.constraint {
            s.push(format!("ALTER TABLE {t} DROP CONSTRAINT {name}"));
        } else {
            s.push(format!("DROP INDEX {name}"));
        }
    }
    for (old, new) in &d.renames {
        s.push(format!(
            "ALTER TABLE {t} RENAME COLUMN {} TO {}",
            ident(old),
            ident(new)
        ));
        s.extend(rename_enum_check(backend, d, old, new));
    }
    for c in &d.dropped {
        s.push(format!("ALTER TABLE {t} DROP COLUMN {}", ident(&c.name)));
    }
    for c in &d.added {
        // Keys are added below; on SQLite a foreign key can only come inline.
        let mut bare = Table::new(d.to.name.clone());
        if backend == Backend::Sqlite {
            bare.foreign_keys =
                d.to.foreign_keys
                    .iter()
                    .filter(|k| k.columns == [c.name.as_str()])
                    .cloned()
                    .collect();
        }
        s.push(format!(
            "ALTER TABLE {t} ADD COLUMN {}",
            column_sql(backend, &bare, c)
        ));
    }
    for (have, want) in &d.changed {
        alter_column(backend, d, have, want, s);
    }
    for i in &d.added_indexes {
        if i.constraint && backend == Backend::Postgres {
            s.push(format!(
                "ALTER TABLE {t} ADD CONSTRAINT {} UNIQUE ({})",
                ident(&index_name(&d.to.name, i)),
                list(&i.columns)
            ));
        } else {
            s.push(create_index(&d.to.name, i));
        }
    }
    if backend == Backend::Postgres {
        for k in &d.added_fks {
            s.push(add_foreign_key(&d.to.name, k));
        }
    }
    plan
}

/// What a reader of the generated migration must know before running it:
/// data that is dropped, NOT NULL columns that fail on existing rows, key
/// changes that are not generated.
fn alter_warnings(d: &TableDelta<'_>) -> Vec<String> {
    let mut warnings = Vec::new();
    for c in &d.dropped {
        warnings.push(format!(
            "drops column {}.{}: its data is lost (down.sql restores the column, not the data)",
            d.to.name, c.name
        ));
    }
    for c in &d.added {
        if !c.nullable && c.default.is_none() && !c.auto_increment {
            warnings.push(format!(
                "adds {}.{} as NOT NULL without a default: this fails if `{}` has rows; give it a default(..) or make it null, then backfill",
                d.to.name, c.name, d.to.name
            ));
        }
    }
    for (have, want) in &d.changed {
        if have.nullable && !want.nullable && want.default.is_none() {
            warnings.push(format!(
                "makes {}.{} NOT NULL without a default: this fails if it holds NULLs; give it a default(..) (NULLs are then set to it) or update them first",
                d.to.name, want.name
            ));
        }
    }
    if d.primary_key_changed
        || d.changed
            .iter()
            .any(|(a, b)| a.auto_increment != b.auto_increment)
    {
        warnings.push(format!(
            "changes the primary key of `{}`: not generated; write that part of the migration by hand",
            d.to.name
        ));
    }
    warnings
}

/// The statements that change one column from `have` to `want` (type,
/// enum check, backfill, nullability, default), appended to `s`.
fn alter_column(
    backend: Backend,
    d: &TableDelta<'_>,
    have: &super::Column,
    want: &super::Column,
    s: &mut Vec<String>,
) {
    let t = ident(&d.to.name);
    let col = ident(&want.name);
    // An enum is TEXT and its check: a changed value list changes only the check.
    let retype = !same_type(d.backend, have, want)
        && type_sql(backend, &have.ty) != type_sql(backend, &want.ty);
    let [drop_check, add_check] = enum_check_changes(d, have, want);
    s.extend(drop_check);
    if retype {
        let ty = type_sql(backend, &want.ty);
        if have.default.is_some() {
            s.push(format!("ALTER TABLE {t} ALTER COLUMN {col} DROP DEFAULT"));
        }
        s.push(format!(
            "ALTER TABLE {t} ALTER COLUMN {col} TYPE {ty} USING {col}::{ty}"
        ));
    }
    s.extend(add_check);
    if let Some(fill) = backfill(have, want) {
        s.push(format!(
            "UPDATE {t} SET {col} = {} WHERE {col} IS NULL",
            default_sql(backend, &want.ty, fill)
        ));
    }
    if have.nullable != want.nullable {
        let action = if want.nullable { "DROP" } else { "SET" };
        s.push(format!(
            "ALTER TABLE {t} ALTER COLUMN {col} {action} NOT NULL"
        ));
    }
    let default_dropped = retype && have.default.is_some();
    if want.default != have.default || default_dropped {
        match &want.default {
            Some(v) => s.push(format!(
                "ALTER TABLE {t} ALTER COLUMN {col} SET DEFAULT {}",
                default_sql(backend, &want.ty, v)
            )),
            None if !default_dropped => {
                s.push(format!("ALTER TABLE {t} ALTER COLUMN {col} DROP DEFAULT"))
            }
            None => {}
        }
    }
}

/// When an enum column is renamed on PostgreSQL, its check's new name, as
/// glowplug names it (`check.rs`), so a later change finds it (SQLite
/// finds a check by its column, which `RENAME COLUMN` rewrites).
fn rename_enum_check(backend: Backend, d: &TableDelta<'_>, old: &str, new: &str) -> Option<String> {
    let was_enum = !d.from.column(new)?.ty.enum_values().is_empty();
    let was_enum = was_enum && backend == Backend::Postgres;
    was_enum.then(|| {
        format!(
            "ALTER TABLE {} RENAME CONSTRAINT {} TO {}",
            ident(&d.to.name),
            ident(&constraint_name(&d.to.name, old)),
            ident(&constraint_name(&d.to.name, new))
        )
    })
}

/// When a column's type changes and either side is an enum (PostgreSQL):
/// the statement that drops the old check (before any retype) and the one
/// that adds the new.
fn enum_check_changes(
    d: &TableDelta<'_>,
    have: &super::Column,
    want: &super::Column,
) -> [Option<String>; 2] {
    let t = ident(&d.to.name);
    if same_type(d.backend, have, want) {
        return [None, None];
    }
    let drop = (!have.ty.enum_values().is_empty()).then(|| {
        let name = constraint_name(&d.to.name, &want.name);
        format!("ALTER TABLE {t} DROP CONSTRAINT {}", ident(&name))
    });
    let add = (!want.ty.enum_values().is_empty()).then(|| {
        let check = enum_check_sql(&d.to.name, &want.name, want.ty.enum_values());
        format!("ALTER TABLE {t} ADD {check}")
    });
    [drop, add]
}

/// The value NULLs get when a column becomes NOT NULL with a default.
fn backfill<'c>(have: &super::Column, want: &'c super::Column) -> Option<&'c str> {
    (have.nullable && !want.nullable)
        .then_some(want.default.as_deref())
        .flatten()
}

/// SQLite's table rebuild: the new table under a temporary name, the rows
/// copied (renamed columns from their old names; added ones get their
/// default), the old table dropped, the new one renamed, its indexes made.
fn rebuild_table(backend: Backend, d: &TableDelta<'_>) -> Vec<String> {
    let temp = rebuild_name(&d.to.name);
    let mut out = vec![create_table_as(backend, d.to, &temp, &[])];
    let (into, from): (Vec<String>, Vec<String>) =
        d.to.columns
            .iter()
            .filter(|c| d.from.column(&c.name).is_some())
            .map(|c| {
                let old = d
                    .renames
                    .iter()
                    .find(|(_, new)| *new == c.name)
                    .map_or(c.name.as_str(), |(old, _)| old.as_str());
                {
                    let value = match d.from.column(&c.name).and_then(|have| backfill(have, c)) {
                        Some(fill) => format!(
                            "COALESCE({}, {})",
                            ident(old),
                            default_sql(backend, &c.ty, fill)
                        ),
                        None => ident(old),
                    };
                    (ident(&c.name), value)
                }
            })
            .unzip();
    out.push(format!(
        "INSERT INTO {} ({}) SELECT {} FROM {}",
        ident(&temp),
        into.join(", "),
        from.join(", "),
        ident(&d.to.name)
    ));
    out.push(format!("DROP TABLE {}", ident(&d.to.name)));
    out.push(format!(
        "ALTER TABLE {} RENAME TO {}",
        ident(&temp),
        ident(&d.to.name)
    ));
    out.extend(
        d.to.indexes
            .iter()
            .filter(|i| !i.constraint)
            .map(|i| create_index(&d.to.name, i)),
    );
    out
}

/// The statements that fail a SQLite migration when a row references a
/// missing parent (SQLite only reports such rows; a CHECK turns them into
/// an error).
pub(crate) const SQLITE_FK_CHECK: &str = "CREATE TEMP TABLE _glowplug_fk_check (violations INTEGER NOT NULL CONSTRAINT foreign_keys_must_hold CHECK (violations = 0));\n\
INSERT INTO _glowplug_fk_check SELECT count(*) FROM pragma_foreign_key_check;\n\
DROP TABLE temp._glowplug_fk_check;\n";

/// The plan from `from` to `to`: tables created (by dependency), altered,
/// then dropped (dependents first). `renames` gives each shared table's
/// column renames.
pub(crate) fn plan(
    backend: Backend,
    from: &Schema,
    to: &Schema,
    renames: &dyn Fn(&Table, &Table) -> Renames,
) -> MigrationStatements {
    let mut out = MigrationStatements::default();
    let rules = rules(from, to);
    let created = Schema {
        backend: None,
        tables: to
            .tables
            .iter()
            .filter(|t| from.table(&t.name).is_none())
            .cloned()
            .collect(),
    };
    let existing: Vec<&str> = from.tables.iter().map(|t| t.name.as_str()).collect();
    out.statements
        .extend(schema_sql(backend, &created, &existing));
    for want in &to.tables {
        let Some(have) = from.table(&want.name) else {
            continue;
        };
        let delta = table_delta(rules, have, want, renames(have, want));
        if delta.is_empty() {
            continue;
        }
        let p = alter_table(backend, &delta);
        out.rebuild |= p.rebuild;
        out.statements.extend(p.statements);
        out.warnings.extend(p.warnings);
    }
    let dropped = Schema {
        backend: None,
        tables: from
            .tables
            .iter()
            .filter(|t| to.table(&t.name).is_none())
            .cloned()
            .collect(),
    };
    for t in dropped.in_dependency_order().iter().rev() {
        out.warnings.push(format!(
            "drops table `{}`: its rows are lost (down.sql recreates the table, not the rows)",
            t.name
        ));
        out.statements
            .push(format!("DROP TABLE {}", ident(&t.name)));
    }
    out
}

/// The SQL file for one direction of a plan.
fn file(backend: Backend, plan: &MigrationStatements, rebuild: bool) -> String {
    let body = script(&plan.statements);
    if backend == Backend::Sqlite && rebuild {
        format!(
            "-- This migration rebuilds SQLite tables, which needs foreign keys off;\n\
             -- SQLite ignores that inside a transaction, so the migration runs outside\n\
             -- the harness's (metadata.toml) and opens its own.\n\
             PRAGMA foreign_keys = OFF;\nBEGIN;\n{body}{SQLITE_FK_CHECK}COMMIT;\nPRAGMA foreign_keys = ON;\n"
        )
    } else {
        body
    }
}

/// The migration, for `backend`, that takes `database` to `models` (`up`)
/// and back (`down`). Columns the models mark `renamed_from(old)` are
/// renamed, not dropped and added.
pub fn migration_sql(backend: Backend, models: &Schema, database: &Schema) -> Generated {
    let differences = compare(models, database);
    let up = plan(backend, database, models, &hinted_renames);
    let down = plan(backend, models, database, &|from: &Table, to: &Table| {
        hinted_renames(to, from)
            .into_iter()
            .map(|(old, new)| (new, old))
            .collect()
    });
    let rebuild = up.rebuild || down.rebuild;
    Generated {
        differences,
        up: file(backend, &up, rebuild),
        down: file(backend, &down, rebuild),
        run_in_transaction: !(backend == Backend::Sqlite && rebuild),
        warnings: up.warnings,
    }
}

/// The two schemas a generated migration goes between: the models' (with
/// every foreign key pointing at one of them) and the live database's that
/// `conn` is connected to. [`migrate::make_migration`](crate::migrate::make_migration)
/// compares them and writes the files.
pub(crate) fn models_and_database<C: DbConnection + ?Sized>(
    conn: &mut C,
    models: &[ModelMeta],
) -> Result<(Schema, Schema)> {
    let wanted = Schema::from_models(models);
    check_references(&wanted)?;
    let live = introspect(conn)?;
    Ok((wanted, live))
}
