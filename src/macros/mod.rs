//! The `model!` macro: one declaration per table.
//!
//! # Design note for the next person changing the macro
//!
//! `model!` is plain `macro_rules!`, built as a pipeline of hidden stages in
//! the style of diesel 1.x's `table!`: the public macro only forwards its
//! input; `parse.rs` turns the user's grammar into normalised column records
//! (its module docs give the state format and the record format); `expand.rs`
//! turns records into items. Every path in generated code goes through
//! `$crate::` (`$crate::__private` re-exports diesel, serde, chrono and the
//! std items used), so users may shadow anything; trait impls sit in an
//! anonymous `const _: () = { ... };`. Each misuse ends in one
//! `compile_error!` naming the mistake and the accepted syntax, and nothing
//! else is expanded, so it is the only error the user sees (a duplicate
//! column name included: `parse.rs` explains how `macro_rules!` can tell).
//! The parse spends three expansion steps per column, so a 32-column
//! model stays well inside rustc's nesting limit of 128, and the models of
//! one call are expanded side by side (not one inside the other), so their
//! number does not add to the nesting depth.
//! `pastey` is used only to build the identifiers `NewUser`, `UserChanges`,
//! `users` and an `enum(..)` column's type, `PostStatus`.
//!
//! The operations a model runs are generated once per backend
//! (`__glowplug_ops!` for `SqliteConnection` and `PgConnection`): each is
//! type-checked against both backends where the model is declared, and runs
//! as plain diesel on the concrete connection.

mod enums;
mod expand;
mod ops;
mod parse;
mod relation;
mod types;

/// Declares models: a diesel table, a model struct, insert and changes
/// structs, metadata and CRUD, from one block per table.
///
/// ```
/// glowplug::model! {
///     /// A registered user.
///     #[derive(Hash, Eq)]
///     pub User {
///         id: pk,
///         username: varchar(50) unique,
///         email: varchar unique,
///         bio: text null,
///         active: bool default(true),
///         timestamps,
///     }
///
///     Category as categories {
///         id: pk(int),
///         name: text index,
///         parent_id: int null fk(Category),
///     }
/// }
/// # fn main() {
/// assert_eq!(User::META.table, "users");
/// assert_eq!(Category::META.table, "categories");
/// assert_eq!(Category::META.column("parent_id").unwrap().foreign_key.unwrap().table, "categories");
/// # }
/// ```
///
/// # Grammar
///
/// ```text
/// model! {
///     #[attributes]  visibility  Name [as table_name] {
///         #[attributes]  column: type [modifiers],
///         ...
///         timestamps,          // or timestamps(tz): created_at, updated_at
///         soft_delete,         // deleted_at: deletes are soft, reads skip deleted rows
///         lock_version,        // lock_version: optimistic locking on save/update
///     }
///     ...
/// }
/// ```
///
/// A model body may also declare relations, after or between the columns
/// ([`relation`](crate::relation) has the details):
///
/// ```text
///         belongs_to author: User by author_id,   // this model's column → User's key
///         has_many posts: Post by author_id,      // Post's column → this model's key
///         has_one profile: Profile by user_id,
///         many_to_many tags: Tag through post_tags(post_id, tag_id),
///         belongs_to editor: User by editor_id (no_join),   // a second parent of the same table
/// ```
///
/// Attributes and doc comments on a model go to its struct; on a column, to
/// the struct fields; on a relation, to its lazy accessor. The table name defaults to the snake-case model name
/// plus `s` (`User` → `users`, `PostTag` → `post_tags`); write
/// `Category as categories` where that is not the plural you want.
///
/// # Column types
///
/// One table (`src/types.rs`, mirrored for the macro in `src/macros/types.rs`)
/// defines every type; a test checks that this list matches it.
///
/// | type | diesel SQL type | Rust type | PostgreSQL | SQLite |
/// |---|---|---|---|---|
/// | `pk` | `BigInt`, auto-increment primary key | `i64` | `BIGSERIAL` | `INTEGER` (rowid) |
/// | `pk(int)` | `Integer`, auto-increment primary key | `i32` | `SERIAL` | `INTEGER` (rowid) |
/// | `pk(bigint)` | same as `pk` | `i64` | `BIGSERIAL` | `INTEGER` (rowid) |
/// | `pk(uuid)` | `glowplug::sql_types::Uuid`, made by glowplug on insert (`Uuid::new_v4`) | `glowplug::Uuid` | `UUID` | `UUID` |
/// | `int`, `integer` | `Integer` | `i32` | `INTEGER` | `INTEGER` |
/// | `bigint` | `BigInt` | `i64` | `BIGINT` | `BIGINT` |
/// | `smallint` | `SmallInt` | `i16` | `SMALLINT` | `SMALLINT` |
/// | `float` | `Float` | `f32` | `REAL` | `REAL` |
/// | `double` | `Double` | `f64` | `DOUBLE PRECISION` | `DOUBLE` |
/// | `bool` | `Bool` | `bool` | `BOOLEAN` | `BOOLEAN` |
/// | `text` | `Text` | `String` | `TEXT` | `TEXT` |
/// | `varchar`, `varchar(N)` | `Text` | `String` | `VARCHAR` | `VARCHAR` |
/// | `timestamp` | `Timestamp` | `chrono::NaiveDateTime` | `TIMESTAMP` | `TIMESTAMP` |
/// | `timestamptz` | `glowplug::sql_types::TimestampTz` | `glowplug::UtcDateTime` | `TIMESTAMPTZ` | `TIMESTAMPTZ` |
/// | `date` | `Date` | `chrono::NaiveDate` | `DATE` | `DATE` |
/// | `time` | `Time` | `chrono::NaiveTime` | `TIME` | `TIME` |
/// | `binary` | `Binary` | `Vec<u8>` | `BYTEA` | `BLOB` |
/// | `json` | `Json` | `serde_json::Value` | `JSON` | `JSON` |
/// | `uuid` | `glowplug::sql_types::Uuid` | `glowplug::Uuid` | `UUID` | `UUID` |
/// | `decimal(P, S)` | `glowplug::sql_types::ExactDecimal<P, S>` | `glowplug::Decimal` | `NUMERIC` | `DECIMAL_TEXT` |
/// | `enum(A, B, ..)` | `Text` | `ModelColumn` | `TEXT` | `TEXT` |
///
/// `varchar(N)` takes a maximum length in characters. `timestamp` holds UTC
/// by convention. `timestamptz` is an instant: PostgreSQL's `timestamptz`;
/// on SQLite, text in one fixed width (`2026-11-26 15:04:05.123456+00:00`),
/// so text order is time order. `uuid` is PostgreSQL's `uuid`; on SQLite,
/// the 36-character lower-case hyphenated text (its order is the order of
/// the bytes, as on PostgreSQL). `decimal(P, S)` is PostgreSQL's
/// `numeric(P,S)`; on SQLite, exact text in one width that sorts as the
/// numbers do (diesel's SQLite decimals go through `f64`; see
/// [`Decimal`](crate::Decimal)). Their Rust values, [`Decimal`](crate::Decimal), [`Uuid`](crate::Uuid)
/// and [`UtcDateTime`](crate::UtcDateTime), wrap `bigdecimal::BigDecimal`,
/// `uuid::Uuid` and `chrono::DateTime<Utc>` (`Deref`, `From` both ways): only diesel may bind
/// those types themselves to a SQL type ([`sql_types`](crate::sql_types)).
///
/// `enum(A, B, ..)` generates a Rust enum named after the model and the
/// column in upper camel case (`Post { status: enum(Draft, Published) }` →
/// `PostStatus`; a column `review_state` → `PostReviewState`), with the
/// model's visibility and the listed values as variants. It derives
/// `Debug`, `Clone`, `Copy`, `PartialEq`, `Eq`, `Hash` and serde (each value
/// as its name) and has `ALL`, `NAMES`, `as_str()`, `Display`, `FromStr`,
/// `Default` (the column's `default(..)` value, or the first) and
/// [`ColumnEnum`](crate::ColumnEnum). The column stores the variant's name,
/// as written, as `TEXT` with a `CHECK (col IN ('A', 'B'))` constraint named
/// `table_column_check`, on PostgreSQL too: glowplug does not use
/// PostgreSQL's enum types, so both backends have the same DDL, and adding
/// or removing a value is a migration that rewrites the check (generated
/// migrations drop and re-add it on PostgreSQL and rebuild the table on
/// SQLite; either fails while a row holds a value the new list lacks).
/// `default(Draft)` names a value (the database default is `'Draft'`); a
/// name that is none of the values fails to compile. Filters take the enum:
/// `posts::status.eq(PostStatus::Published)`. A row whose text is none of
/// the values (a table made without the check) fails to load with an error
/// naming the column, the text and the values
/// ([`UnknownEnumValue`](crate::UnknownEnumValue)).
///
/// # Modifiers
///
/// | modifier | effect |
/// |---|---|
/// | `null` | the column accepts NULL; the field is an `Option` |
/// | `unique` | a unique key (the database enforces it; violations are [`Error::UniqueViolation`](crate::Error::UniqueViolation)) |
/// | `index` | an index |
/// | `default(expr)` | `expr` (a value of the column's Rust type, or `&str` for text; for an `enum(..)`, one of its values by name: `default(Draft)`) is inserted when the insert struct's field is `None`; a literal `expr` is also the column's default in generated DDL |
/// | `fk(Model)` | a foreign key to `Model`'s primary key |
/// | `on_delete(action)` | with `fk(..)`: what the database does to this row when the referenced row is deleted: `cascade` (delete it too), `set_null` (set this column to NULL; the column must be `null`), `restrict` (refuse the delete); without it, the delete fails while rows reference it ([`OnDelete`](crate::OnDelete)). In the DDL, introspection, drift checks and generated migrations on both backends (glowplug's SQLite connections turn `PRAGMA foreign_keys` on) |
/// | `renamed_from(old)` | the column was called `old`: generated migrations rename it instead of dropping it and adding this one ([`schema`](crate::schema)) |
/// | `validate(rule, ..)` | checks run before every write (see "Validation" below); may be given more than once |
///
/// Modifiers come in any order, each at most once (`validate(..)` may repeat):
/// `x: int unique index default(1) fk(User) on_delete(set_null) renamed_from(y) null` is the same
/// column as `x: int null unique index default(1) fk(User) on_delete(set_null) renamed_from(y)`.
///
/// Keys and indexes are in the metadata, the DDL of [`schema`](crate::schema)
/// and its drift checks. Keys over several columns are declared in the body,
/// next to the columns:
///
/// ```text
///         unique(post_id, tag_id),     // a unique key over both columns
///         index(last_name, first_name),
/// ```
///
/// # Validation
///
/// `varchar(N)` values, and the rules of a column's `validate(..)`, are
/// checked before every insert, save and update, so both backends refuse
/// the same values; one [`Error::Invalid`](crate::Error::Invalid) lists
/// every failed check with a code and a message
/// ([`FieldErrors`](crate::FieldErrors)). The README's "Validation" section
/// lists which checks each write path runs.
///
/// | rule | applies to | fails when | code, message |
/// |---|---|---|---|
/// | `length(2..=20)`, `length(2..)`, `length(..=20)` | text | fewer or more characters | `length`, `is too short (minimum is 2 characters)` / `is too long (maximum is 20 characters)` |
/// | `range(0..=150)`, `range(0..)`, `range(..=1.5)` | numbers (`decimal` too) | outside the bounds (inclusive), or NaN | `range`, `must be between 0 and 150` |
/// | `one_of("a", "b")` | text | another value | `one_of`, `is not one of: a, b` |
/// | `email` | text | no single `@` with something before it and a dotted domain after, or white space | `email`, `is invalid` |
/// | `url` | text | not `http://` or `https://` with a host, or white space | `url`, `is not a valid URL` |
/// | `regex("^[A-Z]{3}$")` | text | the pattern does not match (feature `regex`; without it, a compile error says to enable it) | `regex`, `is invalid` |
/// | `not_empty` | text | only white space | `not_empty`, `can't be blank` |
///
/// NULL, and a field an insert or changes struct leaves unset, pass every
/// rule (declare the column without `null` to require it). A `varchar(N)`
/// is `length(..=N)`, reported the same way. A rule of text on a number (or
/// the reverse) never fails; a rule on a column of another type (`bool`,
/// dates) does not compile.
///
/// A check over the whole row is a function the model names in its body,
/// `validate_with(function),`, called after the column rules with the row
/// ([`Row`](crate::Row): the insert struct, the changes of an update, or a
/// whole row) and the errors so far, to which it adds its own:
///
/// ```text
///     pub Event {
///         id: pk,
///         title: text validate(not_empty, length(..=200)),
///         seats: int validate(range(1..=500)),
///         contact: varchar(120) validate(email),
///         validate_with(check_event),    // fn check_event(row: Row<'_, Event>, errors: &mut FieldErrors)
///         hooks,                         // impl glowplug::Hooks for Event { .. }
///     }
/// ```
///
/// `hooks,` in a model body declares lifecycle hooks: the model implements
/// [`Hooks`](crate::Hooks) (before/after insert, save, update and delete),
/// which run in the write's transaction; a failing hook rolls the write
/// back. The [`Hooks`](crate::Hooks) docs list which writes call which hooks
/// (batches call `before_insert` per row). A model without `hooks,` expands
/// and runs as before.
///
/// On SQLite, every write (insert, save, update, upserts, batch inserts,
/// `upsert_rows`) also refuses, before anything is sent, the values SQLite
/// cannot store as given, with an [`Error::Invalid`](crate::Error::Invalid)
/// naming the field ([`Error::InvalidRow`](crate::Error::InvalidRow) with its
/// index in a batch, of which nothing is written):
///
/// | value | what SQLite would do | message |
/// |---|---|---|
/// | NaN in a `float` or `double` | store NULL, or fail a NOT NULL column with "NOT NULL constraint failed" | "NaN cannot be stored in SQLite (it becomes NULL); …" |
/// | a `date` or `timestamp` in a year outside 0000–9999 | store text such as `+10000-01-01` or `-0001-12-31`, which sorts before `2020-01-01`, so range filters and `ORDER BY` misplace it | "year 10000 cannot be stored in SQLite: it stores dates and timestamps as text, which sorts and compares correctly only for years 0000 to 9999; …" |
///
/// A declared `default(..)` is checked too when an insert leaves its field
/// unset. PostgreSQL stores these values (NaN, and every date and timestamp
/// from 4713 BC to the end of chrono's range), so glowplug refuses nothing
/// there. Infinities are stored and compared
/// correctly on both backends. `-0.0` is stored as `0.0` by SQLite (equal
/// by `==`, so it is not refused; the sign is lost) and kept by PostgreSQL.
/// `validate()` runs the checks that hold on every backend;
/// `validate_for(backend)` adds these.
///
/// `timestamps` adds `created_at` and `updated_at`
/// (`timestamp`, not null; `timestamps(tz)`: `timestamptz`), set by glowplug
/// on insert and bumped on save and update (no database triggers).
///
/// `soft_delete` adds `deleted_at` (`timestamp`, `null`; `soft_delete(tz)`:
/// `timestamptz`, a [`UtcDateTime`](crate::UtcDateTime) in the struct; in the model struct
/// only, like the timestamps) and makes deletes soft: the model's
/// base query, which every read starts from (`all`, `find`, scopes, counts,
/// pagination, relations loaded into other models), reads only rows whose
/// `deleted_at` is NULL; `delete` and a scope's `delete_all` set it. It
/// implements [`SoftDelete`](crate::SoftDelete): `with_deleted()`,
/// `only_deleted()`, `restore`, `force_delete` (see the
/// [`soft_delete`](crate::query::soft_delete) module).
///
/// `lock_version` adds `lock_version` (`int`, not null, `default(0)`; in
/// the model struct only) for optimistic locking: `save` and `update` write
/// only while the stored version is the one the row was read at, and bump
/// it in the database and in the struct; otherwise they write nothing and
/// return [`Error::StaleRow`](crate::Error::StaleRow) (reload and retry).
///
/// ```
/// glowplug::model! {
///     pub Note { id: pk, body: text, timestamps, soft_delete, lock_version }
/// }
/// assert!(Note::META.soft_delete() && Note::META.lock_version());
/// let names: Vec<&str> = Note::META.columns.iter().map(|c| c.name).collect();
/// assert_eq!(names, ["id", "body", "created_at", "updated_at", "deleted_at", "lock_version"]);
/// ```
///
/// # Generated items
///
/// For `User { id: pk, username: varchar(50) unique, bio: text null, active: bool default(true), timestamps }`:
///
/// | item | what it is |
/// |---|---|
/// | `mod users` | diesel's `table!` schema: `users::table`, `users::id`, `users::username`, … |
/// | `struct User` | the model: every column as a `pub` field (`Option` for `null`); derives `Debug`, `Clone`, `PartialEq`, serde `Serialize`/`Deserialize`, and diesel `Queryable`, `Selectable` (checked against SQLite and PostgreSQL), `Identifiable` (write it back with `save`, or a `UserChanges` with `update`) |
/// | `User::META` | a const [`ModelMeta`](crate::ModelMeta): table, columns, types, constraints |
/// | `struct NewUser` | the insert struct: no `id`, no timestamps; a defaulted column is an `Option` (`None` = the default; `Option<Option<_>>` when it is also `null`); `NewUser::new(..)` takes the required columns (not `null`, no `default`) in declaration order, and `Default` is derived only when there are none, so a forgotten required column does not compile (`NewUser { bio: Some(..), ..NewUser::new("ada", "a@x.io") }`); derives serde (a required field missing from JSON is an error) and implements diesel `Insertable` for `&NewUser` |
/// | `struct UserChanges` | the changes struct: every column but the key and timestamps as an `Option` (`None` = unchanged; `Some(None)` sets a nullable column to NULL); derives `Default`, serde, diesel `AsChangeset` |
/// | `impl Model for User` | [`Model`](crate::Model): `User::query()`, `user.id()`, and with it every [`Crud`](crate::Crud) method: `all`, `find`, `find_optional`, `count`, `fetch`, `save`, `update`, `reload`, `delete`, `delete_by_id` |
/// | `impl NewModel for NewUser` | [`NewModel`](crate::NewModel): `new_user.insert(&mut conn)`, `insert_or_ignore`, `upsert`, `get_or_insert` |
/// | `impl ModelChanges for UserChanges` | [`ModelChanges`](crate::ModelChanges): what `user.update(&mut conn, changes)` takes |
/// | `impl Validate for User`, `NewUser`, `UserChanges` | [`Validate`](crate::Validate): `validate()`, `validate_for(backend)`: the `varchar(N)` length, `validate(..)` rules and `validate_with(..)` function |
/// | `impl HasColumn<..> for User` | one per column: lets relations declared elsewhere name this model's columns |
///
/// For each relation, e.g. `has_many posts: Post by author_id` on `User`:
///
/// | item | what it is |
/// |---|---|
/// | `user.posts(&mut conn)` | the lazy load: `Vec<Post>` (`Option<_>` for `has_one` and a `null` `belongs_to` key, the row itself for a `not null` one) |
/// | `user.posts_query()` | the unrun diesel query, to filter or order further and run with `Post::fetch` |
/// | `User::POSTS` | the relation for eager loading: `users.load(&mut conn, User::POSTS.with(Post::COMMENTS))`, and the key to read it back: `loaded.get(User::POSTS)` |
/// | `struct UserPostsRelation` | the type of `User::POSTS`; implements [`Relation`](crate::Relation) |
/// | `impl JoinTo` (`belongs_to` only) | diesel's implicit join both ways, unless `(no_join)` or self-referential |
///
/// All tables declared in one `model!` call get diesel's
/// `allow_tables_to_appear_in_same_query!`, so joins and subselects between
/// them compile; a `many_to_many` needs its join table and target in the
/// same call as well (its query is a subselect), or that macro written by hand.
///
/// So declare a schema's models in one call. Its models are expanded side
/// by side, so their number does not count against rustc's nesting limit
/// of 128; what does is diesel's `allow_tables_to_appear_in_same_query!`,
/// which nests once per table: one call holds up to about 120 models
/// (100 are tested, in `tests/scale.rs`) without raising `recursion_limit`.
/// Tables of different calls that meet in one query need that diesel
/// macro written by hand for them. `cargo check` of a `model!` call costs
/// more than the same schema hand-written in diesel (the CRUD operations
/// are type-checked once per backend); `benches/compile_time.sh` measures
/// it and `BENCHMARKS.md` has the figures.
///
/// The crate that calls `model!` must depend on `diesel` (diesel's own
/// derives expand to `diesel::` paths) and refer to glowplug by its own name.
/// A model has at most 32 columns (diesel's default tuple limit). Each
/// column is three steps of a recursive macro and each relation one: a
/// 32-column model whose columns are all `null` needs a nesting depth of
/// 114 (measured; 118 when they are `enum(..)` columns, the last with
/// five modifier tokens before its `default(..)`), and has room for about ten relations within
/// rustc's default nesting limit of 128; past it, rustc says so and
/// `#![recursion_limit = "256"]` in the calling crate lifts the limit.
///
/// # Mistakes the macro reports
///
/// An empty model, an unknown column type or `pk(..)` argument, an `enum(..)`
/// without values or with a value that is not a name, an enum's `default(..)`
/// naming none of its values, an unknown or
/// repeated modifier, `default` or `fk` without its argument, an
/// `on_delete(..)` without `fk(..)`, with an unknown action, or `set_null` on
/// a column that is not `null`, a missing or
/// second primary key, a model with nothing but a key, `timestamps` twice,
/// `soft_delete` or `lock_version` twice or beside a column of the same
/// name, an unknown bare word (`soft_deletes,`), a
/// `null` or defaulted primary key, a missing `:`, a duplicate column, a
/// relation written the wrong way and an unknown relation kind each fail to
/// compile with one message that names the mistake and the accepted syntax.
/// A relation naming a column the other model lacks fails with an error
/// naming that column; eager-loading a relation that was not declared fails
/// with ``no associated item named `COMMENTS` found for struct `User` ``
/// (`tests/compile_fail/` records every message).
#[macro_export]
macro_rules! model {
    () => {
        ::core::compile_error!(
            "glowplug::model! needs at least one model, e.g. `glowplug::model! { User { id: pk, name: text } }`"
        );
    };
    ($($input:tt)+) => {
        $crate::__glowplug_models! { $($input)+ }
    };
}
