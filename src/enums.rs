//! The run-time side of `enum(..)` columns: the [`ColumnEnum`] trait every
//! enum `model!` generates implements, and [`UnknownEnumValue`], the error
//! for a name that is none of its values.
//!
//! For `Post { status: enum(Draft, Published) default(Draft) }`, `model!`
//! generates `enum PostStatus { Draft, Published }` (the model's name and
//! the column's in upper camel case; `macros/enums.rs`). A value is stored
//! as its variant's name, as written, in a `TEXT` column whose `CHECK`
//! lists the names ([`schema`](crate::schema)), so filters compare it as
//! text: `posts::status.eq(PostStatus::Published)`.
//!
//! ```
//! glowplug::model! {
//!     Post { id: pk, status: enum(Draft, Published, Archived) default(Draft) }
//! }
//! # fn main() {
//! use glowplug::ColumnEnum;
//! assert_eq!(PostStatus::Published.as_str(), "Published");
//! assert_eq!(PostStatus::ALL, [PostStatus::Draft, PostStatus::Published, PostStatus::Archived]);
//! assert_eq!("Archived".parse::<PostStatus>().unwrap(), PostStatus::Archived);
//! assert_eq!(PostStatus::default(), PostStatus::Draft); // the column's default(..)
//! let err = "Gone".parse::<PostStatus>().unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "`Gone` is not a value of PostStatus (column posts.status); accepted: Draft, Published, Archived"
//! );
//! assert_eq!(<PostStatus as ColumnEnum>::COLUMN, "posts.status");
//! # }
//! ```

use std::fmt;

/// An enum `model!` generates for an `enum(..)` column: its values, their
/// stored names and the column it belongs to. The generated type also has
/// `ALL`, `NAMES` and `as_str` as inherent items, `Display` and `FromStr`
/// (by name), `Default` (the column's `default(..)` value, or the first),
/// serde (as the name) and diesel's text mapping on both backends.
pub trait ColumnEnum: Copy + Eq + fmt::Debug + 'static {
    /// The Rust type's name (`PostStatus`).
    const TYPE: &'static str;
    /// The column, as `table.column` (`posts.status`).
    const COLUMN: &'static str;
    /// Every value, in declaration order.
    const ALL: &'static [Self];
    /// The stored name of each value of [`ALL`](Self::ALL), in the same order:
    /// the variant names as written.
    const NAMES: &'static [&'static str];

    /// The stored name of the value.
    fn as_str(self) -> &'static str;

    /// The value whose stored name is `name` (exactly: names are case-sensitive).
    ///
    /// # Errors
    ///
    /// [`UnknownEnumValue`] naming `name` and the accepted names.
    fn from_name(name: &str) -> Result<Self, UnknownEnumValue> {
        Self::NAMES
            .iter()
            .position(|n| *n == name)
            .map(|i| Self::ALL[i])
            .ok_or_else(|| UnknownEnumValue {
                type_name: Self::TYPE,
                column: Self::COLUMN,
                value: name.to_owned(),
                accepted: Self::NAMES,
            })
    }
}

/// A name that is none of an enum column's values: from `FromStr`, or from
/// a row whose column holds another text (a database written by other
/// means; glowplug's DDL has a `CHECK` that refuses such text).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnknownEnumValue {
    /// The Rust type (`PostStatus`).
    pub type_name: &'static str,
    /// The column, as `table.column`.
    pub column: &'static str,
    /// The name that was given or read.
    pub value: String,
    /// The names the column accepts.
    pub accepted: &'static [&'static str],
}

impl fmt::Display for UnknownEnumValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a value of {} (column {}); accepted: {}",
            self.value,
            self.type_name,
            self.column,
            self.accepted.join(", ")
        )
    }
}

impl std::error::Error for UnknownEnumValue {}

/// A generated enum's `FromSql`: the stored text as a value, or the error
/// naming the column, the text and the accepted names.
#[doc(hidden)]
pub fn enum_from_sql<T: ColumnEnum>(text: String) -> diesel::deserialize::Result<T> {
    T::from_name(&text).map_err(|e| Box::new(e) as _)
}

/// What an enum column's `default(..)` inserts: the enum's `Default` (the
/// variant named there). A value of its own, so the generated insert code
/// need not name the enum type (each name costs a macro nesting level).
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct EnumDefault;

impl<T: ColumnEnum + Default> crate::__private::IntoColumnDefault<T> for EnumDefault {
    fn into_default(self) -> T {
        T::default()
    }
}
