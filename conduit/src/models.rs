//! The Conduit schema: one `model!` call, so every table may appear in one
//! query (the article filters join users, tags and favorites). The checks
//! the spec's 422s need are declared on the columns (`validate(..)`), so
//! every write runs them; the handlers add only what is not a column (a
//! blank password).

glowplug::model! {
    /// A registered user; `password_hash` is an Argon2id PHC string.
    pub User {
        id: pk,
        username: varchar(100) unique validate(not_empty),
        email: varchar(255) unique validate(email),
        password_hash: text,
        bio: text null,
        image: text null,
        timestamps(tz),
    }

    /// `follower_id` follows `followed_id`.
    pub Follow {
        id: pk,
        follower_id: bigint fk(User) on_delete(cascade),
        followed_id: bigint fk(User) on_delete(cascade) index,
        unique(follower_id, followed_id),
    }

    /// An article; `slug` is derived from the title and unique.
    pub Article {
        id: pk,
        slug: varchar(255) unique,
        title: text validate(not_empty),
        description: text validate(not_empty),
        body: text validate(not_empty),
        author_id: bigint fk(User) on_delete(cascade) index,
        timestamps(tz),
        // Lists are newest first: pages read this index in order and stop.
        index(created_at, id),
        belongs_to author: User by author_id,
        many_to_many tags: Tag through article_tags(article_id, tag_id),
    }

    /// A tag, shared by the articles that carry it.
    pub Tag {
        id: pk,
        name: varchar(100) unique,
    }

    /// The join table of articles and tags.
    pub ArticleTag {
        id: pk,
        article_id: bigint fk(Article) on_delete(cascade),
        tag_id: bigint fk(Tag) on_delete(cascade) index,
        unique(article_id, tag_id),
    }

    /// `user_id` favorited `article_id`.
    pub Favorite {
        id: pk,
        user_id: bigint fk(User) on_delete(cascade),
        article_id: bigint fk(Article) on_delete(cascade) index,
        unique(user_id, article_id),
    }

    /// A comment on an article.
    pub Comment {
        id: pk,
        body: text validate(not_empty),
        article_id: bigint fk(Article) on_delete(cascade) index,
        author_id: bigint fk(User) on_delete(cascade),
        timestamps(tz),
        belongs_to author: User by author_id,
    }
}

/// Every model: what the migrations create (checked by the tests).
pub const ALL: &[glowplug::ModelMeta] = &[
    User::META,
    Follow::META,
    Article::META,
    Tag::META,
    ArticleTag::META,
    Favorite::META,
    Comment::META,
];
