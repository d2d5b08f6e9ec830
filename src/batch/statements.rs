//! How a chunk of rows becomes INSERT statements, and how many rows a chunk
//! may hold.
//!
//! Every INSERT a batch sends is one of diesel's fixed-size array inserts
//! (`&[T; N]`), whose prepared statement diesel caches: a chunk goes as
//! statements of [`ARRAY_ROWS`] rows, then 128, 64, 32 or 16 rows while more
//! than 16 are left, then one statement of the exact rest (100 rows: 64 +
//! 32 + 4; 10 rows: one statement of 10). A batch of any size reuses at
//! most twenty prepared statements per model, and no statement is parsed
//! twice; a batch of up to 16 rows is one statement, like a hand-written
//! fixed-size insert. diesel's `Vec` insert, by contrast, is rebuilt and
//! re-parsed on every call.
//!
//! Chunks are bounded in bytes as well as rows: [`CHUNK_BYTES`], estimated
//! from the serialized size of a chunk's first rows, so a streaming batch of
//! wide rows holds a few megabytes, not a hundred thousand rows.

use diesel::result::QueryResult;
use serde::Serialize;

/// The most rows of one INSERT statement (see the module docs of
/// [`crate::batch`] for the measurements behind it).
pub const ARRAY_ROWS: usize = 256;

/// The statement sizes a batch uses, largest first: powers of two down to
/// [`EXACT_ROWS`], then every size below it.
const SIZES: [usize; 20] = [
    256, 128, 64, 32, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1,
];

/// Up to this many rows, the rest of a chunk goes as one statement.
const EXACT_ROWS: usize = 16;

/// About how many bytes of rows one chunk holds, estimated from the
/// serialized (JSON) size of its first eight rows.
pub const CHUNK_BYTES: usize = 4 << 20;

/// How many rows of a chunk are measured for [`rows_within_budget`].
const SAMPLE_ROWS: usize = 8;

/// Sends one fixed-size array of rows: a plain insert, or one with
/// `RETURNING`.
pub(crate) trait SendArray<C, T> {
    /// What one statement returns.
    type Output;
    /// Sends `rows` as one statement.
    fn send<const N: usize>(&self, conn: &mut C, rows: &[T; N]) -> QueryResult<Self::Output>;
}

/// The statement sizes `rows` rows are sent as, when one statement may carry
/// at most `per` rows: the largest size that fits while more than
/// [`EXACT_ROWS`] rows are left, then the exact rest.
pub(crate) fn statement_sizes(rows: usize, per: usize) -> impl Iterator<Item = usize> {
    let mut left = rows;
    std::iter::from_fn(move || {
        if left == 0 {
            return None;
        }
        let most = if left <= EXACT_ROWS {
            left
        } else {
            left.min(per)
        };
        let size = SIZES.into_iter().find(|&s| s <= most && s <= per)?;
        left -= size;
        Some(size)
    })
}

/// Sends `rows` as the statements [`statement_sizes`] names, handing each
/// statement's result to `fold`.
pub(crate) fn statements<C, T, S>(
    conn: &mut C,
    rows: &[T],
    per: usize,
    sender: &S,
    mut fold: impl FnMut(S::Output),
) -> QueryResult<()>
where
    S: SendArray<C, T>,
{
    let mut rest = rows;
    for size in statement_sizes(rows.len(), per) {
        let (head, tail) = rest.split_at(size);
        fold(send_sized(conn, head, sender)?);
        rest = tail;
    }
    Ok(())
}

/// Sends `rows` (one of [`SIZES`] long) as a fixed-size array statement.
fn send_sized<C, T, S: SendArray<C, T>>(
    conn: &mut C,
    rows: &[T],
    sender: &S,
) -> QueryResult<S::Output> {
    macro_rules! by_size {
        ($($n:literal)*) => {
            match rows.len() {
                $( $n => sender.send(conn, <&[T; $n]>::try_from(rows).expect("length matched")), )*
                len => unreachable!("statement_sizes yields only sizes in SIZES, not {len}"),
            }
        };
    }
    by_size!(256 128 64 32 16 15 14 13 12 11 10 9 8 7 6 5 4 3 2 1)
}

/// How many rows like `sample` fit in [`CHUNK_BYTES`] (at least 1), from
/// the serialized (JSON) size of the sample's first rows: a close estimate
/// for text and binary columns, which dominate wide rows.
pub(crate) fn rows_within_budget<T: Serialize>(sample: &[T]) -> usize {
    let measured = &sample[..sample.len().min(SAMPLE_ROWS)];
    if measured.is_empty() {
        return usize::MAX;
    }
    let mut counter = ByteCounter(0);
    for row in measured {
        // Serializing a generated struct into a counter cannot fail; if it
        // did, the row-count bound alone would apply.
        let _ = serde_json::to_writer(&mut counter, row);
    }
    let per_row = (counter.0 / measured.len()).max(1);
    (CHUNK_BYTES / per_row).max(1)
}

/// Refills `chunk` from `rows`: at most `max_rows` rows, and no more than
/// [`rows_within_budget`] estimates from its first rows.
pub(crate) fn fill_chunk<T: Serialize>(
    chunk: &mut Vec<T>,
    rows: &mut impl Iterator<Item = T>,
    max_rows: usize,
) {
    chunk.clear();
    let mut limit = max_rows;
    while chunk.len() < limit {
        let Some(row) = rows.next() else { break };
        chunk.push(row);
        if chunk.len() == SAMPLE_ROWS {
            limit = limit.min(rows_within_budget(chunk));
        }
    }
}

/// A writer that only counts bytes.
struct ByteCounter(usize);

impl std::io::Write for ByteCounter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes(rows: usize, per: usize) -> Vec<usize> {
        statement_sizes(rows, per).collect()
    }

    #[test]
    fn sizes_are_full_statements_then_powers_of_two() {
        assert_eq!(sizes(0, 5_461), Vec::<usize>::new());
        assert_eq!(sizes(1, 5_461), [1]);
        assert_eq!(sizes(10, 5_461), [10]);
        assert_eq!(sizes(16, 5_461), [16]);
        assert_eq!(sizes(17, 5_461), [16, 1]);
        assert_eq!(sizes(100, 5_461), [64, 32, 4]);
        assert_eq!(sizes(256, 5_461), [256]);
        assert_eq!(sizes(515, 5_461), [256, 256, 3]);
    }

    #[test]
    fn sizes_respect_the_parameter_limit() {
        // 200 columns on SQLite: 163 rows per statement at most.
        assert_eq!(sizes(300, 163), [128, 128, 32, 12]);
        assert_eq!(sizes(3, 1), [1, 1, 1]);
        assert_eq!(sizes(20, 10), [10, 10]);
    }

    #[test]
    fn the_budget_follows_row_width() {
        let narrow: Vec<(i64, &str)> = (0..10).map(|i| (i, "x")).collect();
        let wide: Vec<String> = (0..10).map(|_| "x".repeat(1024)).collect();
        assert!(rows_within_budget(&narrow) > 250_000);
        let rows = rows_within_budget(&wide);
        assert!(
            (4_000..4_100).contains(&rows),
            "{rows} rows of 1 KiB in 4 MiB"
        );
        assert_eq!(rows_within_budget::<String>(&[]), usize::MAX);
    }
}
