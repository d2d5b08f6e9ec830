//! The text form of a keyset cursor: base64url (no padding) of the JSON
//! array `["<table>:<columns><direction>", value, …]`, e.g. `["users:id>", 42]`.
//! The first element says which model and ordering issued it, so a cursor
//! used with another ordering is refused rather than misread. The values
//! are read from the last row's own serialization (the model's field named
//! like each column; only those fields are kept), so no code per model is
//! needed. Cursors are opaque to clients but not secret or signed: a
//! client may forge one, and it only changes where its page starts (the
//! values are bound parameters).

use serde::de::DeserializeOwned;
use serde::{Serialize, ser};
use serde_json::Value;

use crate::error::{Error, Result};

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The cursor of `row` in the ordering named `signature` over `columns`.
pub(super) fn encode<T: Serialize>(
    model: &'static str,
    signature: &str,
    columns: &[&'static str],
    row: &T,
) -> Result<String> {
    let mut pick = Pick {
        names: columns,
        found: vec![None; columns.len()],
    };
    row.serialize(&mut pick)
        .map_err(|e| bad(model, format!("cannot read the cursor from the row: {e}")))?;
    let mut parts = Vec::with_capacity(columns.len() + 1);
    parts.push(Value::String(signature.to_owned()));
    for (column, value) in columns.iter().zip(pick.found) {
        parts.push(value.ok_or_else(|| {
            bad(
                model,
                format!("the ordering column `{column}` is not a field of the model, so a cursor cannot be read from its rows"),
            )
        })?);
    }
    Ok(base64url(
        serde_json::to_string(&parts)
            .expect("JSON values serialize")
            .as_bytes(),
    ))
}

/// The values of `cursor`, which must have been issued for `signature`.
pub(super) fn decode<V: DeserializeOwned>(
    model: &'static str,
    signature: &str,
    cursor: &str,
) -> Result<V> {
    let invalid = |why: &str| {
        bad(
            model,
            format!(
                "invalid cursor {:?}: {why}; pass back a `next` cursor exactly as a page returned it",
                shorten(cursor)
            ),
        )
    };
    let bytes = from_base64url(cursor).ok_or_else(|| invalid("not a cursor (bad encoding)"))?;
    let mut parts: Vec<Value> =
        serde_json::from_slice(&bytes).map_err(|_| invalid("not a cursor (bad contents)"))?;
    if parts.is_empty() || parts[0] != Value::String(signature.to_owned()) {
        return Err(invalid(&format!(
            "it was issued for another model or ordering, not `{signature}`"
        )));
    }
    parts.remove(0);
    serde_json::from_value(Value::Array(parts)).map_err(|e| {
        invalid(&format!(
            "its values do not fit the ordering's columns ({e})"
        ))
    })
}

fn bad(model: &'static str, message: String) -> Error {
    Error::Pagination { model, message }
}

/// The first 40 characters of a cursor, for error messages.
fn shorten(cursor: &str) -> String {
    match cursor.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &cursor[..i]),
        None => cursor.to_owned(),
    }
}

fn base64url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (b as u32) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

fn from_base64url(text: &str) -> Option<Vec<u8>> {
    if text.len() % 4 == 1 {
        return None;
    }
    let digits: Vec<u32> = text.bytes().map(digit).collect::<Option<_>>()?;
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &d)| n | d << (18 - 6 * i));
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
}

/// The value of one base64url character.
fn digit(c: u8) -> Option<u32> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' => 62,
        b'_' => 63,
        _ => return None,
    } as u32)
}

/// A serializer that keeps only the struct fields named in `names`, as JSON
/// values: the key of a row, without serializing the whole row.
struct Pick<'a> {
    names: &'a [&'static str],
    found: Vec<Option<Value>>,
}

type NotAStruct = ser::Impossible<(), serde_json::Error>;

fn not_a_struct<T>() -> std::result::Result<T, serde_json::Error> {
    Err(ser::Error::custom("a model serializes as a struct"))
}

macro_rules! not_a_struct {
    ($($method:ident($($arg:ty),*);)*) => {$(
        fn $method(self $(, _: $arg)*) -> std::result::Result<(), serde_json::Error> {
            not_a_struct()
        }
    )*};
}

impl<'p> ser::Serializer for &mut Pick<'p> {
    type Ok = ();
    type Error = serde_json::Error;
    type SerializeSeq = NotAStruct;
    type SerializeTuple = NotAStruct;
    type SerializeTupleStruct = NotAStruct;
    type SerializeTupleVariant = NotAStruct;
    type SerializeMap = NotAStruct;
    type SerializeStruct = Self;
    type SerializeStructVariant = NotAStruct;

    not_a_struct! {
        serialize_bool(bool); serialize_i8(i8); serialize_i16(i16); serialize_i32(i32); serialize_i64(i64);
        serialize_u8(u8); serialize_u16(u16); serialize_u32(u32); serialize_u64(u64);
        serialize_f32(f32); serialize_f64(f64); serialize_char(char); serialize_str(&str); serialize_bytes(&[u8]);
        serialize_none(); serialize_unit(); serialize_unit_struct(&'static str);
        serialize_unit_variant(&'static str, u32, &'static str);
    }

    fn serialize_some<T: ?Sized + Serialize>(
        self,
        _: &T,
    ) -> std::result::Result<(), serde_json::Error> {
        not_a_struct()
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: &T,
    ) -> std::result::Result<(), serde_json::Error> {
        not_a_struct()
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> std::result::Result<(), serde_json::Error> {
        not_a_struct()
    }
    fn serialize_seq(self, _: Option<usize>) -> std::result::Result<NotAStruct, serde_json::Error> {
        not_a_struct()
    }
    fn serialize_tuple(self, _: usize) -> std::result::Result<NotAStruct, serde_json::Error> {
        not_a_struct()
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> std::result::Result<NotAStruct, serde_json::Error> {
        not_a_struct()
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> std::result::Result<NotAStruct, serde_json::Error> {
        not_a_struct()
    }
    fn serialize_map(self, _: Option<usize>) -> std::result::Result<NotAStruct, serde_json::Error> {
        not_a_struct()
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> std::result::Result<Self, serde_json::Error> {
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> std::result::Result<NotAStruct, serde_json::Error> {
        not_a_struct()
    }
}

impl ser::SerializeStruct for &mut Pick<'_> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> std::result::Result<(), serde_json::Error> {
        if let Some(i) = self.names.iter().position(|n| *n == key) {
            self.found[i] = Some(serde_json::to_value(value)?);
        }
        Ok(())
    }

    fn end(self) -> std::result::Result<(), serde_json::Error> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_round_trips_every_length() {
        let data: Vec<u8> = (0..=255).collect();
        for len in 0..data.len() {
            let text = base64url(&data[..len]);
            assert!(
                text.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
            );
            assert_eq!(from_base64url(&text).as_deref(), Some(&data[..len]));
        }
        assert_eq!(base64url(b"hello"), "aGVsbG8");
        assert_eq!(from_base64url("a"), None);
        assert_eq!(from_base64url("a+b/"), None);
    }

    #[test]
    fn decode_names_what_is_wrong() {
        #[derive(Serialize)]
        struct Row {
            id: i64,
            name: &'static str,
        }
        let cursor = encode(
            "User",
            "users:id>",
            &["id"],
            &Row {
                id: 42,
                name: "ada",
            },
        )
        .unwrap();
        assert_eq!(
            decode::<(i64,)>("User", "users:id>", &cursor).unwrap(),
            (42,)
        );
        for (text, why) in [
            ("%%%", "bad encoding"),
            (&*base64url(b"[1"), "bad contents"),
            (
                &*base64url(br#"["users:id<",42]"#),
                "another model or ordering",
            ),
            (&*base64url(br#"["users:id>","x"]"#), "do not fit"),
            (&*base64url(br#"[]"#), "another model or ordering"),
        ] {
            let err = decode::<(i64,)>("User", "users:id>", text).unwrap_err();
            let message = err.to_string();
            assert!(
                matches!(err, Error::Pagination { model: "User", .. }),
                "{message}"
            );
            assert!(message.contains(why), "{message}");
        }
        let err = encode(
            "User",
            "users:email>",
            &["email"],
            &Row { id: 1, name: "x" },
        )
        .unwrap_err();
        assert!(err.to_string().contains("`email` is not a field"), "{err}");
    }
}
