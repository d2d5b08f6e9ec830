//! The Rust values of the column types whose SQL types glowplug defines
//! ([`crate::sql_types`]): [`Uuid`] (a `uuid::Uuid`) and [`UtcDateTime`]
//! (a `chrono::DateTime<Utc>`).
//!
//! Each is a transparent wrapper: `Deref` to the wrapped value, `From` both
//! ways, the same `Display`, ordering and serde form. They exist because
//! rustc's coherence rules let only diesel bind another crate's type to a
//! SQL type (diesel's blanket `AsExpression` impl), and a column value must
//! be bindable to be inserted or compared: `posts::id.eq(id)`.
//!
//! ```
//! let id = glowplug::Uuid::new_v4();
//! let raw: uuid::Uuid = id.into();
//! assert_eq!(id.to_string(), raw.to_string());
//! assert_eq!(id.get_version_num(), 4); // uuid::Uuid's methods, through Deref
//! ```

use std::fmt;
use std::ops::Deref;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A UUID column value (`uuid`, `pk(uuid)`): a `uuid::Uuid`, bound to
/// [`sql_types::Uuid`](crate::sql_types::Uuid).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    Serialize,
    Deserialize,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[serde(transparent)]
#[diesel(sql_type = crate::sql_types::Uuid)]
pub struct Uuid(pub uuid::Uuid);

impl Uuid {
    /// A new random (version 4) UUID: what `pk(uuid)` keys get on insert.
    pub fn new_v4() -> Uuid {
        Uuid(uuid::Uuid::new_v4())
    }

    /// The nil UUID (all zeros).
    pub const fn nil() -> Uuid {
        Uuid(uuid::Uuid::nil())
    }

    /// The max UUID (all ones).
    pub const fn max() -> Uuid {
        Uuid(uuid::Uuid::max())
    }
}

impl Deref for Uuid {
    type Target = uuid::Uuid;
    fn deref(&self) -> &uuid::Uuid {
        &self.0
    }
}

impl From<uuid::Uuid> for Uuid {
    fn from(id: uuid::Uuid) -> Uuid {
        Uuid(id)
    }
}

impl From<Uuid> for uuid::Uuid {
    fn from(id: Uuid) -> uuid::Uuid {
        id.0
    }
}

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::str::FromStr for Uuid {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Uuid, uuid::Error> {
        s.parse().map(Uuid)
    }
}

/// An instant column value (`timestamptz`, `timestamps(tz)`): a
/// `chrono::DateTime<Utc>`, bound to
/// [`sql_types::TimestampTz`](crate::sql_types::TimestampTz). Both backends
/// keep microseconds.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    Serialize,
    Deserialize,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[serde(transparent)]
#[diesel(sql_type = crate::sql_types::TimestampTz)]
pub struct UtcDateTime(pub DateTime<Utc>);

impl UtcDateTime {
    /// Now, to the microsecond (what both backends store).
    pub fn now() -> UtcDateTime {
        UtcDateTime(crate::timestamp::now().and_utc())
    }
}

impl Deref for UtcDateTime {
    type Target = DateTime<Utc>;
    fn deref(&self) -> &DateTime<Utc> {
        &self.0
    }
}

impl From<DateTime<Utc>> for UtcDateTime {
    fn from(t: DateTime<Utc>) -> UtcDateTime {
        UtcDateTime(t)
    }
}

impl From<UtcDateTime> for DateTime<Utc> {
    fn from(t: UtcDateTime) -> DateTime<Utc> {
        t.0
    }
}

impl fmt::Display for UtcDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// A new random key for a `pk(uuid)` column, made on insert.
pub fn new_uuid() -> Uuid {
    Uuid::new_v4()
}
