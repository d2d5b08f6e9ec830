//! Relations on both backends: every kind lazily and eagerly, the exact
//! number of statements each load sends, generated joins, chunking past
//! SQLite's parameter limit, and strict loading.

// The nested results of eager loading are spelled out on purpose: their type is what is tested.
#![allow(clippy::type_complexity)]

mod common;

use common::models::*;
use common::new_user;
use diesel::connection::SimpleConnection;
use glowplug::prelude::*;
use glowplug::{Error, LazyLoading, strict_loading};

/// ada wrote p1 (comments c1, c2; tags rust, sql) and p2 (tag rust);
/// bob wrote p3 (comment c3, no tags); cy wrote nothing. Only ada has a profile.
struct Blog {
    ada: User,
    bob: User,
    cy: User,
    p1: Post,
    p2: Post,
    p3: Post,
    c1: Comment,
    c2: Comment,
    c3: Comment,
    rust: Tag,
    sql: Tag,
    profile: Profile,
}

/// A statement's SQL as `diesel::debug_query` shows it, without its binds.
fn without_binds(query: impl std::fmt::Display) -> String {
    let shown = query.to_string();
    shown
        .split(" -- binds:")
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn post(conn: &mut impl DbConnection, author: &User, title: &str) -> glowplug::Result<Post> {
    NewPost::new(author.id, title).insert(conn)
}

fn comment(conn: &mut impl DbConnection, post: &Post, body: &str) -> glowplug::Result<Comment> {
    NewComment {
        post_id: post.id,
        body: body.into(),
    }
    .insert(conn)
}

fn tag(conn: &mut impl DbConnection, post: &Post, tag: &Tag) -> glowplug::Result<()> {
    NewPostTag {
        post_id: post.id,
        tag_id: tag.id,
    }
    .insert(conn)
    .map(drop)
}

fn blog(conn: &mut impl DbConnection) -> glowplug::Result<Blog> {
    let ada = new_user("ada").insert(conn)?;
    let bob = new_user("bob").insert(conn)?;
    let cy = new_user("cy").insert(conn)?;
    let p1 = post(conn, &ada, "p1")?;
    let p2 = post(conn, &ada, "p2")?;
    let p3 = post(conn, &bob, "p3")?;
    let c1 = comment(conn, &p1, "c1")?;
    let c2 = comment(conn, &p1, "c2")?;
    let c3 = comment(conn, &p3, "c3")?;
    let rust = NewTag {
        name: "rust".into(),
    }
    .insert(conn)?;
    let sql = NewTag { name: "sql".into() }.insert(conn)?;
    NewTag {
        name: "unused".into(),
    }
    .insert(conn)?;
    tag(conn, &p1, &rust)?;
    tag(conn, &p1, &sql)?;
    tag(conn, &p2, &rust)?;
    let profile = NewProfile {
        user_id: ada.id,
        website: "https://ada.example".into(),
    }
    .insert(conn)?;
    Ok(Blog {
        ada,
        bob,
        cy,
        p1,
        p2,
        p3,
        c1,
        c2,
        c3,
        rust,
        sql,
        profile,
    })
}

fn ids<M: glowplug::Model>(rows: &[M]) -> Vec<M::Id>
where
    M::Id: Ord,
{
    let mut ids: Vec<_> = rows.iter().map(|r| r.id()).collect();
    ids.sort();
    ids
}

backend_tests! {
    fn many_to_many_counts_per_parent_in_one_query(db) {
        let mut conn = db.get()?;
        let b = blog(&mut conn)?;
        let queries = glowplug::QueryRecorder::start();
        let posts = Post::scope().order(posts::id.asc()).with_count(&mut conn, Post::TAGS)?;
        let counts: Vec<(i64, i64)> = posts.iter().map(|(p, n)| (p.id, *n)).collect();
        assert_eq!(counts, [(b.p1.id, 2), (b.p2.id, 1), (b.p3.id, 0)]);
        // The other way, with a filter on the parents.
        let tags = Tag::filter(tags::name.ne("sql")).order(tags::name.asc()).with_count(&mut conn, Tag::POSTS)?;
        let counts: Vec<(&str, i64)> = tags.iter().map(|(t, n)| (t.name.as_str(), *n)).collect();
        assert_eq!(counts, [("rust", 2), ("unused", 0)]);
        let sent = queries.take();
        assert_eq!(sent.len(), 2, "one query each: {sent:#?}");
        assert!(sent[0].sql.contains("SELECT COUNT(*)") && sent[0].sql.contains("post_tags"), "{}", sent[0].sql);
        Ok(())
    }

    fn lazy_loads_every_kind_in_one_query_each(db) {
        let mut conn = db.get()?;
        let b = blog(&mut conn)?;
        let queries = glowplug::QueryRecorder::start();

        assert_eq!(ids(&b.ada.posts(&mut conn)?), vec![b.p1.id, b.p2.id], "has_many");
        assert_eq!(queries.count(), 1);
        assert!(b.cy.posts(&mut conn)?.is_empty(), "has_many with no rows");
        assert_eq!(b.ada.profile(&mut conn)?, Some(b.profile.clone()), "has_one");
        assert_eq!(b.bob.profile(&mut conn)?, None, "has_one with no row");
        assert_eq!(b.p3.author(&mut conn)?, b.bob, "belongs_to");
        assert_eq!(b.profile.user(&mut conn)?, b.ada, "belongs_to from the has_one side");
        assert_eq!(b.c3.post(&mut conn)?, b.p3);
        assert_eq!(queries.count(), 6);

        assert_eq!(ids(&b.p1.tags(&mut conn)?), vec![b.rust.id, b.sql.id], "many_to_many");
        assert_eq!(queries.count(), 1, "a many_to_many lazy load is one query (a subselect)");
        assert!(b.p3.tags(&mut conn)?.is_empty());
        assert_eq!(ids(&b.rust.posts(&mut conn)?), vec![b.p1.id, b.p2.id], "many_to_many, the other way");
        assert_eq!(ids(&b.ada.posts(&mut conn)?[0].comments(&mut conn)?), vec![b.c1.id, b.c2.id]);
        Ok(())
    }

    fn self_references_load_both_ways(db) {
        let mut conn = db.get()?;
        let root = NewCategory { name: "root".into(), parent_id: None }.insert(&mut conn)?;
        let a = NewCategory { name: "a".into(), parent_id: Some(root.id) }.insert(&mut conn)?;
        let b = NewCategory { name: "b".into(), parent_id: Some(root.id) }.insert(&mut conn)?;
        assert_eq!(root.parent(&mut conn)?, None, "a NULL key loads None and is not an error");
        assert_eq!(a.parent(&mut conn)?, Some(root.clone()));
        assert_eq!(ids(&root.children(&mut conn)?), vec![a.id, b.id]);
        assert!(a.children(&mut conn)?.is_empty());

        let boss = NewEmployee { name: "boss".into(), manager_id: None }.insert(&mut conn)?;
        let dev = NewEmployee { name: "dev".into(), manager_id: Some(boss.id) }.insert(&mut conn)?;
        assert_eq!(dev.manager(&mut conn)?, Some(boss.clone()));
        assert_eq!(boss.reports(&mut conn)?, vec![dev.clone()]);

        let queries = glowplug::QueryRecorder::start();
        let tree = Category::fetch(&mut conn, Category::query().order(categories::id))?
            .load(&mut conn, (Category::PARENT, Category::CHILDREN))?;
        assert_eq!(queries.count(), 3, "the categories, then one query per relation");
        let got: Vec<_> = tree
            .iter()
            .map(|c| (c.model().clone(), c.get(Category::PARENT).clone(), c.get(Category::CHILDREN).clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                (root.clone(), None, vec![a.clone(), b.clone()]),
                (a.clone(), Some(root.clone()), vec![]),
                (b.clone(), Some(root), vec![]),
            ]
        );
        Ok(())
    }

    fn relation_queries_filter_and_order_further(db) {
        let mut conn = db.get()?;
        let b = blog(&mut conn)?;
        b.p2.clone().update(&mut conn, PostChanges { published: Some(true), ..Default::default() })?;
        let published = Post::fetch(&mut conn, b.ada.posts_query().filter(posts::published.eq(true)))?;
        assert_eq!(ids(&published), vec![b.p2.id]);
        let newest_first = Post::fetch(&mut conn, b.ada.posts_query().order(posts::id.desc()))?;
        assert_eq!(newest_first.iter().map(|p| p.id).collect::<Vec<_>>(), vec![b.p2.id, b.p1.id]);
        let sql_tags = Tag::fetch(&mut conn, b.p1.tags_query().filter(tags::name.eq("sql")))?;
        assert_eq!(sql_tags, vec![b.sql.clone()]);
        assert_eq!(User::fetch(&mut conn, b.p1.author_query())?, vec![b.ada.clone()]);
        assert_eq!(
            User::fetch(&mut conn, b.p1.author_query().filter(users::active.eq(false)))?,
            vec![],
            "a filter on top of a belongs_to query"
        );
        Ok(())
    }

    fn eager_has_many_groups_children_in_parent_order_in_one_query(db) {
        let mut conn = db.get()?;
        let b = blog(&mut conn)?;
        let queries = glowplug::QueryRecorder::start();
        let users = vec![b.cy.clone(), b.ada.clone(), b.bob.clone(), b.ada.clone()];
        let loaded = users.load(&mut conn, User::POSTS)?;
        assert_eq!(queries.count(), 1);
        let got: Vec<(i64, Vec<i64>)> = loaded.iter().map(|u| (u.id, ids(u.get(User::POSTS)))).collect();
        assert_eq!(
            got,
            vec![
                (b.cy.id, vec![]),
                (b.ada.id, vec![b.p1.id, b.p2.id]),
                (b.bob.id, vec![b.p3.id]),
                (b.ada.id, vec![b.p1.id, b.p2.id]),
            ],
            "parents keep their order, a repeated parent gets its children again"
        );
        assert_eq!(*loaded[2].get(User::POSTS), vec![b.p3.clone()], "children are the stored rows");

        let profiles = User::fetch(&mut conn, User::query().order(users::id))?.load(&mut conn, User::PROFILE)?;
        assert_eq!(queries.count(), 2, "fetch + one query for has_one");
        assert_eq!(profiles.into_iter().map(|u| u.take(User::PROFILE)).collect::<Vec<_>>(), vec![Some(b.profile), None, None]);
        Ok(())
    }

    fn eager_belongs_to_fetches_each_parent_once(db) {
        let logged = Database::builder(&db.url).log_binds(true).build()?;
        let mut conn = logged.get()?;
        let b = blog(&mut conn)?;
        let queries = glowplug::QueryRecorder::start();
        let posts = vec![b.p1.clone(), b.p3.clone(), b.p2.clone()];
        let loaded = posts.load(&mut conn, Post::AUTHOR)?;
        let sent = queries.take();
        assert_eq!(sent.len(), 1, "{sent:?}");
        let binds = sent[0].binds.as_deref().unwrap_or_default();
        assert_eq!(binds.matches(',').count(), 1, "two distinct authors sent once each: {}", sent[0]);
        let pairs: Vec<(Post, User)> = loaded.iter().map(|p| (p.model().clone(), p.get(Post::AUTHOR).clone())).collect();
        assert_eq!(pairs, vec![(b.p1.clone(), b.ada.clone()), (b.p3.clone(), b.bob.clone()), (b.p2.clone(), b.ada.clone())]);

        let comments = Comment::all(&mut conn)?.load(&mut conn, Comment::POST.with(Post::AUTHOR))?;
        assert_eq!(queries.count(), 3, "all + posts + authors");
        for comment in &comments {
            let post = comment.get(Comment::POST);
            assert_eq!(comment.post_id, post.id);
            assert_eq!(post.author_id, post.get(Post::AUTHOR).id);
        }
        assert_eq!(comments.len(), 3);
        Ok(())
    }

    fn eager_loads_send_diesels_sql_and_postgres_reuses_it(db) {
        let mut conn = db.get()?;
        let b = blog(&mut conn)?;
        let queries = glowplug::QueryRecorder::start();
        vec![b.ada.clone(), b.bob.clone()].load(&mut conn, User::POSTS)?;
        vec![b.ada.clone(), b.bob.clone(), b.cy.clone()].load(&mut conn, User::POSTS)?;
        vec![b.p1.clone(), b.p3.clone()].load(&mut conn, Post::AUTHOR)?;
        let sent = queries.take();
        let sql = sent.sql();
        assert_eq!(sql.len(), 3, "{sql:?}");
        // What diesel writes for the same filters (its SQL, without the binds).
        let posts_of = Post::query().filter(posts::author_id.eq_any(vec![b.ada.id, b.bob.id]));
        let users_by = User::query().filter(users::id.eq_any(vec![b.ada.id, b.bob.id]));
        match conn.backend() {
            Backend::Sqlite => {
                assert_eq!(sql[0], without_binds(diesel::debug_query::<diesel::sqlite::Sqlite, _>(&posts_of)));
                assert_eq!(sql[2], without_binds(diesel::debug_query::<diesel::sqlite::Sqlite, _>(&users_by)));
                assert!(sql[1].ends_with("IN (?, ?, ?))"), "{}", sql[1]);
                assert_eq!(queries.cached(), 0, "a list whose length varies is not cached, as in diesel");
            }
            _ => {
                assert_eq!(sql[0], without_binds(diesel::debug_query::<diesel::pg::Pg, _>(&posts_of)));
                assert_eq!(sql[2], without_binds(diesel::debug_query::<diesel::pg::Pg, _>(&users_by)));
                assert_eq!(sql[0], sql[1], "one statement whatever the number of keys");
                assert_eq!(queries.cached(), 2, "prepared once per relation, then reused");
            }
        }
        Ok(())
    }

    fn eager_many_to_many_in_two_queries(db) {
        let mut conn = db.get()?;
        let b = blog(&mut conn)?;
        let queries = glowplug::QueryRecorder::start();
        let loaded = vec![b.p1.clone(), b.p2.clone(), b.p3.clone()].load(&mut conn, Post::TAGS)?;
        assert_eq!(queries.count(), 2, "the join table, then the tags");
        let got: Vec<Vec<i64>> = loaded.iter().map(|p| ids(p.get(Post::TAGS))).collect();
        assert_eq!(got, vec![vec![b.rust.id, b.sql.id], vec![b.rust.id], vec![]]);

        let by_tag = Tag::fetch(&mut conn, Tag::query().order(tags::id))?.load(&mut conn, Tag::POSTS)?;
        assert_eq!(queries.count(), 3);
        let got: Vec<(String, Vec<i64>)> = by_tag.iter().map(|t| (t.name.clone(), ids(t.get(Tag::POSTS)))).collect();
        assert_eq!(
            got,
            vec![("rust".into(), vec![b.p1.id, b.p2.id]), ("sql".into(), vec![b.p1.id]), ("unused".into(), vec![])]
        );

        let untagged = vec![b.p3.clone()].load(&mut conn, Post::TAGS)?;
        assert_eq!(queries.count(), 1, "no join rows: the targets query is skipped");
        assert!(untagged[0].get(Post::TAGS).is_empty());
        Ok(())
    }

    fn nested_eager_loading_sends_one_query_per_level(db) {
        let mut conn = db.get()?;
        let b = blog(&mut conn)?;
        let queries = glowplug::QueryRecorder::start();
        let users =
            User::fetch(&mut conn, User::query().order(users::id))?.load(&mut conn, User::POSTS.with(Post::COMMENTS))?;
        assert_eq!(queries.count(), 3, "users, posts, comments");
        let shape: Vec<(String, Vec<(String, Vec<String>)>)> = users
            .iter()
            .map(|u| {
                let mut posts: Vec<_> = u
                    .get(User::POSTS)
                    .iter()
                    .map(|p| {
                        let mut cs: Vec<String> = p.get(Post::COMMENTS).iter().map(|c| c.body.clone()).collect();
                        cs.sort();
                        (p.title.clone(), cs)
                    })
                    .collect();
                posts.sort();
                (u.username.clone(), posts)
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                ("ada".into(), vec![("p1".into(), vec!["c1".into(), "c2".into()]), ("p2".into(), vec![])]),
                ("bob".into(), vec![("p3".into(), vec!["c3".into()])]),
                ("cy".into(), vec![]),
            ]
        );

        // Three relations on two levels: posts with their comments and tags, and the profile.
        let wide = vec![b.ada.clone()].load(&mut conn, (User::POSTS.with((Post::COMMENTS, Post::TAGS)), User::PROFILE))?;
        assert_eq!(queries.count(), 5, "posts, comments, post_tags, tags, profiles");
        let user = &wide[0];
        assert_eq!(user.model(), &b.ada);
        assert_eq!(user.get(User::PROFILE).as_ref(), Some(&b.profile));
        let p1 = user.get(User::POSTS).iter().find(|p| p.id == b.p1.id).expect("p1 loaded");
        assert_eq!(
            (ids(p1.get(Post::COMMENTS)), ids(p1.get(Post::TAGS))),
            (vec![b.c1.id, b.c2.id], vec![b.rust.id, b.sql.id])
        );
        Ok(())
    }

    fn eager_results_serialize_as_objects_keyed_by_relation(db) {
        let mut conn = db.get()?;
        let b = blog(&mut conn)?;
        let queries = glowplug::QueryRecorder::start();
        let users = User::fetch(&mut conn, User::query().filter(users::id.eq(b.ada.id)))?
            .load(&mut conn, (User::POSTS.with((Post::COMMENTS, Post::TAGS)), User::PROFILE))?;
        assert_eq!(queries.count(), 6, "users, posts, comments, post_tags, tags, profiles");
        let json = serde_json::to_value(&users)?;
        let ada = &json[0];
        assert_eq!(ada["id"], b.ada.id);
        assert_eq!(ada["username"], "ada");
        assert_eq!(ada["profile"]["website"], b.profile.website.as_str());
        let mut posts = ada["posts"].as_array().expect("posts is an array").clone();
        posts.sort_by_key(|p| p["id"].as_i64());
        assert_eq!(posts.len(), 2);
        assert_eq!((&posts[0]["id"], &posts[0]["title"]), (&b.p1.id.into(), &"p1".into()));
        let mut bodies: Vec<&str> = posts[0]["comments"].as_array().unwrap().iter().map(|c| c["body"].as_str().unwrap()).collect();
        bodies.sort();
        assert_eq!(bodies, ["c1", "c2"]);
        assert_eq!(posts[1]["comments"], serde_json::json!([]));
        let mut tags: Vec<&str> = posts[0]["tags"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
        tags.sort();
        assert_eq!(tags, ["rust", "sql"]);
        let keys: Vec<&str> = ada.as_object().unwrap().keys().map(String::as_str).collect();
        assert!(keys.contains(&"created_at") && keys.len() == 9, "the model's 7 fields and 2 relations: {keys:?}");

        // A belongs_to by a not-null key is an object; Debug names the relations too.
        let comment = Comment::fetch(&mut conn, Comment::query().filter(comments::id.eq(b.c3.id)))?.load(&mut conn, Comment::POST)?;
        let json = serde_json::to_value(&comment[0])?;
        assert_eq!((&json["body"], &json["post"]["title"]), (&"c3".into(), &"p3".into()));
        let debug = format!("{:?}", comment[0]);
        assert!(debug.starts_with("WithRelations { model: Comment {") && debug.contains("post: Post {"), "{debug}");
        Ok(())
    }

    fn empty_parents_and_null_keys_send_no_query(db) {
        let mut conn = db.get()?;
        let queries = glowplug::QueryRecorder::start();
        assert!(Vec::<User>::new().load(&mut conn, User::POSTS.with(Post::COMMENTS))?.is_empty());
        assert!(Vec::<Post>::new().load(&mut conn, (Post::AUTHOR, Post::TAGS))?.is_empty());
        assert_eq!(queries.count(), 0);

        let root = NewCategory { name: "root".into(), parent_id: None }.insert(&mut conn)?;
        queries.count();
        let loaded = vec![root.clone()].load(&mut conn, Category::PARENT)?;
        assert_eq!((loaded[0].model(), loaded[0].get(Category::PARENT)), (&root, &None));
        assert_eq!(queries.count(), 0, "only NULL keys: nothing to fetch");
        Ok(())
    }

    fn generated_joins_compile_and_run(db) {
        let mut conn = db.get()?;
        let b = blog(&mut conn)?;
        let mut rows: Vec<(String, String, String)> = User::query()
            .inner_join(posts::table.inner_join(comments::table))
            .select((users::username, posts::title, comments::body))
            .load(&mut *conn)?;
        rows.sort();
        assert_eq!(
            rows,
            vec![
                ("ada".into(), "p1".into(), "c1".into()),
                ("ada".into(), "p1".into(), "c2".into()),
                ("bob".into(), "p3".into(), "c3".into()),
            ]
        );
        let mut tagged: Vec<(String, String)> = posts::table
            .inner_join(post_tags::table.inner_join(tags::table))
            .filter(posts::author_id.eq(b.ada.id))
            .select((posts::title, tags::name))
            .load(&mut *conn)?;
        tagged.sort();
        assert_eq!(tagged, vec![("p1".into(), "rust".into()), ("p1".into(), "sql".into()), ("p2".into(), "rust".into())]);
        let with_profiles: i64 = users::table.inner_join(profiles::table).count().get_result(&mut *conn)?;
        assert_eq!(with_profiles, 1);
        Ok(())
    }

    fn belongs_to_a_missing_row_is_not_found(db) {
        let mut conn = db.get()?;
        let b = blog(&mut conn)?;
        let orphan = Post { author_id: 999_999, ..b.p1.clone() };
        assert!(matches!(orphan.author(&mut conn), Err(Error::NotFound { model: "User", .. })));
        let err = vec![orphan].load(&mut conn, Post::AUTHOR).unwrap_err();
        assert!(matches!(&err, Error::NotFound { model: "User", id: Some(id), .. } if id == "999999"), "{err}");
        Ok(())
    }

    fn strict_loading_reports_lazy_loads_in_a_loop(db) {
        let mut conn = db.get()?;
        let b = blog(&mut conn)?;

        let guard = strict_loading(LazyLoading::Deny);
        let found = User::find(&mut conn, b.ada.id)?;
        assert_eq!(ids(&found.posts(&mut conn)?), vec![b.p1.id, b.p2.id], "a row loaded on its own may load lazily");
        let users = User::all(&mut conn)?;
        let err = users[0].posts(&mut conn).unwrap_err();
        assert!(matches!(&err, Error::LazyLoad(v) if v.model == "User" && v.relation == "posts"), "{err}");
        assert!(err.to_string().contains("User::POSTS"), "the message names the fix: {err}");
        let loaded = users.clone().load(&mut conn, User::POSTS)?;
        assert_eq!(loaded.len(), 3, "eager loading is always allowed");
        let posts: Vec<Post> = loaded.into_iter().flat_map(|u| u.take(User::POSTS)).collect();
        assert!(
            matches!(posts[0].author(&mut conn), Err(Error::LazyLoad(_))),
            "eager-loaded children count as loaded in a collection"
        );
        drop(guard);
        assert_eq!(users[0].posts(&mut conn).map(|_| ()).ok(), Some(()), "allowed again once the guard drops");

        let guard = strict_loading(LazyLoading::Record);
        for user in User::all(&mut conn)? {
            user.posts(&mut conn)?;
        }
        let violations = guard.take_violations();
        assert_eq!(violations.len(), 3, "one per lazy load in the loop");
        assert!(violations.iter().all(|v| v.model == "User" && v.relation == "posts"));
        drop(guard);

        let std_thread = std::thread::spawn(|| strict_loading(LazyLoading::Deny).take_violations().len());
        assert_eq!(std_thread.join().ok(), Some(0));
        Ok(())
    }

    fn eager_loading_chunks_keys_past_the_sqlite_parameter_limit(db) {
        const N: i64 = 40_000;
        let mut conn = db.get()?;
        // 40 000 managers, each with one report (80 000 rows, written in one statement each).
        let series = match conn.backend() {
            Backend::Sqlite => "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 40000) SELECT x FROM s",
            _ => "SELECT generate_series(1, 40000) AS x",
        };
        conn.batch_execute(&format!(
            "INSERT INTO employees (id, name, manager_id) SELECT x, 'manager ' || x, NULL FROM ({series}) AS t;
             INSERT INTO employees (id, name, manager_id) SELECT x + 40000, 'report ' || x, x FROM ({series}) AS t;"
        ))?;
        let queries = glowplug::QueryRecorder::start();
        let managers = Employee::fetch(&mut conn, Employee::query().filter(employees::id.le(N)).order(employees::id))?;
        assert_eq!(managers.len() as i64, N);
        queries.count();

        let loaded = managers.load(&mut conn, Employee::REPORTS)?;
        let expected = match conn.backend() {
            Backend::Sqlite => (N as usize).div_ceil(glowplug::Backend::Sqlite.max_parameters()),
            _ => 1,
        };
        assert_eq!(queries.count(), expected, "one query per chunk of keys");
        assert!(expected >= 2 || conn.backend() == Backend::Postgres, "40 000 keys exceed SQLite's limit");
        assert_eq!(loaded.len() as i64, N);
        for manager in &loaded {
            let reports = manager.get(Employee::REPORTS);
            assert_eq!(reports.len(), 1, "manager {}", manager.id);
            assert_eq!(reports[0].id, manager.id + N);
        }

        let reports = Employee::fetch(&mut conn, Employee::query().filter(employees::id.gt(N)))?;
        queries.count();
        let with_managers = reports.load(&mut conn, Employee::MANAGER)?;
        assert_eq!(queries.count(), expected);
        assert!(with_managers.iter().all(|r| r.get(Employee::MANAGER).as_ref().map(|m| m.id) == r.manager_id));
        Ok(())
    }
}
