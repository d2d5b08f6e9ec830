//! The bad-input catalogue of the README ("Reliability"), one test per row:
//! what a user gets for malformed URLs, unknown schemes, a missing SQLite
//! directory, an unreachable host, a wrong password, a zero pool size, very
//! long strings, invalid UTF-8, `smallint` overflow and SQL injection
//! payloads. Every error these failure cases produce is rendered
//! (`Display` and `Debug`) and scanned for the passwords of the test URLs.

#[path = "common/cluster.rs"]
mod cluster;
mod common;

use std::time::{Duration, Instant};

use common::models::*;
use common::new_user;
use diesel::connection::SimpleConnection;
use glowplug::prelude::*;
use glowplug::{Backend, Error};

/// The password in every URL of the failure cases below.
const SECRET: &str = "Tr0ub4dor-and-3";

glowplug::model! {
    /// A table made by glowplug's own DDL, named by an SQL keyword.
    pub Gauge as group {
        id: pk,
        level: smallint,
        reading: int,
        label: text,
    }
}

/// Fails the test if what a user would see of `err` shows a password.
fn shown(err: &dyn std::fmt::Debug, display: &str) {
    let all = format!("{display}\n{err:?}");
    for password in [SECRET, cluster::PASSWORD] {
        assert!(!all.contains(password), "a password is shown: {all}");
    }
}

fn show(err: &Error) -> String {
    let text = err.to_string();
    shown(err, &text);
    text
}

fn malformed_urls() -> Vec<(String, &'static str)> {
    vec![
        ("".into(), "the database URL is empty"),
        ("   ".into(), "the database URL is empty"),
        (
            format!("postgres://app:{SECRET}@127.0.0.1:notaport/app"),
            "the PostgreSQL URL's port is not a number",
        ),
        (
            format!("postgres://app:{SECRET}@[::1/app"),
            "an IPv6 address without its closing `]`",
        ),
        (
            format!("postgres://app:{SECRET}@127.0.0.1:1/app?sslmode=sometimes"),
            "invalid sslmode value",
        ),
        (
            format!("postgres://app:{SECRET}@127.0.0.1:1/app?no_such_option=1"),
            "an unknown URL parameter",
        ),
    ]
}

#[test]
fn malformed_urls_are_refused_with_the_reason() {
    for (url, expected) in malformed_urls() {
        let err = Database::connect(&url).unwrap_err();
        let msg = show(&err);
        assert!(
            matches!(err, Error::Config { .. } | Error::Connection { .. }),
            "{url}: {err:?}"
        );
        assert!(msg.contains(expected), "{url}: {msg}");
        // A connection error shows the URL redacted; a URL that could not
        // be read is not shown at all.
        if url.contains(SECRET) && matches!(err, Error::Connection { .. }) {
            assert!(msg.contains("app:***@"), "{msg}");
        }
    }
}

#[test]
fn unknown_schemes_name_the_scheme_and_the_supported_ones() {
    for scheme in ["mysql", "mariadb", "http", "redis", "sqlserver"] {
        let url = format!("{scheme}://app:{SECRET}@localhost/app");
        let err = Database::connect(&url).unwrap_err();
        let msg = show(&err);
        assert!(matches!(err, Error::Config { .. }), "{err:?}");
        assert!(
            msg.contains(&format!("unsupported database URL scheme `{scheme}`")),
            "{msg}"
        );
        assert!(
            msg.contains("postgres://, postgresql://, sqlite://"),
            "{msg}"
        );
        assert!(glowplug::url::backend_of(&url).is_err());
    }
}

#[test]
fn a_missing_sqlite_directory_is_named_and_nothing_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no").join("such");
    for url in [
        format!("{}/app.db", missing.display()),
        format!("sqlite://{}/app.db", missing.display()),
    ] {
        let err = Database::connect(&url).unwrap_err();
        let msg = show(&err);
        assert!(matches!(err, Error::Connection { .. }), "{err:?}");
        assert!(
            msg.contains(&format!(
                "the directory `{}` does not exist",
                missing.display()
            )),
            "{msg}"
        );
        assert!(!missing.exists(), "nothing was created");
    }
}

#[test]
fn a_host_that_never_answers_fails_within_the_connect_timeout() {
    // A local socket that never answers: only the timeout ends the attempt.
    let silent = common::silent_server();
    let port = silent.local_addr().unwrap().port();
    let url = format!("postgres://app:{SECRET}@127.0.0.1:{port}/app");
    let started = Instant::now();
    let err = Database::builder(&url)
        .connect_timeout(Duration::from_secs(1))
        .build()
        .unwrap_err();
    let took = started.elapsed();
    let msg = show(&err);
    assert!(matches!(err, Error::Connection { .. }), "{err:?}");
    assert!(took >= Duration::from_millis(900), "took {took:?}: {msg}");
    assert!(took < Duration::from_secs(8), "took {took:?}: {msg}");
    assert!(
        msg.contains(&format!("postgres://app:***@127.0.0.1:{port}/app")),
        "{msg}"
    );
    assert!(msg.contains("timeout expired"), "{msg}");
    assert!(msg.contains("check that the server is running"), "{msg}");
}

#[test]
fn a_wrong_password_is_refused_without_echoing_either_password() -> common::TestResult {
    let Some(server) = cluster::Cluster::start("a_wrong_password_is_refused") else {
        return Ok(());
    };
    // The right one works...
    let db = Database::connect(&server.url(cluster::PASSWORD))?;
    assert_eq!(db.backend(), Backend::Postgres);
    shown(&db, db.url());
    // ...a wrong one is refused by the server, and neither appears anywhere.
    let err = Database::connect(&server.url(SECRET)).unwrap_err();
    let msg = show(&err);
    assert!(matches!(err, Error::Connection { .. }), "{err:?}");
    assert!(msg.contains("password authentication failed"), "{msg}");
    assert!(!msg.contains(cluster::PASSWORD), "{msg}");
    // Creating a database through a wrong password fails the same way.
    let err =
        glowplug::create_database(&server.url(SECRET).replace("/postgres", "/other")).unwrap_err();
    assert!(
        show(&err).contains("password authentication failed"),
        "{err}"
    );
    // And a failing statement on a password-authenticated pool.
    let err = db
        .get()?
        .batch_execute("SELECT * FROM no_such_table")
        .map_err(Error::from)
        .unwrap_err();
    assert!(show(&err).contains("no_such_table"), "{err}");
    Ok(())
}

/// Everything the `glowplug` command line prints for `args`.
fn cli_output(args: &[&str]) -> (u8, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = glowplug::cli::run(
        std::iter::once("glowplug").chain(args.iter().copied()),
        None,
        &mut out,
        &mut err,
        false,
    );
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out),
        String::from_utf8_lossy(&err)
    );
    (code, text)
}

#[test]
fn passwords_of_every_character_authenticate_and_are_never_shown() -> common::TestResult {
    let Some(server) = cluster::Cluster::start("passwords_of_every_character") else {
        return Ok(());
    };
    let admin = Database::connect(&server.url(cluster::PASSWORD))?;
    let migrations = tempfile::tempdir()?;
    let dir = migrations.path().display().to_string();
    // Passwords with each character URL parsers treat specially, then
    // generated ones: printable ASCII and any Unicode.
    let mut passwords: Vec<String> = [
        "Zq8ab#cdef",
        "ab?cd&e=fgh",
        "a b:c'd\"e\\f",
        "p@ss/w%rd+;,",
        "pässwörd✓🔑",
        "'; DROP ROLE x; --",
    ]
    .map(str::to_owned)
    .to_vec();
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = proptest::prop_oneof!["[ -~]{8,20}", "\\PC{8,16}"];
    for _ in 0..16 {
        use proptest::strategy::{Strategy, ValueTree};
        passwords.push(
            strategy
                .new_tree(&mut runner)
                .map_err(|e| e.to_string())?
                .current(),
        );
    }
    let port = server.port();
    for (i, password) in passwords.iter().enumerate() {
        let role = format!("role_{i}");
        admin.get()?.batch_execute(&format!(
            "CREATE ROLE {role} LOGIN CREATEDB PASSWORD '{}'",
            password.replace('\'', "''")
        ))?;
        let secrets = [password.clone(), common::percent_encoded(password)];
        let assert_hidden = |what: &str, text: &str| {
            for secret in &secrets {
                assert!(
                    !text.contains(secret.as_str()),
                    "{what} shows {password:?}: {text}"
                );
            }
        };
        // Every form with `password`, the raw one last.
        let forms_with = |password: &str| {
            let encoded = common::percent_encoded(password);
            let quoted = password.replace('\\', "\\\\").replace('\'', "\\'");
            vec![
                format!("postgres://{role}:{encoded}@127.0.0.1:{port}/postgres"),
                format!(
                    "host=127.0.0.1 port={port} user={role} password='{quoted}' dbname=postgres"
                ),
                format!("postgresql://127.0.0.1:{port}/postgres?user={role}&password={encoded}"),
                format!("postgres://{role}:{password}@127.0.0.1:{port}/postgres"),
            ]
        };
        let mut forms = forms_with(password);
        let mut wrong_forms = forms_with(&format!("{password}x"));
        let raw = forms.pop().unwrap_or_default();
        let wrong_raw = wrong_forms.pop().unwrap_or_default();
        match Database::connect(&raw) {
            // libpq reads this password raw: it is the same URL.
            Ok(_) => {
                forms.push(raw);
                wrong_forms.push(wrong_raw);
            }
            Err(err) => {
                assert!(matches!(err, Error::Config { .. }), "{password:?}: {err:?}");
                assert!(err.to_string().contains("percent-encode"), "{err}");
                assert_hidden("a refused raw URL", &format!("{err} {err:?}"));
            }
        }
        for (url, wrong) in forms.iter().zip(&wrong_forms) {
            let db = Database::connect(url)?;
            #[derive(diesel::QueryableByName)]
            struct Who {
                #[diesel(sql_type = diesel::sql_types::Text)]
                name: String,
            }
            let who: Who =
                diesel::sql_query("SELECT current_user AS name").get_result(&mut db.get()?)?;
            assert_eq!(who.name, role, "{url}");
            assert_hidden(
                "Database",
                &format!("{} {db:?} {:?}", db.url(), Database::builder(url)),
            );
            assert_hidden("redact_url", &glowplug::redact_url(url));
            // A wrong password: refused by the server, neither one shown.
            let Err(err) = Database::connect(wrong) else {
                panic!("{role} connected with a wrong password");
            };
            assert!(
                err.to_string().contains("password authentication failed"),
                "{err}"
            );
            assert_hidden("a wrong password's error", &format!("{err} {err:?}"));
        }
        // The command line, on the first form: status, and a database set
        // up and dropped (their messages show the URL).
        let (code, text) = cli_output(&[
            "--dir",
            &dir,
            "--database-url",
            &forms[0],
            "migrate",
            "status",
        ]);
        assert_eq!(code, 0, "{text}");
        assert!(text.contains(&format!("{role}:***@")), "{text}");
        assert_hidden("migrate status", &text);
        let own = forms[0].replace("/postgres", &format!("/{role}_db"));
        let creating: &[&[&str]] = if i < 6 {
            &[&["database", "setup"], &["database", "drop", "--yes"]]
        } else {
            &[]
        };
        for command in creating {
            let args = [&["--dir", &dir, "--database-url", &own][..], *command].concat();
            let (code, text) = cli_output(&args);
            assert_eq!(code, 0, "{text}");
            assert!(text.contains(&format!("{role}_db")), "{text}");
            assert_hidden("database setup/drop", &text);
        }
        // A usage error that echoes the URL.
        let (code, text) = cli_output(&["migrate", "status", &forms[0]]);
        assert_eq!(code, 2, "{text}");
        assert_hidden("a usage error", &text);
    }
    Ok(())
}

#[test]
fn pool_settings_out_of_range_are_refused_before_connecting() {
    let cases: [(glowplug::DatabaseBuilder, &str); 3] = [
        (
            Database::builder("sqlite::memory:").max_size(0),
            "max_size must be at least 1 and at most 10000 (got 0)",
        ),
        (
            Database::builder("sqlite::memory:").max_size(2).min_idle(3),
            "min_idle (3) cannot exceed max_size (2)",
        ),
        (
            Database::builder("sqlite::memory:").connection_timeout(Duration::ZERO),
            "connection_timeout must be longer than zero",
        ),
    ];
    for (builder, expected) in cases {
        let err = builder.build().unwrap_err();
        let msg = show(&err);
        assert!(matches!(err, Error::Config { .. }), "{err:?}");
        assert!(msg.contains(expected), "{msg}");
    }
    // Checked before any connection is tried: no server needed at this URL.
    let url = format!("postgres://app:{SECRET}@127.0.0.1:1/app");
    let err = Database::builder(&url).max_size(0).build().unwrap_err();
    assert!(show(&err).contains("at least 1"), "{err}");
}

backend_tests! {
    fn extreme_settings_are_refused_by_name_or_honoured_never_a_panic(db) {
        // Refused before connecting, naming the setting and its limit.
        let refused: [(glowplug::DatabaseBuilder, &str); 9] = [
            (Database::builder(&db.url).connect_timeout(Duration::MAX), "connect_timeout must be at most 2147483647 s"),
            (Database::builder(&db.url).sqlite_busy_timeout(Duration::from_millis(1 << 31)), "sqlite_busy_timeout must be at most 2147483647 ms"),
            (Database::builder(&db.url).sqlite_busy_timeout(Duration::MAX), "sqlite_busy_timeout must be at most"),
            (Database::builder(&db.url).idle_timeout(Some(Duration::ZERO)), "idle_timeout must be longer than zero"),
            (Database::builder(&db.url).max_lifetime(Some(Duration::ZERO)), "max_lifetime must be longer than zero"),
            (Database::builder(&db.url).statement_timeout(Duration::ZERO), "statement_timeout must be longer than zero"),
            (Database::builder(&db.url).lock_timeout(Duration::MAX), "lock_timeout must be at most 2147483647 ms"),
            (Database::builder(&db.url).max_size(u32::MAX), "max_size must be at least 1 and at most 10000"),
            (Database::builder(&db.url).connection_timeout(Duration::ZERO), "connection_timeout must be longer than zero"),
        ];
        for (builder, expected) in refused {
            let err = builder.build().unwrap_err();
            assert!(matches!(err, Error::Config { .. }), "{err:?}");
            assert!(show(&err).contains(expected), "{err}");
        }
        // Honoured: waiting without limit, the longest busy timeout, the
        // largest pool, no idle or lifetime limit.
        let patient = Database::builder(&db.url)
            .connection_timeout(Duration::MAX)
            .idle_timeout(None)
            .max_lifetime(None)
            .sqlite_busy_timeout(Duration::from_millis(i32::MAX as u64))
            .connect_timeout(Duration::from_secs(i32::MAX as u64))
            .max_size(glowplug::MAX_POOL_SIZE)
            .build()?;
        let mut conn = patient.get()?;
        assert_eq!(User::count(&mut conn)?, 0);
        if db.backend() == Backend::Sqlite {
            #[derive(diesel::QueryableByName)]
            struct Busy {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                timeout: i64,
            }
            let busy: Busy = diesel::sql_query("SELECT timeout FROM pragma_busy_timeout").get_result(&mut conn)?;
            assert_eq!(busy.timeout, i64::from(i32::MAX), "kept as given, not wrapped to 0");
        }
        let again = patient.get_timeout(Duration::MAX)?;
        drop((conn, again));
        // A checkout on an exhausted pool with a short deadline fails in time.
        let one = Database::builder(&db.url).max_size(1).connection_timeout(Duration::MAX).build()?;
        let held = one.get()?;
        let started = Instant::now();
        assert!(matches!(one.get_timeout(Duration::from_millis(100)), Err(Error::Pool { .. })));
        assert!(started.elapsed() < Duration::from_secs(5));
        drop(held);
        Ok(())
    }

    fn one_mebibyte_strings_round_trip_and_limits_are_enforced(db) {
        let mut conn = db.get()?;
        let author = new_user("author").insert(&mut conn)?;
        // 1 MiB of mixed one-, two- and four-byte characters.
        let big: String = "aé€😀".repeat(1 << 18).chars().take(1 << 20).collect();
        assert!(big.len() > 1 << 20);
        let post = NewPost { body: Some(big.clone()), ..NewPost::new(author.id, "big") }
            .insert(&mut conn)?;
        assert_eq!(Post::find(&mut conn, post.id)?.body, big);
        let other: String = big.chars().rev().collect();
        let mut post = post;
        post.body = other.clone();
        post.save(&mut conn)?;
        assert_eq!(Post::find(&mut conn, post.id)?.body, other);
        let rows: Vec<NewPost> = (0..3)
            .map(|i| NewPost { body: Some(big.clone()), ..NewPost::new(author.id, format!("b{i}")) })
            .collect();
        assert_eq!(Post::insert_batch(&mut conn, &rows)?, 3);
        let stored = Post::fetch(&mut conn, Post::query().filter(posts::body.eq(big.clone())))?;
        assert_eq!(stored.len(), 3);

        // A 1 MiB value for a varchar(50) is refused before anything is sent.
        let err = NewUser::new(big.clone(), "x@example.com")
            .insert(&mut conn)
            .unwrap_err();
        let msg = show(&err);
        assert!(matches!(&err, Error::Invalid(e) if e.iter().all(|f| f.field == "username")), "{err:?}");
        assert!(msg.contains("username: is too long (maximum is 50 characters)"), "{}", &msg[..200.min(msg.len())]);
        assert_eq!(User::count(&mut conn)?, 1);
        Ok(())
    }

    fn invalid_utf8_round_trips_in_binary_columns(db) {
        let mut conn = db.get()?;
        let bytes: Vec<u8> = vec![0xff, 0xfe, 0x00, 0xc0, 0x80, 0xed, 0xa0, 0x80, 0xf8, 0x88, 0x80, 0x80, 0x80, b'\'', b';'];
        assert!(std::str::from_utf8(&bytes).is_err());
        let sample = NewSample { bytes: bytes.clone(), ..sample() }.insert(&mut conn)?;
        assert_eq!(Sample::find(&mut conn, sample.id)?.bytes, bytes);
        let stored = Sample::fetch(&mut conn, Sample::query().filter(samples::bytes.eq(bytes.clone())))?;
        assert_eq!(stored.len(), 1);

        // Invalid UTF-8 put into a text column by raw SQL: PostgreSQL refuses
        // it; SQLite stores it, and loading it into a `String` is an error
        // naming the field.
        let user = new_user("utf8").insert(&mut conn)?;
        let raw = match conn.backend() {
            Backend::Sqlite => format!("UPDATE users SET bio = CAST(X'41FF42' AS TEXT) WHERE id = {}", user.id),
            Backend::Postgres => format!("UPDATE users SET bio = convert_from('\\x41ff42'::bytea, 'UTF8') WHERE id = {}", user.id),
            _ => unreachable!(),
        };
        match (conn.backend(), conn.batch_execute(&raw).map_err(Error::from)) {
            (Backend::Sqlite, Ok(())) => {
                let err = User::find(&mut conn, user.id).unwrap_err();
                let msg = show(&err);
                assert!(matches!(err, Error::Query(_)), "{err:?}");
                assert!(msg.contains("bio") && msg.contains("utf-8"), "{msg}");
            }
            (Backend::Postgres, Err(err)) => {
                assert!(show(&err).contains("invalid byte sequence for encoding \"UTF8\""), "{err}");
                assert_eq!(User::find(&mut conn, user.id)?.bio, None);
            }
            (backend, outcome) => return Err(format!("{backend}: {outcome:?}").into()),
        }
        Ok(())
    }

    fn smallint_overflow_is_refused_and_the_row_kept(db) {
        let mut conn = db.get()?;
        glowplug::schema::create_all(&mut *conn, &[Gauge::META])?;
        let gauge = NewGauge { level: i16::MAX, reading: i32::MAX, label: "full".into() }.insert(&mut conn)?;
        // Rust's types refuse out-of-range values at compile time; SQL
        // arithmetic on the server is where overflow can happen.
        for sql in [
            "UPDATE \"group\" SET level = level + 1",
            "UPDATE \"group\" SET reading = reading + 1",
            "INSERT INTO \"group\" (level, reading, label) VALUES (70000, 0, 'raw')",
        ] {
            let err = conn.batch_execute(sql).map_err(Error::from).unwrap_err();
            let msg = show(&err);
            // SQLite: the range check of the tables glowplug creates (unnamed,
            // so SQLite names it by its expression); PostgreSQL: its own types.
            let expected = match conn.backend() {
                Backend::Sqlite => {
                    assert!(matches!(&err, Error::CheckViolation { constraint: Some(c), .. } if c.contains("BETWEEN")), "{sql}: {err:?}");
                    "CHECK constraint failed"
                }
                _ => {
                    assert!(matches!(err, Error::Query(_)), "{sql}: {err:?}");
                    "out of range"
                }
            };
            assert!(msg.contains(expected), "{sql}: {msg}");
        }
        let kept = Gauge::find(&mut conn, gauge.id)?;
        assert_eq!((kept.level, kept.reading), (i16::MAX, i32::MAX));
        assert_eq!(Gauge::count(&mut conn)?, 1);
        // The keyword-named table also works for upserts, which reset
        // PostgreSQL's sequence by name.
        let mut again = kept.clone();
        again.label = "upserted".into();
        Gauge::upsert_rows(&mut conn, &[again], glowplug::OnConflict::Update)?;
        assert_eq!(Gauge::find(&mut conn, gauge.id)?.label, "upserted");
        assert_eq!(NewGauge { level: 1, reading: 1, label: "next".into() }.insert(&mut conn)?.id, gauge.id + 1);
        Ok(())
    }

    fn sql_injection_payloads_are_data_or_refused(db) {
        let mut conn = db.get()?;
        for (i, payload) in PAYLOADS.iter().enumerate() {
            // Values: bound as parameters everywhere.
            let mut user = NewUser {
                bio: Some(payload.to_string()),
                ..NewUser::new(payload.to_string(), format!("{i}-{payload}"))
            }
            .insert(&mut conn)?;
            let found = User::fetch(&mut conn, User::query().filter(users::username.eq(*payload)))?;
            assert_eq!(found.len(), 1, "{payload}");
            assert_eq!(found[0].bio.as_deref(), Some(*payload));
            user.update(&mut conn, UserChanges { bio: Some(Some(format!("{payload}{payload}"))), ..Default::default() })?;
            assert_eq!(User::find(&mut conn, user.id)?.bio, Some(format!("{payload}{payload}")));
            NewUser { bio: None, ..NewUser::new(payload.to_string(), format!("{i}-{payload}")) }
                .upsert(&mut conn, users::username)?;
            let posts: Vec<NewPost> = (0..2)
                .map(|n| NewPost { body: Some(payload.to_string()), ..NewPost::new(user.id, format!("{payload}{n}")) })
                .collect();
            assert_eq!(Post::insert_batch(&mut conn, &posts)?, 2);
            assert_eq!(user.posts(&mut conn)?.len(), 2);

            // Identifiers: quoted, so the payload is just a strange name.
            let table = format!("t{i}{payload}");
            glowplug::schema::create(&mut *conn, &table, |t| {
                t.increments("id");
                t.text(payload);
            })?;
            let created = glowplug::schema::introspect(&mut *conn)?;
            let made = created.table(&table).ok_or("the table has the payload as its name")?;
            assert!(made.column(payload).is_some());
            glowplug::schema::drop(&mut *conn, &table)?;

            // Names checked by a parser: refused with the reason.
            let err = glowplug::migrate::validate_name(payload).unwrap_err();
            assert!(show(&err).contains("invalid migration name"), "{err}");
            let err = glowplug::scaffold::Field::parse(payload).unwrap_err();
            show(&err);
            let err = glowplug::scaffold::ModelSpec::parse(payload, &["name:text".to_string()]).unwrap_err();
            show(&err);
            let err = db.migrator(common::MIGRATIONS).run_to(payload).unwrap_err();
            show(&err);
        }
        // Nothing was dropped or rewritten behind the scenes.
        assert_eq!(User::count(&mut conn)?, PAYLOADS.len() as i64);
        assert_eq!(Post::count(&mut conn)?, 2 * PAYLOADS.len() as i64);
        let names: Vec<String> = User::all(&mut conn)?.into_iter().map(|u| u.username).collect();
        for payload in PAYLOADS {
            assert!(names.iter().any(|n| n == payload), "{payload}");
        }
        assert!(User::all(&mut conn)?.iter().all(|u| u.bio.is_none()), "upserts replaced the bios");
        Ok(())
    }
}

/// Classic injection payloads: quotes of both kinds, comments, statement
/// separators, a backslash escape, dollar quoting and a NUL-free sleep.
const PAYLOADS: &[&str] = &[
    "'; DROP TABLE users; --",
    "\"; DROP TABLE users; --",
    "x' OR '1'='1",
    "Robert'); DROP TABLE posts;--",
    "1; SELECT pg_sleep(10)",
    "\\'; DELETE FROM users; --",
    "$$ ' \" ` ] ) /* */ $1 ?",
];

fn sample() -> NewSample {
    NewSample {
        small: 1,
        int32: 2,
        int64: 3,
        real32: 1.5,
        real64: 2.5,
        flag: true,
        body: "b".into(),
        note: None,
        code: "c".into(),
        at: chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap_or_default(),
        day: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
        clock: chrono::NaiveTime::from_hms_opt(1, 2, 3).unwrap_or_default(),
        bytes: Vec::new(),
        doc: serde_json::json!({}),
        rank: None,
    }
}
