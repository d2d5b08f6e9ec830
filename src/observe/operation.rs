//! The façade operation a statement belongs to (`User::all`, an eager
//! load of `Post.comments`): a label the façade's entry points set for the
//! current thread while they run, read by the instrumentation for each
//! statement, and a `tracing` span carrying the rows the operation returned.
//!
//! The outermost operation wins: the statements of `get_or_insert` are
//! labelled `get_or_insert`, not the `insert_or_ignore` it calls.

use std::cell::Cell;

use tracing::field::Empty;

/// What the façade was doing when it sent a statement: the model and the
/// operation (`User`, `all`), and the relation for relation loads.
///
/// Displayed as `User::all`, `Post::eager_load(comments)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Operation {
    /// The model's name (`"User"`).
    pub model: &'static str,
    /// The façade method (`"all"`, `"find"`, `"insert"`, `"insert_batch"`,
    /// `"eager_load"`, `"lazy_load"`, …).
    pub action: &'static str,
    /// The relation loaded (`"comments"`), for `eager_load` and `lazy_load`.
    pub relation: Option<&'static str>,
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}::{}", self.model, self.action)?;
        match self.relation {
            Some(r) => write!(f, "({r})"),
            None => Ok(()),
        }
    }
}

thread_local! {
    static CURRENT: Cell<Option<Operation>> = const { Cell::new(None) };
}

/// The operation running on this thread, if any.
pub(crate) fn current() -> Option<Operation> {
    CURRENT.with(Cell::get)
}

/// Labels the statements of this thread with `model::action` until the
/// returned guard is dropped, unless an outer operation already does (the
/// operation the caller called is the one reported).
pub(crate) fn scope(model: &'static str, action: &'static str) -> Scope {
    let op = Operation {
        model,
        action,
        relation: None,
    };
    match current() {
        Some(_) => Scope {
            restore: None,
            span: None,
        },
        None => enter(op, None),
    }
}

/// Labels the statements of this thread with a relation load until the
/// returned guard is dropped. Unlike [`scope`] it labels its own
/// statements even inside another operation, so each level of an eager
/// load is reported with its relation.
pub(crate) fn scope_relation(
    model: &'static str,
    action: &'static str,
    relation: &'static str,
) -> Scope {
    let op = Operation {
        model,
        action,
        relation: Some(relation),
    };
    enter(op, current())
}

fn enter(op: Operation, previous: Option<Operation>) -> Scope {
    CURRENT.with(|c| c.set(Some(op)));
    let span = tracing::debug_span!(
        target: "glowplug::operation",
        "operation",
        model = op.model,
        operation = op.action,
        relation = op.relation,
        rows = Empty,
    );
    Scope {
        restore: Some(previous),
        span: (!span.is_disabled()).then(|| span.entered()),
    }
}

/// Ends an operation's label when dropped; see [`scope`].
pub(crate) struct Scope {
    /// The label to put back when dropped (`None`: this scope set none).
    restore: Option<Option<Operation>>,
    span: Option<tracing::span::EnteredSpan>,
}

impl Scope {
    /// Records the rows the operation returned or wrote on its span.
    pub(crate) fn rows(&self, rows: usize) {
        if let Some(span) = &self.span {
            span.record("rows", rows);
        }
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        if let Some(previous) = self.restore {
            CURRENT.with(|c| c.set(previous));
        }
    }
}
