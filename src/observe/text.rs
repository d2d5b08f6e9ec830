//! A statement's SQL and bind values, from diesel's opaque query
//! representation: its `Debug` form is `Query { sql: "…", binds: […] }`
//! (a string sent as is, `batch_execute`, prints as a plain string), so the
//! SQL is read back from the quoted literal and never mixed up with values
//! that happen to contain `-- binds:`.

use diesel::connection::DebugQuery;

/// The SQL of a statement, and its bind values when asked for.
pub(super) struct Text {
    pub(super) sql: String,
    pub(super) binds: Option<String>,
}

impl Text {
    pub(super) fn of(query: &dyn DebugQuery, with_binds: bool) -> Text {
        use std::fmt::Write;
        let mut debug = String::new();
        // diesel cannot print some statements it refuses to run (an
        // UPDATE with nothing to set): never panic for a log line.
        if write!(debug, "{query:?}").is_err() {
            return Text {
                sql: UNPRINTABLE.to_owned(),
                binds: None,
            };
        }
        if let Some(rest) = debug.strip_prefix("Query { sql: ")
            && let Some((sql, tail)) = unquote(rest)
        {
            let binds = with_binds.then(|| {
                tail.strip_prefix(", binds: ")
                    .and_then(|b| b.strip_suffix(" }"))
                    .unwrap_or(tail)
                    .to_owned()
            });
            return Text { sql, binds };
        }
        // A plain string (`batch_execute`, `sql_query` text): no binds.
        let mut sql = String::new();
        if write!(sql, "{query}").is_err() {
            sql = UNPRINTABLE.to_owned();
        }
        Text { sql, binds: None }
    }
}

/// The SQL reported for a statement diesel cannot print.
const UNPRINTABLE: &str = "<a statement diesel cannot print>";

/// Reads the Rust string literal (as `Debug` writes it) at the start of
/// `text`: its value and what follows it.
fn unquote(text: &str) -> Option<(String, &str)> {
    let mut chars = text.strip_prefix('"')?.char_indices();
    let mut out = String::with_capacity(text.len());
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &text[i + 2..])),
            '\\' => match chars.next()?.1 {
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                '0' => out.push('\0'),
                'u' => {
                    let mut hex = String::new();
                    for (_, h) in chars.by_ref() {
                        match h {
                            '{' => {}
                            '}' => break,
                            h => hex.push(h),
                        }
                    }
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::unquote;

    #[test]
    fn unquote_reads_escapes_and_stops_at_the_closing_quote() {
        let literal = format!("{:?}, binds: [1] }}", "a \"b\" -- binds: \\ \n\t\u{7f}é");
        let (value, tail) = unquote(&literal).unwrap();
        assert_eq!(value, "a \"b\" -- binds: \\ \n\t\u{7f}é");
        assert_eq!(tail, ", binds: [1] }");
        assert_eq!(unquote("\"open"), None);
        assert_eq!(unquote("plain"), None);
    }
}
