//! A web-handler-like use of validation: a JSON body becomes an insert
//! struct, and the answer is 201 with the stored row, or 422 with every
//! failed check (declared validations and constraint violations alike), or
//! 500 for what is not the client's to fix.
//!
//! ```sh
//! cargo run --example validation                      # SQLite in memory
//! DATABASE_URL=postgres://postgres@127.0.0.1/postgres cargo run --example validation
//! ```

use glowplug::prelude::*;
use glowplug::{FieldErrors, Row};

glowplug::model! {
    pub Account {
        id: pk,
        email: varchar(120) unique validate(email),
        name: text validate(not_empty, length(2..=50)),
        age: int validate(range(0..=150)),
        website: text null validate(url),
        validate_with(no_reserved_names),
    }
}

/// A check over the row: `admin` is nobody's name.
fn no_reserved_names(row: Row<'_, Account>, errors: &mut FieldErrors) {
    let name = match row {
        Row::New(new) => Some(&new.name),
        Row::Changes(changes) => changes.name.as_ref(),
        Row::Saved(account) => Some(&account.name),
    };
    if name.is_some_and(|n| n.eq_ignore_ascii_case("admin")) {
        errors.add("name", "reserved", "is reserved");
    }
}

/// `POST /accounts`: the status and the JSON body of the answer.
fn create_account(conn: &mut impl DbConnection, body: &str) -> (u16, String) {
    let new: NewAccount = match serde_json::from_str(body) {
        Ok(new) => new,
        Err(e) => return (400, format!(r#"{{"error":"{e}"}}"#)),
    };
    match new.insert(conn) {
        Ok(account) => (
            201,
            serde_json::to_string(&account).expect("a row serializes"),
        ),
        Err(err) => match err.field_errors() {
            Some(errors) => (
                422,
                serde_json::to_string(&errors).expect("errors serialize"),
            ),
            None => {
                eprintln!("create_account: {err}");
                (500, r#"{"error":"internal error"}"#.to_owned())
            }
        },
    }
}

fn main() -> glowplug::Result<()> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite::memory:".to_owned());
    let db = Database::connect(&url)?;
    let mut conn = db.get()?;
    glowplug::schema::drop_all(&mut conn, &[Account::META])?;
    glowplug::schema::create_all(&mut conn, &[Account::META])?;

    for body in [
        r#"{"email": "ada@example.com", "name": "Ada", "age": 36, "website": null}"#,
        r#"{"email": "not-an-email", "name": "admin", "age": 200, "website": "example.com"}"#,
        r#"{"email": "ada@example.com", "name": "Ada II", "age": 3, "website": null}"#,
    ] {
        let (status, answer) = create_account(&mut conn, body);
        println!("{status} {answer}");
    }
    glowplug::schema::drop_all(&mut conn, &[Account::META])?;
    Ok(())
}
