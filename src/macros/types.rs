//! The column-type table of `model!`: one rule per type keyword, holding
//! every fact the macro layer needs about it.
//!
//! `__glowplug_type!` is the only place in the macro layer that knows the
//! type keywords. Its run-time mirror is [`crate::types`] (names per backend
//! for DDL and introspection, scaffold spec names, the docs table); the test
//! `tests/type_table.rs` declares one column of every keyword and checks that
//! both tables agree. Adding a type is one rule here, one entry there, and
//! tests.
//!
//! # Calling it
//!
//! ```text
//! __glowplug_type! { [keyword (args)?] for = [Model column], then = [macro path] { args } }
//! ```
//!
//! expands to `macro path! { { facts } args }`: the facts block comes first,
//! so the receiver can match it before a free run of tokens. The parse stage
//! hands it its local probe (which builds the column record); the expansion
//! stage hands it [`__glowplug_fact!`], which picks one fact. `for` names
//! the column in the error for an unknown keyword.
//!
//! # The facts block
//!
//! `{ key = [..], sql = [..], rust = [..], column = [..], len = [..], check = [..] }`,
//! then `values = [..]` for an enum:
//!
//! * `key`: empty for an ordinary column; for a primary key, how its value
//!   is made: `[db]` (auto-increment) or `[rust expr]` (computed on insert);
//! * `sql`: diesel's SQL type, a plain path (diesel's `table!` reads its
//!   last segment to give numeric and date columns their operators);
//! * `rust`: the field's Rust type (without `Option` for `null`);
//! * `column`: the [`ColumnType`](crate::ColumnType) of the metadata;
//! * `len`: `[N]` for `varchar(N)`, checked before writes (with the
//!   column's `validate(..)` rules, `__glowplug_rules!`);
//! * `check`: the value type SQLite cannot always store faithfully (NaN
//!   floats, dates outside years 0000–9999; see `check_sqlite`), or `[]`;
//! * `values`: only for `enum(A, B)`, its variants. Its Rust type is the
//!   enum `enums.rs` generates, named after the model and the column
//!   (`for`), so the `rust` fact is empty when `for` is.
//!
//! Depth: a lookup is one expansion step; the parse spends three steps per
//! column (parse, this table, the probe), see `parse.rs`.

/// The type table; see the module docs of `macros/types.rs`.
#[doc(hidden)]
#[macro_export]
macro_rules! __glowplug_type {
    // Primary keys.
    ([pk] for = $for:tt, then = [$($cb:tt)*] { $($args:tt)* }) => { $($cb)*! { {
        key = [db], sql = [$crate::__private::diesel::sql_types::BigInt], rust = [i64],
        column = [$crate::ColumnType::BigInt], len = [], check = [] } $($args)* } };
    ([pk (bigint)] for = $for:tt, then = [$($cb:tt)*] { $($args:tt)* }) => { $($cb)*! { {
        key = [db], sql = [$crate::__private::diesel::sql_types::BigInt], rust = [i64],
        column = [$crate::ColumnType::BigInt], len = [], check = [] } $($args)* } };
    ([pk (int)] for = $for:tt, then = [$($cb:tt)*] { $($args:tt)* }) => { $($cb)*! { {
        key = [db], sql = [$crate::__private::diesel::sql_types::Integer], rust = [i32],
        column = [$crate::ColumnType::Integer], len = [], check = [] } $($args)* } };
    ([pk (integer)] for = $for:tt, then = [$($cb:tt)*] { $($args:tt)* }) => { $($cb)*! { {
        key = [db], sql = [$crate::__private::diesel::sql_types::Integer], rust = [i32],
        column = [$crate::ColumnType::Integer], len = [], check = [] } $($args)* } };
    ([pk (uuid)] for = $for:tt, then = [$($cb:tt)*] { $($args:tt)* }) => { $($cb)*! { {
        key = [rust $crate::__private::new_uuid()], sql = [$crate::sql_types::Uuid], rust = [$crate::__private::Uuid],
        column = [$crate::ColumnType::Uuid], len = [], check = [] } $($args)* } };
    ([pk $($other:tt)*] for = [$m:ident $c:ident], then = $cb:tt $args:tt) => {
        ::core::compile_error!(::core::concat!(
            "model `", ::core::stringify!($m), "`, column `", ::core::stringify!($c), "`: unknown primary key type `pk",
            ::core::stringify!($($other)*), "`; accepted: pk (i64), pk(bigint) (i64), pk(int) (i32), pk(uuid) (uuid::Uuid, made on insert)"
        ));
    };

    // Ordinary columns.
    ([int] for = $for:tt, then = [$($cb:tt)*] { $($args:tt)* }) => { $($cb)*! { {
        key = [], sql = [$crate::__private::diesel::sql_types::Integer], rust = [i32],
        column = [$crate::ColumnType::Integer], len = [], check = [] } $($args)* } };
    ([integer] for = $for:tt, then = [$($cb:tt)*] { $($args:tt)* }) => { $($cb)*! { {
        key = [], sql = [$crate::__private::diesel::sql_types::Integer], rust = [i32],
        column = [$crate::ColumnType::Integer], len = [], check = [] } $($args)* } };
    ([bigint] for = $for:tt, then = [$($cb:tt)*] { $($args:tt)* }) => { $($cb)*! { {
        key = [], sql = [$crate::__private::diesel::sql_types::BigInt], rust = [i64],
        column = [$crate::ColumnType::BigInt], len = [], check = [] } $($args)* } };
    ([smallint] for = $for:tt, then = [$($cb:tt)*] { $($args:tt)* }) => { $($cb)*! { {
        key = [], sql = [$crate::__private::diesel::sql_types::SmallInt], rust = [i16],
        column = [$crate::ColumnType::SmallInt], len = [], check = [] } $($args)* } };
    ([float] for = $for:tt, then = [$($cb:tt)*] { $($args:tt)* }) => { $($cb)*! { {
        key = [], sql = [$crate::__private::diesel::sql_types::Float], rust = [f32],
        column = [$crate::ColumnType::Float], len = [], check = [f32] } $($args)* } };
    ([double] for = $for:tt, then = [$($cb:tt)*] { $($args:tt)* }) => { $($cb)*! { {
        key = [], sql = [$crate::__private::diesel::sql_types::Double], rust = [f64],
        column = [$crate::ColumnType::Double], len = [], check = [f64] } $($args)* } };
    ([bool] for = $for:tt, then = [$($cb:tt)*] { $($args:tt)* }) => { $($cb)*! { {
        key = [], sql = [$crate::__private::diesel::sql_types::Bool], rust = [bool],
        column = [$crate::ColumnType::Bool], len = [], check = [] } $($args)* } };
    ([text] for = $for:tt, then = [$($cb:tt)*] { $($args:tt)* }) => { $($cb)*! { {
        key = [], sql = [$crate::__private::diesel::sql_types::Text], rust = [$crate::__private::String],
        column = [$crate::ColumnType::Text], len = [], check = [] } $($args)* } };
    ([varchar] for = $for:tt, then = [$($cb:tt)*] { $($args:tt)* }) => { $($cb)*! { {
        key = [], sql = [$crate::__private::diesel::sql_types::Text], rust = [$crate::__private::String],
        column = [$crate::ColumnType::Varchar(::core::option::Option::None)], len = [], check = [] } $($args)* } };
    ([varchar ($max:literal)] for = $for:tt, then = [$($cb:tt)*] { $($args:tt)* }) => { $($cb)*! { {
        key = [], sql = [$crate::__private::diesel::sql_types::Text], rust = [$crate::__private::String],
        column = [$crate::ColumnType::Varchar(::core::option::Option::Some($max))], len = [$max], check = [] } $($args)* } };
    ([timestamp] for = $for:tt, then = [$($cb:tt)*] { $($args:tt)* }) => { $($cb)*! { {
        key = [], sql = [$crate::__private::diesel::sql_types::Timestamp], rust = [$crate::__private::NaiveDateTime],
        column = [$crate::ColumnType::Timestamp], len = [], check = [$crate::__private::NaiveDateTime] } $($args)* } };
    ([timestamptz] for = $for:tt, then = [$($cb:tt)*] { $($args:tt)* }) => { $($cb)*! { {
        key = [], sql = [$crate::sql_types::TimestampTz], rust = [$crate::__private::UtcDateTime],
        column = [$crate::ColumnType::TimestampTz], len = [], check = [$crate::__private::UtcDateTime] } $($args)* } };
    ([date] for = $for:tt, then = [$($cb:tt)*] { $($args:tt)* }) => { $($cb)*! { {
        key = [], sql = [$crate::__private::diesel::sql_types::Date], rust = [$crate::__private::NaiveDate],
        column = [$crate::ColumnType::Date], len = [], check = [$crate::__private::NaiveDate] } $($args)* } };
    ([time] for = $for:tt, then = [$($cb:tt)*] { $($args:tt)* }) => { $($cb)*! { {
        key = [], sql = [$crate::__private::diesel::sql_types::Time], rust = [$crate::__private::NaiveTime],
        column = [$crate::ColumnType::Time], len = [], check = [] } $($args)* } };
    ([binary] for = $for:tt, then = [$($cb:tt)*] { $($args:tt)* }) => { $($cb)*! { {
        key = [], sql = [$crate::__private::diesel::sql_types::Binary], rust = [$crate::__private::Vec<u8>],
        column = [$crate::ColumnType::Binary], len = [], check = [] } $($args)* } };
    ([json] for = $for:tt, then = [$($cb:tt)*] { $($args:tt)* }) => { $($cb)*! { {
        key = [], sql = [$crate::__private::diesel::sql_types::Json], rust = [$crate::__private::JsonValue],
        column = [$crate::ColumnType::Json], len = [], check = [] } $($args)* } };
    ([uuid] for = $for:tt, then = [$($cb:tt)*] { $($args:tt)* }) => { $($cb)*! { {
        key = [], sql = [$crate::sql_types::Uuid], rust = [$crate::__private::Uuid],
        column = [$crate::ColumnType::Uuid], len = [], check = [] } $($args)* } };

    ([decimal ($p:literal, $s:literal)] for = $for:tt, then = [$($cb:tt)*] { $($args:tt)* }) => { $($cb)*! { {
        key = [], sql = [$crate::sql_types::ExactDecimal<$p, $s>], rust = [$crate::__private::Decimal],
        column = [$crate::ColumnType::Decimal($p, $s)], len = [], check = [] } $($args)* } };

    // `Post { status: enum(Draft, Published) }`: the enum `PostStatus`, stored as text.
    ([enum ($($v:ident),+ $(,)?)] for = [$($m:ident $c:ident)?], then = [$($cb:tt)*] { $($args:tt)* }) => { $($cb)*! { {
        key = [], sql = [$crate::__private::diesel::sql_types::Text], rust = [$($crate::__private::pastey::paste!([<$m $c:camel>]))?],
        column = [$crate::ColumnType::Enum($crate::__private::Cow::Borrowed({
            const VALUES: &[$crate::__private::Cow<'static, str>] = &[$($crate::__private::Cow::Borrowed(::core::stringify!($v))),+];
            VALUES
        }))], len = [], check = [], values = [$($v)+] } $($args)* } };
    ([enum ()] for = [$m:ident $c:ident], then = $cb:tt $args:tt) => {
        ::core::compile_error!(::core::concat!(
            "model `", ::core::stringify!($m), "`, column `", ::core::stringify!($c),
            "`: `enum()` has no values; list one or more as Rust names: `enum(Draft, Published)`"
        ));
    };
    ([enum $($other:tt)*] for = [$m:ident $c:ident], then = $cb:tt $args:tt) => {
        ::core::compile_error!(::core::concat!(
            "model `", ::core::stringify!($m), "`, column `", ::core::stringify!($c), "`: `enum",
            ::core::stringify!($($other)*), "` is not an enum type; list one or more values as Rust names: `enum(Draft, Published)`"
        ));
    };

    // Anything else is not a type.
    ([$($ty:tt)*] for = [$m:ident $c:ident], then = $cb:tt $args:tt) => {
        ::core::compile_error!(::core::concat!(
            "model `", ::core::stringify!($m), "`, column `", ::core::stringify!($c), "`: unknown column type `",
            ::core::stringify!($($ty)*),
            "`; accepted types: pk, pk(int), pk(bigint), pk(uuid), int, integer, bigint, smallint, float, double, bool, text, varchar, varchar(N), timestamp, timestamptz, date, time, binary, json, uuid, decimal(P, S), enum(A, B, ..)"
        ));
    };
}

/// Picks one fact from a [`__glowplug_type!`] facts block: `rust`, `column`,
/// `len` (a `varchar(N)` check, given the model, field and value), `check`
/// (a SQLite check, given the model, field, value and modifiers), `default`
/// (the value a `default(..)` inserts, given the Rust type and the
/// modifier's tokens) or `enum` (an enum column's Rust enum, `enums.rs`).
#[doc(hidden)]
#[macro_export]
macro_rules! __glowplug_fact {
    ({ key = $k:tt, sql = $s:tt, rust = [$($rust:tt)*], $($facts:tt)* } rust) => { $($rust)* };
    ({ key = $k:tt, sql = $s:tt, rust = $r:tt, column = [$($column:tt)*], $($facts:tt)* } column) => { $($column)* };
    ({ key = $k:tt, sql = $s:tt, rust = $r:tt, column = $c:tt, len = [], $($facts:tt)* }
        len [$errors:ident, $field:ident, $value:expr, $mods:tt]) => {
        $crate::__glowplug_rules! { $errors, $field, $value, rules = [], mods = $mods }
    };
    ({ key = $k:tt, sql = $s:tt, rust = $r:tt, column = $c:tt, len = [$max:literal], $($facts:tt)* }
        len [$errors:ident, $field:ident, $value:expr, $mods:tt]) => {
        $crate::__glowplug_rules! { $errors, $field, $value,
            rules = [$crate::Rule::length(::core::option::Option::None, ::core::option::Option::Some($max)),], mods = $mods }
    };
    ({ key = $k:tt, sql = $s:tt, rust = $r:tt, column = $c:tt, len = $l:tt, check = [] $(, $($more:tt)*)? } check $args:tt) => {};
    ({ key = $k:tt, sql = $s:tt, rust = $r:tt, column = $c:tt, len = $l:tt, check = [$base:ty] }
        check [$errors:ident, $field:ident, $value:expr, [$($mods:tt)*]]) => {
        $crate::__glowplug_default! { mods = [$($mods)*], then = sqlite_check [$errors, $field, $value, $base] }
    };
    ({ key = [db], $($facts:tt)* } key $args:tt) => {};
    // An enum's `default(Variant)` is its `Default` (checked against the values there).
    ({ key = $k:tt, sql = $s:tt, rust = $r:tt, column = $c:tt, len = $l:tt, check = $ch:tt, values = $v:tt }
        default $base:tt $value:tt) => {
        $crate::__private::EnumDefault
    };
    ({ $($facts:tt)* } default $base:tt [$($value:tt)+]) => { $($value)+ };
    ({ key = $k:tt, sql = $s:tt, rust = $r:tt, column = $c:tt, len = $l:tt, check = $ch:tt, values = $v:tt } enum { $($args:tt)* }) => {
        $crate::__glowplug_enum! { values = $v, $($args)* }
    };
    ({ $($facts:tt)* } enum $args:tt) => {};
}
