//! Pagination on both backends: pages by number (items, total, pages, the
//! statements each page sends, an ordered query counted on PostgreSQL),
//! pages by cursor (every row once, in order, one statement per page, one
//! prepared statement for every page after the first, ties broken by the
//! key's last column, bad cursors refused before anything is sent),
//! queries that borrow their values, and the JSON a page serializes to.

mod common;

use common::models::*;
use diesel::connection::SimpleConnection;
use glowplug::Error;
use glowplug::pagination::{CursorPage, Page, Paginate};
use glowplug::prelude::*;

/// `n` users `user01`, `user02`, …; every third one inactive.
fn users(conn: &mut impl DbConnection, n: usize) -> glowplug::Result<Vec<User>> {
    let rows: Vec<NewUser> = (1..=n)
        .map(|i| NewUser {
            active: Some(i % 3 != 0),
            ..common::new_user(&format!("user{i:02}"))
        })
        .collect();
    User::insert_batch_returning(conn, &rows)
}

fn ids<T: Model>(rows: &[T]) -> Vec<T::Id> {
    rows.iter().map(Model::id).collect()
}

/// Every page of `query` by cursor, with the statements each sent.
fn walk<'q, K, Q>(
    conn: &mut glowplug::PooledConnection,
    queries: &glowplug::QueryRecorder,
    query: impl Fn() -> Q,
    key: K,
    per_page: u64,
) -> glowplug::Result<(Vec<User>, Vec<usize>)>
where
    K: glowplug::pagination::keyset::KeysetOrder,
    Q: glowplug::pagination::KeysetQuery<'q, User, K>,
{
    let (mut all, mut sent, mut cursor) = (Vec::new(), Vec::new(), None::<String>);
    loop {
        let page: CursorPage<User> =
            User::cursor_paginate(conn, query(), key, cursor.as_deref(), per_page)?;
        sent.push(queries.count());
        assert!(page.items.len() as u64 <= per_page);
        all.extend(page.items);
        match page.next {
            Some(next) => cursor = Some(next),
            None => return Ok((all, sent)),
        }
    }
}

backend_tests! {
    fn pages_by_number_with_totals_in_at_most_two_statements(db) {
        let mut conn = db.get()?;
        let all = users(&mut conn, 45)?;
        let queries = glowplug::QueryRecorder::start();

        let page = User::paginate(&mut conn, User::query().order(users::id), 1, 20)?;
        assert_eq!(queries.count(), 2, "a full page: the page, then the count");
        assert_eq!((page.total, page.page, page.per_page, page.pages), (45, 1, 20, 3));
        assert_eq!(ids(&page.items), ids(&all[..20]));

        let last = User::paginate(&mut conn, User::query().order(users::id), 3, 20)?;
        assert_eq!(queries.count(), 1, "the last page shows where the rows end: no count");
        assert_eq!((ids(&last.items), last.total, last.pages), (ids(&all[40..]), 45, 3));

        let past = User::paginate(&mut conn, User::query().order(users::id), 9, 20)?;
        assert_eq!(queries.count(), 2);
        assert_eq!((past.items.len(), past.total, past.pages), (0, 45, 3), "a page past the end is empty, with the total");

        let none = User::paginate(&mut conn, User::query().filter(users::id.lt(0)), 1, 20)?;
        assert_eq!(queries.count(), 1, "an empty first page: nothing to count");
        assert_eq!((none.items.len(), none.total, none.pages), (0, 0, 0));

        let exact = User::paginate(&mut conn, User::query().order(users::id), 9, 5)?;
        assert_eq!(queries.count(), 2, "a full last page cannot tell there is no more: count");
        assert_eq!((exact.items.len(), exact.total, exact.pages), (5, 45, 9));
        Ok(())
    }

    fn an_ordered_filtered_query_that_borrows_its_values_is_counted(db) {
        let mut conn = db.get()?;
        let all = users(&mut conn, 45)?;
        let queries = glowplug::QueryRecorder::start();
        // Values owned by this function, borrowed by the query: no `'static`, no clone.
        let active = true;
        let pattern = String::from("user%");
        let query = || {
            User::query()
                .filter(users::active.eq(&active))
                .filter(users::username.like(&pattern))
                .order(users::username.desc())
        };
        let page = User::paginate(&mut conn, query(), 2, 10)?;
        let sent = queries.take();
        assert_eq!(sent.len(), 2, "{sent:?}");
        assert!(!sent[1].sql.contains("username` DESC") && !sent[1].sql.contains("\"username\" DESC"), "the count drops the order: {}", sent[1]);
        let mut expected: Vec<&User> = all.iter().filter(|u| u.active).collect();
        expected.sort_by(|a, b| b.username.cmp(&a.username));
        assert_eq!(page.total, 30);
        assert_eq!(page.pages, 3);
        assert_eq!(ids(&page.items), expected[10..20].iter().map(|u| u.id).collect::<Vec<_>>());
        Ok(())
    }

    fn bad_page_requests_are_errors_before_any_statement(db) {
        let mut conn = db.get()?;
        users(&mut conn, 3)?;
        let queries = glowplug::QueryRecorder::start();
        for (page, per_page, says) in [(0, 10, "page 0"), (1, 0, "per_page is 0"), (u64::MAX, 2, "beyond"), (1, u64::MAX, "beyond")] {
            let err = User::paginate(&mut conn, User::query(), page, per_page).unwrap_err();
            assert!(matches!(&err, Error::Pagination { model: "User", .. }), "{err}");
            assert!(err.to_string().contains(says), "{err}");
        }
        let err = User::cursor_paginate(&mut conn, User::query(), users::id.asc(), None, 0).unwrap_err();
        assert!(err.to_string().contains("per_page is 0"), "{err}");
        assert_eq!(queries.count(), 0);
        Ok(())
    }

    fn cursor_pages_visit_every_row_once_in_one_statement_each(db) {
        let mut conn = db.get()?;
        let all = users(&mut conn, 45)?;
        let queries = glowplug::QueryRecorder::start();

        let (seen, sent) = walk(&mut conn, &queries, User::query, users::id.asc(), 20)?;
        assert_eq!(ids(&seen), ids(&all));
        assert_eq!(sent, vec![1, 1, 1], "20 + 20 + 5 rows, one statement per page");
        let cached = queries.cached();
        walk(&mut conn, &queries, User::query, users::id.asc(), 20)?;
        assert_eq!(queries.cached(), cached, "the same statements again: all from the prepared-statement cache");

        let (seen, _) = walk(&mut conn, &queries, User::query, users::id.desc(), 7)?;
        assert_eq!(ids(&seen), ids(&all).into_iter().rev().collect::<Vec<_>>());

        // A key with ties (`active`) made unique by the primary key, on a filtered query.
        let min = all[4].id;
        let (seen, sent) = walk(&mut conn, &queries, || User::query().filter(users::id.ge(&min)), (users::active.asc(), users::id.asc()), 4)?;
        let mut expected: Vec<&User> = all[4..].iter().collect();
        expected.sort_by_key(|u| (u.active, u.id));
        assert_eq!(ids(&seen), expected.iter().map(|u| u.id).collect::<Vec<_>>());
        assert_eq!(sent.len(), 11, "41 rows by 4");

        let first = User::cursor_paginate(&mut conn, User::query(), (users::active.asc(), users::id.asc()), None, 4)?;
        queries.count();
        User::cursor_paginate(&mut conn, User::query(), (users::active.asc(), users::id.asc()), first.next.as_deref(), 4)?;
        let sent = queries.take();
        assert!(sent[0].sql.contains(r#"WHERE ("users"."active", "users"."id") > ($1, $2) ORDER BY "users"."active" ASC, "users"."id" ASC LIMIT $3"#)
            || sent[0].sql.contains(r#"WHERE (`users`.`active`, `users`.`id`) > (?, ?) ORDER BY `users`.`active` ASC, `users`.`id` ASC LIMIT ?"#),
            "one row-value comparison, which an index on the key answers: {}", sent[0]);

        // Text and timestamps: every row once, newest first.
        let (seen, _) = walk(&mut conn, &queries, User::query, (users::created_at.desc(), users::username.desc(), users::id.desc()), 6)?;
        let mut expected = all.clone();
        expected.sort_by(|a, b| (b.created_at, &b.username, b.id).cmp(&(a.created_at, &a.username, a.id)));
        assert_eq!(ids(&seen), ids(&expected));
        Ok(())
    }

    fn bad_cursors_are_refused_before_any_statement(db) {
        let mut conn = db.get()?;
        users(&mut conn, 5)?;
        let page = User::cursor_paginate(&mut conn, User::query(), users::id.asc(), None, 2)?;
        let next = page.next.expect("a next page");
        assert!(next.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'), "URL-safe: {next}");
        let queries = glowplug::QueryRecorder::start();
        let other = User::cursor_paginate(&mut conn, User::query(), users::id.desc(), Some(&next), 2).unwrap_err();
        assert!(other.to_string().contains("issued for another model or ordering"), "{other}");
        let post = Post::cursor_paginate(&mut conn, Post::query(), posts::id.asc(), Some(&next), 2).unwrap_err();
        assert!(matches!(&post, Error::Pagination { model: "Post", .. }), "{post}");
        for garbage in ["", "not a cursor!", "AAAA", &next[..next.len() - 3], "WyJ1c2VyczppZD4iLCJ4Il0"] {
            let err = User::cursor_paginate(&mut conn, User::query(), users::id.asc(), Some(garbage), 2).unwrap_err();
            assert!(matches!(&err, Error::Pagination { model: "User", .. }), "{garbage:?}: {err}");
            assert!(err.to_string().contains("invalid cursor"), "{err}");
        }
        assert_eq!(queries.count(), 0);
        Ok(())
    }

    fn pages_serialize_for_an_api_with_their_relations(db) {
        let mut conn = db.get()?;
        let all = users(&mut conn, 3)?;
        NewPost::new(all[0].id, "Notes").insert(&mut conn)?;
        let queries = glowplug::QueryRecorder::start();
        let page: Page<_> = User::paginate(&mut conn, User::query().order(users::id), 1, 2)?
            .try_map(|users| users.load(&mut conn, User::POSTS))?;
        assert_eq!(queries.count(), 3, "the page, the count, the posts");
        let json = serde_json::to_value(&page)?;
        assert_eq!((&json["total"], &json["page"], &json["per_page"], &json["pages"]), (&3.into(), &1.into(), &2.into(), &2.into()));
        assert_eq!(json["items"][0]["username"], "user01");
        assert_eq!(json["items"][0]["posts"][0]["title"], "Notes");
        assert_eq!(json["items"][1]["posts"], serde_json::json!([]));

        let page = User::cursor_paginate(&mut conn, User::query(), users::id.asc(), None, 2)?;
        let json = serde_json::to_value(&page)?;
        assert_eq!(json["next"], page.next.clone().unwrap().as_str());
        let last = User::cursor_paginate(&mut conn, User::query(), users::id.asc(), page.next.as_deref(), 2)?;
        assert_eq!(serde_json::to_value(&last)?["next"], serde_json::Value::Null);
        assert_eq!(ids(&last.items), vec![all[2].id]);
        Ok(())
    }

    fn the_count_reads_the_filter_not_the_whole_table(db) {
        let mut conn = db.get()?;
        users(&mut conn, 10)?;
        conn.batch_execute("DELETE FROM users WHERE username = 'user10'")?;
        let page = User::paginate(&mut conn, User::query().filter(users::active.eq(false)).order(users::id.desc()), 1, 1)?;
        assert_eq!((page.total, page.pages, page.items[0].username.as_str()), (3, 3, "user09"));
        Ok(())
    }
}
