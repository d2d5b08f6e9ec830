//! Constraint violations name the same table, column(s) and constraint on
//! SQLite and PostgreSQL for the same schema: UNIQUE (one column, several
//! columns, primary key), FOREIGN KEY, NOT NULL and CHECK, on every write path.

mod common;

use common::models::{NewPost, NewPostTag, NewTag, NewUser, Post, User, users};
use common::new_user;
use diesel::connection::SimpleConnection;
use glowplug::prelude::*;
use glowplug::{Error, OnConflict};

glowplug::model! {
    pub Team {
        id: pk,
        name: text,
    }

    /// The table is made by hand (below): `nickname` is NOT NULL there, so
    /// that a model write can break it, and `age` has a named check.
    pub Member {
        id: pk,
        email: varchar unique,
        nickname: text null,
        age: int,
        team_id: bigint fk(Team),
    }
}

/// The same schema on both backends (only the key's type differs).
fn create_tables(conn: &mut glowplug::PooledConnection) -> common::TestResult {
    let pk = match conn.backend() {
        Backend::Sqlite => "INTEGER PRIMARY KEY",
        _ => "BIGSERIAL PRIMARY KEY",
    };
    conn.batch_execute(&format!(
        "CREATE TABLE teams (id {pk}, name TEXT NOT NULL);
         CREATE TABLE members (
             id {pk},
             email VARCHAR NOT NULL UNIQUE,
             nickname TEXT NOT NULL,
             age INTEGER NOT NULL CONSTRAINT members_age_check CHECK (age >= 0),
             team_id BIGINT NOT NULL REFERENCES teams (id)
         );"
    ))?;
    Ok(())
}

fn member(email: &str, team_id: i64) -> NewMember {
    NewMember {
        email: email.into(),
        nickname: Some("nick".into()),
        age: 30,
        team_id,
    }
}

/// `(table, columns, constraint)` of a constraint error.
fn located(err: &Error) -> (Option<&str>, Vec<&str>, Option<&str>) {
    match err {
        Error::UniqueViolation {
            table,
            columns,
            constraint,
            ..
        }
        | Error::ForeignKeyViolation {
            table,
            columns,
            constraint,
            ..
        }
        | Error::NotNullViolation {
            table,
            columns,
            constraint,
            ..
        }
        | Error::CheckViolation {
            table,
            columns,
            constraint,
            ..
        } => (
            table.as_deref(),
            columns.iter().map(String::as_str).collect(),
            constraint.as_deref(),
        ),
        other => panic!("expected a constraint violation, got {other:?}"),
    }
}

backend_tests! {
    fn unique_violation_names_table_column_and_key_on_every_write_path(db) {
        let mut conn = db.get()?;
        create_tables(&mut conn)?;
        let team = NewTeam::new("red").insert(&mut conn)?;
        let ada = member("ada@x.io", team.id).insert(&mut conn)?;
        let want = (Some("members"), vec!["email"], Some("members_email_key"));

        let err = member("ada@x.io", team.id).insert(&mut conn).unwrap_err();
        assert!(matches!(err, Error::UniqueViolation { .. }), "{err:?}");
        assert_eq!(located(&err), want, "insert");
        assert!(err.to_string().contains("on members.email (members_email_key)"), "{err}");

        let mut bob = member("bob@x.io", team.id).insert(&mut conn)?;
        bob.email = "ada@x.io".into();
        assert_eq!(located(&bob.save(&mut conn).unwrap_err()), want, "save");
        let changes = MemberChanges { email: Some("ada@x.io".into()), ..Default::default() };
        assert_eq!(located(&bob.clone().update(&mut conn, changes).unwrap_err()), want, "update");
        let err = Member::filter(members::id.eq(bob.id))
            .update_all(&mut conn, members::email.eq("ada@x.io"))
            .unwrap_err();
        assert_eq!(located(&err), want, "update_all");

        // Batches: a 2-row batch (one statement) and a 40-row one (a transaction).
        let err = Member::insert_batch(&mut conn, &[member("c@x.io", team.id), member("ada@x.io", team.id)]).unwrap_err();
        assert_eq!(located(&err), want, "insert_batch");
        let many: Vec<NewMember> = (0..40).map(|i| member(&format!("m{i}@x.io"), team.id))
            .chain([member("ada@x.io", team.id)]).collect();
        assert_eq!(located(&Member::insert_batch(&mut conn, &many).unwrap_err()), want, "chunked insert_batch");
        assert_eq!(located(&Member::insert_batch_returning(&mut conn, &many).unwrap_err()), want, "insert_batch_returning");
        assert_eq!(Member::count(&mut conn)?, 2, "nothing of the failed batches was kept");

        // Primary key: the backend's own key name on PostgreSQL, the same on SQLite.
        let pk = diesel::insert_into(members::table)
            .values((members::id.eq(ada.id), members::email.eq("z@x.io"), members::nickname.eq("n"),
                     members::age.eq(1), members::team_id.eq(team.id)))
            .execute(&mut *conn)
            .map_err(|e| Error::from(e).for_model(&Member::META))
            .unwrap_err();
        assert_eq!(located(&pk), (Some("members"), vec!["id"], Some("members_pkey")), "primary key");
        Ok(())
    }

    fn unique_violation_over_several_columns(db) {
        let mut conn = db.get()?;
        let author = new_user("ann").insert(&mut conn)?;
        let post = NewPost::new(author.id, "p").insert(&mut conn)?;
        let tag = NewTag::new("t").insert(&mut conn)?;
        NewPostTag::new(post.id, tag.id).insert(&mut conn)?;
        let err = NewPostTag::new(post.id, tag.id).insert(&mut conn).unwrap_err();
        assert_eq!(
            located(&err),
            (Some("post_tags"), vec!["post_id", "tag_id"], Some("post_tags_post_id_tag_id_key"))
        );
        assert!(err.to_string().contains("on post_tags(post_id, tag_id)"), "{err}");
        // An upsert on another key still reports the key it broke.
        let err = NewUser::new("ann", "other@example.com").upsert(&mut conn, users::email).unwrap_err();
        assert_eq!(located(&err), (Some("users"), vec!["username"], Some("users_username_key")), "upsert");
        let err = User::batch().on_conflict(users::email, OnConflict::Update)
            .insert(&mut conn, &[NewUser::new("ann", "third@example.com")]).unwrap_err();
        assert_eq!(located(&err), (Some("users"), vec!["username"], Some("users_username_key")), "batch upsert");
        assert_eq!(Post::count(&mut conn)?, 1);
        Ok(())
    }

    fn foreign_key_violation_names_the_referencing_column(db) {
        let mut conn = db.get()?;
        create_tables(&mut conn)?;
        let want = (Some("members"), vec!["team_id"], Some("members_team_id_fkey"));
        let err = member("a@x.io", 999).insert(&mut conn).unwrap_err();
        assert!(matches!(err, Error::ForeignKeyViolation { .. }), "{err:?}");
        assert_eq!(located(&err), want, "insert");
        assert!(err.to_string().contains("on members.team_id (members_team_id_fkey)"), "{err}");
        let err = Member::insert_batch(&mut conn, &[member("a@x.io", 999), member("b@x.io", 998)]).unwrap_err();
        assert_eq!(located(&err), want, "insert_batch");

        let team = NewTeam::new("red").insert(&mut conn)?;
        let mut m = member("a@x.io", team.id).insert(&mut conn)?;
        m.team_id = 999;
        assert_eq!(located(&m.save(&mut conn).unwrap_err()), want, "save");

        // A refused delete: PostgreSQL names the constraint; SQLite names nothing.
        let team_row = Team::find(&mut conn, team.id)?;
        let err = team_row.delete(&mut conn).unwrap_err();
        assert!(matches!(err, Error::ForeignKeyViolation { .. }), "{err:?}");
        match conn.backend() {
            Backend::Sqlite => assert_eq!(located(&err), (None, vec![], None)),
            _ => assert_eq!(located(&err), want, "delete: {err}"),
        }
        Ok(())
    }

    fn not_null_violation_names_table_and_column(db) {
        let mut conn = db.get()?;
        create_tables(&mut conn)?;
        let team = NewTeam::new("red").insert(&mut conn)?;
        let err = NewMember { nickname: None, ..member("a@x.io", team.id) }.insert(&mut conn).unwrap_err();
        assert!(matches!(err, Error::NotNullViolation { .. }), "{err:?}");
        assert_eq!(located(&err), (Some("members"), vec!["nickname"], None));
        assert!(err.to_string().starts_with("NOT NULL constraint violated on members.nickname"), "{err}");
        // Without a model (plain diesel): both backends still name them.
        let raw = diesel::sql_query("INSERT INTO members (email, age, team_id) VALUES ('b@x.io', 1, 1)")
            .execute(&mut *conn)
            .map_err(Error::from)
            .unwrap_err();
        assert_eq!(located(&raw), (Some("members"), vec!["nickname"], None));
        Ok(())
    }

    fn check_violation_names_constraint_and_column(db) {
        let mut conn = db.get()?;
        create_tables(&mut conn)?;
        let team = NewTeam::new("red").insert(&mut conn)?;
        let want = (Some("members"), vec!["age"], Some("members_age_check"));
        let err = NewMember { age: -1, ..member("a@x.io", team.id) }.insert(&mut conn).unwrap_err();
        assert!(matches!(err, Error::CheckViolation { .. }), "{err:?}");
        assert_eq!(located(&err), want, "insert");
        assert!(err.to_string().starts_with("check constraint violated on members.age (members_age_check)"), "{err}");
        let mut m = member("a@x.io", team.id).insert(&mut conn)?;
        let changes = MemberChanges { age: Some(-5), ..Default::default() };
        assert_eq!(located(&m.update(&mut conn, changes).unwrap_err()), want, "update");
        assert_eq!(Member::find(&mut conn, m.id)?.age, 30, "nothing written");
        Ok(())
    }
}
