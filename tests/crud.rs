//! The CRUD façade on both backends: every method, defaults, timestamps, errors.

mod common;

use common::models::*;
use common::new_user;
use glowplug::prelude::*;
use glowplug::{Error, Model};

backend_tests! {
    fn insert_returns_the_stored_row_with_defaults_and_timestamps(db) {
        let mut conn = db.get()?;
        let before = glowplug::__private::now();
        let alice = new_user("alice").insert(&mut conn)?;
        assert!(alice.id > 0);
        assert_eq!(alice.username, "alice");
        assert_eq!(alice.email, "alice@example.com");
        assert_eq!(alice.bio, None);
        assert!(alice.active, "default(true) applied");
        assert!(alice.created_at >= before, "created_at set");
        assert_eq!(alice.created_at, alice.updated_at);
        assert_eq!(User::find(&mut conn, alice.id)?, alice, "the returned row is the stored row");

        let bob = NewUser { active: Some(false), bio: Some("hi".into()), ..new_user("bob") }.insert(&mut conn)?;
        assert!(!bob.active, "an explicit value overrides the default");
        assert_eq!(bob.bio.as_deref(), Some("hi"));
        assert!(bob.id > alice.id);

        let post = NewPost::new(alice.id, "First").insert(&mut conn)?;
        assert_eq!(post.body, "", "default(\"\") applied to a text column");
        assert!(!post.published);
        Ok(())
    }

    fn all_count_find_and_fetch(db) {
        let mut conn = db.get()?;
        assert!(User::all(&mut conn)?.is_empty());
        assert_eq!(User::count(&mut conn)?, 0);
        let ids: Vec<i64> = ["a", "b", "c"].iter().map(|n| new_user(n).insert(&mut conn).map(|u| u.id)).collect::<Result<_, _>>()?;
        let mut all = User::all(&mut conn)?;
        all.sort_by_key(|u| u.id);
        assert_eq!(all.iter().map(|u| u.id).collect::<Vec<_>>(), ids);
        assert_eq!(User::count(&mut conn)?, 3);
        assert_eq!(User::find(&mut conn, ids[1])?.username, "b");
        assert_eq!(User::find_optional(&mut conn, ids[2])?.map(|u| u.username), Some("c".into()));
        assert_eq!(User::find_optional(&mut conn, -1)?, None);

        let newest_two = User::fetch(&mut conn, User::query().order(users::id.desc()).limit(2))?;
        assert_eq!(newest_two.iter().map(|u| u.username.as_str()).collect::<Vec<_>>(), ["c", "b"]);
        let only_b = User::fetch(&mut conn, User::query().filter(users::username.eq("b")))?;
        assert_eq!(only_b.len(), 1);
        assert_eq!(only_b[0].id, ids[1]);
        Ok(())
    }

    fn query_joins_and_runs_on_the_pooled_connection_with_plain_diesel(db) {
        let mut conn = db.get()?;
        let alice = new_user("alice").insert(&mut conn)?;
        let bob = new_user("bob").insert(&mut conn)?;
        NewPost::new(bob.id, "by bob").insert(&mut conn)?;
        // Plain diesel through the runtime-chosen AnyConnection.
        let names: Vec<String> = users::table.select(users::username).order(users::id).load(&mut conn)?;
        assert_eq!(names, ["alice", "bob"]);
        let loaded: Vec<User> = User::query().filter(users::id.eq(alice.id)).load(&mut conn)?;
        assert_eq!(loaded, vec![alice.clone()]);
        // A join through the model's query, with the join written by hand for now.
        let authors = User::fetch(
            &mut conn,
            User::query().inner_join(posts::table.on(posts::author_id.eq(users::id))),
        )?;
        assert_eq!(authors, vec![bob]);
        Ok(())
    }

    fn not_found_is_a_distinct_matchable_error(db) {
        let mut conn = db.get()?;
        let err = User::find(&mut conn, 424242).unwrap_err();
        assert!(err.is_not_found());
        match &err {
            Error::NotFound { model, id, .. } => {
                assert_eq!(*model, "User");
                assert_eq!(id.as_deref(), Some("424242"));
            }
            other => panic!("expected NotFound, got {other:?}"),
        }
        assert_eq!(err.to_string(), "no User with id 424242 was found");
        Ok(())
    }

    fn save_writes_every_column_and_bumps_updated_at(db) {
        let mut conn = db.get()?;
        let mut user = new_user("carol").insert(&mut conn)?;
        let created = user.created_at;
        std::thread::sleep(std::time::Duration::from_millis(5));
        user.bio = Some("über ✓".into());
        user.active = false;
        user.save(&mut conn)?;
        assert!(user.updated_at > created, "updated_at bumped in place");
        assert_eq!(user.created_at, created, "created_at kept");
        let stored = User::find(&mut conn, user.id)?;
        assert_eq!(stored, user);
        assert_eq!(stored.bio.as_deref(), Some("über ✓"));
        assert!(!stored.active);

        user.bio = None;
        user.save(&mut conn)?;
        assert_eq!(User::find(&mut conn, user.id)?.bio, None, "None saves NULL");
        Ok(())
    }

    fn save_of_a_deleted_row_is_not_found_and_leaves_self_unchanged(db) {
        let mut conn = db.get()?;
        let mut user = new_user("dave").insert(&mut conn)?;
        User::delete_by_id(&mut conn, user.id)?;
        let before = user.clone();
        user.bio = Some("x".into());
        let err = user.save(&mut conn).unwrap_err();
        assert!(err.is_not_found(), "{err}");
        assert_eq!(user.updated_at, before.updated_at);
        Ok(())
    }

    fn update_writes_only_what_is_set(db) {
        let mut conn = db.get()?;
        let mut user = NewUser { bio: Some("keep".into()), ..new_user("erin") }.insert(&mut conn)?;
        let mut stale = user.clone();
        let created = user.created_at;
        std::thread::sleep(std::time::Duration::from_millis(5));
        user.update(&mut conn, UserChanges { email: Some("new@example.com".into()), ..Default::default() })?;
        assert_eq!(user.email, "new@example.com");
        assert_eq!(user.bio.as_deref(), Some("keep"), "unset fields untouched");
        assert!(user.updated_at > created);
        assert_eq!(User::find(&mut conn, user.id)?, user);

        user.update(&mut conn, UserChanges { bio: Some(None), ..Default::default() })?;
        assert_eq!(User::find(&mut conn, user.id)?.bio, None, "Some(None) sets NULL");

        // Empty changes on a model with timestamps still bump updated_at.
        let before = user.updated_at;
        std::thread::sleep(std::time::Duration::from_millis(5));
        user.update(&mut conn, UserChanges::default())?;
        assert!(user.updated_at > before);

        stale.reload(&mut conn)?;
        assert_eq!(stale, user);
        Ok(())
    }

    fn update_without_timestamps_and_without_changes_reloads(db) {
        let mut conn = db.get()?;
        let mut root = NewCategory { name: "root".into(), parent_id: None }.insert(&mut conn)?;
        let mut copy = root.clone();
        root.update(&mut conn, CategoryChanges { name: Some("top".into()), ..Default::default() })?;
        copy.update(&mut conn, CategoryChanges::default())?;
        assert_eq!(copy.name, "top", "an empty changeset sends no UPDATE and reloads the row");
        Ok(())
    }

    fn delete_and_delete_by_id(db) {
        let mut conn = db.get()?;
        let a = new_user("a").insert(&mut conn)?;
        let b = new_user("b").insert(&mut conn)?;
        a.delete(&mut conn)?;
        assert!(User::find(&mut conn, a.id).unwrap_err().is_not_found());
        assert!(a.delete(&mut conn).unwrap_err().is_not_found(), "deleting twice is NotFound");
        assert!(User::delete_by_id(&mut conn, b.id)?);
        assert!(!User::delete_by_id(&mut conn, b.id)?);
        assert_eq!(User::count(&mut conn)?, 0);
        Ok(())
    }

    fn unique_violation_is_mapped(db) {
        let mut conn = db.get()?;
        new_user("frank").insert(&mut conn)?;
        let err = NewUser { email: "other@example.com".into(), ..new_user("frank") }.insert(&mut conn).unwrap_err();
        match &err {
            Error::UniqueViolation { columns, .. } => assert_eq!(columns, &["username"], "{err}"),
            other => panic!("expected UniqueViolation, got {other:?}"),
        }
        // The classified error keeps diesel's as its source.
        let source = std::error::Error::source(&err).and_then(|s| s.downcast_ref::<diesel::result::Error>());
        assert!(
            matches!(source, Some(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _))),
            "{source:?}"
        );
        assert!(err.to_string().starts_with("unique constraint violated"), "{err}");
        assert_eq!(User::count(&mut conn)?, 1, "nothing written");
        Ok(())
    }

    fn foreign_key_violation_is_mapped(db) {
        let mut conn = db.get()?;
        let err = NewPost::new(999_999, "orphan")
            .insert(&mut conn)
            .unwrap_err();
        assert!(matches!(err, Error::ForeignKeyViolation { .. }), "{err:?}");
        assert_eq!(Post::count(&mut conn)?, 0);

        // Deleting a referenced row is refused too (SQLite needs foreign_keys = ON for both).
        let author = new_user("gina").insert(&mut conn)?;
        NewPost::new(author.id, "kept").insert(&mut conn)?;
        let err = author.delete(&mut conn).unwrap_err();
        assert!(matches!(err, Error::ForeignKeyViolation { .. }), "{err:?}");
        assert_eq!(User::count(&mut conn)?, 1);
        Ok(())
    }

    fn varchar_limits_are_validated_before_writing(db) {
        let mut conn = db.get()?;
        let long = "x".repeat(51);
        let err = new_user(&long).insert(&mut conn).unwrap_err();
        match &err {
            Error::Invalid(errors) => {
                assert_eq!(errors.model(), "User");
                assert_eq!(errors.to_string(), "username: is too long (maximum is 50 characters)");
            }
            other => panic!("expected Invalid, got {other:?}"),
        }
        assert_eq!(User::count(&mut conn)?, 0);
        // 50 multi-byte characters fit: the limit counts characters, not bytes.
        let fits = new_user(&"é".repeat(50)).insert(&mut conn)?;
        let mut user = fits.clone();
        user.username = long.clone();
        assert!(matches!(user.save(&mut conn), Err(Error::Invalid(_))));
        let err = user
            .clone()
            .update(&mut conn, UserChanges { username: Some(long), ..Default::default() })
            .unwrap_err();
        assert!(matches!(&err, Error::Invalid(e) if e.field("username").count() == 1), "{err:?}");
        assert_eq!(User::find(&mut conn, fits.id)?, fits, "nothing written");
        Ok(())
    }

    fn hostile_strings_round_trip_unchanged(db) {
        let mut conn = db.get()?;
        let hostile = [
            "'; DROP TABLE users; --",
            "Robert'); DROP TABLE students;--",
            "\" OR 1=1 --",
            "back\\slash and 'quotes' and \"doubles\"",
            "$1 ? :name %s",
            "",
            "unicode ✓ 日本語 🚀 \u{202e}rtl",
        ];
        for (i, text) in hostile.iter().enumerate() {
            let user = NewUser {
                bio: Some((*text).to_owned()),
                ..NewUser::new(format!("u{i}"), format!("{i}@x"))
            }
            .insert(&mut conn)?;
            assert_eq!(User::find(&mut conn, user.id)?.bio.as_deref(), Some(*text));
            let found = User::fetch(&mut conn, User::query().filter(users::bio.eq(*text)))?;
            assert_eq!(found.len(), 1, "{text:?} matched as a value, not SQL");
        }
        assert_eq!(User::count(&mut conn)?, hostile.len() as i64, "the table survived");
        Ok(())
    }

    fn self_referencing_model_with_an_i32_key(db) {
        let mut conn = db.get()?;
        let root = NewCategory { name: "root".into(), parent_id: None }.insert(&mut conn)?;
        let child = NewCategory { name: "child".into(), parent_id: Some(root.id) }.insert(&mut conn)?;
        let id: i32 = child.id;
        assert_eq!(Category::find(&mut conn, id)?.parent_id, Some(root.id));
        Ok(())
    }
}

#[test]
fn metadata_describes_the_table() {
    let meta = User::META;
    assert_eq!(
        (meta.name, meta.table, meta.primary_key),
        ("User", "users", "id")
    );
    assert!(meta.timestamps);
    let names: Vec<_> = meta.columns.iter().map(|c| c.name).collect();
    assert_eq!(
        names,
        [
            "id",
            "username",
            "email",
            "bio",
            "active",
            "created_at",
            "updated_at"
        ]
    );
    let id = meta.column("id").unwrap();
    assert!(id.primary_key && id.auto_increment && !id.nullable);
    assert_eq!(id.sql_type, glowplug::ColumnType::BigInt);
    let username = meta.column("username").unwrap();
    assert_eq!(username.sql_type, glowplug::ColumnType::Varchar(Some(50)));
    assert_eq!(username.max_length(), Some(50));
    assert!(username.unique && !username.index);
    assert_eq!(meta.column("email").unwrap().max_length(), None);
    assert!(meta.column("bio").unwrap().nullable);
    assert_eq!(meta.column("active").unwrap().default, Some("true"));
    assert!(meta.column("created_at").unwrap().managed);

    let author = Post::META.column("author_id").unwrap();
    assert!(author.index);
    let fk = author.foreign_key.unwrap();
    assert_eq!((fk.model, fk.table, fk.column), ("User", "users", "id"));
    assert_eq!(Category::META.table, "categories");
    assert_eq!(
        Category::META.column("id").unwrap().sql_type,
        glowplug::ColumnType::Integer
    );
    assert_eq!(Sample::META.column("rank").unwrap().default, Some("7"));
    assert_eq!(<User as Model>::META, User::META);
}

#[test]
fn models_serialize_with_serde() {
    let user = User {
        id: 7,
        username: "zoe".into(),
        email: "z@x".into(),
        bio: None,
        active: true,
        created_at: chrono::NaiveDate::from_ymd_opt(2026, 1, 2)
            .unwrap()
            .and_hms_opt(3, 4, 5)
            .unwrap(),
        updated_at: chrono::NaiveDate::from_ymd_opt(2026, 1, 2)
            .unwrap()
            .and_hms_opt(3, 4, 5)
            .unwrap(),
    };
    let json = serde_json::to_value(&user).unwrap();
    assert_eq!(json["username"], "zoe");
    assert_eq!(json["bio"], serde_json::Value::Null);
    let back: User = serde_json::from_value(json).unwrap();
    assert_eq!(back, user);
    let new: NewUser = serde_json::from_str(r#"{"username":"x","email":"y"}"#).unwrap();
    assert_eq!(new.active, None, "missing fields take their Default");
}
