//! Schema from the models: DDL, a schema builder, introspection, drift checks
//! and generated migrations.
//!
//! The `model!` declarations are the source of truth. This module turns them
//! into a backend-neutral [`Schema`] (tables, columns, keys, indexes, foreign
//! keys), reads the same description back from a live database
//! ([`introspect`]), compares the two ([`diff`]), and writes the SQL that
//! takes one to the other, for PostgreSQL and SQLite:
//!
//! * [`create_all`] / [`drop_all`] and [`create_sql`]: the whole schema of a
//!   set of models, tables ordered so every foreign key points at a table
//!   created before it (prototypes and tests);
//! * [`create`], [`alter`] and [`drop`] with a [`TableBuilder`]: a schema
//!   builder for Rust migrations;
//! * [`diff`] / [`check`] / [`assert_no_drift`]: every difference between the
//!   models and the database, readable;
//! * [`migration_sql`]: `up.sql` and `down.sql` from that difference, which
//!   [`migrate::make_migration`](crate::migrate::make_migration) writes
//!   (Django's `makemigrations`).
//!
//! # What is compared, and how
//!
//! * **Types** are glowplug's portable types ([`ColumnType`]); a column of a type
//!   glowplug does not model is [`ColumnType::Other`] with the database's name.
//!   On SQLite a `json` column may be declared `TEXT` (SQLite has no JSON
//!   type), and an auto-increment key is `INTEGER PRIMARY KEY` whatever its
//!   Rust width.
//! * **Defaults** are compared as SQL literals. A `default(expr)` whose `expr`
//!   is a Rust literal (`true`, `7`, `1.5`, `"text"`), or an enum column's
//!   `default(Variant)` (the text `'Variant'`), becomes a database default too; any other expression is applied by glowplug on insert only,
//!   so the database has no default for it and none is expected.
//! * **Unique keys** are compared by their column lists, whether the database
//!   holds them as constraints or unique indexes; **indexes** by their column
//!   lists; names are not compared. A column declared `unique index` gets
//!   only the unique key (which is an index).
//! * **Foreign keys** by column, referenced table and column, and `ON DELETE`
//!   action (`on_delete(..)`; a changed action is the key dropped and added
//!   again: PostgreSQL drops and re-adds the constraint, SQLite rebuilds the
//!   table). `ON UPDATE` actions, check constraints (but an `enum(..)` column's, which is part
//!   of its type), partial and expression indexes, views and triggers are
//!   outside the model and are not compared.
//! * **Enums** (`enum(..)` columns) are `TEXT` with a check listing the
//!   values on both backends; introspection reads the values back from the
//!   check, and two lists with the same values in another order are the
//!   same type. A changed list is a type difference: PostgreSQL drops and
//!   re-adds the check, SQLite rebuilds the table (both fail while a row
//!   holds a value the new list lacks).
//! * The migration ledgers (`__diesel_schema_migrations`, `glowplug_migrations`)
//!   are not part of any model and are ignored.

mod builder;
mod check;
mod ddl;
mod diff;
mod generate;
mod introspect;

pub use builder::{ColumnBuilder, DefaultValue, TableBuilder, alter, create, drop};
pub(crate) use ddl::rust_literal as ddl_literal;
pub use ddl::{create_all, create_sql, drop_all, drop_sql};
pub use diff::{Difference, assert_no_drift, check, compare, diff};
pub(crate) use generate::models_and_database;
pub use generate::{Generated, migration_sql};
pub use introspect::introspect;

/// The `CREATE TABLE` and `CREATE INDEX` script of one table.
#[cfg_attr(not(feature = "cli"), allow(dead_code))] // `generate model` only
pub(crate) fn create_table_sql(backend: Backend, table: &Table) -> String {
    ddl::script(&ddl::create_table(backend, table, &[]))
}

use crate::connection::Backend;
use crate::meta::{ModelMeta, OnDelete};

/// The tables glowplug's migration harness owns; never part of a model.
pub(crate) use crate::migrate::LEDGER_TABLES;

/// The column type of the schema tools: the same type as the models'
/// [`ColumnType`](crate::ColumnType) (one list of types, one table of their names: `src/types.rs`).
pub use crate::meta::ColumnType;

/// One column of a [`Table`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Column {
    /// The column name.
    pub name: String,
    /// The type.
    pub ty: ColumnType,
    /// Whether it accepts NULL.
    pub nullable: bool,
    /// The default as a canonical SQL literal (`'text'`, `7`, `true`), or the
    /// database's expression for anything else.
    pub default: Option<String>,
    /// Whether the database assigns the value (`BIGSERIAL`, identity,
    /// SQLite's `INTEGER PRIMARY KEY`).
    pub auto_increment: bool,
    /// The column's previous name, from the model's `renamed_from(old)`.
    pub renamed_from: Option<String>,
}

impl Column {
    /// A column of type `ty`, not null, without default.
    pub fn new(name: impl Into<String>, ty: ColumnType) -> Column {
        Column {
            name: name.into(),
            ty,
            nullable: false,
            default: None,
            auto_increment: false,
            renamed_from: None,
        }
    }

    /// `bigint not null`, with `null` and a default when it has them.
    fn describe(&self) -> String {
        let mut out = self.ty.to_string();
        if self.auto_increment {
            out.push_str(" auto-increment");
        }
        out.push_str(if self.nullable { " null" } else { " not null" });
        if let Some(d) = &self.default {
            out.push_str(&format!(" default {d}"));
        }
        out
    }
}

/// A unique key or an index of a [`Table`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Index {
    /// The name in the database; `None` until the database names it.
    pub name: Option<String>,
    /// The columns, in key order.
    pub columns: Vec<String>,
    /// Whether the combination is unique.
    pub unique: bool,
    /// Whether the database holds it as a table constraint (`UNIQUE (..)`)
    /// rather than an index made with `CREATE INDEX`.
    pub constraint: bool,
}

impl Index {
    /// A unique key (a constraint) or an index over `columns`, not yet named.
    pub fn new(columns: Vec<String>, unique: bool) -> Index {
        Index {
            name: None,
            columns,
            unique,
            constraint: unique,
        }
    }

    fn same_key(&self, other: &Index) -> bool {
        self.unique == other.unique && self.columns == other.columns
    }

    fn describe(&self) -> String {
        format!(
            "{} ({})",
            if self.unique { "unique key" } else { "index" },
            self.columns.join(", ")
        )
    }
}

/// A foreign key of a [`Table`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ForeignKey {
    /// The constraint name in the database, if it has one.
    pub name: Option<String>,
    /// The referencing columns.
    pub columns: Vec<String>,
    /// The referenced table.
    pub table: String,
    /// The referenced columns.
    pub references: Vec<String>,
    /// The action on delete of a referenced row (`ON DELETE ...`).
    pub on_delete: OnDelete,
}

impl ForeignKey {
    /// A foreign key from `columns` to `table (references)`, not yet named.
    pub fn new(
        columns: Vec<String>,
        table: impl Into<String>,
        references: Vec<String>,
    ) -> ForeignKey {
        ForeignKey {
            name: None,
            columns,
            table: table.into(),
            references,
            on_delete: OnDelete::NoAction,
        }
    }

    /// This key with `action` on delete.
    pub fn on_delete(mut self, action: OnDelete) -> ForeignKey {
        self.on_delete = action;
        self
    }

    /// The same key: columns, referenced table and columns, and action on
    /// delete (a changed action is a key dropped and another added).
    fn same_key(&self, other: &ForeignKey) -> bool {
        self.columns == other.columns
            && self.table == other.table
            && self.references == other.references
            && self.on_delete == other.on_delete
    }

    fn describe(&self) -> String {
        format!(
            "foreign key ({}) → {} ({}){}",
            self.columns.join(", "),
            self.table,
            self.references.join(", "),
            self.on_delete.sql().to_ascii_lowercase()
        )
    }
}

/// A table: columns, primary key, unique keys and indexes, foreign keys.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Table {
    /// The table name.
    pub name: String,
    /// The columns, in order.
    pub columns: Vec<Column>,
    /// The primary-key columns.
    pub primary_key: Vec<String>,
    /// Unique keys and indexes (not the primary key).
    pub indexes: Vec<Index>,
    /// Foreign keys.
    pub foreign_keys: Vec<ForeignKey>,
}

impl Table {
    /// An empty table called `name`.
    pub fn new(name: impl Into<String>) -> Table {
        Table {
            name: name.into(),
            columns: Vec::new(),
            primary_key: Vec::new(),
            indexes: Vec::new(),
            foreign_keys: Vec::new(),
        }
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The table a model declares.
    pub fn from_model(meta: &ModelMeta) -> Table {
        let mut table = Table::new(meta.table);
        table.primary_key = vec![meta.primary_key.to_owned()];
        for c in meta.columns {
            let ty = c.sql_type.clone();
            let default = c.default.and_then(|d| ddl::rust_literal(&ty, d));
            table.columns.push(Column {
                name: c.name.to_owned(),
                ty,
                nullable: c.nullable,
                default,
                auto_increment: c.auto_increment,
                renamed_from: c.renamed_from.map(str::to_owned),
            });
            if (c.unique || c.index) && !c.primary_key {
                // A unique column needs no second, plain index.
                table
                    .indexes
                    .push(Index::new(vec![c.name.to_owned()], c.unique));
            }
            if let Some(fk) = c.foreign_key {
                table.foreign_keys.push(
                    ForeignKey::new(
                        vec![c.name.to_owned()],
                        fk.table,
                        vec![fk.column.to_owned()],
                    )
                    .on_delete(fk.on_delete),
                );
            }
        }
        for key in meta.indexes {
            let columns: Vec<String> = key.columns.iter().map(|c| (*c).to_owned()).collect();
            if !table
                .indexes
                .iter()
                .any(|i| i.columns == columns && i.unique == key.unique)
            {
                table.indexes.push(Index::new(columns, key.unique));
            }
        }
        table
    }
}

/// A set of tables: the models' or a live database's.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Schema {
    /// The tables, by name.
    pub tables: Vec<Table>,
    /// The backend the schema was read from, whose type rules apply when it
    /// is compared (see the [module docs](self)); `None` for the models'.
    pub backend: Option<Backend>,
}

impl Schema {
    /// The schema the models declare, tables in the order given.
    ///
    /// ```
    /// glowplug::model! {
    ///     User { id: pk, name: varchar(50) unique }
    /// }
    /// # fn main() {
    /// let schema = glowplug::schema::Schema::from_models(&[User::META]);
    /// assert_eq!(schema.tables[0].name, "users");
    /// assert_eq!(schema.tables[0].indexes[0].columns, ["name"]);
    /// # }
    /// ```
    pub fn from_models(models: &[ModelMeta]) -> Schema {
        Schema {
            tables: models.iter().map(Table::from_model).collect(),
            backend: None,
        }
    }

    /// The table called `name`.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// The tables ordered so that each comes after every table its foreign
    /// keys reference (self-references aside). Tables in a reference cycle
    /// keep their given order after the others.
    pub fn in_dependency_order(&self) -> Vec<&Table> {
        let mut done: Vec<&str> = Vec::new();
        let mut out: Vec<&Table> = Vec::new();
        let mut left: Vec<&Table> = self.tables.iter().collect();
        while !left.is_empty() {
            let ready = left.iter().position(|t| {
                t.foreign_keys.iter().all(|fk| {
                    fk.table == t.name
                        || done.contains(&fk.table.as_str())
                        || self.table(&fk.table).is_none()
                })
            });
            let next = left.remove(ready.unwrap_or(0));
            done.push(&next.name);
            out.push(next);
        }
        out
    }
}

/// Checks that every model's foreign keys point at a model in the list, so
/// DDL for them can run; the error names the missing model.
fn check_references(schema: &Schema) -> crate::Result<()> {
    for t in &schema.tables {
        for fk in &t.foreign_keys {
            if schema.table(&fk.table).is_none() {
                return Err(crate::Error::config(format!(
                    "table `{}` references `{}`, which is not among the models given; pass that model too",
                    t.name, fk.table
                )));
            }
        }
    }
    Ok(())
}
