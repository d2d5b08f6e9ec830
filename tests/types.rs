//! Every column type round-trips unchanged on both backends: extremes,
//! NULL, empty and unicode text, binary with every byte value, JSON, and
//! date/time values.

mod common;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use common::models::*;
use glowplug::prelude::*;

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
}
