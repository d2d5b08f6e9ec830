//! A schema builder for Rust migrations: [`create`], [`alter`] and [`drop`]
//! a table with a [`TableBuilder`], on whichever backend the connection is.
//!
//! ```
//! use glowplug::schema::{self, ColumnType};
//! # fn main() -> glowplug::Result<()> {
//! use glowplug::prelude::*;
//! let db = Database::connect("sqlite::memory:")?;
//! let mut conn = db.get()?;
//! schema::create(&mut conn, "authors", |t| {
//!     t.increments("id");
//!     t.varchar("name", 100).unique();
//! })?;
//! schema::create(&mut conn, "books", |t| {
//!     t.increments("id");
//!     t.bigint("author_id").references("authors", "id").index();
//!     t.varchar("title", 200);
//!     t.boolean("published").default(false);
//!     t.timestamps();
//! })?;
//! schema::alter(&mut conn, "books", |t| {
//!     t.rename_column("title", "name");
//!     t.text("summary").nullable();
//!     t.drop_column("published");
//! })?;
//! let books = schema::introspect(&mut conn)?.table("books").cloned().unwrap();
//! assert_eq!(books.column("name").unwrap().ty, ColumnType::Varchar(Some(200)));
//! assert!(books.column("summary").unwrap().nullable);
//! assert!(books.column("published").is_none());
//! schema::drop(&mut conn, "books")?;
//! # Ok(())
//! # }
//! ```
//!
//! Each call runs in a transaction (a savepoint inside a migration's). On
//! SQLite, an alteration its `ALTER TABLE` cannot do rebuilds the table
//! (see [`migration_sql`](super::migration_sql)); that needs foreign keys
//! off, which SQLite cannot do inside a transaction, so such a Rust
//! migration must be built with
//! [`RustMigration::without_transaction`](crate::migrate::RustMigration::without_transaction)
//! (the error says so otherwise). The rebuild then runs in its own
//! transaction and is refused, with nothing kept, if a row would reference
//! a missing parent.

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};

use super::diff::table_delta;
use super::generate::{SQLITE_FK_CHECK, alter_table};
use super::{Column, ColumnType, ForeignKey, Index, Table, introspect};
use crate::backend::ident;
use crate::connection::{Backend, BackendConnection, DbConnection, SqliteConnection};
use crate::error::{Error, Result};

/// A table being created or altered, by [`create`](crate::schema::create) or [`alter`](crate::schema::alter).
#[derive(Debug, Clone)]
pub struct TableBuilder {
    table: Table,
    renames: Vec<(String, String)>,
    errors: Vec<String>,
}

/// A column just added to a [`TableBuilder`]; its methods set the column's
/// constraints.
#[derive(Debug)]
pub struct ColumnBuilder<'a> {
    table: &'a mut Table,
    at: usize,
}

/// A value a column default can be: `bool`, integers, `f64`, `&str`.
pub trait DefaultValue {
    /// The value as a canonical SQL literal.
    fn sql_literal(&self) -> String;
}

/// Numbers and booleans are their own SQL literals.
macro_rules! default_value_as_display {
    ($($t:ty),*) => {$(
        impl DefaultValue for $t {
            fn sql_literal(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
default_value_as_display!(bool, i32, i64, f64);

impl DefaultValue for &str {
    fn sql_literal(&self) -> String {
        crate::backend::string_literal(self)
    }
}

impl ColumnBuilder<'_> {
    fn column(&mut self) -> &mut Column {
        &mut self.table.columns[self.at]
    }

    fn name(&self) -> String {
        self.table.columns[self.at].name.clone()
    }

    /// The column accepts NULL.
    pub fn nullable(mut self) -> Self {
        self.column().nullable = true;
        self
    }

    /// The column's default.
    pub fn default(mut self, value: impl DefaultValue) -> Self {
        self.column().default = Some(value.sql_literal());
        self
    }

    /// Values must be unique.
    pub fn unique(self) -> Self {
        let columns = vec![self.name()];
        self.table.indexes.push(Index::new(columns, true));
        self
    }

    /// The column is indexed.
    pub fn index(self) -> Self {
        let columns = vec![self.name()];
        self.table.indexes.push(Index::new(columns, false));
        self
    }

    /// A foreign key to `table (column)`.
    pub fn references(self, table: &str, column: &str) -> Self {
        let columns = vec![self.name()];
        self.table
            .foreign_keys
            .push(ForeignKey::new(columns, table, vec![column.to_owned()]));
        self
    }
}

impl TableBuilder {
    fn new(table: Table) -> TableBuilder {
        TableBuilder {
            table,
            renames: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Adds a column of type `ty`, not null, without default.
    pub fn column(&mut self, name: &str, ty: ColumnType) -> ColumnBuilder<'_> {
        if self.table.column(name).is_some() {
            self.errors.push(format!(
                "column `{name}` is added twice to `{}`",
                self.table.name
            ));
        }
        self.table.columns.push(Column::new(name, ty));
        ColumnBuilder {
            at: self.table.columns.len() - 1,
            table: &mut self.table,
        }
    }

    /// An auto-increment 64-bit primary key (`pk` in `model!`).
    pub fn increments(&mut self, name: &str) -> ColumnBuilder<'_> {
        if !self.table.primary_key.is_empty() {
            self.errors.push(format!(
                "`{}` already has a primary key ({}); a table has one",
                self.table.name,
                self.table.primary_key.join(", ")
            ));
        }
        self.table.primary_key = vec![name.to_owned()];
        let mut column = self.column(name, ColumnType::BigInt);
        column.column().auto_increment = true;
        column
    }

    /// A 32-bit integer column.
    pub fn integer(&mut self, name: &str) -> ColumnBuilder<'_> {
        self.column(name, ColumnType::Integer)
    }

    /// A 64-bit integer column.
    pub fn bigint(&mut self, name: &str) -> ColumnBuilder<'_> {
        self.column(name, ColumnType::BigInt)
    }

    /// An unbounded text column.
    pub fn text(&mut self, name: &str) -> ColumnBuilder<'_> {
        self.column(name, ColumnType::Text)
    }

    /// A text column of at most `max` characters.
    pub fn varchar(&mut self, name: &str, max: u32) -> ColumnBuilder<'_> {
        self.column(name, ColumnType::Varchar(Some(max)))
    }

    /// A boolean column.
    pub fn boolean(&mut self, name: &str) -> ColumnBuilder<'_> {
        self.column(name, ColumnType::Bool)
    }

    /// A timestamp column (without time zone).
    pub fn timestamp(&mut self, name: &str) -> ColumnBuilder<'_> {
        self.column(name, ColumnType::Timestamp)
    }

    /// `created_at` and `updated_at`, timestamps, not null (as `timestamps` in `model!`).
    pub fn timestamps(&mut self) {
        self.timestamp("created_at");
        self.timestamp("updated_at");
    }

    /// A unique key over `columns`.
    pub fn unique(&mut self, columns: &[&str]) {
        self.key(columns, true);
    }

    /// An index over `columns`.
    pub fn index(&mut self, columns: &[&str]) {
        self.key(columns, false);
    }

    fn key(&mut self, columns: &[&str], unique: bool) {
        self.require(columns);
        let columns = columns.iter().map(|c| (*c).to_owned()).collect();
        self.table.indexes.push(Index::new(columns, unique));
    }

    /// A foreign key from `columns` to `table (references)`.
    pub fn foreign(&mut self, columns: &[&str], table: &str, references: &[&str]) {
        self.require(columns);
        let owned = |names: &[&str]| names.iter().map(|c| (*c).to_owned()).collect();
        self.table
            .foreign_keys
            .push(ForeignKey::new(owned(columns), table, owned(references)));
    }

    /// Drops a column, with the keys and indexes that use it.
    pub fn drop_column(&mut self, name: &str) {
        if !self.require(&[name]) {
            return;
        }
        let t = &mut self.table;
        t.columns.retain(|c| c.name != name);
        t.indexes.retain(|i| !i.columns.iter().any(|c| c == name));
        t.foreign_keys
            .retain(|k| !k.columns.iter().any(|c| c == name));
    }

    /// Renames a column, keeping its data, keys and indexes.
    pub fn rename_column(&mut self, from: &str, to: &str) {
        if !self.require(&[from]) {
            return;
        }
        let rename = |c: &mut String| {
            if c == from {
                *c = to.to_owned();
            }
        };
        let t = &mut self.table;
        t.columns.iter_mut().for_each(|c| rename(&mut c.name));
        t.primary_key.iter_mut().for_each(rename);
        for i in &mut t.indexes {
            i.columns.iter_mut().for_each(rename);
        }
        for k in &mut t.foreign_keys {
            k.columns.iter_mut().for_each(rename);
        }
        self.renames.push((from.to_owned(), to.to_owned()));
    }

    /// Drops the unique key or index over exactly `columns`.
    pub fn drop_index(&mut self, columns: &[&str]) {
        let before = self.table.indexes.len();
        self.table.indexes.retain(|i| i.columns != columns);
        if self.table.indexes.len() == before {
            self.errors.push(format!(
                "`{}` has no index or unique key over ({})",
                self.table.name,
                columns.join(", ")
            ));
        }
    }

    /// Drops the foreign key from exactly `columns`.
    pub fn drop_foreign(&mut self, columns: &[&str]) {
        let before = self.table.foreign_keys.len();
        self.table.foreign_keys.retain(|k| k.columns != columns);
        if self.table.foreign_keys.len() == before {
            self.errors.push(format!(
                "`{}` has no foreign key from ({})",
                self.table.name,
                columns.join(", ")
            ));
        }
    }

    /// Records an error unless every column exists; whether they all do.
    fn require(&mut self, columns: &[&str]) -> bool {
        let missing: Vec<&str> = columns
            .iter()
            .copied()
            .filter(|c| self.table.column(c).is_none())
            .collect();
        if !missing.is_empty() {
            let have: Vec<&str> = self.table.columns.iter().map(|c| c.name.as_str()).collect();
            self.errors.push(format!(
                "`{}` has no column {}; its columns are {}",
                self.table.name,
                missing.join(", "),
                have.join(", ")
            ));
        }
        missing.is_empty()
    }

    fn finish(self) -> Result<(Table, Vec<(String, String)>)> {
        if self.errors.is_empty() {
            Ok((self.table, self.renames))
        } else {
            Err(Error::schema(format!(
                "schema builder: {}",
                self.errors.join("; ")
            )))
        }
    }
}

impl TableBuilder {
    /// The `CREATE TABLE` and `CREATE INDEX` statements for the table `f` builds.
    ///
    /// ```
    /// use glowplug::Backend;
    /// let sql = glowplug::schema::TableBuilder::create_sql(Backend::Postgres, "tags", |t| {
    ///     t.increments("id");
    ///     t.varchar("name", 50).unique();
    /// })?;
    /// assert_eq!(sql, ["CREATE TABLE tags (\n    id BIGSERIAL PRIMARY KEY,\n    name VARCHAR(50) NOT NULL UNIQUE\n)"]);
    /// # Ok::<(), glowplug::Error>(())
    /// ```
    pub fn create_sql(
        backend: Backend,
        name: &str,
        f: impl FnOnce(&mut TableBuilder),
    ) -> Result<Vec<String>> {
        let mut builder = TableBuilder::new(Table::new(name));
        f(&mut builder);
        let (table, _) = builder.finish()?;
        if table.columns.is_empty() {
            return Err(Error::schema(format!(
                "schema builder: `{name}` has no columns; add at least one"
            )));
        }
        Ok(super::ddl::create_table(backend, &table, &[]))
    }
}

/// Creates the table `name` as `f` describes it.
pub fn create<C: DbConnection + ?Sized>(
    conn: &mut C,
    name: &str,
    f: impl FnOnce(&mut TableBuilder),
) -> Result<()> {
    let mut conn = conn.backend_connection();
    let statements = TableBuilder::create_sql(conn.backend(), name, f)?;
    run(&mut conn, &statements)
}

/// Alters the table `name`: `f` gets a builder holding the table as the
/// database has it and adds, drops and renames columns, keys and indexes.
pub fn alter<C: DbConnection + ?Sized>(
    conn: &mut C,
    name: &str,
    f: impl FnOnce(&mut TableBuilder),
) -> Result<()> {
    let mut conn = conn.backend_connection();
    let backend = conn.backend();
    let live = introspect(&mut conn)?;
    let Some(current) = live.table(name) else {
        return Err(Error::schema(format!(
            "schema builder: table `{name}` does not exist, so it cannot be altered; create it with `schema::create`"
        )));
    };
    let mut builder = TableBuilder::new(current.clone());
    f(&mut builder);
    let (wanted, renames) = builder.finish()?;
    let delta = table_delta(backend, current, &wanted, renames);
    if delta.is_empty() {
        return Ok(());
    }
    let plan = alter_table(backend, &delta);
    match &mut conn {
        BackendConnection::Sqlite(c) if plan.rebuild => rebuild(c, name, &plan.statements),
        _ => run(&mut conn, &plan.statements),
    }
}

/// Drops the table `name`.
pub fn drop<C: DbConnection + ?Sized>(conn: &mut C, name: &str) -> Result<()> {
    let mut conn = conn.backend_connection();
    run(&mut conn, &[format!("DROP TABLE {}", ident(name))])
}

fn run(conn: &mut BackendConnection<'_>, statements: &[String]) -> Result<()> {
    super::ddl::run_script(conn, &super::ddl::script(statements))
}

/// Runs a SQLite table rebuild with foreign keys off, in its own transaction.
fn rebuild(conn: &mut SqliteConnection, table: &str, statements: &[String]) -> Result<()> {
    let in_transaction = AnsiTransactionManager::transaction_manager_status_mut(conn)
        .transaction_depth()
        .map_err(Error::from)?
        .is_some();
    let enforced = crate::backend::sqlite::foreign_keys(conn)?;
    let body = format!("{}{SQLITE_FK_CHECK}", super::ddl::script(statements));
    let fk_error = |e: diesel::result::Error| -> Error {
        if e.to_string().contains("foreign_keys_must_hold") {
            Error::schema(format!(
                "rebuilding `{table}` would leave rows that reference missing rows (PRAGMA foreign_key_check); nothing was changed"
            ))
        } else {
            e.into()
        }
    };
    if !enforced {
        return crate::transaction(conn, |c| c.batch_execute(&body)).map_err(fk_error);
    }
    if in_transaction {
        return Err(Error::schema(format!(
            "altering `{table}` needs SQLite's table rebuild, which needs foreign keys off, and SQLite cannot switch them off inside a transaction; build this Rust migration with `.without_transaction()`"
        )));
    }
    crate::backend::sqlite::set_foreign_keys(conn, false)?;
    let result = crate::transaction(conn, |c| c.batch_execute(&body)).map_err(fk_error);
    let restored = crate::backend::sqlite::set_foreign_keys(conn, true);
    result?;
    restored.map_err(Error::from)
}
