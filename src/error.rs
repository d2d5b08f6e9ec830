//! The one error type of glowplug.
//!
//! Every fallible function of the crate returns [`Result`]. Database errors
//! from diesel are classified on the way in (unique and foreign-key
//! violations get their own variants, a missing row is [`Error::NotFound`]),
//! so callers can `match` on what went wrong instead of parsing messages.
//!
//! No variant ever carries a database password: URLs are redacted before they
//! are stored (see [`crate::redact_url`]) and driver messages are scrubbed of
//! the password they might echo.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::constraint::{self, Kind, Violation};
use crate::meta::ModelMeta;

/// A cause kept by an [`Error`] variant: any error, sendable between threads.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The result type of every fallible glowplug function.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in glowplug.
///
/// Match on the variant to react; print it (`Display`) to tell a person what
/// failed and what to do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database URL or another setting is malformed or unsupported.
    #[error("invalid database configuration: {message}")]
    Config {
        /// What is wrong and how to fix it.
        message: String,
        /// The error that revealed it (an I/O or parse error), when there is one.
        #[source]
        source: Option<BoxError>,
    },

    /// A connection to the database could not be opened. The message ends
    /// with what to do, chosen from the cause: a server that does not
    /// answer, a wrong password, a missing database, a server out of
    /// connection slots, a file that is not a SQLite database, a full disk.
    #[error("could not connect to {url}: {message}{}", connection_hint(message))]
    Connection {
        /// The URL with its password replaced by `***`.
        url: String,
        /// What the driver said, with any password removed.
        message: String,
    },

    /// The pool could not hand out a connection within its timeout; the
    /// message says why (every connection in use, or why a new one could
    /// not be opened).
    #[error("{message}")]
    Pool {
        /// Why no connection was available.
        message: String,
        /// The pool's own error, when there is one.
        #[source]
        source: Option<BoxError>,
    },

    /// The connection to the server was lost while a statement ran (the
    /// server restarted or ended the session, or the network failed). The
    /// server rolls back what was not committed; the pool replaces the
    /// connection, so retrying on a new checkout is safe.
    #[error(
        "the database connection was lost: {message} (the server rolled back any unfinished transaction and the pool replaces the connection; retry the work on a new checkout)"
    )]
    ConnectionLost {
        /// What the driver said.
        message: String,
        /// diesel's error.
        #[source]
        source: DieselError,
    },

    /// SQLite: another connection held the database's write lock for longer
    /// than the busy timeout (or a deferred transaction that had read could
    /// not start writing). Nothing of the failed statement (or of its
    /// transaction, which is rolled back) was written.
    #[error(
        "the SQLite database is locked by another writer: {message} (the busy timeout ran out, or a transaction that read first could not start writing; nothing of this write was saved: retry it, open write transactions with `Database::transaction` or `glowplug::transaction`, which wait for the lock, raise `DatabaseBuilder::sqlite_busy_timeout`, or keep write transactions shorter)"
    )]
    Busy {
        /// What SQLite said.
        message: String,
        /// diesel's error.
        #[source]
        source: DieselError,
    },

    /// PostgreSQL cancelled a statement that ran past `statement_timeout` or
    /// waited for a lock past `lock_timeout` (see
    /// [`DatabaseBuilder::statement_timeout`](crate::DatabaseBuilder::statement_timeout)).
    /// Nothing of the statement was kept (inside a transaction, the
    /// transaction is rolled back by [`transaction`](crate::transaction));
    /// the connection stays usable.
    #[error(
        "the statement was cancelled: {message} (nothing of it was kept; the connection stays usable: retry, raise the timeout, or make the statement or the transaction holding the lock shorter)"
    )]
    Timeout {
        /// What PostgreSQL said.
        message: String,
        /// diesel's error.
        #[source]
        source: DieselError,
    },

    /// The database or its disk is full (SQLite `database or disk is full`,
    /// PostgreSQL `No space left on device`). Nothing of the failed write was
    /// kept: the statement, or the transaction it ran in, was rolled back.
    #[error(
        "the database or its disk is full: {message} (nothing of this write was kept; free disk space, or raise the database's size limit, then retry)"
    )]
    StorageFull {
        /// What the database said.
        message: String,
        /// diesel's error.
        #[source]
        source: DieselError,
    },

    /// A query failed for a reason glowplug does not classify further.
    #[error("query failed: {}", with_causes(.0))]
    Query(#[source] DieselError),

    /// No row matched (`find` with an unknown id, or a query that needed a row).
    #[error("{}", not_found_message(model, id.as_deref(), condition.as_deref()))]
    NotFound {
        /// The model that was looked up (`"row"` when not known).
        model: &'static str,
        /// The primary key that was looked up, when known.
        id: Option<String>,
        /// The condition that was looked up (`find_by`), as SQL with its values.
        condition: Option<String>,
    },

    /// `save` or `update` of a model with `lock_version` found the row
    /// changed since it was read (its version moved on): nothing was written.
    #[error(
        "{model} with id {id} was changed by someone else since it was read (its lock_version moved on); nothing was written: reload it (`reload`), apply the change again and retry"
    )]
    StaleRow {
        /// The model written.
        model: &'static str,
        /// The row's primary key.
        id: String,
    },

    /// A write broke a UNIQUE constraint or a primary key.
    ///
    /// `table`, `columns` and `constraint` are the same on both backends for
    /// the same schema when the write went through a model (SQLite reports
    /// no constraint names; glowplug gives the name PostgreSQL gives the key:
    /// `users_email_key`, `users_pkey`). [`Error::field_errors`] turns it into
    /// `email: has already been taken`.
    #[error(
        "unique constraint violated{}: {} (a row with this value already exists)",
        located(table, columns, constraint),
        db_message(source)
    )]
    UniqueViolation {
        /// The constraint's or unique index's name, when known.
        constraint: Option<String>,
        /// The table, when known.
        table: Option<String>,
        /// The key's columns, in key order; empty when not known.
        columns: Vec<String>,
        /// diesel's error (`DatabaseError(UniqueViolation, ..)`).
        #[source]
        source: DieselError,
    },

    /// A write referenced a row that does not exist, or a delete would orphan rows.
    ///
    /// PostgreSQL names the referencing table, column and constraint. SQLite
    /// names none of them: on a write through a model glowplug fills the
    /// model's table and, when the model has exactly one foreign key, its
    /// column and name (`posts_author_id_fkey`); a refused delete stays
    /// without them on SQLite.
    #[error(
        "foreign key constraint violated{}: {} (the referenced row must exist, and referenced rows cannot be deleted while others point to them)",
        located(table, columns, constraint),
        db_message(source)
    )]
    ForeignKeyViolation {
        /// The constraint's name, when known.
        constraint: Option<String>,
        /// The referencing table, when known.
        table: Option<String>,
        /// The referencing column(s); empty when not known.
        columns: Vec<String>,
        /// diesel's error (`DatabaseError(ForeignKeyViolation, ..)`).
        #[source]
        source: DieselError,
    },

    /// A write left NULL in a column declared NOT NULL. Both backends name
    /// the table and the column; NOT NULL has no constraint name.
    #[error(
        "NOT NULL constraint violated{}: {} (give the column a value, or declare it `null`)",
        located(table, columns, constraint),
        db_message(source)
    )]
    NotNullViolation {
        /// Always `None` (NOT NULL constraints have no name); kept for the
        /// same shape as the other violations.
        constraint: Option<String>,
        /// The table.
        table: Option<String>,
        /// The column.
        columns: Vec<String>,
        /// diesel's error (`DatabaseError(NotNullViolation, ..)`).
        #[source]
        source: DieselError,
    },

    /// A write broke a CHECK constraint (an `enum(..)` column's list of
    /// values, or a check of the schema).
    ///
    /// Both backends give the constraint's name (SQLite: of a named check;
    /// the expression of an unnamed one). The column is known when the name
    /// is `table_column_check` (PostgreSQL's default, and glowplug's for
    /// `enum(..)` columns).
    #[error(
        "check constraint violated{}: {} (the value is not one the schema allows)",
        located(table, columns, constraint),
        db_message(source)
    )]
    CheckViolation {
        /// The constraint's name (SQLite: or the expression of an unnamed check).
        constraint: Option<String>,
        /// The table, when known.
        table: Option<String>,
        /// The checked column, when known.
        columns: Vec<String>,
        /// diesel's error (`DatabaseError(CheckViolation, ..)`).
        #[source]
        source: DieselError,
    },

    /// Values failed the checks declared in `model!` (`varchar(N)`,
    /// `validate(..)`, the model's `validate_with(..)` function) or what
    /// SQLite cannot store; nothing was sent. Carries every failed check,
    /// in order, with a code and a message; `Display` gives one line each,
    /// serde the `{"errors": {"field": ["message"]}}` shape (see
    /// [`FieldErrors`](crate::FieldErrors)).
    #[error("invalid {}:\n{}", .0.model(), .0)]
    Invalid(crate::FieldErrors),

    /// A row of a batch was rejected before anything of the batch was kept.
    #[error("batch row {index}: {source}")]
    InvalidRow {
        /// The row's position in the batch (0-based).
        index: usize,
        /// Why it was rejected.
        source: Box<Error>,
    },

    /// Reading, running or rolling back migrations failed.
    #[error("{0}")]
    Migration(#[from] crate::migrate::MigrationError),

    /// The database's schema differs from the models (see
    /// [`schema::check`](crate::schema::check)); the message lists every
    /// difference, one per line.
    #[error("the database schema differs from the models:\n{}", crate::schema::Difference::list(.0))]
    Drift(Vec<crate::schema::Difference>),

    /// A schema change cannot be made as asked; the message says why and what to do.
    #[error("{message}")]
    Schema {
        /// Why, and what to do.
        message: String,
        /// The error that made it impossible, when there is one.
        #[source]
        source: Option<BoxError>,
    },

    /// A page was asked for with bad input: page or `per_page` 0, or a
    /// cursor that is not one this model and ordering issued (see
    /// [`crate::pagination`]). Nothing was sent.
    #[error("bad pagination request for {model}: {message}")]
    Pagination {
        /// The model being paged.
        model: &'static str,
        /// What was wrong and what is accepted.
        message: String,
    },

    /// Async database work (`Database::run`, `Database::run_transaction`,
    /// the `tokio` feature) whose future was dropped, or whose runtime shut
    /// down, before it finished. Work that had not started never ran; a
    /// transaction was rolled back. The caller that dropped the future does
    /// not see this error; it is what the abandoned work ends with.
    #[error("the database work was cancelled: {message}")]
    Cancelled {
        /// When it was cancelled and what became of it.
        message: String,
    },

    /// A relation was loaded lazily on a model loaded in a collection while
    /// [`strict_loading`](crate::strict_loading) denies it (an N+1 query).
    #[error("{0}")]
    LazyLoad(crate::relation::LazyLoadViolation),
}

fn not_found_message(model: &str, id: Option<&str>, condition: Option<&str>) -> String {
    match (id, condition) {
        (Some(id), _) => format!("no {model} with id {id} was found"),
        (None, Some(condition)) => format!("no {model} matched {condition}"),
        (None, None) => format!("no {model} matched the query"),
    }
}

/// `err` followed by its causes (diesel's deserialization errors name the
/// field, and only their cause says what was wrong with it).
pub(crate) fn with_causes(err: &DieselError) -> String {
    let mut text = err.to_string();
    let mut cause = std::error::Error::source(err);
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = c.source();
    }
    text
}

/// The database's own message in `err`.
fn db_message(err: &DieselError) -> &str {
    match err {
        DieselError::DatabaseError(_, info) => info.message(),
        _ => "",
    }
}

fn located(table: &Option<String>, columns: &[String], constraint: &Option<String>) -> String {
    let where_ = Violation {
        table: table.clone(),
        columns: columns.to_vec(),
        constraint: constraint.clone(),
    }
    .describe();
    if where_.is_empty() {
        where_
    } else {
        format!(" on {where_}")
    }
}

impl From<DieselError> for Error {
    fn from(err: DieselError) -> Self {
        let (kind, message) = match &err {
            DieselError::NotFound => {
                return Error::NotFound {
                    model: "row",
                    id: None,
                    condition: None,
                };
            }
            // SQLite reports a delete refused by `ON DELETE RESTRICT` without
            // the extended code diesel reads the kind from.
            DieselError::DatabaseError(DatabaseErrorKind::Unknown, info)
                if info.message() == "FOREIGN KEY constraint failed" =>
            {
                (
                    DatabaseErrorKind::ForeignKeyViolation,
                    info.message().to_owned(),
                )
            }
            DieselError::DatabaseError(kind, info) => (*kind, info.message().to_owned()),
            // A failed write of COPY data reaches diesel as an I/O error.
            DieselError::SerializationError(cause) if lost_text(&cause.to_string()) => {
                let message = cause.to_string();
                return Error::ConnectionLost {
                    message,
                    source: err,
                };
            }
            _ => return Error::Query(err),
        };
        let source = err;
        if let (DieselError::DatabaseError(_, info), Some(k)) = (&source, Kind::of(kind)) {
            let found = constraint::locate(k, info.as_ref());
            return Error::violation(k, found, source);
        }
        match kind {
            _ if lost(kind, &message) => Error::ConnectionLost { message, source },
            // SQLITE_BUSY ("database is locked"): the busy timeout ran out.
            DatabaseErrorKind::Unknown if crate::backend::sqlite::is_busy(&message) => {
                Error::Busy { message, source }
            }
            // SQLITE_FULL, and PostgreSQL's disk_full (53100).
            DatabaseErrorKind::Unknown
                if message.starts_with("database or disk is full")
                    || message.contains("No space left on device") =>
            {
                Error::StorageFull { message, source }
            }
            // PostgreSQL's query_canceled (57014) and lock_not_available
            // (55P03) raised by its own timeouts.
            DatabaseErrorKind::Unknown
                if message.starts_with("canceling statement due to statement timeout")
                    || message.starts_with("canceling statement due to lock timeout") =>
            {
                Error::Timeout { message, source }
            }
            _ => Error::Query(source),
        }
    }
}

impl Error {
    /// The constraint error of `kind` at `found`.
    fn violation(kind: Kind, found: Violation, source: DieselError) -> Error {
        let Violation {
            table,
            columns,
            constraint,
        } = found;
        match kind {
            Kind::Unique => Error::UniqueViolation {
                constraint,
                table,
                columns,
                source,
            },
            Kind::ForeignKey => Error::ForeignKeyViolation {
                constraint,
                table,
                columns,
                source,
            },
            Kind::NotNull => Error::NotNullViolation {
                constraint,
                table,
                columns,
                source,
            },
            Kind::Check => Error::CheckViolation {
                constraint,
                table,
                columns,
                source,
            },
        }
    }

    /// Completes a constraint violation raised by a write of the model
    /// described by `meta` with what the backend did not report (SQLite
    /// names no constraints): the table, the column(s) and PostgreSQL's
    /// default name for the key, so that both backends give the same
    /// answer. Every write glowplug makes through a model calls it; call it
    /// on errors of writes you send yourself with diesel. Other errors, and
    /// violations of another table, are returned unchanged.
    pub fn for_model(self, meta: &ModelMeta) -> Error {
        let (kind, table, columns, constraint, source) = match self {
            Error::UniqueViolation {
                table,
                columns,
                constraint,
                source,
            } => (Kind::Unique, table, columns, constraint, source),
            Error::ForeignKeyViolation {
                table,
                columns,
                constraint,
                source,
            } => (Kind::ForeignKey, table, columns, constraint, source),
            Error::NotNullViolation {
                table,
                columns,
                constraint,
                source,
            } => (Kind::NotNull, table, columns, constraint, source),
            Error::CheckViolation {
                table,
                columns,
                constraint,
                source,
            } => (Kind::Check, table, columns, constraint, source),
            other => return other,
        };
        let mut found = Violation {
            table,
            columns,
            constraint,
        };
        found.fill_from(kind, meta);
        Error::violation(kind, found, source)
    }
}

impl Error {
    /// The field errors a web API returns for this error (422
    /// Unprocessable Entity): [`Error::Invalid`]'s own, a batch row's
    /// ([`Error::InvalidRow`]), and the constraint violations as the same
    /// shape, one error on the first column (or on `base` when no column is
    /// known): unique `has already been taken`, foreign key `does not
    /// exist`, NOT NULL `can't be blank`, check `is invalid`, with the codes
    /// `unique`, `foreign_key`, `not_null` and `check`. `None` for every
    /// other error (not the client's to fix).
    ///
    /// ```
    /// # glowplug::model! { pub User { id: pk, email: text unique } }
    /// # use glowplug::prelude::*;
    /// # fn main() -> glowplug::Result<()> {
    /// # let db = glowplug::Database::connect("sqlite::memory:")?;
    /// # let mut conn = db.get()?;
    /// # glowplug::schema::create_all(&mut conn, &[User::META])?;
    /// NewUser { email: "a@x.io".into() }.insert(&mut conn)?;
    /// let err = NewUser { email: "a@x.io".into() }.insert(&mut conn).unwrap_err();
    /// let errors = err.field_errors().expect("a client error");
    /// assert_eq!(errors.to_string(), "email: has already been taken");
    /// assert_eq!(serde_json::to_string(&errors).unwrap(), r#"{"errors":{"email":["has already been taken"]}}"#);
    /// # Ok(())
    /// # }
    /// ```
    pub fn field_errors(&self) -> Option<crate::FieldErrors> {
        self.field_errors_of("row")
    }

    /// [`Error::Invalid`] with one failed check: `field` of `model` failed
    /// `code` (`message` says how), e.g. from a lifecycle hook or a
    /// transaction that refuses a value.
    pub fn invalid(
        model: &'static str,
        field: impl Into<std::borrow::Cow<'static, str>>,
        code: impl Into<std::borrow::Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Error {
        let mut errors = crate::FieldErrors::new(model);
        errors.add(field, code, message);
        Error::Invalid(errors)
    }

    fn field_errors_of(&self, model: &'static str) -> Option<crate::FieldErrors> {
        let (code, message, columns) = match self {
            Error::Invalid(errors) => return Some(errors.clone()),
            Error::InvalidRow { source, .. } => return source.field_errors_of(model),
            Error::UniqueViolation { columns, .. } => ("unique", "has already been taken", columns),
            Error::ForeignKeyViolation { columns, .. } => {
                ("foreign_key", "does not exist", columns)
            }
            Error::NotNullViolation { columns, .. } => ("not_null", "can't be blank", columns),
            Error::CheckViolation { columns, .. } => ("check", "is invalid", columns),
            _ => return None,
        };
        let mut errors = crate::FieldErrors::new(model);
        let field = columns
            .first()
            .cloned()
            .unwrap_or_else(|| "base".to_owned());
        errors.add(field, code, message);
        Some(errors)
    }
}

impl From<r2d2::Error> for Error {
    fn from(err: r2d2::Error) -> Self {
        Error::Pool {
            message: format!("no database connection available: {err}"),
            source: Some(Box::new(err)),
        }
    }
}

/// What libpq says when the connection to the server is gone. diesel
/// classifies most of these as `ClosedConnection`, but not when they come
/// from `COPY` or from sending a statement.
const LOST_CONNECTION: [&str; 7] = [
    "no connection to the server",
    "server closed the connection unexpectedly",
    "connection to server was lost",
    "could not send data to server",
    "could not receive data from server",
    "SSL connection has been closed unexpectedly",
    "SSL SYSCALL error",
];

fn lost_text(message: &str) -> bool {
    LOST_CONNECTION.iter().any(|m| message.contains(m))
}

fn lost(kind: DatabaseErrorKind, message: &str) -> bool {
    match kind {
        DatabaseErrorKind::ClosedConnection => true,
        DatabaseErrorKind::Unknown | DatabaseErrorKind::UnableToSendCommand => lost_text(message),
        _ => false,
    }
}

/// Whether `err` means the connection to the server is gone (the same
/// rule as [`Error::ConnectionLost`]).
pub(crate) fn is_connection_lost(err: &DieselError) -> bool {
    match err {
        DieselError::DatabaseError(kind, info) => lost(*kind, info.message()),
        DieselError::SerializationError(cause) => lost_text(&cause.to_string()),
        _ => false,
    }
}

/// What to do about a failed connection attempt, from the driver's message.
fn connection_hint(message: &str) -> &'static str {
    const HINTS: [(&[&str], &str); 7] = [
        (
            &[
                "too many clients",
                "remaining connection slots are reserved",
                "too many connections",
            ],
            " (the server has no free connection slots: raise its `max_connections`, or lower `max_size` of the pools that share it, each of which may open that many connections)",
        ),
        (
            &[
                "password authentication failed",
                "no password supplied",
                "authentication failed",
            ],
            " (check the user name and password)",
        ),
        (
            &["does not exist"],
            " (check the name, or create the database first with glowplug::create_database)",
        ),
        (
            &["file is not a database", "database disk image is malformed"],
            " (the file is not a SQLite database, or it is damaged: check the path, or restore it from a backup)",
        ),
        (
            &["database or disk is full", "No space left on device"],
            " (free disk space)",
        ),
        (
            &[
                "unable to open database file",
                "readonly database",
                "Permission denied",
            ],
            " (check that the path is right and that its directory exists and is writable)",
        ),
        (
            &[
                "could not connect",
                "Connection refused",
                "could not translate host name",
                "timeout expired",
                "No route to host",
                "Network is unreachable",
                "server closed the connection unexpectedly",
                "connection to server",
            ],
            " (check that the server is running and the URL is right)",
        ),
    ];
    HINTS
        .iter()
        .find(|(needles, _)| needles.iter().any(|n| message.contains(n)))
        .map_or("", |(_, hint)| hint)
}

impl Error {
    /// [`Error::Config`] with `message` and no cause.
    pub fn config(message: String) -> Self {
        Error::Config {
            message,
            source: None,
        }
    }

    /// [`Error::Config`] with `message`, caused by `source`.
    pub fn config_caused_by(message: String, source: impl Into<BoxError>) -> Self {
        Error::Config {
            message,
            source: Some(source.into()),
        }
    }

    /// [`Error::Pool`] with `message` and no cause.
    pub fn pool(message: String) -> Self {
        Error::Pool {
            message,
            source: None,
        }
    }

    /// [`Error::Cancelled`] saying `message`.
    #[cfg(feature = "tokio")]
    pub(crate) fn cancelled(message: &str) -> Self {
        Error::Cancelled {
            message: message.to_owned(),
        }
    }

    /// [`Error::Schema`] with `message` and no cause.
    pub fn schema(message: String) -> Self {
        Error::Schema {
            message,
            source: None,
        }
    }

    /// [`Error::Schema`] with `message`, caused by `source`.
    pub fn schema_caused_by(message: String, source: impl Into<BoxError>) -> Self {
        Error::Schema {
            message,
            source: Some(source.into()),
        }
    }

    /// Whether this is [`Error::NotFound`].
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }

    /// The not-found error for `model` looked up by `id`.
    pub fn not_found(model: &'static str, id: impl std::fmt::Display) -> Self {
        Error::NotFound {
            model,
            id: Some(id.to_string()),
            condition: None,
        }
    }
}
