//! The CRUD operations `model!` generates for each model, once per
//! backend connection type (`SqliteConnection`, `PgConnection`): the
//! `ModelOps` impl with one diesel statement per operation, PostgreSQL's
//! `COPY` and the `updated_at` bump.
//!
//! Each operation is plain diesel on the concrete connection, so diesel's
//! prepared-statement cache applies as in hand-written code; `save` reuses
//! `update`'s statement, and the single-row upsert and `put_rows` are
//! glowplug's own statements (`upsert::UpsertOne`, `upsert::PutRows`, with
//! `BindRow` generated here). These bodies are most of what `model!` costs
//! to type-check (BENCHMARKS.md, "Compile time of `model!`"): `update` and
//! the upserts above all.

/// The CRUD operations on one backend's connection type.
#[doc(hidden)]
#[macro_export]
macro_rules! __glowplug_ops {
    (conn = [$conn:ty], copy = $copy:ident, db = [$db:ty], model = $model:ident, changes = $changes:ident, table = $table:ident, pk = $pk:ident,
        cols = [$($cn:ident)*], data = [$($dn:ident)*], timestamps = $ts:ident, soft_delete = $sd:ident, lock_version = $lk:ident) => {
        impl $crate::__private::ModelOps<$conn> for $model {
            fn op_all(conn: &mut $conn) -> $crate::__private::QueryResult<$crate::__private::Vec<Self>> {
                <Self as $crate::Model>::query().load(conn)
            }

            fn op_find(
                conn: &mut $conn,
                id: <Self as $crate::Model>::Id,
            ) -> $crate::__private::QueryResult<$crate::__private::Option<Self>> {
                <Self as $crate::Model>::query().filter($table::$pk.eq(id)).get_result(conn).optional()
            }

            fn op_count(conn: &mut $conn) -> $crate::__private::QueryResult<i64> {
                $crate::__glowplug_live!(expr $sd $table [$table::table]).count().get_result(conn)
            }

            fn op_insert(conn: &mut $conn, new: &<Self as $crate::Model>::New) -> $crate::__private::QueryResult<Self> {
                $crate::__private::diesel::insert_into($table::table)
                    .values(new)
                    .returning(( $( $table::$cn, )* ))
                    .get_result(conn)
            }

            // `update`'s statement with every writable column set: one
            // statement type and one `AsChangeset` (the model's) fewer for
            // rustc to check per model (BENCHMARKS.md, "Compile time of
            // `model!`"). diesel prepares every `UPDATE` afresh, so only
            // the clones are added at run time.
            fn op_save(conn: &mut $conn, row: &Self) -> $crate::__private::QueryResult<$crate::__private::Option<Self>> {
                let changes = $changes { $( $dn: $crate::__private::Option::Some($crate::__private::Clone::clone(&row.$dn)), )* };
                <Self as $crate::__private::ModelOps<$conn>>::op_update(conn, row, &changes)
            }

            fn op_update(
                conn: &mut $conn,
                row: &Self,
                changes: &<Self as $crate::Model>::Changes,
            ) -> $crate::__private::QueryResult<$crate::__private::Option<Self>> {
                $crate::__private::diesel::update($crate::__glowplug_versioned!(target $lk $table, $table::table.find(row.$pk), row))
                    .set($crate::__glowplug_versioned!(set $lk $table, $crate::__glowplug_touch!($ts, $table, changes)))
                    .returning(( $( $table::$cn, )* ))
                    .get_result(conn)
                    .optional()
            }

            fn op_delete(conn: &mut $conn, id: <Self as $crate::Model>::Id) -> $crate::__private::QueryResult<usize> {
                $crate::__glowplug_remove!($sd, $ts, $table, $table::table.find(id)).execute(conn)
            }

            fn op_insert_array<const N: usize>(
                conn: &mut $conn,
                rows: &[<Self as $crate::Model>::New; N],
            ) -> $crate::__private::QueryResult<usize> {
                $crate::__private::diesel::insert_into($table::table).values(rows).execute(conn)
            }

            fn op_insert_array_returning<const N: usize>(
                conn: &mut $conn,
                rows: &[<Self as $crate::Model>::New; N],
            ) -> $crate::__private::QueryResult<$crate::__private::Vec<Self>> {
                $crate::__private::diesel::insert_into($table::table)
                    .values(rows)
                    .returning(( $( $table::$cn, )* ))
                    .get_results(conn)
            }

            fn op_upsert_rows<K: $crate::UniqueKey<Self>>(
                conn: &mut $conn,
                rows: &[<Self as $crate::Model>::New],
                key: K,
                action: $crate::OnConflict,
            ) -> $crate::__private::QueryResult<usize> {
                // `DO UPDATE SET` every written column but `created_at` to
                // the inserted value (`upsert::Excluded`, from the metadata),
                // which writes `DO NOTHING` for `OnConflict::Ignore`: one
                // statement type for both actions.
                $crate::__private::diesel::insert_into($table::table)
                    .values(rows)
                    .on_conflict(key)
                    .do_update()
                    .set($crate::__private::Excluded::<$model>::new(action))
                    .execute(conn)
            }

            fn op_upsert_one<K: $crate::UniqueKey<Self>>(
                conn: &mut $conn,
                row: &<Self as $crate::Model>::New,
                key: K,
                action: $crate::OnConflict,
            ) -> $crate::__private::QueryResult<$crate::__private::Option<Self>> {
                let values = $crate::__private::diesel::Insertable::<$table::table>::values(row);
                $crate::__private::diesel::RunQueryDsl::get_result(
                    $crate::__private::UpsertOne::<Self, K, _>::new(values, key, action),
                    conn,
                )
                .optional()
            }

            fn op_put_rows(
                conn: &mut $conn,
                rows: &[Self],
                action: $crate::OnConflict,
            ) -> $crate::__private::QueryResult<usize> {
                $crate::__private::diesel::RunQueryDsl::execute($crate::__private::PutRows::new(rows, action), conn)
            }

            $crate::__glowplug_copy! { $copy, $conn, $table }
        }

        // The column list of glowplug's own statements (`UpsertOne`, `PutRows`,
        // `ByKeys`) and a full row's values for `op_put_rows`: one bind per column.
        impl $crate::__private::BindRow<$db> for $model {
            const COLUMNS: &'static [&'static str] = &[ $( <$table::$cn as $crate::__private::diesel::Column>::NAME, )* ];

            fn bind_row<'b>(
                &'b self,
                out: &mut $crate::__private::diesel::query_builder::AstPass<'_, 'b, $db>,
            ) -> $crate::__private::QueryResult<()> {
                let mut separator = $crate::__private::Separator::default();
                $(
                    separator.next(out);
                    out.push_bind_param::<$crate::__private::diesel::dsl::SqlTypeOf<$table::$cn>, _>(&self.$cn)?;
                )*
                ::core::result::Result::Ok(())
            }
        }
    };
}

/// `op_copy_rows` through PostgreSQL's binary `COPY … FROM STDIN` (PostgreSQL only).
#[doc(hidden)]
#[macro_export]
macro_rules! __glowplug_copy {
    (yes, $conn:ty, $table:ident) => {
        fn op_copy_rows(
            conn: &mut $conn,
            rows: &[<Self as $crate::Model>::New],
        ) -> $crate::__private::QueryResult<usize> {
            $crate::__private::diesel::copy_from($table::table)
                .from_insertable(rows)
                .execute(conn)
        }
    };
    (no, $conn:ty, $table:ident) => {};
}

/// A changeset, with `updated_at` bumped on models with timestamps.
#[doc(hidden)]
#[macro_export]
macro_rules! __glowplug_touch {
    (yes, $table:ident, $changes:expr) => {
        (
            $changes,
            $table::updated_at.eq($crate::__private::Stamp($crate::__private::now())),
        )
    };
    (no, $table:ident, $changes:expr) => {
        $changes
    };
}

/// `soft_delete = yes`: the query `$q` restricted to rows not soft-deleted
/// (`WHERE deleted_at IS NULL`), as a type (`type`) or a value (`expr`);
/// `no`: `$q` itself.
#[doc(hidden)]
#[macro_export]
macro_rules! __glowplug_live {
    (type no $table:ident [$q:ty]) => { $q };
    (type yes $table:ident [$q:ty]) => {
        $crate::__private::diesel::dsl::Filter<$q, $crate::__private::diesel::dsl::IsNull<$table::deleted_at>>
    };
    (expr no $table:ident [$q:expr]) => { $q };
    (expr yes $table:ident [$q:expr]) => {
        $crate::__private::diesel::QueryDsl::filter($q, $crate::__private::diesel::ExpressionMethods::is_null($table::deleted_at))
    };
}

/// `lock_version = yes`: an `UPDATE` of one row only while its version is
/// the one `$row` was read at (`target`), bumping it (`set`); `no`: as given.
#[doc(hidden)]
#[macro_export]
macro_rules! __glowplug_versioned {
    (target no $table:ident, $target:expr, $row:expr) => {
        $target
    };
    (target yes $table:ident, $target:expr, $row:expr) => {
        $crate::__private::diesel::QueryDsl::filter(
            $target,
            $table::lock_version.eq($row.lock_version),
        )
    };
    (set no $table:ident, $changes:expr) => {
        $changes
    };
    (set yes $table:ident, $changes:expr) => {
        ($changes, $table::lock_version.eq($table::lock_version + 1))
    };
}

/// The statement that deletes `$rows`: `DELETE`, or with `soft_delete` an
/// `UPDATE` setting `deleted_at` (and bumping `updated_at`) on the rows not
/// yet deleted.
#[doc(hidden)]
#[macro_export]
macro_rules! __glowplug_remove {
    // `Touch::Live` and `Touch::Remove` (see `query/mod.rs`).
    (items no, $ts:ident, $table:ident) => {
        type SoftDeletes = $crate::query::SoftDeletes<false>;
        type Live = $table::table;
        fn live() -> Self::Live {
            $table::table
        }
        type Remove = $crate::__private::diesel::dsl::delete<$table::table>;
        fn remove() -> Self::Remove {
            $crate::__private::diesel::delete($table::table)
        }
    };
    (items yes, $ts:ident, $table:ident) => {
        type SoftDeletes = $crate::query::SoftDeletes<true>;
        type Live = $crate::__glowplug_live!(type yes $table [$table::table]);
        fn live() -> Self::Live {
            $crate::__glowplug_live!(expr yes $table [$table::table])
        }
        type Remove = $crate::__private::diesel::dsl::Update<
            Self::Live,
            Self::With<$crate::__private::diesel::dsl::Eq<$table::deleted_at, $crate::__private::Option<$crate::__private::Stamp>>>,
        >;
        fn remove() -> Self::Remove {
            $crate::__glowplug_remove!(yes, $ts, $table, $table::table)
        }
    };
    (no, $ts:ident, $table:ident, $rows:expr) => { $crate::__private::diesel::delete($rows) };
    (yes, $ts:ident, $table:ident, $rows:expr) => {
        $crate::__private::diesel::update($crate::__glowplug_live!(expr yes $table [$rows]))
            .set($crate::__glowplug_touch!($ts, $table,
                $table::deleted_at.eq($crate::__private::Option::Some($crate::__private::Stamp($crate::__private::now())))))
    };
}
