//! Query methods on both backends: scopes (`User::filter(..)` with diesel's
//! order/limit/offset/joins), first/last, count, exists, find_by, pluck,
//! aggregates, update_all/delete_all, get_or_insert under concurrent
//! callers, any diesel query through `RunDsl`; results and statement counts.
//!
//! This file imports both `glowplug::prelude::*` and `diesel::prelude::*`:
//! that it compiles is the test that no call is ambiguous between them.

mod common;

use common::models::*;
use common::new_user;
#[allow(unused_imports)]
use diesel::prelude::*;
use glowplug::prelude::*;
use glowplug::{Database, Error};

/// Users a, b, c (c inactive) and posts: a has 2 (one published), b has 1.
fn seed(conn: &mut impl DbConnection) -> glowplug::Result<[User; 3]> {
    let a = new_user("a").insert(conn)?;
    let b = new_user("b").insert(conn)?;
    let c = NewUser {
        active: Some(false),
        ..new_user("c")
    }
    .insert(conn)?;
    for (author, title, published) in [(a.id, "a1", true), (a.id, "a2", false), (b.id, "b1", false)]
    {
        NewPost {
            published: Some(published),
            ..NewPost::new(author, title)
        }
        .insert(conn)?;
    }
    Ok([a, b, c])
}

fn sample(int32: i32, real64: f64) -> NewSample {
    NewSample::new(
        0i16,
        int32,
        0i64,
        0.0f32,
        real64,
        false,
        "",
        "x",
        chrono::DateTime::UNIX_EPOCH.naive_utc(),
        chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date"),
        chrono::NaiveTime::MIN,
        Vec::<u8>::new(),
        serde_json::json!({}),
    )
}

fn names(users: &[User]) -> Vec<&str> {
    users.iter().map(|u| u.username.as_str()).collect()
}

backend_tests! {
    fn filter_chains_with_diesel_order_limit_offset_and_joins(db) {
        let mut conn = db.get()?;
        let [a, b, _] = seed(&mut conn)?;
        let log = glowplug::QueryRecorder::start();

        let active = User::filter(users::active.eq(true)).order(users::username.desc()).all(&mut conn)?;
        assert_eq!(names(&active), ["b", "a"]);
        let page = User::scope().order(users::username.asc()).limit(2).offset(1).all(&mut conn)?;
        assert_eq!(names(&page), ["b", "c"]);
        let skipped = User::scope().order(users::id.asc()).offset(2).all(&mut conn)?;
        assert_eq!(names(&skipped), ["c"]);
        let two_filters = User::filter(users::active.eq(true)).filter(users::username.ne("a")).all(&mut conn)?;
        assert_eq!(names(&two_filters), ["b"]);
        assert_eq!(log.count(), 4, "one statement per scope");

        // Joins, implicit and explicit, with a filter on the joined table.
        let with_published = User::filter(posts::published.eq(true)).inner_join(posts::table).all(&mut conn)?;
        assert_eq!(names(&with_published), ["a"]);
        let mut authors: Vec<String> = User::scope()
            .inner_join(posts::table.on(posts::author_id.eq(users::id)))
            .order(users::id.asc())
            .pluck(&mut conn, users::username)?;
        authors.dedup();
        assert_eq!(authors, ["a", "b"]);
        let without_posts = User::filter(posts::id.is_null()).left_join(posts::table).all(&mut conn)?;
        assert_eq!(names(&without_posts), ["c"]);
        assert_eq!(User::scope().inner_join(posts::table).count(&mut conn)?, 3, "a joined row each");
        assert_eq!(log.count(), 4);

        // The diesel query a scope runs, for use elsewhere.
        let query = User::filter(users::id.eq(b.id)).into_query();
        assert_eq!(User::fetch(&mut conn, query)?[0].id, b.id);
        let rows: Vec<User> = User::filter(users::id.eq(a.id)).into_query().fetch_all(&mut conn)?;
        assert_eq!(rows, vec![a]);
        Ok(())
    }

    fn first_and_last_by_order_or_primary_key(db) {
        let mut conn = db.get()?;
        assert_eq!(User::first(&mut conn)?, None);
        assert_eq!(User::last(&mut conn)?, None);
        let [a, b, c] = seed(&mut conn)?;
        let log = glowplug::QueryRecorder::start();
        assert_eq!(User::first(&mut conn)?.as_ref(), Some(&a));
        assert_eq!(User::last(&mut conn)?.as_ref(), Some(&c));
        assert_eq!(User::filter(users::active.eq(true)).last(&mut conn)?.as_ref(), Some(&b));
        let by_name = || User::scope().order(users::username.desc());
        assert_eq!(by_name().first(&mut conn)?.map(|u| u.id), Some(c.id));
        assert_eq!(by_name().last(&mut conn)?.map(|u| u.id), Some(a.id));
        let two_keys = User::scope().order((users::active.asc(), users::id.desc()));
        assert_eq!(two_keys.clone().first(&mut conn)?.map(|u| u.id), Some(c.id));
        assert_eq!(two_keys.last(&mut conn)?.map(|u| u.id), Some(a.id));
        let sql = log.take();
        assert_eq!(sql.len(), 7, "one statement each: {sql:#?}");
        assert!(sql[1].sql.contains("ORDER BY") && sql[1].sql.contains("DESC"), "{}", sql[1]);

        // first keeps the offset and replaces the limit; an empty window is None, sent nowhere.
        assert_eq!(User::scope().order(users::id.asc()).offset(1).first(&mut conn)?.map(|u| u.id), Some(b.id));
        assert_eq!(User::scope().order(users::id.asc()).limit(5).first(&mut conn)?.map(|u| u.id), Some(a.id));
        assert_eq!(User::scope().limit(0).first(&mut conn)?, None);
        assert_eq!(User::scope().then_order_by(users::id.desc()).first(&mut conn)?.map(|u| u.id), Some(c.id));
        assert_eq!(log.count(), 3);
        Ok(())
    }

    fn count_exists_and_find_by_take_borrowed_values(db) {
        let mut conn = db.get()?;
        let [a, _, _] = seed(&mut conn)?;
        let log = glowplug::QueryRecorder::start();
        let name = String::from("a"); // not 'static: borrowed by every query below
        assert_eq!(User::filter(users::username.eq(&name)).count(&mut conn)?, 1);
        assert_eq!(User::filter(users::active.eq(true)).count(&mut conn)?, 2);
        assert_eq!(User::scope().count(&mut conn)?, 3);
        assert!(User::filter(users::username.eq(&name)).exists(&mut conn)?);
        assert!(!User::filter(users::username.eq("nobody")).exists(&mut conn)?);
        assert_eq!(User::find_by(&mut conn, users::username.eq(&name))?, a);
        assert_eq!(User::find_by_optional(&mut conn, users::email.eq(&a.email))?.map(|u| u.id), Some(a.id));
        assert_eq!(User::find_by_optional(&mut conn, users::username.eq("nobody"))?, None);
        assert_eq!(User::fetch(&mut conn, User::query().filter(users::username.eq(&name)))?.len(), 1);
        assert_eq!(log.count(), 9, "one statement each");

        let missing = String::from("nobody");
        let err = User::find_by(&mut conn, users::username.eq(&missing)).unwrap_err();
        assert!(matches!(&err, Error::NotFound { model: "User", id: None, condition: Some(c) }
            if c.contains("users.username = ?") && c.contains("\"nobody\"")), "{err:?}");
        assert_eq!(err.to_string(), "no User matched users.username = ? (binds: [\"nobody\"])");
        Ok(())
    }

    fn pluck_and_aggregates(db) {
        let mut conn = db.get()?;
        for (i, r) in [(3, 1.5), (5, 2.5), (10, 5.0)] {
            sample(i, r).insert(&mut conn)?;
        }
        let log = glowplug::QueryRecorder::start();
        let ints: Vec<i32> = Sample::scope().order(samples::int32.desc()).pluck(&mut conn, samples::int32)?;
        assert_eq!(ints, [10, 5, 3]);
        let sum: Option<i64> = Sample::scope().sum(&mut conn, samples::int32)?;
        let min: Option<i32> = Sample::scope().min(&mut conn, samples::int32)?;
        let max: Option<i32> = Sample::filter(samples::int32.lt(10)).max(&mut conn, samples::int32)?;
        let avg: Option<f64> = Sample::scope().avg(&mut conn, samples::real64)?;
        let total: Option<f64> = Sample::scope().sum(&mut conn, samples::real64)?;
        assert_eq!((sum, min, max, avg, total), (Some(18), Some(3), Some(5), Some(3.0), Some(9.0)));
        let counted: i64 = Sample::filter(samples::int32.gt(3)).value(&mut conn, diesel::dsl::count(samples::int32))?;
        assert_eq!(counted, 2);
        let none: Option<i32> = Sample::filter(samples::int32.gt(99)).max(&mut conn, samples::int32)?;
        assert_eq!(none, None);
        assert_eq!(log.count(), 8, "one statement each");
        Ok(())
    }

    fn update_all_and_delete_all_return_counts(db) {
        let mut conn = db.get()?;
        let [a, b, c] = seed(&mut conn)?;
        let log = glowplug::QueryRecorder::start();
        let before = glowplug::__private::now();
        let changed = User::filter(users::active.eq(true)).update_all(&mut conn, users::bio.eq("active"))?;
        assert_eq!(changed, 2);
        assert_eq!(log.count(), 1);
        let (a2, c2) = (User::find(&mut conn, a.id)?, User::find(&mut conn, c.id)?);
        assert_eq!((a2.bio.as_deref(), c2.bio.as_deref()), (Some("active"), None));
        assert!(a2.updated_at >= before && a2.updated_at > a.updated_at, "updated_at bumped");
        assert_eq!(c2.updated_at, c.updated_at, "rows outside the filter untouched");

        // A changes struct, and an expression of the column itself.
        let n = User::filter(users::id.eq(b.id))
            .update_all(&mut conn, UserChanges { bio: Some(Some("b!".into())), ..Default::default() })?;
        assert_eq!((n, User::find(&mut conn, b.id)?.bio), (1, Some("b!".into())));
        Comment::scope().update_all(&mut conn, comments::body.eq("x"))?;
        let none = User::filter(users::id.eq(-1)).update_all(&mut conn, users::active.eq(false))?;
        assert_eq!(none, 0);
        // Nothing to set on a model without timestamps: 0 rows, no error
        // (and the recorder, which cannot print that statement, does not fail).
        assert_eq!(Comment::scope().update_all(&mut conn, CommentChanges::default())?, 0);
        log.take();

        let published = Post::filter(posts::published.eq(true)).delete_all(&mut conn)?;
        assert_eq!(published, 1);
        assert_eq!(Post::filter(posts::author_id.eq(a.id)).delete_all(&mut conn)?, 1);
        assert_eq!(Post::count(&mut conn)?, 1);
        assert_eq!(log.count(), 3);
        Ok(())
    }

    fn get_or_insert_finds_or_inserts(db) {
        let mut conn = db.get()?;
        let log = glowplug::QueryRecorder::start();
        let new = new_user("ada");
        let ada = new.get_or_insert(&mut conn, users::email, &new.email)?;
        assert_eq!(log.count(), 1, "a new row: one INSERT … ON CONFLICT DO NOTHING");
        let other = NewUser { bio: Some("ignored".into()), ..new_user("ada") };
        let found = other.get_or_insert(&mut conn, users::username, &other.username)?;
        assert_eq!(found, ada);
        assert_eq!(log.count(), 2, "an existing row: the INSERT that did nothing, then a SELECT");
        assert_eq!(User::count(&mut conn)?, 1);

        // A lookup that disagrees with the row is an error naming it, not a loop or a panic.
        let wrong = new_user("ada").get_or_insert(&mut conn, users::email, "someone@else.io");
        assert!(matches!(&wrong, Err(Error::NotFound { model: "User", condition: Some(c), .. }) if c.contains("someone@else.io")), "{wrong:?}");
        Ok(())
    }

    fn get_or_insert_is_safe_under_concurrent_callers(db) {
        const THREADS: usize = 6;
        const KEYS: usize = 15;
        let pool = Database::builder(&db.url).max_size(THREADS as u32).build()?;
        let barrier = &std::sync::Barrier::new(THREADS);
        let pool = &pool;
        let ids: Vec<Vec<i64>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..THREADS)
                .map(|t| s.spawn(move || -> glowplug::Result<Vec<i64>> {
                    let mut conn = pool.get()?;
                    barrier.wait();
                    (0..KEYS)
                        .map(|k| {
                            // Each caller's email differs: the race is on the key alone.
                            let new = NewUser { email: format!("{k}@{t}.io"), ..new_user(&format!("user{k}")) };
                            new.get_or_insert(&mut conn, users::username, &new.username).map(|u| u.id)
                        })
                        .collect()
                }))
                .collect();
            handles.into_iter().map(|h| h.join().expect("no panic")).collect::<glowplug::Result<_>>()
        })?;
        for other in &ids[1..] {
            assert_eq!(other, &ids[0], "every caller got the same row for each key");
        }
        let mut conn = db.get()?;
        assert_eq!(User::count(&mut conn)?, KEYS as i64, "one row per key");
        Ok(())
    }

    fn relation_counts_per_parent_in_one_query(db) {
        let mut conn = db.get()?;
        let [a, b, c] = seed(&mut conn)?;
        NewProfile { user_id: b.id, website: "b.io".into() }.insert(&mut conn)?;
        let log = glowplug::QueryRecorder::start();
        let counted = User::scope().order(users::id.asc()).with_count(&mut conn, User::POSTS)?;
        let counts: Vec<(i64, i64)> = counted.iter().map(|(u, n)| (u.id, *n)).collect();
        assert_eq!(counts, [(a.id, 2), (b.id, 1), (c.id, 0)]);
        assert_eq!(counted[0].0, a, "the parent rows are whole");
        let active = User::filter(users::active.eq(true)).order(users::id.desc()).limit(1).with_count(&mut conn, User::POSTS)?;
        assert_eq!(active.iter().map(|(u, n)| (u.id, *n)).collect::<Vec<_>>(), [(b.id, 1)]);
        let profiles = User::scope().order(users::id.asc()).with_count(&mut conn, User::PROFILE)?;
        assert_eq!(profiles.iter().map(|(_, n)| *n).collect::<Vec<_>>(), [0, 1, 0]);
        let sql = log.take();
        assert_eq!(sql.len(), 3, "one query each, whatever the number of parents: {sql:#?}");
        assert!(sql[0].sql.contains("SELECT COUNT(*)"), "{}", sql[0]);
        Ok(())
    }

    fn any_diesel_query_runs_through_the_concrete_backend(db) {
        let mut conn = db.get()?;
        let [a, b, c] = seed(&mut conn)?;
        let log = glowplug::QueryRecorder::start();
        let rows: Vec<(User, Option<Post>)> = users::table
            .left_join(posts::table)
            .select((users::all_columns, posts::all_columns.nullable()))
            .order((users::id, posts::id))
            .fetch_all(&mut conn)?;
        let shape: Vec<(i64, Option<&str>)> = rows.iter().map(|(u, p)| (u.id, p.as_ref().map(|p| p.title.as_str()))).collect();
        assert_eq!(shape, [(a.id, Some("a1")), (a.id, Some("a2")), (b.id, Some("b1")), (c.id, None)]);
        let counts: Vec<(i64, i64)> = posts::table
            .group_by(posts::author_id)
            .select((posts::author_id, diesel::dsl::count_star()))
            .order(posts::author_id)
            .fetch_all(&mut conn)?;
        assert_eq!(counts, [(a.id, 2), (b.id, 1)]);
        let title = String::from("b1");
        let author: String = posts::table
            .inner_join(users::table)
            .filter(posts::title.eq(&title))
            .select(users::username)
            .fetch_one(&mut conn)?;
        assert_eq!(author, "b");
        assert!(users::table.find(-1).select(users::id).fetch_optional::<i64, _>(&mut conn)?.is_none());
        let err = users::table.find(-1).select(users::id).fetch_one::<i64, _>(&mut conn).unwrap_err();
        assert!(err.is_not_found());
        assert_eq!(diesel::delete(comments::table).exec(&mut conn)?, 0);
        assert_eq!(log.count(), 6, "one statement each");
        // Run twice: the statements are in diesel's cache, as on a concrete connection.
        let cached = log.cached();
        let _: Vec<(User, Option<Post>)> = users::table
            .left_join(posts::table)
            .select((users::all_columns, posts::all_columns.nullable()))
            .order((users::id, posts::id))
            .fetch_all(&mut conn)?;
        assert_eq!(log.cached(), cached, "no new statement prepared");
        Ok(())
    }
}
