//! `enum(..)` columns through every path on both backends: the generated
//! Rust enum, round trips with each value and NULL, filters, serde, the
//! error for a stored text that is none of the values, the CHECK in DDL,
//! introspection, drift (none after migrating; a changed value list
//! found), generated migrations (create, add column, rename and change the
//! list) and `generate model` specs.

mod common;

use std::borrow::Cow;

use glowplug::prelude::*;
use glowplug::scaffold::ModelSpec;
use glowplug::schema::{self, ColumnType, Difference, Schema};
use glowplug::{Backend, ColumnEnum, ModelMeta};

glowplug::model! {
    pub Article {
        id: pk,
        title: text,
        status: enum(Draft, Published, Archived) default(Draft),
        review: enum(Pending, Approved,) null,
        timestamps,
    }
}

/// The same table before `status` existed.
mod v0 {
    glowplug::model! {
        pub Article {
            id: pk,
            title: text,
            review: enum(Pending, Approved) null,
            timestamps,
        }
    }
}

/// The same table with `status` renamed to `state` and a value added.
mod v2 {
    glowplug::model! {
        pub Article {
            id: pk,
            title: text,
            state: enum(Draft, Scheduled, Published, Archived) renamed_from(status) default(Draft),
            review: enum(Pending, Approved) null,
            timestamps,
        }
    }
}

/// The same table with `status` renamed to `stage`, nothing else changed.
mod v3 {
    glowplug::model! {
        pub Article {
            id: pk,
            title: text,
            stage: enum(Draft, Published, Archived) default(Draft) renamed_from(status),
            review: enum(Pending, Approved) null,
            timestamps,
        }
    }
}

const MODELS: &[ModelMeta] = &[Article::META];

fn values(names: &[&'static str]) -> ColumnType {
    ColumnType::Enum(
        names
            .iter()
            .map(|n| Cow::Borrowed(*n))
            .collect::<Vec<_>>()
            .into(),
    )
}

/// Panics with the differences unless the live `articles` table matches `models`.
#[track_caller]
fn assert_no_drift(conn: &mut glowplug::PooledConnection, models: &[ModelMeta]) {
    common::assert_no_drift(conn, &["articles"], models)
}

/// The live `articles` table alone (the harness's own tables left out).
fn live(conn: &mut glowplug::PooledConnection) -> glowplug::Result<Schema> {
    common::live_tables(conn, &["articles"])
}

fn article(title: &str) -> NewArticle {
    NewArticle::new(title)
}

#[test]
fn the_generated_enum() {
    assert_eq!(
        ArticleStatus::ALL,
        [
            ArticleStatus::Draft,
            ArticleStatus::Published,
            ArticleStatus::Archived
        ]
    );
    assert_eq!(ArticleStatus::NAMES, ["Draft", "Published", "Archived"]);
    assert_eq!(ArticleReview::NAMES, ["Pending", "Approved"]);
    for (value, name) in ArticleStatus::ALL.iter().zip(ArticleStatus::NAMES) {
        assert_eq!(value.as_str(), *name);
        assert_eq!(value.to_string(), *name);
        assert_eq!(name.parse::<ArticleStatus>().unwrap(), *value);
    }
    // `default(Draft)` is the enum's Default; without one, the first value.
    assert_eq!(ArticleStatus::default(), ArticleStatus::Draft);
    assert_eq!(ArticleReview::default(), ArticleReview::Pending);
    let err = "draft".parse::<ArticleStatus>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "`draft` is not a value of ArticleStatus (column articles.status); accepted: Draft, Published, Archived"
    );
    assert_eq!(<ArticleStatus as ColumnEnum>::TYPE, "ArticleStatus");
    assert_eq!(v2::ArticleState::Scheduled.as_str(), "Scheduled");

    let status = Article::META.column("status").unwrap();
    assert_eq!(status.sql_type, values(&["Draft", "Published", "Archived"]));
    assert_eq!(
        status.sql_type.to_string(),
        "enum(Draft, Published, Archived)"
    );
    assert_eq!(
        status.sql_type.enum_values(),
        ["Draft", "Published", "Archived"]
    );
    assert_eq!((status.default, status.nullable), (Some("Draft"), false));
    assert!(Article::META.column("review").unwrap().nullable);
}

#[test]
fn serde_writes_and_reads_the_names() -> common::TestResult {
    let row = Article {
        id: 1,
        title: "t".into(),
        status: ArticleStatus::Published,
        review: None,
        created_at: chrono::DateTime::UNIX_EPOCH.naive_utc(),
        updated_at: chrono::DateTime::UNIX_EPOCH.naive_utc(),
    };
    let json = serde_json::to_string(&row)?;
    assert!(
        json.contains(r#""status":"Published","review":null"#),
        "{json}"
    );
    assert_eq!(serde_json::from_str::<Article>(&json)?, row);
    let new: NewArticle =
        serde_json::from_str(r#"{"title":"x","status":"Archived","review":"Approved"}"#)?;
    assert_eq!(new.status, Some(ArticleStatus::Archived));
    assert_eq!(new.review, Some(ArticleReview::Approved));
    let err = serde_json::from_str::<NewArticle>(r#"{"title":"x","status":"Gone"}"#).unwrap_err();
    assert!(err.to_string().contains("unknown variant `Gone`"), "{err}");
    Ok(())
}

#[test]
fn ddl_has_the_check_on_both_backends() -> common::TestResult {
    for backend in [Backend::Postgres, Backend::Sqlite] {
        let sql = schema::create_sql(backend, MODELS)?;
        assert!(
            sql.contains(
                "status TEXT NOT NULL DEFAULT 'Draft' CONSTRAINT articles_status_check CHECK (status IN ('Draft', 'Published', 'Archived'))"
            ),
            "{sql}"
        );
        assert!(
            sql.contains(
                "review TEXT CONSTRAINT articles_review_check CHECK (review IN ('Pending', 'Approved'))"
            ),
            "{sql}"
        );
    }
    Ok(())
}

#[test]
fn generate_model_takes_enums() -> common::TestResult {
    let spec = ModelSpec::parse(
        "Article",
        &[
            "status:enum(Draft,Published):default(Published)",
            "review:enum(A, B):null",
        ],
    )?;
    let source = spec.source();
    assert!(
        source.contains("status: enum(Draft, Published) default(Published),"),
        "{source}"
    );
    assert!(source.contains("review: enum(A, B) null,"), "{source}");
    let table = spec.table();
    let status = table.column("status").unwrap();
    assert_eq!(status.ty, values(&["Draft", "Published"]));
    assert_eq!(status.default.as_deref(), Some("'Published'"));
    let cases = [
        ("x:enum", "enum(Draft, Published)"),
        ("x:enum()", "enum(Draft, Published)"),
        ("x:enum(A B)", "enum(Draft, Published)"),
        ("x:enum(A,A)", "distinct"),
        ("x:enum(A,B):default(C)", "not a literal"),
    ];
    for (bad, want) in cases {
        let err = ModelSpec::parse("Article", &[bad]).unwrap_err().to_string();
        assert!(err.contains(want), "{bad}: {err}");
    }
    Ok(())
}

backend_tests! {
    fn each_value_and_null_round_trip(db) {
        let mut conn = db.get()?;
        schema::create_all(&mut conn, MODELS)?;
        // An unset defaulted field inserts `default(Draft)`.
        let mut row = article("a").insert(&mut conn)?;
        assert_eq!((row.status, row.review), (ArticleStatus::Draft, None));
        for status in ArticleStatus::ALL {
            for review in [None, Some(ArticleReview::Pending), Some(ArticleReview::Approved)] {
                row.status = *status;
                row.review = review;
                row.save(&mut conn)?;
                let back = Article::find(&mut conn, row.id)?;
                assert_eq!((back.status, back.review), (*status, review));
            }
        }
        let made = NewArticle { status: Some(ArticleStatus::Archived), review: Some(ArticleReview::Approved), ..article("b") }
            .insert(&mut conn)?;
        assert_eq!((made.status, made.review), (ArticleStatus::Archived, Some(ArticleReview::Approved)));
        let mut changed = made.clone();
        changed.update(&mut conn, ArticleChanges { status: Some(ArticleStatus::Published), review: Some(None), ..Default::default() })?;
        assert_eq!((changed.status, changed.review), (ArticleStatus::Published, None));
        // Batch inserts bind enums too (PostgreSQL: `COPY`, binary).
        let rows = [NewArticle { status: Some(ArticleStatus::Published), ..article("c") }, article("d")];
        Article::batch().copy(glowplug::CopyMode::Always).insert(&mut conn, &rows)?;
        assert_eq!(Article::count(&mut conn)?, 4);
        // The stored text is the variant's name.
        let stored: Vec<String> = articles::table
            .select(diesel::dsl::sql::<diesel::sql_types::Text>("status"))
            .order(articles::id)
            .load(&mut conn)?;
        assert_eq!(stored, ["Archived", "Published", "Published", "Draft"]);
        Ok(())
    }

    fn filters_compare_enums(db) {
        let mut conn = db.get()?;
        schema::create_all(&mut conn, MODELS)?;
        for (title, status, review) in [
            ("a", ArticleStatus::Draft, None),
            ("b", ArticleStatus::Published, Some(ArticleReview::Approved)),
            ("c", ArticleStatus::Published, Some(ArticleReview::Pending)),
            ("d", ArticleStatus::Archived, None),
        ] {
            NewArticle { status: Some(status), review, ..article(title) }.insert(&mut conn)?;
        }
        let titles = |rows: Vec<Article>| rows.into_iter().map(|a| a.title).collect::<Vec<_>>();
        let published = Article::fetch(
            &mut conn,
            Article::query().filter(articles::status.eq(ArticleStatus::Published)).order(articles::id),
        )?;
        assert_eq!(titles(published), ["b", "c"]);
        let some = Article::fetch(
            &mut conn,
            Article::query()
                .filter(articles::status.eq_any([ArticleStatus::Draft, ArticleStatus::Archived]))
                .order(articles::id),
        )?;
        assert_eq!(titles(some), ["a", "d"]);
        let approved = Article::fetch(&mut conn, Article::query().filter(articles::review.eq(ArticleReview::Approved)))?;
        assert_eq!(titles(approved), ["b"]);
        let unreviewed = Article::fetch(&mut conn, Article::query().filter(articles::review.is_null()).order(articles::id))?;
        assert_eq!(titles(unreviewed), ["a", "d"]);
        let not_draft = Article::fetch(&mut conn, Article::query().filter(articles::status.ne(ArticleStatus::Draft)))?;
        assert_eq!(not_draft.len(), 3);

        // Hand-written diesel on the pooled connection (diesel's multi-backend layer).
        let count: i64 = articles::table
            .filter(articles::status.eq(ArticleStatus::Published))
            .count()
            .get_result(&mut conn)?;
        assert_eq!(count, 2);
        let statuses: Vec<ArticleStatus> = articles::table
            .select(articles::status)
            .filter(articles::review.eq_any([ArticleReview::Approved, ArticleReview::Pending]))
            .order(articles::id)
            .load(&mut conn)?;
        assert_eq!(statuses, [ArticleStatus::Published, ArticleStatus::Published]);
        let reviews: Vec<Option<ArticleReview>> = articles::table.select(articles::review).order(articles::id).load(&mut conn)?;
        assert_eq!(reviews, [None, Some(ArticleReview::Approved), Some(ArticleReview::Pending), None]);
        diesel::update(articles::table.filter(articles::status.eq(ArticleStatus::Archived)))
            .set(articles::status.eq(ArticleStatus::Draft))
            .execute(&mut conn)?;
        assert_eq!(Article::fetch(&mut conn, Article::query().filter(articles::status.eq(ArticleStatus::Draft)))?.len(), 2);
        Ok(())
    }

    fn unknown_stored_text_is_refused_and_reported(db) {
        let mut conn = db.get()?;
        schema::create_all(&mut conn, MODELS)?;
        // glowplug's DDL: the CHECK refuses any other text, on both backends.
        let err = conn
            .backend_connection()
            .batch_execute("INSERT INTO articles (title, status, created_at, updated_at) VALUES ('x', 'Bogus', '2026-01-01 00:00:00', '2026-01-01 00:00:00')")
            .unwrap_err();
        let message = err.to_string();
        let want = match db.backend() {
            Backend::Sqlite => "CHECK constraint failed",
            _ => "articles_status_check",
        };
        assert!(message.contains(want), "{message}");

        // A table made elsewhere, without the check, holding such a text: loading it fails clearly.
        schema::drop_all(&mut conn, MODELS)?;
        conn.backend_connection().batch_execute(
            "CREATE TABLE articles (id BIGINT PRIMARY KEY, title TEXT NOT NULL, status TEXT NOT NULL, review TEXT, \
             created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL); \
             INSERT INTO articles VALUES (1, 'x', 'Bogus', NULL, '2026-01-01 00:00:00', '2026-01-01 00:00:00'); \
             INSERT INTO articles VALUES (2, 'y', 'Draft', 'Maybe', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
        )?;
        let err = Article::find(&mut conn, 1).unwrap_err().to_string();
        assert!(
            err.contains("`Bogus` is not a value of ArticleStatus (column articles.status); accepted: Draft, Published, Archived"),
            "{err}"
        );
        let err = Article::all(&mut conn).unwrap_err().to_string();
        assert!(err.contains("`Bogus`"), "{err}");
        let err = Article::find(&mut conn, 2).unwrap_err().to_string();
        assert!(err.contains("`Maybe` is not a value of ArticleReview (column articles.review); accepted: Pending, Approved"), "{err}");
        // Through the multi-backend layer too (diesel's error: the message is its source).
        let err = articles::table.select(articles::status).load::<ArticleStatus>(&mut conn).unwrap_err();
        let cause = std::error::Error::source(&err).map(|e| e.to_string()).unwrap_or_default();
        assert!(cause.contains("`Bogus` is not a value of ArticleStatus"), "{err}: {cause}");
        // The drift check sees a text column where the model has an enum.
        let differences = schema::compare(&Schema::from_models(MODELS), &live(&mut conn)?);
        assert!(
            differences.iter().any(|d| matches!(d, Difference::Type { column, database: ColumnType::Text, .. } if column == "status")),
            "{differences:?}"
        );
        Ok(())
    }

    fn introspection_reads_the_values_back(db) {
        let mut conn = db.get()?;
        schema::create_all(&mut conn, MODELS)?;
        let live = live(&mut conn)?;
        let table = live.table("articles").unwrap();
        let status = table.column("status").unwrap();
        assert_eq!(status.ty, values(&["Draft", "Published", "Archived"]));
        assert_eq!(status.default.as_deref(), Some("'Draft'"));
        assert!(!status.nullable);
        let review = table.column("review").unwrap();
        assert_eq!((&review.ty, review.nullable), (&values(&["Pending", "Approved"]), true));
        assert_eq!(table.column("title").unwrap().ty, ColumnType::Text);
        let differences = schema::compare(&Schema::from_models(MODELS), &live);
        assert!(differences.is_empty(), "{differences:?}");
        assert_no_drift(&mut conn, MODELS);
        Ok(())
    }

    fn a_renamed_enum_column_keeps_its_check(db) {
        let mut conn = db.get()?;
        schema::create_all(&mut conn, MODELS)?;
        NewArticle { status: Some(ArticleStatus::Archived), ..article("a") }.insert(&mut conn)?;
        let rename = schema::migration_sql(db.backend(), &Schema::from_models(&[v3::Article::META]), &live(&mut conn)?);
        assert!(rename.up.contains("RENAME COLUMN status TO stage"), "{}", rename.up);
        conn.backend_connection().batch_execute(&rename.up)?;
        assert_no_drift(&mut conn, &[v3::Article::META]);
        assert_eq!(v3::Article::all(&mut conn)?[0].stage, v3::ArticleStage::Archived);
        let bad = conn.backend_connection().batch_execute("UPDATE articles SET stage = 'Bogus'");
        assert!(bad.is_err(), "the check follows the column");
        // And back.
        conn.backend_connection().batch_execute(&rename.down)?;
        assert_no_drift(&mut conn, MODELS);
        Ok(())
    }

    fn a_changed_value_list_is_drift_and_a_generated_migration(db) {
        let mut conn = db.get()?;
        let backend = db.backend();
        // Generated from nothing: the table with its checks.
        let create = schema::migration_sql(backend, &Schema::from_models(&[v0::Article::META]), &live(&mut conn)?);
        assert!(create.up.contains("CHECK (review IN ('Pending', 'Approved'))"), "{}", create.up);
        conn.backend_connection().batch_execute(&create.up)?;
        assert_no_drift(&mut conn, &[v0::Article::META]);
        v0::NewArticle { title: "old".into(), review: Some(v0::ArticleReview::Approved) }.insert(&mut conn)?;

        // Adding the column: `ADD COLUMN` with its check and default.
        let add = schema::migration_sql(backend, &Schema::from_models(MODELS), &live(&mut conn)?);
        assert!(add.up.contains("ADD COLUMN status TEXT NOT NULL DEFAULT 'Draft' CONSTRAINT articles_status_check CHECK"), "{}", add.up);
        conn.backend_connection().batch_execute(&add.up)?;
        assert_no_drift(&mut conn, MODELS);
        assert_eq!(Article::all(&mut conn)?[0].status, ArticleStatus::Draft);
        NewArticle { status: Some(ArticleStatus::Archived), ..article("new") }.insert(&mut conn)?;

        // Another value list (and a rename): a type difference.
        let v2_models = Schema::from_models(&[v2::Article::META]);
        let differences = schema::compare(&v2_models, &live(&mut conn)?);
        assert!(
            differences.iter().any(|d| matches!(d, Difference::Type { column, model, database, .. }
                if column == "state"
                    && *model == values(&["Draft", "Scheduled", "Published", "Archived"])
                    && *database == values(&["Draft", "Published", "Archived"]))),
            "{differences:?}"
        );
        let message = Difference::list(&differences);
        assert!(
            message.contains("articles.state: type is enum(Draft, Published, Archived) in the database, enum(Draft, Scheduled, Published, Archived) in the model"),
            "{message}"
        );
        // The same values in another order are the same enum.
        let mut reordered = Schema::from_models(MODELS);
        reordered.tables[0].columns[2].ty = values(&["Archived", "Draft", "Published"]);
        assert!(schema::compare(&reordered, &live(&mut conn)?).is_empty());

        let change = schema::migration_sql(backend, &v2_models, &live(&mut conn)?);
        match backend {
            Backend::Postgres => {
                assert!(change.up.contains("RENAME CONSTRAINT articles_status_check TO articles_state_check"), "{}", change.up);
                assert!(change.up.contains("DROP CONSTRAINT articles_state_check"), "{}", change.up);
                assert!(change.up.contains("ADD CONSTRAINT articles_state_check CHECK (state IN ('Draft', 'Scheduled', 'Published', 'Archived'))"), "{}", change.up);
                assert!(!change.up.contains("ALTER COLUMN"), "{}", change.up);
            }
            _ => assert!(change.up.contains("CHECK (state IN ('Draft', 'Scheduled', 'Published', 'Archived'))"), "{}", change.up),
        }
        conn.backend_connection().batch_execute(&change.up)?;
        assert_no_drift(&mut conn, &[v2::Article::META]);
        let rows = v2::Article::all(&mut conn)?;
        assert_eq!(rows.len(), 2);
        let scheduled = v2::NewArticle { state: Some(v2::ArticleState::Scheduled), ..v2::NewArticle::new("s") }.insert(&mut conn)?;

        // Back down: refused while a row holds the value the old list lacks, then applied.
        assert!(conn.backend_connection().batch_execute(&change.down).is_err());
        if backend == Backend::Sqlite {
            // The SQLite file opens its own transaction (a table rebuild); the harness would roll it back.
            conn.backend_connection().batch_execute("ROLLBACK; PRAGMA foreign_keys = ON")?;
        }
        assert_no_drift(&mut conn, &[v2::Article::META]);
        scheduled.delete(&mut conn)?;
        conn.backend_connection().batch_execute(&change.down)?;
        assert_no_drift(&mut conn, MODELS);
        assert_eq!(Article::count(&mut conn)?, 2);
        Ok(())
    }
}

/// 32 columns, every one a `null` enum, the last with five modifier tokens
/// before its `default(..)`: nesting depth 118 (measured), within rustc's
/// default limit of 128 (no `recursion_limit` in this crate).
mod all_null {
    glowplug::model! {
        pub Wide {
            id: pk,
            c01: enum(A, B) null, c02: enum(A, B) null, c03: enum(A, B) null, c04: enum(A, B) null,
            c05: enum(A, B) null, c06: enum(A, B) null, c07: enum(A, B) null, c08: enum(A, B) null,
            c09: enum(A, B) null, c10: enum(A, B) null, c11: enum(A, B) null, c12: enum(A, B) null,
            c13: enum(A, B) null, c14: enum(A, B) null, c15: enum(A, B) null, c16: enum(A, B) null,
            c17: enum(A, B) null, c18: enum(A, B) null, c19: enum(A, B) null, c20: enum(A, B) null,
            c21: enum(A, B) null, c22: enum(A, B) null, c23: enum(A, B) null, c24: enum(A, B) null,
            c25: enum(A, B) null, c26: enum(A, B) null, c27: enum(A, B) null, c28: enum(A, B) null,
            c29: enum(A, B) null, c30: enum(A, B) null,
            c31: enum(A, B) unique index renamed_from(old) null default(B),
        }
    }
}

#[test]
fn a_32_column_model_of_null_enums_compiles() {
    let meta = all_null::Wide::META;
    assert_eq!(meta.columns.len(), 32);
    assert!(meta.columns[1..].iter().all(|c| c.nullable));
    assert_eq!(all_null::WideC31::default(), all_null::WideC31::B);
    let row = all_null::NewWide::default();
    assert_eq!((row.c01, row.c31), (None, None));
}

/// `make_migration` (makemigrations) writes the checks, and the migrator
/// applies them: from an empty database to `MODELS`, then to `v2`.
fn makemigrations_through_the_migrator(db: common::TestDb) -> common::TestResult {
    use glowplug::migrate::Dir;
    // One directory per backend: each gets its backend's SQL.
    let dir = tempfile::tempdir()?;
    for b in ["sqlite", "postgres"] {
        std::fs::create_dir(dir.path().join(b))?;
    }
    let backend = db.backend();
    let up_sql = |made: &glowplug::migrate::WrittenMigration| -> std::io::Result<String> {
        let path = made
            .paths
            .iter()
            .find(|p| p.starts_with(dir.path().join(backend.name())))
            .expect("this backend's directory");
        std::fs::read_to_string(path.join("up.sql"))
    };
    let mut conn = db.get()?;
    let made = glowplug::migrate::make_migration(&mut conn, MODELS, dir.path(), "articles")?
        .expect("a migration");
    let up = up_sql(&made)?;
    assert!(
        up.contains(
            "CONSTRAINT articles_status_check CHECK (status IN ('Draft', 'Published', 'Archived'))"
        ),
        "{up}"
    );
    drop(conn);
    db.migrator(Dir::new(dir.path())).run()?;
    let mut conn = db.get()?;
    schema::assert_no_drift(&mut conn, MODELS);
    NewArticle {
        status: Some(ArticleStatus::Published),
        ..article("a")
    }
    .insert(&mut conn)?;

    let made = glowplug::migrate::make_migration(
        &mut conn,
        &[v2::Article::META],
        dir.path(),
        "more_states",
    )?
    .expect("a migration");
    assert!(
        made.differences
            .iter()
            .any(|d| matches!(d, Difference::Type { column, .. } if column == "state")),
        "{:?}",
        made.differences
    );
    assert!(
        up_sql(&made)?.contains("CHECK (state IN ('Draft', 'Scheduled', 'Published', 'Archived'))")
    );
    drop(conn);
    db.migrator(Dir::new(dir.path())).run()?;
    let mut conn = db.get()?;
    schema::assert_no_drift(&mut conn, &[v2::Article::META]);
    assert_eq!(
        v2::Article::all(&mut conn)?[0].state,
        v2::ArticleState::Published
    );
    assert!(
        glowplug::migrate::make_migration(&mut conn, &[v2::Article::META], dir.path(), "again")?
            .is_none()
    );
    Ok(())
}

#[test]
fn sqlite_makemigrations_through_the_migrator() -> common::TestResult {
    makemigrations_through_the_migrator(common::blank_sqlite("enum_makemigrations"))
}

#[test]
fn postgres_makemigrations_through_the_migrator() -> common::TestResult {
    match common::blank_postgres("enum_makemigrations") {
        Some(db) => makemigrations_through_the_migrator(db),
        None => Ok(()),
    }
}
