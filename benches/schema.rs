//! Schema benchmarks: glowplug's DDL and drift check against hand-written
//! diesel on the same tables, in the same run.
//!
//! The tables are the nine of the project's test models
//! (`tests/common/models.rs`), whose hand-written DDL is the project's own
//! migrations (`migrations/<backend>/*/up.sql`).
//!
//! Workloads (benchmark ids read `<backend>/<workload>/<side>`):
//!
//! * `create_9`: create the nine tables in an empty database.
//!   * `glowplug`: `schema::create_all(&mut conn, ALL)` (DDL generated from
//!     the models, ordered by foreign keys, run in one transaction);
//!   * `diesel`: `conn.batch_execute(..)` of the migrations' `up.sql` files,
//!     in one transaction.
//!
//!   Each iteration gets an empty database outside the timed code: a new
//!   in-memory SQLite connection, or the PostgreSQL schema dropped and
//!   created again.
//! * `read_9`: read the schema of the nine migrated tables.
//!   * `glowplug`: `schema::diff(&mut conn, ALL)` (introspection of columns,
//!     keys, indexes and foreign keys, then the comparison);
//!   * `diesel`: hand-written catalog queries for the columns alone (one
//!     `pragma_table_info` per table on SQLite, one query over
//!     `information_schema.columns` on PostgreSQL), the least a drift check
//!     has to read.
//!
//! Checked before timing: `create_all` leaves a schema with no drift, and
//! `diff` on the migrated database is empty.
//!
//! Run with `cargo bench --bench schema` (`-- --test` runs each once, as a
//! smoke test). PostgreSQL runs in the schema `glowplug_bench_schema` of
//! `PG_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/glowplug_test`);
//! skipped with a line on stdout when no server answers.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use glowplug::schema;

#[allow(dead_code)]
#[path = "../tests/common/models.rs"]
mod models;

#[allow(dead_code)]
#[path = "../tests/common/setup.rs"]
mod setup;

use models::ALL;
use setup::pg_bench_schema;

const PG_SCHEMA: &str = "glowplug_bench_schema";

/// The project's migrations for `backend`, concatenated in version order.
fn hand_written(backend: &str) -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let mut dirs: Vec<_> = std::fs::read_dir(&dir)
        .expect("migrations dir")
        .map(|e| e.expect("entry").path())
        .collect();
    dirs.sort();
    dirs.iter()
        .map(|d| std::fs::read_to_string(d.join("up.sql")).expect("up.sql"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[derive(QueryableByName)]
#[allow(dead_code)]
struct ColumnRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    ty: String,
}

fn sqlite(c: &mut Criterion) {
    let sql = hand_written("sqlite");
    let fresh = || {
        let mut conn = SqliteConnection::establish(":memory:").expect("open SQLite");
        conn.batch_execute("PRAGMA foreign_keys = ON")
            .expect("pragma");
        conn
    };
    let mut check = fresh();
    schema::create_all(&mut check, ALL).expect("create_all");
    schema::check(&mut check, ALL).expect("no drift after create_all");
    let mut migrated = fresh();
    migrated.batch_execute(&sql).expect("hand-written DDL");
    schema::check(&mut migrated, ALL).expect("no drift after the migrations");
    let tables: Vec<&str> = ALL.iter().map(|m| m.table).collect();

    let mut g = c.benchmark_group("sqlite/create_9");
    g.bench_function("glowplug", |b| {
        b.iter_batched(
            fresh,
            |mut conn| schema::create_all(&mut conn, ALL).unwrap(),
            BatchSize::PerIteration,
        )
    });
    g.bench_function("diesel", |b| {
        b.iter_batched(
            fresh,
            |mut conn| conn.transaction(|c| c.batch_execute(&sql)).unwrap(),
            BatchSize::PerIteration,
        )
    });
    g.finish();

    let mut g = c.benchmark_group("sqlite/read_9");
    g.bench_function("glowplug", |b| {
        b.iter(|| black_box(schema::diff(&mut migrated, ALL).unwrap()))
    });
    g.bench_function("diesel", |b| {
        b.iter(|| {
            for t in &tables {
                black_box(
                    diesel::sql_query("SELECT name, type AS ty FROM pragma_table_info(?)")
                        .bind::<diesel::sql_types::Text, _>(*t)
                        .load::<ColumnRow>(&mut migrated)
                        .unwrap(),
                );
            }
        })
    });
    g.finish();
}

fn postgres(c: &mut Criterion) {
    let Some((mut admin, url)) = pg_bench_schema(PG_SCHEMA) else {
        return;
    };
    let sql = hand_written("postgres");
    let reset = |admin: &mut PgConnection| {
        admin
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE; CREATE SCHEMA {PG_SCHEMA};"
            ))
            .expect("reset schema");
    };
    let mut conn = PgConnection::establish(&url).expect("connect");
    schema::create_all(&mut conn, ALL).expect("create_all");
    schema::check(&mut conn, ALL).expect("no drift after create_all");
    reset(&mut admin);
    conn.batch_execute(&sql).expect("hand-written DDL");
    schema::check(&mut conn, ALL).expect("no drift after the migrations");

    let mut g = c.benchmark_group("postgres/read_9");
    g.bench_function("glowplug", |b| {
        b.iter(|| black_box(schema::diff(&mut conn, ALL).unwrap()))
    });
    g.bench_function("diesel", |b| {
        b.iter(|| {
            black_box(
                diesel::sql_query(
                    "SELECT column_name::text AS name, data_type::text AS ty FROM information_schema.columns \
                     WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position",
                )
                .load::<ColumnRow>(&mut conn)
                .unwrap(),
            )
        })
    });
    g.finish();

    let mut g = c.benchmark_group("postgres/create_9");
    g.sample_size(20);
    g.bench_function("glowplug", |b| {
        b.iter_batched(
            || reset(&mut admin),
            |()| schema::create_all(&mut conn, ALL).unwrap(),
            BatchSize::PerIteration,
        )
    });
    g.bench_function("diesel", |b| {
        b.iter_batched(
            || reset(&mut admin),
            |()| conn.transaction(|c| c.batch_execute(&sql)).unwrap(),
            BatchSize::PerIteration,
        )
    });
    g.finish();
    admin
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        .expect("drop schema");
}

criterion_group!(benches, sqlite, postgres);
criterion_main!(benches);
