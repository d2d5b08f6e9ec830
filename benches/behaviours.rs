//! The paths the model behaviours add (`soft_delete`, `lock_version`,
//! `with_count`), against the same statements hand-written in diesel on a
//! concrete connection, in one run.
//!
//! Sides, per backend (`<backend>/behaviours/<operation>/<side>`):
//!
//! * `soft_all`: `Note::all` (1 000 notes, 100 of them soft-deleted) against
//!   `notes.filter(deleted_at.is_null()).select(cols).load`;
//! * `soft_find`: `Note::find` against `notes.filter(deleted_at.is_null())
//!   .filter(id.eq(..)).select(cols).get_result`;
//! * `soft_count`: `Note::filter(author_id.eq(..)).count` against the same
//!   filter with `deleted_at IS NULL` and `.count().get_result`;
//! * `locked_save` / `locked_update`: `Doc::save` and `Doc::update` of a
//!   `lock_version` model (one `UPDATE … SET …, lock_version =
//!   lock_version + 1 WHERE id = ? AND lock_version = ? RETURNING …`) against
//!   `update(docs.find(id).filter(lock_version.eq(v))).set((title, lock_version + 1)).execute`
//!   with its row count checked (a diesel user's optimistic lock), and
//!   `locked_update/diesel_returning`, the same `UPDATE` with `RETURNING`
//!   every column read into a `Doc`, as glowplug sends it;
//! * `upsert_ignore` / `upsert_update`: `NewSetting::insert_or_ignore` and
//!   `NewSetting::upsert` on the key `settings.key`, which always exists
//!   (`INSERT … ON CONFLICT ("key") DO NOTHING` or `DO UPDATE SET "key" =
//!   excluded."key", "value" = excluded."value"`, `RETURNING` every
//!   column), against the same statements built with diesel's
//!   `on_conflict(..).do_nothing()` / `.do_update().set(..)` and
//!   `returning(..)`;
//! * `count_has_many` / `count_many_to_many`: `Author::scope().order(id)
//!   .with_count(Author::NOTES | Author::TAGS)` on 100 authors (a correlated
//!   subquery per row) against diesel's `LEFT JOIN … GROUP BY authors.id`
//!   with `COUNT(notes.id)` (live notes only, in the `ON`) or
//!   `COUNT(author_tags.tag_id)`, and against the query glowplug sends
//!   written by hand (`diesel_subquery`: `SELECT authors.*, (SELECT
//!   COUNT(*) FROM notes WHERE author_id = authors.id AND deleted_at IS
//!   NULL) …`).
//!
//! The glowplug side runs on the pool's connection (`Database::get`), the
//! diesel side on a plain `SqliteConnection`/`PgConnection` to the same
//! database. SQLite runs on a temporary file; PostgreSQL in the schema
//! `glowplug_bench_behaviours` of the database named by `PG_DATABASE_URL`
//! (skipped with a line on stdout when no server answers).
//!
//! Run with `cargo bench --bench behaviours`; results are in BENCHMARKS.md.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use glowplug::prelude::*;

#[path = "../tests/common/setup.rs"]
#[allow(dead_code)]
mod setup;

use setup::pg_bench_schema;

glowplug::model! {
    pub Author {
        id: pk,
        name: text,
        has_many notes: Note by author_id,
        many_to_many tags: Tag through author_tags(author_id, tag_id),
    }

    pub Note {
        id: pk,
        author_id: bigint fk(Author) index,
        body: text,
        soft_delete,
        belongs_to author: Author by author_id,
    }

    pub Tag { id: pk, name: text }

    pub AuthorTag {
        id: pk,
        author_id: bigint fk(Author) index,
        tag_id: bigint fk(Tag),
        belongs_to author: Author by author_id,
        belongs_to tag: Tag by tag_id,
    }

    pub Doc { id: pk, title: text, lock_version }

    pub Setting { id: pk, key: text unique, value: text }
}

const MODELS: &[glowplug::ModelMeta] = &[
    Author::META,
    Note::META,
    Tag::META,
    AuthorTag::META,
    Doc::META,
    Setting::META,
];
const AUTHORS: i64 = 100;
const NOTES_PER_AUTHOR: i64 = 10;
const TAGS: i64 = 20;

/// 100 authors with 10 notes each (every tenth note soft-deleted), 20 tags
/// with 3 per author, and one doc; not measured.
fn seed(conn: &mut glowplug::PooledConnection) {
    glowplug::schema::create_all(conn, MODELS).expect("create the tables");
    let mut notes = 0;
    for t in 0..TAGS {
        NewTag::new(format!("tag{t}")).insert(conn).expect("a tag");
    }
    for a in 0..AUTHORS {
        let author = NewAuthor::new(format!("author{a}"))
            .insert(conn)
            .expect("an author");
        for _ in 0..NOTES_PER_AUTHOR {
            let note = NewNote::new(author.id, format!("note {notes}"))
                .insert(conn)
                .expect("a note");
            if notes % 10 == 0 {
                note.delete(conn).expect("a soft delete");
            }
            notes += 1;
        }
        for k in 0..3 {
            let tag = (a + k * 7) % TAGS + 1;
            NewAuthorTag::new(author.id, tag)
                .insert(conn)
                .expect("a tag of the author");
        }
    }
    NewDoc::new("draft").insert(conn).expect("a doc");
    NewSetting::new("k", "v").insert(conn).expect("a setting");
}

/// `with_count` of `$relation` on every author, against the diesel query
/// `$diesel()`, after checking both give the same counts.
macro_rules! count_sides {
    ($group:ident, $pooled:ident, $conn:ident, $name:literal, $relation:expr, $diesel:ident, $subquery:ident) => {{
        let with_count = |pooled: &mut glowplug::PooledConnection| {
            let scope = Author::scope().order(authors::id.asc());
            scope.with_count(pooled, $relation).unwrap()
        };
        let b: Vec<(Author, i64)> = $diesel().load($conn).expect("diesel");
        assert_eq!(with_count($pooled), b, "same counts");
        assert_eq!(b.len(), AUTHORS as usize);
        let s: Vec<(Author, i64)> = $subquery().load($conn).expect("diesel");
        assert_eq!(s, b, "same counts");
        $group.bench_function(concat!($name, "/glowplug"), |bench| {
            bench.iter(|| black_box(with_count($pooled)))
        });
        $group.bench_function(concat!($name, "/diesel"), |bench| {
            bench.iter(|| black_box($diesel().load::<(Author, i64)>($conn).unwrap()))
        });
        $group.bench_function(concat!($name, "/diesel_subquery"), |bench| {
            bench.iter(|| black_box($subquery().load::<(Author, i64)>($conn).unwrap()))
        });
    }};
}

macro_rules! sides {
    ($c:ident, $backend:literal, $db:ident, $conn:ident) => {{
        let mut pooled = $db.get().expect("a pooled connection");
        let pooled = &mut pooled;
        let conn = &mut $conn;
        let mut group = $c.benchmark_group(concat!($backend, "/behaviours"));

        // (a) reads of a soft-delete model.
        let live = || {
            notes::table
                .filter(notes::deleted_at.is_null())
                .select(notes::all_columns)
        };
        let a = Note::all(pooled).expect("glowplug");
        let b: Vec<Note> = live().order(notes::id).load(conn).expect("diesel");
        assert_eq!((a.len(), a.len()), (b.len(), 900), "the live notes");
        group.bench_function("soft_all/glowplug", |bench| {
            bench.iter(|| black_box(Note::all(pooled).unwrap()))
        });
        group.bench_function("soft_all/diesel", |bench| {
            bench.iter(|| black_box(live().load::<Note>(conn).unwrap()))
        });

        let id = b[450].id;
        assert_eq!(Note::find(pooled, id).expect("glowplug"), b[450]);
        group.bench_function("soft_find/glowplug", |bench| {
            bench.iter(|| black_box(Note::find(pooled, id).unwrap()))
        });
        group.bench_function("soft_find/diesel", |bench| {
            bench.iter(|| {
                let q = live().filter(notes::id.eq(id));
                black_box(q.get_result::<Note>(conn).unwrap())
            })
        });

        let author = b[450].author_id;
        let counted = Note::filter(notes::author_id.eq(author)).count(pooled);
        assert_eq!(counted.expect("glowplug"), 9, "one of ten notes deleted");
        group.bench_function("soft_count/glowplug", |bench| {
            bench.iter(|| {
                black_box(
                    Note::filter(notes::author_id.eq(author))
                        .count(pooled)
                        .unwrap(),
                )
            })
        });
        group.bench_function("soft_count/diesel", |bench| {
            bench.iter(|| {
                let q = notes::table
                    .filter(notes::deleted_at.is_null())
                    .filter(notes::author_id.eq(author))
                    .count();
                black_box(q.get_result::<i64>(conn).unwrap())
            })
        });

        // (b) writes of a lock_version model. On SQLite each write side
        // starts from an emptied WAL, so no side pays for checkpointing
        // the writes before it (the seeding's, or the other side's).
        let settle = |conn: &mut glowplug::PooledConnection| {
            if $backend == "sqlite" {
                conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE)")
                    .expect("checkpoint");
            }
        };
        let mut doc = Doc::first(pooled).expect("glowplug").expect("the doc");
        settle(pooled);
        group.bench_function("locked_save/glowplug", |bench| {
            bench.iter(|| {
                doc.title = "saved".into();
                doc.save(pooled).unwrap();
                black_box(doc.lock_version)
            })
        });
        let (doc_id, mut version) = (doc.id, doc.lock_version);
        let write = |conn: &mut _, title: &str, version: &mut i32| {
            let target = docs::table
                .find(doc_id)
                .filter(docs::lock_version.eq(*version));
            let updated = diesel::update(target)
                .set((
                    docs::title.eq(title),
                    docs::lock_version.eq(docs::lock_version + 1),
                ))
                .execute(conn)
                .unwrap();
            assert_eq!(updated, 1, "not stale");
            *version += 1;
        };
        settle(pooled);
        group.bench_function("locked_save/diesel", |bench| {
            bench.iter(|| {
                write(&mut *conn, "saved", &mut version);
                black_box(version)
            })
        });
        doc.reload(pooled).expect("reload");
        assert_eq!(doc.lock_version, version, "both sides bumped the version");
        settle(pooled);
        group.bench_function("locked_update/glowplug", |bench| {
            bench.iter(|| {
                let changes = DocChanges {
                    title: Some("updated".into()),
                };
                doc.update(pooled, changes).unwrap();
                black_box(doc.lock_version)
            })
        });
        version = doc.lock_version;
        settle(pooled);
        group.bench_function("locked_update/diesel", |bench| {
            bench.iter(|| {
                write(&mut *conn, "updated", &mut version);
                black_box(version)
            })
        });
        // The same statement with `RETURNING` every column, read into a
        // `Doc`: what glowplug's `save`/`update` send to refresh the struct.
        let mut current = Doc::find(pooled, doc_id).expect("the doc");
        settle(pooled);
        group.bench_function("locked_update/diesel_returning", |bench| {
            bench.iter(|| {
                let target = docs::table
                    .find(doc_id)
                    .filter(docs::lock_version.eq(current.lock_version));
                current = diesel::update(target)
                    .set((
                        docs::title.eq("returned"),
                        docs::lock_version.eq(docs::lock_version + 1),
                    ))
                    .returning((docs::id, docs::title, docs::lock_version))
                    .get_result(&mut *conn)
                    .unwrap();
                black_box(current.lock_version)
            })
        });

        // (c) single-row upserts on an existing key.
        let setting = || NewSetting::new("k", "again");
        assert_eq!(
            setting().insert_or_ignore(pooled, settings::key).unwrap(),
            None
        );
        settle(pooled);
        group.bench_function("upsert_ignore/glowplug", |bench| {
            bench.iter(|| black_box(setting().insert_or_ignore(pooled, settings::key).unwrap()))
        });
        let values = || (settings::key.eq("k"), settings::value.eq("again"));
        settle(pooled);
        group.bench_function("upsert_ignore/diesel", |bench| {
            bench.iter(|| {
                let skipped: Option<Setting> = diesel::insert_into(settings::table)
                    .values(values())
                    .on_conflict(settings::key)
                    .do_nothing()
                    .returning(settings::all_columns)
                    .get_result(&mut *conn)
                    .optional()
                    .unwrap();
                black_box(skipped)
            })
        });
        assert_eq!(
            setting().upsert(pooled, settings::key).unwrap().value,
            "again"
        );
        settle(pooled);
        group.bench_function("upsert_update/glowplug", |bench| {
            bench.iter(|| black_box(setting().upsert(pooled, settings::key).unwrap()))
        });
        settle(pooled);
        group.bench_function("upsert_update/diesel", |bench| {
            bench.iter(|| {
                let stored: Setting = diesel::insert_into(settings::table)
                    .values(values())
                    .on_conflict(settings::key)
                    .do_update()
                    .set((
                        settings::key.eq(diesel::upsert::excluded(settings::key)),
                        settings::value.eq(diesel::upsert::excluded(settings::value)),
                    ))
                    .returning(settings::all_columns)
                    .get_result(&mut *conn)
                    .unwrap();
                black_box(stored)
            })
        });

        // (d) with_count against a left join and GROUP BY.
        let on = notes::author_id
            .eq(authors::id)
            .and(notes::deleted_at.is_null());
        let per_author = || {
            authors::table
                .left_join(notes::table.on(on))
                .group_by(authors::id)
                .select((
                    authors::all_columns,
                    diesel::dsl::count(notes::id.nullable()),
                ))
                .order(authors::id)
        };
        // The query glowplug sends, written by hand: a correlated count per author.
        let per_author_subquery = || {
            let live = notes::table
                .filter(notes::author_id.eq(authors::id))
                .filter(notes::deleted_at.is_null())
                .select(diesel::dsl::count_star())
                .single_value()
                .assume_not_null();
            authors::table
                .select((authors::all_columns, live))
                .order(authors::id)
        };
        count_sides!(
            group,
            pooled,
            conn,
            "count_has_many",
            Author::NOTES,
            per_author,
            per_author_subquery
        );
        let tagged = || {
            authors::table
                .left_join(author_tags::table.on(author_tags::author_id.eq(authors::id)))
                .group_by(authors::id)
                .select((
                    authors::all_columns,
                    diesel::dsl::count(author_tags::tag_id.nullable()),
                ))
                .order(authors::id)
        };
        let tagged_subquery = || {
            let pairs = author_tags::table
                .filter(author_tags::author_id.eq(authors::id))
                .select(diesel::dsl::count_star())
                .single_value()
                .assume_not_null();
            authors::table
                .select((authors::all_columns, pairs))
                .order(authors::id)
        };
        count_sides!(
            group,
            pooled,
            conn,
            "count_many_to_many",
            Author::TAGS,
            tagged,
            tagged_subquery
        );
        group.finish();
    }};
}

fn sqlite(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("bench.db").display().to_string();
    let db = Database::connect(&format!("sqlite://{path}")).expect("a pool");
    seed(&mut db.get().expect("a pooled connection"));
    let mut concrete = SqliteConnection::establish(&path).expect("a SQLite connection");
    // The settings glowplug's pool gives its connections, so writes compare like for like.
    concrete
        .batch_execute(
            "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
        )
        .expect("pragmas");
    sides!(c, "sqlite", db, concrete);
}

fn postgres(c: &mut Criterion) {
    let Some((_admin, url)) = pg_bench_schema("glowplug_bench_behaviours") else {
        return;
    };
    // Both sides commit without waiting for the flush to disk (a few
    // milliseconds here, which would hide the writes' own cost).
    let db = Database::builder(&url)
        .on_connect(|conn| {
            conn.batch_execute("SET synchronous_commit = off")?;
            Ok(())
        })
        .build()
        .expect("a pool");
    seed(&mut db.get().expect("a pooled connection"));
    let mut concrete = PgConnection::establish(&url).expect("a PostgreSQL connection");
    concrete
        .batch_execute("SET synchronous_commit = off")
        .expect("set synchronous_commit");
    sides!(c, "postgres", db, concrete);
}

criterion_group! {
    name = benches;
    config = Criterion::default();
    targets = sqlite, postgres
}
criterion_main!(benches);
