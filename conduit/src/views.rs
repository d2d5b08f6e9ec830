//! The JSON the API answers with, and reading what it needs in a constant
//! number of queries: a page of 1 or 100 articles costs the same queries.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use glowplug::prelude::*;
use glowplug::{RunDsl, UtcDateTime};
use serde::Serialize;

use crate::models::*;

/// `{"user": …}`: the signed-in user.
#[derive(Serialize)]
pub struct UserView {
    pub email: String,
    pub token: String,
    pub username: String,
    pub bio: Option<String>,
    pub image: Option<String>,
}

impl UserView {
    /// `user` with the token the client holds.
    pub fn new(user: User, token: String) -> UserView {
        UserView {
            email: user.email,
            token,
            username: user.username,
            bio: user.bio,
            image: user.image,
        }
    }
}

/// `{"profile": …}`: a user as others see them.
#[derive(Serialize, Clone)]
pub struct ProfileView {
    pub username: String,
    pub bio: Option<String>,
    pub image: Option<String>,
    pub following: bool,
}

impl ProfileView {
    /// `user`'s profile; `following`: whether the viewer follows them.
    pub fn new(user: &User, following: bool) -> ProfileView {
        ProfileView {
            username: user.username.clone(),
            bio: user.bio.clone(),
            image: user.image.clone(),
            following,
        }
    }
}

/// `{"article": …}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArticleView {
    pub slug: String,
    pub title: String,
    pub description: String,
    pub body: String,
    pub tag_list: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    pub favorited: bool,
    pub favorites_count: i64,
    pub author: ProfileView,
}

/// `{"comment": …}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommentView {
    pub id: i64,
    pub created_at: String,
    pub updated_at: String,
    pub body: String,
    pub author: ProfileView,
}

/// ISO 8601 with milliseconds, as the spec's examples write it.
fn time(t: &UtcDateTime) -> String {
    t.0.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Which of `authors` the viewer follows (one query; none without a viewer).
pub fn followed<C: DbConnection + ?Sized>(
    conn: &mut C,
    viewer: Option<i64>,
    authors: &[i64],
) -> glowplug::Result<HashSet<i64>> {
    let Some(viewer) = viewer.filter(|_| !authors.is_empty()) else {
        return Ok(HashSet::new());
    };
    let ids: Vec<i64> = Follow::filter(
        follows::follower_id
            .eq(viewer)
            .and(follows::followed_id.eq_any(authors)),
    )
    .pluck(conn, follows::followed_id)?;
    Ok(ids.into_iter().collect())
}

/// `articles` as the viewer sees them, in their order: authors and tags
/// eager-loaded (three queries), favorite counts (one), the viewer's
/// favorites and follows (one each): six queries at most, for any number
/// of articles.
pub fn articles<C: DbConnection + ?Sized>(
    conn: &mut C,
    articles: Vec<Article>,
    viewer: Option<i64>,
) -> glowplug::Result<Vec<ArticleView>> {
    if articles.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = articles.iter().map(|a| a.id).collect();
    let loaded = articles.load(conn, (Article::AUTHOR, Article::TAGS))?;
    let counts: HashMap<i64, i64> = favorites::table
        .filter(favorites::article_id.eq_any(&ids))
        .group_by(favorites::article_id)
        .select((favorites::article_id, diesel::dsl::count_star()))
        .fetch_all(conn)?
        .into_iter()
        .collect();
    let mine: HashSet<i64> = match viewer {
        Some(viewer) => Favorite::filter(
            favorites::user_id
                .eq(viewer)
                .and(favorites::article_id.eq_any(&ids)),
        )
        .pluck(conn, favorites::article_id)?
        .into_iter()
        .collect(),
        None => HashSet::new(),
    };
    let authors: Vec<i64> = loaded.iter().map(|a| a.author_id).collect();
    let following = followed(conn, viewer, &authors)?;
    Ok(loaded
        .into_iter()
        .map(|a| {
            let mut tag_list: Vec<String> = a
                .get(Article::TAGS)
                .iter()
                .map(|t| t.name.clone())
                .collect();
            tag_list.sort();
            let author = ProfileView::new(a.get(Article::AUTHOR), following.contains(&a.author_id));
            let article = a.model();
            ArticleView {
                slug: article.slug.clone(),
                title: article.title.clone(),
                description: article.description.clone(),
                body: article.body.clone(),
                tag_list,
                created_at: time(&article.created_at),
                updated_at: time(&article.updated_at),
                favorited: mine.contains(&article.id),
                favorites_count: counts.get(&article.id).copied().unwrap_or(0),
                author,
            }
        })
        .collect())
}

/// `comments` as the viewer sees them: authors eager-loaded (one query) and
/// the viewer's follows (one).
pub fn comments<C: DbConnection + ?Sized>(
    conn: &mut C,
    comments: Vec<Comment>,
    viewer: Option<i64>,
) -> glowplug::Result<Vec<CommentView>> {
    let loaded = comments.load(conn, Comment::AUTHOR)?;
    let authors: Vec<i64> = loaded.iter().map(|c| c.author_id).collect();
    let following = followed(conn, viewer, &authors)?;
    Ok(loaded
        .into_iter()
        .map(|c| CommentView {
            id: c.id,
            created_at: time(&c.created_at),
            updated_at: time(&c.updated_at),
            body: c.body.clone(),
            author: ProfileView::new(c.get(Comment::AUTHOR), following.contains(&c.author_id)),
        })
        .collect())
}
