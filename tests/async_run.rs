//! The `tokio` feature on both backends: `Database::run` and
//! `Database::run_transaction` through the façade, checkouts that leave the
//! async worker free, timeouts as errors, cancellation (a dropped future
//! leaves no transaction open and no connection out), and strict loading
//! that follows a task across `.await`s and blocking threads, and query
//! recorders lent to the blocking threads of the runs a task awaits.

mod common;

use std::time::Duration;

use common::models::*;
use common::new_user;
use glowplug::prelude::*;
use glowplug::{
    Error, LazyLoading, QueryRecorder, count_queries, strict_loading_scope, take_task_violations,
};

/// A multi-threaded runtime with a timer, as a web server runs.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .expect("a tokio runtime")
}

/// A pool of one connection on the test's database, waiting at most `wait` for it.
fn one_connection(db: &common::TestDb, wait: Duration) -> glowplug::Result<Database> {
    Database::builder(&db.url)
        .max_size(1)
        .connection_timeout(wait)
        .build()
}

/// Three users; ada wrote two posts, bob one.
fn seed(conn: &mut PooledConnection) -> glowplug::Result<()> {
    let ada = new_user("ada").insert(conn)?;
    let bob = new_user("bob").insert(conn)?;
    new_user("cy").insert(conn)?;
    for (author, title) in [(&ada, "a1"), (&ada, "a2"), (&bob, "b1")] {
        NewPost::new(author.id, title).insert(conn)?;
    }
    Ok(())
}

backend_tests! {
    fn run_and_run_transaction_go_through_the_facade(db) {
        let rt = runtime();
        let pool = db.db.clone();
        rt.block_on(async {
            pool.run(seed).await?;
            let names = pool
                .run(|conn| Ok::<_, Error>(User::all(conn)?.into_iter().map(|u| u.username).collect::<Vec<_>>()))
                .await?;
            assert_eq!(names, ["ada", "bob", "cy"]);
            // Without replicas, reads run on the one database.
            let read = pool.run_read(Post::count).await?;
            assert_eq!(read, 3);

            // An error rolls the transaction back; Ok commits it.
            let failed: glowplug::Result<()> = pool
                .run_transaction(|conn| {
                    new_user("dee").insert(conn)?;
                    Err(Error::config("the handler refused".into()))
                })
                .await;
            assert!(matches!(failed, Err(Error::Config { .. })));
            pool.run_transaction(|conn| new_user("eve").insert(conn).map(drop)).await?;
            let count = pool.run(User::count).await?;
            assert_eq!(count, 4, "eve kept, dee rolled back");

            // A panic resumes in the awaiting task; the pool stays usable.
            let panicked = tokio::spawn({
                let pool = pool.clone();
                async move { pool.run(|_| -> glowplug::Result<()> { panic!("handler bug") }).await }
            })
            .await;
            assert!(panicked.is_err_and(|e| e.is_panic()));
            assert_eq!(pool.run(User::count).await?, 4);
            Ok::<_, Box<dyn std::error::Error>>(())
        })
    }

    fn a_waiting_checkout_leaves_the_async_worker_free(db) {
        // One worker thread: if a checkout blocked it, the timer below could
        // not fire until the checkout had timed out, and `waiting` would fail.
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().build()?;
        let pool = one_connection(&db, Duration::from_secs(3))?;
        rt.block_on(async {
            let (release, released) = std::sync::mpsc::channel::<()>();
            let holding = tokio::spawn({
                let pool = pool.clone();
                async move {
                    pool.run(move |conn| {
                        released.recv().ok();
                        User::count(conn)
                    })
                    .await
                }
            });
            tokio::time::sleep(Duration::from_millis(50)).await;
            let waiting = tokio::spawn({
                let pool = pool.clone();
                async move { pool.run(User::count).await }
            });
            tokio::time::sleep(Duration::from_millis(100)).await;
            release.send(())?;
            assert_eq!(holding.await??, 0);
            assert_eq!(waiting.await??, 0, "the second checkout got the connection once it was free");
            Ok::<_, Box<dyn std::error::Error>>(())
        })
    }

    fn a_checkout_that_times_out_is_an_error(db) {
        let rt = runtime();
        let pool = one_connection(&db, Duration::from_millis(200))?;
        let held = pool.get()?;
        let result = rt.block_on(pool.run(User::count));
        assert!(matches!(&result, Err(Error::Pool { message, .. }) if message.contains("in use")), "{result:?}");
        drop(held);
        assert_eq!(rt.block_on(pool.run(User::count))?, 0);
        Ok(())
    }

    fn a_dropped_transaction_future_rolls_back_and_returns_its_connection(db) {
        let rt = runtime();
        let pool = one_connection(&db, Duration::from_secs(10))?;
        rt.block_on(async {
            let (started, has_started) = tokio::sync::oneshot::channel::<()>();
            let request = tokio::spawn({
                let pool = pool.clone();
                async move {
                    pool.run_transaction(move |conn| {
                        new_user("ada").insert(conn)?;
                        let _ = started.send(());
                        std::thread::sleep(Duration::from_millis(300));
                        Ok::<_, Error>(())
                    })
                    .await
                }
            });
            has_started.await?;
            request.abort(); // the client hung up
            assert!(request.await.is_err_and(|e| e.is_cancelled()));

            // The only connection comes back once the closure has ended; its
            // transaction was rolled back, not left open or committed.
            assert_eq!(pool.run(User::count).await?, 0);
            pool.run_transaction(|conn| new_user("bob").insert(conn).map(drop)).await?;
            // Seen from another pool: committed for real, not inside a
            // transaction the cancelled request left open.
            let other = Database::connect(&db.url)?;
            let names = other.run(|conn| Ok::<_, Error>(User::all(conn)?.into_iter().map(|u| u.username).collect::<Vec<_>>())).await?;
            assert_eq!(names, ["bob"]);

            // A dropped `run` (no transaction of its own): the closure ends,
            // its autocommitted write stays, the connection is returned.
            let (started, has_started) = tokio::sync::oneshot::channel::<()>();
            let request = tokio::spawn({
                let pool = pool.clone();
                async move {
                    pool.run(move |conn| {
                        let _ = started.send(());
                        std::thread::sleep(Duration::from_millis(200));
                        new_user("cy").insert(conn).map(drop)
                    })
                    .await
                }
            });
            has_started.await?;
            request.abort();
            assert!(request.await.is_err_and(|e| e.is_cancelled()));
            assert_eq!(pool.run(User::count).await?, 2);
            assert_eq!(pool.pool().state().idle_connections, 1);
            Ok::<_, Box<dyn std::error::Error>>(())
        })
    }

    fn strict_loading_follows_the_task(db) {
        let rt = runtime();
        let pool = db.db.clone();
        rt.block_on(async {
            pool.run(seed).await?;

            // Rows loaded by one `run` are known to the next, on whichever
            // blocking thread it runs.
            let denied = strict_loading_scope(LazyLoading::Deny, async {
                let users = pool.run(User::all).await?;
                let ada = users[0].clone();
                let lazy = pool.run(move |conn| ada.posts(conn)).await;
                let eager = pool.run(move |conn| users.load(conn, User::POSTS)).await?;
                Ok::<_, Error>((lazy, eager))
            })
            .await?;
            assert!(matches!(&denied.0, Err(Error::LazyLoad(v)) if v.relation == "posts"), "{:?}", denied.0);
            assert_eq!(denied.1.iter().map(|u| u.get(User::POSTS).len()).collect::<Vec<_>>(), [2, 1, 0]);

            let recorded = strict_loading_scope(LazyLoading::Record, async {
                let users = pool.run(User::all).await?;
                for user in users {
                    pool.run(move |conn| user.posts(conn)).await?;
                }
                Ok::<_, Error>(take_task_violations())
            })
            .await?;
            assert_eq!(recorded.len(), 3, "one per lazy load in the loop");

            // Another task, and this one outside any scope, are not affected.
            let outside = tokio::spawn({
                let pool = pool.clone();
                async move {
                    let users = pool.run(User::all).await?;
                    pool.run(move |conn| users[0].posts(conn)).await.map(|p| p.len())
                }
            });
            assert_eq!(outside.await??, 2);
            assert!(take_task_violations().is_empty());
            Ok::<_, Box<dyn std::error::Error>>(())
        })
    }

    fn a_query_recorder_sees_the_runs_its_task_awaits(db) {
        let rt = runtime();
        let pool = db.db.clone();
        rt.block_on(async {
            pool.run(seed).await?;

            // Started in the task, it records what the closures send on the
            // blocking threads, in order, and nothing more.
            let queries = QueryRecorder::start();
            let count = pool.run(User::count).await?;
            assert_eq!(count, 3);
            pool.run_transaction(|conn| new_user("dee").insert(conn).map(drop)).await?;
            let log = queries.take();
            let sql = log.sql();
            assert_eq!(sql.len(), 4, "{sql:?}");
            assert!(sql[0].starts_with("SELECT COUNT(*) FROM"), "{sql:?}");
            assert!(sql[1].starts_with("BEGIN"), "{sql:?}");
            assert!(sql[2].starts_with("INSERT INTO"), "{sql:?}");
            assert_eq!(sql[3], "COMMIT");
            assert_eq!(log[0].operation.unwrap().to_string(), "User::count");
            assert_eq!(log[2].operation.unwrap().to_string(), "User::insert");

            // Counting nested recorders, and none after they are dropped.
            let (names, inner) = {
                let inner = QueryRecorder::start();
                let names = pool.run(|conn| User::all(conn).map(|u| u.len())).await?;
                (names, inner.take())
            };
            assert_eq!(names, 4);
            inner.assert_count(1);
            assert_eq!(queries.count(), 1, "the outer recorder saw the same statement");
            drop(queries);
            let ((), after) = count_queries(|| ());
            after.assert_count(0);
            assert_eq!(pool.run(User::count).await?, 4);

            // A task that started no recorder lends none.
            let other = tokio::spawn({
                let pool = pool.clone();
                async move { pool.run(User::count).await }
            });
            let watching = QueryRecorder::start();
            assert_eq!(other.await??, 4);
            assert_eq!(watching.count(), 0, "another task's run is not recorded");
            Ok::<_, Box<dyn std::error::Error>>(())
        })
    }
}
