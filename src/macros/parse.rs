//! Parse stage of `model!`: from the user's grammar to normalised column records.
//!
//! Stages (each a hidden `#[macro_export]` macro, called through `$crate::`):
//!
//! 1. `__glowplug_models!` splits the input into models and computes the
//!    generated names with `pastey` (`NewUser`, `UserChanges`, `users`).
//! 2. `__glowplug_parse!` munches one model's body, one token at a time, with
//!    its state in named fields:
//!    `model = {..}, pk = [..], cols = [..], data = [..], timestamps = yes|no,
//!    col = [..], rest = [..]`. `col` holds the column being read (its
//!    modifiers are collected one by one); `rest` is what is left to read.
//! 3. `__glowplug_column!` maps the column type keyword to its diesel SQL
//!    type, Rust type and [`ColumnType`](crate::ColumnType);
//!    `__glowplug_column_finish!` applies `null` and `default` to the field
//!    types and hands the finished record back to `__glowplug_parse!` (`@push`).
//! 4. `__glowplug_check!` refuses empty models, models without a primary key
//!    and models with nothing but a key, then calls the expansion stage.
//!
//! A finished column record reads
//! `{ name = n, attrs = [..], fattrs = [..], sql = [SqlType], rust = [Type],
//! base = [Type], ins = [Type], kind = Kind, max = [N?], null = yes|no,
//! unique = yes|no, index = yes|no, default = [expr?], fk = [path?], role = Pk|Data|Created|Updated }`
//! where `rust` is the model field type (`Option<base>` when `null`), `ins`
//! the insert-struct field type (`Option<rust>` when there is a default) and
//! `fattrs` the extra diesel attributes of the model field.
//!
//! Every input no rule accepts ends in one `compile_error!` naming the mistake
//! and the accepted syntax.

#[doc(hidden)]
#[macro_export]
macro_rules! __glowplug_models {
    (rest = []) => {};
    (rest = [ $(#[$attr:meta])* $vis:vis $model:ident as $table:ident { $($body:tt)* } $($rest:tt)* ]) => {
        $crate::__private::pastey::paste! {
            $crate::__glowplug_parse! {
                model = { name = $model, vis = [$vis], attrs = [$(#[$attr])*], table = $table, new = [<New $model>], changes = [<$model Changes>] },
                pk = [], cols = [], data = [], timestamps = no,
                col = [],
                rest = [ $($body)* ]
            }
        }
        $crate::__glowplug_models! { rest = [ $($rest)* ] }
    };
    (rest = [ $(#[$attr:meta])* $vis:vis $model:ident { $($body:tt)* } $($rest:tt)* ]) => {
        $crate::__private::pastey::paste! {
            $crate::__glowplug_parse! {
                model = { name = $model, vis = [$vis], attrs = [$(#[$attr])*], table = [<$model:snake s>], new = [<New $model>], changes = [<$model Changes>] },
                pk = [], cols = [], data = [], timestamps = no,
                col = [],
                rest = [ $($body)* ]
            }
        }
        $crate::__glowplug_models! { rest = [ $($rest)* ] }
    };
    (rest = [ $($other:tt)* ]) => {
        ::core::compile_error!(::core::concat!(
            "glowplug::model!: expected a model such as `User { id: pk, name: text }` or `Category as categories { id: pk, name: text }`, found `",
            ::core::stringify!($($other)*), "`"
        ));
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __glowplug_parse {
    // A finished primary-key column.
    (@push state = [ model = $model:tt, pk = [], cols = [$($cols:tt)*], data = $data:tt, timestamps = $ts:ident, rest = $rest:tt ],
        role = Pk, name = $name:ident, idty = [$idty:ty], record = $record:tt) => {
        $crate::__glowplug_parse! {
            model = $model, pk = [$name $idty], cols = [$($cols)* $record], data = $data, timestamps = $ts,
            col = [], rest = $rest
        }
    };
    (@push state = [ model = { name = $m:ident $($mx:tt)* }, pk = [$first:ident $($px:tt)*], $($sx:tt)* ],
        role = Pk, name = $name:ident, $($x:tt)*) => {
        ::core::compile_error!(::core::concat!(
            "model `", ::core::stringify!($m), "` declares two primary keys (`", ::core::stringify!($first), "` and `",
            ::core::stringify!($name), "`); declare exactly one column as `pk` (composite keys are not supported)"
        ));
    };
    // A finished data column.
    (@push state = [ model = $model:tt, pk = $pk:tt, cols = [$($cols:tt)*], data = [$($data:tt)*], timestamps = $ts:ident, rest = $rest:tt ],
        role = Data, name = $name:ident, idty = $idty:tt, record = $record:tt) => {
        $crate::__glowplug_parse! {
            model = $model, pk = $pk, cols = [$($cols)* $record], data = [$($data)* $record], timestamps = $ts,
            col = [], rest = $rest
        }
    };

    // The end of the body.
    (model = $model:tt, pk = $pk:tt, cols = $cols:tt, data = $data:tt, timestamps = $ts:ident, col = [], rest = []) => {
        $crate::__glowplug_check! { model = $model, pk = $pk, cols = $cols, data = $data, timestamps = $ts }
    };

    // `timestamps`: created_at and updated_at, managed by the façade.
    (model = $model:tt, pk = $pk:tt, cols = [$($cols:tt)*], data = $data:tt, timestamps = no, col = [],
        rest = [ timestamps $(, $($rest:tt)*)? ]) => {
        $crate::__glowplug_parse! {
            model = $model, pk = $pk,
            cols = [$($cols)*
                { name = created_at, attrs = [], fattrs = [#[diesel(skip_update)]],
                  sql = [$crate::__private::diesel::sql_types::Timestamp], rust = [$crate::__private::NaiveDateTime],
                  base = [$crate::__private::NaiveDateTime], ins = [$crate::__private::NaiveDateTime], kind = Timestamp, max = [],
                  null = no, unique = no, index = no, default = [], fk = [], role = Created }
                { name = updated_at, attrs = [], fattrs = [#[diesel(skip_update)]],
                  sql = [$crate::__private::diesel::sql_types::Timestamp], rust = [$crate::__private::NaiveDateTime],
                  base = [$crate::__private::NaiveDateTime], ins = [$crate::__private::NaiveDateTime], kind = Timestamp, max = [],
                  null = no, unique = no, index = no, default = [], fk = [], role = Updated }
            ],
            data = $data, timestamps = yes, col = [], rest = [ $($($rest)*)? ]
        }
    };
    (model = { name = $m:ident $($mx:tt)* }, pk = $pk:tt, cols = $cols:tt, data = $data:tt, timestamps = yes, col = [],
        rest = [ timestamps $($rest:tt)* ]) => {
        ::core::compile_error!(::core::concat!("model `", ::core::stringify!($m), "` declares `timestamps` twice; declare it once"));
    };

    // The start of a column: `name: type(args)` or `name: type`.
    (model = $model:tt, pk = $pk:tt, cols = $cols:tt, data = $data:tt, timestamps = $ts:ident, col = [],
        rest = [ $(#[$cattr:meta])* $name:ident : $ty:ident ( $($targ:tt)* ) $($rest:tt)* ]) => {
        $crate::__glowplug_parse! {
            model = $model, pk = $pk, cols = $cols, data = $data, timestamps = $ts,
            col = [ ty = [$ty ($($targ)*)], name = $name, attrs = [$(#[$cattr])*], null = no, unique = no, index = no, default = [], fk = [] ],
            rest = [ $($rest)* ]
        }
    };
    (model = $model:tt, pk = $pk:tt, cols = $cols:tt, data = $data:tt, timestamps = $ts:ident, col = [],
        rest = [ $(#[$cattr:meta])* $name:ident : $ty:ident $($rest:tt)* ]) => {
        $crate::__glowplug_parse! {
            model = $model, pk = $pk, cols = $cols, data = $data, timestamps = $ts,
            col = [ ty = [$ty], name = $name, attrs = [$(#[$cattr])*], null = no, unique = no, index = no, default = [], fk = [] ],
            rest = [ $($rest)* ]
        }
    };
    (model = { name = $m:ident $($mx:tt)* }, pk = $pk:tt, cols = $cols:tt, data = $data:tt, timestamps = $ts:ident, col = [],
        rest = [ $(#[$cattr:meta])* $bad:tt $($rest:tt)* ]) => {
        ::core::compile_error!(::core::concat!(
            "model `", ::core::stringify!($m), "`: expected a column `name: type modifiers,` or `timestamps,` but found `",
            ::core::stringify!($bad), "`; example: `username: varchar(50) unique,`"
        ));
    };

    // Modifiers of the current column.
    (model = $model:tt, pk = $pk:tt, cols = $cols:tt, data = $data:tt, timestamps = $ts:ident,
        col = [ ty = $ty:tt, name = $name:ident, attrs = $attrs:tt, null = $null:ident, unique = $unique:ident, index = $index:ident, default = $default:tt, fk = $fk:tt ],
        rest = [ null $($rest:tt)* ]) => {
        $crate::__glowplug_parse! {
            model = $model, pk = $pk, cols = $cols, data = $data, timestamps = $ts,
            col = [ ty = $ty, name = $name, attrs = $attrs, null = yes, unique = $unique, index = $index, default = $default, fk = $fk ],
            rest = [ $($rest)* ]
        }
    };
    (model = $model:tt, pk = $pk:tt, cols = $cols:tt, data = $data:tt, timestamps = $ts:ident,
        col = [ ty = $ty:tt, name = $name:ident, attrs = $attrs:tt, null = $null:ident, unique = $unique:ident, index = $index:ident, default = $default:tt, fk = $fk:tt ],
        rest = [ unique $($rest:tt)* ]) => {
        $crate::__glowplug_parse! {
            model = $model, pk = $pk, cols = $cols, data = $data, timestamps = $ts,
            col = [ ty = $ty, name = $name, attrs = $attrs, null = $null, unique = yes, index = $index, default = $default, fk = $fk ],
            rest = [ $($rest)* ]
        }
    };
    (model = $model:tt, pk = $pk:tt, cols = $cols:tt, data = $data:tt, timestamps = $ts:ident,
        col = [ ty = $ty:tt, name = $name:ident, attrs = $attrs:tt, null = $null:ident, unique = $unique:ident, index = $index:ident, default = $default:tt, fk = $fk:tt ],
        rest = [ index $($rest:tt)* ]) => {
        $crate::__glowplug_parse! {
            model = $model, pk = $pk, cols = $cols, data = $data, timestamps = $ts,
            col = [ ty = $ty, name = $name, attrs = $attrs, null = $null, unique = $unique, index = yes, default = $default, fk = $fk ],
            rest = [ $($rest)* ]
        }
    };
    (model = $model:tt, pk = $pk:tt, cols = $cols:tt, data = $data:tt, timestamps = $ts:ident,
        col = [ ty = $ty:tt, name = $name:ident, attrs = $attrs:tt, null = $null:ident, unique = $unique:ident, index = $index:ident, default = $default:tt, fk = $fk:tt ],
        rest = [ default ( $($value:tt)+ ) $($rest:tt)* ]) => {
        $crate::__glowplug_parse! {
            model = $model, pk = $pk, cols = $cols, data = $data, timestamps = $ts,
            col = [ ty = $ty, name = $name, attrs = $attrs, null = $null, unique = $unique, index = $index, default = [$($value)+], fk = $fk ],
            rest = [ $($rest)* ]
        }
    };
    (model = $model:tt, pk = $pk:tt, cols = $cols:tt, data = $data:tt, timestamps = $ts:ident,
        col = [ ty = $ty:tt, name = $name:ident, attrs = $attrs:tt, null = $null:ident, unique = $unique:ident, index = $index:ident, default = $default:tt, fk = $fk:tt ],
        rest = [ fk ( $target:path ) $($rest:tt)* ]) => {
        $crate::__glowplug_parse! {
            model = $model, pk = $pk, cols = $cols, data = $data, timestamps = $ts,
            col = [ ty = $ty, name = $name, attrs = $attrs, null = $null, unique = $unique, index = $index, default = $default, fk = [$target] ],
            rest = [ $($rest)* ]
        }
    };
    // The end of the current column.
    (model = $model:tt, pk = $pk:tt, cols = $cols:tt, data = $data:tt, timestamps = $ts:ident,
        col = [ ty = $ty:tt, $($col:tt)* ], rest = [ $(, $($rest:tt)*)? ]) => {
        $crate::__glowplug_column! {
            state = [ model = $model, pk = $pk, cols = $cols, data = $data, timestamps = $ts, rest = [ $($($rest)*)? ] ],
            ty = $ty, col = [ $($col)* ]
        }
    };
    (model = { name = $m:ident $($mx:tt)* }, pk = $pk:tt, cols = $cols:tt, data = $data:tt, timestamps = $ts:ident,
        col = [ ty = $ty:tt, name = $name:ident, $($col:tt)* ], rest = [ $bad:tt $($rest:tt)* ]) => {
        ::core::compile_error!(::core::concat!(
            "model `", ::core::stringify!($m), "`, column `", ::core::stringify!($name), "`: unknown modifier `",
            ::core::stringify!($bad), "`; accepted modifiers: null, unique, index, default(value), fk(Model) (separate columns with commas)"
        ));
    };
}

/// Maps a column type keyword to (diesel SQL type, Rust type, `ColumnType`, max length, role).
#[doc(hidden)]
#[macro_export]
macro_rules! __glowplug_column {
    (state = $state:tt, ty = [pk], col = $col:tt) => {
        $crate::__glowplug_column_finish! { state = $state, role = Pk, sql = [$crate::__private::diesel::sql_types::BigInt], base = [i64], kind = BigInt, max = [], col = $col }
    };
    (state = $state:tt, ty = [pk (bigint)], col = $col:tt) => {
        $crate::__glowplug_column_finish! { state = $state, role = Pk, sql = [$crate::__private::diesel::sql_types::BigInt], base = [i64], kind = BigInt, max = [], col = $col }
    };
    (state = $state:tt, ty = [pk (int)], col = $col:tt) => {
        $crate::__glowplug_column_finish! { state = $state, role = Pk, sql = [$crate::__private::diesel::sql_types::Integer], base = [i32], kind = Integer, max = [], col = $col }
    };
    (state = $state:tt, ty = [pk (integer)], col = $col:tt) => {
        $crate::__glowplug_column_finish! { state = $state, role = Pk, sql = [$crate::__private::diesel::sql_types::Integer], base = [i32], kind = Integer, max = [], col = $col }
    };
    (state = $state:tt, ty = [int], col = $col:tt) => {
        $crate::__glowplug_column_finish! { state = $state, role = Data, sql = [$crate::__private::diesel::sql_types::Integer], base = [i32], kind = Integer, max = [], col = $col }
    };
    (state = $state:tt, ty = [integer], col = $col:tt) => {
        $crate::__glowplug_column_finish! { state = $state, role = Data, sql = [$crate::__private::diesel::sql_types::Integer], base = [i32], kind = Integer, max = [], col = $col }
    };
    (state = $state:tt, ty = [bigint], col = $col:tt) => {
        $crate::__glowplug_column_finish! { state = $state, role = Data, sql = [$crate::__private::diesel::sql_types::BigInt], base = [i64], kind = BigInt, max = [], col = $col }
    };
    (state = $state:tt, ty = [smallint], col = $col:tt) => {
        $crate::__glowplug_column_finish! { state = $state, role = Data, sql = [$crate::__private::diesel::sql_types::SmallInt], base = [i16], kind = SmallInt, max = [], col = $col }
    };
    (state = $state:tt, ty = [float], col = $col:tt) => {
        $crate::__glowplug_column_finish! { state = $state, role = Data, sql = [$crate::__private::diesel::sql_types::Float], base = [f32], kind = Float, max = [], col = $col }
    };
    (state = $state:tt, ty = [double], col = $col:tt) => {
        $crate::__glowplug_column_finish! { state = $state, role = Data, sql = [$crate::__private::diesel::sql_types::Double], base = [f64], kind = Double, max = [], col = $col }
    };
    (state = $state:tt, ty = [bool], col = $col:tt) => {
        $crate::__glowplug_column_finish! { state = $state, role = Data, sql = [$crate::__private::diesel::sql_types::Bool], base = [bool], kind = Bool, max = [], col = $col }
    };
    (state = $state:tt, ty = [text], col = $col:tt) => {
        $crate::__glowplug_column_finish! { state = $state, role = Data, sql = [$crate::__private::diesel::sql_types::Text], base = [$crate::__private::String], kind = Text, max = [], col = $col }
    };
    (state = $state:tt, ty = [varchar], col = $col:tt) => {
        $crate::__glowplug_column_finish! { state = $state, role = Data, sql = [$crate::__private::diesel::sql_types::Text], base = [$crate::__private::String], kind = Varchar, max = [], col = $col }
    };
    (state = $state:tt, ty = [varchar ($max:literal)], col = $col:tt) => {
        $crate::__glowplug_column_finish! { state = $state, role = Data, sql = [$crate::__private::diesel::sql_types::Text], base = [$crate::__private::String], kind = Varchar, max = [$max], col = $col }
    };
    (state = $state:tt, ty = [timestamp], col = $col:tt) => {
        $crate::__glowplug_column_finish! { state = $state, role = Data, sql = [$crate::__private::diesel::sql_types::Timestamp], base = [$crate::__private::NaiveDateTime], kind = Timestamp, max = [], col = $col }
    };
    (state = $state:tt, ty = [date], col = $col:tt) => {
        $crate::__glowplug_column_finish! { state = $state, role = Data, sql = [$crate::__private::diesel::sql_types::Date], base = [$crate::__private::NaiveDate], kind = Date, max = [], col = $col }
    };
    (state = $state:tt, ty = [time], col = $col:tt) => {
        $crate::__glowplug_column_finish! { state = $state, role = Data, sql = [$crate::__private::diesel::sql_types::Time], base = [$crate::__private::NaiveTime], kind = Time, max = [], col = $col }
    };
    (state = $state:tt, ty = [binary], col = $col:tt) => {
        $crate::__glowplug_column_finish! { state = $state, role = Data, sql = [$crate::__private::diesel::sql_types::Binary], base = [$crate::__private::Vec<u8>], kind = Binary, max = [], col = $col }
    };
    (state = $state:tt, ty = [json], col = $col:tt) => {
        $crate::__glowplug_column_finish! { state = $state, role = Data, sql = [$crate::__private::diesel::sql_types::Json], base = [$crate::__private::JsonValue], kind = Json, max = [], col = $col }
    };
    (state = [ model = { name = $m:ident $($mx:tt)* }, $($sx:tt)* ], ty = [$($ty:tt)*], col = [ name = $name:ident, $($col:tt)* ]) => {
        ::core::compile_error!(::core::concat!(
            "model `", ::core::stringify!($m), "`, column `", ::core::stringify!($name), "`: unknown column type `",
            ::core::stringify!($($ty)*),
            "`; accepted types: pk, pk(int), int, integer, bigint, smallint, float, double, bool, text, varchar, varchar(N), timestamp, date, time, binary, json"
        ));
    };
}

/// Applies `null` and `default` to the field types and pushes the finished record.
#[doc(hidden)]
#[macro_export]
macro_rules! __glowplug_column_finish {
    (state = [ model = { name = $m:ident $($mx:tt)* }, $($sx:tt)* ], role = Pk, sql = $sql:tt, base = $base:tt, kind = $kind:ident, max = $max:tt,
        col = [ name = $name:ident, attrs = $attrs:tt, null = yes, $($col:tt)* ]) => {
        ::core::compile_error!(::core::concat!(
            "model `", ::core::stringify!($m), "`: the primary key `", ::core::stringify!($name), "` cannot be `null`; remove the modifier"
        ));
    };
    (state = [ model = { name = $m:ident $($mx:tt)* }, $($sx:tt)* ], role = Pk, sql = $sql:tt, base = $base:tt, kind = $kind:ident, max = $max:tt,
        col = [ name = $name:ident, attrs = $attrs:tt, null = no, unique = $unique:ident, index = $index:ident, default = [$($default:tt)+], fk = $fk:tt ]) => {
        ::core::compile_error!(::core::concat!(
            "model `", ::core::stringify!($m), "`: the primary key `", ::core::stringify!($name), "` is assigned by the database and cannot have a `default(...)`"
        ));
    };
    (state = $state:tt, role = Pk, sql = [$sql:ty], base = [$base:ty], kind = $kind:ident, max = $max:tt,
        col = [ name = $name:ident, attrs = $attrs:tt, null = no, unique = $unique:ident, index = $index:ident, default = [], fk = $fk:tt ]) => {
        $crate::__glowplug_parse! { @push state = $state, role = Pk, name = $name, idty = [$base], record = {
            name = $name, attrs = $attrs, fattrs = [], sql = [$sql], rust = [$base], base = [$base], ins = [$base], kind = $kind, max = $max,
            null = no, unique = $unique, index = $index, default = [], fk = $fk, role = Pk
        } }
    };
    (state = $state:tt, role = Data, sql = [$sql:ty], base = [$base:ty], kind = $kind:ident, max = $max:tt,
        col = [ name = $name:ident, attrs = $attrs:tt, null = no, unique = $unique:ident, index = $index:ident, default = [], fk = $fk:tt ]) => {
        $crate::__glowplug_parse! { @push state = $state, role = Data, name = $name, idty = [], record = {
            name = $name, attrs = $attrs, fattrs = [], sql = [$sql], rust = [$base], base = [$base], ins = [$base], kind = $kind, max = $max,
            null = no, unique = $unique, index = $index, default = [], fk = $fk, role = Data
        } }
    };
    (state = $state:tt, role = Data, sql = [$sql:ty], base = [$base:ty], kind = $kind:ident, max = $max:tt,
        col = [ name = $name:ident, attrs = $attrs:tt, null = no, unique = $unique:ident, index = $index:ident, default = [$($default:tt)+], fk = $fk:tt ]) => {
        $crate::__glowplug_parse! { @push state = $state, role = Data, name = $name, idty = [], record = {
            name = $name, attrs = $attrs, fattrs = [], sql = [$sql], rust = [$base], base = [$base], ins = [$crate::__private::Option<$base>], kind = $kind, max = $max,
            null = no, unique = $unique, index = $index, default = [$($default)+], fk = $fk, role = Data
        } }
    };
    (state = $state:tt, role = Data, sql = [$sql:ty], base = [$base:ty], kind = $kind:ident, max = $max:tt,
        col = [ name = $name:ident, attrs = $attrs:tt, null = yes, unique = $unique:ident, index = $index:ident, default = [], fk = $fk:tt ]) => {
        $crate::__glowplug_parse! { @push state = $state, role = Data, name = $name, idty = [], record = {
            name = $name, attrs = $attrs, fattrs = [], sql = [$crate::__private::diesel::sql_types::Nullable<$sql>],
            rust = [$crate::__private::Option<$base>], base = [$base], ins = [$crate::__private::Option<$base>], kind = $kind, max = $max,
            null = yes, unique = $unique, index = $index, default = [], fk = $fk, role = Data
        } }
    };
    (state = $state:tt, role = Data, sql = [$sql:ty], base = [$base:ty], kind = $kind:ident, max = $max:tt,
        col = [ name = $name:ident, attrs = $attrs:tt, null = yes, unique = $unique:ident, index = $index:ident, default = [$($default:tt)+], fk = $fk:tt ]) => {
        $crate::__glowplug_parse! { @push state = $state, role = Data, name = $name, idty = [], record = {
            name = $name, attrs = $attrs, fattrs = [], sql = [$crate::__private::diesel::sql_types::Nullable<$sql>],
            rust = [$crate::__private::Option<$base>], base = [$base],
            ins = [$crate::__private::Option<$crate::__private::Option<$base>>], kind = $kind, max = $max,
            null = yes, unique = $unique, index = $index, default = [$($default)+], fk = $fk, role = Data
        } }
    };
}

/// Refuses models the expansion cannot serve, then expands.
#[doc(hidden)]
#[macro_export]
macro_rules! __glowplug_check {
    (model = { name = $m:ident $($mx:tt)* }, pk = $pk:tt, cols = [], data = $data:tt, timestamps = $ts:ident) => {
        ::core::compile_error!(::core::concat!(
            "model `", ::core::stringify!($m), "` has no columns; declare at least a primary key and one column, e.g. `",
            ::core::stringify!($m), " { id: pk, name: text }`"
        ));
    };
    (model = { name = $m:ident $($mx:tt)* }, pk = [], cols = $cols:tt, data = $data:tt, timestamps = $ts:ident) => {
        ::core::compile_error!(::core::concat!(
            "model `", ::core::stringify!($m), "` has no primary key; declare one column as `id: pk` (i64) or `id: pk(int)` (i32)"
        ));
    };
    (model = { name = $m:ident $($mx:tt)* }, pk = $pk:tt, cols = $cols:tt, data = [], timestamps = $ts:ident) => {
        ::core::compile_error!(::core::concat!(
            "model `", ::core::stringify!($m), "` has only a primary key; declare at least one more column, e.g. `name: text`"
        ));
    };
    (model = $model:tt, pk = $pk:tt, cols = $cols:tt, data = $data:tt, timestamps = $ts:ident) => {
        $crate::__glowplug_expand! { model = $model, pk = $pk, cols = $cols, data = $data, timestamps = $ts }
    };
}
