//! The text form of a keyset cursor: base64url (no padding) of the JSON
//! array `["<table>:<columns><direction>", value, …]`, e.g. `["users:id>", 42]`.
//! The first element says which model and ordering issued it, so a cursor
//! used with another ordering is refused rather than misread. The values
//! are read from the last row's own serialization (the model's field named
//! like each column), so no code per model is needed. Cursors are opaque to
//! clients but not secret or signed: a client may forge one, and it only
//! changes where its page starts (the values are bound parameters).

use serde::Serialize;
use serde::de::DeserializeOwned;
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
    let fields = serde_json::to_value(row)
        .map_err(|e| bad(model, format!("cannot serialize the row: {e}")))?;
    let mut parts = vec![Value::String(signature.to_owned())];
    for column in columns {
        let value = fields.get(column).ok_or_else(|| {
            bad(
                model,
                format!("the ordering column `{column}` is not a field of the model, so a cursor cannot be read from its rows"),
            )
        })?;
        parts.push(value.clone());
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
    let digits: Vec<u32> = text
        .bytes()
        .map(|c| ALPHABET.iter().position(|&a| a == c).map(|p| p as u32))
        .collect::<Option<_>>()?;
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
