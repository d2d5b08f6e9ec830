//! Read replicas on real streaming replication: a throwaway primary and two
//! replicas made with `pg_basebackup -R` (see `common/cluster.rs`). Which
//! server answered is read from `inet_server_port()`; replication lag is
//! made deterministic by pausing replay (`pg_wal_replay_pause()`). SQLite
//! has no replicas: the setting is refused there.

#[path = "common/cluster.rs"]
mod cluster;
mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use cluster::{Cluster, PASSWORD};
use common::models::*;
use common::{MIGRATIONS, new_user};
use glowplug::Error;
use glowplug::database::{ReplicaFallback, WalPosition};
use glowplug::prelude::*;

/// Generous: the machine is shared. What matters is "bounded", not "fast".
const BOUND: Duration = Duration::from_secs(15);

#[derive(diesel::QueryableByName)]
struct Port {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    port: i32,
}

/// The port of the server behind `conn`.
fn port(conn: &mut AnyConnection) -> u16 {
    let row: Port = diesel::sql_query("SELECT inet_server_port() AS port")
        .get_result(conn)
        .expect("the server's port");
    u16::try_from(row.port).expect("a port")
}

/// The users' names on `conn`, in id order.
fn names(conn: &mut AnyConnection) -> Vec<String> {
    User::scope()
        .order(users::id.asc())
        .pluck(conn, users::username)
        .expect("the users' names")
}

/// A primary and two replicas, or `None` without the server binaries.
fn servers(test: &str) -> Option<(Cluster, Cluster, Cluster)> {
    let primary = Cluster::start(test)?;
    let (r1, r2) = (primary.replica(), primary.replica());
    Some((primary, r1, r2))
}

fn builder(primary: &Cluster, replicas: &[&Cluster]) -> glowplug::database::DatabaseBuilder {
    let mut b = Database::builder(&primary.url(PASSWORD))
        .max_size(4)
        .connect_timeout(Duration::from_secs(2))
        .replica_retry(Duration::from_millis(300));
    for r in replicas {
        b = b.replica(&r.url(PASSWORD));
    }
    b
}

#[test]
fn reads_go_to_replicas_that_have_replayed_the_writes_they_must_see() -> common::TestResult {
    let Some((primary, r1, r2)) = servers("reads_go_to_replicas") else {
        return Ok(());
    };
    let db = builder(&primary, &[&r1, &r2]).build()?;
    assert_eq!(db.replica_count(), 2);
    db.run_pending_migrations(MIGRATIONS)?;

    // Writes go to the primary, and their position is noted on check-in.
    let before = db.written();
    let mut conn = db.get()?;
    assert_eq!(port(&mut conn), primary.port());
    let ada = new_user("ada").insert(&mut conn)?;
    let post = NewPost::new(ada.id, "hello").insert(&mut conn)?;
    drop(conn);
    let after_write = db.written();
    assert!(after_write > before, "{after_write} > {before}");
    let mut conn = db.get()?;
    assert_eq!(
        User::count(&mut conn)?,
        1,
        "a read on the primary notes nothing"
    );
    drop(conn);
    assert_eq!(db.written(), after_write);

    // Once both replicas have replayed the writes, reads take turns on them
    // and every model method works on a read connection.
    r1.wait_replayed(&after_write.to_string());
    r2.wait_replayed(&after_write.to_string());
    let mut answered = BTreeSet::new();
    for _ in 0..6 {
        let mut read = db.read()?;
        answered.insert(port(&mut read));
        assert_eq!(User::all(&mut read)?, vec![ada.clone()]);
        assert_eq!(User::find(&mut read, ada.id)?, ada);
        assert_eq!(User::filter(users::username.eq("ada")).count(&mut read)?, 1);
        let loaded = vec![ada.clone()].load(&mut read, User::POSTS)?;
        assert_eq!(*loaded[0].get(User::POSTS), vec![post.clone()]);
    }
    assert_eq!(answered, BTreeSet::from([r1.port(), r2.port()]));
    let via_scope = db.reading(|c| Ok::<_, Error>(port(c)))?;
    assert!([r1.port(), r2.port()].contains(&via_scope), "{via_scope}");

    // With replay paused, a write the replicas have not replayed sends
    // `read` to the primary, while `read_any` still takes a replica (which
    // does not show the write: the lag is real).
    r1.replay(false);
    r2.replay(false);
    let bob = new_user("bob").insert(&mut db.get()?)?;
    let mut read = db.read()?;
    assert_eq!(port(&mut read), primary.port());
    assert_eq!(User::find(&mut read, bob.id)?, bob);
    drop(read);
    let mut stale = db.read_any()?;
    assert!([r1.port(), r2.port()].contains(&port(&mut stale)));
    assert!(User::find_optional(&mut stale, bob.id)?.is_none());
    drop(stale);

    // A session's own position, carried as text (a cookie), and a pool
    // that fails rather than fall back to the primary.
    let carried = WalPosition::current(&mut db.get()?)?.to_string();
    let at: WalPosition = carried.parse()?;
    assert!(at >= db.written());
    let strict = builder(&primary, &[&r1, &r2])
        .replica_fallback(ReplicaFallback::Fail)
        .build()?;
    let err = strict.read_after(at).unwrap_err();
    assert!(matches!(err, Error::Pool { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("replica 1") && text.contains("replica 2"),
        "{text}"
    );
    assert!(text.contains(&format!("the read needs {at}")), "{text}");
    assert!(!text.contains(PASSWORD), "{text}");
    let any = port(&mut *strict.read_any()?);
    assert!(
        [r1.port(), r2.port()].contains(&any),
        "a read needing no position takes a paused replica"
    );

    // A pool that waits: replay resumes on replica 1 while the read waits,
    // and the read gets replica 1, which shows the write.
    let patient = builder(&primary, &[&r1, &r2])
        .replica_wait(Duration::from_secs(10))
        .replica_fallback(ReplicaFallback::Fail)
        .build()?;
    let mut read = std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(300));
            r1.replay(true);
        });
        patient.read_after(at)
    })?;
    assert_eq!(port(&mut read), r1.port());
    assert_eq!(names(&mut read), ["ada", "bob"]);
    drop(read);

    // Replica 2 is still paused, and further behind with every write: a
    // lag limit keeps reads off it even when they need no position.
    let lagging = builder(&primary, &[&r1, &r2])
        .max_replica_lag(Duration::from_millis(200))
        .build()?;
    new_user("cy").insert(&mut db.get()?)?;
    std::thread::sleep(Duration::from_millis(500));
    new_user("di").insert(&mut db.get()?)?;
    r1.wait_replayed(&db.written().to_string());
    for _ in 0..4 {
        let mut read = lagging.read_any()?;
        assert_eq!(
            port(&mut read),
            r1.port(),
            "replica 2 lags more than 200 ms"
        );
        assert_eq!(User::count(&mut read)?, 4);
    }
    r2.replay(true);
    r2.wait_replayed(&db.written().to_string());
    std::thread::sleep(Duration::from_millis(1100)); // a replica's state is read at most once a second
    let answered: BTreeSet<u16> = (0..4)
        .map(|_| port(&mut lagging.read_any().expect("a read")))
        .collect();
    assert_eq!(
        answered,
        BTreeSet::from([r1.port(), r2.port()]),
        "caught up, replica 2 serves again"
    );
    Ok(())
}

#[test]
fn reads_survive_replicas_that_stop_or_are_promoted() -> common::TestResult {
    let Some((primary, r1, r2)) = servers("reads_survive_replicas") else {
        return Ok(());
    };
    let db = builder(&primary, &[&r1, &r2]).build()?;
    let strict = builder(&primary, &[&r1, &r2])
        .replica_fallback(ReplicaFallback::Fail)
        .build()?;
    db.run_pending_migrations(MIGRATIONS)?;
    let ada = new_user("ada").insert(&mut db.get()?)?;
    r1.wait_replayed(&db.written().to_string());
    r2.wait_replayed(&db.written().to_string());
    // Connections to both replicas are open in the pools before they stop.
    let both: BTreeSet<u16> = (0..2)
        .map(|_| port(&mut db.read().expect("a read")))
        .collect();
    assert_eq!(both, BTreeSet::from([r1.port(), r2.port()]));

    // One replica stops: reads keep working on the other, within bounds.
    r1.stop_server();
    for _ in 0..4 {
        let started = Instant::now();
        let mut read = db.read()?;
        assert_eq!(port(&mut read), r2.port());
        assert_eq!(User::all(&mut read)?, vec![ada.clone()]);
        assert!(started.elapsed() < BOUND, "{:?}", started.elapsed());
    }

    // Every replica stopped: reads go to the primary, or fail if asked.
    r2.stop_server();
    for _ in 0..3 {
        let started = Instant::now();
        let mut read = db.read()?;
        assert_eq!(port(&mut read), primary.port());
        assert_eq!(User::all(&mut read)?, vec![ada.clone()]);
        assert!(started.elapsed() < BOUND, "{:?}", started.elapsed());
    }
    let started = Instant::now();
    let err = strict.read_any().unwrap_err();
    assert!(started.elapsed() < BOUND, "{:?}", started.elapsed());
    assert!(matches!(err, Error::Pool { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("replica 1") && text.contains("replica 2"),
        "{text}"
    );
    assert!(!text.contains(PASSWORD), "{text}");

    // Replica 1 comes back and is used again after its rest.
    r1.start_server();
    let bob = new_user("bob").insert(&mut db.get()?)?;
    r1.wait_replayed(&db.written().to_string());
    let back = Instant::now();
    let mut answered = BTreeSet::new();
    while back.elapsed() < BOUND && !answered.contains(&r1.port()) {
        answered.insert(port(&mut *db.read()?));
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(answered.contains(&r1.port()), "{answered:?}");
    assert_eq!(User::find(&mut db.read()?, bob.id)?, bob);

    // Promoted, it no longer follows the primary: it serves no reads.
    r1.promote();
    // Past any rest, and past the second after which a replica's state is read again.
    std::thread::sleep(Duration::from_millis(1100));
    for _ in 0..4 {
        let mut read = db.read_any()?;
        assert_eq!(port(&mut read), primary.port());
    }
    let err = strict.read_any().unwrap_err().to_string();
    assert!(err.contains("not in recovery"), "{err}");

    // The primary goes down: writes fail, reads keep working on replica 2
    // (started again; it stays a replica while its primary is away).
    r2.start_server();
    primary.stop_server();
    let err = db
        .get_timeout(Duration::from_secs(2))
        .and_then(|mut conn| new_user("cy").insert(&mut conn))
        .unwrap_err();
    assert!(
        matches!(err, Error::Pool { .. } | Error::ConnectionLost { .. }),
        "{err:?}"
    );
    std::thread::sleep(Duration::from_millis(400)); // past replica 2's rest
    let started = Instant::now();
    let mut read = db.read()?;
    assert_eq!(port(&mut read), r2.port());
    assert_eq!(names(&mut read), ["ada", "bob"]);
    assert!(started.elapsed() < BOUND, "{:?}", started.elapsed());
    Ok(())
}

#[test]
fn replicas_are_refused_where_they_cannot_work() {
    // SQLite has no replication.
    let err = Database::builder("sqlite::memory:")
        .replica("postgres://app@replica/app")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config { .. }), "{err:?}");
    assert!(
        err.to_string().contains("SQLite has no replication"),
        "{err}"
    );
    // Without replicas, SQLite's reads are its one database.
    let db = Database::connect("sqlite::memory:").expect("open");
    assert_eq!(db.replica_count(), 0);
    assert_eq!(db.written(), WalPosition::ZERO);
    let mut read = db.read().expect("a read connection");
    assert_eq!(read.backend(), Backend::Sqlite);
    assert_eq!(
        WalPosition::current(&mut read).expect("a position"),
        WalPosition::ZERO
    );
    drop(read);

    // A replica of a PostgreSQL primary must be PostgreSQL, and the
    // replica settings have limits (checked before anything connects).
    let pg = "postgres://app:s3cret-pw@127.0.0.1:1/app";
    let bad = [
        Database::builder(pg).replica("sqlite://replica.db").build(),
        Database::builder(pg)
            .replica(pg)
            .replica_wait(Duration::from_secs(120))
            .build(),
        Database::builder(pg)
            .replica(pg)
            .replica_checkout_timeout(Duration::ZERO)
            .build(),
        Database::builder(pg)
            .replica(pg)
            .replica_retry(Duration::ZERO)
            .build(),
    ];
    let expected = [
        "is not a PostgreSQL URL",
        "replica_wait must be at most one minute",
        "replica_checkout_timeout must be longer than zero",
        "replica_retry must be longer than zero",
    ];
    for (result, want) in bad.into_iter().zip(expected) {
        let err = result.unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{err:?}");
        assert!(err.to_string().contains(want), "{err}");
        assert!(!format!("{err} {err:?}").contains("s3cret-pw"), "{err:?}");
    }
}
