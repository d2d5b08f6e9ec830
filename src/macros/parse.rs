//! Parse stage of `model!`: from the user's grammar to normalised column records.
//!
//! # Why the stages look the way they do
//!
//! rustc stops expanding at a nesting depth of 128, and a `macro_rules!`
//! muncher nests once per step. So the parse spends three steps per column
//! (this parser, the type table, the column's probe) instead of one per
//! token, whatever its modifiers: a 32-column model (diesel's limit) whose
//! columns are all `null` compiles with `recursion_limit` 114 and fails at
//! 112 (measured; before the type table, 112 was enough), within the
//! default limit (`tests/macro_forms.rs` has one). A relation costs one step, and its
//! expansion about ten levels beyond the last step. What can be decided
//! where it is used (Rust types, defaults, `unique`, `index`, `fk`, the
//! length limit) is left in the record as the raw type and modifier list
//! and read by small helper macros in `expand.rs`, through the type table.
//! Only what diesel's `table!` needs as literal tokens (the SQL type,
//! wrapped in `Nullable<..>` for `null`) is decided here: `table!` accepts
//! only a plain type path, and reads the type's name to give numeric and
//! date columns their operators.
//!
//! # Stages
//!
//! 1. `__glowplug_models!` matches every model of the call in one rule and
//!    hands each to its own `__glowplug_model!` call, side by side, with the
//!    generated names computed by `pastey` (`NewUser`, `UserChanges`,
//!    `users`); a recursion over the models would nest one level deeper per
//!    model and hit the nesting limit between 40 and 50 models. Only when some
//!    piece is not a model does a second rule walk the input to report it.
//! 2. `__glowplug_parse!` takes one whole column (or `timestamps`) per step.
//!    Its state is a list of named fields:
//!    `pending = { cols, data, pk }, d = [$], model = {..}, pk = [..],
//!    cols = [..], data = [..], seen = [names], timestamps = yes|no,
//!    rest = [tokens]`. `pending` holds the records of the previous step
//!    (`cols`: key and timestamps, `data`: data columns, `pk`: the key's
//!    name and type); each step first appends them to `cols` (both kinds),
//!    `data` and `pk`, so a record is written once.
//!    For each column the step defines a *probe* macro and asks the type
//!    table (`types.rs`) to call it with the type's facts:
//!    * the probe's first rules hold every name already `seen`, literally,
//!      so a repeated name stops there with one `compile_error!`
//!      (`macro_rules!` cannot compare identifiers, but a pattern can
//!      contain one);
//!    * a primary-key type (its facts have a `key`) makes the key record;
//!    * then comes one rule per modifier the column has, each holding that
//!      modifier literally and matching the word `null`: only a `null`
//!      modifier's rule matches, wherever it stands, and it wraps the SQL
//!      type in `Nullable<..>`; the last rule takes a column without `null`.
//!      The probe emits the next parse step with the finished record as
//!      `pending`; an unknown type stops in the table with one `compile_error!`.
//!
//!    `d = [$]` carries a `$` token, which the probe's own patterns need.
//!    The probe is defined in the same expansion that calls it: rustc
//!    rejects a macro-expanded definition that shadows an outer one at the
//!    call site.
//!    A bare word (`soft_delete,`, `soft_delete(tz),`, `lock_version,`) adds
//!    its managed column the same way (`__glowplug_behaviour!`) and puts
//!    `{ kind = word }` first in the model's `rels`, so the state keeps its
//!    fields.
//! 3. `__glowplug_check!` refuses empty models, models without a primary key
//!    or with two, and models with nothing but a key, then expands with
//!    `behave = { soft_delete = yes|no, lock_version = yes|no }`, the bare
//!    words taken back out of `rels` (`__glowplug_behave!`).
//!
//! A finished column record reads
//! `{ name = n, attrs = [..], fattrs = [..], sql = [SqlType tokens],
//! ty = [keyword args?], null = yes|no, mods = [raw modifiers],
//! role = Pk|Data|Created|Updated|Deleted|Version }`; `fattrs` are extra attributes of the
//! model field (`#[diesel(skip_update)]` on the managed columns).
//!
//! Every input no rule accepts ends in one `compile_error!` naming the
//! mistake and the accepted syntax, and nothing else is expanded.

#[doc(hidden)]
#[macro_export]
macro_rules! __glowplug_models {
    // Every model well formed. Each is parsed by its own call, side by side,
    // never nested in the previous one, so the nesting depth does not grow
    // with the number of models (see the module docs). A table is written
    // `{ explicit? default }`; the first identifier is the name (see `__glowplug_model!`).
    ($( $(#[$attr:meta])* $vis:vis $model:ident $(as $table:ident)? { $($body:tt)* } )+) => {
        $crate::__private::pastey::paste! {
            $( $crate::__glowplug_model! {
                model = $model, vis = [$vis], attrs = [$(#[$attr])*], table = { $($table)? [<$model:snake s>] },
                new = [<New $model>], changes = [<$model Changes>], body = [$($body)*]
            } )+
            // Every table of one `model!` call may appear in the same query (joins, subselects).
            $crate::__glowplug_same_query! { $( { $($table)? [<$model:snake s>] } )+ }
        }
    };
    // Something is not a model: skip the models before it, then report it.
    (find = [ $(#[$attr:meta])* $vis:vis $model:ident $(as $table:ident)? { $($body:tt)* } $($rest:tt)* ]) => {
        $crate::__glowplug_models! { find = [ $($rest)* ] }
    };
    (find = [ $($other:tt)* ]) => {
        ::core::compile_error!(::core::concat!(
            "glowplug::model!: expected a model such as `User { id: pk, name: text }` or `Category as categories { id: pk, name: text }`, found `",
            ::core::stringify!($($other)*), "`"
        ));
    };
    ($($input:tt)*) => {
        $crate::__glowplug_models! { find = [ $($input)* ] }
    };
}

/// One model: the parse stage's start state. The table is the first
/// identifier of `{ ... }`: the one given with `as`, else the default.
#[doc(hidden)]
#[macro_export]
macro_rules! __glowplug_model {
    (model = $model:ident, vis = [$vis:vis], attrs = $attrs:tt, table = { $table:ident $($default:ident)? },
        new = $new:ident, changes = $changes:ident, body = [$($body:tt)*]) => {
        $crate::__glowplug_parse! {
            pending = { cols = [], data = [], pk = [], req = [], opt = [] }, d = [$],
            model = { name = $model, vis = [$vis], attrs = $attrs, table = $table, new = $new, changes = $changes, rels = [], keys = [] },
            pk = [], cols = [], data = [], new = { req = [], opt = [] }, seen = [], timestamps = no,
            rest = [ $($body)* ]
        }
    };
}

/// `allow_tables_to_appear_in_same_query!` for the tables of one call.
#[doc(hidden)]
#[macro_export]
macro_rules! __glowplug_same_query {
    ($only:tt) => {};
    ($( { $table:ident $($default:ident)? } )+) => {
        $crate::__private::diesel::allow_tables_to_appear_in_same_query!($($table),+);
    };
}

/// The state fields every `__glowplug_parse!` rule starts with: the
/// pending records are appended to the lists as the step begins.
#[doc(hidden)]
#[macro_export]
macro_rules! __glowplug_parse {
    // The end of the body.
    (pending = { cols = [$($pc:tt)*], data = [$($pd:tt)*], pk = [$($pp:tt)*], req = [$($pr:tt)*], opt = [$($po:tt)*] }, d = $d:tt, model = $model:tt,
        pk = [$($pk:tt)*], cols = [$($cols:tt)*], data = [$($data:tt)*], new = { req = [$($nr:tt)*], opt = [$($no:tt)*] }, seen = $seen:tt, timestamps = $ts:ident, rest = []) => {
        $crate::__glowplug_check! {
            d = $d, model = $model, pk = [$($pk)* $($pp)*], cols = [$($cols)* $($pc)* $($pd)*], data = [$($data)* $($pd)*], new = { req = [$($nr)* $($pr)*], opt = [$($no)* $($po)*] }, timestamps = $ts
        }
    };

    // `timestamps`: created_at and updated_at, managed by the façade.
    (pending = $pending:tt, d = $d:tt, model = { name = $m:ident $($mx:tt)* }, pk = $pk:tt, cols = $cols:tt, data = $data:tt, new = $nw:tt,
        seen = $seen:tt, timestamps = yes, rest = [ timestamps $($rest:tt)* ]) => {
        ::core::compile_error!(::core::concat!("model `", ::core::stringify!($m), "` declares `timestamps` twice; declare it once"));
    };
    (pending = { cols = [$($pc:tt)*], data = [$($pd:tt)*], pk = [$($pp:tt)*], req = [$($pr:tt)*], opt = [$($po:tt)*] }, d = [$d:tt], model = { name = $m:ident $($mx:tt)* },
        pk = [$($pk:tt)*], cols = [$($cols:tt)*], data = [$($data:tt)*], new = { req = [$($nr:tt)*], opt = [$($no:tt)*] }, seen = [$($seen:ident)*], timestamps = no,
        rest = [ timestamps $( ( $($kind:tt)* ) )? $(, $($rest:tt)*)? ]) => {
        macro_rules! __glowplug_probe {
            $(
                ([$seen $d($d later:tt)*] $d($d next:tt)*) => { $crate::__glowplug_duplicate!($m, $seen); };
                ([$d first:ident $seen] $d($d next:tt)*) => { $crate::__glowplug_duplicate!($m, $seen); };
            )*
            // `timestamps` or `timestamps(tz)`: the columns' type, looked up in the type table.
            ([$d first:ident $d second:ident] [] $d($d next:tt)*) => {
                $crate::__glowplug_type! { [timestamp] for = [$m timestamps], then = [__glowplug_probe] { [timestamp] $d($d next)* } }
            };
            ([$d first:ident $d second:ident] [tz] $d($d next:tt)*) => {
                $crate::__glowplug_type! { [timestamptz] for = [$m timestamps], then = [__glowplug_probe] { [timestamptz] $d($d next)* } }
            };
            ([$d first:ident $d second:ident] [$d($d other:tt)*] $d($d next:tt)*) => {
                ::core::compile_error!(::core::concat!(
                    "model `", ::core::stringify!($m), "`: `timestamps(", ::core::stringify!($d($d other)*),
                    ")` is not a form of `timestamps`; write `timestamps` (timestamp columns) or `timestamps(tz)` (timestamptz columns)"
                ));
            };
            ({ key = $d k:tt, sql = $d sql:tt $d($d facts:tt)* } $d ty:tt $d($d state:tt)*) => {
                $crate::__glowplug_parse! {
                    pending = {
                        cols = [
                            { name = created_at, attrs = [], fattrs = [#[diesel(skip_update)]], sql = $d sql, ty = $d ty, null = no, mods = [], role = Created }
                            { name = updated_at, attrs = [], fattrs = [#[diesel(skip_update)]], sql = $d sql, ty = $d ty, null = no, mods = [], role = Updated }
                        ],
                        data = [], pk = [], req = [], opt = []
                    },
                    $d($d state)*
                }
            };
        }
        __glowplug_probe! {
            [created_at updated_at] [$($($kind)*)?]
            d = [$d], model = { name = $m $($mx)* }, pk = [$($pk)* $($pp)*], cols = [$($cols)* $($pc)* $($pd)*], data = [$($data)* $($pd)*], new = { req = [$($nr)* $($pr)*], opt = [$($no)* $($po)*] },
            seen = [$($seen)* created_at updated_at], timestamps = yes, rest = [ $($($rest)*)? ]
        }
    };

    // Lifecycle hooks, `hooks,`: kept with the relations (`__glowplug_relations!`
    // skips it; `__glowplug_hooks!` forwards the model's hooks to `Hooks`).
    (pending = $pending:tt, d = $d:tt,
        model = { name = $m:ident, vis = $vis:tt, attrs = $mattrs:tt, table = $t:ident, new = $n:ident, changes = $c:ident, rels = [$($rels:tt)*], keys = $keys:tt },
        pk = $pk:tt, cols = $cols:tt, data = $data:tt, new = $nw:tt, seen = $seen:tt, timestamps = $ts:ident,
        rest = [ hooks $(, $($rest:tt)*)? ]) => {
        $crate::__glowplug_parse! {
            pending = $pending, d = $d,
            model = { name = $m, vis = $vis, attrs = $mattrs, table = $t, new = $n, changes = $c,
                rels = [$($rels)* { kind = hooks }], keys = $keys },
            pk = $pk, cols = $cols, data = $data, new = $nw, seen = $seen, timestamps = $ts, rest = [ $($($rest)*)? ]
        }
    };

    // A custom validator, `validate_with(function),`: kept with the relations
    // (`__glowplug_relations!` skips it; `__glowplug_validate_with!` calls it).
    (pending = $pending:tt, d = $d:tt,
        model = { name = $m:ident, vis = $vis:tt, attrs = $mattrs:tt, table = $t:ident, new = $n:ident, changes = $c:ident, rels = [$($rels:tt)*], keys = $keys:tt },
        pk = $pk:tt, cols = $cols:tt, data = $data:tt, new = $nw:tt, seen = $seen:tt, timestamps = $ts:ident,
        rest = [ validate_with ( $($f:ident)::+ ) $(, $($rest:tt)*)? ]) => {
        $crate::__glowplug_parse! {
            pending = $pending, d = $d,
            model = { name = $m, vis = $vis, attrs = $mattrs, table = $t, new = $n, changes = $c,
                rels = [$($rels)* { kind = validate_with, func = [$($f)::+] }], keys = $keys },
            pk = $pk, cols = $cols, data = $data, new = $nw, seen = $seen, timestamps = $ts, rest = [ $($($rest)*)? ]
        }
    };

    // `soft_delete(tz)`: the bare word with its form in brackets, `soft_delete [tz]`, for the next rule.
    (pending = $pending:tt, d = $d:tt, model = $model:tt, pk = $pk:tt, cols = $cols:tt, data = $data:tt, new = $nw:tt,
        seen = $seen:tt, timestamps = $ts:ident, rest = [ soft_delete ( $($form:tt)* ) $($rest:tt)* ]) => {
        $crate::__glowplug_parse! {
            pending = $pending, d = $d, model = $model, pk = $pk, cols = $cols, data = $data, new = $nw,
            seen = $seen, timestamps = $ts, rest = [ soft_delete [$($form)*] $($rest)* ]
        }
    };

    // A bare word: `soft_delete,` or `lock_version,` (`__glowplug_behaviour!`
    // adds the managed column, or reports any other word). The word is
    // also put first in the model's `rels`, where `__glowplug_check!` takes
    // it out again as the expansion's `behave` flags.
    (pending = { cols = [$($pc:tt)*], data = [$($pd:tt)*], pk = [$($pp:tt)*], req = [$($pr:tt)*], opt = [$($po:tt)*] }, d = [$d:tt],
        model = { name = $m:ident, vis = $vis:tt, attrs = $mattrs:tt, table = $t:ident, new = $n:ident, changes = $c:ident, rels = [$($rels:tt)*], keys = $keys:tt },
        pk = [$($pk:tt)*], cols = [$($cols:tt)*], data = [$($data:tt)*], new = { req = [$($nr:tt)*], opt = [$($no:tt)*] }, seen = [$($seen:ident)*], timestamps = $ts:ident,
        rest = [ $kind:ident $([$($form:tt)*])? $(, $($rest:tt)*)? ]) => {
        $crate::__glowplug_behaviour! {
            kind = $kind $([$($form)*])?, model = $m, d = [$d], seen = [$($seen)*],
            before = { d = [$d], model = { name = $m, vis = $vis, attrs = $mattrs, table = $t, new = $n, changes = $c, rels = [{ kind = $kind } $($rels)*], keys = $keys },
                pk = [$($pk)* $($pp)*], cols = [$($cols)* $($pc)* $($pd)*], data = [$($data)* $($pd)*], new = { req = [$($nr)* $($pr)*], opt = [$($no)* $($po)*] } },
            after = { timestamps = $ts, rest = [ $($($rest)*)? ] }
        }
    };

    // Keys over several columns: `unique(a, b),` and `index(a, b),`, recorded in the model's `keys`.
    (pending = $pending:tt, d = $d:tt,
        model = { name = $m:ident, vis = $vis:tt, attrs = $mattrs:tt, table = $t:ident, new = $n:ident, changes = $c:ident, rels = $rels:tt, keys = [$($keys:tt)*] },
        pk = $pk:tt, cols = $cols:tt, data = $data:tt, new = $nw:tt, seen = $seen:tt, timestamps = $ts:ident,
        rest = [ $kind:ident ( $($kc:ident),+ $(,)? ) $(, $($rest:tt)*)? ]) => {
        $crate::__glowplug_key_kind! { $m, $kind,
            $crate::__glowplug_parse! {
                pending = $pending, d = $d,
                model = { name = $m, vis = $vis, attrs = $mattrs, table = $t, new = $n, changes = $c, rels = $rels,
                    keys = [$($keys)* { kind = $kind, cols = [$($kc)+] }] },
                pk = $pk, cols = $cols, data = $data, new = $nw, seen = $seen, timestamps = $ts, rest = [ $($($rest)*)? ]
            }
        }
    };

    // Relations: recorded in the model's `rels`, expanded by `__glowplug_relation!`.
    (pending = $pending:tt, d = $d:tt,
        model = { name = $m:ident, vis = $vis:tt, attrs = $mattrs:tt, table = $t:ident, new = $n:ident, changes = $c:ident, rels = [$($rels:tt)*], keys = $keys:tt },
        pk = $pk:tt, cols = $cols:tt, data = $data:tt, new = $nw:tt, seen = $seen:tt, timestamps = $ts:ident,
        rest = [ $(#[$rattr:meta])* $kind:ident $rel:ident : $($target:ident)::+ by $fk:ident $( ( $($opt:tt)* ) )? $(, $($rest:tt)*)? ]) => {
        $crate::__glowplug_parse! {
            pending = $pending, d = $d,
            model = { name = $m, vis = $vis, attrs = $mattrs, table = $t, new = $n, changes = $c,
                rels = [$($rels)* { kind = $kind, name = $rel, attrs = [$(#[$rattr])*], target = [$($target)::+], by = $fk, through = [], opts = [$($($opt)*)?] }], keys = $keys },
            pk = $pk, cols = $cols, data = $data, new = $nw, seen = $seen, timestamps = $ts, rest = [ $($($rest)*)? ]
        }
    };
    (pending = $pending:tt, d = $d:tt,
        model = { name = $m:ident, vis = $vis:tt, attrs = $mattrs:tt, table = $t:ident, new = $n:ident, changes = $c:ident, rels = [$($rels:tt)*], keys = $keys:tt },
        pk = $pk:tt, cols = $cols:tt, data = $data:tt, new = $nw:tt, seen = $seen:tt, timestamps = $ts:ident,
        rest = [ $(#[$rattr:meta])* many_to_many $rel:ident : $($target:ident)::+ through $($join:ident)::+ ( $left:ident , $right:ident ) $(, $($rest:tt)*)? ]) => {
        $crate::__glowplug_parse! {
            pending = $pending, d = $d,
            model = { name = $m, vis = $vis, attrs = $mattrs, table = $t, new = $n, changes = $c,
                rels = [$($rels)* { kind = many_to_many, name = $rel, attrs = [$(#[$rattr])*], target = [$($target)::+], by = $left, through = [$($join)::+ ($right)], opts = [] }], keys = $keys },
            pk = $pk, cols = $cols, data = $data, new = $nw, seen = $seen, timestamps = $ts, rest = [ $($($rest)*)? ]
        }
    };
    (pending = $pending:tt, d = $d:tt, model = { name = $m:ident $($mx:tt)* }, pk = $pk:tt, cols = $cols:tt, data = $data:tt, new = $nw:tt,
        seen = $seen:tt, timestamps = $ts:ident, rest = [ $(#[$rattr:meta])* many_to_many $rel:ident $($rest:tt)* ]) => {
        ::core::compile_error!(::core::concat!(
            "model `", ::core::stringify!($m), "`, relation `", ::core::stringify!($rel),
            "`: expected `many_to_many ", ::core::stringify!($rel), ": Model through join_table(this_id, other_id),`"
        ));
    };

    (pending = $pending:tt, d = $d:tt, model = { name = $m:ident $($mx:tt)* }, pk = $pk:tt, cols = $cols:tt, data = $data:tt, new = $nw:tt,
        seen = $seen:tt, timestamps = $ts:ident, rest = [ $(#[$rattr:meta])* belongs_to $rel:ident $($rest:tt)* ]) => {
        $crate::__glowplug_relation_syntax!($m, $rel, belongs_to);
    };
    (pending = $pending:tt, d = $d:tt, model = { name = $m:ident $($mx:tt)* }, pk = $pk:tt, cols = $cols:tt, data = $data:tt, new = $nw:tt,
        seen = $seen:tt, timestamps = $ts:ident, rest = [ $(#[$rattr:meta])* has_many $rel:ident $($rest:tt)* ]) => {
        $crate::__glowplug_relation_syntax!($m, $rel, has_many);
    };
    (pending = $pending:tt, d = $d:tt, model = { name = $m:ident $($mx:tt)* }, pk = $pk:tt, cols = $cols:tt, data = $data:tt, new = $nw:tt,
        seen = $seen:tt, timestamps = $ts:ident, rest = [ $(#[$rattr:meta])* has_one $rel:ident $($rest:tt)* ]) => {
        $crate::__glowplug_relation_syntax!($m, $rel, has_one);
    };
    (pending = $pending:tt, d = $d:tt, model = { name = $m:ident $($mx:tt)* }, pk = $pk:tt, cols = $cols:tt, data = $data:tt, new = $nw:tt,
        seen = $seen:tt, timestamps = $ts:ident, rest = [ $(#[$rattr:meta])* $kind:ident $rel:ident : $($rest:tt)* ]) => {
        ::core::compile_error!(::core::concat!(
            "model `", ::core::stringify!($m), "`: `", ::core::stringify!($kind $rel: $($rest)*),
            "` is neither a column (`name: type modifiers,`) nor a relation; relations read `belongs_to name: Model by fk_column,`, ",
            "`has_many name: Model by fk_column,`, `has_one name: Model by fk_column,` or `many_to_many name: Model through join_table(this_id, other_id),`"
        ));
    };

    // A column, `name: type(args) modifiers,`, taken whole. The type table
    // (`types.rs`) looks the type up and calls the probe with its facts.
    (pending = { cols = [$($pc:tt)*], data = [$($pd:tt)*], pk = [$($pp:tt)*], req = [$($pr:tt)*], opt = [$($po:tt)*] }, d = [$d:tt], model = { name = $m:ident $($mx:tt)* },
        pk = [$($pk:tt)*], cols = [$($cols:tt)*], data = [$($data:tt)*], new = { req = [$($nr:tt)*], opt = [$($no:tt)*] }, seen = [$($seen:ident)*], timestamps = $ts:ident,
        rest = [ $(#[$cattr:meta])* $name:ident : $ty:ident $( ( $($targ:tt)* ) )? $( $mod:ident $( ( $($marg:tt)* ) )? )* $(, $($rest:tt)*)? ]) => {
        macro_rules! __glowplug_probe {
            // A name seen before.
            $( ($d facts:tt $seen $d($d next:tt)*) => { $crate::__glowplug_duplicate!($m, $seen); }; )*

            // The primary key (`null` on it is reported by the modifier check).
            ({ key = [$d($d key:tt)+], sql = $d sql:tt $d($d facts:tt)* } $d n:ident $d null:tt $d dflt:tt $d ty:tt $d mods:tt $d attrs:tt $d($d state:tt)*) => {
                $crate::__glowplug_parse! {
                    pending = { cols = [{ name = $d n, attrs = $d attrs, fattrs = [], sql = $d sql, ty = $d ty, null = no, mods = $d mods, role = Pk }],
                                data = [], pk = [$d n $d ty], req = [], opt = [] },
                    $d($d state)*
                }
            };

            // `null` anywhere among the modifiers: one rule per modifier written, each
            // holding that modifier literally, so only the rule made from a `null` matches.
            $( ({ key = [], sql = [$d($d sql:tt)*] $d($d facts:tt)* } $d n:ident [$mod] $d dflt:tt $d ty:tt $d mods:tt $d attrs:tt $d($d state:tt)*) => {
                $crate::__glowplug_parse! {
                    pending = { cols = [],
                        data = [{ name = $d n, attrs = $d attrs, fattrs = [], sql = [$crate::__private::diesel::sql_types::Nullable<$d($d sql)*>],
                                  ty = $d ty, null = yes, mods = $d mods, role = Data }], pk = [], req = [], opt = [$d n] },
                    $d($d state)*
                }
            }; )*

            // A column without `null` but with a `default(..)`, found the same way: optional on insert.
            $( ({ key = [], sql = $d sql:tt $d($d facts:tt)* } $d n:ident [null] [$mod] $d ty:tt $d mods:tt $d attrs:tt $d($d state:tt)*) => {
                $crate::__glowplug_parse! {
                    pending = { cols = [],
                        data = [{ name = $d n, attrs = $d attrs, fattrs = [], sql = $d sql, ty = $d ty, null = no, mods = $d mods, role = Data }],
                        pk = [], req = [], opt = [$d n] },
                    $d($d state)*
                }
            }; )*

            // A column without `null` or `default(..)`: required on insert (`NewModel::new` takes it).
            ({ key = [], sql = $d sql:tt $d($d facts:tt)* } $d n:ident [null] [default] $d ty:tt $d mods:tt $d attrs:tt $d($d state:tt)*) => {
                $crate::__glowplug_parse! {
                    pending = { cols = [],
                        data = [{ name = $d n, attrs = $d attrs, fattrs = [], sql = $d sql, ty = $d ty, null = no, mods = $d mods, role = Data }],
                        pk = [], req = [{ $d n $d ty }], opt = [] },
                    $d($d state)*
                }
            };
        }
        $crate::__glowplug_type! {
            [$ty $( ( $($targ)* ) )?] for = [$m $name], then = [__glowplug_probe] {
                $name [null] [default] [$ty $( ( $($targ)* ) )?] [$( $mod $( ( $($marg)* ) )? )*] [$(#[$cattr])*]
                d = [$d], model = { name = $m $($mx)* }, pk = [$($pk)* $($pp)*], cols = [$($cols)* $($pc)* $($pd)*], data = [$($data)* $($pd)*], new = { req = [$($nr)* $($pr)*], opt = [$($no)* $($po)*] },
                seen = [$($seen)* $name], timestamps = $ts, rest = [ $($($rest)*)? ]
            }
        }
    };
    // What is left does not read as a column.
    (pending = $pending:tt, d = $d:tt, model = { name = $m:ident $($mx:tt)* }, pk = $pk:tt, cols = $cols:tt, data = $data:tt, new = $nw:tt,
        seen = $seen:tt, timestamps = $ts:ident, rest = [ $(#[$cattr:meta])* $name:ident : $($rest:tt)* ]) => {
        ::core::compile_error!(::core::concat!(
            "model `", ::core::stringify!($m), "`, column `", ::core::stringify!($name),
            "`: expected a type and modifiers after `", ::core::stringify!($name), ":`, then a comma, but found `",
            ::core::stringify!($($rest)*), "`; example: `username: varchar(50) unique,`"
        ));
    };
    (pending = $pending:tt, d = $d:tt, model = { name = $m:ident $($mx:tt)* }, pk = $pk:tt, cols = $cols:tt, data = $data:tt, new = $nw:tt,
        seen = $seen:tt, timestamps = $ts:ident, rest = [ $(#[$cattr:meta])* $name:ident $($rest:tt)* ]) => {
        ::core::compile_error!(::core::concat!(
            "model `", ::core::stringify!($m), "`: expected `:` and a type after the column name `", ::core::stringify!($name),
            "`; example: `username: varchar(50) unique,`"
        ));
    };
    (pending = $pending:tt, d = $d:tt, model = { name = $m:ident $($mx:tt)* }, pk = $pk:tt, cols = $cols:tt, data = $data:tt, new = $nw:tt,
        seen = $seen:tt, timestamps = $ts:ident, rest = [ $bad:tt $($rest:tt)* ]) => {
        ::core::compile_error!(::core::concat!(
            "model `", ::core::stringify!($m), "`: expected a column `name: type modifiers,` or `timestamps,` but found `",
            ::core::stringify!($bad), "`; example: `username: varchar(50) unique,`"
        ));
    };
}

/// The column a model behaviour adds (`soft_delete`: `deleted_at`, a
/// nullable timestamp, `soft_delete(tz)` a nullable timestamptz;
/// `lock_version`: `lock_version`, an integer from 0), refused when the
/// model already has a column of that name; any other bare word is reported
/// as a column without a type.
#[doc(hidden)]
#[macro_export]
macro_rules! __glowplug_behaviour {
    (kind = soft_delete, $($args:tt)*) => {
        $crate::__glowplug_behaviour! { @column deleted_at {
            name = deleted_at, attrs = [], fattrs = [#[diesel(skip_update)]],
            sql = [$crate::__private::diesel::sql_types::Nullable<$crate::__private::diesel::sql_types::Timestamp>],
            ty = [timestamp], null = yes, mods = [], role = Deleted
        } $($args)* }
    };
    (kind = soft_delete [tz], $($args:tt)*) => {
        $crate::__glowplug_behaviour! { @column deleted_at {
            name = deleted_at, attrs = [], fattrs = [#[diesel(skip_update)]],
            sql = [$crate::__private::diesel::sql_types::Nullable<$crate::sql_types::TimestampTz>],
            ty = [timestamptz], null = yes, mods = [], role = Deleted
        } $($args)* }
    };
    (kind = soft_delete [$($other:tt)*], model = $m:ident, $($args:tt)*) => {
        ::core::compile_error!(::core::concat!(
            "model `", ::core::stringify!($m), "`: `soft_delete(", ::core::stringify!($($other)*),
            ")` is not a form of `soft_delete`; write `soft_delete` (a timestamp `deleted_at`) or `soft_delete(tz)` (a timestamptz `deleted_at`)"
        ));
    };
    (kind = lock_version, $($args:tt)*) => {
        $crate::__glowplug_behaviour! { @column lock_version {
            name = lock_version, attrs = [], fattrs = [#[diesel(skip_update)]],
            sql = [$crate::__private::diesel::sql_types::Integer],
            ty = [int], null = no, mods = [default(0)], role = Version
        } $($args)* }
    };
    (kind = $name:ident, model = $m:ident, $($args:tt)*) => {
        ::core::compile_error!(::core::concat!(
            "model `", ::core::stringify!($m), "`: expected `:` and a type after the column name `", ::core::stringify!($name),
            "`; example: `username: varchar(50) unique,` (the bare declarations are `timestamps,`, `soft_delete,` and `lock_version,`)"
        ));
    };
    (@column $col:ident $record:tt model = $m:ident, d = [$d:tt], seen = [$($seen:ident)*], before = { $($before:tt)* }, after = { $($after:tt)* }) => {
        macro_rules! __glowplug_probe {
            $( ($seen $d($d next:tt)*) => { $crate::__glowplug_duplicate!($m, $seen); }; )*
            ($d column:ident $d record:tt $d($d state:tt)*) => {
                $crate::__glowplug_parse! { pending = { cols = [$d record], data = [], pk = [], req = [], opt = [] }, $d($d state)* }
            };
        }
        __glowplug_probe! { $col $record $($before)*, seen = [$($seen)* $col], $($after)* }
    };
}

/// Lets `unique(..)` and `index(..)` through to the next parse step and
/// refuses any other word before a parenthesised column list.
#[doc(hidden)]
#[macro_export]
macro_rules! __glowplug_key_kind {
    ($m:ident, unique, $($next:tt)*) => { $($next)* };
    ($m:ident, index, $($next:tt)*) => { $($next)* };
    ($m:ident, $other:ident, $($next:tt)*) => {
        ::core::compile_error!(::core::concat!(
            "model `", ::core::stringify!($m), "`: `", ::core::stringify!($other),
            "(..)` is not a declaration; keys over several columns read `unique(a, b),` or `index(a, b),`"
        ));
    };
}

/// The error for a relation of a known kind written the wrong way.
#[doc(hidden)]
#[macro_export]
macro_rules! __glowplug_relation_syntax {
    ($model:ident, $rel:ident, $kind:ident) => {
        ::core::compile_error!(::core::concat!(
            "model `",
            ::core::stringify!($model),
            "`, relation `",
            ::core::stringify!($rel),
            "`: expected `",
            ::core::stringify!($kind),
            " ",
            ::core::stringify!($rel),
            ": Model by fk_column,`"
        ));
    };
}

/// The error for a column name declared twice.
#[doc(hidden)]
#[macro_export]
macro_rules! __glowplug_duplicate {
    ($model:ident, $column:ident) => {
        ::core::compile_error!(::core::concat!(
            "model `", ::core::stringify!($model), "` declares the column `", ::core::stringify!($column),
            "` twice; each column name may appear once (`timestamps` declares `created_at` and `updated_at`, `soft_delete` declares `deleted_at`, `lock_version` declares `lock_version`)"
        ));
    };
}

/// Refuses models the expansion cannot serve, then expands.
#[doc(hidden)]
#[macro_export]
macro_rules! __glowplug_check {
    (d = $d:tt, model = { name = $m:ident $($mx:tt)* }, pk = $pk:tt, cols = [], data = $data:tt, new = $nw:tt, timestamps = $ts:ident) => {
        ::core::compile_error!(::core::concat!(
            "model `", ::core::stringify!($m), "` has no columns; declare at least a primary key and one column, e.g. `",
            ::core::stringify!($m), " { id: pk, name: text }`"
        ));
    };
    (d = $d:tt, model = { name = $m:ident $($mx:tt)* }, pk = [], cols = $cols:tt, data = $data:tt, new = $nw:tt, timestamps = $ts:ident) => {
        ::core::compile_error!(::core::concat!(
            "model `", ::core::stringify!($m), "` has no primary key; declare one column as `id: pk` (i64) or `id: pk(int)` (i32)"
        ));
    };
    (d = $d:tt, model = { name = $m:ident $($mx:tt)* }, pk = [$first:ident $fty:tt $second:ident $($more:tt)*], cols = $cols:tt, data = $data:tt, new = $nw:tt, timestamps = $ts:ident) => {
        ::core::compile_error!(::core::concat!(
            "model `", ::core::stringify!($m), "` declares two primary keys (`", ::core::stringify!($first), "` and `",
            ::core::stringify!($second), "`); declare exactly one column as `pk` (composite keys are not supported)"
        ));
    };
    (d = $d:tt, model = { name = $m:ident $($mx:tt)* }, pk = $pk:tt, cols = $cols:tt, data = [], new = $nw:tt, timestamps = $ts:ident) => {
        ::core::compile_error!(::core::concat!(
            "model `", ::core::stringify!($m), "` has only a primary key; declare at least one more column, e.g. `name: text`"
        ));
    };
    // The behaviours `soft_delete` and `lock_version` stand first in `rels`
    // (see the bare-word rule of `__glowplug_parse!`): taken out as flags.
    // Matched by name: `{ kind = hooks }` has the same shape and stays.
    (d = $d:tt, model = { name = $m:ident, vis = $v:tt, attrs = $a:tt, table = $t:ident, new = $n:ident, changes = $c:ident,
        rels = [{ kind = soft_delete } $($rels:tt)*], keys = $k:tt },
        pk = $pk:tt, cols = $cols:tt, data = $data:tt, new = $nw:tt, timestamps = $ts:ident) => {
        $crate::__glowplug_behave! { soft_delete [$($rels)*] {
            d = $d, model = { name = $m, vis = $v, attrs = $a, table = $t, new = $n, changes = $c, rels = [], keys = $k },
            pk = $pk, cols = $cols, data = $data, new = $nw, timestamps = $ts
        } }
    };
    (d = $d:tt, model = { name = $m:ident, vis = $v:tt, attrs = $a:tt, table = $t:ident, new = $n:ident, changes = $c:ident,
        rels = [{ kind = lock_version } $($rels:tt)*], keys = $k:tt },
        pk = $pk:tt, cols = $cols:tt, data = $data:tt, new = $nw:tt, timestamps = $ts:ident) => {
        $crate::__glowplug_behave! { lock_version [$($rels)*] {
            d = $d, model = { name = $m, vis = $v, attrs = $a, table = $t, new = $n, changes = $c, rels = [], keys = $k },
            pk = $pk, cols = $cols, data = $data, new = $nw, timestamps = $ts
        } }
    };
    (d = $d:tt, model = $model:tt, pk = $pk:tt, cols = $cols:tt, data = $data:tt, new = $nw:tt, timestamps = $ts:ident) => {
        $crate::__glowplug_expand! {
            d = $d, model = $model, pk = $pk, cols = $cols, data = $data, new = $nw, timestamps = $ts,
            behave = { soft_delete = no, lock_version = no }
        }
    };
}

/// Takes the behaviour words (`soft_delete`, `lock_version`) from the
/// front of a model's `rels` into the expansion's `behave` flags.
#[doc(hidden)]
#[macro_export]
macro_rules! __glowplug_behave {
    (soft_delete [{ kind = lock_version } $($rels:tt)*] $state:tt) => {
        $crate::__glowplug_behave! { @expand [$($rels)*] $state soft_delete = yes, lock_version = yes }
    };
    (lock_version [{ kind = soft_delete } $($rels:tt)*] $state:tt) => {
        $crate::__glowplug_behave! { @expand [$($rels)*] $state soft_delete = yes, lock_version = yes }
    };
    (soft_delete $rels:tt $state:tt) => {
        $crate::__glowplug_behave! { @expand $rels $state soft_delete = yes, lock_version = no }
    };
    (lock_version $rels:tt $state:tt) => {
        $crate::__glowplug_behave! { @expand $rels $state soft_delete = no, lock_version = yes }
    };
    (@expand [$($rels:tt)*] { d = $d:tt, model = { name = $m:ident, vis = $v:tt, attrs = $a:tt, table = $t:ident, new = $n:ident, changes = $c:ident, rels = [], keys = $k:tt },
        pk = $pk:tt, cols = $cols:tt, data = $data:tt, new = $nw:tt, timestamps = $ts:ident } $($flags:tt)*) => {
        $crate::__glowplug_expand! {
            d = $d, model = { name = $m, vis = $v, attrs = $a, table = $t, new = $n, changes = $c, rels = [$($rels)*], keys = $k },
            pk = $pk, cols = $cols, data = $data, new = $nw, timestamps = $ts, behave = { $($flags)* }
        }
    };
}
