//! The rows the batch benches insert (glowplug's `NewUser`s and the same
//! rows as the insert struct a diesel user writes), and how they time an
//! insert into an emptied table.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::models::{NewUser, users};

/// The insert struct a diesel user writes for the same six columns.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = users, treat_none_as_default_value = false)]
pub struct DNewUser {
    pub username: String,
    pub email: String,
    pub bio: Option<String>,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The `i`th row for glowplug, with a bio of `bio_bytes` bytes on every
/// other row (a short one when 0).
pub fn new_user(i: usize, bio_bytes: usize) -> NewUser {
    NewUser {
        username: format!("user{i}"),
        email: format!("user{i}@example.com"),
        bio: i.is_multiple_of(2).then(|| match bio_bytes {
            0 => format!("bio of user {i}"),
            n => "b".repeat(n),
        }),
        active: None,
    }
}

/// `n` rows for glowplug.
pub fn new_users(n: usize) -> Vec<NewUser> {
    (0..n).map(|i| new_user(i, 0)).collect()
}

/// The same row for diesel (the declared default applied, stamped `now`).
pub fn diesel_user(r: &NewUser, now: NaiveDateTime) -> DNewUser {
    DNewUser {
        username: r.username.clone(),
        email: r.email.clone(),
        bio: r.bio.clone(),
        active: r.active.unwrap_or(true),
        created_at: now,
        updated_at: now,
    }
}

/// The same rows for diesel.
pub fn diesel_users(rows: &[NewUser]) -> Vec<DNewUser> {
    let now = glowplug::__private::now();
    rows.iter().map(|r| diesel_user(r, now)).collect()
}

/// PostgreSQL's `users` with the same columns and no index but the key.
pub const PG_PLAIN_DDL: &str = "CREATE TABLE users (id BIGSERIAL PRIMARY KEY, username VARCHAR(50) NOT NULL, \
     email VARCHAR NOT NULL, bio TEXT, active BOOLEAN NOT NULL DEFAULT TRUE, \
     created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL)";

/// Times `run` `iters` times, each after `reset` (not timed).
pub fn timed<C>(
    conn: &mut C,
    iters: u64,
    reset: &str,
    mut run: impl FnMut(&mut C) -> usize,
) -> Duration
where
    C: SimpleConnection,
{
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        conn.batch_execute(reset).expect("empty the table");
        let start = Instant::now();
        black_box(run(conn));
        total += start.elapsed();
    }
    total
}
