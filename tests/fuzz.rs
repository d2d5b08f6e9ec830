//! Fuzzing every parser glowplug has, with proptest: database URLs, migration
//! names and directories (`up.sql`, `metadata.toml`), and the CLI's field
//! specs. Each property says more than "no panic" where it can: a password
//! never survives redaction, a name is accepted exactly when it matches its
//! documented form, a suggested name is itself valid.
//!
//! `cargo test --test fuzz` runs 2 000 cases per property (512 for the
//! directory one, which writes files). A longer, still bounded, run:
//! `PROPTEST_CASES=200000 cargo test --release --test fuzz`.

mod common;

use glowplug::migrate::{Dir, Migration, MigrationSource};
use glowplug::scaffold::{Field, ModelSpec, table_name};
use glowplug::{Backend, Database, Error};
use proptest::prelude::*;

fn cases(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Text that looks like a URL often enough to reach deep into the parsers.
fn url_like() -> impl Strategy<Value = String> {
    let prefix = prop_oneof![
        Just(""),
        Just("postgres://"),
        Just("postgresql://"),
        Just("sqlite:"),
        Just("sqlite://"),
        Just("file:"),
        Just(":memory:"),
        Just("mysql://"),
        Just("://"),
    ];
    let body = prop_oneof![any::<String>(), "[a-zA-Z0-9:/@?&=%#.\\[\\] '\"_-]{0,48}",];
    (prefix, body).prop_map(|(p, b)| format!("{p}{b}"))
}

/// A password: any printable ASCII, or any Unicode text without control
/// characters, long enough that it cannot appear in a message by chance.
fn password() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{6,24}",
        "\\PC{6,24}",
        "[ -~]{0,4}[@/#?%:&=' ][ -~]{0,4}[@/#?%'][ -~]{2,8}",
    ]
    .prop_filter("a password that is not blank", |p| {
        p.trim().chars().count() >= 6
    })
}

/// Every way a user can write `password` into a PostgreSQL connection
/// string, named; the `raw` ones leave special characters unencoded.
fn url_forms(password: &str) -> Vec<(&'static str, String)> {
    let encoded = common::percent_encoded(password);
    let quoted = password.replace('\\', "\\\\").replace('\'', "\\'");
    vec![
        (
            "raw user-info",
            format!("postgres://app:{password}@127.0.0.1:1/app?sslmode=disable"),
        ),
        (
            "raw user-info, postgresql://",
            format!("postgresql://app:{password}@db.internal/app"),
        ),
        (
            "encoded user-info",
            format!("postgres://app:{encoded}@127.0.0.1:1/app?sslmode=disable"),
        ),
        (
            "encoded user-info, no user",
            format!("postgresql://:{encoded}@db.internal"),
        ),
        (
            "raw ?password=",
            format!("postgres://127.0.0.1:1/app?user=app&password={password}"),
        ),
        (
            "encoded ?password=",
            format!("postgres://127.0.0.1:1/app?password={encoded}&application_name=web"),
        ),
        (
            "quoted key=value",
            format!("host=127.0.0.1 port=1 user=app password='{quoted}' dbname=app"),
        ),
        (
            "raw key=value",
            format!("host=127.0.0.1 port=1 password={password} dbname=app"),
        ),
        (
            "encoded sslpassword",
            format!("postgres://app@db.internal/app?sslpassword={encoded}"),
        ),
    ]
}

/// Everything glowplug shows of `url` without connecting: the redacted URL,
/// the builder's `Debug`, and every error (`Display` and `Debug`).
fn rendered(url: &str) -> Vec<String> {
    let mut out = vec![
        glowplug::redact_url(url),
        format!("{:?}", Database::builder(url)),
    ];
    if let Err(err) = glowplug::url::backend_of(url) {
        out.push(format!("{err} {err:?}"));
    }
    let err = Database::builder(url).max_size(0).build().unwrap_err();
    out.push(format!("{err} {err:?}"));
    out
}

/// The password and every piece of it a misreading could show: as written,
/// percent-encoded, and each part between characters URL parsers split on,
/// when long enough to be recognised.
fn secrets(password: &str) -> Vec<String> {
    let mut out = vec![password.to_owned(), common::percent_encoded(password)];
    out.extend(
        password
            .split(['@', '/', '?', '#', '&', '=', ':', ' ', '%', '\''])
            .filter(|piece| piece.chars().count() >= 6)
            .map(str::to_owned),
    );
    out
}

proptest! {
    #![proptest_config(cases(2000))]

    #[test]
    fn url_parsing_never_panics_and_never_connects_with_a_zero_pool(url in url_like()) {
        let backend = glowplug::url::backend_of(&url);
        let _ = glowplug::redact_url(&url);
        // Parsing comes first, then the pool size: either way a
        // configuration error, and no connection is tried.
        let err = Database::builder(&url).max_size(0).build().unwrap_err();
        prop_assert!(matches!(err, Error::Config { .. }), "{err:?}");
        if backend.is_ok() {
            prop_assert!(err.to_string().contains("at least 1"), "{err}");
        }
    }

    #[test]
    fn a_password_never_appears_in_any_form_it_is_written(password in password()) {
        for (form, url) in url_forms(&password) {
            let rendered = rendered(&url);
            for shown in &rendered {
                for secret in secrets(&password) {
                    prop_assert!(!shown.contains(&secret), "{form}: {url:?} shows {secret:?}: {shown}");
                }
            }
            match glowplug::url::backend_of(&url) {
                Ok(backend) => {
                    prop_assert_eq!(backend, Backend::Postgres);
                    let redacted = glowplug::redact_url(&url);
                    prop_assert!(redacted.contains("***"), "{form}: {redacted}");
                    // What is shown means the same connection, less the password.
                    prop_assert_eq!(glowplug::url::backend_of(&redacted).ok(), Some(Backend::Postgres));
                }
                Err(err) => {
                    // Only a raw password can be misread; the error says what to encode.
                    prop_assert!(form.starts_with("raw"), "{form}: {url:?} refused: {err}");
                    prop_assert!(matches!(err, Error::Config { .. }), "{err:?}");
                    prop_assert!(err.to_string().contains("percent-encode"), "{err}");
                }
            }
        }
    }

    #[test]
    fn migration_names_are_accepted_exactly_in_their_documented_form(
        name in prop_oneof![any::<String>(), "[a-zA-Z0-9_ -]{0,70}"],
    ) {
        let valid = !name.is_empty()
            && name.len() <= 64
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        match glowplug::migrate::validate_name(&name) {
            Ok(()) => prop_assert!(valid, "{name:?} was accepted"),
            Err(err) => {
                prop_assert!(!valid, "{name:?} was refused: {err}");
                let msg = err.to_string();
                // A suggestion, when there is one, is itself a valid name.
                if let Some(hint) = msg.split("try `").nth(1).and_then(|t| t.split('`').next()) {
                    prop_assert!(glowplug::migrate::validate_name(hint).is_ok(), "{msg}");
                }
            }
        }
    }

    #[test]
    fn migration_versions_are_the_leading_digits_or_an_error(
        name in prop_oneof![any::<String>(), "[0-9]{0,16}(_[a-z_]{0,10})?"],
    ) {
        if let Ok(m) = Migration::sql(name.clone(), "SELECT 1;", None, true) {
            prop_assert_eq!(m.name(), name.as_str());
            prop_assert!(!m.version().is_empty());
            prop_assert!(m.version().bytes().all(|b| b.is_ascii_digit()), "{}", m.version());
            prop_assert!(name.starts_with(m.version()));
        }
    }

    #[test]
    fn field_specs_parse_or_explain(spec in prop_oneof![
        any::<String>(),
        "[a-z_]{1,8}:(int|bigint|text|varchar|varchar\\([0-9]{0,6}\\)|fk\\([A-Za-z]{0,6}\\)|json|bool|[a-z]{0,5})(:(null|unique|index|default\\([^)]{0,8}\\)|[a-z()]{0,8})){0,3}",
    ]) {
        match Field::parse(&spec) {
            Ok(_) => {
                // A field that parses alone also makes a model, whose
                // source declares it by name.
                let model = ModelSpec::parse("Thing", &[spec.as_str()]);
                prop_assert!(model.is_ok(), "{spec:?}: {model:?}");
                let name = spec.split(':').next().unwrap_or_default();
                let source = model.map(|m| m.source()).unwrap_or_default();
                prop_assert!(source.contains(&format!("        {name}:")), "{source}");
            }
            Err(err) => {
                prop_assert!(matches!(err, Error::Config { .. }), "{err:?}");
                prop_assert!(!err.to_string().is_empty());
            }
        }
    }

    #[test]
    fn model_specs_parse_or_explain(
        name in prop_oneof![any::<String>(), "[A-Za-z][A-Za-z0-9]{0,10}"],
        specs in proptest::collection::vec("[a-z_]{1,6}:(int|text|bool|[a-z]{1,4})|timestamps|.{0,6}", 0..4),
    ) {
        if let Ok(model) = ModelSpec::parse(&name, &specs) {
            let source = model.source();
            prop_assert!(source.starts_with("glowplug::model! {"), "{source}");
            prop_assert!(source.contains(&format!("pub {name} {{")), "{source}");
            let table = table_name(&name);
            prop_assert!(!table.is_empty());
            prop_assert!(table.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'), "{table}");
        }
    }
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn migration_directories_load_or_explain(
        dir_name in prop_oneof![
            "[0-9]{0,15}(_[a-z_]{0,10})?",
            "[^/\\x00]{1,20}",
        ],
        metadata in proptest::option::of(prop_oneof![
            Just("run_in_transaction = false".to_string()),
            Just("run_in_transaction = true".to_string()),
            ".{0,40}",
        ]),
        down in proptest::option::of(".{0,20}"),
    ) {
        prop_assume!(dir_name != "." && dir_name != "..");
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join(&dir_name);
        prop_assume!(std::fs::create_dir(&dir).is_ok());
        std::fs::write(dir.join("up.sql"), "CREATE TABLE t (x INTEGER);").unwrap();
        if let Some(down) = &down {
            std::fs::write(dir.join("down.sql"), down).unwrap();
        }
        if let Some(metadata) = &metadata {
            std::fs::write(dir.join("metadata.toml"), metadata).unwrap();
        }
        match Dir::new(root.path()).migrations(Backend::Sqlite) {
            Ok(found) if dir_name.starts_with('.') => {
                prop_assert!(found.is_empty(), "hidden directories are skipped");
            }
            Ok(found) => {
                prop_assert_eq!(found.len(), 1);
                prop_assert_eq!(found[0].name(), dir_name.as_str());
                if metadata.as_deref() == Some("run_in_transaction = false") {
                    prop_assert!(!found[0].run_in_transaction());
                }
            }
            Err(err) => {
                let msg = err.to_string();
                prop_assert!(!msg.is_empty());
            }
        }
    }
}
