//! Batch inserts on both backends: chunk sizes at and past the parameter
//! limit, 100 000 rows from an iterator, a 30-column table, the returning
//! form's order, and the failure cases (nothing of a failed batch persists).

mod common;

use common::models::*;
use common::{Queries, new_user};
use glowplug::batch::rows_per_statement;
use glowplug::prelude::*;
use glowplug::{Error, Model};

/// `n` users with unique names starting at `from`.
fn users(from: usize, n: usize) -> Vec<NewUser> {
    (from..from + n)
        .map(|i| new_user(&format!("u{i}")))
        .collect()
}

/// The INSERT statements among `queries` (BEGIN, COMMIT and savepoints left out).
fn inserts(queries: &Queries) -> usize {
    queries
        .take()
        .iter()
        .filter(|q| q.starts_with("INSERT"))
        .count()
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

backend_tests! {
    fn an_empty_batch_returns_zero_and_sends_nothing(db) {
        let mut conn = db.get()?;
        let queries = Queries::record(&mut *conn);
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
            _ => glowplug::connection::sqlite_variable_limit() / 6,
        };
        assert_eq!(per, expected);
        let queries = Queries::record(&mut *conn);

        assert_eq!(User::insert_batch(&mut conn, &users(0, 1))?, 1);
        assert_eq!(inserts(&queries), 1);
        assert_eq!(User::insert_batch(&mut conn, &users(1, per))?, per);
        assert_eq!(inserts(&queries), 1, "exactly the limit: one statement");
        assert_eq!(User::insert_batch(&mut conn, &users(1 + per, per + 1))?, per + 1);
        assert_eq!(inserts(&queries), 2, "one past the limit: two statements");
        assert_eq!(User::count(&mut conn)?, 2 * per as i64 + 2);
        Ok(())
    }

    fn a_hundred_thousand_rows_stream_from_an_iterator(db) {
        const N: usize = 100_000;
        let mut conn = db.get()?;
        let per = per_statement(&mut conn);
        let queries = Queries::record(&mut *conn);
        let rows = (0..N).map(|i| new_user(&format!("s{i}")));
        assert_eq!(User::insert_batch_iter(&mut conn, rows)?, N);
        assert_eq!(inserts(&queries), N.div_ceil(per));
        assert_eq!(User::count(&mut conn)?, N as i64);
        let last = User::fetch(&mut conn, User::query().filter(users::username.eq(format!("s{}", N - 1))))?;
        assert_eq!(last.len(), 1);
        assert!(last[0].active, "defaults applied to batch rows");
        assert_eq!(last[0].created_at, last[0].updated_at, "timestamps stamped");
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
        let queries = Queries::record(&mut *conn);
        let stored = Thirty::insert_batch_returning(&mut conn, &(0..n as i32).map(row).collect::<Vec<_>>())?;
        assert_eq!(inserts(&queries), 3, "{per} rows of 29 parameters per statement");
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
        let queries = Queries::record(&mut *conn);
        let err = User::insert_batch(&mut conn, &rows).unwrap_err();
        assert!(matches!(&err, Error::UniqueViolation { .. }), "{err:?}");
        if conn.backend() == Backend::Postgres {
            assert!(matches!(&err, Error::UniqueViolation { constraint: Some(c), .. } if c == "users_username_key"), "{err:?}");
        } else {
            assert!(err.to_string().contains("users.username"), "{err}");
        }
        assert_eq!(inserts(&queries), 3, "stopped at the third chunk");
        assert_eq!(User::count(&mut conn)?, 1, "the first two chunks were rolled back");

        let err = User::insert_batch_iter(&mut conn, rows.clone()).unwrap_err();
        assert!(matches!(err, Error::UniqueViolation { .. }));
        assert_eq!(User::count(&mut conn)?, 1);
        Ok(())
    }

    fn a_row_over_its_declared_length_is_named_and_nothing_is_sent(db) {
        let mut conn = db.get()?;
        let mut rows = users(0, 10);
        rows[7].username = "x".repeat(51);
        let queries = Queries::record(&mut *conn);
        let err = User::insert_batch(&mut conn, &rows).unwrap_err();
        match &err {
            Error::InvalidRow { index: 7, source } => {
                assert!(matches!(**source, Error::Validation { field: "username", .. }), "{source}");
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
            Err::<(), Error>(Error::NotFound { model: "rollback", id: None })
        });
        assert!(result.is_err());
        assert_eq!(User::count(&mut conn)?, 0, "the outer rollback undid the batch");
        Ok(())
    }
}
