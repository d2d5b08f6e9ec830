//! Referential actions declared in `model!` (`fk(Model) on_delete(..)`) on
//! both backends: the DDL, what the database does on delete (cascade, set
//! NULL, restrict), introspection, drift and generated migrations.

mod common;

use glowplug::prelude::*;
use glowplug::schema::{self, Difference, Schema};
use glowplug::{Backend, ModelMeta, OnDelete};

glowplug::model! {
    pub Shelf as shelves { id: pk, label: text }
    pub Reader { id: pk, name: text }
    pub Keeper { id: pk, name: text }

    pub Book {
        id: pk,
        title: text,
        shelf_id: bigint fk(Shelf) on_delete(cascade),
        // Modifiers in any order.
        reader_id: bigint on_delete(set_null) index fk(Reader) null,
        keeper_id: bigint null on_delete(restrict) fk(Keeper),
    }
}

/// `books` before any action was declared.
mod v0 {
    use super::{Keeper, Reader, Shelf};
    glowplug::model! {
        pub Book {
            id: pk,
            title: text,
            shelf_id: bigint fk(Shelf),
            reader_id: bigint null index fk(Reader),
            keeper_id: bigint null fk(Keeper),
        }
    }
}

const MODELS: &[ModelMeta] = &[Shelf::META, Reader::META, Keeper::META, Book::META];
const TABLES: &[&str] = &["shelves", "readers", "keepers", "books"];

/// The live tables of this file (the harness's own left out).
fn live(conn: &mut glowplug::PooledConnection) -> glowplug::Result<Schema> {
    common::live_tables(conn, TABLES)
}

#[track_caller]
fn assert_no_drift(conn: &mut glowplug::PooledConnection, models: &[ModelMeta]) {
    common::assert_no_drift(conn, TABLES, models)
}

#[test]
fn the_metadata_and_ddl_carry_the_action() {
    let action = |name: &str| {
        Book::META
            .column(name)
            .unwrap()
            .foreign_key
            .unwrap()
            .on_delete
    };
    assert_eq!(action("shelf_id"), OnDelete::Cascade);
    assert_eq!(action("reader_id"), OnDelete::SetNull);
    assert_eq!(action("keeper_id"), OnDelete::Restrict);
    assert_eq!(
        v0::Book::META
            .column("shelf_id")
            .unwrap()
            .foreign_key
            .unwrap()
            .on_delete,
        OnDelete::NoAction
    );
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let sql = schema::create_sql(backend, MODELS).unwrap();
        assert!(
            sql.contains("shelf_id BIGINT NOT NULL REFERENCES shelves (id) ON DELETE CASCADE"),
            "{sql}"
        );
        assert!(
            sql.contains("reader_id BIGINT REFERENCES readers (id) ON DELETE SET NULL"),
            "{sql}"
        );
        assert!(
            sql.contains("keeper_id BIGINT REFERENCES keepers (id) ON DELETE RESTRICT"),
            "{sql}"
        );
        let plain = schema::create_sql(
            backend,
            &[Shelf::META, Reader::META, Keeper::META, v0::Book::META],
        )
        .unwrap();
        assert!(!plain.contains("ON DELETE"), "{plain}");
    }
}

backend_tests! {
    fn the_database_applies_each_action(db) {
        let mut conn = db.get()?;
        schema::create_all(&mut conn, MODELS)?;
        assert_no_drift(&mut conn, MODELS);
        let shelf = NewShelf { label: "a".into() }.insert(&mut conn)?;
        let other = NewShelf { label: "b".into() }.insert(&mut conn)?;
        let reader = NewReader { name: "ada".into() }.insert(&mut conn)?;
        let keeper = NewKeeper { name: "kim".into() }.insert(&mut conn)?;
        let book = |title: &str, shelf_id: i64| NewBook { title: title.into(), shelf_id, reader_id: None, keeper_id: None };
        let lent = NewBook { reader_id: Some(reader.id), ..book("lent", other.id) }.insert(&mut conn)?;
        let kept = NewBook { keeper_id: Some(keeper.id), ..book("kept", other.id) }.insert(&mut conn)?;
        book("x", shelf.id).insert(&mut conn)?;
        book("y", shelf.id).insert(&mut conn)?;
        assert_eq!(Book::count(&mut conn)?, 4);

        // cascade: the shelf's books go with it.
        shelf.delete(&mut conn)?;
        let left: Vec<String> = Book::all(&mut conn)?.into_iter().map(|b| b.title).collect();
        assert_eq!(left.len(), 2);
        assert!(left.contains(&"lent".to_owned()) && left.contains(&"kept".to_owned()));

        // set_null: the book stays, without its reader.
        reader.delete(&mut conn)?;
        assert_eq!(Book::find(&mut conn, lent.id)?.reader_id, None);

        // restrict: the keeper cannot go while a book names it.
        let refused = keeper.delete(&mut conn).unwrap_err();
        assert!(matches!(refused, glowplug::Error::ForeignKeyViolation { .. }), "{refused:?}");
        assert_eq!(Keeper::count(&mut conn)?, 1);
        Book::find(&mut conn, kept.id)?.delete(&mut conn)?;
        keeper.delete(&mut conn)?;
        Ok(())
    }

    fn introspection_drift_and_migrations_see_the_action(db) {
        let backend = db.backend();
        let mut conn = db.get()?;
        let v0_models = [Shelf::META, Reader::META, Keeper::META, v0::Book::META];
        schema::create_all(&mut conn, &v0_models)?;
        assert_no_drift(&mut conn, &v0_models);
        let read = live(&mut conn)?;
        let keys = &read.table("books").unwrap().foreign_keys;
        assert!(keys.iter().all(|k| k.on_delete == OnDelete::NoAction), "{keys:?}");

        // The declared actions are drift: each key is missing with its action, and extra without.
        let differences = schema::compare(&Schema::from_models(MODELS), &read);
        let text = Difference::list(&differences);
        assert_eq!(differences.len(), 6, "{text}");
        assert!(text.contains("foreign key (shelf_id) → shelves (id) on delete cascade is missing"), "{text}");
        assert!(text.contains("foreign key (reader_id) → readers (id) on delete set null is missing"), "{text}");

        // The generated migration applies them, and its down removes them.
        let change = schema::migration_sql(backend, &Schema::from_models(MODELS), &read);
        assert!(change.up.contains("ON DELETE CASCADE"), "{}", change.up);
        assert!(change.up.contains("ON DELETE SET NULL"), "{}", change.up);
        assert!(change.up.contains("ON DELETE RESTRICT"), "{}", change.up);
        conn.backend_connection().batch_execute(&change.up)?;
        assert_no_drift(&mut conn, MODELS);
        let read = live(&mut conn)?;
        let action = |column: &str| {
            read.table("books").unwrap().foreign_keys.iter().find(|k| k.columns == [column]).unwrap().on_delete
        };
        assert_eq!(
            (action("shelf_id"), action("reader_id"), action("keeper_id")),
            (OnDelete::Cascade, OnDelete::SetNull, OnDelete::Restrict)
        );
        conn.backend_connection().batch_execute(&change.down)?;
        assert_no_drift(&mut conn, &v0_models);
        Ok(())
    }
}
