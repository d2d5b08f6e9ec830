//! Models and helpers of the load tests (`tests/reliability.rs`,
//! `tests/processes.rs`): rows whose every commit is recorded by the writer,
//! so the database's contents can be checked against them exactly.

#![allow(dead_code)]

use diesel::prelude::*;
use glowplug::prelude::*;

glowplug::model! {
    /// One committed write of a load test: `worker` wrote its `seq`-th row with `value`.
    pub LoadRow as load_rows {
        id: pk,
        worker: int,
        seq: int,
        value: bigint,
        unique(worker, seq),
    }

    /// One counter row, incremented by every write transaction of a load test.
    pub Tally as tallies {
        id: pk,
        n: bigint,
    }
}

/// Creates the load tables and the one tally row.
pub fn create_tables(conn: &mut AnyConnection) -> glowplug::Result<()> {
    glowplug::schema::create_all(conn, &[LoadRow::META, Tally::META])?;
    NewTally { n: 0 }.insert(conn)?;
    Ok(())
}

/// Inserts `(worker, seq, value)` and adds one to the tally, in the caller's transaction.
pub fn write(conn: &mut AnyConnection, worker: i32, seq: i32, value: i64) -> glowplug::Result<()> {
    // A read first, as request handlers do: on SQLite this is what makes a
    // deferred transaction fail with "database is locked" under contention.
    LoadRow::query()
        .filter(load_rows::worker.eq(worker))
        .count()
        .get_result::<i64>(conn)?;
    NewLoadRow { worker, seq, value }.insert(conn)?;
    diesel::update(tallies::table)
        .set(tallies::n.eq(tallies::n + 1))
        .execute(conn)?;
    Ok(())
}

/// The rows a set of writers committed, compared with what the database holds.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Ledger(pub Vec<(i32, i32, i64)>);

impl Ledger {
    /// An order-independent checksum of the rows (FNV-1a of each row, summed).
    pub fn checksum(&self) -> u64 {
        self.0.iter().fold(0u64, |sum, &(w, s, v)| {
            let mut h = 0xcbf2_9ce4_8422_2325u64;
            for byte in w
                .to_le_bytes()
                .iter()
                .chain(&s.to_le_bytes())
                .chain(&v.to_le_bytes())
            {
                h = (h ^ u64::from(*byte)).wrapping_mul(0x100_0000_01b3);
            }
            sum.wrapping_add(h)
        })
    }

    /// What the database holds.
    pub fn stored(conn: &mut AnyConnection) -> glowplug::Result<Ledger> {
        let rows = LoadRow::all(conn)?;
        Ok(Ledger(
            rows.into_iter()
                .map(|r| (r.worker, r.seq, r.value))
                .collect(),
        ))
    }

    /// Sorted, for an exact comparison.
    pub fn sorted(mut self) -> Ledger {
        self.0.sort_unstable();
        self
    }
}

/// A small deterministic generator (SplitMix64), so a failing run can be replayed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// A duration in seconds from the environment variable `name`, else `default`.
pub fn secs_from_env(name: &str, default: u64) -> std::time::Duration {
    let secs = std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    std::time::Duration::from_secs(secs)
}
