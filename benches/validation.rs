//! What declared validations and lifecycle hooks cost on inserts, against
//! the same insert without them and hand-written diesel, in one run
//! (SQLite in memory).
//!
//! Benchmark ids read `sqlite/validation/<side>`:
//!
//! * `insert/diesel`: `insert_into(..).values(..).returning(..)` by hand;
//! * `insert/plain`: `NewPlain { .. }.insert(&mut conn)`, no validations,
//!   no hooks;
//! * `insert/validated`: the three validations below, no hook;
//! * `insert/checked`: the same columns with three declared validations
//!   (`email`, `length(1..=50)`, `range(0..=150)`) and one hook
//!   (`before_insert` lower-cases the email), which makes the insert a
//!   transaction;
//! * `batch_100k/plain`, `batch_100k/hooked`, `batch_100k/checked`:
//!   `insert_batch` of 100 000 rows without hooks, with the one hook
//!   (called per row), and with the hook and the three validations. Each
//!   iteration empties the table first (not timed).
//!
//! Run with `cargo bench --bench validation -- --measurement-time 5`;
//! results are in BENCHMARKS.md.

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use glowplug::Hooks;
use glowplug::prelude::*;

glowplug::model! {
    pub Plain { id: pk, email: text, name: text, age: int }

    pub Checked {
        id: pk,
        email: text validate(email),
        name: text validate(length(1..=50)),
        age: int validate(range(0..=150)),
        hooks,
    }

    pub Hooked { id: pk, email: text, name: text, age: int, hooks, }

    pub Validated {
        id: pk,
        email: text validate(email),
        name: text validate(length(1..=50)),
        age: int validate(range(0..=150)),
    }
}

impl Hooks for Checked {
    fn before_insert<C: DbConnection + ?Sized>(
        new: &mut NewChecked,
        _: &mut C,
    ) -> glowplug::Result<()> {
        new.email.make_ascii_lowercase();
        Ok(())
    }
}

impl Hooks for Hooked {
    fn before_insert<C: DbConnection + ?Sized>(
        new: &mut NewHooked,
        _: &mut C,
    ) -> glowplug::Result<()> {
        new.email.make_ascii_lowercase();
        Ok(())
    }
}

const ROWS: usize = 100_000;

fn bench(c: &mut Criterion) {
    // One plain connection for every side, so that all pay the same.
    let mut conn = SqliteConnection::establish(":memory:").expect("SQLite");
    glowplug::schema::create_all(
        &mut conn,
        &[Plain::META, Checked::META, Hooked::META, Validated::META],
    )
    .expect("tables");

    let mut group = c.benchmark_group("sqlite/validation");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    group.bench_function("insert/diesel", |b| {
        b.iter(|| {
            diesel::insert_into(plains::table)
                .values((
                    plains::email.eq("Ada@Example.com"),
                    plains::name.eq("Ada"),
                    plains::age.eq(36),
                ))
                .returning((plains::id, plains::email, plains::name, plains::age))
                .get_result::<Plain>(&mut conn)
                .expect("insert")
        })
    });
    group.bench_function("insert/plain", |b| {
        b.iter(|| {
            NewPlain::new("Ada@Example.com", "Ada", 36)
                .insert(&mut conn)
                .expect("insert")
        })
    });
    group.bench_function("insert/validated", |b| {
        b.iter(|| {
            NewValidated::new("ada@example.com", "Ada", 36)
                .insert(&mut conn)
                .expect("insert")
        })
    });
    group.bench_function("insert/checked", |b| {
        b.iter(|| {
            NewChecked::new("Ada@Example.com", "Ada", 36)
                .insert(&mut conn)
                .expect("insert")
        })
    });

    group.sample_size(10);
    let plain: Vec<NewPlain> = (0..ROWS)
        .map(|i| NewPlain::new(format!("U{i}@X.IO"), "name", 30))
        .collect();
    let hooked: Vec<NewHooked> = (0..ROWS)
        .map(|i| NewHooked::new(format!("U{i}@X.IO"), "name", 30))
        .collect();
    let checked: Vec<NewChecked> = (0..ROWS)
        .map(|i| NewChecked::new(format!("U{i}@X.IO"), "name", 30))
        .collect();
    macro_rules! batch {
        ($side:literal, $model:ty, $table:literal, $rows:expr) => {
            group.bench_function(concat!("batch_100k/", $side), |b| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        conn.batch_execute(concat!("DELETE FROM ", $table))
                            .expect("empty the table");
                        let start = std::time::Instant::now();
                        let n = <$model>::insert_batch(&mut conn, $rows).expect("batch");
                        total += start.elapsed();
                        assert_eq!(n, ROWS);
                    }
                    total
                })
            });
        };
    }
    batch!("plain", Plain, "plains", &plain);
    batch!("hooked", Hooked, "hookeds", &hooked);
    batch!("checked", Checked, "checkeds", &checked);
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
