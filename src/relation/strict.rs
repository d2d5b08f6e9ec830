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
//! **Cost.** While no guard is held, registering and checking cost one
//! thread-local read each; the registry lives only as long as the guard.

use std::any::TypeId;
use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::fmt;
use std::hash::BuildHasher;
use std::marker::PhantomData;

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
    let previous = STATE.with(|s| {
        s.replace(Some(State {
            mode,
            loaded: HashSet::new(),
            violations: Vec::new(),
        }))
    });
    ON.with(|on| on.set(mode != LazyLoading::Allow));
    StrictLoadingGuard {
        previous,
        _thread: PhantomData,
    }
}

/// Keeps [`strict_loading`] on; restores the previous setting when dropped,
/// printing recorded violations that were not [taken](Self::take_violations).
#[must_use = "strict loading ends when the guard is dropped"]
pub struct StrictLoadingGuard {
    previous: Option<State>,
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
        STATE.with(|s| {
            s.borrow_mut()
                .as_mut()
                .map(|state| std::mem::take(&mut state.violations))
                .unwrap_or_default()
        })
    }
}

impl Drop for StrictLoadingGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        ON.with(|on| {
            on.set(
                previous
                    .as_ref()
                    .is_some_and(|p| p.mode != LazyLoading::Allow),
            )
        });
        let ended = STATE.with(|s| s.replace(previous));
        for violation in ended.map(|s| s.violations).unwrap_or_default() {
            eprintln!("glowplug strict loading: {violation}");
        }
    }
}

struct State {
    mode: LazyLoading,
    loaded: HashSet<(TypeId, u64)>,
    violations: Vec<LazyLoadViolation>,
}

thread_local! {
    static ON: Cell<bool> = const { Cell::new(false) };
    static STATE: RefCell<Option<State>> = const { RefCell::new(None) };
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
    STATE.with(|s| {
        if let Some(state) = s.borrow_mut().as_mut() {
            state.loaded.extend(rows.iter().map(|r| key::<M>(&r.id())));
        }
    });
}

/// Applies the strict-loading mode to a lazy load of `R` on `parent`:
/// allowed, recorded or refused when `parent` was registered.
pub(super) fn check<R: Relation>(parent: &R::Parent) -> Result<()> {
    if !ON.with(Cell::get) {
        return Ok(());
    }
    STATE.with(|s| {
        let mut state = s.borrow_mut();
        let Some(state) = state.as_mut() else {
            return Ok(());
        };
        if !state.loaded.contains(&key::<R::Parent>(&parent.id())) {
            return Ok(());
        }
        let violation = LazyLoadViolation {
            model: <R::Parent as Model>::NAME,
            relation: R::NAME,
            id: parent.id().to_string(),
        };
        match state.mode {
            LazyLoading::Allow => Ok(()),
            LazyLoading::Record => {
                state.violations.push(violation);
                Ok(())
            }
            LazyLoading::Deny => Err(Error::LazyLoad(violation)),
        }
    })
}
