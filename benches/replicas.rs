//! Read replicas: what routing a read to a replica costs, and what
//! read-your-writes by WAL position costs, on a throwaway primary and one
//! streaming replica made for the run (`tests/common/cluster.rs`; skipped
//! with a line when the PostgreSQL server binaries are missing). Both
//! servers run on this machine, so a replica read costs what a primary read
//! costs plus glowplug's routing; across a network the replica's distance
//! decides.
//!
//! Groups (ids `replica/<group>/<side>`):
//!
//! * `find`: checkout and `User::find` by primary key on the primary
//!   (`Database::get`) against a replica (`Database::read_any`, no position
//!   to check), and on the replica through `Database::read` with a position
//!   it is already known to have replayed (`read_known`: no statement).
//! * `read_your_writes`: every read needs a position newer than the replica
//!   was last seen at (a row is written on the primary and replayed on the
//!   replica before each measured read, unmeasured), so `read` asks the
//!   replica for its position (`read_checked`), against `read_any`
//!   after the same set-up (`read_unchecked`).
//! * `insert`: checkout and one `insert` on the primary of a `Database`
//!   with a replica (the primary's position is read as the connection
//!   returns) against one without replicas (`no_replicas`).
//!
//! Run with `cargo bench --bench replicas`; results are in BENCHMARKS.md.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use glowplug::prelude::*;

#[path = "../tests/common/cluster.rs"]
mod cluster;
#[allow(dead_code)]
#[path = "../tests/common/models.rs"]
mod models;
#[allow(dead_code)]
#[path = "../tests/common/setup.rs"]
mod setup;

use cluster::{Cluster, PASSWORD};
use models::{NewUser, User};

/// A way to check out a connection for reads.
type Read = fn(&Database) -> glowplug::Result<PooledConnection>;

fn replicas(c: &mut Criterion) {
    let Some(primary) = Cluster::start("replicas bench") else {
        return;
    };
    let replica = primary.replica();
    let db = Database::builder(&primary.url(PASSWORD))
        .replica(&replica.url(PASSWORD))
        .build()
        .expect("open the pools");
    let plain = Database::connect(&primary.url(PASSWORD)).expect("open the primary alone");
    db.run_pending_migrations(setup::MIGRATIONS)
        .expect("migrate");
    let user = NewUser::new("ada", "ada@example.com")
        .insert(&mut db.get().expect("a connection"))
        .expect("insert");
    replica.wait_replayed(&db.written().to_string());
    let replica_port = |conn: &mut AnyConnection| {
        #[derive(diesel::QueryableByName)]
        struct Port {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            port: i32,
        }
        let p: Port = diesel::sql_query("SELECT inet_server_port() AS port")
            .get_result(conn)
            .expect("port");
        p.port
    };
    assert_eq!(
        replica_port(&mut db.read().expect("a read")),
        i32::from(replica.port()),
        "reads go to the replica"
    );

    let mut g = c.benchmark_group("replica/find");
    g.bench_function("primary", |b| {
        b.iter(|| black_box(User::find(&mut db.get().expect("get"), user.id).expect("find")))
    });
    g.bench_function("replica", |b| {
        b.iter(|| black_box(User::find(&mut db.read_any().expect("read"), user.id).expect("find")))
    });
    g.bench_function("read_known", |b| {
        b.iter(|| black_box(User::find(&mut db.read().expect("read"), user.id).expect("find")))
    });
    g.finish();

    // Before each measured read: a write on the primary, replayed on the
    // replica, so the read's position is newer than the one last seen.
    let write = || {
        diesel::sql_query("UPDATE users SET bio = md5(random()::text) WHERE id = $1")
            .bind::<diesel::sql_types::BigInt, _>(user.id)
            .execute(&mut db.get().expect("get"))
            .expect("write");
    };
    let mut g = c.benchmark_group("replica/read_your_writes");
    let reads: [(&str, Read); 2] = [
        ("read_checked", Database::read),
        ("read_unchecked", Database::read_any),
    ];
    for (side, read) in reads {
        g.bench_function(side, |b| {
            b.iter_batched(
                || {
                    write();
                    replica.wait_replayed(&db.written().to_string());
                },
                |()| {
                    let mut conn = read(&db).expect("read");
                    black_box(User::find(&mut conn, user.id).expect("find"))
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();

    let mut n = 0u64;
    let mut g = c.benchmark_group("replica/insert");
    g.bench_function("with_replica", |b| {
        b.iter(|| {
            n += 1;
            let name = format!("r{n}");
            black_box(
                NewUser::new(&name, format!("{name}@example.com"))
                    .insert(&mut db.get().expect("get"))
                    .expect("insert"),
            )
        })
    });
    g.bench_function("no_replicas", |b| {
        b.iter(|| {
            n += 1;
            let name = format!("p{n}");
            black_box(
                NewUser::new(&name, format!("{name}@example.com"))
                    .insert(&mut plain.get().expect("get"))
                    .expect("insert"),
            )
        })
    });
    g.finish();
    replica.wait_replayed(&db.written().to_string());
    assert_eq!(
        replica_port(&mut db.read().expect("a read")),
        i32::from(replica.port()),
        "reads still go to the replica after the run"
    );
}

criterion_group!(benches, replicas);
criterion_main!(benches);
