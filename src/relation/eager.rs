//! What eager loading returns and how it is read: [`WithRelations`] (a
//! model and the relations loaded for it, read by relation with
//! [`get`](WithRelations::get), serialized as one JSON object keyed by
//! relation name), the [`Eager`] trait that says what can be loaded
//! (a relation, a [`With`], a tuple of them) and [`LoadRelated::load`], the
//! entry point. Fetching and matching rows is [`super::load`]'s job.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::{Cardinality, Loaded, Relation, load};
use crate::connection::DbConnection;
use crate::error::Result;

/// A model with the relations eager-loaded for it: what
/// [`LoadRelated::load`] returns for each parent.
///
/// * It dereferences to the model: `user.username`, `user.id`.
/// * [`get`](WithRelations::get) reads a loaded relation by its constant:
///   `user.get(User::POSTS)` is a `&Vec<…>` (`&Option<…>` for a `has_one`,
///   `&…` for a `belongs_to` by a `not null` column). Reading a relation that
///   was not loaded does not compile.
/// * With the model's fields and each relation under its name, it
///   serializes as one object: `{"id":1,"username":"ada","posts":[{"id":7,
///   "title":"…","comments":[…]}]}`.
///
/// `L` records the relations loaded (one [`Field`] per relation, in tuples
/// for several); it is inferred, and seldom written out.
///
/// ```
/// # glowplug::model! {
/// #     pub User { id: pk, name: text, has_many posts: Post by author_id }
/// #     pub Post { id: pk, author_id: bigint fk(User), title: text,
/// #                belongs_to author: User by author_id, has_many comments: Comment by post_id }
/// #     pub Comment { id: pk, post_id: bigint fk(Post), body: text }
/// # }
/// use glowplug::prelude::*;
///
/// # fn main() -> glowplug::Result<()> {
/// # let db = glowplug::Database::connect("sqlite::memory:")?;
/// # let mut conn = db.get()?;
/// # diesel::connection::SimpleConnection::batch_execute(&mut *conn,
/// #     "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
/// #      CREATE TABLE posts (id INTEGER PRIMARY KEY, author_id BIGINT NOT NULL REFERENCES users, title TEXT NOT NULL);
/// #      CREATE TABLE comments (id INTEGER PRIMARY KEY, post_id BIGINT NOT NULL REFERENCES posts, body TEXT NOT NULL);").unwrap();
/// let ada = NewUser { name: "ada".into() }.insert(&mut conn)?;
/// let post = NewPost { author_id: ada.id, title: "Notes".into() }.insert(&mut conn)?;
/// NewComment { post_id: post.id, body: "First".into() }.insert(&mut conn)?;
///
/// let users = User::all(&mut conn)?.load(&mut conn, User::POSTS.with(Post::COMMENTS))?;
/// let ada = &users[0];
/// assert_eq!(ada.name, "ada");
/// assert_eq!(ada.get(User::POSTS)[0].get(Post::COMMENTS)[0].body, "First");
/// assert_eq!(
///     serde_json::to_string(ada).unwrap(),
///     r#"{"id":1,"name":"ada","posts":[{"id":1,"author_id":1,"title":"Notes","comments":[{"id":1,"post_id":1,"body":"First"}]}]}"#
/// );
/// # Ok(())
/// # }
/// ```
#[derive(Clone, PartialEq)]
pub struct WithRelations<P, L> {
    model: P,
    relations: L,
}

impl<P, L> WithRelations<P, L> {
    /// The model.
    pub fn model(&self) -> &P {
        &self.model
    }

    /// The model, dropping the loaded relations.
    pub fn into_model(self) -> P {
        self.model
    }

    /// The model and the loaded relations.
    pub fn into_parts(self) -> (P, L) {
        (self.model, self.relations)
    }

    /// The loaded `relation`: `user.get(User::POSTS)`.
    ///
    /// The type is the relation's item ([`Loaded`], or with nested relations
    /// loaded, the same shape of `WithRelations`). `I` (where the relation
    /// sits among those loaded) is inferred.
    pub fn get<R, I>(&self, relation: R) -> &<L as Has<R, I>>::Value
    where
        L: Has<R, I>,
    {
        let _ = relation;
        self.relations.field()
    }

    /// The loaded `relation`, to change in place.
    pub fn get_mut<R, I>(&mut self, relation: R) -> &mut <L as Has<R, I>>::Value
    where
        L: Has<R, I>,
    {
        let _ = relation;
        self.relations.field_mut()
    }

    /// The loaded `relation`, dropping the model and the other relations.
    pub fn take<R, I>(self, relation: R) -> <L as Has<R, I>>::Value
    where
        L: Has<R, I>,
    {
        let _ = relation;
        self.relations.into_field()
    }
}

impl<P, L> Deref for WithRelations<P, L> {
    type Target = P;

    fn deref(&self) -> &P {
        &self.model
    }
}

impl<P: fmt::Debug, L: DebugFields> fmt::Debug for WithRelations<P, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("WithRelations");
        out.field("model", &self.model);
        self.relations.debug_fields(&mut out);
        out.finish()
    }
}

impl<P: Serialize, L: SerializeFields> Serialize for WithRelations<P, L> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        #[derive(serde::Serialize)]
        #[serde(bound(serialize = "P: Serialize, L: SerializeFields"))]
        struct Flat<'a, P, L> {
            #[serde(flatten)]
            model: &'a P,
            #[serde(flatten)]
            relations: Entries<'a, L>,
        }
        Flat {
            model: &self.model,
            relations: Entries(&self.relations),
        }
        .serialize(serializer)
    }
}

/// The loaded relations, serialized as map entries (flattened into the model's object).
struct Entries<'a, L>(&'a L);

impl<L: SerializeFields> Serialize for Entries<'_, L> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        self.0.serialize_fields(&mut map)?;
        map.end()
    }
}

/// One loaded relation `R` and its value `V`: an element of
/// [`WithRelations`]'s `L`. Read it through [`WithRelations::get`].
pub struct Field<R, V> {
    value: V,
    _relation: PhantomData<fn() -> R>,
}

impl<R, V> Field<R, V> {
    fn new(value: V) -> Self {
        Field {
            value,
            _relation: PhantomData,
        }
    }
}

impl<R, V: Clone> Clone for Field<R, V> {
    fn clone(&self) -> Self {
        Field::new(self.value.clone())
    }
}

impl<R, V: PartialEq> PartialEq for Field<R, V> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<R: Relation, V: fmt::Debug> fmt::Debug for Field<R, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Field").field(R::NAME, &self.value).finish()
    }
}

/// The relations recorded in a [`WithRelations`], serialized by name.
#[doc(hidden)]
pub trait SerializeFields {
    fn serialize_fields<M: SerializeMap>(&self, map: &mut M) -> std::result::Result<(), M::Error>;
}

/// The relations recorded in a [`WithRelations`], debug-printed by name.
#[doc(hidden)]
pub trait DebugFields {
    fn debug_fields(&self, out: &mut fmt::DebugStruct<'_, '_>);
}

impl<R: Relation, V: Serialize> SerializeFields for Field<R, V> {
    fn serialize_fields<M: SerializeMap>(&self, map: &mut M) -> std::result::Result<(), M::Error> {
        map.serialize_entry(R::NAME, &self.value)
    }
}

impl<R: Relation, V: fmt::Debug> DebugFields for Field<R, V> {
    fn debug_fields(&self, out: &mut fmt::DebugStruct<'_, '_>) {
        out.field(R::NAME, &self.value);
    }
}

/// Reads relation `R` out of the loaded relations `Self`; `I` is where it
/// sits (inferred; [`Here`] or a tuple position and the path below it).
#[diagnostic::on_unimplemented(
    message = "relation `{R}` was not eager-loaded here",
    label = "add it to the relations passed to `.load(..)`, or nest it with `.with(..)`"
)]
pub trait Has<R, I> {
    /// The relation's loaded item.
    type Value;
    /// The item.
    fn field(&self) -> &Self::Value;
    /// The item, to change.
    fn field_mut(&mut self) -> &mut Self::Value;
    /// The item, by value.
    fn into_field(self) -> Self::Value;
}

/// [`Has`] position: the relation itself.
#[derive(Debug)]
pub enum Here {}

impl<R, V> Has<R, Here> for Field<R, V> {
    type Value = V;
    fn field(&self) -> &V {
        &self.value
    }
    fn field_mut(&mut self) -> &mut V {
        &mut self.value
    }
    fn into_field(self) -> V {
        self.value
    }
}

macro_rules! relation_tuples {
    ($( ($($name:ident),+) )*) => {$(
        impl<$($name: SerializeFields),+> SerializeFields for ($($name,)+) {
            #[allow(non_snake_case)]
            fn serialize_fields<M: SerializeMap>(&self, map: &mut M) -> std::result::Result<(), M::Error> {
                let ($($name,)+) = self;
                $( $name.serialize_fields(map)?; )+
                Ok(())
            }
        }

        impl<$($name: DebugFields),+> DebugFields for ($($name,)+) {
            #[allow(non_snake_case)]
            fn debug_fields(&self, out: &mut fmt::DebugStruct<'_, '_>) {
                let ($($name,)+) = self;
                $( $name.debug_fields(out); )+
            }
        }

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
relation_tuples!((E1, E2)(E1, E2, E3)(E1, E2, E3, E4));

macro_rules! has_in_tuples {
    ($( [$($all:ident),+] $at:ident: $pos:ident; )*) => {$(
        /// [`Has`] position: an element of a tuple of relations.
        #[derive(Debug)]
        pub enum $pos {}

        impl<R, I, $($all),+> Has<R, ($pos, I)> for ($($all,)+)
        where
            $at: Has<R, I>,
        {
            type Value = $at::Value;
            #[allow(non_snake_case, unused_variables)]
            fn field(&self) -> &Self::Value {
                let ($($all,)+) = self;
                $at.field()
            }
            #[allow(non_snake_case, unused_variables)]
            fn field_mut(&mut self) -> &mut Self::Value {
                let ($($all,)+) = self;
                $at.field_mut()
            }
            #[allow(non_snake_case, unused_variables)]
            fn into_field(self) -> Self::Value {
                let ($($all,)+) = self;
                $at.into_field()
            }
        }
    )*};
}
has_in_tuples! {
    [A, B] A: InFirstOf2;
    [A, B] B: InSecondOf2;
    [A, B, C] A: InFirstOf3;
    [A, B, C] B: InSecondOf3;
    [A, B, C] C: InThirdOf3;
    [A, B, C, D] A: InFirstOf4;
    [A, B, C, D] B: InSecondOf4;
    [A, B, C, D] C: InThirdOf4;
    [A, B, C, D] D: InFourthOf4;
}

/// A relation with a nested relation loaded for each of its targets (see [`Relation::with`]).
#[derive(Debug, Clone, Copy)]
pub struct With<R, N> {
    pub(super) relation: R,
    pub(super) nested: N,
}

/// What can be eager-loaded for parents of type `P`: a relation, a
/// relation [`with`](Relation::with) nested ones, or a tuple of those (up to four).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be loaded for `{P}`",
    label = "expected a relation declared on `{P}` (such as `{P}::POSTS`), a `.with(..)` of one, or a tuple of them",
    note = "relations are declared in `glowplug::model!`: `has_many posts: Post by author_id,`"
)]
pub trait Eager<P>: Copy {
    /// What each parent gets: a [`Field`] per relation (a tuple of them for several).
    type Item: Clone;

    /// Loads the item of each parent, in the parents' order.
    fn load_for<C: DbConnection + ?Sized>(
        self,
        conn: &mut C,
        parents: &[P],
    ) -> Result<Vec<Self::Item>>;
}

impl<R: Relation> Eager<R::Parent> for R {
    type Item = Field<R, Loaded<R>>;

    fn load_for<C: DbConnection + ?Sized>(
        self,
        conn: &mut C,
        parents: &[R::Parent],
    ) -> Result<Vec<Self::Item>> {
        let items = load::eager::<R, C, _>(conn, parents, |_, targets| Ok(targets))?;
        Ok(items.into_iter().map(Field::new).collect())
    }
}

/// What a relation `R` with nested relations `N` gives one parent.
type Nested<R, N> = <<R as Relation>::Cardinality as Cardinality>::Out<
    WithRelations<<R as Relation>::Target, <N as Eager<<R as Relation>::Target>>::Item>,
>;

impl<R: Relation, N: Eager<R::Target>> Eager<R::Parent> for With<R, N> {
    type Item = Field<R, Nested<R, N>>;

    fn load_for<C: DbConnection + ?Sized>(
        self,
        conn: &mut C,
        parents: &[R::Parent],
    ) -> Result<Vec<Self::Item>> {
        let _ = self.relation;
        let items = load::eager::<R, C, _>(conn, parents, |conn, targets| {
            let items = self.nested.load_for(conn, &targets)?;
            Ok(targets
                .into_iter()
                .zip(items)
                .map(|(model, relations)| WithRelations { model, relations })
                .collect())
        })?;
        Ok(items.into_iter().map(Field::new).collect())
    }
}

/// Eager loading for a list of loaded models: `users.load(&mut conn, User::POSTS)`.
pub trait LoadRelated<P>: Sized {
    /// Loads `relations` for every model of the list, one query per relation
    /// and level, and returns each model with its relations
    /// ([`WithRelations`]), in order.
    fn load<E, C>(self, conn: &mut C, relations: E) -> Result<Vec<WithRelations<P, E::Item>>>
    where
        E: Eager<P>,
        C: DbConnection + ?Sized;
}

impl<P> LoadRelated<P> for Vec<P> {
    fn load<E, C>(self, conn: &mut C, relations: E) -> Result<Vec<WithRelations<P, E::Item>>>
    where
        E: Eager<P>,
        C: DbConnection + ?Sized,
    {
        let items = relations.load_for(conn, &self)?;
        Ok(self
            .into_iter()
            .zip(items)
            .map(|(model, relations)| WithRelations { model, relations })
            .collect())
    }
}
