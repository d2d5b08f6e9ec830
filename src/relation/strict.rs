//! Strict loading, the N+1 guard: the thread-local registry of rows loaded
//! in a collection, and the check every lazy load makes against it.
//!
//! **When rows are registered.** Every read that returns many rows registers
//! them, by model type and primary key: [`Crud::all`](crate::Crud::all) and
//! [`Crud::fetch`](crate::Crud::fetch) (which lazy loads run through, so a
//! lazy `has_many` registers its children), and eager loads
//! ([`LoadRelated::load`](super::LoadRelated::load)) for their targets.
//! Single-row reads and writes (`find`, `insert`, `save`) do not, and
//! neither does a result of fewer than two rows.
//!
//! **Why.** A lazy load on a row that came in a collection is the N+1
//! pattern: the same query once per row of a loop. [`strict_loading`]
//! makes such loads fail ([`LazyLoading::Deny`]) or be recorded
//! ([`LazyLoading::Record`]) on the current thread; the registry is how a
//! lazy load knows where its parent came from. Rows are remembered by
//! model and key, not by value, so a copy of a registered row found again
//! later counts as loaded in a collection too.
//!
//! **Threads and tasks.** [`strict_loading`] covers the current thread.
//! Async code (the `tokio` feature) uses `strict_loading_scope`, which
//! covers a task: the database work the task hands to `Database::run` runs
//! under the task's setting on whichever blocking thread takes it, and the
//! registry is shared by all of that task's work.
//!
//! **Cost.** While no guard is held, registering and checking cost one
//! thread-local read each; the registry lives only as long as the guard.

use std::any::TypeId;
use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::fmt;
use std::hash::BuildHasher;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::Relation;
use crate::error::{Error, Result};
use crate::model::Model;

/// What a lazy load does under [`strict_loading`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LazyLoading {
    /// Lazy loads run (the default).
    Allow,
    /// Lazy loads run and each violation is recorded on the guard.
    Record,
    /// A lazy load on a model loaded in a collection fails with [`Error::LazyLoad`].
    Deny,
}

/// A lazy load caught by [`strict_loading`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LazyLoadViolation {
    /// The model the relation was loaded on (`"User"`).
    pub model: &'static str,
    /// The relation (`"posts"`).
    pub relation: &'static str,
    /// The model's key.
    pub id: String,
}

impl fmt::Display for LazyLoadViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "lazy load of `{model}.{relation}` for {model} {id}, which was loaded in a collection \
             (an N+1 query); eager-load it with `.load(&mut conn, {model}::{upper})`",
            model = self.model,
            relation = self.relation,
            id = self.id,
            upper = self.relation.to_uppercase(),
        )
    }
}

/// Switches strict loading on for the current thread until the guard drops.
///
/// ```
/// use glowplug::{LazyLoading, strict_loading};
/// let guard = strict_loading(LazyLoading::Deny);
/// // ... code under test: `user.posts(&mut conn)` inside a loop over
/// // `User::all(..)` now returns `Err(Error::LazyLoad { .. })`.
/// drop(guard);
/// ```
pub fn strict_loading(mode: LazyLoading) -> StrictLoadingGuard {
    let scope = Arc::new(StrictScope::new(mode));
    StrictLoadingGuard {
        _entered: enter(Some(scope.clone())),
        scope,
        _thread: PhantomData,
    }
}

/// Keeps [`strict_loading`] on; restores the previous setting when dropped,
/// printing recorded violations that were not [taken](Self::take_violations).
#[must_use = "strict loading ends when the guard is dropped"]
pub struct StrictLoadingGuard {
    scope: Arc<StrictScope>,
    /// Restores the previous scope when the guard drops.
    _entered: Entered,
    _thread: PhantomData<*const ()>,
}

impl fmt::Debug for StrictLoadingGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StrictLoadingGuard").finish_non_exhaustive()
    }
}

impl StrictLoadingGuard {
    /// The violations recorded so far ([`LazyLoading::Record`]), in order;
    /// they are not printed when the guard drops.
    pub fn take_violations(&self) -> Vec<LazyLoadViolation> {
        self.scope.take_violations()
    }
}

impl Drop for StrictLoadingGuard {
    fn drop(&mut self) {
        // `entered` restores the previous scope when it drops, after this.
        self.scope.print_violations();
    }
}

/// One strict-loading setting and what it has seen: owned by a
/// [`StrictLoadingGuard`] on one thread, or by a task's scope
/// ([`strict_loading_scope`], `tokio` feature) and lent to the blocking
/// threads that task's database work runs on.
pub(crate) struct StrictScope {
    mode: LazyLoading,
    seen: Mutex<Seen>,
}

#[derive(Default)]
struct Seen {
    loaded: HashSet<(TypeId, u64)>,
    violations: Vec<LazyLoadViolation>,
}

impl StrictScope {
    fn new(mode: LazyLoading) -> StrictScope {
        StrictScope {
            mode,
            seen: Mutex::new(Seen::default()),
        }
    }

    fn seen(&self) -> MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn take_violations(&self) -> Vec<LazyLoadViolation> {
        std::mem::take(&mut self.seen().violations)
    }

    /// Prints the violations nobody took, as a guard does when it ends.
    fn print_violations(&self) {
        for violation in self.take_violations() {
            eprintln!("glowplug strict loading: {violation}");
        }
    }
}

/// A scope installed on the current thread by [`enter`]; the previous one
/// comes back when this drops.
pub(crate) struct Entered {
    previous: Option<Arc<StrictScope>>,
}

/// Makes `scope` the current thread's strict-loading scope (none: strict
/// loading off) until the returned value drops.
pub(crate) fn enter(scope: Option<Arc<StrictScope>>) -> Entered {
    ON.with(|on| on.set(scope.as_ref().is_some_and(|s| s.mode != LazyLoading::Allow)));
    Entered {
        previous: CURRENT.with(|c| c.replace(scope)),
    }
}

impl Drop for Entered {
    fn drop(&mut self) {
        let previous = self.previous.take();
        ON.with(|on| {
            on.set(
                previous
                    .as_ref()
                    .is_some_and(|s| s.mode != LazyLoading::Allow),
            )
        });
        CURRENT.with(|c| c.replace(previous));
    }
}

thread_local! {
    /// Whether strict loading is on for this thread: the one read that
    /// registering and checking cost while it is off.
    static ON: Cell<bool> = const { Cell::new(false) };
    static CURRENT: RefCell<Option<Arc<StrictScope>>> = const { RefCell::new(None) };
}

#[cfg(feature = "tokio")]
tokio::task_local! {
    static TASK: Arc<StrictScope>;
}

/// Runs `future` with strict loading set to `mode` for the task, across
/// every `.await`: database work the task hands to
/// [`Database::run`](crate::Database::run) or
/// [`Database::run_transaction`](crate::Database::run_transaction) runs
/// under it on whichever blocking thread takes it, and rows loaded in a
/// collection by one `run` are known to the next. The thread-bound
/// [`strict_loading`] guard cannot do this: it is `!Send`, and the work runs
/// on other threads. Recorded violations nobody [took](take_task_violations)
/// are printed when the future ends.
///
/// ```
/// # use glowplug::prelude::*;
/// use glowplug::{LazyLoading, strict_loading_scope};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> glowplug::Result<()> {
/// let db = Database::connect("sqlite::memory:")?;
/// // In an axum handler: the whole request denies N+1 lazy loads.
/// let n = strict_loading_scope(LazyLoading::Deny, async {
///     db.run(|conn| {
///         diesel::sql_query("CREATE TABLE t (x INTEGER)").execute(conn)?;
///         Ok::<_, glowplug::Error>(1)
///     })
///     .await
/// })
/// .await?;
/// assert_eq!(n, 1);
/// # Ok(())
/// # }
/// ```
#[cfg(feature = "tokio")]
pub async fn strict_loading_scope<F: std::future::Future>(
    mode: LazyLoading,
    future: F,
) -> F::Output {
    let scope = Arc::new(StrictScope::new(mode));
    let output = TASK.scope(scope.clone(), future).await;
    scope.print_violations();
    output
}

/// The violations recorded so far ([`LazyLoading::Record`]) in the current
/// task's [`strict_loading_scope`], in order (empty outside one); they are
/// not printed when the scope ends.
#[cfg(feature = "tokio")]
pub fn take_task_violations() -> Vec<LazyLoadViolation> {
    TASK.try_with(|scope| scope.take_violations())
        .unwrap_or_default()
}

/// The current task's strict-loading scope, to lend to the blocking thread
/// its database work runs on ([`enter`] it there).
#[cfg(feature = "tokio")]
pub(crate) fn task_scope() -> Option<Arc<StrictScope>> {
    TASK.try_with(Arc::clone).ok()
}

fn key<M: Model>(id: &M::Id) -> (TypeId, u64) {
    (TypeId::of::<M>(), FIXED_HASHER.hash_one(id))
}

/// A hasher with fixed keys: the same id hashes the same on every call.
struct FixedHasher;
const FIXED_HASHER: FixedHasher = FixedHasher;
impl BuildHasher for FixedHasher {
    type Hasher = std::hash::DefaultHasher;
    fn build_hasher(&self) -> Self::Hasher {
        std::hash::DefaultHasher::new()
    }
}

/// Registers `rows` as loaded in a collection, so that a lazy load on any
/// of them is caught ([`check`]). Does nothing unless strict loading is on
/// for this thread, or for fewer than two rows (a row loaded alone is no
/// N+1 pattern). Called by every read that can return many rows: `Crud::all`,
/// `Crud::fetch` (so lazy `has_many` loads too) and eager loads.
pub(crate) fn register_collection<M: Model>(rows: &[M]) {
    if !ON.with(Cell::get) || rows.len() < 2 {
        return;
    }
    CURRENT.with(|c| {
        if let Some(scope) = c.borrow().as_ref() {
            scope
                .seen()
                .loaded
                .extend(rows.iter().map(|r| key::<M>(&r.id())));
        }
    });
}

/// Applies the strict-loading mode to a lazy load of `R` on `parent`:
/// allowed, recorded or refused when `parent` was registered.
pub(super) fn check<R: Relation>(parent: &R::Parent) -> Result<()> {
    if !ON.with(Cell::get) {
        return Ok(());
    }
    CURRENT.with(|c| {
        let current = c.borrow();
        let Some(scope) = current.as_ref() else {
            return Ok(());
        };
        let mut seen = scope.seen();
        if !seen.loaded.contains(&key::<R::Parent>(&parent.id())) {
            return Ok(());
        }
        let violation = LazyLoadViolation {
            model: <R::Parent as Model>::NAME,
            relation: R::NAME,
            id: parent.id().to_string(),
        };
        match scope.mode {
            LazyLoading::Allow => Ok(()),
            LazyLoading::Record => {
                seen.violations.push(violation);
                Ok(())
            }
            LazyLoading::Deny => Err(Error::LazyLoad(violation)),
        }
    })
}
