//! Batch inserts on both backends: chunk sizes at and past the parameter
//! limit, cached fixed-size statements, 100 000 rows from an iterator, a
//! 30-column table, the returning form's order, PostgreSQL COPY, upserts,
//! progress, and the failure cases (nothing of a failed batch persists).

mod common;

use common::models::*;
use common::new_user;
use glowplug::batch::{ARRAY_ROWS, CHUNK_BYTES, COPY_ROWS, COPY_THRESHOLD, rows_per_statement};
use glowplug::prelude::*;
use glowplug::{CopyMode, Error, Model, Progress};

/// `n` users with unique names starting at `from`.
fn users(from: usize, n: usize) -> Vec<NewUser> {
    (from..from + n)
        .map(|i| new_user(&format!("u{i}")))
        .collect()
}

/// The INSERT statements among `queries` (BEGIN, COMMIT and savepoints left out).
fn inserts(queries: &glowplug::QueryRecorder) -> usize {
    statements(queries, "INSERT")
}

/// The statements among `queries` that start with `verb`, and forgets them all.
fn statements(queries: &glowplug::QueryRecorder, verb: &str) -> usize {
    queries
        .take()
        .iter()
        .filter(|q| q.sql.starts_with(verb))
        .count()
}

/// The INSERT statements a plain batch of `n` rows sends: chunks of `per`
/// rows, each as statements of `ARRAY_ROWS` rows, then of 128, 64, 32 or 16
/// rows while more than 16 are left, then one for the rest.
fn insert_statements(n: usize, per: usize) -> usize {
    (0..n)
        .step_by(per)
        .map(|start| {
            let len = per.min(n - start);
            let mut rest = len % ARRAY_ROWS;
            let mut statements = len / ARRAY_ROWS;
            for size in [128, 64, 32, 16] {
                if rest > 16 && rest >= size {
                    rest -= size;
                    statements += 1;
                }
            }
            statements + usize::from(rest > 0)
        })
        .sum()
}

/// The rows of each chunk, from the progress callback's running totals.
fn chunk_sizes(ends: &[usize]) -> Vec<usize> {
    ends.iter()
        .scan(0, |done, &end| Some(end - std::mem::replace(done, end)))
        .collect()
}

/// A row's size as glowplug estimates it: its JSON.
fn json_len(row: &impl serde::Serialize) -> usize {
    serde_json::to_vec(row).map(|v| v.len()).unwrap_or(0)
}

/// Rows per statement for `User` (6 columns written per row) on this connection.
fn per_statement(conn: &mut impl DbConnection) -> usize {
    rows_per_statement(conn.backend(), User::META.columns.len() - 1)
}

glowplug::model! {
    /// 30 columns: a key and 29 integers.
    pub Thirty {
        id: pk,
        c01: int, c02: int, c03: int, c04: int, c05: int, c06: int, c07: int, c08: int, c09: int, c10: int,
        c11: int, c12: int, c13: int, c14: int, c15: int, c16: int, c17: int, c18: int, c19: int, c20: int,
        c21: int, c22: int, c23: int, c24: int, c25: int, c26: int, c27: int, c28: int, c29: int,
    }
}

/// The field and code of the first failed check of an `Error::Invalid`.
fn first_field(err: &Error) -> (&str, &str) {
    match err {
        Error::Invalid(errors) => {
            let first = errors.iter().next().expect("one failed check");
            (&first.field, &first.code)
        }
        other => panic!("expected Error::Invalid, got {other:?}"),
    }
}

backend_tests! {
    fn an_empty_batch_returns_zero_and_sends_nothing(db) {
        let mut conn = db.get()?;
        let queries = glowplug::QueryRecorder::start();
        assert_eq!(User::insert_batch(&mut conn, &[])?, 0);
        assert!(User::insert_batch_returning(&mut conn, &[])?.is_empty());
        assert_eq!(User::insert_batch_iter(&mut conn, std::iter::empty())?, 0);
        assert_eq!(queries.count(), 0, "not even BEGIN");
        Ok(())
    }

    fn one_row_the_limit_and_one_past_it(db) {
        let mut conn = db.get()?;
        let per = per_statement(&mut conn);
        let expected = match conn.backend() {
            Backend::Postgres => 65_535 / 6,
            _ => glowplug::Backend::Sqlite.max_parameters() / 6,
        };
        assert_eq!(per, expected);
        // SQLite's 5 461 rows: 21 statements of 256 rows, then 85 = 64 + 16 + 5.
        assert_eq!(insert_statements(5_461, 5_461), 24);
        assert_eq!(insert_statements(100, 5_461), 3, "64 + 32 + 4");
        assert_eq!(insert_statements(10, 5_461), 1);
        let queries = glowplug::QueryRecorder::start();
        let batch = || User::batch().copy(CopyMode::Never);

        assert_eq!(batch().insert(&mut conn, &users(0, 1))?, 1);
        assert_eq!(inserts(&queries), 1);
        assert_eq!(batch().insert(&mut conn, &users(1, per))?, per);
        assert_eq!(inserts(&queries), insert_statements(per, per), "exactly the limit: one chunk");
        assert_eq!(batch().insert(&mut conn, &users(1 + per, per + 1))?, per + 1);
        assert_eq!(inserts(&queries), insert_statements(per, per) + 1, "one past the limit: a second chunk of one row");
        assert_eq!(User::count(&mut conn)?, 2 * per as i64 + 2);
        Ok(())
    }

    fn full_size_statements_are_prepared_once(db) {
        let mut conn = db.get()?;
        let queries = glowplug::QueryRecorder::start();
        let n = 10 * ARRAY_ROWS + 3;
        assert_eq!(User::batch().copy(CopyMode::Never).insert(&mut conn, &users(0, n))?, n);
        assert_eq!(inserts(&queries), 11, "ten full-size statements and one for the rest");
        assert_eq!(queries.cached(), 2, "the ten full-size statements share one prepared statement; the rest has one");
        assert_eq!(User::batch().copy(CopyMode::Never).insert(&mut conn, &users(n, ARRAY_ROWS))?, ARRAY_ROWS);
        assert_eq!(queries.cached(), 2, "and the next batch reuses it");
        Ok(())
    }

    fn small_batches_are_cached_statements_without_a_transaction(db) {
        let mut conn = db.get()?;
        let queries = glowplug::QueryRecorder::start();
        for (round, from) in [0, 1_000].into_iter().enumerate() {
            assert_eq!(User::insert_batch(&mut conn, &users(from, 1))?, 1);
            assert_eq!(User::insert_batch(&mut conn, &users(from + 1, 10))?, 10);
            assert_eq!(User::insert_batch_returning(&mut conn, &users(from + 11, 16))?.len(), 16);
            assert_eq!(
                queries.take().iter().map(|q| q.sql.split(' ').next().unwrap_or("").to_owned()).collect::<Vec<_>>(),
                ["INSERT", "INSERT", "INSERT"],
                "one statement each, no BEGIN or COMMIT"
            );
            // 100 rows: 64 + 32 + 4 in one transaction (PostgreSQL's COPY when allowed).
            assert_eq!(User::batch().copy(CopyMode::Never).insert(&mut conn, &users(from + 27, 100))?, 100);
            let sent = queries.take();
            assert_eq!(sent.iter().filter(|q| q.sql.starts_with("INSERT")).count(), 3, "{sent:?}");
            assert!(sent.first().is_some_and(|q| q.sql.starts_with("BEGIN") || q.sql.starts_with("SAVEPOINT")), "{sent:?}");
            let cached = queries.cached();
            match round {
                0 => assert_eq!(cached, 6, "sizes 1, 10, 16 (returning), 64, 32, 4: one prepared statement each"),
                _ => assert_eq!(cached, 6, "the second round prepares nothing new"),
            }
        }
        assert_eq!(User::count(&mut conn)?, 254);
        Ok(())
    }

    fn a_hundred_thousand_rows_stream_from_an_iterator(db) {
        const N: usize = 100_000;
        let mut conn = db.get()?;
        let per = per_statement(&mut conn);
        let queries = glowplug::QueryRecorder::start();
        let row = |i: usize| new_user(&format!("s{i}"));
        let mut ends = Vec::new();
        let written = User::batch().progress(|p: Progress| ends.push(p.done)).insert_iter(&mut conn, (0..N).map(row))?;
        assert_eq!(written, N);
        let chunks = chunk_sizes(&ends);
        assert_eq!(chunks.iter().sum::<usize>(), N);
        let bytes = |from: usize, len: usize| (from..from + len).map(|i| json_len(&row(i))).sum::<usize>();
        match conn.backend() {
            Backend::Postgres => {
                assert_eq!(statements(&queries, "COPY"), chunks.len(), "one COPY per chunk");
                assert!(bytes(0, N) > CHUNK_BYTES && chunks.len() > N.div_ceil(COPY_ROWS), "the byte budget cuts 100 000 rows into several COPYs: {chunks:?}");
                let mut from = 0;
                for &len in &chunks {
                    // Estimated from the chunk's first rows, whose names are shorter.
                    assert!(len <= COPY_ROWS && bytes(from, len) <= CHUNK_BYTES + CHUNK_BYTES / 4, "chunk of {len} rows");
                    from += len;
                }
            }
            _ => {
                assert!(chunks.iter().all(|&len| len == per || len == chunks[chunks.len() - 1]), "{chunks:?}");
                assert_eq!(inserts(&queries), insert_statements(N, per));
            }
        }
        assert_eq!(User::count(&mut conn)?, N as i64);
        let last = User::fetch(&mut conn, User::query().filter(users::username.eq(format!("s{}", N - 1))))?;
        assert_eq!(last.len(), 1);
        assert!(last[0].active, "defaults applied to batch rows");
        assert_eq!(last[0].created_at, last[0].updated_at, "timestamps stamped");
        Ok(())
    }

    fn wide_rows_stream_in_chunks_bounded_by_bytes(db) {
        const N: usize = 12_000;
        let mut conn = db.get()?;
        let queries = glowplug::QueryRecorder::start();
        let row = |i: usize| NewUser { bio: Some("b".repeat(1024)), ..new_user(&format!("w{i}")) };
        let mut ends = Vec::new();
        let written = User::batch().progress(|p: Progress| ends.push(p.done)).insert_iter(&mut conn, (0..N).map(row))?;
        assert_eq!(written, N);
        let chunks = chunk_sizes(&ends);
        // About 1.1 KB of JSON a row: under 4 MiB is under about 3 800 rows.
        let most = CHUNK_BYTES / json_len(&row(0)) + 1;
        assert!(chunks.len() >= N.div_ceil(most) && chunks.iter().all(|&len| len <= most), "chunks of at most {most} rows: {chunks:?}");
        if conn.backend() == Backend::Postgres {
            assert_eq!(statements(&queries, "COPY"), chunks.len(), "one COPY per chunk");
        }
        assert_eq!(User::count(&mut conn)?, N as i64);
        Ok(())
    }

    fn a_thirty_column_table(db) {
        let mut conn = db.get()?;
        let columns: Vec<String> = (1..=29).map(|i| format!("c{i:02} INTEGER NOT NULL")).collect();
        let key = match conn.backend() {
            Backend::Postgres => "id BIGSERIAL PRIMARY KEY",
            _ => "id INTEGER PRIMARY KEY AUTOINCREMENT",
        };
        diesel::connection::SimpleConnection::batch_execute(
            &mut *conn,
            &format!("CREATE TABLE thirtys ({key}, {})", columns.join(", ")),
        )?;
        let per = rows_per_statement(conn.backend(), 29);
        let n = 2 * per + 7;
        let row = |i: i32| NewThirty {
            c01: i, c02: 2, c03: 3, c04: 4, c05: 5, c06: 6, c07: 7, c08: 8, c09: 9, c10: 10,
            c11: 11, c12: 12, c13: 13, c14: 14, c15: 15, c16: 16, c17: 17, c18: 18, c19: 19, c20: 20,
            c21: 21, c22: 22, c23: 23, c24: 24, c25: 25, c26: 26, c27: 27, c28: 28, c29: i,
        };
        let queries = glowplug::QueryRecorder::start();
        let stored = Thirty::insert_batch_returning(&mut conn, &(0..n as i32).map(row).collect::<Vec<_>>())?;
        assert_eq!(inserts(&queries), insert_statements(n, per), "chunks of {per} rows of 29 parameters");
        assert_eq!(stored.len(), n);
        assert!(stored.iter().enumerate().all(|(i, t)| t.c01 == i as i32 && t.c29 == i as i32 && t.c15 == 15));
        assert_eq!(Thirty::count(&mut conn)?, n as i64);
        Ok(())
    }

    fn the_returning_form_gives_stored_rows_in_input_order(db) {
        let mut conn = db.get()?;
        let per = per_statement(&mut conn);
        let mut rows = users(0, per + 10);
        rows[3].bio = Some("has a bio".into());
        rows[4].active = Some(false);
        let before = glowplug::__private::now();
        let stored = User::insert_batch_returning(&mut conn, &rows)?;
        assert_eq!(stored.len(), rows.len());
        for (new, user) in rows.iter().zip(&stored) {
            assert_eq!(new.username, user.username, "input order");
        }
        assert!(stored.windows(2).all(|w| w[0].id < w[1].id), "ids ascend");
        assert_eq!(stored[3].bio.as_deref(), Some("has a bio"));
        assert!(!stored[4].active && stored[5].active, "explicit values and defaults");
        assert!(stored.iter().all(|u| u.created_at >= before && u.created_at == u.updated_at));
        assert_eq!(User::find(&mut conn, stored[per + 9].id)?, stored[per + 9], "the returned rows are the stored rows");
        Ok(())
    }

    fn a_unique_violation_in_the_third_of_five_chunks_keeps_nothing(db) {
        let mut conn = db.get()?;
        new_user("taken").insert(&mut conn)?;
        let per = per_statement(&mut conn);
        let mut rows = users(0, 5 * per);
        rows[2 * per + 5].username = "taken".into();
        let queries = glowplug::QueryRecorder::start();
        let check = |err: &Error, backend: Backend| {
            assert!(matches!(err, Error::UniqueViolation { .. }), "{err:?}");
            if backend == Backend::Postgres {
                assert!(matches!(err, Error::UniqueViolation { constraint: Some(c), .. } if c == "users_username_key"), "{err:?}");
            } else {
                assert!(err.to_string().contains("users.username"), "{err}");
            }
        };

        let err = User::batch().copy(CopyMode::Never).insert(&mut conn, &rows).unwrap_err();
        check(&err, conn.backend());
        assert_eq!(inserts(&queries), 2 * insert_statements(per, per) + 1, "stopped at the third chunk's first statement");
        assert_eq!(User::count(&mut conn)?, 1, "the first two chunks were rolled back");

        // The default: one COPY on PostgreSQL.
        let err = User::insert_batch(&mut conn, &rows).unwrap_err();
        check(&err, conn.backend());
        if conn.backend() == Backend::Postgres {
            assert_eq!(statements(&queries, "COPY"), 1);
        }
        assert_eq!(User::count(&mut conn)?, 1);

        let err = User::insert_batch_iter(&mut conn, rows.clone()).unwrap_err();
        check(&err, conn.backend());
        assert_eq!(User::count(&mut conn)?, 1);
        Ok(())
    }

    fn a_row_over_its_declared_length_is_named_and_nothing_is_sent(db) {
        let mut conn = db.get()?;
        let mut rows = users(0, 10);
        rows[7].username = "x".repeat(51);
        let queries = glowplug::QueryRecorder::start();
        let err = User::insert_batch(&mut conn, &rows).unwrap_err();
        match &err {
            Error::InvalidRow { index: 7, source } => {
                assert_eq!(first_field(source), ("username", "length"), "{source}");
            }
            other => panic!("expected row 7 to be rejected, got {other:?}"),
        }
        assert!(err.to_string().starts_with("batch row 7: "), "{err}");
        assert_eq!(queries.count(), 0, "validated before anything is sent");

        let per = per_statement(&mut conn);
        let mut streamed = users(100, 2 * per);
        streamed[per + 3].username = "y".repeat(60);
        let err = User::insert_batch_iter(&mut conn, streamed).unwrap_err();
        assert!(matches!(err, Error::InvalidRow { index, .. } if index == per + 3), "{err}");
        assert_eq!(User::count(&mut conn)?, 0, "the chunk already sent was rolled back");
        Ok(())
    }

    fn a_batch_inside_a_transaction_is_a_savepoint(db) {
        let mut conn = db.get()?;
        let result = conn.transaction(|conn| {
            User::insert_batch(conn, &users(0, 3))?;
            assert_eq!(User::count(conn)?, 3);
            Err::<(), Error>(Error::NotFound { model: "rollback", id: None, condition: None })
        });
        assert!(result.is_err());
        assert_eq!(User::count(&mut conn)?, 0, "the outer rollback undid the batch");
        Ok(())
    }

    fn copy_is_chosen_from_the_threshold_and_writes_the_same_rows(db) {
        let mut conn = db.get()?;
        let pg = conn.backend() == Backend::Postgres;
        let queries = glowplug::QueryRecorder::start();

        // Below the threshold: INSERT statements on both backends.
        let below = COPY_THRESHOLD - 1;
        assert_eq!(User::insert_batch(&mut conn, &users(0, below))?, below);
        let sent = queries.take();
        assert!(sent.iter().all(|q| !q.sql.starts_with("COPY")), "no COPY below the threshold");
        assert_eq!(sent.iter().filter(|q| q.sql.starts_with("INSERT")).count(), insert_statements(below, below));

        // At the threshold: one COPY on PostgreSQL, INSERTs on SQLite.
        let mut rows = users(below, COPY_THRESHOLD);
        rows[0].bio = Some("copied".into());
        rows[1].active = Some(false);
        let before = glowplug::__private::now();
        assert_eq!(User::insert_batch(&mut conn, &rows)?, COPY_THRESHOLD);
        let sent = queries.take();
        let copies = sent.iter().filter(|q| q.sql.starts_with("COPY")).count();
        assert_eq!(copies, usize::from(pg), "{sent:?}");
        if pg {
            assert!(sent.iter().any(|q| q.sql.contains("FORMAT binary")), "binary COPY: {sent:?}");
        }

        // Rows, defaults and timestamps are what INSERT writes.
        let stored = User::fetch(&mut conn, User::query().filter(users::id.gt(below as i64)).order(users::id))?;
        assert_eq!(stored.len(), COPY_THRESHOLD);
        assert_eq!(stored[0].bio.as_deref(), Some("copied"));
        assert!(!stored[1].active && stored[2].active, "explicit values and defaults");
        assert!(stored.iter().all(|u| u.created_at >= before && u.created_at == u.updated_at));
        assert_eq!(stored[COPY_THRESHOLD - 1].username, format!("u{}", below + COPY_THRESHOLD - 1));

        // Forced either way.
        assert_eq!(User::batch().copy(CopyMode::Always).insert(&mut conn, &users(5_000, 3))?, 3);
        assert_eq!(statements(&queries, "COPY"), usize::from(pg), "COPY on PostgreSQL even for 3 rows");
        assert_eq!(User::batch().copy(CopyMode::Never).insert(&mut conn, &users(6_000, 2_000))?, 2_000);
        assert_eq!(statements(&queries, "COPY"), 0);
        assert_eq!(User::count(&mut conn)?, (below + COPY_THRESHOLD + 3 + 2_000) as i64);
        Ok(())
    }

    fn insert_or_ignore_and_upsert_one_row(db) {
        let mut conn = db.get()?;
        let first = new_user("ada").insert_or_ignore(&mut conn, users::username)?.expect("inserted");
        assert_eq!(first.username, "ada");

        let mut again = new_user("ada");
        again.email = "other@example.com".into();
        assert_eq!(again.insert_or_ignore(&mut conn, users::username)?, None, "skipped");
        assert_eq!(User::find(&mut conn, first.id)?, first, "the stored row is untouched");

        std::thread::sleep(std::time::Duration::from_millis(5));
        again.bio = Some("updated".into());
        let updated = again.upsert(&mut conn, users::username)?;
        assert_eq!(updated.id, first.id, "the same row");
        assert_eq!(updated.email, "other@example.com");
        assert_eq!(updated.bio.as_deref(), Some("updated"));
        assert_eq!(updated.created_at, first.created_at, "created_at kept");
        assert!(updated.updated_at > first.updated_at, "updated_at bumped");

        let fresh = new_user("grace").upsert(&mut conn, users::email)?;
        assert_ne!(fresh.id, first.id, "a new key inserts");
        assert_eq!(User::count(&mut conn)?, 2);

        // Another unique column is another key: a clash on email, not username.
        let mut clash = new_user("ada2");
        clash.email = "grace@example.com".into();
        let moved = clash.upsert(&mut conn, users::email)?;
        assert_eq!((moved.id, moved.username.as_str()), (fresh.id, "ada2"));

        // Validation happens before anything is sent.
        let err = new_user(&"x".repeat(51)).upsert(&mut conn, users::username).unwrap_err();
        assert_eq!(first_field(&err), ("username", "length"), "{err}");
        Ok(())
    }

    fn single_row_upserts_prepare_one_statement_per_key_and_action(db) {
        let mut conn = db.get()?;
        let queries = glowplug::QueryRecorder::start();
        for round in 0..3 {
            let name = format!("u{round}");
            assert!(new_user(&name).insert_or_ignore(&mut conn, users::username)?.is_some());
            assert_eq!(new_user(&name).insert_or_ignore(&mut conn, users::username)?, None);
            let mut again = new_user(&name);
            again.bio = Some(format!("bio {round}"));
            assert_eq!(again.upsert(&mut conn, users::username)?.bio, again.bio);
            assert_eq!(again.upsert(&mut conn, users::email)?.bio, again.bio);
        }
        let sent = queries.take();
        let queries_sql = sent.sql();
        // SQLite quotes identifiers with backticks, PostgreSQL with double quotes.
        let sql = queries_sql.iter().map(|s| s.replace('`', "\"")).collect::<Vec<_>>();
        assert_eq!(sql.len(), 12);
        // The SQL diesel writes for the same `ON CONFLICT DO NOTHING`.
        let row = new_user("u0");
        let diesel_sql = {
            let query = diesel::insert_into(users::table)
                .values(&row)
                .on_conflict(users::username)
                .do_nothing()
                .returning(users::all_columns);
            match conn.backend() {
                Backend::Sqlite => diesel::debug_query::<diesel::sqlite::Sqlite, _>(&query).to_string(),
                _ => diesel::debug_query::<diesel::pg::Pg, _>(&query).to_string(),
            }
        };
        assert_eq!(Some(queries_sql[0]), diesel_sql.split(" -- binds:").next());
        assert!(sql[2].contains(r#"ON CONFLICT ("username") DO UPDATE SET"#), "{}", sql[2]);
        assert!(sql[3].contains(r#"ON CONFLICT ("email") DO UPDATE SET"#), "{}", sql[3]);
        assert_eq!(sql[0], sql[4], "the same statement every round");
        assert_eq!(queries.cached(), 3, "one prepared statement per key and action, reused by later rounds");
        assert_eq!(User::count(&mut conn)?, 3);
        Ok(())
    }

    fn batch_upserts_ignore_or_update_across_chunks(db) {
        let mut conn = db.get()?;
        let per = per_statement(&mut conn);
        let existing = User::insert_batch_returning(&mut conn, &users(0, 10))?;

        // Ignore: 2 chunks, 10 existing names among them.
        let mut rows = users(0, per + 50);
        for row in &mut rows {
            row.bio = Some("new".into());
        }
        let queries = glowplug::QueryRecorder::start();
        assert_eq!(User::batch().on_conflict(users::username, OnConflict::Ignore).insert(&mut conn, &rows)?, per + 40);
        assert_eq!(inserts(&queries), 2, "one INSERT … ON CONFLICT per chunk");
        assert_eq!(User::count(&mut conn)?, (per + 50) as i64);
        assert_eq!(User::find(&mut conn, existing[3].id)?, existing[3], "existing rows untouched");

        // Update: every row written, existing ones changed in place.
        for row in &mut rows {
            row.bio = Some("again".into());
        }
        let written = User::batch().on_conflict(users::username, OnConflict::Update).insert_iter(&mut conn, rows.clone())?;
        assert_eq!(written, per + 50);
        assert_eq!(User::count(&mut conn)?, (per + 50) as i64, "nothing new");
        let row = User::find(&mut conn, existing[3].id)?;
        assert_eq!(row.bio.as_deref(), Some("again"));
        assert_eq!(row.created_at, existing[3].created_at);

        // A unique violation on another column still fails the whole batch.
        let mut bad = users(10_000, 5);
        bad[4].email = rows[0].email.clone();
        let err = User::batch().on_conflict(users::username, OnConflict::Update).insert(&mut conn, &bad).unwrap_err();
        assert!(matches!(err, Error::UniqueViolation { .. }), "{err:?}");
        assert_eq!(User::count(&mut conn)?, (per + 50) as i64, "nothing of the failed batch");
        Ok(())
    }

    fn full_rows_upsert_by_primary_key(db) {
        let mut conn = db.get()?;
        let mut stored = User::insert_batch_returning(&mut conn, &users(0, 3))?;

        // Change one, keep one, add two with explicit keys.
        stored[0].bio = Some("synced".into());
        let mut imported = vec![stored[0].clone(), stored[1].clone()];
        for (i, id) in [(10, 100), (11, 101)] {
            let mut row = stored[2].clone();
            row.id = id;
            row.username = format!("imported{i}");
            row.email = format!("imported{i}@example.com");
            imported.push(row);
        }
        assert_eq!(User::upsert_rows(&mut conn, &imported, OnConflict::Update)?, 4);
        assert_eq!(User::count(&mut conn)?, 5);
        assert_eq!(User::find(&mut conn, stored[0].id)?.bio.as_deref(), Some("synced"));
        assert_eq!(User::find(&mut conn, 101)?.username, "imported11");

        // Later inserts do not collide with the explicit keys.
        let next = new_user("after").insert(&mut conn)?;
        assert!(next.id > 101, "the key sequence moved past 101: {}", next.id);

        // Ignore keeps what is stored.
        imported[0].bio = Some("ignored".into());
        assert_eq!(User::upsert_rows(&mut conn, &imported[..1], OnConflict::Ignore)?, 0);
        assert_eq!(User::find(&mut conn, stored[0].id)?.bio.as_deref(), Some("synced"));

        // One row: insert or update, then refresh.
        let mut one = imported[3].clone();
        one.bio = Some("single".into());
        one.save_or_insert(&mut conn)?;
        assert_eq!(one.bio.as_deref(), Some("single"));
        assert_eq!(User::find(&mut conn, 101)?, one);
        assert!(User::upsert_rows(&mut conn, &[], OnConflict::Update)? == 0);

        // A bad row is named by its index and nothing is written.
        let mut bad = vec![imported[2].clone(), imported[0].clone()];
        bad[0].bio = Some("not written".into());
        bad[1].username = "x".repeat(51);
        let queries = glowplug::QueryRecorder::start();
        let err = User::upsert_rows(&mut conn, &bad, OnConflict::Update).unwrap_err();
        assert!(matches!(&err, Error::InvalidRow { index: 1, .. }), "{err:?}");
        assert_eq!(queries.count(), 0, "validated before anything is sent");
        assert_ne!(User::find(&mut conn, 100)?.bio.as_deref(), Some("not written"));
        Ok(())
    }

    fn progress_reports_rows_sent_after_each_chunk(db) {
        let mut conn = db.get()?;
        let per = per_statement(&mut conn);
        let n = 2 * per + 5;
        let mut seen = Vec::new();
        User::batch().copy(CopyMode::Never).progress(|p: Progress| seen.push(p)).insert(&mut conn, &users(0, n))?;
        let done: Vec<usize> = seen.iter().map(|p| p.done).collect();
        assert_eq!(done, [per, 2 * per, n], "one report per INSERT chunk");
        assert!(seen.iter().all(|p| p.total == Some(n)));

        let mut seen = Vec::new();
        User::batch().progress(|p: Progress| seen.push(p)).insert(&mut conn, &users(n, n))?;
        let expected = match conn.backend() {
            Backend::Postgres => vec![n],
            _ => vec![per, 2 * per, n],
        };
        assert_eq!(seen.iter().map(|p| p.done).collect::<Vec<_>>(), expected, "one COPY on PostgreSQL");

        let mut seen = Vec::new();
        User::batch()
            .copy(CopyMode::Never)
            .progress(|p: Progress| seen.push(p))
            .insert_iter(&mut conn, users(2 * n, per + 1).into_iter().filter(|_| true))?;
        assert_eq!(seen, [Progress { done: per, total: None }, Progress { done: per + 1, total: None }], "a filter has no exact size");

        let mut calls = 0;
        User::batch().progress(|_| calls += 1).insert(&mut conn, &[])?;
        assert_eq!(calls, 0, "an empty batch reports nothing");
        Ok(())
    }
}
