//! Model behaviours declared in `model!`: soft deletes (`soft_delete`) and
//! optimistic locking (`lock_version`), on both backends: what each read
//! and write does, the statements sent, and the schema tools (DDL,
//! introspection, drift, generated migrations).

mod common;

use glowplug::prelude::*;
use glowplug::schema::{self, Schema};
use glowplug::{Error, ModelMeta, SoftDelete};

glowplug::model! {
    pub Author {
        id: pk,
        name: text,
        has_many notes: Note by author_id,
        many_to_many pages: Page through author_pages(author_id, page_id),
        many_to_many docs: Doc through author_docs(author_id, doc_id),
    }

    pub Note {
        id: pk,
        author_id: bigint fk(Author),
        body: text,
        timestamps,
        soft_delete,
        belongs_to author: Author by author_id,
    }

    pub Doc { id: pk, title: text, lock_version }

    pub Page { id: pk, lock_version, title: text, soft_delete }

    pub Setting { id: pk, key: text unique, value: text, lock_version, soft_delete }

    /// `timestamptz` columns throughout: `deleted_at` too.
    pub Memo { id: pk, body: text, timestamps(tz), soft_delete(tz) }

    /// Pairs authors with pages (which soft-delete) and docs (which do not).
    pub AuthorPage { id: pk, author_id: bigint fk(Author), page_id: bigint fk(Page), unique(author_id, page_id) }
    pub AuthorDoc { id: pk, author_id: bigint fk(Author), doc_id: bigint fk(Doc), unique(author_id, doc_id) }
}

/// `notes` and `docs` before the behaviours were declared.
mod v0 {
    use super::Author;
    glowplug::model! {
        pub Note { id: pk, author_id: bigint fk(Author), body: text, timestamps }
        pub Doc { id: pk, title: text }
    }
}

const MODELS: &[ModelMeta] = &[
    Author::META,
    Note::META,
    Doc::META,
    Page::META,
    Setting::META,
    AuthorPage::META,
    AuthorDoc::META,
    Memo::META,
];
const TABLES: &[&str] = &[
    "authors",
    "notes",
    "docs",
    "pages",
    "author_pages",
    "author_docs",
];

/// Ada with notes "a", "b", "c" (ids in that order), and Bob with "d".
fn seed(conn: &mut glowplug::PooledConnection) -> glowplug::Result<(Author, Author, Vec<Note>)> {
    schema::create_all(conn, MODELS)?;
    let ada = NewAuthor::new("ada").insert(conn)?;
    let bob = NewAuthor::new("bob").insert(conn)?;
    let mut notes = Vec::new();
    for (author, body) in [(&ada, "a"), (&ada, "b"), (&ada, "c"), (&bob, "d")] {
        notes.push(NewNote::new(author.id, body).insert(conn)?);
    }
    Ok((ada, bob, notes))
}

fn bodies(notes: &[Note]) -> Vec<&str> {
    let mut bodies: Vec<&str> = notes.iter().map(|n| n.body.as_str()).collect();
    bodies.sort();
    bodies
}

#[test]
fn the_metadata_declares_the_managed_columns() {
    let deleted_at = Note::META.column("deleted_at").unwrap();
    assert!(deleted_at.nullable && deleted_at.managed);
    assert_eq!(deleted_at.sql_type, glowplug::ColumnType::Timestamp);
    assert!(Note::META.soft_delete() && !Note::META.lock_version());
    let version = Doc::META.column("lock_version").unwrap();
    assert!(!version.nullable && version.managed);
    assert_eq!(
        (version.sql_type.clone(), version.default),
        (glowplug::ColumnType::Integer, Some("0"))
    );
    assert!(Doc::META.lock_version() && !Doc::META.soft_delete());
    assert!(Page::META.lock_version() && Page::META.soft_delete());
    assert!(!Author::META.soft_delete() && !Author::META.lock_version());
    for backend in [glowplug::Backend::Sqlite, glowplug::Backend::Postgres] {
        let sql = schema::create_sql(backend, MODELS).unwrap();
        assert!(sql.contains("deleted_at TIMESTAMP"), "{sql}");
        assert!(!sql.contains("deleted_at TIMESTAMP NOT NULL"), "{sql}");
        assert!(
            sql.contains("lock_version INTEGER NOT NULL DEFAULT 0"),
            "{sql}"
        );
    }
}

backend_tests! {
    fn delete_sets_deleted_at_and_every_read_skips_the_row(db) {
        let mut conn = db.get()?;
        let (ada, _bob, notes) = seed(&mut conn)?;
        let queries = glowplug::QueryRecorder::start();
        notes[1].delete(&mut conn)?;
        let sent = queries.take();
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert!(sent[0].sql.starts_with("UPDATE") && sent[0].sql.contains("deleted_at"), "{sent:?}");
        // A second delete finds no live row.
        assert!(notes[1].delete(&mut conn).unwrap_err().is_not_found());
        queries.take();

        assert_eq!(bodies(&Note::all(&mut conn)?), ["a", "c", "d"]);
        assert_eq!(Note::count(&mut conn)?, 3);
        assert!(Note::find(&mut conn, notes[1].id).unwrap_err().is_not_found());
        assert!(Note::find_optional(&mut conn, notes[1].id)?.is_none());
        assert_eq!(Note::find(&mut conn, notes[0].id)?.body, "a");
        assert!(Note::find_by_optional(&mut conn, notes::body.eq("b"))?.is_none());
        assert_eq!(Note::first(&mut conn)?.unwrap().body, "a");
        assert_eq!(Note::filter(notes::author_id.eq(ada.id)).count(&mut conn)?, 2);
        assert!(!Note::filter(notes::body.eq("b")).exists(&mut conn)?);
        let live: Vec<String> = Note::scope().order(notes::id.asc()).pluck(&mut conn, notes::body)?;
        assert_eq!(live, ["a", "c", "d"]);
        assert_eq!(Note::scope().order(notes::id.asc()).last(&mut conn)?.unwrap().body, "d");
        assert_eq!(Note::fetch(&mut conn, Note::query().order(notes::id))?.len(), 3);
        let page = Note::paginate(&mut conn, Note::query().order(notes::id), 1, 2)?;
        assert_eq!((bodies(&page.items), page.total, page.pages), (vec!["a", "c"], 3, 2));
        // One statement each, no extra round trip for the filter.
        assert_eq!(queries.count(), 14);
        // The deleted row is still stored.
        assert_eq!(Note::with_deleted().count(&mut conn)?, 4);
        Ok(())
    }

    fn relations_and_counts_skip_deleted_targets(db) {
        let mut conn = db.get()?;
        let (ada, bob, notes) = seed(&mut conn)?;
        notes[0].delete(&mut conn)?;
        notes[3].delete(&mut conn)?;
        let queries = glowplug::QueryRecorder::start();

        let authors = Author::fetch(&mut conn, Author::query().order(authors::id))?
            .load(&mut conn, Author::NOTES)?;
        let sent = queries.take();
        assert_eq!(sent.len(), 2, "authors, then their live notes");
        // The notes' statement is the SQL diesel writes for the live notes of these authors.
        let live_notes = Note::query().filter(notes::author_id.eq_any(vec![ada.id, bob.id]));
        let diesel_sql = match conn.backend() {
            glowplug::Backend::Sqlite => diesel::debug_query::<diesel::sqlite::Sqlite, _>(&live_notes).to_string(),
            _ => diesel::debug_query::<diesel::pg::Pg, _>(&live_notes).to_string(),
        };
        assert_eq!(Some(sent.sql()[1]), diesel_sql.split(" -- binds:").next());
        assert_eq!(bodies(authors[0].get(Author::NOTES)), ["b", "c"]);
        assert!(authors[1].get(Author::NOTES).is_empty());

        assert_eq!(bodies(&ada.notes(&mut conn)?), ["b", "c"], "a lazy load");
        assert!(bob.notes(&mut conn)?.is_empty());
        let counted = Author::scope().order(authors::id.asc()).with_count(&mut conn, Author::NOTES)?;
        let counts: Vec<i64> = counted.iter().map(|(_, n)| *n).collect();
        assert_eq!(counts, [2, 0]);
        assert_eq!(queries.count(), 3);

        // The other way: a deleted note is not loaded from its author either.
        let live = Note::all(&mut conn)?.load(&mut conn, Note::AUTHOR)?;
        assert_eq!(live.len(), 2);
        assert!(live.iter().all(|n| n.get(Note::AUTHOR).name == "ada"));
        Ok(())
    }

    fn many_to_many_counts_skip_deleted_targets_and_count_pairs_otherwise(db) {
        let mut conn = db.get()?;
        let (ada, bob, _notes) = seed(&mut conn)?;
        let pages: Vec<Page> = ["p1", "p2", "p3"].iter().map(|t| NewPage::new(*t).insert(&mut conn)).collect::<Result<_, _>>()?;
        let docs: Vec<Doc> = ["d1", "d2"].iter().map(|t| NewDoc::new(*t).insert(&mut conn)).collect::<Result<_, _>>()?;
        for page in &pages {
            NewAuthorPage::new(ada.id, page.id).insert(&mut conn)?;
        }
        NewAuthorPage::new(bob.id, pages[2].id).insert(&mut conn)?;
        for doc in &docs {
            NewAuthorDoc::new(ada.id, doc.id).insert(&mut conn)?;
        }
        pages[2].delete(&mut conn)?;

        let queries = glowplug::QueryRecorder::start();
        let counted = Author::scope().order(authors::id.asc()).with_count(&mut conn, Author::PAGES)?;
        let counts: Vec<i64> = counted.iter().map(|(_, n)| *n).collect();
        assert_eq!(counts, [2, 0], "the deleted page is not counted");
        let counted = Author::scope().order(authors::id.asc()).with_count(&mut conn, Author::DOCS)?;
        let counts: Vec<i64> = counted.iter().map(|(_, n)| *n).collect();
        assert_eq!(counts, [2, 0]);
        let sent = queries.take();
        assert_eq!(sent.len(), 2, "{sent:#?}");
        // Pages soft-delete: counted through `pages`, live ones only.
        assert!(sent[0].sql.contains("deleted_at") && sent[0].sql.contains("author_pages"), "{}", sent[0].sql);
        // Docs do not: the join rows alone, as a hand-written count reads them.
        let docs_count = &sent[1].sql;
        assert!(docs_count.contains("FROM \"author_docs\"") || docs_count.contains("FROM `author_docs`"), "{docs_count}");
        assert!(!docs_count.contains("FROM \"docs\"") && !docs_count.contains("FROM `docs`"), "{docs_count}");

        // The counts agree with what the relation loads.
        assert_eq!(ada.pages(&mut conn)?.len(), 2);
        assert_eq!(ada.docs(&mut conn)?.len(), 2);
        Ok(())
    }

    fn soft_delete_tz_keeps_deleted_at_as_an_instant(db) {
        let mut conn = db.get()?;
        schema::create_all(&mut conn, MODELS)?;
        let column = Memo::META.column("deleted_at").unwrap();
        assert_eq!((column.sql_type.clone(), column.nullable), (glowplug::ColumnType::TimestampTz, true));
        let live = common::live_tables(&mut conn, &["memos"])?;
        assert_eq!(live.tables[0].column("deleted_at").unwrap().ty, glowplug::ColumnType::TimestampTz);
        common::assert_no_drift(&mut conn, &["memos"], &[Memo::META]);

        let before = chrono::Utc::now() - chrono::Duration::seconds(1);
        let mut first = NewMemo::new("first").insert(&mut conn)?;
        let second = NewMemo::new("second").insert(&mut conn)?;
        let kept = NewMemo::new("kept").insert(&mut conn)?;
        first.delete(&mut conn)?;
        std::thread::sleep(std::time::Duration::from_millis(5));
        second.delete(&mut conn)?;
        let after = chrono::Utc::now() + chrono::Duration::seconds(1);

        assert_eq!(Memo::count(&mut conn)?, 1);
        assert_eq!(Memo::first(&mut conn)?.unwrap().id, kept.id);
        // Stored as instants that sort by time (on SQLite, as text).
        let deleted = Memo::only_deleted().order(memos::deleted_at.desc()).all(&mut conn)?;
        let bodies: Vec<&str> = deleted.iter().map(|m| m.body.as_str()).collect();
        assert_eq!(bodies, ["second", "first"]);
        let at: glowplug::UtcDateTime = deleted[1].deleted_at.unwrap();
        assert!(before <= *at && *at <= after, "{at}");
        assert_eq!(deleted[1].deleted_at(), Some(at));
        assert!(deleted[0].deleted_at.unwrap() > at);
        // A filter on the instant.
        assert_eq!(Memo::only_deleted().filter(memos::deleted_at.gt(at)).count(&mut conn)?, 1);

        first.restore(&mut conn)?;
        assert!(first.deleted_at.is_none() && !first.is_deleted());
        assert_eq!(Memo::count(&mut conn)?, 2);
        assert_eq!(Memo::only_deleted().restore_all(&mut conn)?, 1);
        assert_eq!(Memo::scope().delete_all(&mut conn)?, 3);
        assert_eq!(Memo::only_deleted().count(&mut conn)?, 3);
        Ok(())
    }

    fn with_deleted_only_deleted_restore_and_force_delete(db) {
        let mut conn = db.get()?;
        let (ada, _bob, notes) = seed(&mut conn)?;
        let mut b = notes[1].clone();
        b.delete(&mut conn)?;
        notes[2].delete(&mut conn)?;

        assert_eq!(Note::with_deleted().count(&mut conn)?, 4);
        let all = Note::with_deleted().filter(notes::author_id.eq(ada.id)).order(notes::id.asc()).all(&mut conn)?;
        assert_eq!(bodies(&all), ["a", "b", "c"]);
        assert!(!all[0].is_deleted() && all[1].is_deleted() && all[1].deleted_at.is_some());
        let deleted: Vec<String> = Note::only_deleted().order(notes::id.asc()).pluck(&mut conn, notes::body)?;
        assert_eq!(deleted, ["b", "c"]);
        assert_eq!(Note::only_deleted().first(&mut conn)?.unwrap().body, "b");
        assert!(Note::only_deleted().filter(notes::body.eq("a")).first(&mut conn)?.is_none());
        // A join on a with_deleted scope.
        let names: Vec<String> = Note::only_deleted().inner_join(authors::table).pluck(&mut conn, authors::name)?;
        assert_eq!(names, ["ada", "ada"]);

        let queries = glowplug::QueryRecorder::start();
        b.restore(&mut conn)?;
        assert_eq!(queries.count(), 2, "the UPDATE, then the reload");
        assert!(!b.is_deleted());
        assert!(b.updated_at >= notes[1].updated_at);
        assert_eq!(Note::find(&mut conn, b.id)?.body, "b");
        assert!(b.restore(&mut conn).unwrap_err().is_not_found(), "a live row is not restored");
        assert!(!Note::restore_by_id(&mut conn, notes[0].id)?);

        notes[2].force_delete(&mut conn)?;
        assert_eq!(Note::with_deleted().count(&mut conn)?, 3);
        assert!(Note::only_deleted().first(&mut conn)?.is_none());
        notes[0].force_delete(&mut conn)?;
        assert!(notes[0].force_delete(&mut conn).unwrap_err().is_not_found());
        assert_eq!(bodies(&Note::with_deleted().all(&mut conn)?), ["b", "d"]);
        Ok(())
    }

    fn scope_writes_reach_live_rows_only(db) {
        let mut conn = db.get()?;
        let (ada, _bob, notes) = seed(&mut conn)?;
        notes[0].delete(&mut conn)?;
        let queries = glowplug::QueryRecorder::start();

        // update_all leaves the deleted row alone.
        assert_eq!(Note::filter(notes::author_id.eq(ada.id)).update_all(&mut conn, notes::body.eq("x"))?, 2);
        let stored: Vec<String> = Note::with_deleted().order(notes::id.asc()).pluck(&mut conn, notes::body)?;
        assert_eq!(stored, ["a", "x", "x", "d"]);

        // delete_all soft-deletes the live matches, in one UPDATE.
        queries.take();
        assert_eq!(Note::filter(notes::author_id.eq(ada.id)).delete_all(&mut conn)?, 2);
        let sent = queries.take();
        assert!(sent.len() == 1 && sent[0].sql.starts_with("UPDATE"), "{sent:?}");
        assert_eq!(bodies(&Note::all(&mut conn)?), ["d"]);
        assert_eq!(Note::with_deleted().count(&mut conn)?, 4);
        assert_eq!(Note::only_deleted().count(&mut conn)?, 3);
        // The rows deleted earlier keep their first deleted_at.
        let first = Note::with_deleted().filter(notes::id.eq(notes[0].id)).first(&mut conn)?.unwrap();
        let later = Note::with_deleted().filter(notes::id.eq(notes[1].id)).first(&mut conn)?.unwrap();
        assert!(first.deleted_at <= later.deleted_at);
        Ok(())
    }

    fn deleted_scopes_update_restore_and_force_delete(db) {
        let mut conn = db.get()?;
        let (ada, _bob, notes) = seed(&mut conn)?;
        notes[0].delete(&mut conn)?;
        notes[3].delete(&mut conn)?;
        let of_ada = || notes::author_id.eq(ada.id);
        let stored = |conn: &mut glowplug::PooledConnection| -> glowplug::Result<Vec<String>> {
            Note::with_deleted().order(notes::id.asc()).pluck(conn, notes::body)
        };
        let queries = glowplug::QueryRecorder::start();

        // update_all on with_deleted reaches every match, on only_deleted the deleted ones.
        assert_eq!(Note::with_deleted().filter(of_ada()).update_all(&mut conn, notes::body.eq("x"))?, 3);
        assert_eq!(Note::only_deleted().update_all(&mut conn, notes::body.eq("gone"))?, 2);
        assert_eq!(queries.count(), 2, "one UPDATE each");
        assert_eq!(stored(&mut conn)?, ["gone", "x", "x", "gone"]);
        assert_eq!(Note::count(&mut conn)?, 2, "nothing deleted or restored");

        // delete_all on with_deleted soft-deletes the live matches; rows
        // deleted before keep their deleted_at.
        let deleted_at = |conn: &mut glowplug::PooledConnection, id| -> glowplug::Result<_> {
            Ok(Note::with_deleted().filter(notes::id.eq(id)).first(conn)?.unwrap().deleted_at)
        };
        let first = deleted_at(&mut conn, notes[0].id)?;
        assert_eq!(Note::with_deleted().filter(of_ada()).delete_all(&mut conn)?, 2);
        assert_eq!(deleted_at(&mut conn, notes[0].id)?, first);
        assert_eq!(Note::count(&mut conn)?, 0);

        // restore_all clears deleted_at of the deleted matches only.
        queries.take();
        assert_eq!(Note::only_deleted().filter(of_ada()).restore_all(&mut conn)?, 3);
        let sent = queries.take();
        assert!(sent.len() == 1 && sent[0].sql.starts_with("UPDATE"), "{sent:?}");
        assert_eq!(Note::with_deleted().filter(of_ada()).restore_all(&mut conn)?, 0, "live already");
        assert_eq!(bodies(&Note::all(&mut conn)?), ["gone", "x", "x"]);
        let restored = Note::find(&mut conn, notes[0].id)?;
        assert!(restored.deleted_at.is_none() && restored.updated_at >= notes[0].updated_at);
        assert_eq!(Note::only_deleted().count(&mut conn)?, 1, "bob's note stays deleted");

        // force_delete_all: on only_deleted the trash, for good.
        Note::filter(notes::id.eq(notes[1].id)).delete_all(&mut conn)?;
        queries.take();
        assert_eq!(Note::only_deleted().force_delete_all(&mut conn)?, 2);
        let sent = queries.take();
        assert!(sent.len() == 1 && sent[0].sql.starts_with("DELETE"), "{sent:?}");
        let left: Vec<i64> = Note::with_deleted().order(notes::id.asc()).pluck(&mut conn, notes::id)?;
        assert_eq!(left, [notes[0].id, notes[2].id]);
        // On a plain scope the live matches, on with_deleted every match.
        notes[2].delete(&mut conn)?;
        assert_eq!(Note::filter(of_ada()).force_delete_all(&mut conn)?, 1);
        let trash: Vec<i64> = Note::only_deleted().pluck(&mut conn, notes::id)?;
        assert_eq!(trash, [notes[2].id]);
        let bob_note = NewNote::new(notes[3].author_id, "e").insert(&mut conn)?;
        assert_eq!(Note::with_deleted().force_delete_all(&mut conn)?, 2);
        assert_eq!(Note::with_deleted().count(&mut conn)?, 0);
        assert!(Note::find_optional(&mut conn, bob_note.id)?.is_none());
        // A filter that matches nothing writes nothing.
        assert_eq!(Note::only_deleted().filter(notes::body.eq("none")).restore_all(&mut conn)?, 0);
        assert_eq!(Note::with_deleted().filter(notes::body.eq("none")).update_all(&mut conn, notes::body.eq("y"))?, 0);
        Ok(())
    }

    fn a_stale_save_writes_nothing(db) {
        let mut conn = db.get()?;
        schema::create_all(&mut conn, MODELS)?;
        let mut first = NewDoc::new("draft").insert(&mut conn)?;
        assert_eq!(first.lock_version, 0);
        let mut second = Doc::find(&mut conn, first.id)?;

        first.title = "one".into();
        first.save(&mut conn)?;
        assert_eq!(first.lock_version, 1, "bumped in memory");
        assert_eq!(Doc::find(&mut conn, first.id)?.lock_version, 1, "and in the database");

        second.title = "two".into();
        let queries = glowplug::QueryRecorder::start();
        let err = second.save(&mut conn).unwrap_err();
        assert!(matches!(&err, Error::StaleRow { model: "Doc", id } if *id == first.id.to_string()), "{err:?}");
        assert!(err.to_string().contains("reload"), "{err}");
        assert_eq!(queries.count(), 2, "the UPDATE that matched nothing, then the check that the row exists");
        assert_eq!((second.title.as_str(), second.lock_version), ("two", 0), "unchanged on error");
        let stored = Doc::find(&mut conn, first.id)?;
        assert_eq!((stored.title.as_str(), stored.lock_version), ("one", 1), "nothing written");

        // update() checks the version too.
        let err = second.update(&mut conn, DocChanges { title: Some("three".into()) }).unwrap_err();
        assert!(matches!(err, Error::StaleRow { .. }), "{err:?}");
        assert_eq!(Doc::find(&mut conn, first.id)?.title, "one");

        // Reload and retry: it goes through.
        second.reload(&mut conn)?;
        second.update(&mut conn, DocChanges { title: Some("three".into()) })?;
        assert_eq!((second.title.as_str(), second.lock_version), ("three", 2));
        // A row that is gone is NotFound, not stale.
        Doc::find(&mut conn, first.id)?.delete(&mut conn)?;
        assert!(second.save(&mut conn).unwrap_err().is_not_found());
        Ok(())
    }

    fn both_behaviours_on_one_model(db) {
        let mut conn = db.get()?;
        schema::create_all(&mut conn, MODELS)?;
        let mut page = NewPage::new("p").insert(&mut conn)?;
        let mut copy = page.clone();
        page.title = "q".into();
        page.save(&mut conn)?;
        assert!(matches!(copy.save(&mut conn).unwrap_err(), Error::StaleRow { .. }));
        page.delete(&mut conn)?;
        assert_eq!(Page::count(&mut conn)?, 0);
        page.restore(&mut conn)?;
        assert_eq!((page.title.as_str(), page.lock_version), ("q", 1));
        copy.reload(&mut conn)?;
        copy.title = "r".into();
        copy.save(&mut conn)?;
        assert_eq!(copy.lock_version, 2);
        Ok(())
    }

    fn an_upsert_bumps_the_version_and_keeps_the_deletion(db) {
        let mut conn = db.get()?;
        schema::create_all(&mut conn, MODELS)?;
        let mut stale = NewSetting::new("k", "v1").insert(&mut conn)?;
        let upserted = NewSetting::new("k", "v2").upsert(&mut conn, settings::key)?;
        assert_eq!((upserted.id, upserted.value.as_str(), upserted.lock_version), (stale.id, "v2", 1));
        stale.value = "v3".into();
        assert!(matches!(stale.save(&mut conn).unwrap_err(), Error::StaleRow { .. }), "the copy read before the upsert is stale");

        // An upsert onto a soft-deleted row leaves it deleted.
        upserted.delete(&mut conn)?;
        NewSetting::new("k", "v4").upsert(&mut conn, settings::key)?;
        assert_eq!(Setting::count(&mut conn)?, 0);
        let stored = Setting::only_deleted().first(&mut conn)?.unwrap();
        assert_eq!((stored.value.as_str(), stored.lock_version), ("v4", 2));
        Ok(())
    }

    fn introspection_drift_and_migrations_see_the_columns(db) {
        let backend = db.backend();
        let mut conn = db.get()?;
        let v0_models = [Author::META, v0::Note::META, v0::Doc::META];
        schema::create_all(&mut conn, &v0_models)?;
        let models = [Author::META, Note::META, Doc::META];
        let read = common::live_tables(&mut conn, TABLES)?;
        let differences = schema::compare(&Schema::from_models(&models), &read);
        let text = schema::Difference::list(&differences);
        assert_eq!(differences.len(), 2, "{text}");
        assert!(text.contains("deleted_at") && text.contains("lock_version"), "{text}");

        let change = schema::migration_sql(backend, &Schema::from_models(&models), &read);
        conn.backend_connection().batch_execute(&change.up)?;
        common::assert_no_drift(&mut conn, TABLES, &models);
        // Rows that existed before the migration are live, at version 0.
        let doc = NewDoc::new("d").insert(&mut conn)?;
        assert_eq!(doc.lock_version, 0);
        conn.backend_connection().batch_execute(&change.down)?;
        common::assert_no_drift(&mut conn, TABLES, &v0_models);
        Ok(())
    }
}
