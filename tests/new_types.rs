//! The column types added with the type table, through every path on both
//! backends: `uuid` (also as `pk(uuid)` and a foreign key to it),
//! `timestamptz` (and `timestamps(tz)`), `decimal(P, S)`: round trips with extremes and NULL,
//! ordering, relations, DDL, introspection, drift, generated migrations and
//! `generate model` specs.

mod common;

use chrono::{DateTime, TimeZone, Utc};
use glowplug::prelude::*;
use glowplug::scaffold::ModelSpec;
use glowplug::schema::{self, ColumnType, Schema};
use glowplug::{Backend, Decimal, ModelMeta, UtcDateTime, Uuid};

glowplug::model! {
    pub Owner {
        id: pk(uuid),
        name: text,
        timestamps(tz),
        has_many gadgets: Gadget by owner_id,
    }

    pub Gadget {
        id: pk,
        owner_id: uuid fk(Owner) index,
        spare: uuid null,
        seen_at: timestamptz,
        left_at: timestamptz null,
        belongs_to owner: Owner by owner_id,
    }

    pub Price {
        id: pk,
        amount: decimal(20, 2),
        rate: decimal(5, 4) null,
    }
}

const MODELS: &[ModelMeta] = &[Owner::META, Gadget::META, Price::META];

fn dec(text: &str) -> Decimal {
    text.parse().expect("a decimal")
}

fn at(y: i32, mo: u32, d: u32, micros: u32) -> UtcDateTime {
    let t: DateTime<Utc> = Utc.with_ymd_and_hms(y, mo, d, 12, 0, 0).unwrap();
    (t + chrono::Duration::microseconds(i64::from(micros))).into()
}

/// The live tables of `MODELS` (the harness's own tables left out).
fn live(conn: &mut glowplug::PooledConnection) -> glowplug::Result<Schema> {
    let mut schema = schema::introspect(conn)?;
    schema
        .tables
        .retain(|t| MODELS.iter().any(|m| m.table == t.name));
    Ok(schema)
}

fn gadget(owner: Uuid, seen_at: UtcDateTime) -> NewGadget {
    NewGadget {
        owner_id: owner,
        spare: None,
        seen_at,
        left_at: None,
    }
}

backend_tests! {
    fn uuid_keys_are_made_on_insert_and_join(db) {
        let mut conn = db.get()?;
        schema::create_all(&mut conn, MODELS)?;
        let ann = NewOwner { name: "ann".into() }.insert(&mut conn)?;
        let bob = NewOwner { name: "bob".into() }.insert(&mut conn)?;
        assert_ne!(ann.id, bob.id);
        assert_eq!(ann.id.get_version_num(), 4);
        assert_eq!(Owner::find(&mut conn, ann.id)?, ann);
        assert!(Owner::find_optional(&mut conn, Uuid::nil())?.is_none());

        // Extremes and NULL in a uuid column; a foreign key to the uuid key.
        let mut g = gadget(ann.id, at(2026, 1, 1, 0)).insert(&mut conn)?;
        assert_eq!(g.spare, None);
        for spare in [Uuid::nil(), Uuid::max(), Uuid::new_v4()] {
            g.spare = Some(spare);
            g.save(&mut conn)?;
            assert_eq!(Gadget::find(&mut conn, g.id)?.spare, Some(spare));
        }
        gadget(bob.id, at(2026, 1, 2, 0)).insert(&mut conn)?;
        let owned: Vec<Gadget> = Gadget::fetch(&mut conn, Gadget::query().filter(gadgets::owner_id.eq(ann.id)))?;
        assert_eq!(owned.len(), 1);
        assert_eq!(g.owner(&mut conn)?, ann);
        assert_eq!(ann.gadgets(&mut conn)?.len(), 1);
        let loaded = Owner::all(&mut conn)?.load(&mut conn, Owner::GADGETS)?;
        assert_eq!(loaded.iter().map(|o| o.get(Owner::GADGETS).len()).sum::<usize>(), 2);

        // Keyset pages by a uuid key and by a timestamptz key: cursors carry both types.
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = Owner::cursor_paginate(&mut conn, Owner::query(), owners::id.asc(), after.as_deref(), 1)?;
            seen.extend(page.items.iter().map(|o| o.id));
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        let mut expected = vec![ann.id, bob.id];
        expected.sort();
        assert_eq!(seen, expected, "uuid order is the same on both backends");
        let newest = Gadget::cursor_paginate(&mut conn, Gadget::query(), (gadgets::seen_at.desc(), gadgets::id.desc()), None, 1)?;
        assert_eq!(newest.items[0].seen_at, at(2026, 1, 2, 0));
        let older = Gadget::cursor_paginate(&mut conn, Gadget::query(), (gadgets::seen_at.desc(), gadgets::id.desc()), newest.next.as_deref(), 1)?;
        assert_eq!((older.items[0].id, older.next), (g.id, None));

        // A foreign key to a missing owner is refused on both backends.
        let err = gadget(Uuid::new_v4(), at(2026, 1, 3, 0)).insert(&mut conn).unwrap_err();
        assert!(matches!(err, glowplug::Error::ForeignKeyViolation { .. }), "{err}");
        Ok(())
    }

    fn uuids_sort_as_their_bytes(db) {
        let mut conn = db.get()?;
        schema::create_all(&mut conn, MODELS)?;
        let owner = NewOwner { name: "o".into() }.insert(&mut conn)?;
        let mut spares: Vec<Uuid> = (0..20).map(|_| Uuid::new_v4()).collect();
        spares.extend([Uuid::nil(), Uuid::max()]);
        for s in &spares {
            NewGadget { spare: Some(*s), ..gadget(owner.id, at(2026, 1, 1, 0)) }.insert(&mut conn)?;
        }
        let ordered: Vec<Option<Uuid>> = gadgets::table
            .select(gadgets::spare)
            .order(gadgets::spare.asc())
            .load(&mut conn)?;
        spares.sort();
        assert_eq!(ordered, spares.into_iter().map(Some).collect::<Vec<_>>());
        Ok(())
    }

    fn timestamptz_round_trips_and_sorts(db) {
        let mut conn = db.get()?;
        schema::create_all(&mut conn, MODELS)?;
        let owner = NewOwner { name: "o".into() }.insert(&mut conn)?;
        assert_eq!(owner.created_at, owner.updated_at);
        let times = [
            at(0, 1, 1, 0),
            at(9999, 12, 31, 999_999),
            at(1969, 12, 31, 1),
            at(2026, 11, 26, 0),
            at(2026, 11, 26, 1),
            at(2026, 11, 26, 500_000),
            at(2026, 11, 26, 1_000_000),
            at(999, 6, 1, 0),
        ];
        for t in times {
            let mut g = gadget(owner.id, t).insert(&mut conn)?;
            assert_eq!(Gadget::find(&mut conn, g.id)?.seen_at, t);
            g.left_at = Some(t);
            g.save(&mut conn)?;
            assert_eq!(Gadget::find(&mut conn, g.id)?.left_at, Some(t));
        }
        let ordered: Vec<UtcDateTime> = gadgets::table
            .select(gadgets::seen_at)
            .order(gadgets::seen_at.asc())
            .load(&mut conn)?;
        let mut want = times.to_vec();
        want.sort();
        assert_eq!(ordered, want);
        let after: i64 = gadgets::table
            .filter(gadgets::seen_at.gt(at(2026, 11, 26, 0)))
            .count()
            .get_result(&mut conn)?;
        assert_eq!(after, 4);
        // NULL, and an offset written by another client, read back as the same instant.
        let g = gadget(owner.id, times[0]).insert(&mut conn)?;
        assert_eq!(g.left_at, None);
        let written = match db.backend() {
            Backend::Sqlite => "'2026-11-26 14:00:00+02:00'",
            _ => "'2026-11-26 14:00:00+02:00'::timestamptz",
        };
        conn.backend_connection().batch_execute(&format!("UPDATE gadgets SET left_at = {written} WHERE id = {}", g.id))?;
        assert_eq!(Gadget::find(&mut conn, g.id)?.left_at, Some(at(2026, 11, 26, 0)));
        // timestamps(tz): updated_at moves on save.
        let mut owner = Owner::find(&mut conn, owner.id)?;
        std::thread::sleep(std::time::Duration::from_millis(2));
        owner.name = "renamed".into();
        owner.save(&mut conn)?;
        assert!(owner.updated_at > owner.created_at);
        Ok(())
    }

    fn sqlite_refuses_timestamptz_years_it_cannot_sort(db) {
        let mut conn = db.get()?;
        schema::create_all(&mut conn, MODELS)?;
        let owner = NewOwner { name: "o".into() }.insert(&mut conn)?;
        let far = gadget(owner.id, at(10_000, 1, 1, 0)).insert(&mut conn);
        match db.backend() {
            Backend::Sqlite => {
                let err = far.unwrap_err();
                assert!(err.to_string().contains("year 10000"), "{err}");
            }
            _ => assert_eq!(far?.seen_at, at(10_000, 1, 1, 0)),
        }
        Ok(())
    }

    fn decimals_are_exact_and_sort_as_numbers(db) {
        let mut conn = db.get()?;
        schema::create_all(&mut conn, MODELS)?;
        // 12345678901234567.89 has no f64: diesel's own SQLite decimals would return …568.
        assert_ne!("12345678901234567.89".parse::<f64>()?.to_string(), "12345678901234567.89");
        let values = ["12345678901234567.89", "-12345678901234567.89", "0", "0.01", "-0.01", "9.99", "10", "-10.5"];
        for v in values {
            let row = NewPrice { amount: dec(v), rate: None }.insert(&mut conn)?;
            let back = Price::find(&mut conn, row.id)?;
            assert_eq!(back.amount, dec(v));
            // Every digit, at the column's scale.
            assert_eq!(back.amount.to_string(), dec(v).with_scale(2).to_string(), "{v}");
            assert_eq!(back.rate, None);
        }
        let ordered: Vec<Decimal> = prices::table.select(prices::amount).order(prices::amount.asc()).load(&mut conn)?;
        let mut want: Vec<Decimal> = values.iter().map(|v| dec(v)).collect();
        want.sort();
        assert_eq!(ordered, want);
        let above: i64 = prices::table.filter(prices::amount.gt(dec("9.99"))).count().get_result(&mut conn)?;
        assert_eq!(above, 2);
        // Rounded to the scale on write (halves away from zero), as PostgreSQL does.
        let row = NewPrice { amount: dec("1.005"), rate: Some(dec("-0.00005")) }.insert(&mut conn)?;
        let back = Price::find(&mut conn, row.id)?;
        assert_eq!((back.amount, back.rate), (dec("1.01"), Some(dec("-0.0001"))));
        // Too many digits before the point: refused on both backends.
        assert!(NewPrice { amount: dec("1234567890123456789"), rate: None }.insert(&mut conn).is_err());
        assert!(NewPrice { amount: dec("1"), rate: Some(dec("10")) }.insert(&mut conn).is_err());
        Ok(())
    }

    fn ddl_introspection_and_drift_agree(db) {
        let mut conn = db.get()?;
        let sql = schema::create_sql(db.backend(), MODELS)?;
        assert!(sql.contains("id UUID PRIMARY KEY"), "{sql}");
        assert!(sql.contains("owner_id UUID NOT NULL REFERENCES owners (id)"), "{sql}");
        assert!(sql.contains("seen_at TIMESTAMPTZ NOT NULL"), "{sql}");
        assert!(sql.contains("created_at TIMESTAMPTZ NOT NULL"), "{sql}");
        let decimal = match db.backend() {
            Backend::Sqlite => "amount DECIMAL_TEXT(20,2) NOT NULL",
            _ => "amount NUMERIC(20,2) NOT NULL",
        };
        assert!(sql.contains(decimal), "{sql}");
        schema::create_all(&mut conn, MODELS)?;
        let live = live(&mut conn)?;
        let gadgets = live.table("gadgets").unwrap();
        assert_eq!(gadgets.column("owner_id").unwrap().ty, ColumnType::Uuid);
        assert_eq!(gadgets.column("left_at").unwrap().ty, ColumnType::TimestampTz);
        assert!(gadgets.column("left_at").unwrap().nullable);
        let owners = live.table("owners").unwrap();
        assert_eq!(owners.column("id").unwrap().ty, ColumnType::Uuid);
        assert!(!owners.column("id").unwrap().auto_increment);
        assert_eq!(live.table("prices").unwrap().column("rate").unwrap().ty, ColumnType::Decimal(5, 4));
        let differences = schema::compare(&Schema::from_models(MODELS), &live);
        assert!(differences.is_empty(), "{differences:?}");
        Ok(())
    }

    fn generated_migrations_create_and_drop_the_new_types(db) {
        let mut conn = db.get()?;
        let before = live(&mut conn)?;
        let made = schema::migration_sql(db.backend(), &Schema::from_models(MODELS), &before);
        assert!(made.up.contains("UUID") && made.up.contains("TIMESTAMPTZ"), "{}", made.up);
        assert!(made.up.contains("(20,2)"), "{}", made.up);
        conn.backend_connection().batch_execute(&made.up)?;
        let after = live(&mut conn)?;
        let differences = schema::compare(&Schema::from_models(MODELS), &after);
        assert!(differences.is_empty(), "{differences:?}");
        let owner = NewOwner { name: "o".into() }.insert(&mut conn)?;
        gadget(owner.id, at(2026, 1, 1, 0)).insert(&mut conn)?;
        NewPrice { amount: dec("1.5"), rate: None }.insert(&mut conn)?;
        conn.backend_connection().batch_execute(&made.down)?;
        assert!(live(&mut conn)?.tables.is_empty());
        Ok(())
    }
}

#[test]
fn generate_model_takes_the_new_types() -> common::TestResult {
    let spec = ModelSpec::parse(
        "Device",
        &[
            "serial:uuid:unique",
            "seen_at:timestamptz:null",
            "price:decimal(12,2)",
            "timestamps(tz)",
        ],
    )?;
    let source = spec.source();
    assert!(source.contains("serial: uuid unique,"), "{source}");
    assert!(source.contains("seen_at: timestamptz null,"), "{source}");
    assert!(source.contains("timestamps(tz),"), "{source}");
    assert!(source.contains("price: decimal(12,2),"), "{source}");
    assert_eq!(
        spec.table().column("price").unwrap().ty,
        ColumnType::Decimal(12, 2)
    );
    for bad in ["x:decimal", "x:decimal(2,3)", "x:decimal(a,1)"] {
        let err = ModelSpec::parse("Device", &[bad]).unwrap_err().to_string();
        assert!(err.contains("decimal(P, S)"), "{bad}: {err}");
    }
    let table = spec.table();
    assert_eq!(table.column("serial").unwrap().ty, ColumnType::Uuid);
    assert_eq!(
        table.column("created_at").unwrap().ty,
        ColumnType::TimestampTz
    );
    let pg = schema::create_sql(Backend::Postgres, &[])?;
    assert!(pg.is_empty());
    Ok(())
}
