//! The two column-type tables agree: the macro layer's (`__glowplug_type!`,
//! which gives a column its diesel SQL type, Rust type and metadata) and the
//! run-time one (`src/types.rs`, which names the type in DDL, introspection
//! and `generate model`). A model with one column of every keyword: its
//! metadata spells each keyword back, its DDL names each type, and on both
//! backends a row written through the macro's SQL types into the table the
//! run-time DDL created reads back equal, with no drift.

mod common;

use chrono::{NaiveDate, TimeZone, Utc};
use glowplug::prelude::*;
use glowplug::schema::{self, Schema};
use glowplug::{Backend, ColumnType};

glowplug::model! {
    pub Every {
        id: pk,
        c_int: int,
        c_integer: integer,
        c_bigint: bigint,
        c_smallint: smallint,
        c_float: float,
        c_double: double,
        c_bool: bool,
        c_text: text,
        c_varchar: varchar,
        c_varchar_n: varchar(20),
        c_timestamp: timestamp,
        c_timestamptz: timestamptz,
        c_date: date,
        c_time: time,
        c_binary: binary,
        c_json: json,
        c_uuid: uuid,
        c_decimal: decimal(20, 2),
    }

    pub KeyBig { id: pk(bigint), x: int }
    pub KeyInt { id: pk(int), x: int }
    pub KeyInteger { id: pk(integer), x: int }
    pub KeyUuid { id: pk(uuid), x: int }
}

/// Each column: the keyword `model!` spelled, and the DDL name per backend.
const EXPECTED: &[(&str, &str, &str, &str)] = &[
    ("c_int", "int", "INTEGER", "INTEGER"),
    ("c_integer", "int", "INTEGER", "INTEGER"),
    ("c_bigint", "bigint", "BIGINT", "BIGINT"),
    ("c_smallint", "smallint", "SMALLINT", "SMALLINT"),
    ("c_float", "float", "REAL", "REAL"),
    ("c_double", "double", "DOUBLE PRECISION", "DOUBLE"),
    ("c_bool", "bool", "BOOLEAN", "BOOLEAN"),
    ("c_text", "text", "TEXT", "TEXT"),
    ("c_varchar", "varchar", "VARCHAR", "VARCHAR"),
    ("c_varchar_n", "varchar(20)", "VARCHAR(20)", "VARCHAR(20)"),
    ("c_timestamp", "timestamp", "TIMESTAMP", "TIMESTAMP"),
    ("c_timestamptz", "timestamptz", "TIMESTAMPTZ", "TIMESTAMPTZ"),
    ("c_date", "date", "DATE", "DATE"),
    ("c_time", "time", "TIME", "TIME"),
    ("c_binary", "binary", "BYTEA", "BLOB"),
    ("c_json", "json", "JSON", "JSON"),
    ("c_uuid", "uuid", "UUID", "UUID"),
    (
        "c_decimal",
        "decimal(20,2)",
        "NUMERIC(20,2)",
        "DECIMAL_TEXT(20,2)",
    ),
];

#[test]
fn metadata_and_ddl_name_every_keyword() -> common::TestResult {
    assert_eq!(Every::META.columns.len(), EXPECTED.len() + 1);
    let pg = schema::create_sql(Backend::Postgres, &[Every::META])?;
    let sqlite = schema::create_sql(Backend::Sqlite, &[Every::META])?;
    for (column, keyword, pg_name, sqlite_name) in EXPECTED {
        let meta = Every::META.column(column).unwrap();
        assert_eq!(meta.sql_type.to_string(), *keyword, "{column}");
        assert!(
            pg.contains(&format!("{column} {pg_name} NOT NULL")),
            "{column}: {pg}"
        );
        assert!(
            sqlite.contains(&format!("{column} {sqlite_name} NOT NULL")),
            "{column}: {sqlite}"
        );
    }
    let keys = [
        (KeyBig::META, ColumnType::BigInt, true),
        (KeyInt::META, ColumnType::Integer, true),
        (KeyInteger::META, ColumnType::Integer, true),
        (KeyUuid::META, ColumnType::Uuid, false),
    ];
    for (meta, ty, auto) in keys {
        let id = meta.column("id").unwrap();
        assert_eq!(
            (&id.sql_type, id.auto_increment, id.primary_key),
            (&ty, auto, true),
            "{}",
            meta.name
        );
    }
    assert!(
        schema::create_sql(Backend::Postgres, &[KeyUuid::META])?.contains("id UUID PRIMARY KEY")
    );
    Ok(())
}

fn every() -> NewEvery {
    NewEvery {
        c_int: i32::MIN,
        c_integer: i32::MAX,
        c_bigint: i64::MIN,
        c_smallint: i16::MAX,
        c_float: 1.5,
        c_double: -2.25,
        c_bool: true,
        c_text: "text".into(),
        c_varchar: "varchar".into(),
        c_varchar_n: "twenty characters...".into(),
        c_timestamp: NaiveDate::from_ymd_opt(2026, 11, 26)
            .unwrap()
            .and_hms_micro_opt(1, 2, 3, 456_789)
            .unwrap(),
        c_timestamptz: Utc.with_ymd_and_hms(2026, 11, 26, 1, 2, 3).unwrap().into(),
        c_date: NaiveDate::from_ymd_opt(1999, 12, 31).unwrap(),
        c_time: chrono::NaiveTime::from_hms_opt(23, 59, 59).unwrap(),
        c_binary: vec![0, 255, 7],
        c_json: serde_json::json!({"a": [1, 2]}),
        c_uuid: glowplug::Uuid::max(),
        c_decimal: "-12345678901234567.89".parse().unwrap(),
    }
}

backend_tests! {
    fn every_type_round_trips_into_the_ddl_of_the_run_time_table(db) {
        let mut conn = db.get()?;
        let models = [Every::META, KeyBig::META, KeyInt::META, KeyInteger::META, KeyUuid::META];
        schema::create_all(&mut conn, &models)?;
        let row = every().insert(&mut conn)?;
        let back = Every::find(&mut conn, row.id)?;
        assert_eq!(back, row);
        let want = every();
        assert_eq!((back.c_int, back.c_uuid, back.c_json), (want.c_int, want.c_uuid, want.c_json));
        let key = NewKeyUuid { x: 1 }.insert(&mut conn)?;
        assert_eq!(KeyUuid::find(&mut conn, key.id)?.x, 1);
        assert_eq!(NewKeyInt { x: 2 }.insert(&mut conn)?.id, 1);

        let mut mine = schema::introspect(&mut conn)?;
        mine.tables.retain(|t| models.iter().any(|m| m.table == t.name));
        let differences = schema::compare(&Schema::from_models(&models), &mine);
        assert!(differences.is_empty(), "{differences:?}");
        let every = mine.table(Every::META.table).expect("the table");
        for (column, keyword, ..) in EXPECTED {
            assert_eq!(every.column(column).unwrap().ty.to_string(), *keyword, "{column}");
        }
        Ok(())
    }
}
