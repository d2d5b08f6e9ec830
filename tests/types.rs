//! Every column type round-trips unchanged on both backends: extremes,
//! NULL, empty and unicode text, binary with every byte value, JSON, and
//! date/time values. Values SQLite cannot store as given (NaN floats,
//! dates and timestamps outside years 0000–9999) are refused on SQLite on
//! every write path, and stored, read back and found by range filters on
//! PostgreSQL.

mod common;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use common::models::*;
use glowplug::prelude::*;
use glowplug::{Backend, Error};

glowplug::model! {
    /// Floats, dates and timestamps, NOT NULL and nullable (a table made by glowplug's DDL).
    pub Reading {
        id: pk,
        label: varchar(20) unique,
        real32: float,
        real64: double,
        maybe32: float null,
        maybe64: double null,
        day: date,
        maybe_day: date null,
        at: timestamp,
        maybe_at: timestamp null,
        timestamps,
    }

    /// Defaults SQLite cannot store: checked when an insert leaves them unset.
    pub Dial {
        id: pk,
        level: double default(f64::NAN),
        since: date null default(NaiveDate::MAX),
    }
}

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, micro: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, mo, d)
        .unwrap()
        .and_hms_micro_opt(h, mi, s, micro)
        .unwrap()
}

fn samples() -> Vec<NewSample> {
    vec![
        NewSample {
            small: i16::MAX,
            int32: i32::MAX,
            int64: i64::MAX,
            real32: f32::MAX,
            real64: f64::MAX,
            flag: true,
            body: "plain".into(),
            note: Some("note".into()),
            code: "12345678".into(),
            at: at(2038, 1, 19, 3, 14, 7, 999_999),
            day: NaiveDate::from_ymd_opt(9999, 12, 31).unwrap(),
            clock: NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999).unwrap(),
            bytes: (0u8..=255).collect(),
            doc: serde_json::json!({"nested": {"list": [1, 2.5, null, true], "text": "é ✓"}}),
            rank: Some(Some(42)),
        },
        NewSample {
            small: i16::MIN,
            int32: i32::MIN,
            int64: i64::MIN,
            real32: f32::MIN_POSITIVE,
            real64: -0.5,
            flag: false,
            body: String::new(),
            note: Some(String::new()),
            code: "日本語ü".into(),
            at: at(1970, 1, 1, 0, 0, 0, 0),
            day: NaiveDate::from_ymd_opt(1, 1, 1).unwrap(),
            clock: NaiveTime::from_hms_opt(0, 0, 0).unwrap(),
            bytes: Vec::new(),
            doc: serde_json::json!([]),
            rank: Some(None),
        },
        NewSample {
            small: 0,
            int32: 0,
            int64: 0,
            real32: 0.0,
            real64: 0.0,
            flag: false,
            body: "🚀 'quoted' \"double\" \\ \n\t".into(),
            note: None,
            code: "".into(),
            at: at(2026, 11, 20, 12, 30, 45, 123_456),
            day: NaiveDate::from_ymd_opt(2024, 2, 29).unwrap(),
            clock: NaiveTime::from_hms_micro_opt(12, 0, 0, 1).unwrap(),
            bytes: vec![0, 0, 0xff, b'\'', b'"', b'\\'],
            doc: serde_json::json!("just a string"),
            rank: None,
        },
    ]
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A reading SQLite stores as given.
fn reading(label: &str) -> NewReading {
    NewReading {
        label: label.into(),
        real32: 1.5,
        real64: 2.5,
        maybe32: None,
        maybe64: None,
        day: day(2026, 11, 27),
        maybe_day: None,
        at: at(2026, 11, 27, 12, 0, 0, 0),
        maybe_at: None,
    }
}

/// The labels of `rows`, in order.
fn labels(rows: Vec<Reading>) -> Vec<String> {
    rows.into_iter().map(|r| r.label).collect()
}

/// The `readings` and `dials` tables, made by glowplug's own DDL.
fn readings_table(conn: &mut impl DbConnection) -> glowplug::Result<()> {
    glowplug::schema::create_all(conn, &[Reading::META, Dial::META])
}

/// Asserts that `result` is `Error::Invalid` for `model.field` and that its message says `says`.
fn refused<T: std::fmt::Debug>(result: glowplug::Result<T>, model: &str, field: &str, says: &str) {
    match result {
        Err(Error::Invalid(errors)) => {
            let first = errors.iter().next().expect("a failed check");
            let message = &first.message;
            assert_eq!((errors.model(), &*first.field), (model, field), "{message}");
            assert!(message.contains(says), "{message}");
        }
        other => panic!("expected {model}.{field} to be refused, got {other:?}"),
    }
}

/// A value SQLite cannot store as given, put into one field through each
/// of the insert struct, the changes struct and the model.
struct Edge {
    field: &'static str,
    new: Box<dyn Fn(&mut NewReading)>,
    changes: Box<dyn Fn(&mut ReadingChanges)>,
    row: Box<dyn Fn(&mut Reading)>,
    /// Whether a row read back holds the value.
    holds: Box<dyn Fn(&Reading) -> bool>,
    /// What SQLite's refusal says.
    says: &'static str,
}

fn nan_edges() -> Vec<Edge> {
    const SAYS: &str = "NaN cannot be stored in SQLite (it becomes NULL)";
    vec![
        Edge {
            field: "real32",
            new: Box::new(|r| r.real32 = f32::NAN),
            changes: Box::new(|c| c.real32 = Some(f32::NAN)),
            row: Box::new(|r| r.real32 = f32::NAN),
            holds: Box::new(|r| r.real32.is_nan()),
            says: SAYS,
        },
        Edge {
            field: "real64",
            new: Box::new(|r| r.real64 = f64::NAN),
            changes: Box::new(|c| c.real64 = Some(f64::NAN)),
            row: Box::new(|r| r.real64 = f64::NAN),
            holds: Box::new(|r| r.real64.is_nan()),
            says: SAYS,
        },
        Edge {
            field: "maybe32",
            new: Box::new(|r| r.maybe32 = Some(f32::NAN)),
            changes: Box::new(|c| c.maybe32 = Some(Some(f32::NAN))),
            row: Box::new(|r| r.maybe32 = Some(f32::NAN)),
            holds: Box::new(|r| r.maybe32.is_some_and(f32::is_nan)),
            says: SAYS,
        },
        Edge {
            field: "maybe64",
            new: Box::new(|r| r.maybe64 = Some(f64::NAN)),
            changes: Box::new(|c| c.maybe64 = Some(Some(f64::NAN))),
            row: Box::new(|r| r.maybe64 = Some(f64::NAN)),
            holds: Box::new(|r| r.maybe64.is_some_and(f64::is_nan)),
            says: SAYS,
        },
    ]
}

/// `d` (and `d` at 23:59:59.999999) in each date and timestamp field.
fn date_edges(d: NaiveDate) -> Vec<Edge> {
    const SAYS: &str = "sorts and compares correctly only for years 0000 to 9999";
    let t = d.and_hms_micro_opt(23, 59, 59, 999_999).unwrap();
    vec![
        Edge {
            field: "day",
            new: Box::new(move |r| r.day = d),
            changes: Box::new(move |c| c.day = Some(d)),
            row: Box::new(move |r| r.day = d),
            holds: Box::new(move |r| r.day == d),
            says: SAYS,
        },
        Edge {
            field: "maybe_day",
            new: Box::new(move |r| r.maybe_day = Some(d)),
            changes: Box::new(move |c| c.maybe_day = Some(Some(d))),
            row: Box::new(move |r| r.maybe_day = Some(d)),
            holds: Box::new(move |r| r.maybe_day == Some(d)),
            says: SAYS,
        },
        Edge {
            field: "at",
            new: Box::new(move |r| r.at = t),
            changes: Box::new(move |c| c.at = Some(t)),
            row: Box::new(move |r| r.at = t),
            holds: Box::new(move |r| r.at == t),
            says: SAYS,
        },
        Edge {
            field: "maybe_at",
            new: Box::new(move |r| r.maybe_at = Some(t)),
            changes: Box::new(move |c| c.maybe_at = Some(Some(t))),
            row: Box::new(move |r| r.maybe_at = Some(t)),
            holds: Box::new(move |r| r.maybe_at == Some(t)),
            says: SAYS,
        },
    ]
}

/// Writes `edge` through insert, update, save and a batch insert: on SQLite
/// each is `Error::Validation` naming the field (`Error::InvalidRow` with
/// its index for the batch) and nothing is written; on PostgreSQL each is
/// stored and read back.
fn write_edge(conn: &mut impl DbConnection, edge: &Edge, n: usize) -> common::TestResult {
    let sqlite = conn.backend() == Backend::Sqlite;
    let label = |what: &str| format!("{what}{n}");
    let rows_before = Reading::count(conn)?;

    // insert
    let mut new = reading(&label("insert"));
    (edge.new)(&mut new);
    let inserted = new.insert(conn);
    if sqlite {
        refused(inserted, "Reading", edge.field, edge.says);
    } else {
        let stored = inserted?;
        assert!(
            (edge.holds)(&stored),
            "{}: RETURNING holds the value",
            edge.field
        );
        assert!(
            (edge.holds)(&Reading::find(conn, stored.id)?),
            "{}: read back",
            edge.field
        );
    }

    // update with a changes struct
    let mut row = reading(&label("update")).insert(conn)?;
    let before = row.clone();
    let mut changes = ReadingChanges::default();
    (edge.changes)(&mut changes);
    let updated = row.update(conn, changes);
    if sqlite {
        refused(updated, "Reading", edge.field, edge.says);
        assert_eq!(
            Reading::find(conn, before.id)?,
            before,
            "{}: nothing written",
            edge.field
        );
    } else {
        updated?;
        assert!(
            (edge.holds)(&row),
            "{}: update refreshed the row",
            edge.field
        );
        assert!(
            (edge.holds)(&Reading::find(conn, row.id)?),
            "{}: updated",
            edge.field
        );
    }

    // save
    let before = reading(&label("save")).insert(conn)?;
    let mut row = before.clone();
    (edge.row)(&mut row);
    let saved = row.save(conn);
    if sqlite {
        refused(saved, "Reading", edge.field, edge.says);
        assert_eq!(
            Reading::find(conn, before.id)?,
            before,
            "{}: nothing written",
            edge.field
        );
    } else {
        saved?;
        assert!(
            (edge.holds)(&Reading::find(conn, before.id)?),
            "{}: saved",
            edge.field
        );
    }

    // a batch whose row 2 holds the value
    let mut rows: Vec<NewReading> = (0..4)
        .map(|i| reading(&label(&format!("batch{i}-"))))
        .collect();
    (edge.new)(&mut rows[2]);
    let count = Reading::count(conn)?;
    let batch = Reading::insert_batch(conn, &rows);
    if sqlite {
        match batch {
            Err(Error::InvalidRow { index: 2, source }) => {
                assert!(
                    matches!(&*source, Error::Invalid(e) if e.model() == "Reading" && e.iter().next().is_some_and(|f| f.field == edge.field)),
                    "{source:?}"
                );
            }
            other => panic!(
                "{}: expected batch row 2 to be refused, got {other:?}",
                edge.field
            ),
        }
        assert_eq!(
            Reading::count(conn)?,
            count,
            "{}: no row of the batch written",
            edge.field
        );
        assert_eq!(
            Reading::count(conn)?,
            rows_before + 2,
            "{}: only the plain update and save rows",
            edge.field
        );
    } else {
        assert_eq!(batch?, 4);
        let stored = Reading::fetch(
            conn,
            Reading::query().filter(readings::label.eq(rows[2].label.clone())),
        )?;
        assert!((edge.holds)(&stored[0]), "{}: batch row stored", edge.field);
        assert_eq!(Reading::count(conn)?, rows_before + 7);
    }
    Ok(())
}

backend_tests! {
    fn every_column_type_round_trips(db) {
        let mut conn = db.get()?;
        for new in samples() {
            let stored = new.insert(&mut conn)?;
            let read = Sample::find(&mut conn, stored.id)?;
            assert_eq!(read, stored, "RETURNING and SELECT agree");
            assert_eq!(read.small, new.small);
            assert_eq!(read.int32, new.int32);
            assert_eq!(read.int64, new.int64);
            assert_eq!(read.real32, new.real32);
            assert_eq!(read.real64, new.real64);
            assert_eq!(read.flag, new.flag);
            assert_eq!(read.body, new.body);
            assert_eq!(read.note, new.note, "empty string and NULL stay distinct");
            assert_eq!(read.code, new.code);
            assert_eq!(read.at, new.at, "timestamps keep microseconds");
            assert_eq!(read.day, new.day);
            assert_eq!(read.clock, new.clock);
            assert_eq!(read.bytes, new.bytes);
            assert_eq!(read.doc, new.doc);
            let expected_rank = match new.rank {
                None => Some(7),      // default(7) applied
                Some(explicit) => explicit, // an explicit value, or an explicit NULL
            };
            assert_eq!(read.rank, expected_rank);
        }
        assert_eq!(Sample::count(&mut conn)?, 3);
        Ok(())
    }

    fn nullable_columns_update_to_null_and_back(db) {
        let mut conn = db.get()?;
        let mut s = samples().remove(0).insert(&mut conn)?;
        s.update(&mut conn, SampleChanges { note: Some(None), rank: Some(None), ..Default::default() })?;
        assert_eq!((s.note.clone(), s.rank), (None, None));
        s.update(&mut conn, SampleChanges { note: Some(Some("back".into())), rank: Some(Some(-1)), ..Default::default() })?;
        let read = Sample::find(&mut conn, s.id)?;
        assert_eq!((read.note.as_deref(), read.rank), (Some("back"), Some(-1)));
        Ok(())
    }

    fn nan_floats_are_refused_on_sqlite_and_stored_on_postgres(db) {
        let mut conn = db.get()?;
        readings_table(&mut conn)?;
        for (n, edge) in nan_edges().iter().enumerate() {
            write_edge(&mut conn, edge, n)?;
        }
        Ok(())
    }

    fn dates_past_9999_or_before_0000_are_refused_on_sqlite_and_stored_on_postgres(db) {
        let mut conn = db.get()?;
        readings_table(&mut conn)?;
        let edges: Vec<Edge> = [day(10_000, 1, 1), day(-1, 12, 31)].into_iter().flat_map(date_edges).collect();
        for (n, edge) in edges.iter().enumerate() {
            write_edge(&mut conn, edge, n)?;
        }
        if conn.backend() == Backend::Postgres {
            // Stored as dates, so range filters and ORDER BY place them.
            let last = day(9999, 12, 31);
            let later = Reading::fetch(&mut conn, Reading::query().filter(readings::day.gt(last)))?;
            assert!(!later.is_empty() && later.iter().all(|r| r.day == day(10_000, 1, 1)), "{later:?}");
            let later = Reading::fetch(&mut conn, Reading::query().filter(readings::at.gt(last.and_hms_opt(0, 0, 0).unwrap())))?;
            assert!(!later.is_empty() && later.iter().all(|r| r.at.date() == day(10_000, 1, 1)), "{later:?}");
            let later = Reading::fetch(&mut conn, Reading::query().filter(readings::maybe_day.gt(last)))?;
            assert!(!later.is_empty() && later.iter().all(|r| r.maybe_day == Some(day(10_000, 1, 1))), "{later:?}");
            let earlier = Reading::fetch(&mut conn, Reading::query().filter(readings::day.lt(day(0, 1, 1))))?;
            assert!(!earlier.is_empty() && earlier.iter().all(|r| r.day == day(-1, 12, 31)), "{earlier:?}");
            let order = Reading::fetch(&mut conn, Reading::query().order(readings::at.asc()))?;
            assert_eq!(order.first().map(|r| r.at.date()), Some(day(-1, 12, 31)));
            assert_eq!(order.last().map(|r| r.at.date()), Some(day(10_000, 1, 1)));
        }
        Ok(())
    }

    fn years_0000_and_9999_are_stored_and_sort_on_both_backends(db) {
        let mut conn = db.get()?;
        readings_table(&mut conn)?;
        let first = at(0, 1, 1, 0, 0, 0, 0);
        let last = at(9999, 12, 31, 23, 59, 59, 999_999);
        for (label, t) in [("first", first), ("last", last)] {
            let new = NewReading { day: t.date(), maybe_day: Some(t.date()), at: t, maybe_at: Some(t), ..reading(label) };
            let stored = new.insert(&mut conn)?;
            let read = Reading::find(&mut conn, stored.id)?;
            assert_eq!((read.day, read.maybe_day, read.at, read.maybe_at), (t.date(), Some(t.date()), t, Some(t)));
        }
        reading("middle").insert(&mut conn)?;
        let later = Reading::fetch(&mut conn, Reading::query().filter(readings::at.gt(at(2027, 1, 1, 0, 0, 0, 0))))?;
        assert_eq!(labels(later), ["last"]);
        let earlier = Reading::fetch(&mut conn, Reading::query().filter(readings::day.lt(day(2026, 1, 1))))?;
        assert_eq!(labels(earlier), ["first"]);
        let order = Reading::query().filter(readings::maybe_at.is_not_null()).order(readings::maybe_at.desc());
        assert_eq!(labels(Reading::fetch(&mut conn, order)?), ["last", "first"]);
        Ok(())
    }

    fn infinities_are_stored_and_compared_on_both_backends(db) {
        let mut conn = db.get()?;
        readings_table(&mut conn)?;
        for (label, x) in [("plus", f64::INFINITY), ("minus", f64::NEG_INFINITY)] {
            let new = NewReading { real32: x as f32, real64: x, maybe32: Some(x as f32), maybe64: Some(x), ..reading(label) };
            let stored = new.insert(&mut conn)?;
            let read = Reading::find(&mut conn, stored.id)?;
            assert_eq!(read, stored);
            assert_eq!((read.real32, read.real64, read.maybe32, read.maybe64), (x as f32, x, Some(x as f32), Some(x)));
        }
        reading("finite").insert(&mut conn)?;
        let above = Reading::fetch(&mut conn, Reading::query().filter(readings::real64.gt(f64::MAX)))?;
        assert_eq!(labels(above), ["plus"]);
        let below = Reading::fetch(&mut conn, Reading::query().filter(readings::maybe64.lt(f64::MIN)))?;
        assert_eq!(labels(below), ["minus"]);
        let above = Reading::fetch(&mut conn, Reading::query().filter(readings::real32.gt(f32::MAX)))?;
        assert_eq!(labels(above), ["plus"]);
        let order = Reading::fetch(&mut conn, Reading::query().order(readings::real64.asc()))?;
        assert_eq!(labels(order), ["minus", "finite", "plus"]);
        Ok(())
    }

    fn negative_zero_reads_back_equal_and_keeps_its_sign_only_on_postgres(db) {
        let mut conn = db.get()?;
        readings_table(&mut conn)?;
        let new = NewReading { real32: -0.0, real64: -0.0, maybe32: Some(-0.0), maybe64: Some(-0.0), ..reading("zero") };
        let stored = new.insert(&mut conn)?;
        let read = Reading::find(&mut conn, stored.id)?;
        assert_eq!((read.real32, read.real64, read.maybe64), (0.0, 0.0, Some(0.0)), "equal to zero");
        assert_eq!(Reading::fetch(&mut conn, Reading::query().filter(readings::real64.eq(0.0)))?.len(), 1);
        // SQLite writes a whole-number REAL as an integer to save space, so -0.0 comes back as 0.0
        // (equal by ==, which is why it is not refused); PostgreSQL keeps the sign.
        let signed = conn.backend() == Backend::Postgres;
        assert_eq!(
            [read.real32.is_sign_negative(), read.real64.is_sign_negative(), read.maybe64.unwrap().is_sign_negative()],
            [signed; 3]
        );
        Ok(())
    }

    fn every_write_path_refuses_on_sqlite_what_postgres_stores(db) {
        let mut conn = db.get()?;
        readings_table(&mut conn)?;
        let sqlite = conn.backend() == Backend::Sqlite;
        let nan = |label: &str| NewReading { maybe64: Some(f64::NAN), ..reading(label) };
        let far = |label: &str| NewReading { maybe_day: Some(day(10_000, 1, 1)), ..reading(label) };
        let kept = reading("kept").insert(&mut conn)?;
        let nan_says = "NaN cannot be stored in SQLite";
        let far_says = "year 10000 cannot be stored in SQLite";

        let upsert = Reading::batch().on_conflict(readings::label, OnConflict::Update);
        let copy = Reading::batch().copy(glowplug::CopyMode::Always);
        let results: Vec<(&str, glowplug::Result<()>)> = vec![
            ("insert_or_ignore", nan("n0").insert_or_ignore(&mut conn, readings::label).map(drop)),
            ("NewModel::upsert", far("f0").upsert(&mut conn, readings::label).map(drop)),
            ("insert_batch_returning", Reading::insert_batch_returning(&mut conn, &[reading("r0"), nan("n1")]).map(drop)),
            ("Batch::insert_returning", Reading::batch().insert_returning(&mut conn, &[far("f1"), reading("r1")]).map(drop)),
            ("insert_batch_iter", Reading::insert_batch_iter(&mut conn, [reading("i0"), reading("i1"), far("f2")]).map(drop)),
            ("Batch::on_conflict", upsert.insert(&mut conn, &[nan("n0")]).map(drop)),
            ("Batch::copy", copy.insert(&mut conn, &[reading("c0"), far("f3")]).map(drop)),
        ];
        let expected = [
            ("Reading", "maybe64", None, nan_says),
            ("Reading", "maybe_day", None, far_says),
            ("Reading", "maybe64", Some(1), nan_says),
            ("Reading", "maybe_day", Some(0), far_says),
            ("Reading", "maybe_day", Some(2), far_says),
            ("Reading", "maybe64", Some(0), nan_says),
            ("Reading", "maybe_day", Some(1), far_says),
        ];
        for ((path, result), (model, field, index, says)) in results.into_iter().zip(expected) {
            match (sqlite, index) {
                (false, _) => result.map_err(|e| format!("{path}: {e}"))?,
                (true, None) => refused(result, model, field, says),
                (true, Some(index)) => match result {
                    Err(Error::InvalidRow { index: i, source }) if i == index => {
                        refused(Err::<(), _>(*source), model, field, says)
                    }
                    other => panic!("{path}: expected row {index} to be refused, got {other:?}"),
                },
            }
        }

        // Full rows with their keys (imports): every column is checked, timestamps included.
        let mut row = kept.clone();
        row.maybe32 = Some(f32::NAN);
        let put = Reading::upsert_rows(&mut conn, std::slice::from_ref(&row), OnConflict::Update);
        let mut far_row = Reading { id: kept.id + 1_000, label: "imported".into(), ..kept.clone() };
        far_row.created_at = at(10_000, 1, 1, 0, 0, 0, 0);
        let imported = Reading::upsert_rows(&mut conn, &[kept.clone(), far_row.clone()], OnConflict::Ignore);
        let upsert = row.clone().save_or_insert(&mut conn);
        if sqlite {
            match put {
                Err(Error::InvalidRow { index: 0, source }) => refused(Err::<(), _>(*source), "Reading", "maybe32", nan_says),
                other => panic!("upsert_rows: expected row 0 to be refused, got {other:?}"),
            }
            match imported {
                Err(Error::InvalidRow { index: 1, source }) => refused(Err::<(), _>(*source), "Reading", "created_at", far_says),
                other => panic!("upsert_rows: expected row 1 to be refused, got {other:?}"),
            }
            refused(upsert, "Reading", "maybe32", nan_says);
            assert_eq!(Reading::all(&mut conn)?, [kept], "nothing but the first row was written");
        } else {
            assert_eq!(put?, 1);
            assert_eq!(imported?, 1, "the existing row is ignored, the new one written");
            upsert?;
            assert_eq!(Reading::find(&mut conn, far_row.id)?.created_at, far_row.created_at);
            assert!(Reading::find(&mut conn, kept.id)?.maybe32.is_some_and(f32::is_nan));
        }
        Ok(())
    }

    fn declared_defaults_are_checked_when_an_insert_leaves_them_unset(db) {
        let mut conn = db.get()?;
        readings_table(&mut conn)?;
        let sqlite = conn.backend() == Backend::Sqlite;
        let max_day = NaiveDate::MAX;
        let unset = NewDial::default().insert(&mut conn);
        let level_set = NewDial { level: Some(0.5), ..Default::default() }.insert(&mut conn);
        let both_set = NewDial { level: Some(0.5), since: Some(None) }.insert(&mut conn)?;
        assert_eq!((both_set.level, both_set.since), (0.5, None));
        if sqlite {
            refused(unset, "Dial", "level", "NaN cannot be stored in SQLite");
            refused(level_set, "Dial", "since", "cannot be stored in SQLite");
            assert_eq!(Dial::count(&mut conn)?, 1);
        } else {
            let unset = unset?;
            assert!(unset.level.is_nan());
            assert_eq!(unset.since, Some(max_day));
            assert_eq!(level_set?.since, Some(max_day));
            assert_eq!(Dial::count(&mut conn)?, 3);
        }
        Ok(())
    }
}
