//! Seeing what the database does, on both backends: the `tracing` events
//! of statements (SQL, duration, backend, operation; binds only when asked;
//! never a password), transaction, checkout and migration spans, the
//! slow-query log, the query recorders, a user's own instrumentation
//! composed with glowplug's, and the pool's metrics after a checkout
//! timeout and a killed PostgreSQL connection.
//!
//! Events are captured by a small `tracing` layer installed per test with
//! `with_default` (a thread-local subscriber), so tests running in
//! parallel do not see each other's events.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::models::*;
use common::{TestDb, new_user};
use diesel::connection::{InstrumentationEvent, SimpleConnection};
use glowplug::prelude::*;
use glowplug::{Error, QueryRecorder, count_queries};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// An event or a closed span, with its fields as text.
#[derive(Clone, Debug)]
struct Record {
    span: bool,
    target: String,
    level: tracing::Level,
    fields: BTreeMap<String, String>,
    /// For events: the targets of the spans they happened in, innermost first.
    scope: Vec<String>,
}

impl Record {
    fn get(&self, field: &str) -> Option<&str> {
        self.fields.get(field).map(String::as_str)
    }
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

/// A layer keeping every event and every closed span.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Record>>>);

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        let meta = event.metadata();
        let scope = ctx
            .event_scope(event)
            .map(|spans| spans.map(|s| s.metadata().target().to_owned()).collect())
            .unwrap_or_default();
        self.0.lock().unwrap().push(Record {
            span: false,
            target: meta.target().to_owned(),
            level: *meta.level(),
            fields,
            scope,
        });
    }

    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::Id,
        ctx: Context<'_, S>,
    ) {
        let mut fields = BTreeMap::new();
        attrs.record(&mut Fields(&mut fields));
        ctx.span(id).unwrap().extensions_mut().insert(fields);
    }

    fn on_record(&self, id: &tracing::Id, values: &tracing::span::Record<'_>, ctx: Context<'_, S>) {
        let span = ctx.span(id).unwrap();
        let mut ext = span.extensions_mut();
        values.record(&mut Fields(
            ext.get_mut::<BTreeMap<String, String>>().unwrap(),
        ));
    }

    fn on_close(&self, id: tracing::Id, ctx: Context<'_, S>) {
        let span = ctx.span(&id).unwrap();
        let fields = span
            .extensions_mut()
            .remove::<BTreeMap<String, String>>()
            .unwrap();
        self.0.lock().unwrap().push(Record {
            span: true,
            target: span.metadata().target().to_owned(),
            level: *span.metadata().level(),
            fields,
            scope: Vec::new(),
        });
    }
}

/// Runs `f` with a capturing subscriber on this thread; returns its value
/// and what was captured.
fn capture<T>(f: impl FnOnce() -> T) -> (T, Vec<Record>) {
    let layer = Capture::default();
    let subscriber = tracing_subscriber::registry().with(layer.clone());
    // Each callsite caches whether any subscriber is interested. A test on
    // another thread ending its own subscriber can leave that cache saying
    // "nobody" while this one runs (tests run in parallel, each with a
    // thread-local subscriber), and `glowplug::query` events were then
    // missed now and then: recompute it with this subscriber in place.
    let value = tracing::subscriber::with_default(subscriber, || {
        tracing::callsite::rebuild_interest_cache();
        f()
    });
    let records = std::mem::take(&mut *layer.0.lock().unwrap());
    (value, records)
}

/// The events and spans of `target`.
fn of<'a>(records: &'a [Record], target: &str) -> Vec<&'a Record> {
    records.iter().filter(|r| r.target == target).collect()
}

fn backend_name(test: &TestDb) -> String {
    test.backend().to_string()
}

fn elapsed_ms(record: &Record) -> f64 {
    record
        .get("elapsed_ms")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no elapsed_ms in {record:?}"))
}

backend_tests! {
    fn each_statement_is_an_event_with_sql_duration_backend_and_operation(test) {
        let mut conn = test.get()?;
        let ada = new_user("ada_events").insert(&mut conn)?;
        new_user("bob_events").insert(&mut conn)?;
        let (users, records) = capture(|| User::all(&mut conn));
        assert_eq!(users?.len(), 2);
        let events = of(&records, "glowplug::query");
        assert_eq!(events.len(), 1, "{records:#?}");
        let event = events[0];
        assert!(!event.span && event.level == tracing::Level::DEBUG);
        let sql = event.get("sql").unwrap();
        assert!(sql.starts_with("SELECT") && sql.contains("users"), "{sql}");
        assert!(elapsed_ms(event) >= 0.0);
        assert_eq!(event.get("backend"), Some(backend_name(&test).as_str()));
        assert_eq!(event.get("model"), Some("User"));
        assert_eq!(event.get("operation"), Some("User::all"));
        assert_eq!(event.get("binds"), None, "binds are not logged by default");
        // The operation's span carries the rows it returned.
        let ops = of(&records, "glowplug::operation");
        assert_eq!(ops.len(), 1, "{records:#?}");
        assert_eq!(ops[0].get("rows"), Some("2"));
        assert_eq!(ops[0].get("operation"), Some("all"));

        // Bind values stay out of every field by default.
        let (found, records) = capture(|| User::find(&mut conn, ada.id));
        assert_eq!(found?.username, "ada_events");
        let text = format!("{records:?}");
        assert!(!text.contains("ada_events"), "a bound value was logged: {text}");
        assert!(!text.contains(&format!("[{}]", ada.id)), "{text}");
        assert_eq!(of(&records, "glowplug::query")[0].get("operation"), Some("User::find"));

        // A failed statement says why.
        let (failed, records) = capture(|| conn.batch_execute("SELECT * FROM no_such_table"));
        assert!(failed.is_err());
        let event = of(&records, "glowplug::query")[0].clone();
        assert_eq!(event.get("sql"), Some("SELECT * FROM no_such_table"));
        assert!(event.get("error").is_some_and(|e| e.contains("no_such_table")), "{event:?}");
        Ok(())
    }

    fn binds_are_logged_only_when_asked(test) {
        let db = Database::builder(&test.url).log_binds(true).build()?;
        let mut conn = db.get()?;
        let (user, records) = capture(|| new_user("shown_binds").insert(&mut conn));
        user?;
        let events = of(&records, "glowplug::query");
        assert_eq!(events.len(), 1, "{records:#?}");
        let binds = events[0].get("binds").expect("binds with log_binds(true)");
        assert!(binds.contains("shown_binds"), "{binds}");
        assert!(!events[0].get("sql").unwrap().contains("shown_binds"), "the SQL has placeholders");
        let (_, log) = count_queries(|| User::count(&mut conn));
        assert!(log[0].binds.is_some());
        Ok(())
    }

    fn eager_loads_and_transactions_are_labelled_and_spanned(test) {
        let mut conn = test.get()?;
        let ada = new_user("ada_eager").insert(&mut conn)?;
        for title in ["one", "two"] {
            NewPost::new(ada.id, title).insert(&mut conn)?;
        }
        let users = User::all(&mut conn)?;
        let (loaded, log) = count_queries(|| users.load(&mut conn, User::POSTS));
        assert_eq!(loaded?[0].get(User::POSTS).len(), 2);
        log.assert_count(1);
        assert_eq!(log[0].operation.map(|o| o.to_string()).as_deref(), Some("User::eager_load(posts)"));

        let (done, records) = capture(|| {
            glowplug::transaction(&mut *conn, |c| {
                tracing::info!(target: "app", "inside the transaction");
                new_user("in_tx").insert(c)?;
                let inner = glowplug::transaction(c, |c| {
                    tracing::info!(target: "app", "inside the savepoint");
                    new_user("in_savepoint").insert(c)?;
                    Err::<(), _>(Error::config("roll the savepoint back".into()))
                });
                assert!(inner.is_err());
                Ok::<_, Error>(())
            })
        });
        done?;
        // The caller's own events inside belong to the transaction's spans.
        let app: Vec<&Vec<String>> = of(&records, "app").iter().map(|r| &r.scope).collect();
        assert_eq!(
            app,
            [
                &vec!["glowplug::transaction".to_owned()],
                &vec!["glowplug::transaction".to_owned(), "glowplug::transaction".to_owned()],
            ],
            "{records:#?}"
        );
        let spans = of(&records, "glowplug::transaction");
        assert_eq!(spans.len(), 2, "{records:#?}");
        // The savepoint closes first.
        assert_eq!((spans[0].get("depth"), spans[0].get("savepoint"), spans[0].get("outcome")), (Some("2"), Some("true"), Some("rollback")));
        assert_eq!((spans[1].get("depth"), spans[1].get("outcome")), (Some("1"), Some("commit")));
        assert!(elapsed_ms(spans[1]) >= elapsed_ms(spans[0]));
        assert_eq!(User::count(&mut conn)?, 2, "ada and in_tx");

        // Scopes are labelled too, with the rows they wrote.
        let (changed, records) = capture(|| {
            count_queries(|| User::filter(users::id.eq(ada.id)).update_all(&mut conn, users::bio.eq("x")))
        });
        let (changed, log) = changed;
        assert_eq!(changed?, 1);
        assert_eq!(log[0].operation.map(|o| o.to_string()).as_deref(), Some("User::update_all"));
        assert_eq!(of(&records, "glowplug::operation")[0].get("rows"), Some("1"));
        Ok(())
    }

    fn every_query_method_labels_its_statements(test) {
        use glowplug::pagination::Paginate;
        let mut conn = test.get()?;
        let ada = new_user("ada_labels").insert(&mut conn)?;
        new_user("bob_labels").insert(&mut conn)?;
        let label = |log: &glowplug::QueryLog| {
            log.iter().map(|s| s.operation.map(|o| o.to_string()).unwrap_or_default()).collect::<Vec<_>>()
        };
        let scope = || User::filter(users::id.ge(ada.id));
        let (first, log) = count_queries(|| scope().first(&mut conn));
        assert_eq!(first?.map(|u| u.id), Some(ada.id));
        assert_eq!(label(&log), ["User::first"]);
        let (last, log) = count_queries(|| scope().last(&mut conn));
        assert_eq!(last?.map(|u| u.username).as_deref(), Some("bob_labels"));
        assert_eq!(label(&log), ["User::last"]);
        let (n, log) = count_queries(|| scope().count(&mut conn));
        assert_eq!((n?, label(&log)), (2, vec!["User::count".to_owned()]));
        let (any, log) = count_queries(|| scope().exists(&mut conn));
        assert_eq!((any?, label(&log)), (true, vec!["User::exists".to_owned()]));
        let (names, log) = count_queries(|| scope().order(users::id.asc()).pluck::<_, _, String>(&mut conn, users::username));
        assert_eq!(names?, ["ada_labels", "bob_labels"]);
        assert_eq!(label(&log), ["User::pluck"]);
        let (top, log) = count_queries(|| scope().max::<_, _, Option<i64>>(&mut conn, users::id));
        assert!(top?.is_some_and(|id| id > ada.id));
        assert_eq!(label(&log), ["User::max"], "the aggregate, not the value() it calls");
        let (found, log) = count_queries(|| User::find_by(&mut conn, users::username.eq("ada_labels")));
        assert_eq!(found?.id, ada.id);
        assert_eq!(label(&log), ["User::find_by"]);
        let (counted, log) = count_queries(|| scope().order(users::id.asc()).with_count(&mut conn, User::POSTS));
        assert_eq!(counted?.iter().map(|(_, n)| *n).collect::<Vec<_>>(), [0, 0]);
        assert_eq!(label(&log), ["User::with_count"]);
        let (page, log) = count_queries(|| User::paginate(&mut conn, User::query().order(users::id.asc()), 1, 1));
        assert_eq!(page?.total, 2);
        assert_eq!(label(&log), ["User::paginate", "User::paginate"], "the page and its count");
        let (page, log) = count_queries(|| User::cursor_paginate(&mut conn, User::query(), users::id.asc(), None, 5));
        assert_eq!(page?.items.len(), 2);
        assert_eq!(label(&log), ["User::cursor_paginate"]);
        Ok(())
    }

    fn slow_statements_are_warned_about(test) {
        let slow = Database::builder(&test.url).slow_query_threshold(Duration::from_nanos(1)).build()?;
        let mut conn = slow.get()?;
        // No subscriber wants DEBUG here: only the slow log formats the SQL.
        let layer = Capture::default();
        let subscriber = tracing_subscriber::registry()
            .with(layer.clone().with_filter(tracing_subscriber::filter::LevelFilter::WARN));
        tracing::subscriber::with_default(subscriber, || User::count(&mut conn))?;
        let records = std::mem::take(&mut *layer.0.lock().unwrap());
        let warned = of(&records, "glowplug::slow_query");
        assert_eq!(warned.len(), 1, "{records:#?}");
        assert_eq!(warned[0].level, tracing::Level::WARN);
        assert!(warned[0].get("sql").unwrap().contains("COUNT"), "{:?}", warned[0]);
        assert!(elapsed_ms(warned[0]) > 0.0);
        assert_eq!(warned[0].get("threshold_ms"), Some("1e-6"));
        assert!(of(&records, "glowplug::query").is_empty(), "statement events are DEBUG");

        let patient = Database::builder(&test.url).slow_query_threshold(Duration::from_secs(3600)).build()?;
        let mut conn = patient.get()?;
        let (_, records) = capture(|| User::count(&mut conn));
        assert!(of(&records, "glowplug::slow_query").is_empty(), "{records:#?}");
        assert_eq!(of(&records, "glowplug::query").len(), 1);
        Ok(())
    }

    fn recorders_see_this_thread_only_and_skip_health_checks(test) {
        let queries = QueryRecorder::start();
        let mut conn = test.get()?; // a checkout with its health check
        let ada = glowplug::assert_queries!(1, new_user("ada_rec").insert(&mut conn))?;
        let found = glowplug::assert_queries!(1, User::find(&mut conn, ada.id))?;
        assert_eq!(found.id, ada.id);
        drop(conn);
        let url = test.url.clone();
        std::thread::spawn(move || -> glowplug::Result<i64> {
            let db = Database::connect(&url)?;
            User::count(&mut db.get()?)
        })
        .join()
        .map_err(|_| "the other thread panicked")??;
        let log = queries.take();
        let sql = log.sql();
        assert_eq!(log.len(), 2, "the insert and the find, no ping, nothing of the other thread: {sql:?}");
        assert!(sql[0].starts_with("INSERT"), "{sql:?}");
        assert!(log.iter().all(|s| s.backend == test.backend() && s.error.is_none()));
        assert_eq!(queries.count(), 0);

        // Asked for, the pings are recorded like any statement.
        let pinged = Database::builder(&test.url).trace_health_checks(true).build()?;
        drop(pinged.get()?);
        let (conn, log) = count_queries(|| pinged.get());
        conn?;
        assert_eq!(log.sql(), ["SELECT 1"]);
        Ok(())
    }

    fn a_user_instrumentation_runs_with_glowplugs(test) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let db = Database::builder(&test.url)
            .max_size(1)
            .instrumentation(move |event: InstrumentationEvent<'_>| {
                if let InstrumentationEvent::StartQuery { query, .. } = event {
                    sink.lock().unwrap().push(query.to_string());
                }
            })
            .build()?;
        let mut conn = db.get()?;
        let (count, records) = capture(|| count_queries(|| User::count(&mut conn)));
        let (count, log) = count;
        assert_eq!(count?, 0);
        log.assert_count(1);
        assert_eq!(of(&records, "glowplug::query").len(), 1, "traced");
        assert_eq!(seen.lock().unwrap().len(), 1, "and the user's instrumentation saw it: {seen:?}");
        drop(conn);
        let mut conn = db.get()?;
        assert_eq!(seen.lock().unwrap().len(), 1, "no health-check ping forwarded");

        // set_instrumentation replaces the chain for this checkout only.
        let replaced = Arc::new(AtomicUsize::new(0));
        let counter = replaced.clone();
        conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::StartQuery { .. } = event {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        });
        let (_, log) = count_queries(|| User::count(&mut conn));
        assert_eq!((log.len(), replaced.load(Ordering::Relaxed)), (0, 1));
        drop(conn);
        let mut conn = db.get()?;
        let (_, log) = count_queries(|| User::count(&mut conn));
        assert_eq!(log.len(), 1, "the chain is back after the connection was returned");
        assert_eq!(seen.lock().unwrap().len(), 2);
        assert_eq!(db.metrics().broken_replaced, 0);
        Ok(())
    }

    fn migrations_and_checkouts_have_spans(test) {
        let blank = if test.backend() == Backend::Sqlite {
            common::blank_sqlite("migration_spans")
        } else {
            common::blank_postgres("migration_spans").ok_or("no server")?
        };
        let (applied, records) = capture(|| blank.run_pending_migrations(common::MIGRATIONS));
        let applied = applied?;
        let spans = of(&records, "glowplug::migrate");
        assert_eq!(spans.len(), applied.len(), "{records:#?}");
        assert!(!applied.is_empty());
        assert_eq!(spans[0].get("version"), Some(applied[0].as_str()));
        assert_eq!(spans[0].get("direction"), Some("Up"));
        assert!(elapsed_ms(spans[0]) >= 0.0);

        let db = Database::builder(&test.url).max_size(1).build()?;
        let held = db.get()?;
        let (refused, records) = capture(|| db.get_timeout(Duration::from_millis(30)));
        assert!(matches!(refused, Err(Error::Pool { .. })));
        let waits = of(&records, "glowplug::pool");
        assert_eq!(waits.len(), 1, "{records:#?}");
        let wait: f64 = waits[0].get("wait_ms").unwrap().parse()?;
        assert!(wait >= 30.0, "waited {wait} ms");
        drop(held);
        Ok(())
    }

    fn pool_metrics_count_checkouts_waits_and_timeouts(test) {
        let db = Database::builder(&test.url).max_size(1).build()?;
        let start = db.metrics();
        // The connection that proved the URL joins the pool at the first checkout.
        assert_eq!((start.connections, start.in_use, start.checkouts, start.checkout_timeouts), (0, 0, 0, 0));
        let held = db.get()?;
        let busy = db.metrics();
        assert_eq!((busy.connections, busy.idle, busy.in_use, busy.checkouts), (1, 0, 1, 1));
        assert!(db.get_timeout(Duration::from_millis(20)).is_err());
        let after = db.metrics();
        assert_eq!((after.checkouts, after.checkout_timeouts, after.waiting), (1, 1, 0));
        assert!(after.total_wait >= Duration::from_millis(20), "{after:?}");
        drop(held);
        drop(db.get()?);
        let end = db.metrics();
        assert_eq!((end.checkouts, end.idle, end.in_use, end.broken_replaced), (2, 1, 0, 0));
        Ok(())
    }
    fn the_binary_prints_statements_with_verbose_or_rust_log(test) {
        let quiet = glowplug_binary(&test.url, &["migrate", "status"], None)?;
        assert!(!quiet.contains("glowplug::query"), "{quiet}");
        let verbose = glowplug_binary(&test.url, &["migrate", "status", "--verbose"], None)?;
        let line = verbose
            .lines()
            .find(|l| l.contains("glowplug::query") && l.contains("sql="))
            .unwrap_or_else(|| panic!("no statement line: {verbose}"));
        assert!(line.contains("elapsed_ms="), "{line}");
        let logged = glowplug_binary(&test.url, &["migrate", "status"], Some("glowplug::query=debug"))?;
        assert!(logged.contains("sql="), "{logged}");
        Ok(())
    }
}

#[test]
fn postgres_killed_connection_is_counted_as_replaced() -> common::TestResult {
    let Some(test) = common::postgres("metrics_killed") else {
        return Ok(());
    };
    // With a user instrumentation of its own: the watch still runs beside it.
    let failures = Arc::new(AtomicUsize::new(0));
    let counter = failures.clone();
    let db = Database::builder(&test.url)
        .max_size(1)
        .test_on_check_out(false)
        .instrumentation(move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::FinishQuery { error: Some(_), .. } = event {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        })
        .build()?;
    let mut admin = test.get()?;
    let mut conn = db.get()?;
    #[derive(diesel::QueryableByName)]
    struct Pid {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        pid: i32,
    }
    let pid = diesel::sql_query("SELECT pg_backend_pid() AS pid")
        .get_result::<Pid>(&mut *conn)?
        .pid;
    admin.batch_execute(&format!("SELECT pg_terminate_backend({pid}, 5000)"))?;
    let (lost, records) = capture(|| User::count(&mut conn));
    assert!(
        matches!(lost, Err(Error::ConnectionLost { .. })),
        "{lost:?}"
    );
    assert!(of(&records, "glowplug::query")[0].get("error").is_some());
    assert_eq!(
        failures.load(Ordering::Relaxed),
        1,
        "the user's instrumentation saw the failure"
    );
    drop(conn);
    assert_eq!(
        db.metrics().broken_replaced,
        1,
        "the lost connection was dropped on return"
    );
    let mut conn = db.get()?;
    assert_eq!(User::count(&mut conn)?, 0, "a fresh connection");
    let m = db.metrics();
    assert_eq!((m.checkouts, m.broken_replaced, m.connections), (2, 1, 1));
    Ok(())
}

#[test]
fn postgres_passwords_never_appear_in_events() -> common::TestResult {
    const PASSWORD: &str = "Tr4ce-s3cret";
    let Some(test) = common::postgres("no_password_in_events") else {
        return Ok(());
    };
    // The server trusts local connections, so any password is accepted.
    let url = test
        .url
        .replacen("postgres@", &format!("postgres:{PASSWORD}@"), 1);
    assert!(url.contains(PASSWORD), "{url}");
    let buffer = Arc::new(Mutex::new(Vec::new()));
    let writer = {
        let buffer = buffer.clone();
        move || Sink(buffer.clone())
    };
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(writer)
        .finish();
    tracing::subscriber::with_default(subscriber, || -> glowplug::Result<()> {
        let db = Database::builder(&url)
            .log_binds(true)
            .slow_query_threshold(Duration::from_nanos(1))
            .build()?;
        let mut conn = db.get()?;
        new_user("pw").insert(&mut conn)?;
        User::count(&mut conn)?;
        Ok(())
    })?;
    let text = String::from_utf8(buffer.lock().unwrap().clone())?;
    assert!(
        text.contains("pool opened") && text.contains("***"),
        "{text}"
    );
    assert!(text.contains("INSERT INTO"), "{text}");
    assert!(!text.contains(PASSWORD), "the password appears: {text}");
    Ok(())
}

/// An `io::Write` into a shared buffer.
struct Sink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs the `glowplug` binary on `url` with `args`, `RUST_LOG` as given;
/// returns its stderr.
fn glowplug_binary(
    url: &str,
    args: &[&str],
    rust_log: Option<&str>,
) -> Result<String, Box<dyn std::error::Error>> {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_glowplug"));
    command
        .args([
            "--database-url",
            url,
            "--dir",
            concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"),
        ])
        .args(args)
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1");
    if let Some(filter) = rust_log {
        command.env("RUST_LOG", filter);
    }
    let output = command.output()?;
    assert!(output.status.success(), "{output:?}");
    Ok(String::from_utf8(output.stderr)?)
}
