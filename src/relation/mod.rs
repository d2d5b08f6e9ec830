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
//! let users = User::all(&mut conn)?.load(&mut conn, User::POSTS.with(Post::COMMENTS))?;
//! let user = &users[0];
//! assert_eq!(user.name, "ada"); // the model's fields, through `Deref`
//! assert_eq!(user.get(User::POSTS)[0].get(Post::COMMENTS)[0].body, "First");
//!
//! // Several relations at once: a tuple of relations, each read by name.
//! let posts = Post::all(&mut conn)?.load(&mut conn, (Post::AUTHOR, Post::COMMENTS))?;
//! let post = &posts[0];
//! assert_eq!((post.get(Post::AUTHOR).name.as_str(), post.get(Post::COMMENTS).len()), ("ada", 1));
//!
//! // JSON for an API: the model's fields and each relation under its name.
//! assert_eq!(
//!     serde_json::to_value(post).unwrap(),
//!     serde_json::json!({"id": 1, "author_id": 1, "title": "Notes",
//!                        "author": {"id": 1, "name": "ada"},
//!                        "comments": [{"id": 1, "post_id": 1, "body": "First"}]}),
//! );
//! # Ok(())
//! # }
//! ```
//!
//! Each parent comes back as a [`WithRelations`]: it dereferences to the
//! model, [`WithRelations::get`] reads a loaded relation by its constant
//! (`user.get(User::POSTS)`; a relation that was not loaded does not
//! compile), and it serializes as one object with each relation under its
//! name. A relation loaded `.with(..)` nested ones gives `WithRelations` of
//! its targets in turn.
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
//!
//! Rows are registered where they are loaded: [`Crud::all`],
//! [`Crud::fetch`] (which lazy loads go through) and eager loads call the
//! crate's `relation::strict` module, which owns the registry.

mod by_keys;
mod eager;
mod load;
pub(crate) mod strict;

use std::fmt;
use std::hash::Hash;

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

impl ForeignKeySqlType for crate::sql_types::Uuid {
    type Cardinality = Required;
}

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
            relation: self,
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
    let op = crate::observe::scope_relation(<R::Parent as Model>::NAME, "lazy_load", R::NAME);
    let rows = <R::Target as Crud>::fetch(conn, query)?;
    op.rows(rows.len());
    R::Cardinality::collect(rows.into_iter(), || Error::NotFound {
        model: <R::Target as Model>::NAME,
        id: R::parent_key(parent).map(|k| k.to_string()),
        condition: None,
    })
}

#[doc(hidden)]
pub use by_keys::ByKeys;
pub use eager::{
    DebugFields, Eager, Field, Has, Here, InFirstOf2, InFirstOf3, InFirstOf4, InFourthOf4,
    InSecondOf2, InSecondOf3, InSecondOf4, InThirdOf3, InThirdOf4, LoadRelated, SerializeFields,
    With, WithRelations,
};
pub use load::{fetch_direct, fetch_through};
pub use strict::{LazyLoadViolation, LazyLoading, StrictLoadingGuard, strict_loading};
#[cfg(feature = "tokio")]
pub use strict::{strict_loading_scope, take_task_violations};
