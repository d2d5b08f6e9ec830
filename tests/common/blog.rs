//! Two versions of a small blog's models, for the schema and CLI tests:
//! between them, every kind of change makemigrations handles (a new table, a
//! type change, a new unique key, NOT NULL with a default, a rename hint, a
//! dropped column, new columns, an index and a foreign key).

pub mod v1 {
    glowplug::model! {
        pub Writer {
            id: pk,
            name: varchar(50),
            email: text null,
        }
        pub Article {
            id: pk,
            writer_id: bigint fk(Writer),
            title: varchar(100),
            body: text,
            notes: text null,
        }
    }
    pub const MODELS: &[glowplug::ModelMeta] = &[Writer::META, Article::META];
}

pub mod v2 {
    glowplug::model! {
        pub Writer {
            id: pk,
            name: varchar(80) unique,
            email: text default(""),
        }
        pub Article {
            id: pk,
            writer_id: bigint fk(Writer) index,
            headline: varchar(100) renamed_from(title),
            body: text,
            published: bool default(false),
            topic_id: bigint null fk(Topic),
        }
        pub Topic {
            id: pk,
            name: text unique,
        }
    }
    pub const MODELS: &[glowplug::ModelMeta] = &[Writer::META, Article::META, Topic::META];
}
