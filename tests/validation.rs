//! Declared validations (`validate(..)`, `validate_with(..)`), the
//! `Error::Invalid` they produce, and every write path that runs them, on
//! both backends.

mod common;

use glowplug::prelude::*;
use glowplug::{Error, FieldErrors, Row};

glowplug::model! {
    pub Signup {
        id: pk,
        email: varchar(40) unique validate(email),
        name: text validate(not_empty, length(2..=20)),
        age: int validate(range(0..=150)),
        role: text default("user") validate(one_of("admin", "user")),
        website: text null validate(url),
        score: double null validate(range(..=1.5)),
        validate_with(no_reserved_names),
    }
}

/// The custom validator: `admin` is a name only for admins. It sees the
/// whole insert struct or row, and the changes of an update.
fn no_reserved_names(row: Row<'_, Signup>, errors: &mut FieldErrors) {
    let (name, role) = match row {
        Row::New(new) => (Some(&new.name), new.role.as_deref().or(Some("user"))),
        Row::Changes(changes) => (changes.name.as_ref(), changes.role.as_deref()),
        Row::Saved(row) => (Some(&row.name), Some(row.role.as_str())),
    };
    if name.is_some_and(|n| n == "admin") && role != Some("admin") {
        errors.add("name", "reserved", "is reserved");
    }
}

fn setup(db: &common::TestDb) -> glowplug::Result<glowplug::PooledConnection> {
    let mut conn = db.get()?;
    glowplug::schema::create_all(&mut conn, &[Signup::META])?;
    Ok(conn)
}

fn good(n: usize) -> NewSignup {
    NewSignup {
        email: format!("user{n}@example.com"),
        name: format!("user {n}"),
        age: 30,
        role: None,
        website: Some("https://example.com".into()),
        score: None,
    }
}

/// Fails every declared check, and the custom one.
fn bad() -> NewSignup {
    NewSignup {
        email: "not an email".into(),
        name: "admin".into(),
        age: 151,
        role: Some("root".into()),
        website: Some("example.com".into()),
        score: Some(2.0),
    }
}

/// `(field, code)` of every failed check of an `Error::Invalid`.
fn failed(err: &Error) -> Vec<(String, String)> {
    match err {
        Error::Invalid(errors) => errors
            .iter()
            .map(|e| (e.field.to_string(), e.code.to_string()))
            .collect(),
        other => panic!("expected Error::Invalid, got {other:?}"),
    }
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(f, c)| (f.to_string(), c.to_string()))
        .collect()
}

backend_tests! {
    fn every_failing_field_is_reported_at_once_in_column_order(db) {
        let mut conn = setup(&db)?;
        let queries = glowplug::QueryRecorder::start();
        let err = bad().insert(&mut conn).unwrap_err();
        assert_eq!(queries.count(), 0, "nothing sent");
        assert_eq!(failed(&err), pairs(&[
            ("email", "email"), ("age", "range"), ("role", "one_of"), ("website", "url"),
            ("score", "range"), ("name", "reserved"),
        ]));
        assert_eq!(
            err.to_string(),
            "invalid Signup:\nemail: is invalid\nage: must be between 0 and 150\nrole: is not one of: admin, user\n\
             website: is not a valid URL\nscore: must be at most 1.5\nname: is reserved"
        );
        let Error::Invalid(errors) = &err else { unreachable!() };
        assert_eq!(
            serde_json::to_string(errors)?,
            r#"{"errors":{"email":["is invalid"],"age":["must be between 0 and 150"],"role":["is not one of: admin, user"],"website":["is not a valid URL"],"score":["must be at most 1.5"],"name":["is reserved"]}}"#
        );
        // Two failures of one field, in rule order: not_empty, then length.
        let blank = NewSignup { name: " ".into(), ..good(1) }.insert(&mut conn).unwrap_err();
        assert_eq!(failed(&blank), pairs(&[("name", "not_empty"), ("name", "length")]));
        assert_eq!(serde_json::to_string(&blank.field_errors())?,
            r#"{"errors":{"name":["can't be blank","is too short (minimum is 2 characters)"]}}"#);
        // The varchar(40) length is one more rule of the same list.
        let long = NewSignup { email: format!("{}@example.com", "x".repeat(40)), ..good(1) }.insert(&mut conn).unwrap_err();
        assert_eq!(failed(&long), pairs(&[("email", "length")]));
        assert_eq!(Signup::count(&mut conn)?, 0);
        Ok(())
    }

    fn values_on_the_bounds_pass_and_null_or_unset_skips_the_rules(db) {
        let mut conn = setup(&db)?;
        for (i, (name, age)) in [("ab", 0), (&*"n".repeat(20), 150)].into_iter().enumerate() {
            let row = NewSignup { name: name.into(), age, score: Some(1.5), ..good(i) }.insert(&mut conn)?;
            assert_eq!((row.age, row.role.as_str()), (age, "user"), "the default is not checked as unset");
        }
        NewSignup { website: None, score: None, role: Some("admin".into()), name: "admin".into(), ..good(9) }
            .insert(&mut conn)?;
        assert_eq!(Signup::count(&mut conn)?, 3);
        Ok(())
    }

    fn save_update_and_save_or_insert_check_what_they_write(db) {
        let mut conn = setup(&db)?;
        let mut row = good(1).insert(&mut conn)?;
        let stored = row.clone();
        row.age = -1;
        row.name = "admin".into();
        assert_eq!(failed(&row.save(&mut conn).unwrap_err()), pairs(&[("age", "range"), ("name", "reserved")]));
        assert_eq!(failed(&row.save_or_insert(&mut conn).unwrap_err()), pairs(&[("age", "range"), ("name", "reserved")]));
        let rows = [row.clone()];
        let err = Signup::upsert_rows(&mut conn, &rows, OnConflict::Update).unwrap_err();
        assert!(matches!(&err, Error::InvalidRow { index: 0, source } if failed(source).len() == 2), "{err:?}");

        // An update checks the fields it sets, and the custom check sees the changes.
        let mut fresh = stored.clone();
        let queries = glowplug::QueryRecorder::start();
        let err = fresh.update(&mut conn, SignupChanges { website: Some(Some("ftp://x".into())), ..Default::default() }).unwrap_err();
        assert_eq!(failed(&err), pairs(&[("website", "url")]));
        let err = fresh.update(&mut conn, SignupChanges { name: Some("admin".into()), ..Default::default() }).unwrap_err();
        assert_eq!(failed(&err), pairs(&[("name", "reserved")]));
        assert_eq!(queries.count(), 0, "nothing sent");
        fresh.update(&mut conn, SignupChanges { website: Some(None), age: Some(150), ..Default::default() })?;
        assert_eq!((fresh.website, fresh.age), (None, 150));
        assert_eq!(Signup::find(&mut conn, stored.id)?.name, stored.name, "the refused writes wrote nothing");
        Ok(())
    }

    fn batches_name_the_bad_row_and_send_nothing(db) {
        let mut conn = setup(&db)?;
        let mut rows: Vec<NewSignup> = (0..40).map(good).collect();
        rows[3].age = 200;
        rows[3].email = "nope".into();
        let queries = glowplug::QueryRecorder::start();
        let err = Signup::insert_batch(&mut conn, &rows).unwrap_err();
        match &err {
            Error::InvalidRow { index: 3, source } => assert_eq!(failed(source), pairs(&[("email", "email"), ("age", "range")])),
            other => panic!("expected row 3, got {other:?}"),
        }
        assert!(err.to_string().starts_with("batch row 3: invalid Signup:\nemail: is invalid"), "{err}");
        assert_eq!(err.field_errors().map(|e| e.len()), Some(2));
        assert!(Signup::insert_batch_returning(&mut conn, &rows).is_err());
        let upsert = Signup::batch().on_conflict(signups::email, OnConflict::Update).insert(&mut conn, &rows);
        assert!(matches!(upsert, Err(Error::InvalidRow { index: 3, .. })), "{upsert:?}");
        assert_eq!(queries.count(), 0, "slices are checked whole before the first statement");
        // An iterator is checked a chunk at a time; a bad row rolls back what was sent.
        let iter = Signup::insert_batch_iter(&mut conn, rows.clone());
        assert!(matches!(iter, Err(Error::InvalidRow { index: 3, .. })), "{iter:?}");
        assert_eq!(Signup::count(&mut conn)?, 0);
        rows[3] = good(3);
        assert_eq!(Signup::insert_batch(&mut conn, &rows)?, 40);
        Ok(())
    }

    fn upserts_and_get_or_insert_check_the_insert_struct(db) {
        let mut conn = setup(&db)?;
        let queries = glowplug::QueryRecorder::start();
        let new = bad();
        assert_eq!(failed(&new.insert_or_ignore(&mut conn, signups::email).unwrap_err()).len(), 6);
        assert_eq!(failed(&new.upsert(&mut conn, signups::email).unwrap_err()).len(), 6);
        assert_eq!(failed(&new.get_or_insert(&mut conn, signups::email, &new.email).unwrap_err()).len(), 6);
        assert_eq!(queries.count(), 0);
        let row = good(1).get_or_insert(&mut conn, signups::email, "user1@example.com")?;
        assert_eq!(row.name, "user 1");
        Ok(())
    }

    fn a_unique_violation_becomes_the_same_field_error_shape(db) {
        let mut conn = setup(&db)?;
        good(1).insert(&mut conn)?;
        let err = NewSignup { name: "other".into(), ..good(1) }.insert(&mut conn).unwrap_err();
        assert!(matches!(err, Error::UniqueViolation { .. }), "{err:?}");
        let errors = err.field_errors().expect("a client error");
        assert_eq!(errors.to_string(), "email: has already been taken");
        assert_eq!(errors.iter().next().map(|e| &*e.code), Some("unique"));
        assert_eq!(serde_json::to_string(&errors)?, r#"{"errors":{"email":["has already been taken"]}}"#);
        // Not the client's to fix: no field errors.
        assert!(Error::not_found("Signup", 1).field_errors().is_none());
        Ok(())
    }
}

#[cfg(feature = "regex")]
mod regex {
    use glowplug::Validate;

    glowplug::model! {
        pub Coded { id: pk, code: text validate(regex("^[A-Z]{3}$")) }
    }

    #[test]
    fn regex_rule_matches_the_pattern() {
        assert!(NewCoded { code: "ABC".into() }.validate().is_ok());
        let err = NewCoded { code: "abc".into() }.validate().unwrap_err();
        assert_eq!(err.to_string(), "invalid Coded:\ncode: is invalid");
    }
}
