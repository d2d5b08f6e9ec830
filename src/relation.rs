//! Relations between models, loaded lazily (one parent at a time) or
//! eagerly (a whole list of parents in one query per level, never N+1).
//!
//! # Declaring relations
//!
//! Relations are declared in [`model!`](crate::model!) next to the columns:
//!
//! ```text
//! belongs_to author: User by author_id,            // this model's author_id → User's key
//! has_many posts: Post by author_id,               // Post's author_id → this model's key
//! has_one profile: Profile by user_id,             // like has_many, at most one row
//! many_to_many tags: Tag through post_tags(post_id, tag_id),
//! ```
//!
//! Each relation `name` of a model `M` generates:
//!
//! | item | what it does |
//! |---|---|
//! | `m.name(&mut conn)` | lazy load: one query for this one parent |
//! | `m.name_query()` | the same query, unrun, to `filter`/`order` further and run with [`Crud::fetch`] |
//! | `M::NAME` (upper case) | the relation as a value, for eager loading with [`LoadRelated::load`] |
//! | `struct MNameRelation` | that value's type; implements [`Relation`] |
//!
//! What a load returns depends on the kind ([`Loaded`]):
//!
//! | kind | lazy / eager item |
//! |---|---|
//! | `has_many`, `many_to_many` | `Vec<Target>` |
//! | `has_one` | `Option<Target>` |
//! | `belongs_to` by a `not null` column | `Target` ([`Error::NotFound`] if the row is gone) |
//! | `belongs_to` by a `null` column | `Option<Target>` |
//!
//! Declaring a relation on both sides (`Post belongs_to author`, `User
//! has_many posts`) is fine: each side generates only its own items. Joins
//! come from `belongs_to`: it implements diesel's `JoinTo` both ways, so
//! `User::query().inner_join(posts::table)` compiles. Diesel allows one
//! implicit join per pair of tables, so a second `belongs_to` to the same
//! parent (an `editor` besides the `author`) is written with `(no_join)` after
//! the column and joined with an explicit `.on(..)`. A self-reference
//! (`belongs_to parent: Category by parent_id` in `Category`) generates no
//! join (diesel needs an alias for that). Every table of one `model!` call
//! may appear in one query (diesel's `allow_tables_to_appear_in_same_query!`
//! is generated for them); tables from different calls need that macro
//! written once by hand. A relation is part of its model's interface: its
//! target must be at least as visible as the model declaring it (a `pub`
//! model cannot have a relation to a `pub(crate)` one; rustc says E0446).
//!
//! # Eager loading
//!
//! ```
//! # glowplug::model! {
//! #     pub User { id: pk, name: text, has_many posts: Post by author_id }
//! #     pub Post { id: pk, author_id: bigint fk(User), title: text,
//! #                belongs_to author: User by author_id, has_many comments: Comment by post_id }
//! #     pub Comment { id: pk, post_id: bigint fk(Post), body: text }
//! # }
//! use glowplug::prelude::*;
//!
//! # fn main() -> glowplug::Result<()> {
//! # let db = glowplug::Database::connect("sqlite::memory:")?;
//! # let mut conn = db.get()?;
//! # diesel::connection::SimpleConnection::batch_execute(&mut *conn,
//! #     "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
//! #      CREATE TABLE posts (id INTEGER PRIMARY KEY, author_id BIGINT NOT NULL REFERENCES users, title TEXT NOT NULL);
//! #      CREATE TABLE comments (id INTEGER PRIMARY KEY, post_id BIGINT NOT NULL REFERENCES posts, body TEXT NOT NULL);").unwrap();
//! let ada = NewUser { name: "ada".into() }.insert(&mut conn)?;
//! let post = NewPost { author_id: ada.id, title: "Notes".into() }.insert(&mut conn)?;
//! NewComment { post_id: post.id, body: "First".into() }.insert(&mut conn)?;
//!
//! // Three queries, whatever the number of users, posts and comments.
//! let users: Vec<(User, Vec<(Post, Vec<Comment>)>)> =
//!     User::all(&mut conn)?.load(&mut conn, User::POSTS.with(Post::COMMENTS))?;
//! let (user, posts) = &users[0];
//! assert_eq!(user.name, "ada");
//! assert_eq!(posts[0].1[0].body, "First");
//!
//! // Several relations at once: a tuple of relations gives a tuple of items.
//! let posts = Post::all(&mut conn)?.load(&mut conn, (Post::AUTHOR, Post::COMMENTS))?;
//! let (post, (author, comments)) = &posts[0];
//! assert_eq!((author.name.as_str(), comments.len()), ("ada", 1));
//! # let _ = post;
//! # Ok(())
//! # }
//! ```
//!
//! Every level sends one query (`many_to_many`: two, the join table then the
//! targets), with the keys of all parents in one `IN` list (`= ANY($1)`, one
//! array parameter, on PostgreSQL). SQLite caps the parameters of one
//! statement ([`Backend::max_parameters`](crate::Backend::max_parameters)), so more distinct keys than that
//! are sent in chunks of that size, one query each. An empty list of
//! parents, or parents whose keys are all NULL, sends no query. Parents come
//! back in their order; a parent's children come in the order the database
//! returned them (order them yourself when it matters). A target shared by
//! several parents (the author of many posts) is fetched once and cloned.
//!
//! # Strict loading: the N+1 guard
//!
//! A lazy load on a model that was loaded as one of many (by
//! [`Crud::all`], [`Crud::fetch`], a lazy `has_many` or an eager load) is
//! the N+1 pattern: it runs once per row of a loop. [`strict_loading`] turns
//! such loads, on the current thread, into an error
//! ([`LazyLoading::Deny`], [`Error::LazyLoad`]) or a recorded violation
//! ([`LazyLoading::Record`], listed by the guard and printed to stderr when
//! it drops), in the spirit of Rails' `strict_loading` and Laravel's
//! `preventLazyLoading`. A model fetched on its own (`find`, `insert`) may
//! still load lazily. Rows are remembered by model and key, not by value:
//! once a collection holding a row was loaded under the guard, a copy of
//! that row found again later counts as loaded in a collection too. Tests
//! switch it on for their own thread; a server can hold a guard for the
//! span of a request. With no guard, the check costs one thread-local read.

use std::any::TypeId;
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::marker::PhantomData;

use diesel::Table;
use diesel::associations::HasTable;
use diesel::query_dsl::LoadQuery;
use diesel::result::QueryResult;

use crate::connection::{BackendConnection, DbConnection, PgConnection, SqliteConnection};
use crate::error::{Error, Result};
use crate::model::{Crud, Model};

/// Access to a model's diesel column by name, for code generated elsewhere
/// (a `has_many` on the parent names a column of the child).
///
/// `model!` implements it for every column, with `KEY` =
/// [`column_key`]`("column_name")`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no column with the name given after `by` (or in `through`)",
    label = "check the column named in the relation declaration"
)]
pub trait HasColumn<const KEY: u128> {
    /// The diesel column type (`posts::author_id`).
    type Column: Default + Copy;
}

/// The key of a column name for [`HasColumn`] (FNV-1a, 128 bits).
pub const fn column_key(name: &str) -> u128 {
    let bytes = name.as_bytes();
    let mut hash: u128 = 0x6c62272e07bb014262b821756295c58d;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u128;
        hash = hash.wrapping_mul(0x0000000001000000000000000000013B);
        i += 1;
    }
    hash
}

/// The kind of a declared relation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RelationKind {
    /// `belongs_to`: this model holds the key of the target.
    BelongsTo,
    /// `has_many`: targets hold this model's key.
    HasMany,
    /// `has_one`: at most one target holds this model's key.
    HasOne,
    /// `many_to_many`: a join table pairs this model's key with the target's.
    ManyToMany,
}

/// How many targets a relation gives each parent: the shape of [`Loaded`].
pub trait Cardinality: 'static {
    /// The loaded item for targets of type `T`.
    type Out<T: Clone>: Clone;

    /// Builds the item from the targets found for one parent.
    #[doc(hidden)]
    fn collect<T: Clone>(
        found: impl Iterator<Item = T>,
        missing: impl FnOnce() -> Error,
    ) -> Result<Self::Out<T>>;
}

/// Any number of targets: `Vec<T>` (`has_many`, `many_to_many`).
#[derive(Debug)]
pub enum Many {}

/// At most one target: `Option<T>` (`has_one`, `belongs_to` by a `null` column).
#[derive(Debug)]
pub enum Optional {}

/// Exactly one target: `T` (`belongs_to` by a `not null` column).
#[derive(Debug)]
pub enum Required {}

impl Cardinality for Many {
    type Out<T: Clone> = Vec<T>;
    fn collect<T: Clone>(
        found: impl Iterator<Item = T>,
        _: impl FnOnce() -> Error,
    ) -> Result<Vec<T>> {
        Ok(found.collect())
    }
}

impl Cardinality for Optional {
    type Out<T: Clone> = Option<T>;
    fn collect<T: Clone>(
        mut found: impl Iterator<Item = T>,
        _: impl FnOnce() -> Error,
    ) -> Result<Option<T>> {
        Ok(found.next())
    }
}

impl Cardinality for Required {
    type Out<T: Clone> = T;
    fn collect<T: Clone>(
        mut found: impl Iterator<Item = T>,
        missing: impl FnOnce() -> Error,
    ) -> Result<T> {
        found.next().ok_or_else(missing)
    }
}

/// The [`Cardinality`] of a `belongs_to` by a column of this SQL type.
#[doc(hidden)]
pub trait ForeignKeySqlType {
    type Cardinality: Cardinality;
}

macro_rules! required_key_types {
    ($($ty:ident)*) => {$(
        impl ForeignKeySqlType for diesel::sql_types::$ty {
            type Cardinality = Required;
        }
    )*};
}
required_key_types!(SmallInt Integer BigInt Text);

impl<T> ForeignKeySqlType for diesel::sql_types::Nullable<T> {
    type Cardinality = Optional;
}

/// A foreign-key field's value as an optional key (`i64` or `Option<i64>`).
#[doc(hidden)]
pub trait ForeignKeyValue<K> {
    fn key(&self) -> Option<K>;
}

impl<K: Copy> ForeignKeyValue<K> for K {
    fn key(&self) -> Option<K> {
        Some(*self)
    }
}

impl<K: Copy> ForeignKeyValue<K> for Option<K> {
    fn key(&self) -> Option<K> {
        *self
    }
}

/// The diesel primary-key column of model `T`.
pub type PrimaryKeyOf<T> = <<T as HasTable>::Table as Table>::PrimaryKey;

/// The primary-key column of model `T`, as a value.
#[doc(hidden)]
pub fn primary_key_of<T: HasTable>() -> PrimaryKeyOf<T> {
    T::table().primary_key()
}

/// What loading relation `R` gives one parent: `Vec<T>`, `Option<T>` or `T`
/// (see the [module docs](self)).
pub type Loaded<R> = <<R as Relation>::Cardinality as Cardinality>::Out<<R as Relation>::Target>;

/// The query of a `belongs_to` relation: the target whose key is the foreign key.
pub type BelongsToQuery<T> = diesel::dsl::Filter<
    <T as Model>::Query,
    diesel::dsl::Eq<diesel::dsl::Nullable<PrimaryKeyOf<T>>, Option<<T as Model>::Id>>,
>;

/// The query of a `has_many` or `has_one` relation: the targets whose
/// column `Col` holds the parent's key `Id`.
pub type HasManyQuery<T, Col, Id> =
    diesel::dsl::Filter<<T as Model>::Query, diesel::dsl::Eq<Col, Id>>;

/// The query of a `many_to_many` relation: the targets whose key the join
/// table `Join` pairs (`Left` = the parent's key `Id`, `Right` = the target's key).
pub type ManyToManyQuery<T, Join, Left, Right, Id> = diesel::dsl::Filter<
    <T as Model>::Query,
    diesel::dsl::EqAny<
        PrimaryKeyOf<T>,
        diesel::dsl::Select<diesel::dsl::Filter<Join, diesel::dsl::Eq<Left, Id>>, Right>,
    >,
>;

/// A relation declared in `model!` (`User::POSTS`, `Post::AUTHOR`, …).
///
/// Pass it to [`LoadRelated::load`] to load it for a list of parents; nest
/// with [`Relation::with`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a relation declared in `glowplug::model!`",
    label = "expected a relation constant such as `User::POSTS`"
)]
pub trait Relation: Copy + Send + Sync + 'static {
    /// The model the relation is declared on.
    type Parent: Model;
    /// The model it loads.
    type Target: Crud;
    /// The key that links them (the parent's key, or for `belongs_to` the target's).
    type Key: Copy + Eq + Hash + fmt::Display + Send + Sync + 'static;
    /// How many targets each parent gets.
    type Cardinality: Cardinality;
    /// The relation's name (`"posts"`).
    const NAME: &'static str;
    /// The relation's kind.
    const KIND: RelationKind;

    /// The key a parent is matched by; `None` for a NULL foreign key.
    fn parent_key(parent: &Self::Parent) -> Option<Self::Key>;

    /// Loads the targets of `keys` (distinct, non-empty) and says which key each belongs to.
    #[doc(hidden)]
    fn fetch(
        conn: &mut BackendConnection<'_>,
        keys: &[Self::Key],
    ) -> QueryResult<Fetched<Self::Target, Self::Key>>;

    /// This relation with `nested` loaded for each of its targets:
    /// `User::POSTS.with(Post::COMMENTS)`.
    fn with<N: Eager<Self::Target>>(self, nested: N) -> With<Self, N> {
        With {
            _relation: self,
            nested,
        }
    }
}

/// Targets fetched for a set of keys, and which key each target belongs to.
#[doc(hidden)]
#[derive(Debug)]
pub struct Fetched<T, K> {
    pub targets: Vec<T>,
    pub links: Vec<(K, usize)>,
}

/// A relation with a nested relation loaded for each of its targets (see [`Relation::with`]).
#[derive(Debug, Clone, Copy)]
pub struct With<R, N> {
    _relation: R,
    nested: N,
}

/// What can be eager-loaded for parents of type `P`: a relation, a
/// relation [`with`](Relation::with) nested ones, or a tuple of those (up to four).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be loaded for `{P}`",
    label = "expected a relation declared on `{P}` (such as `{P}::POSTS`), a `.with(..)` of one, or a tuple of them",
    note = "relations are declared in `glowplug::model!`: `has_many posts: Post by author_id,`"
)]
pub trait Eager<P>: Copy {
    /// What each parent gets.
    type Item: Clone;

    /// Loads the item of each parent, in the parents' order.
    fn load_for<C: DbConnection + ?Sized>(
        self,
        conn: &mut C,
        parents: &[P],
    ) -> Result<Vec<Self::Item>>;
}

impl<R: Relation> Eager<R::Parent> for R {
    type Item = Loaded<R>;

    fn load_for<C: DbConnection + ?Sized>(
        self,
        conn: &mut C,
        parents: &[R::Parent],
    ) -> Result<Vec<Self::Item>> {
        let (targets, links) = fetch_links::<R, C>(conn, parents)?;
        links.assemble::<R, _>(targets, parents)
    }
}

impl<R: Relation, N: Eager<R::Target>> Eager<R::Parent> for With<R, N> {
    type Item = <R::Cardinality as Cardinality>::Out<(R::Target, N::Item)>;

    fn load_for<C: DbConnection + ?Sized>(
        self,
        conn: &mut C,
        parents: &[R::Parent],
    ) -> Result<Vec<Self::Item>> {
        let (targets, links) = fetch_links::<R, C>(conn, parents)?;
        let items = self.nested.load_for(conn, &targets)?;
        let pairs = targets.into_iter().zip(items).collect();
        links.assemble::<R, _>(pairs, parents)
    }
}

macro_rules! eager_tuples {
    ($( ($($name:ident),+) )*) => {$(
        impl<P, $($name: Eager<P>),+> Eager<P> for ($($name,)+) {
            type Item = ($($name::Item,)+);

            #[allow(non_snake_case)]
            fn load_for<C: DbConnection + ?Sized>(self, conn: &mut C, parents: &[P]) -> Result<Vec<Self::Item>> {
                let ($($name,)+) = self;
                $( let mut $name = $name.load_for(conn, parents)?.into_iter(); )+
                Ok((0..parents.len()).filter_map(|_| Some(($($name.next()?,)+))).collect())
            }
        }
    )*};
}
eager_tuples!((E1, E2)(E1, E2, E3)(E1, E2, E3, E4));

/// Eager loading for a list of loaded models: `users.load(&mut conn, User::POSTS)`.
pub trait LoadRelated<P>: Sized {
    /// Loads `relations` for every model of the list and pairs each model
    /// with its item, in order: one query per relation and level.
    fn load<E, C>(self, conn: &mut C, relations: E) -> Result<Vec<(P, E::Item)>>
    where
        E: Eager<P>,
        C: DbConnection + ?Sized;
}

impl<P> LoadRelated<P> for Vec<P> {
    fn load<E, C>(self, conn: &mut C, relations: E) -> Result<Vec<(P, E::Item)>>
    where
        E: Eager<P>,
        C: DbConnection + ?Sized,
    {
        let items = relations.load_for(conn, &self)?;
        Ok(self.into_iter().zip(items).collect())
    }
}

/// Which targets each parent gets: for each distinct key, a run of target
/// indices (a compressed table, so no per-parent allocation), and each
/// parent's key position (so assembling hashes nothing).
struct Links {
    /// The position of each parent's key among the distinct keys (`None`: a NULL key).
    parents: Vec<Option<usize>>,
    /// `starts[p]..starts[p + 1]` is the run of key position `p` in `targets`.
    starts: Vec<usize>,
    targets: Vec<usize>,
}

/// A relation's distinct targets, and which of them each parent gets.
type TargetsAndLinks<R> = (Vec<<R as Relation>::Target>, Links);

fn fetch_links<R: Relation, C: DbConnection + ?Sized>(
    conn: &mut C,
    parents: &[R::Parent],
) -> Result<TargetsAndLinks<R>> {
    let mut positions: HashMap<R::Key, usize> = HashMap::with_capacity(parents.len());
    let mut keys = Vec::with_capacity(parents.len());
    let parent_positions = parents
        .iter()
        .map(|parent| {
            R::parent_key(parent).map(|key| {
                *positions.entry(key).or_insert_with(|| {
                    keys.push(key);
                    keys.len() - 1
                })
            })
        })
        .collect();
    if keys.is_empty() {
        return Ok((Vec::new(), Links::group(parent_positions, 0, Vec::new())));
    }
    let Fetched { targets, links } = R::fetch(&mut conn.backend_connection(), &keys)?;
    if targets.len() > 1 {
        strict::register(&targets);
    }
    let linked = links
        .into_iter()
        .filter_map(|(key, target)| positions.get(&key).map(|&p| (p, target)))
        .collect();
    Ok((targets, Links::group(parent_positions, keys.len(), linked)))
}

impl Links {
    /// Groups `(key position, target index)` pairs by key position (a counting sort).
    fn group(parents: Vec<Option<usize>>, keys: usize, linked: Vec<(usize, usize)>) -> Self {
        let mut starts = vec![0; keys + 1];
        for &(p, _) in &linked {
            starts[p + 1] += 1;
        }
        for p in 0..keys {
            starts[p + 1] += starts[p];
        }
        let mut next = starts.clone();
        let mut targets = vec![0; linked.len()];
        for (p, t) in linked {
            targets[next[p]] = t;
            next[p] += 1;
        }
        Links {
            parents,
            starts,
            targets,
        }
    }

    fn run(&self, parent: usize) -> &[usize] {
        match self.parents[parent] {
            Some(p) => &self.targets[self.starts[p]..self.starts[p + 1]],
            None => &[],
        }
    }

    /// Hands each parent its targets: moved on their last use, cloned before.
    fn assemble<R, X>(
        &self,
        items: Vec<X>,
        parents: &[R::Parent],
    ) -> Result<Vec<<R::Cardinality as Cardinality>::Out<X>>>
    where
        R: Relation,
        X: Clone,
    {
        let mut uses = vec![0u32; items.len()];
        for parent in 0..parents.len() {
            for &t in self.run(parent) {
                uses[t] += 1;
            }
        }
        let mut slots: Vec<Option<X>> = items.into_iter().map(Some).collect();
        let mut out = Vec::with_capacity(parents.len());
        for (i, parent) in parents.iter().enumerate() {
            let found = self.run(i).iter().filter_map(|&t| {
                uses[t] -= 1;
                if uses[t] == 0 {
                    slots[t].take()
                } else {
                    slots[t].clone()
                }
            });
            out.push(R::Cardinality::collect(found, || Error::NotFound {
                model: <R::Target as Model>::NAME,
                id: R::parent_key(parent).map(|k| k.to_string()),
            })?);
        }
        Ok(out)
    }
}

/// Loads the targets of a direct relation (`belongs_to`, `has_many`,
/// `has_one`): one query per chunk of keys.
#[doc(hidden)]
pub fn fetch_direct<T, K: Copy>(
    conn: &mut BackendConnection<'_>,
    keys: &[K],
    mut load: impl FnMut(&mut BackendConnection<'_>, &[K]) -> QueryResult<Vec<T>>,
    key_of: impl Fn(&T) -> Option<K>,
) -> QueryResult<Fetched<T, K>> {
    let targets = load_chunked(conn, keys, &mut load)?;
    let links = targets
        .iter()
        .enumerate()
        .filter_map(|(i, t)| key_of(t).map(|k| (k, i)))
        .collect();
    Ok(Fetched { targets, links })
}

/// Loads the targets of a `many_to_many` relation: the join table's pairs,
/// then the distinct targets they name.
#[doc(hidden)]
pub fn fetch_through<T: Model, K: Copy>(
    conn: &mut BackendConnection<'_>,
    keys: &[K],
    mut load_pairs: impl FnMut(&mut BackendConnection<'_>, &[K]) -> QueryResult<Vec<(K, T::Id)>>,
    mut load_targets: impl FnMut(&mut BackendConnection<'_>, &[T::Id]) -> QueryResult<Vec<T>>,
) -> QueryResult<Fetched<T, K>> {
    let pairs = load_chunked(conn, keys, &mut load_pairs)?;
    let mut seen = HashSet::with_capacity(pairs.len());
    let ids: Vec<T::Id> = pairs
        .iter()
        .map(|p| p.1)
        .filter(|id| seen.insert(*id))
        .collect();
    if ids.is_empty() {
        return Ok(Fetched {
            targets: Vec::new(),
            links: Vec::new(),
        });
    }
    let targets = load_chunked(conn, &ids, &mut load_targets)?;
    let index: HashMap<T::Id, usize> = targets
        .iter()
        .enumerate()
        .map(|(i, t)| (t.id(), i))
        .collect();
    let links = pairs
        .into_iter()
        .filter_map(|(k, id)| index.get(&id).map(|&i| (k, i)))
        .collect();
    Ok(Fetched { targets, links })
}

fn load_chunked<K, T>(
    conn: &mut BackendConnection<'_>,
    keys: &[K],
    load: &mut impl FnMut(&mut BackendConnection<'_>, &[K]) -> QueryResult<Vec<T>>,
) -> QueryResult<Vec<T>> {
    let chunk = conn.backend().max_keys_per_in_list();
    if keys.len() <= chunk {
        return load(conn, keys);
    }
    let mut all = Vec::new();
    for part in keys.chunks(chunk) {
        all.extend(load(conn, part)?);
    }
    Ok(all)
}

/// A lazy load of relation `R` for one parent: the strict-loading check,
/// then `query`.
#[doc(hidden)]
pub fn lazy<R, C, Q>(parent: &R::Parent, conn: &mut C, query: Q) -> Result<Loaded<R>>
where
    R: Relation,
    C: DbConnection + ?Sized,
    Q: for<'a> LoadQuery<'a, SqliteConnection, R::Target>
        + for<'a> LoadQuery<'a, PgConnection, R::Target>,
{
    strict::check::<R>(parent)?;
    let rows = <R::Target as Crud>::fetch(conn, query)?;
    R::Cardinality::collect(rows.into_iter(), || Error::NotFound {
        model: <R::Target as Model>::NAME,
        id: R::parent_key(parent).map(|k| k.to_string()),
    })
}

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
    let previous = strict::STATE.with(|s| {
        s.replace(Some(strict::State {
            mode,
            loaded: HashSet::new(),
            violations: Vec::new(),
        }))
    });
    strict::ON.with(|on| on.set(mode != LazyLoading::Allow));
    StrictLoadingGuard {
        previous,
        _thread: PhantomData,
    }
}

/// Keeps [`strict_loading`] on; restores the previous setting when dropped,
/// printing recorded violations that were not [taken](Self::take_violations).
#[must_use = "strict loading ends when the guard is dropped"]
pub struct StrictLoadingGuard {
    previous: Option<strict::State>,
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
        strict::STATE.with(|s| {
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
        strict::ON.with(|on| {
            on.set(
                previous
                    .as_ref()
                    .is_some_and(|p| p.mode != LazyLoading::Allow),
            )
        });
        let ended = strict::STATE.with(|s| s.replace(previous));
        for violation in ended.map(|s| s.violations).unwrap_or_default() {
            eprintln!("glowplug strict loading: {violation}");
        }
    }
}

mod strict {
    use super::*;

    pub(super) struct State {
        pub(super) mode: LazyLoading,
        pub(super) loaded: HashSet<(TypeId, u64)>,
        pub(super) violations: Vec<LazyLoadViolation>,
    }

    thread_local! {
        pub(super) static ON: Cell<bool> = const { Cell::new(false) };
        pub(super) static STATE: RefCell<Option<State>> = const { RefCell::new(None) };
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

    /// Marks `rows` as loaded in a collection (only while strict loading is on).
    pub(crate) fn register<M: Model>(rows: &[M]) {
        if !ON.with(Cell::get) || rows.len() < 2 {
            return;
        }
        STATE.with(|s| {
            if let Some(state) = s.borrow_mut().as_mut() {
                state.loaded.extend(rows.iter().map(|r| key::<M>(&r.id())));
            }
        });
    }

    /// Applies the strict-loading mode to a lazy load of `R` on `parent`.
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
}

pub(crate) use strict::register;
