//! Reading the live schema: PostgreSQL's catalogs (the connection's current
//! schema) and SQLite's pragmas (the main database).

use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text};
use diesel::{QueryableByName, RunQueryDsl, sql_query};

use super::ddl::canonical_default;
use super::{Column, ColumnType, ForeignKey, Index, LEDGER_TABLES, Schema, Table};
use crate::connection::{Backend, BackendConnection, DbConnection, PgConnection, SqliteConnection};
use crate::error::Result;
use crate::meta::OnDelete;

/// The tables, columns, types, nullability, defaults, primary keys, unique
/// keys, indexes and foreign keys of the database `conn` is connected to
/// (PostgreSQL: its current schema), tables by name. The migration ledgers
/// are left out, and so are partial and expression indexes.
///
/// ```
/// # fn main() -> glowplug::Result<()> {
/// use glowplug::prelude::*;
/// use glowplug::schema::ColumnType;
/// let db = Database::connect("sqlite::memory:")?;
/// let mut conn = db.get()?;
/// conn.backend_connection().batch_execute(
///     "CREATE TABLE notes (id INTEGER PRIMARY KEY AUTOINCREMENT, body VARCHAR(20) NOT NULL DEFAULT '')",
/// )?;
/// let schema = glowplug::schema::introspect(&mut conn)?;
/// let body = schema.table("notes").unwrap().column("body").unwrap();
/// assert_eq!(body.ty, ColumnType::Varchar(Some(20)));
/// assert_eq!(body.default.as_deref(), Some("''"));
/// # Ok(())
/// # }
/// ```
pub fn introspect<C: DbConnection + ?Sized>(conn: &mut C) -> Result<Schema> {
    let mut schema = match conn.backend_connection() {
        BackendConnection::Sqlite(c) => sqlite(c)?,
        BackendConnection::Postgres(c) => postgres(c)?,
    };
    schema
        .tables
        .retain(|t| !LEDGER_TABLES.contains(&t.name.as_str()));
    schema.tables.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(schema)
}

#[derive(QueryableByName)]
struct PgColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    ty: String,
    #[diesel(sql_type = Bool)]
    not_null: bool,
    #[diesel(sql_type = Nullable<Text>)]
    dflt: Option<String>,
    #[diesel(sql_type = Bool)]
    identity: bool,
}

#[derive(QueryableByName)]
struct PgIndex {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Bool)]
    is_unique: bool,
    #[diesel(sql_type = Bool)]
    is_primary: bool,
    #[diesel(sql_type = Bool)]
    is_constraint: bool,
    #[diesel(sql_type = Bool)]
    partial: bool,
    #[diesel(sql_type = Array<Text>)]
    columns: Vec<String>,
}

#[derive(QueryableByName)]
struct PgForeignKey {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    ref_table: String,
    #[diesel(sql_type = Array<Text>)]
    columns: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    refs: Vec<String>,
    #[diesel(sql_type = Text)]
    on_delete: String,
}

#[derive(QueryableByName)]
struct PgCheck {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    def: String,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

const PG_TABLES: &str = "SELECT c.relname::text AS name FROM pg_class c \
    JOIN pg_namespace n ON n.oid = c.relnamespace \
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')";

const PG_COLUMNS: &str = "SELECT c.relname::text AS table_name, a.attname::text AS name, \
    format_type(a.atttypid, a.atttypmod) AS ty, a.attnotnull AS not_null, \
    pg_get_expr(d.adbin, d.adrelid) AS dflt, a.attidentity IN ('a', 'd') AS identity \
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
    JOIN pg_namespace n ON n.oid = c.relnamespace \
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') \
    AND a.attnum > 0 AND NOT a.attisdropped ORDER BY c.relname, a.attnum";

const PG_INDEXES: &str = "SELECT t.relname::text AS table_name, i.relname::text AS name, \
    x.indisunique AS is_unique, x.indisprimary AS is_primary, \
    EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.contype IN ('u', 'p')) AS is_constraint, \
    (x.indpred IS NOT NULL OR 0 = ANY (x.indkey::int2[])) AS partial, \
    ARRAY(SELECT a.attname::text FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(num, ord) \
          JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.num ORDER BY k.ord) AS columns \
    FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid \
    JOIN pg_namespace n ON n.oid = t.relnamespace \
    WHERE n.nspname = current_schema() ORDER BY t.relname, i.relname";

const PG_FOREIGN_KEYS: &str = "SELECT t.relname::text AS table_name, k.conname::text AS name, \
    r.relname::text AS ref_table, \
    ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY AS c(num, ord) \
          JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = c.num ORDER BY c.ord) AS columns, \
    ARRAY(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY AS c(num, ord) \
          JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = c.num ORDER BY c.ord) AS refs, \
    k.confdeltype::text AS on_delete \
    FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid JOIN pg_class r ON r.oid = k.confrelid \
    JOIN pg_namespace n ON n.oid = t.relnamespace \
    WHERE k.contype = 'f' AND n.nspname = current_schema() ORDER BY t.relname, k.conname";

/// The checks on one column each (an `enum(..)` column's among them).
const PG_CHECKS: &str = "SELECT t.relname::text AS table_name, a.attname::text AS name, \
    pg_get_constraintdef(k.oid) AS def \
    FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid \
    JOIN pg_namespace n ON n.oid = t.relnamespace \
    JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1] \
    WHERE k.contype = 'c' AND cardinality(k.conkey) = 1 AND n.nspname = current_schema() \
    ORDER BY t.relname, k.conname";

fn postgres(conn: &mut PgConnection) -> Result<Schema> {
    let mut tables: Vec<Table> = sql_query(PG_TABLES)
        .load::<Name>(conn)?
        .into_iter()
        .map(|n| Table::new(n.name))
        .collect();
    let columns = sql_query(PG_COLUMNS).load::<PgColumn>(conn)?;
    let indexes = sql_query(PG_INDEXES).load::<PgIndex>(conn)?;
    let fks = sql_query(PG_FOREIGN_KEYS).load::<PgForeignKey>(conn)?;
    let checks = sql_query(PG_CHECKS).load::<PgCheck>(conn)?;
    for c in columns {
        let Some(t) = named(&mut tables, &c.table_name) else {
            continue;
        };
        let ty = pg_type(&c.ty);
        let serial = c.dflt.as_deref().is_some_and(|d| d.starts_with("nextval("));
        t.columns.push(Column {
            default: c
                .dflt
                .filter(|_| !serial)
                .map(|d| canonical_default(&ty, &d)),
            name: c.name,
            ty,
            nullable: !c.not_null,
            auto_increment: serial || c.identity,
            renamed_from: None,
        });
    }
    for k in checks {
        if let Some(t) = named(&mut tables, &k.table_name) {
            read_enum(t, &k.name, &k.def);
        }
    }
    for i in indexes {
        let Some(t) = named(&mut tables, &i.table_name) else {
            continue;
        };
        if i.is_primary {
            t.primary_key = i.columns;
        } else if !i.partial {
            t.indexes.push(Index {
                name: Some(i.name),
                columns: i.columns,
                unique: i.is_unique,
                constraint: i.is_constraint,
            });
        }
    }
    for fk in fks {
        if let Some(t) = named(&mut tables, &fk.table_name) {
            t.foreign_keys.push(ForeignKey {
                name: Some(fk.name),
                columns: fk.columns,
                table: fk.ref_table,
                references: fk.refs,
                on_delete: OnDelete::from_catalog(&fk.on_delete),
            });
        }
    }
    Ok(Schema {
        tables,
        backend: Some(Backend::Postgres),
    })
}

/// The table called `name`.
fn named<'t>(tables: &'t mut [Table], name: &str) -> Option<&'t mut Table> {
    tables.iter_mut().find(|t| t.name == name)
}

/// Makes `column` of `table` an enum when it is text and `sql` holds a
/// check limiting it to a list of values (`schema/check.rs`).
fn read_enum(table: &mut Table, column: &str, sql: &str) {
    if let Some(c) = table.columns.iter_mut().find(|c| c.name == column)
        && c.ty == ColumnType::Text
        && let Some(values) = super::check::enum_values(sql, column)
    {
        c.ty = ColumnType::Enum(values.into());
    }
}

/// The portable type for PostgreSQL's `format_type` text (the type table's `pg_names`).
fn pg_type(name: &str) -> ColumnType {
    ColumnType::from_database(Backend::Postgres, name)
}

#[derive(QueryableByName)]
struct SqliteColumn {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    ty: String,
    #[diesel(sql_type = BigInt)]
    not_null: i64,
    #[diesel(sql_type = Nullable<Text>)]
    dflt: Option<String>,
    #[diesel(sql_type = BigInt)]
    pk: i64,
}

#[derive(QueryableByName)]
struct SqliteIndex {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = BigInt)]
    is_unique: i64,
    #[diesel(sql_type = Text)]
    origin: String,
    #[diesel(sql_type = BigInt)]
    partial: i64,
}

#[derive(QueryableByName)]
struct SqliteIndexColumn {
    #[diesel(sql_type = Nullable<Text>)]
    name: Option<String>,
}

#[derive(QueryableByName)]
struct SqliteForeignKey {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    ref_table: String,
    #[diesel(sql_type = Text)]
    col: String,
    #[diesel(sql_type = Nullable<Text>)]
    ref_col: Option<String>,
    #[diesel(sql_type = Text)]
    on_delete: String,
}

fn sqlite(conn: &mut SqliteConnection) -> Result<Schema> {
    let names = sql_query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .load::<Name>(conn)?;
    let mut tables = Vec::new();
    for Name { name } in names {
        tables.push(sqlite_table(conn, name)?);
    }
    // A foreign key that names no column references the primary key.
    let keys: Vec<(String, Vec<String>)> = tables
        .iter()
        .map(|t| (t.name.clone(), t.primary_key.clone()))
        .collect();
    for t in &mut tables {
        for fk in &mut t.foreign_keys {
            if fk.references.is_empty()
                && let Some((_, pk)) = keys.iter().find(|(n, _)| *n == fk.table)
            {
                fk.references = pk.clone();
            }
        }
    }
    Ok(Schema {
        tables,
        backend: Some(Backend::Sqlite),
    })
}

fn sqlite_table(conn: &mut SqliteConnection, name: String) -> Result<Table> {
    use diesel::sql_types::Text as T;
    let mut table = Table::new(name);
    let columns = sql_query(
        "SELECT name, type AS ty, \"notnull\" AS not_null, dflt_value AS dflt, pk \
         FROM pragma_table_info(?) ORDER BY cid",
    )
    .bind::<T, _>(&table.name)
    .load::<SqliteColumn>(conn)?;
    let mut pk: Vec<(i64, String)> = columns
        .iter()
        .filter(|c| c.pk > 0)
        .map(|c| (c.pk, c.name.clone()))
        .collect();
    pk.sort();
    table.primary_key = pk.into_iter().map(|(_, n)| n).collect();
    for c in columns {
        let ty = sqlite_type(&c.ty);
        // An `INTEGER PRIMARY KEY` is the rowid: SQLite assigns it.
        let rowid =
            c.pk > 0 && table.primary_key.len() == 1 && c.ty.eq_ignore_ascii_case("integer");
        table.columns.push(Column {
            default: c.dflt.map(|d| canonical_default(&ty, &d)),
            nullable: c.not_null == 0 && c.pk == 0,
            name: c.name,
            ty,
            auto_increment: rowid,
            renamed_from: None,
        });
    }
    sqlite_enums(conn, &mut table)?;
    sqlite_indexes(conn, &mut table)?;
    sqlite_foreign_keys(conn, &mut table)?;
    Ok(table)
}

/// The values of `table`'s enum columns, read from their checks in the table's SQL.
fn sqlite_enums(conn: &mut SqliteConnection, table: &mut Table) -> Result<()> {
    use diesel::sql_types::Text as T;
    // An enum's values are in its check, which only the table's SQL holds.
    let created =
        sql_query("SELECT sql AS name FROM sqlite_master WHERE type = 'table' AND name = ?")
            .bind::<T, _>(&table.name)
            .load::<Name>(conn)?;
    for Name { name: sql } in &created {
        let text: Vec<String> = table
            .columns
            .iter()
            .filter(|c| c.ty == ColumnType::Text)
            .map(|c| c.name.clone())
            .collect();
        for column in text {
            read_enum(table, &column, sql);
        }
    }
    Ok(())
}

/// `table`'s indexes and unique keys, but not its primary key, partial or expression indexes.
fn sqlite_indexes(conn: &mut SqliteConnection, table: &mut Table) -> Result<()> {
    use diesel::sql_types::Text as T;
    let indexes = sql_query(
        "SELECT name, \"unique\" AS is_unique, origin, partial FROM pragma_index_list(?) ORDER BY name",
    )
    .bind::<T, _>(&table.name)
    .load::<SqliteIndex>(conn)?;
    for i in indexes {
        if i.origin == "pk" || i.partial != 0 {
            continue;
        }
        let cols = sql_query("SELECT name FROM pragma_index_info(?) ORDER BY seqno")
            .bind::<T, _>(&i.name)
            .load::<SqliteIndexColumn>(conn)?;
        let Some(columns) = cols.into_iter().map(|c| c.name).collect::<Option<Vec<_>>>() else {
            continue; // an expression index
        };
        table.indexes.push(Index {
            name: Some(i.name),
            columns,
            unique: i.is_unique != 0,
            constraint: i.origin == "u",
        });
    }
    Ok(())
}

/// `table`'s foreign keys, in declaration order.
fn sqlite_foreign_keys(conn: &mut SqliteConnection, table: &mut Table) -> Result<()> {
    use diesel::sql_types::Text as T;
    let fks = sql_query(
        "SELECT id, \"table\" AS ref_table, \"from\" AS col, \"to\" AS ref_col, on_delete \
         FROM pragma_foreign_key_list(?) ORDER BY id, seq",
    )
    .bind::<T, _>(&table.name)
    .load::<SqliteForeignKey>(conn)?;
    let mut current: Option<(i64, ForeignKey)> = None;
    for fk in fks {
        match &mut current {
            Some((id, key)) if *id == fk.id => {
                key.columns.push(fk.col);
                key.references.extend(fk.ref_col);
            }
            _ => {
                if let Some((_, key)) = current.take() {
                    table.foreign_keys.push(key);
                }
                current = Some((
                    fk.id,
                    ForeignKey {
                        name: None,
                        columns: vec![fk.col],
                        table: fk.ref_table,
                        references: fk.ref_col.into_iter().collect(),
                        on_delete: OnDelete::from_catalog(&fk.on_delete),
                    },
                ));
            }
        }
    }
    if let Some((_, key)) = current {
        table.foreign_keys.push(key);
    }
    table.foreign_keys.reverse(); // SQLite lists them last-declared first
    Ok(())
}

/// The portable type for a SQLite declared type (the type table's `sqlite_names`).
fn sqlite_type(declared: &str) -> ColumnType {
    ColumnType::from_database(Backend::Sqlite, declared)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names() {
        assert_eq!(
            pg_type("character varying(50)"),
            ColumnType::Varchar(Some(50))
        );
        assert_eq!(pg_type("jsonb"), ColumnType::Other("jsonb".into()));
        assert_eq!(sqlite_type("varchar(8)"), ColumnType::Varchar(Some(8)));
        assert_eq!(sqlite_type("DOUBLE"), ColumnType::Double);
        assert_eq!(
            sqlite_type("numeric(10,2)"),
            ColumnType::Other("numeric(10,2)".into())
        );
    }
}
