//! SQL text for tables, columns, keys and indexes, per backend; `create_all`
//! and `drop_all`.

use super::{Column, ColumnType, ForeignKey, Index, Schema, Table, check_references};
use crate::backend::{ident, string_literal};
use crate::connection::{Backend, DbConnection};
use crate::error::Result;
use crate::meta::ModelMeta;
use crate::types::Class;

/// The backend's name for `ty` (`BIGINT`, `VARCHAR(200)`, `BYTEA`/`BLOB`),
/// from the type table (`src/types.rs`).
pub(crate) fn type_sql(backend: Backend, ty: &ColumnType) -> String {
    ty.ddl_name(backend)
}

/// A canonical default (see [`canonical_default`]) as `backend` writes it.
pub(crate) fn default_sql(backend: Backend, ty: &ColumnType, default: &str) -> String {
    match (backend, ty, default) {
        (Backend::Sqlite, ColumnType::Bool, "true") => "1".into(),
        (Backend::Sqlite, ColumnType::Bool, "false") => "0".into(),
        (Backend::Postgres, ColumnType::Bool, d) => d.to_ascii_uppercase(),
        (_, _, d) => d.to_owned(),
    }
}

/// The canonical SQL literal for a `default(expr)` written in a model, or
/// `None` when `expr` is not a Rust literal of the column's type (glowplug
/// then applies it on insert and the database has no default).
pub(crate) fn rust_literal(ty: &ColumnType, expr: &str) -> Option<String> {
    let compact: String = expr.chars().filter(|c| !c.is_whitespace()).collect();
    match ty {
        ColumnType::Bool => matches!(compact.as_str(), "true" | "false").then_some(compact),
        // `default(Draft)` names a value; the database default is its name.
        ColumnType::Enum(values) => values
            .iter()
            .any(|v| *v == compact)
            .then(|| string_literal(&compact)),
        t if t.is_numeric() => {
            const SUFFIXES: [&str; 12] = [
                "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "f32", "f64",
            ];
            let mut digits = compact.replace('_', "");
            if let Some(s) = SUFFIXES.iter().find(|s| digits.ends_with(*s)) {
                digits.truncate(digits.len() - s.len());
            }
            canonical_number(ty, &digits)
        }
        t if t.class() == Class::Text => rust_string(expr.trim()).map(|s| string_literal(&s)),
        _ => None,
    }
}

/// The value of a Rust string literal (`"a\"b"`, `r"x"`, `r#"x"#`), if `lit` is one.
fn rust_string(lit: &str) -> Option<String> {
    if let Some(raw) = lit.strip_prefix('r') {
        let hashes = raw.len() - raw.trim_start_matches('#').len();
        let fence = "#".repeat(hashes);
        return raw
            .strip_prefix(&format!("{fence}\""))?
            .strip_suffix(&format!("\"{fence}"))
            .map(str::to_owned);
    }
    let inner = lit.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next()? {
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            '0' => '\0',
            c @ ('\\' | '"' | '\'') => c,
            _ => return None,
        });
    }
    Some(out)
}

/// `digits` as the canonical number for a column of type `ty`.
fn canonical_number(ty: &ColumnType, digits: &str) -> Option<String> {
    if ty.is_integer() {
        digits.parse::<i64>().ok().map(|n| n.to_string())
    } else {
        digits
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(|f| f.to_string())
    }
}

/// The canonical form of a default the database reports: casts and
/// parentheses stripped, booleans as `true`/`false`, numbers as Rust prints
/// them, strings as `'…'`; any other expression as written.
pub(crate) fn canonical_default(ty: &ColumnType, raw: &str) -> String {
    let mut text = raw.trim().to_owned();
    loop {
        let before = text.clone();
        text = strip_parens(&text).to_owned();
        text = strip_cast(&text).to_owned();
        if text == before {
            break;
        }
    }
    let unquoted = text
        .strip_prefix('\'')
        .and_then(|t| t.strip_suffix('\''))
        .filter(|t| !t.replace("''", "").contains('\''));
    let lower = unquoted.unwrap_or(&text).to_ascii_lowercase();
    match ty {
        ColumnType::Bool => match lower.as_str() {
            "true" | "1" | "t" => return "true".into(),
            "false" | "0" | "f" => return "false".into(),
            _ => {}
        },
        t if t.is_numeric() => {
            if let Some(n) = canonical_number(ty, &lower) {
                return n;
            }
        }
        _ => {}
    }
    text
}

/// `text` without parentheses that wrap all of it.
fn strip_parens(text: &str) -> &str {
    let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) else {
        return text;
    };
    let mut depth = 0i32;
    let mut in_quote = false;
    for c in inner.chars() {
        match c {
            '\'' => in_quote = !in_quote,
            '(' if !in_quote => depth += 1,
            ')' if !in_quote => {
                depth -= 1;
                if depth < 0 {
                    return text;
                }
            }
            _ => {}
        }
    }
    inner.trim()
}

/// `text` without a trailing PostgreSQL cast (`'x'::character varying`).
fn strip_cast(text: &str) -> &str {
    let Some(at) = text.rfind("::") else {
        return text;
    };
    let (value, cast) = text.split_at(at);
    let cast = &cast[2..];
    let is_type = !cast.is_empty()
        && cast.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, ' ' | '_' | '(' | ')' | '[' | ']' | '"')
        });
    let quotes_balanced = value.matches('\'').count() % 2 == 0
        && cast.matches('(').count() == cast.matches(')').count();
    if is_type && quotes_balanced {
        value.trim_end()
    } else {
        text
    }
}

/// The definition of `column` inside `CREATE TABLE` (or `ADD COLUMN`), with
/// its inline primary key, unique and foreign key when `table` has them as
/// single-column keys.
pub(crate) fn column_sql(backend: Backend, table: &Table, column: &Column) -> String {
    let name = ident(&column.name);
    let single_pk = table.primary_key.len() == 1 && table.primary_key[0] == column.name;
    let mut out = if single_pk && column.auto_increment {
        match backend {
            Backend::Sqlite => return format!("{name} INTEGER PRIMARY KEY AUTOINCREMENT"),
            Backend::Postgres => match column.ty {
                ColumnType::SmallInt => format!("{name} SMALLSERIAL PRIMARY KEY"),
                ColumnType::Integer => format!("{name} SERIAL PRIMARY KEY"),
                _ => format!("{name} BIGSERIAL PRIMARY KEY"),
            },
        }
    } else {
        let mut out = format!("{name} {}", type_sql(backend, &column.ty));
        if single_pk {
            out.push_str(" PRIMARY KEY");
        }
        out
    };
    if !column.nullable && !single_pk {
        out.push_str(" NOT NULL");
    }
    if let Some(d) = &column.default
        && !column.auto_increment
    {
        out.push_str(" DEFAULT ");
        out.push_str(&default_sql(backend, &column.ty, d));
    }
    if table
        .indexes
        .iter()
        .any(|i| i.constraint && i.unique && i.columns == [column.name.as_str()])
    {
        out.push_str(" UNIQUE");
    }
    for fk in &table.foreign_keys {
        if fk.columns == [column.name.as_str()] {
            out.push_str(&format!(
                " REFERENCES {} ({}){}",
                ident(&fk.table),
                list(&fk.references),
                fk.on_delete.sql()
            ));
        }
    }
    if let ColumnType::Enum(values) = &column.ty {
        out.push(' ');
        out.push_str(&super::check::enum_check_sql(
            &table.name,
            &column.name,
            values,
        ));
    }
    // SQLite stores any integer in any integer column, and diesel reads an
    // out-of-range value into `i16`/`i32` by truncating it. The range check
    // makes SQLite refuse such a write, as PostgreSQL does.
    if backend == Backend::Sqlite {
        let range = match column.ty {
            ColumnType::SmallInt => Some((i64::from(i16::MIN), i64::from(i16::MAX))),
            ColumnType::Integer => Some((i64::from(i32::MIN), i64::from(i32::MAX))),
            _ => None,
        };
        if let Some((min, max)) = range {
            out.push_str(&format!(" CHECK ({name} BETWEEN {min} AND {max})"));
        }
    }
    out
}

/// `a, b, c`, each quoted where needed.
pub(crate) fn list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| ident(n))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `CREATE TABLE` for `table` under the name `as_name`, followed by its
/// `CREATE INDEX` statements when `with_indexes`. Foreign keys listed in
/// `skip_fks` are left out (they are added later with `ALTER TABLE`).
pub(crate) fn create_table_as(
    backend: Backend,
    table: &Table,
    as_name: &str,
    skip_fks: &[&ForeignKey],
) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut shown = table.clone();
    shown
        .foreign_keys
        .retain(|fk| !skip_fks.iter().any(|s| s.same_key(fk)));
    for c in &shown.columns {
        lines.push(column_sql(backend, &shown, c));
    }
    if shown.primary_key.len() > 1 {
        lines.push(format!("PRIMARY KEY ({})", list(&shown.primary_key)));
    }
    for i in &shown.indexes {
        if i.constraint && i.unique && i.columns.len() > 1 {
            lines.push(format!("UNIQUE ({})", list(&i.columns)));
        }
    }
    for fk in &shown.foreign_keys {
        if fk.columns.len() > 1 {
            lines.push(format!(
                "FOREIGN KEY ({}) REFERENCES {} ({}){}",
                list(&fk.columns),
                ident(&fk.table),
                list(&fk.references),
                fk.on_delete.sql()
            ));
        }
    }
    format!(
        "CREATE TABLE {} (\n    {}\n)",
        ident(as_name),
        lines.join(",\n    ")
    )
}

/// `CREATE TABLE` and the `CREATE INDEX` statements of `table`.
pub(crate) fn create_table(
    backend: Backend,
    table: &Table,
    skip_fks: &[&ForeignKey],
) -> Vec<String> {
    let mut out = vec![create_table_as(backend, table, &table.name, skip_fks)];
    out.extend(
        table
            .indexes
            .iter()
            .filter(|i| !i.constraint)
            .map(|i| create_index(&table.name, i)),
    );
    out
}

/// The name glowplug gives an index or unique key without one:
/// `posts_author_id_idx`, `post_tags_post_id_tag_id_key`.
pub(crate) fn index_name(table: &str, index: &Index) -> String {
    index.name.clone().unwrap_or_else(|| {
        format!(
            "{table}_{}_{}",
            index.columns.join("_"),
            if index.unique { "key" } else { "idx" }
        )
    })
}

/// `CREATE [UNIQUE] INDEX` for `index` (same text on both backends).
pub(crate) fn create_index(table: &str, index: &Index) -> String {
    format!(
        "CREATE {}INDEX {} ON {} ({})",
        if index.unique { "UNIQUE " } else { "" },
        ident(&index_name(table, index)),
        ident(table),
        list(&index.columns)
    )
}

/// `ALTER TABLE … ADD CONSTRAINT … FOREIGN KEY` (PostgreSQL).
pub(crate) fn add_foreign_key(table: &str, fk: &ForeignKey) -> String {
    let name = fk
        .name
        .clone()
        .unwrap_or_else(|| format!("{table}_{}_fkey", fk.columns.join("_")));
    format!(
        "ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}){}",
        ident(table),
        ident(&name),
        list(&fk.columns),
        ident(&fk.table),
        list(&fk.references),
        fk.on_delete.sql()
    )
}

/// The statements that create every table of `schema`, ordered by foreign
/// keys; on PostgreSQL, keys inside a reference cycle are added at the end.
/// Tables named in `existing` are already there.
pub(crate) fn schema_sql(backend: Backend, schema: &Schema, existing: &[&str]) -> Vec<String> {
    let mut created: Vec<&str> = existing.to_vec();
    let mut out = Vec::new();
    let mut later = Vec::new();
    for table in schema.in_dependency_order() {
        let forward: Vec<&ForeignKey> = table
            .foreign_keys
            .iter()
            .filter(|fk| {
                backend == Backend::Postgres
                    && fk.table != table.name
                    && !created.contains(&fk.table.as_str())
            })
            .collect();
        out.extend(create_table(backend, table, &forward));
        later.extend(forward.iter().map(|fk| add_foreign_key(&table.name, fk)));
        created.push(&table.name);
    }
    out.extend(later);
    out
}

/// Statements joined into one script, each ending in `;`.
pub(crate) fn script(statements: &[String]) -> String {
    statements.iter().map(|s| format!("{s};\n")).collect()
}

/// The DDL that creates the models' tables on `backend`: `CREATE TABLE`
/// (columns, types, `NOT NULL`, defaults, primary key, unique keys, foreign
/// keys) and `CREATE INDEX`, tables ordered so that every foreign key
/// references a table created before it.
///
/// ```
/// glowplug::model! {
///     User { id: pk, name: varchar(50) unique }
///     Post { id: pk, author_id: bigint fk(User) index, title: text }
/// }
/// # fn main() -> glowplug::Result<()> {
/// use glowplug::Backend;
/// let sql = glowplug::schema::create_sql(Backend::Postgres, &[Post::META, User::META])?;
/// assert!(sql.find("CREATE TABLE users").unwrap() < sql.find("CREATE TABLE posts").unwrap());
/// assert!(sql.contains("author_id BIGINT NOT NULL REFERENCES users (id)"));
/// assert!(sql.contains("CREATE INDEX posts_author_id_idx ON posts (author_id);"));
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// [`Error::Config`](crate::Error::Config) when a model references one that
/// is not in `models`.
pub fn create_sql(backend: Backend, models: &[ModelMeta]) -> Result<String> {
    let schema = Schema::from_models(models);
    check_references(&schema)?;
    Ok(script(&schema_sql(backend, &schema, &[])))
}

/// `DROP TABLE IF EXISTS` for the models' tables, referencing tables first.
pub fn drop_sql(models: &[ModelMeta]) -> String {
    let schema = Schema::from_models(models);
    let order = schema.in_dependency_order();
    let statements: Vec<String> = order
        .iter()
        .rev()
        .map(|t| format!("DROP TABLE IF EXISTS {}", ident(&t.name)))
        .collect();
    script(&statements)
}

/// Creates the models' tables (see [`create_sql`]) in one transaction: for
/// prototypes and tests; applications use migrations.
///
/// ```
/// glowplug::model! {
///     User { id: pk, name: varchar(50) unique }
/// }
/// # fn main() -> glowplug::Result<()> {
/// use glowplug::prelude::*;
/// let db = Database::connect("sqlite::memory:")?;
/// let mut conn = db.get()?;
/// glowplug::schema::create_all(&mut conn, &[User::META])?;
/// NewUser { name: "ada".into() }.insert(&mut conn)?;
/// assert_eq!(User::count(&mut conn)?, 1);
/// glowplug::schema::drop_all(&mut conn, &[User::META])?;
/// # Ok(())
/// # }
/// ```
pub fn create_all<C: DbConnection + ?Sized>(conn: &mut C, models: &[ModelMeta]) -> Result<()> {
    let mut conn = conn.backend_connection();
    let sql = create_sql(conn.backend(), models)?;
    run_script(&mut conn, &sql)
}

/// Drops the models' tables that exist (see [`drop_sql`]), in one transaction.
pub fn drop_all<C: DbConnection + ?Sized>(conn: &mut C, models: &[ModelMeta]) -> Result<()> {
    let mut conn = conn.backend_connection();
    run_script(&mut conn, &drop_sql(models))
}

/// Runs `sql` in a transaction on either backend.
pub(crate) fn run_script(conn: &mut crate::BackendConnection<'_>, sql: &str) -> Result<()> {
    crate::__glowplug_backend!(conn, c => {
        use diesel::connection::SimpleConnection;
        crate::transaction(c, |c| c.batch_execute(sql)).map_err(crate::Error::from)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_literals() {
        let text = ColumnType::Text;
        assert_eq!(rust_literal(&text, "\"it's\"").as_deref(), Some("'it''s'"));
        assert_eq!(rust_literal(&text, "\"\"").as_deref(), Some("''"));
        assert_eq!(
            rust_literal(&text, "r#\"a\"b\"#").as_deref(),
            Some("'a\"b'")
        );
        assert_eq!(rust_literal(&text, "\"a\\\"b\"").as_deref(), Some("'a\"b'"));
        assert_eq!(rust_literal(&text, "String::new()"), None);
        assert_eq!(
            rust_literal(&ColumnType::Bool, "true").as_deref(),
            Some("true")
        );
        assert_eq!(
            rust_literal(&ColumnType::Integer, "- 3").as_deref(),
            Some("-3")
        );
        assert_eq!(
            rust_literal(&ColumnType::BigInt, "1_000i64").as_deref(),
            Some("1000")
        );
        assert_eq!(
            rust_literal(&ColumnType::Double, "2.0").as_deref(),
            Some("2")
        );
        assert_eq!(
            rust_literal(&ColumnType::Float, "1.5f32").as_deref(),
            Some("1.5")
        );
        assert_eq!(rust_literal(&ColumnType::Integer, "i32::MAX"), None);
        assert_eq!(rust_literal(&ColumnType::Timestamp, "\"2020\""), None);
    }

    #[test]
    fn database_defaults() {
        let cases = [
            (ColumnType::Bool, "true", "true"),
            (ColumnType::Bool, "1", "true"),
            (ColumnType::Bool, "FALSE", "false"),
            (ColumnType::Text, "''::text", "''"),
            (
                ColumnType::Varchar(None),
                "'a''b'::character varying",
                "'a''b'",
            ),
            (ColumnType::Integer, "(-3)", "-3"),
            (ColumnType::Integer, "'-3'::integer", "-3"),
            (ColumnType::Double, "2.50", "2.5"),
            (
                ColumnType::BigInt,
                "nextval('users_id_seq'::regclass)",
                "nextval('users_id_seq'::regclass)",
            ),
            (
                ColumnType::Timestamp,
                "CURRENT_TIMESTAMP",
                "CURRENT_TIMESTAMP",
            ),
        ];
        for (ty, raw, want) in cases {
            assert_eq!(canonical_default(&ty, raw), want, "{raw}");
        }
    }

    #[test]
    fn quoting() {
        assert_eq!(ident("users"), "users");
        assert_eq!(ident("user"), "\"user\"");
        assert_eq!(ident("Weird\"Name"), "\"Weird\"\"Name\"");
    }
}
