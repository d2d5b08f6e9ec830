//! Comparing two schemas: what the drift check reports and what generated
//! migrations are made from.

use std::fmt;

use super::{Column, ColumnType, ForeignKey, Index, Schema, Table, check_references, introspect};
use crate::connection::{Backend, DbConnection};
use crate::error::{Error, Result};
use crate::meta::ModelMeta;

/// One difference between the models and the database.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Difference {
    /// A model's table does not exist.
    MissingTable(String),
    /// A table exists that no model declares.
    ExtraTable(String),
    /// A model's column does not exist.
    MissingColumn {
        /// The table.
        table: String,
        /// The column as the model declares it.
        column: Column,
    },
    /// A column exists that the model does not declare.
    ExtraColumn {
        /// The table.
        table: String,
        /// The column as the database has it.
        column: Column,
    },
    /// The model renames a column (`renamed_from(old)`) the database still
    /// has under its old name.
    RenamedColumn {
        /// The table.
        table: String,
        /// The name in the database.
        from: String,
        /// The name in the model.
        to: String,
    },
    /// A column's type differs.
    Type {
        /// The table.
        table: String,
        /// The column (the model's name).
        column: String,
        /// The model's type.
        model: ColumnType,
        /// The database's type.
        database: ColumnType,
    },
    /// A column accepts NULL on one side only.
    Nullability {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// Whether the model's column is nullable.
        model: bool,
    },
    /// A column's default differs.
    Default {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// The model's default.
        model: Option<String>,
        /// The database's default.
        database: Option<String>,
    },
    /// The primary key differs (columns, or whether the database assigns it).
    PrimaryKey {
        /// The table.
        table: String,
        /// What the model declares.
        model: String,
        /// What the database has.
        database: String,
    },
    /// A model's unique key or index does not exist.
    MissingIndex {
        /// The table.
        table: String,
        /// The key or index.
        index: Index,
    },
    /// A unique key or index exists that the model does not declare.
    ExtraIndex {
        /// The table.
        table: String,
        /// The key or index, with the database's name.
        index: Index,
    },
    /// A model's foreign key does not exist.
    MissingForeignKey {
        /// The table.
        table: String,
        /// The key.
        key: ForeignKey,
    },
    /// A foreign key exists that the model does not declare.
    ExtraForeignKey {
        /// The table.
        table: String,
        /// The key.
        key: ForeignKey,
    },
}

fn null_word(nullable: bool) -> &'static str {
    if nullable { "null" } else { "not null" }
}

impl fmt::Display for Difference {
    // One arm per variant, the message each difference prints; longer than
    // 80 lines only because rustfmt spreads each arm's fields.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Difference::MissingTable(t) => write!(f, "table `{t}` is missing from the database"),
            Difference::ExtraTable(t) => {
                write!(f, "table `{t}` is in the database but no model declares it")
            }
            Difference::MissingColumn { table, column } => write!(
                f,
                "{table}: column `{}` ({}) is missing from the database",
                column.name,
                column.describe()
            ),
            Difference::ExtraColumn { table, column } => write!(
                f,
                "{table}: column `{}` ({}) is in the database but not in the model",
                column.name,
                column.describe()
            ),
            Difference::RenamedColumn { table, from, to } => write!(
                f,
                "{table}.{to}: the model renames it from `{from}` (renamed_from), the database still calls it `{from}`"
            ),
            Difference::Type {
                table,
                column,
                model,
                database,
            } => write!(
                f,
                "{table}.{column}: type is {database} in the database, {model} in the model"
            ),
            Difference::Nullability {
                table,
                column,
                model,
            } => write!(
                f,
                "{table}.{column}: {} in the database, {} in the model",
                null_word(!model),
                null_word(*model)
            ),
            Difference::Default {
                table,
                column,
                model,
                database,
            } => {
                let show = |d: &Option<String>| d.clone().unwrap_or_else(|| "none".into());
                write!(
                    f,
                    "{table}.{column}: default is {} in the database, {} in the model",
                    show(database),
                    show(model)
                )
            }
            Difference::PrimaryKey {
                table,
                model,
                database,
            } => write!(
                f,
                "{table}: primary key is {database} in the database, {model} in the model"
            ),
            Difference::MissingIndex { table, index } => write!(
                f,
                "{table}: {} is missing from the database",
                index.describe()
            ),
            Difference::ExtraIndex { table, index } => write!(
                f,
                "{table}: {}{} is in the database but not in the model",
                index.describe(),
                index
                    .name
                    .as_ref()
                    .map(|n| format!(" `{n}`"))
                    .unwrap_or_default()
            ),
            Difference::MissingForeignKey { table, key } => {
                write!(
                    f,
                    "{table}: {} is missing from the database",
                    key.describe()
                )
            }
            Difference::ExtraForeignKey { table, key } => write!(
                f,
                "{table}: {} is in the database but not in the model",
                key.describe()
            ),
        }
    }
}

impl Difference {
    /// The differences one per line, each starting with `  - `.
    pub fn list(differences: &[Difference]) -> String {
        differences
            .iter()
            .map(|d| format!("  - {d}"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Column renames of one table, `(old, new)`.
pub(crate) type Renames = Vec<(String, String)>;

/// How one table of `from` becomes the same table of `to`.
pub(crate) struct TableDelta<'a> {
    pub(crate) backend: Backend,
    pub(crate) to: &'a Table,
    /// `from` with the renames applied to its columns and keys.
    pub(crate) from: Table,
    /// `(old, new)` column names.
    pub(crate) renames: Vec<(String, String)>,
    pub(crate) added: Vec<&'a Column>,
    pub(crate) dropped: Vec<Column>,
    /// Columns on both sides, `(from, to)`, that differ.
    pub(crate) changed: Vec<(Column, &'a Column)>,
    pub(crate) added_indexes: Vec<&'a Index>,
    pub(crate) dropped_indexes: Vec<Index>,
    pub(crate) added_fks: Vec<&'a ForeignKey>,
    pub(crate) dropped_fks: Vec<ForeignKey>,
    pub(crate) primary_key_changed: bool,
}

impl TableDelta<'_> {
    pub(crate) fn is_empty(&self) -> bool {
        self.renames.is_empty()
            && self.added.is_empty()
            && self.dropped.is_empty()
            && self.changed.is_empty()
            && self.added_indexes.is_empty()
            && self.dropped_indexes.is_empty()
            && self.added_fks.is_empty()
            && self.dropped_fks.is_empty()
            && !self.primary_key_changed
    }
}

/// The backend whose type rules apply between `a` and `b`: the one either
/// was read from; exact comparison (PostgreSQL's rules) for two model schemas.
pub(crate) fn rules(a: &Schema, b: &Schema) -> Backend {
    b.backend.or(a.backend).unwrap_or(Backend::Postgres)
}

/// Whether two column types are the same on `backend` (SQLite has no JSON
/// type, and its auto-increment key is `INTEGER` whatever the Rust width;
/// enum values in another order are the same enum).
pub(crate) fn same_type(backend: Backend, a: &Column, b: &Column) -> bool {
    if a.ty == b.ty {
        return true;
    }
    // The values of an enum's check are a set.
    if let (ColumnType::Enum(x), ColumnType::Enum(y)) = (&a.ty, &b.ty) {
        return x.len() == y.len() && x.iter().all(|v| y.contains(v));
    }
    backend == Backend::Sqlite
        && (matches!(
            (&a.ty, &b.ty),
            (ColumnType::Json, ColumnType::Text) | (ColumnType::Text, ColumnType::Json)
        ) || (a.auto_increment && b.auto_increment && a.ty.is_integer() && b.ty.is_integer()))
}

fn same_column(backend: Backend, a: &Column, b: &Column) -> bool {
    same_type(backend, a, b)
        && a.nullable == b.nullable
        && a.auto_increment == b.auto_increment
        && (a.default == b.default || a.auto_increment)
}

/// The renames the `to` side's hints ask for: `renamed_from(old)` where
/// `from` has `old` and not the new name.
pub(crate) fn hinted_renames(from: &Table, to: &Table) -> Vec<(String, String)> {
    to.columns
        .iter()
        .filter_map(|c| {
            let old = c.renamed_from.as_ref()?;
            (from.column(&c.name).is_none() && from.column(old).is_some())
                .then(|| (old.clone(), c.name.clone()))
        })
        .collect()
}

/// Compares one table on both sides, `renames` being `(old, new)` pairs.
pub(crate) fn table_delta<'a>(
    backend: Backend,
    from: &Table,
    to: &'a Table,
    renames: Vec<(String, String)>,
) -> TableDelta<'a> {
    let rename = |name: &String| -> String {
        renames
            .iter()
            .find(|(old, _)| old == name)
            .map(|(_, new)| new.clone())
            .unwrap_or_else(|| name.clone())
    };
    let mut renamed = from.clone();
    for c in &mut renamed.columns {
        c.name = rename(&c.name);
    }
    renamed.primary_key = renamed.primary_key.iter().map(rename).collect();
    for i in &mut renamed.indexes {
        i.columns = i.columns.iter().map(rename).collect();
    }
    for fk in &mut renamed.foreign_keys {
        fk.columns = fk.columns.iter().map(rename).collect();
    }
    let added = to
        .columns
        .iter()
        .filter(|c| renamed.column(&c.name).is_none())
        .collect();
    let dropped = renamed
        .columns
        .iter()
        .filter(|c| to.column(&c.name).is_none())
        .cloned()
        .collect();
    let changed = to
        .columns
        .iter()
        .filter_map(|c| {
            let old = renamed.column(&c.name)?;
            (!same_column(backend, old, c)).then(|| (old.clone(), c))
        })
        .collect();
    let added_indexes = to
        .indexes
        .iter()
        .filter(|i| !renamed.indexes.iter().any(|j| j.same_key(i)))
        .collect();
    let dropped_indexes = renamed
        .indexes
        .iter()
        .filter(|i| !to.indexes.iter().any(|j| j.same_key(i)))
        .cloned()
        .collect();
    let added_fks = to
        .foreign_keys
        .iter()
        .filter(|k| !renamed.foreign_keys.iter().any(|j| j.same_key(k)))
        .collect();
    let dropped_fks = renamed
        .foreign_keys
        .iter()
        .filter(|k| !to.foreign_keys.iter().any(|j| j.same_key(k)))
        .cloned()
        .collect();
    let primary_key_changed = renamed.primary_key != to.primary_key;
    TableDelta {
        backend,
        to,
        from: renamed,
        renames,
        added,
        dropped,
        changed,
        added_indexes,
        dropped_indexes,
        added_fks,
        dropped_fks,
        primary_key_changed,
    }
}

/// Every difference between `models` (the wanted schema) and `database`,
/// table by table in the models' order, then tables no model declares.
/// The type rules of the backend `database` was read from apply.
pub fn compare(models: &Schema, database: &Schema) -> Vec<Difference> {
    let backend = rules(models, database);
    let mut out = Vec::new();
    for want in &models.tables {
        let Some(have) = database.table(&want.name) else {
            out.push(Difference::MissingTable(want.name.clone()));
            continue;
        };
        let delta = table_delta(backend, have, want, hinted_renames(have, want));
        out.extend(delta_differences(&delta));
    }
    for have in &database.tables {
        if models.table(&have.name).is_none() {
            out.push(Difference::ExtraTable(have.name.clone()));
        }
    }
    out
}

fn delta_differences(d: &TableDelta<'_>) -> Vec<Difference> {
    let table = d.to.name.clone();
    let mut out = Vec::new();
    for (from, to) in &d.renames {
        out.push(Difference::RenamedColumn {
            table: table.clone(),
            from: from.clone(),
            to: to.clone(),
        });
    }
    if d.primary_key_changed {
        out.push(Difference::PrimaryKey {
            table: table.clone(),
            model: format!("({})", d.to.primary_key.join(", ")),
            database: format!("({})", d.from.primary_key.join(", ")),
        });
    }
    for c in &d.added {
        out.push(Difference::MissingColumn {
            table: table.clone(),
            column: (*c).clone(),
        });
    }
    for c in &d.dropped {
        out.push(Difference::ExtraColumn {
            table: table.clone(),
            column: c.clone(),
        });
    }
    for (have, want) in &d.changed {
        column_differences(&table, d.backend, have, want, &mut out);
    }
    for i in &d.added_indexes {
        out.push(Difference::MissingIndex {
            table: table.clone(),
            index: (*i).clone(),
        });
    }
    for i in &d.dropped_indexes {
        out.push(Difference::ExtraIndex {
            table: table.clone(),
            index: i.clone(),
        });
    }
    for k in &d.added_fks {
        out.push(Difference::MissingForeignKey {
            table: table.clone(),
            key: (*k).clone(),
        });
    }
    for k in &d.dropped_fks {
        out.push(Difference::ExtraForeignKey {
            table: table.clone(),
            key: k.clone(),
        });
    }
    out
}

/// How one column differs between the database (`have`) and the model (`want`).
fn column_differences(
    table: &str,
    backend: Backend,
    have: &Column,
    want: &Column,
    out: &mut Vec<Difference>,
) {
    let table = table.to_owned();
    let column = want.name.clone();
    if have.auto_increment != want.auto_increment {
        let assigned = |c: &Column| {
            format!(
                "{} ({})",
                c.name,
                if c.auto_increment {
                    "assigned by the database"
                } else {
                    "not assigned by the database"
                }
            )
        };
        out.push(Difference::PrimaryKey {
            table: table.clone(),
            model: assigned(want),
            database: assigned(have),
        });
    }
    if !same_type(backend, have, want) {
        out.push(Difference::Type {
            table: table.clone(),
            column: column.clone(),
            model: want.ty.clone(),
            database: have.ty.clone(),
        });
    }
    if have.nullable != want.nullable {
        out.push(Difference::Nullability {
            table: table.clone(),
            column: column.clone(),
            model: want.nullable,
        });
    }
    if have.default != want.default && !want.auto_increment {
        out.push(Difference::Default {
            table: table.clone(),
            column,
            model: want.default.clone(),
            database: have.default.clone(),
        });
    }
}

/// Every difference between the models and the database `conn` is
/// connected to (see the [module docs](super) for what is compared).
/// Empty when they match.
pub fn diff<C: DbConnection + ?Sized>(
    conn: &mut C,
    models: &[ModelMeta],
) -> Result<Vec<Difference>> {
    let wanted = Schema::from_models(models);
    check_references(&wanted)?;
    let live = introspect(conn)?;
    Ok(compare(&wanted, &live))
}

/// [`diff`], as an error: [`Error::Drift`] listing every difference, or
/// `Ok(())` when the database matches the models.
pub fn check<C: DbConnection + ?Sized>(conn: &mut C, models: &[ModelMeta]) -> Result<()> {
    let differences = diff(conn, models)?;
    if differences.is_empty() {
        Ok(())
    } else {
        Err(Error::Drift(differences))
    }
}

/// A test helper: panics with the list of differences unless the database
/// matches the models, e.g. after running the migrations in a test.
///
/// ```
/// glowplug::model! {
///     Note { id: pk, body: text }
/// }
/// # fn main() -> glowplug::Result<()> {
/// use glowplug::prelude::*;
/// let db = Database::connect("sqlite::memory:")?;
/// let mut conn = db.get()?;
/// conn.backend_connection()
///     .batch_execute("CREATE TABLE notes (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL)")?;
/// glowplug::schema::assert_no_drift(&mut conn, &[Note::META]);
/// # Ok(())
/// # }
/// ```
#[track_caller]
pub fn assert_no_drift<C: DbConnection + ?Sized>(conn: &mut C, models: &[ModelMeta]) {
    match check(conn, models) {
        Ok(()) => {}
        Err(e) => panic!("{e}"),
    }
}
