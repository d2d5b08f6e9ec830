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
        let _: (NewUser, UserChanges) = (NewUser::new("ada"), UserChanges::default());
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
        // pub(crate), like `Account`: a relation is part of the model's interface, so its target must be as visible.
        pub(crate) Invoice {
            id: pk,
            account_id: bigint fk(super::accounts::Account) index,
            total: double default(0.0),
            belongs_to account: super::accounts::Account by account_id,
            has_many lines: Line by invoice_id,
        }
        pub(crate) Line {
            id: pk(int),
            invoice_id: bigint fk(Invoice),
            label: text,
            belongs_to invoice: Invoice by invoice_id,
        }
    }
}

/// Tables of different `model!` calls need diesel's macro once to meet in one query.
mod cross_call_joins {
    use super::accounts::accounts;
    use super::billing::invoices;
    diesel::allow_tables_to_appear_in_same_query!(accounts, invoices);
}

/// Two `belongs_to` to the same parent: the second one without the implicit join.
mod editorial {
    glowplug::model! {
        pub Writer {
            id: pk,
            name: text,
            has_many articles: Article by author_id,
            has_many edits: Article by editor_id,
        }
        pub Article {
            id: pk,
            author_id: bigint fk(Writer),
            editor_id: bigint null fk(Writer),
            title: text,
            belongs_to author: Writer by author_id,
            belongs_to editor: Writer by editor_id (no_join),
        }
    }
}

mod relations_across_modules {
    use super::*;
    use accounts::{Account, NewAccount};
    use billing::{Invoice, Line, NewInvoice, NewLine, invoices, lines};
    use editorial::{Article, NewArticle, NewWriter, Writer, articles, writers};

    const DDL_SQLITE: &str = "
        CREATE TABLE accounts (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL);
        CREATE TABLE invoices (id INTEGER PRIMARY KEY AUTOINCREMENT, account_id BIGINT NOT NULL REFERENCES accounts, total DOUBLE NOT NULL);
        CREATE TABLE lines (id INTEGER PRIMARY KEY AUTOINCREMENT, invoice_id BIGINT NOT NULL REFERENCES invoices, label TEXT NOT NULL);
        CREATE TABLE writers (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL);
        CREATE TABLE articles (id INTEGER PRIMARY KEY AUTOINCREMENT, author_id BIGINT NOT NULL REFERENCES writers,
            editor_id BIGINT REFERENCES writers, title TEXT NOT NULL);";
    const DDL_PG: &str = "
        CREATE TABLE accounts (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL);
        CREATE TABLE invoices (id BIGSERIAL PRIMARY KEY, account_id BIGINT NOT NULL REFERENCES accounts, total DOUBLE PRECISION NOT NULL);
        CREATE TABLE lines (id SERIAL PRIMARY KEY, invoice_id BIGINT NOT NULL REFERENCES invoices, label TEXT NOT NULL);
        CREATE TABLE writers (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL);
        CREATE TABLE articles (id BIGSERIAL PRIMARY KEY, author_id BIGINT NOT NULL REFERENCES writers,
            editor_id BIGINT REFERENCES writers, title TEXT NOT NULL);";

    backend_tests! {
        fn relations_to_other_modules_and_second_parents_load_and_join(db) {
            let mut conn = db.get()?;
            let ddl = match db.backend() {
                Backend::Sqlite => DDL_SQLITE,
                _ => DDL_PG,
            };
            diesel::connection::SimpleConnection::batch_execute(&mut *conn, ddl)?;
            let acme = NewAccount { name: "acme".into() }.insert(&mut conn)?;
            let invoice = NewInvoice { account_id: acme.id, total: Some(9.5) }.insert(&mut conn)?;
            for label in ["a", "b"] {
                NewLine { invoice_id: invoice.id, label: label.into() }.insert(&mut conn)?;
            }
            assert_eq!(invoice.account(&mut conn)?, acme, "belongs_to a model of another module");
            let lines = Line::fetch(&mut conn, invoice.lines_query().order(lines::id))?;
            assert_eq!(lines.iter().map(|l| l.label.as_str()).collect::<Vec<_>>(), ["a", "b"]);
            assert_eq!(lines[0].invoice(&mut conn)?, invoice);
            let loaded = Invoice::all(&mut conn)?.load(&mut conn, (Invoice::ACCOUNT, Invoice::LINES))?;
            assert_eq!(loaded[0].get(Invoice::ACCOUNT), &acme);
            assert_eq!(loaded[0].get(Invoice::LINES).len(), 2);
            let names: Vec<String> = Account::query()
                .inner_join(invoices::table)
                .select(accounts::accounts::name)
                .load(&mut *conn)?;
            assert_eq!(names, ["acme"], "the join between two model! calls");

            let ann = NewWriter { name: "ann".into() }.insert(&mut conn)?;
            let ed = NewWriter { name: "ed".into() }.insert(&mut conn)?;
            let edited = NewArticle { author_id: ann.id, editor_id: Some(ed.id), title: "x".into() }.insert(&mut conn)?;
            let unedited = NewArticle { author_id: ann.id, editor_id: None, title: "y".into() }.insert(&mut conn)?;
            assert_eq!(edited.editor(&mut conn)?, Some(ed.clone()));
            assert_eq!(unedited.editor(&mut conn)?, None);
            assert_eq!(ed.edits(&mut conn)?, vec![edited.clone()]);
            assert_eq!(ann.articles(&mut conn)?.len(), 2);
            let by_editor = vec![edited.clone(), unedited.clone()].load(&mut conn, (Article::AUTHOR, Article::EDITOR))?;
            let pairs: Vec<_> = by_editor.iter().map(|a| (a.get(Article::AUTHOR).clone(), a.get(Article::EDITOR).clone())).collect();
            assert_eq!(pairs, vec![(ann.clone(), Some(ed.clone())), (ann.clone(), None)]);
            let authors: Vec<String> = Article::query()
                .inner_join(writers::table)
                .filter(articles::id.eq(edited.id))
                .select(writers::name)
                .load(&mut *conn)?;
            assert_eq!(authors, ["ann"], "the implicit join follows `author`, the relation without `(no_join)`");
            let editors: Vec<String> = Article::query()
                .inner_join(writers::table.on(articles::editor_id.eq(writers::id.nullable())))
                .select(writers::name)
                .load(&mut *conn)?;
            assert_eq!(editors, ["ed"], "the second parent joins with an explicit ON");
            let _ = Writer::count(&mut conn)?;
            Ok(())
        }
    }
}

const MINIMAL_DDL_SQLITE: &str = "DROP TABLE posts; DROP TABLE users;
    CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, username VARCHAR NOT NULL UNIQUE);";
const MINIMAL_DDL_PG: &str = "DROP TABLE posts CASCADE; DROP TABLE users CASCADE;
    CREATE TABLE users (id BIGSERIAL PRIMARY KEY, username VARCHAR NOT NULL UNIQUE);";

#[test]
fn generated_names_and_table_names() {
    assert_eq!(accounts::Account::META.table, "accounts");
    assert_eq!(billing::Line::META.table, "lines");
    assert_eq!(
        billing::Line::META.column("id").unwrap().sql_type,
        ColumnType::Integer
    );
    let _: billing::NewLine = billing::NewLine::new(1, "x");
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
    assert_eq!(billing::NewInvoice::new(1).total, None);
}

/// The widest model diesel's default tables allow (32 columns), with three
/// modifiers on most columns: deep enough to exercise the macro's nesting budget.
mod wide {
    glowplug::model! {
        pub Wide {
            id: pk,
        c00: varchar(20) unique null index,
        c01: varchar(20) unique null index,
        c02: varchar(20) unique null index,
        c03: varchar(20) unique null index,
        c04: varchar(20) unique null index,
        c05: varchar(20) unique null index,
        c06: varchar(20) unique null index,
        c07: varchar(20) unique null index,
        c08: varchar(20) unique null index,
        c09: varchar(20) unique null index,
        c10: varchar(20) unique null index,
        c11: varchar(20) unique null index,
        c12: varchar(20) unique null index,
        c13: varchar(20) unique null index,
        c14: varchar(20) unique null index,
        c15: varchar(20) unique null index,
        c16: varchar(20) unique null index,
        c17: varchar(20) unique null index,
        c18: varchar(20) unique null index,
        c19: varchar(20) unique null index,
        c20: varchar(20) unique null index,
        c21: varchar(20) unique null index,
        c22: varchar(20) unique null index,
        c23: varchar(20) unique null index,
        c24: varchar(20) unique null index,
        c25: varchar(20) unique null index,
        c26: varchar(20) unique null index,
        c27: varchar(20) unique null index,
        c28: varchar(20) unique null index,
            timestamps,
        }
    }
}

#[test]
fn a_32_column_model_with_modifiers_compiles() {
    let meta = wide::Wide::META;
    assert_eq!(meta.columns.len(), 32);
    let c = meta.column("c28").unwrap();
    assert!(c.nullable && c.unique && c.index);
    assert_eq!(c.max_length(), Some(20));
    let new = wide::NewWide {
        c00: Some("x".into()),
        ..Default::default()
    };
    assert_eq!(new.c01, None);
}

#[test]
fn numeric_and_date_columns_keep_diesel_operators() {
    use common::models::{posts, samples};
    // `table!` gives arithmetic to numeric and date columns it recognises by name.
    let _ = samples::table
        .select(samples::int32 + 1)
        .filter(samples::real64.gt(samples::real64 * 2.0));
    let _ = samples::table.filter(samples::rank.is_null().or((samples::rank + 1).gt(3)));
    let _ = posts::table.select(posts::created_at + diesel::dsl::IntervalDsl::days(1));
}

mod keys {
    glowplug::model! {
        pub Membership {
            id: pk,
            user_id: bigint index,
            group_id: bigint,
            role: varchar(20) renamed_from(kind) default("member"),
            unique(user_id, group_id),
            index(group_id, role),
        }
    }
}

#[test]
fn keys_over_several_columns_and_rename_hints_reach_the_metadata() {
    let meta = keys::Membership::META;
    assert_eq!(meta.indexes.len(), 2);
    assert_eq!(meta.indexes[0].columns, ["user_id", "group_id"]);
    assert!(meta.indexes[0].unique);
    assert_eq!(meta.indexes[1].columns, ["group_id", "role"]);
    assert!(!meta.indexes[1].unique);
    let role = meta.column("role").unwrap();
    assert_eq!(role.renamed_from, Some("kind"));
    assert_eq!(role.default, Some("\"member\""));
    assert_eq!(meta.column("user_id").unwrap().renamed_from, None);
    // The hint changes nothing else: the insert default still applies.
    let new = keys::NewMembership::new(1, 2);
    assert_eq!(new.role, None);
}

/// Every modifier on one column, in several orders: `null` is found
/// wherever it stands (it used to be found only among the first five).
mod modifier_order {
    glowplug::model! {
        pub Owner { id: pk, name: text }

        pub Knob {
            id: pk,
            a: int unique index default(1) fk(Owner) renamed_from(old_a) on_delete(set_null) null,
            b: int null unique index default(1) fk(Owner) renamed_from(old_b) on_delete(set_null),
            c: int renamed_from(old_c) on_delete(set_null) fk(Owner) default(1) index unique null,
            d: int default(1) null renamed_from(old_d) unique fk(Owner) index on_delete(set_null),
            e: int on_delete(set_null) fk(Owner) renamed_from(old_e) index default(1) unique null,
            f: int unique index default(1) fk(Owner) on_delete(cascade) renamed_from(old_f),
        }
    }
}

#[test]
fn modifiers_are_read_in_any_order() {
    use modifier_order::{Knob, NewKnob};
    for name in ["a", "b", "c", "d", "e", "f"] {
        let c = Knob::META.column(name).unwrap();
        assert_eq!(c.nullable, name != "f", "{name}");
        assert!(c.unique && c.index, "{name}");
        assert_eq!(c.default, Some("1"), "{name}");
        assert_eq!(c.foreign_key.map(|k| k.table), Some("owners"), "{name}");
        let action = if name == "f" {
            glowplug::OnDelete::Cascade
        } else {
            glowplug::OnDelete::SetNull
        };
        assert_eq!(c.foreign_key.map(|k| k.on_delete), Some(action), "{name}");
        assert_eq!(
            c.renamed_from,
            Some(format!("old_{name}").as_str()),
            "{name}"
        );
        assert_eq!(c.sql_type, ColumnType::Integer, "{name}");
    }
    // The fields of nullable columns are options, in every order.
    let row = Knob {
        id: 1,
        a: None,
        b: Some(2),
        c: None,
        d: None,
        e: Some(3),
        f: 4,
    };
    let new = NewKnob {
        a: Some(None),
        f: Some(5),
        ..Default::default()
    };
    assert_eq!((row.a, row.f, new.a, new.e), (None, 4, Some(None), None));
}

/// 32 columns, every one `null`: the deepest column parse, within rustc's
/// default nesting limit (no `recursion_limit` in this crate).
mod all_null {
    glowplug::model! {
        pub Sparse {
            id: pk,
            c01: text null, c02: text null, c03: text null, c04: text null, c05: text null,
            c06: text null, c07: text null, c08: text null, c09: text null, c10: text null,
            c11: text null, c12: text null, c13: text null, c14: text null, c15: text null,
            c16: text null, c17: text null, c18: text null, c19: text null, c20: text null,
            c21: text null, c22: text null, c23: text null, c24: text null, c25: text null,
            c26: text null, c27: text null, c28: text null, c29: text null, c30: text null,
            c31: int unique index default(1) renamed_from(old) null,
        }
    }
}

#[test]
fn a_32_column_model_of_null_columns_compiles() {
    let meta = all_null::Sparse::META;
    assert_eq!(meta.columns.len(), 32);
    assert!(meta.columns[1..].iter().all(|c| c.nullable));
    let row = all_null::NewSparse::default();
    assert_eq!((row.c01, row.c31), (None, None));
}

/// 32 columns, each with several modifiers and `validate(..)` rules, a
/// custom validator and hooks: the deepest expansion of the checks, within
/// rustc's default nesting limit.
mod all_checked {
    use glowplug::{FieldErrors, Hooks, Row};

    glowplug::model! {
        pub Dense {
            id: pk,
            c01: varchar(9) null index validate(not_empty, length(1..), one_of("a", "b")),
            c02: text null validate(email), c03: text null validate(url), c04: int null validate(range(0..=9)),
            c05: text null validate(email), c06: text null validate(url), c07: int null validate(range(0..=9)),
            c08: text null validate(email), c09: text null validate(url), c10: int null validate(range(0..=9)),
            c11: text null validate(email), c12: text null validate(url), c13: int null validate(range(0..=9)),
            c14: text null validate(email), c15: text null validate(url), c16: int null validate(range(0..=9)),
            c17: text null validate(email), c18: text null validate(url), c19: int null validate(range(0..=9)),
            c20: text null validate(email), c21: text null validate(url), c22: int null validate(range(0..=9)),
            c23: text null validate(email), c24: text null validate(url), c25: int null validate(range(0..=9)),
            c26: text null validate(email), c27: text null validate(url), c28: int null validate(range(0..=9)),
            c29: text null validate(email), c30: text null validate(url),
            c31: int unique index default(1) renamed_from(old) null validate(range(0..=9)) validate(range(..=5)),
            validate_with(check_dense),
            hooks,
        }
    }

    impl Hooks for Dense {}

    fn check_dense(row: Row<'_, Dense>, errors: &mut FieldErrors) {
        if let Row::New(new) = row
            && new.c02.is_some()
            && new.c03.is_none()
        {
            errors.add("c03", "required_with", "is required with c02");
        }
    }
}

#[test]
fn a_32_column_model_with_checks_everywhere_compiles_and_checks() {
    use glowplug::Validate;
    let new = all_checked::NewDense {
        c01: Some("c".into()),
        c02: Some("x".into()),
        c31: Some(Some(7)),
        ..Default::default()
    };
    let err = new.validate().unwrap_err();
    let errors = err.field_errors().expect("field errors");
    let found: Vec<(&str, &str)> = errors.iter().map(|e| (&*e.field, &*e.code)).collect();
    assert_eq!(
        found,
        [
            ("c01", "one_of"),
            ("c02", "email"),
            ("c31", "range"),
            ("c03", "required_with")
        ]
    );
}

/// Every body word at once, hooks first: `hooks,` is kept among the
/// relations like the behaviours, and must not be taken for one.
mod every_word {
    glowplug::model! {
        pub Ledger {
            id: pk,
            name: text,
            hooks,
            validate_with(check),
            soft_delete,
            lock_version,
            timestamps,
        }
    }

    impl glowplug::Hooks for Ledger {}

    fn check(_: glowplug::Row<'_, Ledger>, _: &mut glowplug::FieldErrors) {}
}

#[test]
fn hooks_validate_with_soft_delete_and_lock_version_in_one_model() {
    let names: Vec<&str> = every_word::Ledger::META
        .columns
        .iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(
        names,
        [
            "id",
            "name",
            "deleted_at",
            "lock_version",
            "created_at",
            "updated_at"
        ]
    );
}

// The hooks were taken for hooks (checked when this file compiles).
const _: () = assert!(<every_word::Ledger as glowplug::Model>::HOOKS);
