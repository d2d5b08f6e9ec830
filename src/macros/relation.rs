//! Relation stage of `model!`: from a relation record to its items.
//!
//! The parse stage records each relation in the model's `rels` as
//! `{ kind = K, name = n, attrs = [..], target = [path], by = column,
//! through = [join_table_path (right_column)] or [], opts = [..] }`.
//! `__glowplug_relation!` builds the generated names with `pastey` (the
//! constant `POSTS`, the method `posts_query`, the type `UserPostsRelation`)
//! and hands the record to `__glowplug_relation_items!`, which emits, per
//! kind: the relation type and its [`Relation`](crate::Relation) impl, the
//! constant, the lazy accessor and the query method, and for `belongs_to`
//! the diesel `JoinTo` impls. Types in the record never pass through
//! `pastey::paste!` (a `[<` in them would read as a paste group).
//!
//! The generated code names a column of *another* model (the child's
//! foreign key in a `has_many`) through
//! [`HasColumn`](crate::relation::HasColumn), which `model!` implements for
//! every column, so a relation needs only the model's name, not its table
//! module.

/// Every relation of one model.
#[doc(hidden)]
#[macro_export]
macro_rules! __glowplug_relations {
    (d = $d:tt, model = $model:ident, vis = $vis:tt, table = $table:ident, pk = $pk:ident, rels = [$($rel:tt)*]) => {
        $( $crate::__glowplug_relation! { d = $d, model = $model, vis = $vis, table = $table, pk = $pk, rel = $rel } )*
    };
}

/// One relation: the generated names, then the items.
#[doc(hidden)]
#[macro_export]
macro_rules! __glowplug_relation {
    // Not a relation: the model's `validate_with(..)` (parse.rs), used by the expansion.
    (d = $d:tt, model = $model:ident, vis = $vis:tt, table = $table:ident, pk = $pk:ident,
        rel = { kind = validate_with $($rest:tt)* }) => {};
    (d = $d:tt, model = $model:ident, vis = $vis:tt, table = $table:ident, pk = $pk:ident,
        rel = { kind = hooks }) => {};
    (d = $d:tt, model = $model:ident, vis = $vis:tt, table = $table:ident, pk = $pk:ident,
        rel = { kind = $kind:ident, name = $name:ident $($rest:tt)* }) => {
        $crate::__private::pastey::paste! {
            $crate::__glowplug_relation_items! {
                d = $d, model = $model, vis = $vis, table = $table, pk = $pk,
                names = { upper = [<$name:upper>], query = [<$name _query>], marker = [<$model $name:camel Relation>] },
                kind = $kind, name = $name $($rest)*
            }
        }
    };
}

/// The items of one relation (see the module docs).
#[doc(hidden)]
#[macro_export]
macro_rules! __glowplug_relation_items {
    // belongs_to: this model's `by` column holds the target's key.
    (d = [$d:tt], model = $model:ident, vis = [$($vis:tt)*], table = $table:ident, pk = $pk:ident,
        names = { upper = $upper:ident, query = $query:ident, marker = $marker:ident },
        kind = belongs_to, name = $name:ident, attrs = [$($attr:tt)*], target = [$($target:tt)*], by = $fk:ident,
        through = [], opts = [$($opt:tt)*]) => {
        $crate::__glowplug_relation_common! {
            model = $model, vis = [$($vis)*], names = { upper = $upper, query = $query, marker = $marker },
            name = $name, attrs = [$($attr)*], target = [$($target)*], kind = BelongsTo, doc = "belongs to", by = $fk,
            key = [<$($target)* as $crate::Model>::Id],
            card = [<<$table::$fk as $crate::__private::diesel::Expression>::SqlType as $crate::__private::ForeignKeySqlType>::Cardinality],
            query_type = [$crate::relation::BelongsToQuery<$($target)*>],
            query = [|this: &$model| $crate::__private::diesel::QueryDsl::filter(
                <$($target)* as $crate::Model>::query(),
                $crate::__private::diesel::ExpressionMethods::eq(
                    $crate::__private::diesel::NullableExpressionMethods::nullable($crate::__private::primary_key_of::<$($target)*>()),
                    $crate::__private::ForeignKeyValue::key(&this.$fk),
                ),
            )],
            parent_key = [|parent: &$model| $crate::__private::ForeignKeyValue::key(&parent.$fk)],
            fetch = [|conn, keys| $crate::__private::fetch_direct(
                conn,
                keys,
                |conn, chunk| $crate::__glowplug_backend!(conn, c => $crate::__private::diesel::RunQueryDsl::load(
                    $crate::__private::ByKeys::<$($target)*, _, _>::new($crate::__private::primary_key_of::<$($target)*>(), chunk),
                    c,
                )),
                |target: &$($target)*| $crate::__private::Option::Some($crate::Model::id(target)),
            )]
        }
        $crate::__glowplug_join! { d = [$d], model = $model, table = $table, target = [$($target)*], by = $fk, opts = [$($opt)*] }
    };

    // has_many / has_one: the target's `by` column holds this model's key.
    (d = $d:tt, model = $model:ident, vis = [$($vis:tt)*], table = $table:ident, pk = $pk:ident,
        names = $names:tt, kind = has_many, name = $name:ident, attrs = $attr:tt, target = $target:tt, by = $fk:ident,
        through = [], opts = []) => {
        $crate::__glowplug_has! {
            model = $model, vis = [$($vis)*], pk = $pk, names = $names, name = $name, attrs = $attr, target = $target, by = $fk,
            kind = HasMany, doc = "has many", card = [$crate::relation::Many]
        }
    };
    (d = $d:tt, model = $model:ident, vis = [$($vis:tt)*], table = $table:ident, pk = $pk:ident,
        names = $names:tt, kind = has_one, name = $name:ident, attrs = $attr:tt, target = $target:tt, by = $fk:ident,
        through = [], opts = []) => {
        $crate::__glowplug_has! {
            model = $model, vis = [$($vis)*], pk = $pk, names = $names, name = $name, attrs = $attr, target = $target, by = $fk,
            kind = HasOne, doc = "has one", card = [$crate::relation::Optional]
        }
    };

    // many_to_many: the join table pairs this model's key (`by`) with the target's (`right`).
    (d = $d:tt, model = $model:ident, vis = [$($vis:tt)*], table = $table:ident, pk = $pk:ident,
        names = { upper = $upper:ident, query = $query:ident, marker = $marker:ident },
        kind = many_to_many, name = $name:ident, attrs = [$($attr:tt)*], target = [$($target:tt)*], by = $left:ident,
        through = [$($join:ident)::+ ($right:ident)], opts = []) => {
        // Counts per parent (`Scope::with_count`): the lazy query, correlated with the parent row.
        // What it counts depends on whether the target soft-deletes
        // (`BySoftDelete`): the join rows, or the live targets they pair.
        impl $crate::query::CountOf<$model> for $marker {
            type Expr = $crate::query::CountRows<<<$($target)* as $crate::__private::Touch>::SoftDeletes as $crate::query::BySoftDelete<
                $crate::__private::diesel::dsl::Filter<$($join)::+::table, $crate::__private::diesel::dsl::Eq<$($join)::+::$left, $table::$pk>>,
                $crate::relation::ManyToManyQuery<$($target)*, $($join)::+::table, $($join)::+::$left, $($join)::+::$right, $table::$pk>,
            >>::Out>;
            fn count_of() -> Self::Expr {
                $crate::query::count_rows(<<$($target)* as $crate::__private::Touch>::SoftDeletes as $crate::query::BySoftDelete<_, _>>::pick(
                    $crate::__private::diesel::QueryDsl::filter(
                        $($join)::+::table,
                        $crate::__private::diesel::ExpressionMethods::eq($($join)::+::$left, $table::$pk),
                    ),
                    $crate::__glowplug_through!([$($target)*], [$($join)::+], $left, $right, $table::$pk),
                ))
            }
        }
        $crate::__glowplug_relation_common! {
            model = $model, vis = [$($vis)*], names = { upper = $upper, query = $query, marker = $marker },
            name = $name, attrs = [$($attr)*], target = [$($target)*], kind = ManyToMany, doc = "has many (through a join table)", by = $left,
            key = [<$model as $crate::Model>::Id],
            card = [$crate::relation::Many],
            query_type = [$crate::relation::ManyToManyQuery<
                $($target)*, $($join)::+::table, $($join)::+::$left, $($join)::+::$right, <$model as $crate::Model>::Id
            >],
            query = [|this: &$model| $crate::__glowplug_through!([$($target)*], [$($join)::+], $left, $right, this.$pk)],
            parent_key = [|parent: &$model| $crate::__private::Option::Some(parent.$pk)],
            fetch = [|conn, keys| $crate::__private::fetch_through(
                conn,
                keys,
                |conn, chunk| $crate::__glowplug_backend!(conn, c => $crate::__private::diesel::RunQueryDsl::load(
                    $crate::__private::diesel::QueryDsl::select(
                        $crate::__private::diesel::QueryDsl::filter(
                            $($join)::+::table,
                            $crate::__private::diesel::ExpressionMethods::eq_any($($join)::+::$left, chunk),
                        ),
                        ($($join)::+::$left, $($join)::+::$right),
                    ),
                    c,
                )),
                |conn, ids| $crate::__glowplug_backend!(conn, c => $crate::__private::diesel::RunQueryDsl::load(
                    $crate::__private::ByKeys::<$($target)*, _, _>::new($crate::__private::primary_key_of::<$($target)*>(), ids),
                    c,
                )),
            )]
        }
    };

    // Mistakes.
    (d = $d:tt, model = $model:ident, vis = $vis:tt, table = $table:ident, pk = $pk:ident, names = $names:tt,
        kind = $kind:ident, name = $name:ident, attrs = $attr:tt, target = $target:tt, by = $by:ident, through = [], opts = [$($opt:tt)+]) => {
        ::core::compile_error!(::core::concat!(
            "model `", ::core::stringify!($model), "`, relation `", ::core::stringify!($name), "`: unexpected `(",
            ::core::stringify!($($opt)+), ")`; only a `belongs_to` takes an option, `(no_join)`"
        ));
    };
    (d = $d:tt, model = $model:ident, vis = $vis:tt, table = $table:ident, pk = $pk:ident, names = $names:tt,
        kind = $kind:ident, name = $name:ident $($rest:tt)*) => {
        ::core::compile_error!(::core::concat!(
            "model `", ::core::stringify!($model), "`, relation `", ::core::stringify!($name), "`: unknown relation kind `",
            ::core::stringify!($kind), "`; accepted: belongs_to, has_many, has_one (`kind name: Model by column`) and many_to_many (`many_to_many name: Model through join_table(this_id, other_id)`)"
        ));
    };
}

/// has_many and has_one: the same items but for the cardinality.
#[doc(hidden)]
#[macro_export]
macro_rules! __glowplug_has {
    (model = $model:ident, vis = $vis:tt, pk = $pk:ident, names = { upper = $upper:ident, query = $query:ident, marker = $marker:ident },
        name = $name:ident, attrs = $attr:tt, target = [$($target:tt)*], by = $fk:ident, kind = $kind:ident, doc = $doc:literal, card = $card:tt) => {
        // Counts per parent (`Scope::with_count`) read the target's key column.
        impl $crate::query::CountRelation for $marker {
            type ForeignKey = <$($target)* as $crate::relation::HasColumn<{ $crate::__private::column_key(::core::stringify!($fk)) }>>::Column;
        }
        $crate::__glowplug_relation_common! {
            model = $model, vis = $vis, names = { upper = $upper, query = $query, marker = $marker }, name = $name, attrs = $attr, target = [$($target)*],
            kind = $kind, doc = $doc, by = $fk,
            key = [<$model as $crate::Model>::Id],
            card = $card,
            query_type = [$crate::relation::HasManyQuery<
                $($target)*,
                <$($target)* as $crate::relation::HasColumn<{ $crate::__private::column_key(::core::stringify!($fk)) }>>::Column,
                <$model as $crate::Model>::Id,
            >],
            query = [|this: &$model| $crate::__private::diesel::QueryDsl::filter(
                <$($target)* as $crate::Model>::query(),
                $crate::__private::diesel::ExpressionMethods::eq(
                    <<$($target)* as $crate::relation::HasColumn<{ $crate::__private::column_key(::core::stringify!($fk)) }>>::Column
                        as $crate::__private::Default>::default(),
                    this.$pk,
                ),
            )],
            parent_key = [|parent: &$model| $crate::__private::Option::Some(parent.$pk)],
            fetch = [|conn, keys| $crate::__private::fetch_direct(
                conn,
                keys,
                |conn, chunk| $crate::__glowplug_backend!(conn, c => $crate::__private::diesel::RunQueryDsl::load(
                    $crate::__private::ByKeys::<$($target)*, _, _>::new(
                        <<$($target)* as $crate::relation::HasColumn<{ $crate::__private::column_key(::core::stringify!($fk)) }>>::Column
                            as $crate::__private::Default>::default(),
                        chunk,
                    ),
                    c,
                )),
                |target: &$($target)*| $crate::__private::ForeignKeyValue::key(&target.$fk),
            )]
        }
    };
}

/// The relation type, its `Relation` impl, the constant, the lazy accessor and the query method.
#[doc(hidden)]
#[macro_export]
macro_rules! __glowplug_relation_common {
    (model = $model:ident, vis = [$($vis:tt)*], names = { upper = $upper:ident, query = $query:ident, marker = $marker:ident },
        name = $name:ident, attrs = [$($attr:tt)*], target = [$($target:tt)*], kind = $kind:ident, doc = $doc:literal, by = $by:ident,
        key = [$($key:tt)*], card = [$($card:tt)*], query_type = [$($query_type:tt)*], query = [$($query_expr:tt)*],
        parent_key = [$($parent_key:tt)*], fetch = [$($fetch:tt)*]) => {
        #[doc = ::core::concat!(
            "The `", ::core::stringify!($name), "` relation of [`", ::core::stringify!($model), "`] (", $doc, " `",
            ::core::stringify!($($target)*), "` by `", ::core::stringify!($by), "`), generated by `glowplug::model!`: ",
            "the type of [`", ::core::stringify!($model), "::", ::core::stringify!($upper), "`]."
        )]
        #[derive($crate::__private::Debug, $crate::__private::Clone, ::core::marker::Copy, $crate::__private::Default)]
        $($vis)* struct $marker;

        impl $model {
            #[doc = ::core::concat!(
                "The `", ::core::stringify!($name), "` relation, for eager loading: `",
                ::core::stringify!($model), "::all(&mut conn)?.load(&mut conn, ", ::core::stringify!($model), "::",
                ::core::stringify!($upper), ")`."
            )]
            pub const $upper: $marker = $marker;

            $($attr)*
            #[doc = ::core::concat!(
                "\n\nLoads the `", ::core::stringify!($name), "` relation (", $doc, " `", ::core::stringify!($($target)*),
                "` by `", ::core::stringify!($by), "`) for this one row, in one query. ",
                "In a loop over many rows, eager-load [`", ::core::stringify!($model), "::", ::core::stringify!($upper),
                "`] instead (see `glowplug::relation`)."
            )]
            pub fn $name<C: $crate::DbConnection + ?::core::marker::Sized>(
                &self,
                conn: &mut C,
            ) -> $crate::Result<$crate::Loaded<$marker>> {
                $crate::__private::lazy::<$marker, C, _>(self, conn, self.$query())
            }

            #[doc = ::core::concat!(
                "The query [`", ::core::stringify!($model), "::", ::core::stringify!($name),
                "`] runs, to filter or order further and run with `", ::core::stringify!($($target)*), "::fetch`."
            )]
            pub fn $query(&self) -> $($query_type)* {
                ($($query_expr)*)(self)
            }
        }

        impl $crate::Relation for $marker {
            type Parent = $model;
            type Target = $($target)*;
            type Key = $($key)*;
            type Cardinality = $($card)*;
            const NAME: &'static str = ::core::stringify!($name);
            const KIND: $crate::RelationKind = $crate::RelationKind::$kind;

            fn parent_key(parent: &$model) -> $crate::__private::Option<Self::Key> {
                ($($parent_key)*)(parent)
            }

            fn fetch(
                conn: &mut $crate::BackendConnection<'_>,
                keys: &[Self::Key],
            ) -> $crate::__private::QueryResult<$crate::__private::Fetched<Self::Target, Self::Key>> {
                ($($fetch)*)(conn, keys)
            }
        }
    };
}

/// diesel's `JoinTo` both ways for a `belongs_to`, unless it is
/// self-referential or marked `(no_join)`.
///
/// The impls name the parent's table through the alias `model!` defines next
/// to every model (`__glowplug_table_User` = `users::table`), never the model
/// itself: diesel's table types are `pub`, so naming a `pub(crate)` model in
/// their impls would leak it (E0446).
#[doc(hidden)]
#[macro_export]
macro_rules! __glowplug_join {
    (d = [$d:tt], model = $model:ident, table = $table:ident, target = [$($target:tt)*], by = $fk:ident, opts = [no_join]) => {};
    (d = [$d:tt], model = $model:ident, table = $table:ident, target = [$($target:tt)*], by = $fk:ident, opts = [$($opt:tt)+]) => {
        ::core::compile_error!(::core::concat!(
            "model `", ::core::stringify!($model), "`, `belongs_to` by `", ::core::stringify!($fk), "`: unknown option `(",
            ::core::stringify!($($opt)+), ")`; the only option is `(no_join)`"
        ));
    };
    (d = [$d:tt], model = $model:ident, table = $table:ident, target = [$($target:tt)*], by = $fk:ident, opts = []) => {
        // A pattern holding the model's name tells a self-reference apart.
        macro_rules! __glowplug_join_probe {
            ($model) => {};
            ($d($d other:tt)*) => {
                $crate::__glowplug_table_alias! { [] $($target)*, __glowplug_join_impls! { table = $table, by = $fk, } }
            };
        }
        __glowplug_join_probe! { $($target)* }
    };
}

/// Calls `$callback! { .. parent = [path to the target's table alias] }`:
/// the target path with its last segment `Model` replaced by `__glowplug_table_Model`.
#[doc(hidden)]
#[macro_export]
macro_rules! __glowplug_table_alias {
    ([$($prefix:ident)*] $last:ident, $callback:ident! { $($args:tt)* }) => {
        $crate::__private::pastey::paste! {
            $crate::$callback! { $($args)* parent = [$($prefix::)* [<__glowplug_table_ $last>]] }
        }
    };
    ([$($prefix:ident)*] $segment:ident :: $($rest:tt)+) => {
        $crate::__glowplug_table_alias! { [$($prefix)* $segment] $($rest)+ }
    };
}

/// The two `JoinTo` impls of a `belongs_to` (see `__glowplug_join!`).
#[doc(hidden)]
#[macro_export]
macro_rules! __glowplug_join_impls {
    (table = $table:ident, by = $fk:ident, parent = [$($parent:tt)*]) => {
        const _: () = {
            type Parent = $($parent)*;
            type OnClause = $crate::__private::diesel::dsl::Eq<
                $crate::__private::diesel::internal::table_macro::NullableExpression<$table::$fk>,
                $crate::__private::diesel::internal::table_macro::NullableExpression<
                    <Parent as $crate::__private::diesel::Table>::PrimaryKey,
                >,
            >;
            fn on() -> OnClause {
                use $crate::__private::diesel::{ExpressionMethods, NullableExpressionMethods};
                let parent = <Parent as $crate::__private::diesel::associations::HasTable>::table();
                $table::$fk.nullable().eq($crate::__private::diesel::Table::primary_key(&parent).nullable())
            }
            impl $crate::__private::diesel::JoinTo<Parent> for $table::table {
                type FromClause = Parent;
                type OnClause = OnClause;
                fn join_target(rhs: Parent) -> (Parent, OnClause) {
                    (rhs, on())
                }
            }
            impl $crate::__private::diesel::JoinTo<$table::table> for Parent {
                type FromClause = $table::table;
                type OnClause = OnClause;
                fn join_target(rhs: $table::table) -> ($table::table, OnClause) {
                    (rhs, on())
                }
            }
        };
    };
}

/// The targets of a `many_to_many` that the join table pairs with the
/// parent key `$key` (a value for the lazy query, the parent's key column
/// for `with_count`'s correlated count).
#[doc(hidden)]
#[macro_export]
macro_rules! __glowplug_through {
    ([$($target:tt)*], [$($join:ident)::+], $left:ident, $right:ident, $key:expr) => {
        $crate::__private::diesel::QueryDsl::filter(
            <$($target)* as $crate::Model>::query(),
            $crate::__private::diesel::ExpressionMethods::eq_any(
                $crate::__private::primary_key_of::<$($target)*>(),
                $crate::__private::diesel::QueryDsl::select(
                    $crate::__private::diesel::QueryDsl::filter(
                        $($join)::+::table,
                        $crate::__private::diesel::ExpressionMethods::eq($($join)::+::$left, $key),
                    ),
                    $($join)::+::$right,
                ),
            ),
        )
    };
}
