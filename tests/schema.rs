//! Schema from the models on SQLite and PostgreSQL: the project's migrations
//! match its models, DDL, introspection, drift reports, the schema builder
//! (with SQLite's table rebuild) and generated migrations.

#[path = "common/blog.rs"]
mod blog;
mod common;

use std::collections::BTreeSet;

use common::TestResult;
use common::models::ALL;
use diesel::prelude::*;
use glowplug::migrate::{Dir, MigrationSource, Rollback, RustMigration};
use glowplug::schema::{self, ColumnType};
use glowplug::{Backend, DbConnection, Error, NewModel};

/// Stamps out `sqlite::$name` and `postgres::$name`, each given an empty database.
macro_rules! schema_tests {
    ($( fn $name:ident($db:ident) $body:block )*) => {
        mod sqlite {
            use super::*;
            $(
                #[test]
                fn $name() -> TestResult {
                    let $db = common::blank_sqlite(stringify!($name));
                    $body
                }
            )*
        }
        mod postgres {
            use super::*;
            $(
                #[test]
                fn $name() -> TestResult {
                    let Some($db) = common::blank_postgres(stringify!($name)) else { return Ok(()) };
                    $body
                }
            )*
        }
    };
}

/// `sql` with `{pk}` replaced by the backend's auto-increment key.
fn ddl(backend: Backend, sql: &str) -> String {
    let pk = match backend {
        Backend::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
        _ => "BIGSERIAL PRIMARY KEY",
    };
    sql.replace("{pk}", pk)
}

fn exec(conn: &mut impl DbConnection, sql: &str) -> glowplug::Result<()> {
    conn.backend_connection().batch_execute(sql)
}

fn count(conn: &mut impl DbConnection, table: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let sql = format!("SELECT count(*) AS n FROM {table}");
    match conn.backend_connection() {
        glowplug::BackendConnection::Sqlite(c) => diesel::sql_query(sql).get_result::<N>(c),
        glowplug::BackendConnection::Postgres(c) => diesel::sql_query(sql).get_result::<N>(c),
        _ => unreachable!("two backends"),
    }
    .expect("count rows")
    .n
}

fn texts(conn: &mut impl DbConnection, sql: &str) -> Vec<String> {
    #[derive(QueryableByName)]
    struct T {
        #[diesel(sql_type = diesel::sql_types::Text)]
        t: String,
    }
    match conn.backend_connection() {
        glowplug::BackendConnection::Sqlite(c) => diesel::sql_query(sql).load::<T>(c),
        glowplug::BackendConnection::Postgres(c) => diesel::sql_query(sql).load::<T>(c),
        _ => unreachable!("two backends"),
    }
    .expect("load texts")
    .into_iter()
    .map(|t| t.t)
    .collect()
}

mod drift {
    glowplug::model! {
        pub Author {
            id: pk,
            name: varchar(100) unique,
            bio: text null,
            rating: int default(3),
        }
        pub Book {
            id: pk,
            author_id: bigint fk(Author) index,
            title: varchar(200),
            isbn: varchar(13) null,
            published: bool default(false),
            unique(author_id, title),
        }
        pub Shelf as shelves {
            id: pk,
            label: text,
        }
    }
    pub const MODELS: &[glowplug::ModelMeta] = &[Author::META, Book::META, Shelf::META];
}

/// A migrations directory with one subdirectory per backend.
fn migrations_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for b in ["sqlite", "postgres"] {
        std::fs::create_dir(dir.path().join(b)).expect("backend dir");
    }
    dir
}

fn create_books(conn: &mut glowplug::BackendConnection<'_>) -> glowplug::Result<()> {
    schema::create(conn, "authors", |t| {
        t.increments("id");
        t.varchar("name", 100).unique();
    })?;
    schema::create(conn, "books", |t| {
        t.increments("id");
        t.bigint("author_id").references("authors", "id").index();
        t.varchar("title", 200);
        t.timestamps();
    })
}

fn drop_books(conn: &mut glowplug::BackendConnection<'_>) -> glowplug::Result<()> {
    schema::drop(conn, "books")?;
    schema::drop(conn, "authors")
}

fn widen_titles(conn: &mut glowplug::BackendConnection<'_>) -> glowplug::Result<()> {
    // A type change: SQLite rebuilds `books`, so this migration runs outside a transaction.
    schema::alter(conn, "books", |t| {
        t.drop_column("title");
        t.text("title").default("");
    })
}

fn narrow_titles(conn: &mut glowplug::BackendConnection<'_>) -> glowplug::Result<()> {
    schema::alter(conn, "books", |t| {
        t.drop_column("title");
        t.varchar("title", 200).default("");
    })
}

static BUILDER_MIGRATIONS: [RustMigration; 2] = [
    RustMigration::new(
        "2026-01-01-000001_create_books",
        create_books,
        Some(drop_books),
    ),
    RustMigration::new(
        "2026-01-01-000002_widen_titles",
        widen_titles,
        Some(narrow_titles),
    )
    .without_transaction(),
];

schema_tests! {
    fn rust_migrations_use_the_schema_builder(db) {
        let dir = migrations_dir();
        let source = || Dir::new(dir.path()).with_rust(&BUILDER_MIGRATIONS);
        let report = db.migrator(source()).run()?;
        assert_eq!(report.applied.len(), 2);
        let mut conn = db.get()?;
        let books = schema::introspect(&mut conn)?.table("books").cloned().unwrap();
        assert_eq!(books.column("title").unwrap().ty, ColumnType::Text);
        assert_eq!(books.column("title").unwrap().default.as_deref(), Some("''"));
        assert_eq!(books.foreign_keys.len(), 1);
        assert!(books.indexes.iter().any(|i| i.columns == ["author_id"]));
        drop(conn);
        db.migrator(source()).rollback(Rollback::All)?;
        let mut conn = db.get()?;
        assert!(schema::introspect(&mut conn)?.tables.is_empty());
        Ok(())
    }

    fn a_generated_migration_that_fails_keeps_nothing(db) {
        let dir = migrations_dir();
        let mut conn = db.get()?;
        glowplug::migrate::make_migration(&mut conn, blog::v1::MODELS, dir.path(), "initial")?.expect("a migration");
        glowplug::Migrator::new(&mut conn, Dir::new(dir.path())).run()?;
        // Two writers share a name: v2's unique key on it cannot be made.
        exec(&mut conn, "INSERT INTO writers (name) VALUES ('ann'), ('ann');
            INSERT INTO articles (writer_id, title, body) VALUES (1, 't', 'b')")?;
        glowplug::migrate::make_migration(&mut conn, blog::v2::MODELS, dir.path(), "blog_v2")?.expect("a migration");
        let err = glowplug::Migrator::new(&mut conn, Dir::new(dir.path())).run().unwrap_err().to_string();
        assert!(err.contains("blog_v2") && err.to_lowercase().contains("unique"), "{err}");
        // The schema and rows are as before, on this very connection.
        schema::assert_no_drift(&mut conn, blog::v1::MODELS);
        assert_eq!(count(&mut conn, "writers"), 2);
        assert_eq!(texts(&mut conn, "SELECT title AS t FROM articles"), ["t"]);
        // Foreign keys are enforced again and no transaction is left open.
        let bad = exec(&mut conn, "INSERT INTO articles (writer_id, title, body) VALUES (99, 't', 'b')");
        assert!(matches!(bad, Err(Error::ForeignKeyViolation { .. })), "{bad:?}");
        conn.transaction::<_, Error, _>(|c| exec(c, "UPDATE writers SET name = 'bob' WHERE id = 2"))?;
        // SQLite ran it outside the harness's transaction: marked dirty until repaired.
        let mut m = glowplug::Migrator::new(&mut conn, Dir::new(dir.path()));
        let dirty = m.status()?.entries.iter().any(|e| e.state == glowplug::migrate::State::Dirty);
        assert_eq!(dirty, db.backend() == Backend::Sqlite);
        if dirty {
            m.repair()?;
        }
        // With the duplicate gone, the same migration applies.
        m.run()?;
        drop(m);
        schema::assert_no_drift(&mut conn, blog::v2::MODELS);
        Ok(())
    }

    fn project_migrations_match_models(db) {
        db.run_pending_migrations(common::MIGRATIONS)?;
        let mut conn = db.get()?;
        schema::assert_no_drift(&mut conn, ALL);
        Ok(())
    }

    fn create_all_builds_what_the_models_declare(db) {
        let mut conn = db.get()?;
        // Given in an order that breaks foreign keys: create_all reorders.
        let mut models = ALL.to_vec();
        models.reverse();
        schema::create_all(&mut conn, &models)?;
        schema::assert_no_drift(&mut conn, ALL);
        let live = schema::introspect(&mut conn)?;
        let posts = live.table("posts").unwrap();
        assert_eq!(posts.primary_key, ["id"]);
        assert!(posts.column("id").unwrap().auto_increment);
        assert_eq!(posts.column("title").unwrap().ty, ColumnType::Varchar(Some(200)));
        assert_eq!(posts.column("body").unwrap().default.as_deref(), Some("''"));
        assert_eq!(posts.foreign_keys[0].table, "users");
        let samples = live.table("samples").unwrap();
        assert_eq!(samples.column("rank").unwrap().default.as_deref(), Some("7"));
        assert!(samples.column("note").unwrap().nullable);
        // The tables work: a user and a post, and the foreign key holds.
        let user = common::new_user("ada").insert(&mut conn)?;
        assert!(user.active, "the database default");
        let bad = exec(&mut conn, "INSERT INTO posts (author_id, title, created_at, updated_at) VALUES (999, 't', '2026-01-01 00:00:00', '2026-01-01 00:00:00')");
        assert!(matches!(bad, Err(Error::ForeignKeyViolation { .. })), "{bad:?}");
        schema::drop_all(&mut conn, ALL)?;
        assert!(schema::introspect(&mut conn)?.tables.is_empty());
        // Dropping what is not there is not an error.
        schema::drop_all(&mut conn, ALL)?;
        Ok(())
    }

    fn drift_lists_every_difference(db) {
        let mut conn = db.get()?;
        let backend = conn.backend();
        exec(&mut conn, &ddl(backend, "
            CREATE TABLE authors (id {pk}, name VARCHAR(50) NOT NULL, bio TEXT NOT NULL, rating INTEGER DEFAULT 5, nickname TEXT);
            CREATE TABLE books (id {pk}, author_id BIGINT NOT NULL, title VARCHAR(200) NOT NULL, published BOOLEAN NOT NULL DEFAULT FALSE);
            CREATE INDEX books_title_idx ON books (title);
            CREATE TABLE legacy (id {pk});
        "))?;
        let found: BTreeSet<String> = schema::diff(&mut conn, drift::MODELS)?.iter().map(ToString::to_string).collect();
        let want: BTreeSet<String> = [
            "authors.name: type is varchar(50) in the database, varchar(100) in the model",
            "authors.bio: not null in the database, null in the model",
            "authors.rating: null in the database, not null in the model",
            "authors.rating: default is 5 in the database, 3 in the model",
            "authors: column `nickname` (text null) is in the database but not in the model",
            "authors: unique key (name) is missing from the database",
            "books: column `isbn` (varchar(13) null) is missing from the database",
            "books: index (author_id) is missing from the database",
            "books: unique key (author_id, title) is missing from the database",
            "books: index (title) `books_title_idx` is in the database but not in the model",
            "books: foreign key (author_id) → authors (id) is missing from the database",
            "table `shelves` is missing from the database",
            "table `legacy` is in the database but no model declares it",
        ].into_iter().map(String::from).collect();
        assert_eq!(found, want);
        let err = schema::check(&mut conn, drift::MODELS).unwrap_err();
        assert!(matches!(&err, Error::Drift(d) if d.len() == 13), "{err:?}");
        assert!(err.to_string().contains("\n  - table `shelves` is missing from the database"), "{err}");
        let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            schema::assert_no_drift(&mut conn, drift::MODELS)
        }))
        .unwrap_err();
        let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(message.contains("authors.name: type is varchar(50)"), "{message}");
        // A model that references one not given is refused before anything is read.
        let err = schema::diff(&mut conn, &[drift::Book::META]).unwrap_err().to_string();
        assert!(err.contains("references `authors`") && err.contains("pass that model too"), "{err}");
        Ok(())
    }

    fn schema_builder_creates_alters_and_drops(db) {
        let mut conn = db.get()?;
        schema::create(&mut conn, "authors", |t| {
            t.increments("id");
            t.varchar("name", 100).unique();
        })?;
        schema::create(&mut conn, "books", |t| {
            t.increments("id");
            t.bigint("author_id").references("authors", "id").index();
            t.varchar("title", 200);
            t.text("blurb").nullable();
            t.boolean("published").default(false);
            t.integer("pages").default(100);
            t.timestamps();
            t.unique(&["author_id", "title"]);
        })?;
        exec(&mut conn, "INSERT INTO authors (name) VALUES ('ann');
            INSERT INTO books (author_id, title, created_at, updated_at) VALUES (1, 'one', '2026-01-01 00:00:00', '2026-01-01 00:00:00')")?;
        let books = schema::introspect(&mut conn)?.table("books").cloned().unwrap();
        assert_eq!(books.column("published").unwrap().default.as_deref(), Some("false"));
        assert_eq!(books.column("pages").unwrap().default.as_deref(), Some("100"));
        assert!(books.indexes.iter().any(|i| i.unique && i.columns == ["author_id", "title"]));
        assert!(books.indexes.iter().any(|i| !i.unique && i.columns == ["author_id"]));
        // What SQLite's ALTER TABLE can do: add, rename, drop a plain column, indexes.
        schema::alter(&mut conn, "books", |t| {
            t.text("summary").nullable();
            t.rename_column("blurb", "teaser");
            t.drop_column("pages");
            t.index(&["published"]);
        })?;
        let books = schema::introspect(&mut conn)?.table("books").cloned().unwrap();
        assert!(books.column("summary").unwrap().nullable);
        assert!(books.column("teaser").is_some() && books.column("blurb").is_none());
        assert!(books.column("pages").is_none());
        assert!(books.indexes.iter().any(|i| i.columns == ["published"]));
        assert_eq!(texts(&mut conn, "SELECT title AS t FROM books"), ["one"]);
        // Mistakes are refused before anything runs.
        let err = schema::alter(&mut conn, "books", |t| t.drop_column("nope")).unwrap_err().to_string();
        assert!(err.contains("`books` has no column nope") && err.contains("its columns are id, author_id"), "{err}");
        let err = schema::alter(&mut conn, "nothing", |t| { t.text("x"); }).unwrap_err().to_string();
        assert!(err.contains("table `nothing` does not exist"), "{err}");
        schema::drop(&mut conn, "books")?;
        schema::drop(&mut conn, "authors")?;
        assert!(schema::introspect(&mut conn)?.tables.is_empty());
        Ok(())
    }

    fn sqlite_rebuild_keeps_rows_and_foreign_keys(db) {
        // On PostgreSQL the same calls are ALTER TABLE statements; the
        // assertions hold on both backends.
        let mut conn = db.get()?;
        schema::create(&mut conn, "authors", |t| {
            t.increments("id");
            t.varchar("name", 100);
        })?;
        schema::create(&mut conn, "books", |t| {
            t.increments("id");
            t.bigint("author_id").references("authors", "id");
            t.varchar("title", 50);
        })?;
        exec(&mut conn, "INSERT INTO authors (name) VALUES ('ann'), ('bob');
            INSERT INTO books (author_id, title) VALUES (1, 'one'), (2, 'two'), (2, 'three')")?;
        // A type change, a new NOT NULL default, a unique key: a rebuild on SQLite,
        // of a table other rows reference.
        schema::alter(&mut conn, "authors", |t| {
            t.drop_column("name");
            t.varchar("name", 200).default("?");
        })?;
        schema::alter(&mut conn, "books", |t| {
            t.drop_column("title");
            t.text("title").default("untitled").unique();
        })?;
        let live = schema::introspect(&mut conn)?;
        let books = live.table("books").unwrap();
        assert_eq!(books.column("title").unwrap().ty, ColumnType::Text);
        assert_eq!(books.foreign_keys.len(), 1, "the foreign key survives");
        assert_eq!(books.foreign_keys[0].table, "authors");
        assert_eq!(count(&mut conn, "books"), 3, "no row lost");
        assert_eq!(count(&mut conn, "authors"), 2, "no row lost");
        let bad = exec(&mut conn, "INSERT INTO books (author_id, title) VALUES (42, 'x')");
        assert!(matches!(bad, Err(Error::ForeignKeyViolation { .. })), "still enforced: {bad:?}");
        if conn.backend() == Backend::Sqlite {
            // Inside a transaction SQLite cannot turn foreign keys off: refused, nothing changed.
            let err = conn.transaction::<_, Error, _>(|c| {
                schema::alter(c, "books", |t| { t.drop_foreign(&["author_id"]); })
            }).unwrap_err().to_string();
            assert!(err.contains("without_transaction"), "{err}");
            // A rebuild that would orphan rows is refused, and nothing is kept.
            exec(&mut conn, "PRAGMA foreign_keys = OFF; INSERT INTO books (author_id, title) VALUES (42, 'orphan'); PRAGMA foreign_keys = ON;")?;
            let err = schema::alter(&mut conn, "books", |t| {
                t.drop_column("title"); // unique: SQLite rebuilds
                t.text("title").default("t");
            }).unwrap_err().to_string();
            assert!(err.contains("reference missing rows"), "{err}");
            let books = schema::introspect(&mut conn)?.table("books").cloned().unwrap();
            assert!(books.indexes.iter().any(|i| i.unique && i.columns == ["title"]), "rolled back");
            assert_eq!(count(&mut conn, "books"), 4);
            let bad = exec(&mut conn, "INSERT INTO books (author_id, title) VALUES (43, 'y')");
            assert!(matches!(bad, Err(Error::ForeignKeyViolation { .. })), "enforcement restored: {bad:?}");
        }
        Ok(())
    }

    fn generated_migrations_round_trip(db) {
        let dir = migrations_dir();
        let mut conn = db.get()?;
        // Nothing to do: nothing written.
        assert!(glowplug::migrate::make_migration(&mut conn, &[], dir.path(), "nothing")?.is_none());
        // The initial migration from an empty database.
        let made = glowplug::migrate::make_migration(&mut conn, blog::v1::MODELS, dir.path(), "initial")?.expect("a migration");
        assert_eq!(made.paths.len(), 2, "one per backend directory");
        drop(conn);
        db.migrator(Dir::new(dir.path())).run()?;
        let mut conn = db.get()?;
        schema::assert_no_drift(&mut conn, blog::v1::MODELS);
        exec(&mut conn, "INSERT INTO writers (name, email) VALUES ('ann', 'a@x'), ('bob', 'b@x');
            INSERT INTO articles (writer_id, title, body, notes) VALUES (1, 'first', 'b1', 'n'), (2, 'second', 'b2', NULL)")?;
        let before = schema::introspect(&mut conn)?;

        // The models change: generate, apply, no drift, rows kept.
        let made = glowplug::migrate::make_migration(&mut conn, blog::v2::MODELS, dir.path(), "blog_v2")?.expect("a migration");
        let shown: Vec<String> = made.differences.iter().map(ToString::to_string).collect();
        assert!(shown.contains(&"articles.headline: the model renames it from `title` (renamed_from), the database still calls it `title`".to_string()), "{shown:#?}");
        assert!(made.warnings.iter().any(|w| w.contains("drops column articles.notes")), "{:?}", made.warnings);
        let backend = conn.backend();
        let up = std::fs::read_to_string(made.paths.iter().find(|p| p.starts_with(dir.path().join(backend.name()))).unwrap().join("up.sql"))?;
        assert!(!up.contains("DROP COLUMN title") && up.contains("headline"), "renamed, not dropped:\n{up}");
        drop(conn);
        db.migrator(Dir::new(dir.path())).run()?;
        let mut conn = db.get()?;
        schema::assert_no_drift(&mut conn, blog::v2::MODELS);
        assert_eq!(texts(&mut conn, "SELECT headline AS t FROM articles ORDER BY id"), ["first", "second"]);
        assert_eq!(texts(&mut conn, "SELECT email AS t FROM writers ORDER BY id"), ["a@x", "b@x"]);
        let bad = exec(&mut conn, "INSERT INTO articles (writer_id, headline, body) VALUES (99, 'h', 'b')");
        assert!(matches!(bad, Err(Error::ForeignKeyViolation { .. })), "{bad:?}");
        let dup = exec(&mut conn, "INSERT INTO writers (name) VALUES ('ann')");
        assert!(matches!(dup, Err(Error::UniqueViolation { .. })), "{dup:?}");
        // Nothing left to generate.
        assert!(glowplug::migrate::make_migration(&mut conn, blog::v2::MODELS, dir.path(), "again")?.is_none());

        // down.sql restores the schema as it was, and the renamed column's rows.
        drop(conn);
        db.migrator(Dir::new(dir.path())).rollback(Rollback::LastBatch)?;
        let mut conn = db.get()?;
        schema::assert_no_drift(&mut conn, blog::v1::MODELS);
        assert_eq!(schema::introspect(&mut conn)?, before);
        assert_eq!(texts(&mut conn, "SELECT title AS t FROM articles ORDER BY id"), ["first", "second"]);
        Ok(())
    }
}
