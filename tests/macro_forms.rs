//! The forms `model!` accepts: the exact minimal form, several models in one
//! call, models in different modules referring to each other, and
//! attributes, doc comments and visibility passing through.

mod common;

use glowplug::prelude::*;
use glowplug::{Backend, ColumnType};

/// The exact minimal form from the docs; its items are private to this module.
mod minimal {
    use super::*;

    glowplug::model! { User { id: pk, username: varchar unique } }

    backend_tests! {
        fn the_minimal_form_works_end_to_end(db) {
            let mut conn = db.get()?;
            let ddl = match db.backend() {
                Backend::Sqlite => MINIMAL_DDL_SQLITE,
                _ => MINIMAL_DDL_PG,
            };
            diesel::connection::SimpleConnection::batch_execute(&mut *conn, ddl)?;
            let mut u = NewUser { username: "min".into() }.insert(&mut conn)?;
            assert_eq!(u.username, "min");
            u.update(&mut conn, UserChanges { username: Some("renamed".into()) })?;
            let names: Vec<String> = users::table.select(users::username).load(&mut conn)?;
            assert_eq!(names, ["renamed"]);
            assert_eq!(User::count(&mut conn)?, 1);
            u.delete(&mut conn)?;
            assert_eq!(User::count(&mut conn)?, 0);
            Ok(())
        }
    }

    #[test]
    fn generated_names() {
        assert_eq!(User::META.table, "users");
        assert_eq!(User::META.columns.len(), 2);
        let _: (NewUser, UserChanges) = (NewUser::default(), UserChanges::default());
    }
}

mod accounts {
    glowplug::model! {
        /// An account, referenced from another module.
        #[derive(Default)]
        pub(crate) Account {
            /// The key.
            id: pk,
            #[serde(rename = "login")]
            name: varchar(20),
        }
    }
}

mod billing {
    glowplug::model! {
        pub Invoice {
            id: pk,
            account_id: bigint fk(super::accounts::Account) index,
            total: double default(0.0),
        }
        pub Line {
            id: pk(int),
            invoice_id: bigint fk(Invoice),
            label: text,
        }
    }
}

const MINIMAL_DDL_SQLITE: &str = "DROP TABLE posts; DROP TABLE users;
    CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, username VARCHAR NOT NULL UNIQUE);";
const MINIMAL_DDL_PG: &str = "DROP TABLE posts; DROP TABLE users;
    CREATE TABLE users (id BIGSERIAL PRIMARY KEY, username VARCHAR NOT NULL UNIQUE);";

#[test]
fn generated_names_and_table_names() {
    assert_eq!(accounts::Account::META.table, "accounts");
    assert_eq!(billing::Line::META.table, "lines");
    assert_eq!(
        billing::Line::META.column("id").unwrap().sql_type,
        ColumnType::Integer
    );
    let _: billing::NewLine = billing::NewLine::default();
    let _: billing::LineChanges = billing::LineChanges::default();
}

#[test]
fn models_in_different_modules_refer_to_each_other() {
    let fk = billing::Invoice::META
        .column("account_id")
        .unwrap()
        .foreign_key
        .unwrap();
    assert_eq!(
        (fk.model, fk.table, fk.column),
        ("Account", "accounts", "id")
    );
    let fk = billing::Line::META
        .column("invoice_id")
        .unwrap()
        .foreign_key
        .unwrap();
    assert_eq!(fk.table, "invoices");
    assert_eq!(
        billing::Invoice::META.column("total").unwrap().default,
        Some("0.0")
    );
}

#[test]
fn attributes_docs_and_visibility_pass_through() {
    // `#[derive(Default)]` on the model reached the struct; `pub(crate)` allows this use.
    let account = accounts::Account {
        name: "root".into(),
        ..Default::default()
    };
    // `#[serde(rename)]` on the column reached the field.
    let json = serde_json::to_value(&account).unwrap();
    assert_eq!(json["login"], "root");
    assert!(json.get("name").is_none());
    // Defaults in the insert struct: `None` means "use default(0.0)".
    assert_eq!(billing::NewInvoice::default().total, None);
}
