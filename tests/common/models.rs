//! The models of the project's own migrations (`migrations/sqlite`, `migrations/postgres`).

glowplug::model! {
    /// A registered user.
    pub User {
        id: pk,
        username: varchar(50) unique,
        email: varchar unique,
        bio: text null,
        active: bool default(true),
        timestamps,
        /// The user's posts.
        has_many posts: Post by author_id,
        has_one profile: Profile by user_id,
    }

    /// A post written by a user.
    pub Post {
        id: pk,
        author_id: bigint fk(User) index,
        title: varchar(200),
        body: text default(""),
        published: bool default(false),
        timestamps,
        belongs_to author: User by author_id,
        has_many comments: Comment by post_id,
        many_to_many tags: Tag through post_tags(post_id, tag_id),
    }

    /// A comment on a post.
    pub Comment {
        id: pk,
        post_id: bigint fk(Post) index,
        body: text,
        belongs_to post: Post by post_id,
    }

    /// At most one per user.
    pub Profile {
        id: pk,
        user_id: bigint fk(User) unique,
        website: text,
        belongs_to user: User by user_id,
    }

    /// A tag on posts.
    pub Tag {
        id: pk,
        name: varchar(50) unique,
        many_to_many posts: Post through post_tags(tag_id, post_id),
    }

    /// The join table of posts and tags.
    pub PostTag {
        id: pk,
        post_id: bigint fk(Post),
        tag_id: bigint fk(Tag) index,
        unique(post_id, tag_id),
        belongs_to post: Post by post_id,
        belongs_to tag: Tag by tag_id,
    }

    /// An employee and their manager: a self-reference by a nullable 64-bit key.
    pub Employee {
        id: pk,
        name: text,
        manager_id: bigint null fk(Employee) index,
        belongs_to manager: Employee by manager_id,
        has_many reports: Employee by manager_id,
    }

    /// One column of every supported type.
    pub Sample {
        id: pk,
        small: smallint,
        int32: int,
        int64: bigint,
        real32: float,
        real64: double,
        flag: bool,
        body: text,
        note: text null,
        code: varchar(8),
        at: timestamp,
        day: date,
        clock: time,
        bytes: binary,
        doc: json,
        rank: int null default(7),
    }

    /// A category tree: a 32-bit key and a reference to itself.
    pub Category as categories {
        id: pk(int),
        name: text,
        parent_id: int null fk(Category),
        belongs_to parent: Category by parent_id,
        has_many children: Category by parent_id,
    }
}

/// Every model above: what the project's migrations must create.
pub const ALL: &[glowplug::ModelMeta] = &[
    User::META,
    Post::META,
    Comment::META,
    Profile::META,
    Tag::META,
    PostTag::META,
    Employee::META,
    Sample::META,
    Category::META,
];
