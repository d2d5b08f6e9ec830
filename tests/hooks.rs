//! Lifecycle hooks on both backends: each hook point runs, in the write's
//! transaction, and a failing hook rolls back the write and what the hooks
//! wrote.

mod common;

use glowplug::prelude::*;
use glowplug::{Error, Hooks};

glowplug::model! {
    pub Member {
        id: pk,
        email: varchar(100) unique validate(email),
        name: text,
        hooks,
    }

    /// What the hooks write, in the same transaction as the member.
    pub Audit {
        id: pk,
        action: text,
        member_id: bigint,
    }
}

fn audit<C: DbConnection + ?Sized>(
    conn: &mut C,
    action: &str,
    member_id: i64,
) -> glowplug::Result<()> {
    NewAudit::new(action, member_id).insert(conn).map(drop)
}

fn refuse(name: &str) -> Error {
    Error::invalid(
        "Member",
        "name",
        "refused",
        format!("{name} is refused by a hook"),
    )
}

impl Hooks for Member {
    fn before_insert<C: DbConnection + ?Sized>(
        new: &mut NewMember,
        _conn: &mut C,
    ) -> glowplug::Result<()> {
        if new.name == "fail-before-insert" {
            return Err(refuse(&new.name));
        }
        new.email = new.email.trim().to_lowercase();
        Ok(())
    }

    fn after_insert<C: DbConnection + ?Sized>(&self, conn: &mut C) -> glowplug::Result<()> {
        audit(conn, "insert", self.id)?;
        match self.name.as_str() {
            "fail-after-insert" => Err(refuse(&self.name)),
            _ => Ok(()),
        }
    }

    fn before_save<C: DbConnection + ?Sized>(&mut self, conn: &mut C) -> glowplug::Result<()> {
        audit(conn, "before save", self.id)?;
        self.email = self.email.to_lowercase();
        Ok(())
    }

    fn after_save<C: DbConnection + ?Sized>(&self, conn: &mut C) -> glowplug::Result<()> {
        match self.name.as_str() {
            "fail-after-save" => Err(refuse(&self.name)),
            _ => audit(conn, "save", self.id),
        }
    }

    fn before_update<C: DbConnection + ?Sized>(
        &self,
        changes: &mut MemberChanges,
        _conn: &mut C,
    ) -> glowplug::Result<()> {
        if changes.name.as_deref() == Some("fail-before-update") {
            return Err(refuse("fail-before-update"));
        }
        if let Some(email) = &mut changes.email {
            *email = email.to_lowercase();
        }
        Ok(())
    }

    fn after_update<C: DbConnection + ?Sized>(&self, conn: &mut C) -> glowplug::Result<()> {
        audit(conn, "update", self.id)?;
        match self.name.as_str() {
            "fail-after-update" => Err(refuse(&self.name)),
            _ => Ok(()),
        }
    }

    fn before_delete<C: DbConnection + ?Sized>(&self, _conn: &mut C) -> glowplug::Result<()> {
        match self.name.as_str() {
            "keep" => Err(refuse(&self.name)),
            _ => Ok(()),
        }
    }

    fn after_delete<C: DbConnection + ?Sized>(&self, conn: &mut C) -> glowplug::Result<()> {
        audit(conn, "delete", self.id)?;
        match self.name.as_str() {
            "fail-after-delete" => Err(refuse(&self.name)),
            _ => Ok(()),
        }
    }
}

fn setup(db: &common::TestDb) -> glowplug::Result<glowplug::PooledConnection> {
    let mut conn = db.get()?;
    glowplug::schema::create_all(&mut conn, &[Member::META, Audit::META])?;
    Ok(conn)
}

fn actions(conn: &mut glowplug::PooledConnection) -> glowplug::Result<Vec<String>> {
    Ok(Audit::fetch(conn, Audit::query().order(audits::id))?
        .into_iter()
        .map(|a| a.action)
        .collect())
}

backend_tests! {
    fn insert_hooks_normalise_before_the_checks_and_roll_back_on_failure(db) {
        let mut conn = setup(&db)?;
        let ada = NewMember::new(" Ada@Example.COM ", "ada").insert(&mut conn)?;
        assert_eq!(ada.email, "ada@example.com", "before_insert ran before the checks and the write");
        assert_eq!(actions(&mut conn)?, ["insert"]);

        let err = NewMember::new("b@x.io", "fail-before-insert").insert(&mut conn).unwrap_err();
        assert!(err.to_string().contains("refused by a hook"), "{err}");
        let err = NewMember::new("c@x.io", "fail-after-insert").insert(&mut conn).unwrap_err();
        assert!(matches!(err, Error::Invalid(_)), "{err:?}");
        assert_eq!(Member::count(&mut conn)?, 1, "the insert before the failed after_insert was rolled back");
        assert_eq!(actions(&mut conn)?, ["insert"], "and so was the hook's own audit row");
        // The checks still run after the hook: an invalid email is refused.
        let err = NewMember::new("not an email", "d").insert(&mut conn).unwrap_err();
        assert_eq!(err.field_errors().map(|e| e.to_string()).as_deref(), Some("email: is invalid"));
        Ok(())
    }

    fn save_and_update_hooks_run_in_the_transaction(db) {
        let mut conn = setup(&db)?;
        let mut ada = NewMember::new("ada@x.io", "ada").insert(&mut conn)?;
        ada.email = "ADA@X.IO".into();
        ada.save(&mut conn)?;
        assert_eq!(ada.email, "ada@x.io");
        assert_eq!(actions(&mut conn)?, ["insert", "before save", "save"]);

        let before = ada.clone();
        ada.name = "fail-after-save".into();
        assert!(ada.save(&mut conn).is_err());
        assert_eq!(Member::find(&mut conn, ada.id)?, before, "the save was rolled back");
        assert_eq!(actions(&mut conn)?.len(), 3, "and the before_save audit row with it");

        let mut ada = before.clone();
        ada.update(&mut conn, MemberChanges { email: Some("NEW@X.IO".into()), ..Default::default() })?;
        assert_eq!(ada.email, "new@x.io", "before_update may change the changes");
        let kept = ada.clone();
        let err = ada.update(&mut conn, MemberChanges { name: Some("fail-before-update".into()), ..Default::default() }).unwrap_err();
        assert!(matches!(err, Error::Invalid(_)), "{err:?}");
        assert_eq!(ada, kept, "the row is unchanged on error");
        assert!(ada.update(&mut conn, MemberChanges { name: Some("fail-after-update".into()), ..Default::default() }).is_err());
        assert_eq!(Member::find(&mut conn, ada.id)?.name, "ada", "the update was rolled back");
        assert_eq!(actions(&mut conn)?, ["insert", "before save", "save", "update"]);
        Ok(())
    }

    fn delete_hooks_can_refuse_and_roll_back(db) {
        let mut conn = setup(&db)?;
        let keep = NewMember::new("k@x.io", "keep").insert(&mut conn)?;
        let fail = NewMember::new("f@x.io", "fail-after-delete").insert(&mut conn)?;
        let gone = NewMember::new("g@x.io", "gone").insert(&mut conn)?;
        assert!(keep.delete(&mut conn).is_err());
        assert!(fail.delete(&mut conn).is_err());
        gone.delete(&mut conn)?;
        let mut left: Vec<String> = Member::all(&mut conn)?.into_iter().map(|m| m.name).collect();
        left.sort();
        assert_eq!(left, ["fail-after-delete", "keep"]);
        assert_eq!(actions(&mut conn)?, ["insert", "insert", "insert", "delete"]);
        Ok(())
    }

    fn batches_run_before_insert_per_row_and_returning_runs_after_insert(db) {
        let mut conn = setup(&db)?;
        let rows: Vec<NewMember> = (0..40).map(|i| NewMember::new(format!("M{i}@X.IO"), format!("m{i}"))).collect();
        assert_eq!(Member::insert_batch(&mut conn, &rows)?, 40);
        assert!(Member::all(&mut conn)?.iter().all(|m| m.email == m.email.to_lowercase()));
        assert!(actions(&mut conn)?.is_empty(), "insert_batch has no rows back, so no after_insert");

        let mut more: Vec<NewMember> = (0..20).map(|i| NewMember::new(format!("R{i}@X.IO"), format!("r{i}"))).collect();
        let stored = Member::insert_batch_returning(&mut conn, &more)?;
        assert_eq!(stored[0].email, "r0@x.io");
        assert_eq!(actions(&mut conn)?.len(), 20, "after_insert per stored row");

        more[5].name = "fail-before-insert".into();
        more.iter_mut().for_each(|m| m.email = m.email.replace('R', "S"));
        let err = Member::insert_batch(&mut conn, &more).unwrap_err();
        assert!(matches!(err, Error::InvalidRow { index: 5, .. }), "{err:?}");
        more[5].name = "r5".into();
        more[7].name = "fail-after-insert".into();
        assert!(Member::insert_batch_returning(&mut conn, &more).is_err());
        assert_eq!(Member::count(&mut conn)?, 60, "nothing of the failed batches was kept");
        assert_eq!(actions(&mut conn)?.len(), 20);
        Ok(())
    }
}
