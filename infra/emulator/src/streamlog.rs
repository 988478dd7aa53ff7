//! Keeps a file database's stream log fast under sustained load.
//!
//! dynoxide numbers each stream record with `MAX(CAST(sequence_number AS
//! INTEGER))` over its `_stream_records` table and reads the stream with
//! the same cast, neither indexed, and never trims the table: every write
//! slows as records pile up (10 ms per write at 35,000 records). A second
//! connection to the same file adds the two expression indexes those
//! queries can use, and trims records every consumer has read, as
//! DynamoDB's 24-hour retention would — always keeping each table's newest
//! record, from which the emulator numbers the next.

use rusqlite::{params, Connection};
use std::time::Duration;

/// The indexes that serve the writer's `MAX(...)` and the reader's
/// `shard_id` + order, as SQLite matches them by expression.
const INDEXES: &str = "
    CREATE INDEX IF NOT EXISTS stream_records_by_sequence
        ON _stream_records (table_name, CAST(sequence_number AS INTEGER));
    CREATE INDEX IF NOT EXISTS stream_records_by_shard_sequence
        ON _stream_records (table_name, shard_id, CAST(sequence_number AS INTEGER));
";

const TRIM: &str = "
    DELETE FROM _stream_records
    WHERE table_name = ?1
      AND CAST(sequence_number AS INTEGER) <= ?2
      AND CAST(sequence_number AS INTEGER) < (
          SELECT MAX(CAST(sequence_number AS INTEGER)) FROM _stream_records WHERE table_name = ?1)
";

/// dynoxide's public sequence numbers are the stored ones plus 10^20 (21
/// digits, like DynamoDB's).
const PUBLIC_OFFSET: u128 = 100_000_000_000_000_000_000;

/// The stored number behind a public sequence number, if it is one.
pub fn stored_sequence(public: &str) -> Option<i64> {
    let value: u128 = public.parse().ok()?;
    i64::try_from(value.checked_sub(PUBLIC_OFFSET)?).ok()
}

/// A connection to the stream log of the database file at `path`.
pub struct StreamLog {
    conn: Connection,
}

impl StreamLog {
    /// Opens the file dynoxide already opened and adds the indexes.
    pub fn open(path: &str) -> Result<Self, rusqlite::Error> {
        let conn = Connection::open(path)?;
        // dynoxide's own connection holds the write lock briefly per request.
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.execute_batch(INDEXES)?;
        Ok(StreamLog { conn })
    }

    /// Deletes `table`'s records up to and including the public sequence
    /// number `through` (what every consumer has read), never the newest.
    /// Returns how many went; none when `through` is not a sequence number.
    pub fn trim(&self, table: &str, through: &str) -> Result<usize, rusqlite::Error> {
        match stored_sequence(through) {
            Some(stored) => self.conn.execute(TRIM, params![table, stored]),
            None => Ok(0),
        }
    }

    /// Records of `table` in the log now.
    pub fn len(&self, table: &str) -> Result<usize, rusqlite::Error> {
        self.conn.query_row(
            "SELECT COUNT(*) FROM _stream_records WHERE table_name = ?1",
            params![table],
            |row| row.get(0),
        )
    }

    /// Whether SQLite answers the writer's query from an index.
    pub fn numbering_uses_index(&self) -> Result<bool, rusqlite::Error> {
        let mut plan = self.conn.prepare(
            "EXPLAIN QUERY PLAN SELECT COALESCE(MAX(CAST(sequence_number AS INTEGER)), 0) + 1 \
             FROM _stream_records WHERE table_name = ?1",
        )?;
        let details: Vec<String> = plan
            .query_map(params!["t"], |row| row.get::<_, String>(3))?
            .collect::<Result<_, _>>()?;
        Ok(details
            .iter()
            .any(|d| d.contains("USING") && d.contains("INDEX")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_sequence_numbers_map_to_stored_ones() {
        assert_eq!(stored_sequence("100000000000000000005"), Some(5));
        assert_eq!(stored_sequence("5"), None);
        assert_eq!(stored_sequence("x"), None);
    }
}
