//! The CHECK constraint of an `enum(..)` column: its DDL, the same on both
//! backends (`CONSTRAINT posts_status_check CHECK (status IN ('Draft',
//! 'Published'))`), and the values read back from what a database reports
//! (PostgreSQL's `pg_get_constraintdef`, SQLite's `CREATE TABLE` text).
//!
//! A check is read as an enum when it says nothing but "this column is one
//! of these strings": `col IN ('a', 'b')`, or PostgreSQL's rewrite of it,
//! `((col)::text = ANY ((ARRAY['a'::text, 'b'::text])::text[]))` (one value:
//! `col = 'a'`). Any other check is outside the model and is not compared.

use std::borrow::Cow;

use crate::backend::{ident, string_literal};

/// The name glowplug gives an enum column's check: `posts_status_check`
/// (what PostgreSQL would name it too).
pub(crate) fn constraint_name(table: &str, column: &str) -> String {
    format!("{table}_{column}_check")
}

/// The column constraint of an enum column with `values`:
/// `CONSTRAINT posts_status_check CHECK (status IN ('Draft', 'Published'))`.
pub(crate) fn enum_check_sql(table: &str, column: &str, values: &[Cow<'static, str>]) -> String {
    let list: Vec<String> = values.iter().map(|v| string_literal(v)).collect();
    format!(
        "CONSTRAINT {} CHECK ({} IN ({}))",
        ident(&constraint_name(table, column)),
        ident(column),
        list.join(", ")
    )
}

/// One SQL token, as far as reading checks needs.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// A name or keyword; `quoted` for a `"…"` identifier.
    Word { text: String, quoted: bool },
    /// A string literal's value.
    Str(String),
    /// `::` (a PostgreSQL cast).
    Cast,
    /// Any other character.
    Punct(char),
}

/// The tokens of `sql`; `None` when a quote is not closed.
fn tokens(sql: &str) -> Option<Vec<Token>> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' || c == '"' {
            let mut text = String::new();
            i += 1;
            loop {
                match (chars.get(i), chars.get(i + 1)) {
                    (Some(&q), Some(&next)) if q == c && next == c => {
                        text.push(c);
                        i += 2;
                    }
                    (Some(&q), _) if q == c => break,
                    (Some(&other), _) => {
                        text.push(other);
                        i += 1;
                    }
                    (None, _) => return None,
                }
            }
            i += 1;
            out.push(if c == '\'' {
                Token::Str(text)
            } else {
                Token::Word { text, quoted: true }
            });
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let text = chars[start..i].iter().collect();
            out.push(Token::Word {
                text,
                quoted: false,
            });
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            out.push(Token::Cast);
            i += 2;
        } else {
            out.push(Token::Punct(c));
            i += 1;
        }
    }
    Some(out)
}

/// The parenthesised expression after each `CHECK` keyword in `sql` (a
/// whole `CREATE TABLE`, or one constraint definition).
fn checks(sql: &str) -> Vec<Vec<Token>> {
    let Some(tokens) = tokens(sql) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let is_check = matches!(&tokens[i], Token::Word { text, quoted: false } if text.eq_ignore_ascii_case("check"));
        if is_check && tokens.get(i + 1) == Some(&Token::Punct('(')) {
            let mut depth = 0;
            let mut end = i + 1;
            for (j, t) in tokens.iter().enumerate().skip(i + 1) {
                match t {
                    Token::Punct('(') => depth += 1,
                    Token::Punct(')') => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    end = j;
                    break;
                }
            }
            out.push(tokens[i + 2..end].to_vec());
            i = end;
        }
        i += 1;
    }
    out
}

/// `Some((column, values))` when `check` (a CHECK's expression) says only
/// that one column is one of a list of strings.
fn in_list(check: &[Token]) -> Option<(&Token, Vec<String>)> {
    // Parentheses, brackets and casts (`::character varying`, `::text[]`) say nothing here.
    let mut plain: Vec<&Token> = Vec::new();
    let mut in_cast = false;
    for t in check {
        match t {
            Token::Punct('(' | ')' | '[' | ']') => {}
            Token::Cast => in_cast = true,
            Token::Word { quoted: false, .. } if in_cast => {}
            t => {
                in_cast = false;
                plain.push(t);
            }
        }
    }
    let word = |t: &Token, w: &str| matches!(t, Token::Word { text, quoted: false } if text.eq_ignore_ascii_case(w));
    let (column, rest) = plain.split_first()?;
    if !matches!(column, Token::Word { .. }) {
        return None;
    }
    let list = match rest {
        [op, tail @ ..] if word(op, "in") => tail,
        [Token::Punct('='), any, array, tail @ ..] if word(any, "any") && word(array, "array") => {
            tail
        }
        [Token::Punct('='), tail @ ..] if tail.len() == 1 => tail,
        _ => return None,
    };
    let mut values = Vec::new();
    for (i, t) in list.iter().enumerate() {
        match (i % 2, t) {
            (0, Token::Str(v)) => values.push(v.clone()),
            (1, Token::Punct(',')) => {}
            _ => return None,
        }
    }
    (list.len() % 2 == 1).then_some((*column, values))
}

/// Whether the token names `column` (unquoted names fold case).
fn names(token: &Token, column: &str) -> bool {
    match token {
        Token::Word { text, quoted: true } => text == column,
        Token::Word {
            text,
            quoted: false,
        } => text.eq_ignore_ascii_case(column),
        _ => false,
    }
}

/// The values of the first check in `sql` that limits `column` to a list
/// of strings (see the module docs), if there is one.
pub(crate) fn enum_values(sql: &str, column: &str) -> Option<Vec<Cow<'static, str>>> {
    checks(sql).iter().find_map(|check| {
        let (col, values) = in_list(check)?;
        names(col, column).then(|| values.into_iter().map(Cow::Owned).collect())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(sql: &str, column: &str) -> Option<Vec<String>> {
        enum_values(sql, column).map(|v| v.into_iter().map(String::from).collect())
    }

    #[test]
    fn ddl_reads_back() {
        let list: Vec<Cow<'static, str>> = vec!["Draft".into(), "It's".into()];
        let sql = enum_check_sql("posts", "status", &list);
        assert_eq!(
            sql,
            "CONSTRAINT posts_status_check CHECK (status IN ('Draft', 'It''s'))"
        );
        let table = format!("CREATE TABLE posts (id INTEGER, status TEXT NOT NULL {sql})");
        assert_eq!(values(&table, "status").unwrap(), ["Draft", "It's"]);
        assert_eq!(values(&table, "id"), None);
        let quoted = enum_check_sql("t", "order", &list);
        assert!(quoted.contains("CHECK (\"order\" IN"), "{quoted}");
        assert_eq!(values(&quoted, "order").unwrap(), ["Draft", "It's"]);
    }

    #[test]
    fn postgres_forms() {
        let text = "CHECK ((status = ANY (ARRAY['Draft'::text, 'Published'::text])))";
        assert_eq!(values(text, "status").unwrap(), ["Draft", "Published"]);
        let varchar = "CHECK (((status)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[])))";
        assert_eq!(values(varchar, "status").unwrap(), ["a", "b"]);
        assert_eq!(
            values("CHECK ((status = 'Only'::text))", "status").unwrap(),
            ["Only"]
        );
        assert_eq!(
            values(
                "CHECK ((status = ANY (ARRAY['a'::text]))) NOT VALID",
                "STATUS"
            )
            .unwrap(),
            ["a"]
        );
    }

    #[test]
    fn other_checks_are_not_enums() {
        for sql in [
            "CHECK (n BETWEEN -32768 AND 32767)",
            "CHECK (status IN ('a') OR status IS NULL)",
            "CHECK (status IN ('a', 'b') AND n > 0)",
            "CHECK (status IN (1, 2))",
            "CHECK (status IN ('a' 'b'))",
            "CHECK (status IN ('a',))",
            "CHECK ((lower(status) = 'a'::text))",
            "CHECK (status = other)",
            "CHECK (status IN ('unclosed)",
        ] {
            assert_eq!(values(sql, "status"), None, "{sql}");
        }
    }
}
