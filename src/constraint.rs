//! Where a constraint violation happened: the table, the column(s) and the
//! constraint's name, read the same way from both backends' errors.
//!
//! [`Error`](crate::Error)'s four constraint variants
//! ([`UniqueViolation`](crate::Error::UniqueViolation),
//! [`ForeignKeyViolation`](crate::Error::ForeignKeyViolation),
//! [`NotNullViolation`](crate::Error::NotNullViolation),
//! [`CheckViolation`](crate::Error::CheckViolation)) carry a [`Violation`]
//! filled here, in two steps:
//!
//! 1. From the error alone ([`locate`]). PostgreSQL reports the table, the
//!    constraint and (NOT NULL) the column in fields of its error, and the
//!    key's columns in its detail text (`Key (email)=(…) already exists.`).
//!    SQLite reports only a message: `UNIQUE constraint failed: users.email`,
//!    `NOT NULL constraint failed: users.email`, `CHECK constraint failed:
//!    users_age_check` (the name, or the expression of an unnamed check) and
//!    `FOREIGN KEY constraint failed` (nothing more).
//! 2. From the model that was written ([`Violation::fill_from`], called by
//!    every write of a model). What a backend did not say is taken from the
//!    model's metadata and PostgreSQL's default constraint names (the names
//!    glowplug's DDL gets on PostgreSQL): `users_pkey`, `users_email_key`,
//!    `post_tags_post_id_tag_id_key`, `posts_author_id_fkey`,
//!    `posts_status_check`. So the same schema gives the same table,
//!    columns and name on both backends.
//!
//! What stays unknown on SQLite: the column of a failed foreign key when
//! the model has several (SQLite names none), anything about a foreign key
//! that refuses a delete (the referencing table is another model's), and
//! the column of a check whose name does not follow `table_column_check`.

use diesel::result::{DatabaseErrorInformation, DatabaseErrorKind};

use crate::meta::ModelMeta;

/// Where a constraint violation happened. Each part is filled when the
/// backend, or the model that was written, makes it known (see the module
/// docs of `constraint.rs` for what each backend reports).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Violation {
    /// The table whose row broke the constraint.
    pub(crate) table: Option<String>,
    /// The constrained column(s), in key order; empty when not known.
    pub(crate) columns: Vec<String>,
    /// The constraint's (or unique index's) name.
    pub(crate) constraint: Option<String>,
}

/// The kind of constraint, for the names PostgreSQL gives by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Unique,
    ForeignKey,
    NotNull,
    Check,
}

impl Kind {
    pub(crate) fn of(kind: DatabaseErrorKind) -> Option<Kind> {
        Some(match kind {
            DatabaseErrorKind::UniqueViolation => Kind::Unique,
            DatabaseErrorKind::ForeignKeyViolation => Kind::ForeignKey,
            DatabaseErrorKind::NotNullViolation => Kind::NotNull,
            DatabaseErrorKind::CheckViolation => Kind::Check,
            _ => return None,
        })
    }
}

/// Reads what `info` tells about a violation of `kind`, on either backend.
pub(crate) fn locate(kind: Kind, info: &dyn DatabaseErrorInformation) -> Violation {
    let message = info.message();
    let mut found = Violation {
        table: info.table_name().map(str::to_owned),
        columns: info.column_name().map(str::to_owned).into_iter().collect(),
        constraint: info.constraint_name().map(str::to_owned),
    };
    // SQLite: everything is in the message.
    if let Some(rest) = message
        .strip_prefix("UNIQUE constraint failed: ")
        .or_else(|| message.strip_prefix("NOT NULL constraint failed: "))
    {
        if let Some(index) = rest.strip_prefix("index '") {
            found.constraint = Some(index.trim_end_matches('\'').to_owned());
        } else {
            for qualified in rest.split(", ") {
                if let Some((table, column)) = qualified.split_once('.') {
                    found.table.get_or_insert_with(|| table.to_owned());
                    found.columns.push(column.to_owned());
                }
            }
        }
        return found;
    }
    if let Some(name) = message.strip_prefix("CHECK constraint failed: ") {
        found.constraint = Some(name.to_owned());
        return found;
    }
    // PostgreSQL: the key's columns are in the detail, `Key (a, b)=(1, 2) …`,
    // except for a delete refused by a foreign key, whose detail names the
    // referenced key (`… is still referenced from table "posts"`); its
    // columns come from the constraint's name below.
    if found.columns.is_empty()
        && let Some(detail) = info.details()
        && !detail.contains("is still referenced")
        && let Some(columns) = detail_columns(detail)
    {
        found.columns = columns;
    }
    if found.columns.is_empty()
        && let (Some(table), Some(name)) = (&found.table, &found.constraint)
        && let Some(column) = default_name_column(kind, table, name)
    {
        found.columns.push(column.to_owned());
    }
    found
}

/// The columns of PostgreSQL's `Key (a, b)=(…)` detail; `None` for an
/// expression key (`Key (lower(email))=…`).
fn detail_columns(detail: &str) -> Option<Vec<String>> {
    let inner = detail.strip_prefix("Key (")?.split(")=(").next()?;
    if inner.contains('(') {
        return None;
    }
    Some(
        inner
            .split(", ")
            .map(|c| c.trim_matches('"').to_owned())
            .collect(),
    )
}

/// The suffix PostgreSQL gives a constraint of `kind` by default.
fn suffix(kind: Kind) -> &'static str {
    match kind {
        Kind::Unique => "key",
        Kind::ForeignKey => "fkey",
        Kind::Check => "check",
        Kind::NotNull => "not_null",
    }
}

/// The name PostgreSQL gives by default to a constraint of `kind` on
/// `columns` of `table` (`users_email_key`, `posts_author_id_fkey`,
/// `posts_status_check`); `users_pkey` for a primary key.
pub(crate) fn default_name(kind: Kind, table: &str, columns: &[&str], primary_key: bool) -> String {
    if primary_key {
        return format!("{table}_pkey");
    }
    format!("{table}_{}_{}", columns.join("_"), suffix(kind))
}

/// The single column a default name `table_column_suffix` stands for.
fn default_name_column<'n>(kind: Kind, table: &str, name: &'n str) -> Option<&'n str> {
    let column = name
        .strip_prefix(table)?
        .strip_prefix('_')?
        .strip_suffix(suffix(kind))?
        .strip_suffix('_')?;
    (!column.is_empty()).then_some(column)
}

impl Violation {
    /// Completes what the backend did not report from `meta`, the model that
    /// was written (see the module docs): nothing changes when the violation
    /// is known to be another table's.
    pub(crate) fn fill_from(&mut self, kind: Kind, meta: &ModelMeta) {
        if self.table.as_deref().is_some_and(|t| t != meta.table) {
            return;
        }
        let table = meta.table;
        match kind {
            Kind::Unique if self.constraint.is_none() && !self.columns.is_empty() => {
                let columns: Vec<&str> = self.columns.iter().map(String::as_str).collect();
                let primary_key = columns == [meta.primary_key];
                let declared = primary_key
                    || matches!(columns.as_slice(), [one] if meta.column(one).is_some_and(|c| c.unique))
                    || meta
                        .indexes
                        .iter()
                        .any(|i| i.unique && i.columns == columns.as_slice());
                if declared {
                    self.constraint = Some(default_name(kind, table, &columns, primary_key));
                }
            }
            Kind::Unique => {
                // A name without columns: a multi-column key, whose default
                // name PostgreSQL's detail did not resolve (or an index).
                if self.columns.is_empty()
                    && let Some(name) = &self.constraint
                    && let Some(key) = meta
                        .indexes
                        .iter()
                        .find(|i| i.unique && *name == default_name(kind, table, i.columns, false))
                {
                    self.columns = key.columns.iter().map(|c| (*c).to_owned()).collect();
                }
            }
            Kind::ForeignKey if self.table.is_none() => {
                // SQLite names nothing; the model's one foreign key it is, if
                // it has exactly one.
                let mut fks = meta.columns.iter().filter(|c| c.foreign_key.is_some());
                if let (Some(fk), None) = (fks.next(), fks.next()) {
                    self.columns = vec![fk.name.to_owned()];
                    self.constraint = Some(default_name(kind, table, &[fk.name], false));
                }
                self.table = Some(table.to_owned());
            }
            Kind::Check if self.table.is_none() => {
                if let Some(name) = &self.constraint
                    && let Some(column) = default_name_column(kind, table, name)
                    && meta.column(column).is_some()
                {
                    self.columns = vec![column.to_owned()];
                    self.table = Some(table.to_owned());
                }
            }
            _ => {}
        }
    }

    /// `users.email (users_email_key)`, or what of it is known; empty when
    /// nothing is.
    pub(crate) fn describe(&self) -> String {
        let mut out = String::new();
        match (&self.table, self.columns.as_slice()) {
            (Some(t), []) => out.push_str(t),
            (Some(t), [one]) => out.push_str(&format!("{t}.{one}")),
            (Some(t), many) => out.push_str(&format!("{t}({})", many.join(", "))),
            (None, []) => {}
            (None, many) => out.push_str(&many.join(", ")),
        }
        if let Some(c) = &self.constraint {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&format!("({c})"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_postgres_details_and_default_names() {
        assert_eq!(
            detail_columns("Key (post_id, tag_id)=(1, 2) already exists."),
            Some(vec!["post_id".to_owned(), "tag_id".to_owned()])
        );
        assert_eq!(
            detail_columns("Key (lower(email))=(a) already exists."),
            None
        );
        assert_eq!(
            default_name_column(Kind::ForeignKey, "posts", "posts_author_id_fkey"),
            Some("author_id")
        );
        assert_eq!(default_name_column(Kind::Check, "posts", "positive"), None);
        assert_eq!(
            default_name(Kind::Unique, "post_tags", &["post_id", "tag_id"], false),
            "post_tags_post_id_tag_id_key"
        );
    }

    #[test]
    fn describes_what_is_known() {
        let v = Violation {
            table: Some("users".into()),
            columns: vec!["email".into()],
            constraint: Some("users_email_key".into()),
        };
        assert_eq!(v.describe(), "users.email (users_email_key)");
        assert_eq!(Violation::default().describe(), "");
    }
}
