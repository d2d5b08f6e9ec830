//! `glowplug generate model`: a `model!` block and its table from field
//! specs on the command line.
//!
//! ```text
//! glowplug generate model Post title:varchar(200) body:text:null author_id:fk(User):index timestamps
//! ```
//!
//! A field spec is `name:type` followed by `:modifier`s. Types are the
//! column types of [`model!`](crate::model) (`int`, `bigint`, `text`,
//! `varchar(N)`, `bool`, `timestamp`, `enum(Draft,Published)`, …) and `fk(Model)`, a `bigint`
//! referencing `Model`'s table (named as `model!` names it: `User` →
//! `users`). Modifiers are `null`, `unique`, `index` and `default(value)`
//! with a Rust literal value. `timestamps` alone adds `created_at` and
//! `updated_at` (`timestamps(tz)`: as `timestamptz`). Every model gets `id: pk`.
//! An enum's `default(Value)` names one of its values.
//! The type names and their checks come from the column-type table
//! (`src/types.rs`), the one `model!` is documented from.
//!
//! ```
//! let spec = glowplug::scaffold::ModelSpec::parse("Post", &["title:varchar(200)", "author_id:fk(User)"])?;
//! assert!(spec.source().contains("author_id: bigint fk(User),"));
//! assert_eq!(spec.table().foreign_keys[0].table, "users");
//! # Ok::<(), glowplug::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::schema::{Column, ColumnType, ForeignKey, Index, Table};

/// One parsed field spec.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Field {
    /// The column name.
    pub name: String,
    /// The type as `model!` spells it (`varchar(200)`, `bigint`).
    pub ty: String,
    /// The portable type.
    pub sql_type: ColumnType,
    /// The referenced model, for `fk(Model)`.
    pub references: Option<String>,
    /// `null`.
    pub null: bool,
    /// `unique`.
    pub unique: bool,
    /// `index`.
    pub index: bool,
    /// `default(value)`: the Rust literal.
    pub default: Option<String>,
}

/// A model to generate: its name and fields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ModelSpec {
    /// The model (struct) name.
    pub name: String,
    /// The fields, in order, without `id`.
    pub fields: Vec<Field>,
    /// `timestamps` (`Timestamp`) or `timestamps(tz)` (`TimestampTz`): the
    /// type of `created_at` and `updated_at`, if given.
    pub timestamps: Option<ColumnType>,
}

fn bad(spec: &str, why: impl std::fmt::Display) -> Error {
    Error::config(format!(
        "field `{spec}`: {why}; a field reads `name:type[:modifier...]`, e.g. `title:varchar(200)`, `bio:text:null`, `author_id:fk(User):index`"
    ))
}

/// Whether `name` is a lower-case identifier (`author_id`).
fn is_column_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name != "_"
}

/// Whether `name` is an upper-camel-case identifier (`PostTag`).
fn is_model_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
}

/// The table `model!` names for a model: snake case plus `s`
/// (`User` → `users`, `PostTag` → `post_tags`).
pub fn table_name(model: &str) -> String {
    let chars: Vec<char> = model.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev_lower =
                i > 0 && (chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if i > 0 && (prev_lower || (chars[i - 1].is_ascii_uppercase() && next_lower)) {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out.push('s');
    out
}

/// Splits `spec` on the `:`s outside parentheses.
fn split(spec: &str) -> Option<Vec<&str>> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in spec.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return None;
                }
            }
            ':' if depth == 0 => {
                parts.push(&spec[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    (depth == 0).then(|| {
        parts.push(&spec[start..]);
        parts
    })
}

/// `word(arg)` as `(word, Some(arg))`, `word` as `(word, None)`.
fn call(part: &str) -> Option<(&str, Option<&str>)> {
    match part.split_once('(') {
        None => Some((part, None)),
        Some((word, rest)) => Some((word, Some(rest.strip_suffix(')')?))),
    }
}

impl Field {
    /// Parses one field spec (`title:varchar(200):unique`).
    pub fn parse(spec: &str) -> Result<Field> {
        let parts = split(spec).ok_or_else(|| bad(spec, "its parentheses do not match"))?;
        let [name, ty, modifiers @ ..] = parts.as_slice() else {
            return Err(bad(spec, "it has no type"));
        };
        if !is_column_name(name) {
            return Err(bad(
                spec,
                format!("`{name}` is not a column name (lower-case letters, digits and `_`)"),
            ));
        }
        if matches!(*name, "id" | "created_at" | "updated_at") {
            return Err(bad(
                spec,
                format!("`{name}` is generated (`id: pk`, `timestamps`); leave it out"),
            ));
        }
        let (word, arg) = call(ty).ok_or_else(|| bad(spec, format!("`{ty}` is not a type")))?;
        let (sql_type, references, shown) = match (word, arg) {
            ("fk", Some(model)) if is_model_name(model) => (
                ColumnType::BigInt,
                Some(model.to_owned()),
                "bigint".to_owned(),
            ),
            ("fk", _) => {
                return Err(bad(spec, "`fk` needs the referenced model: `fk(User)`"));
            }
            (word, arg) => {
                let info = crate::types::by_keyword(word).ok_or_else(|| unknown_type(spec, ty))?;
                let ty = info.with_args(arg).map_err(|why| bad(spec, why))?;
                (ty.clone(), None, ty.to_string())
            }
        };
        let mut field = Field {
            name: (*name).to_owned(),
            ty: shown,
            sql_type,
            references,
            null: false,
            unique: false,
            index: false,
            default: None,
        };
        for m in modifiers {
            let seen = match call(m) {
                Some(("null", None)) => std::mem::replace(&mut field.null, true),
                Some(("unique", None)) => std::mem::replace(&mut field.unique, true),
                Some(("index", None)) => std::mem::replace(&mut field.index, true),
                Some(("default", Some(value))) => {
                    if crate::schema::ddl_literal(&field.sql_type, value).is_none() {
                        return Err(bad(
                            spec,
                            format!("`{value}` is not a literal of type {}", field.ty),
                        ));
                    }
                    field.default.replace(value.to_owned()).is_some()
                }
                _ => {
                    return Err(bad(
                        spec,
                        format!(
                            "unknown modifier `{m}`; modifiers are null, unique, index, default(value)"
                        ),
                    ));
                }
            };
            if seen {
                return Err(bad(spec, format!("`{m}` is given twice")));
            }
        }
        Ok(field)
    }

    /// The field as a `model!` column line.
    fn source(&self) -> String {
        let mut out = format!("{}: {}", self.name, self.ty);
        if self.null {
            out.push_str(" null");
        }
        if self.unique {
            out.push_str(" unique");
        }
        if self.index {
            out.push_str(" index");
        }
        if let Some(d) = &self.default {
            out.push_str(&format!(" default({d})"));
        }
        if let Some(m) = &self.references {
            out.push_str(&format!(" fk({m})"));
        }
        out
    }
}

fn unknown_type(spec: &str, ty: &str) -> Error {
    bad(
        spec,
        format!(
            "unknown type `{ty}`; types are {}, fk(Model)",
            crate::types::keywords()
        ),
    )
}

impl ModelSpec {
    /// Parses a model name and its field specs; the error names the first
    /// bad one and says what a good one looks like.
    pub fn parse<S: AsRef<str>>(name: &str, specs: &[S]) -> Result<ModelSpec> {
        if !is_model_name(name) {
            return Err(Error::config(format!(
                "model name `{name}`: start with an upper-case letter and use letters and digits only, e.g. `BlogPost`"
            )));
        }
        let mut model = ModelSpec {
            name: name.to_owned(),
            fields: Vec::new(),
            timestamps: None,
        };
        for spec in specs {
            let spec = spec.as_ref();
            let stamps = match spec {
                "timestamps" => Some(ColumnType::Timestamp),
                "timestamps(tz)" => Some(ColumnType::TimestampTz),
                _ => None,
            };
            if stamps.is_some() {
                model.timestamps = stamps;
                continue;
            }
            let field = Field::parse(spec)?;
            if model.fields.iter().any(|f| f.name == field.name) {
                return Err(bad(spec, format!("`{}` is given twice", field.name)));
            }
            model.fields.push(field);
        }
        if model.fields.is_empty() {
            return Err(Error::config(format!(
                "model `{name}` needs at least one field, e.g. `name:text`"
            )));
        }
        Ok(model)
    }

    /// The table name (`model!`'s rule; see [`table_name`]).
    pub fn table_name(&self) -> String {
        table_name(&self.name)
    }

    /// The `model!` block.
    pub fn source(&self) -> String {
        let mut out = format!(
            "glowplug::model! {{\n    pub {} {{\n        id: pk,\n",
            self.name
        );
        for f in &self.fields {
            out.push_str(&format!("        {},\n", f.source()));
        }
        match self.timestamps {
            Some(ColumnType::TimestampTz) => out.push_str("        timestamps(tz),\n"),
            Some(_) => out.push_str("        timestamps,\n"),
            None => {}
        }
        out.push_str("    }\n}\n");
        out
    }

    /// The table the model declares (what its migration creates).
    pub fn table(&self) -> Table {
        let mut table = Table::new(self.table_name());
        table.primary_key = vec!["id".into()];
        let mut id = Column::new("id", ColumnType::BigInt);
        id.auto_increment = true;
        table.columns.push(id);
        for f in &self.fields {
            let mut c = Column::new(f.name.clone(), f.sql_type.clone());
            c.nullable = f.null;
            c.default = f
                .default
                .as_deref()
                .and_then(|d| crate::schema::ddl_literal(&f.sql_type, d));
            table.columns.push(c);
            if f.unique || f.index {
                table
                    .indexes
                    .push(Index::new(vec![f.name.clone()], f.unique));
            }
            if let Some(model) = &f.references {
                table.foreign_keys.push(ForeignKey::new(
                    vec![f.name.clone()],
                    table_name(model),
                    vec!["id".into()],
                ));
            }
        }
        if let Some(ty) = &self.timestamps {
            for name in ["created_at", "updated_at"] {
                table.columns.push(Column::new(name, ty.clone()));
            }
        }
        table
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_follow_model() {
        assert_eq!(table_name("User"), "users");
        assert_eq!(table_name("PostTag"), "post_tags");
        assert_eq!(table_name("HTTPLog"), "http_logs");
        assert_eq!(table_name("Item2"), "item2s");
    }

    #[test]
    fn fields() {
        let f = Field::parse("title:varchar(200):unique:default(\"x\")").unwrap();
        assert_eq!(f.sql_type, ColumnType::Varchar(Some(200)));
        assert!(f.unique && !f.null);
        assert_eq!(f.default.as_deref(), Some("\"x\""));
        let f = Field::parse("author_id:fk(User):index").unwrap();
        assert_eq!(f.references.as_deref(), Some("User"));
        let f = Field::parse("serial:uuid:unique").unwrap();
        assert_eq!((f.sql_type, f.ty.as_str()), (ColumnType::Uuid, "uuid"));
        let f = Field::parse("seen_at:timestamptz:null").unwrap();
        assert_eq!((f.sql_type, f.null), (ColumnType::TimestampTz, true));
        let spec = ModelSpec::parse("Device", &["serial:uuid", "timestamps(tz)"]).unwrap();
        assert!(
            spec.source()
                .contains("serial: uuid,\n        timestamps(tz),"),
            "{}",
            spec.source()
        );
        let table = spec.table();
        assert_eq!(
            table.column("updated_at").unwrap().ty,
            ColumnType::TimestampTz
        );
        let cases = [
            ("title", "has no type"),
            ("Title:text", "not a column name"),
            ("id:bigint", "is generated"),
            ("x:strng", "unknown type `strng`"),
            ("x:varchar(0)", "positive length"),
            ("x:varchar(a", "parentheses"),
            ("x:fk(user)", "`fk` needs the referenced model"),
            ("x:text:nul", "unknown modifier `nul`"),
            ("x:text:null:null", "given twice"),
            ("x:int:default(abc)", "not a literal"),
        ];
        for (spec, want) in cases {
            let err = Field::parse(spec).unwrap_err().to_string();
            assert!(err.contains(want), "{spec}: {err}");
        }
    }
}
