//! Articles, favorites, the feed, comments and tags.

use axum::Json;
use axum::extract::{Path, State};
use diesel::prelude::*;
use diesel::sql_types::Bool;
use glowplug::OnConflict;
use glowplug::prelude::*;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::{AuthUser, MaybeUser};
use crate::error::{ApiError, ApiResult};
use crate::models::*;
use crate::views;
use crate::{AppState, Body, Params};

/// Articles per page when the client does not say.
const DEFAULT_LIMIT: i64 = 20;
/// The most articles one page returns.
const MAX_LIMIT: i64 = 100;

/// `?tag=&author=&favorited=&limit=&offset=`.
#[derive(Deserialize, Default)]
pub struct ListParams {
    tag: Option<String>,
    author: Option<String>,
    favorited: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

impl ListParams {
    /// `limit` and `offset`, checked.
    fn window(&self) -> ApiResult<(i64, i64)> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        let offset = self.offset.unwrap_or(0);
        let mut errors = Vec::new();
        if !(1..=MAX_LIMIT).contains(&limit) {
            errors.push((
                "limit".to_owned(),
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
        }
        if offset < 0 {
            errors.push(("offset".to_owned(), "must not be negative".to_owned()));
        }
        if errors.is_empty() {
            Ok((limit, offset))
        } else {
            Err(ApiError::Invalid(errors))
        }
    }
}

#[derive(Deserialize)]
pub struct ArticleBody<T> {
    article: T,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewArticleInput {
    title: Option<String>,
    description: Option<String>,
    body: Option<String>,
    #[serde(default)]
    tag_list: Vec<String>,
}

#[derive(Deserialize)]
pub struct ArticleUpdate {
    title: Option<String>,
    description: Option<String>,
    body: Option<String>,
}

#[derive(Deserialize)]
pub struct CommentBody {
    comment: CommentInput,
}

#[derive(Deserialize)]
pub struct CommentInput {
    body: Option<String>,
}

/// `{"articles": [...], "articlesCount": n}`: one page, and how many
/// articles match in all.
fn page(views: Vec<views::ArticleView>, total: i64) -> Json<Value> {
    Json(json!({ "articles": views, "articlesCount": total }))
}

/// `GET /api/articles`: newest first, filtered by tag, author and the
/// user who favorited them; `limit` (default 20, at most 100) and `offset`.
/// Eight queries whatever the page size: the count, the page, and
/// [`views::articles`].
pub async fn list(
    State(state): State<AppState>,
    viewer: MaybeUser,
    Params(params): Params<ListParams>,
) -> ApiResult<Json<Value>> {
    let (limit, offset) = params.window()?;
    let (views, total) = state
        .db
        .run_read(move |conn| {
            // One statement shape for every combination of filters (so one
            // cached statement): an absent filter is `TRUE OR …`.
            let tag = params.tag.as_deref();
            let author = params.author.as_deref();
            let favorited = params.favorited.as_deref();
            let matching = Article::filter(
                tag.is_none()
                    .into_sql::<Bool>()
                    .or(articles::id.eq_any(
                        article_tags::table
                            .filter(
                                article_tags::tag_id.eq_any(
                                    tags::table
                                        .filter(tags::name.eq(tag.unwrap_or_default()))
                                        .select(tags::id),
                                ),
                            )
                            .select(article_tags::article_id),
                    ))
                    .and(
                        author
                            .is_none()
                            .into_sql::<Bool>()
                            .or(articles::author_id.eq_any(
                                users::table
                                    .filter(users::username.eq(author.unwrap_or_default()))
                                    .select(users::id),
                            )),
                    )
                    .and(
                        favorited
                            .is_none()
                            .into_sql::<Bool>()
                            .or(articles::id.eq_any(
                                favorites::table
                                    .filter(
                                        favorites::user_id.eq_any(
                                            users::table
                                                .filter(
                                                    users::username
                                                        .eq(favorited.unwrap_or_default()),
                                                )
                                                .select(users::id),
                                        ),
                                    )
                                    .select(favorites::article_id),
                            )),
                    ),
            );
            let total = matching.clone().count(conn)?;
            let rows = matching
                .order((articles::created_at.desc(), articles::id.desc()))
                .limit(limit)
                .offset(offset)
                .all(conn)?;
            Ok::<_, glowplug::Error>((views::articles(conn, rows, viewer.id())?, total))
        })
        .await?;
    Ok(page(views, total))
}

/// `GET /api/articles/feed`: articles by the users the caller follows,
/// newest first; the same queries as [`list`].
pub async fn feed(
    State(state): State<AppState>,
    me: AuthUser,
    Params(params): Params<ListParams>,
) -> ApiResult<Json<Value>> {
    let (limit, offset) = params.window()?;
    let (views, total) = state
        .db
        .run_read(move |conn| {
            let followed = Article::filter(
                articles::author_id.eq_any(
                    follows::table
                        .filter(follows::follower_id.eq(me.id))
                        .select(follows::followed_id),
                ),
            );
            let total = followed.clone().count(conn)?;
            let rows = followed
                .order((articles::created_at.desc(), articles::id.desc()))
                .limit(limit)
                .offset(offset)
                .all(conn)?;
            Ok::<_, glowplug::Error>((views::articles(conn, rows, Some(me.id))?, total))
        })
        .await?;
    Ok(page(views, total))
}

/// The article with `slug`, or 404.
fn by_slug<C: DbConnection + ?Sized>(conn: &mut C, slug: &str) -> ApiResult<Article> {
    Article::find_by_optional(conn, articles::slug.eq(slug))?
        .ok_or_else(|| ApiError::NotFound("article".into()))
}

/// `{"article": …}` for one article.
fn one<C: DbConnection + ?Sized>(
    conn: &mut C,
    article: Article,
    viewer: Option<i64>,
) -> ApiResult<Value> {
    let view = views::articles(conn, vec![article], viewer)?.pop();
    Ok(json!({ "article": view }))
}

/// `GET /api/articles/{slug}`.
pub async fn show(
    State(state): State<AppState>,
    viewer: MaybeUser,
    Path(slug): Path<String>,
) -> ApiResult<Json<Value>> {
    let body = state
        .db
        .run_read(move |conn| {
            let article = by_slug(conn, &slug)?;
            one(conn, article, viewer.id())
        })
        .await?;
    Ok(Json(body))
}

/// `title` in lower case, runs of anything but letters and digits as one `-`.
pub fn slugify(title: &str) -> String {
    let mut slug = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        "article".to_owned()
    } else {
        slug.to_owned()
    }
}

/// A slug for `title` no other article has: the slugified title, with a
/// number added when it is taken.
fn free_slug<C: DbConnection + ?Sized>(conn: &mut C, title: &str) -> glowplug::Result<String> {
    let base = slugify(title);
    let taken: Vec<String> = Article::filter(
        articles::slug
            .eq(&base)
            .or(articles::slug.like(format!("{base}-%"))),
    )
    .pluck(conn, articles::slug)?;
    Ok((1..)
        .map(|n| {
            if n == 1 {
                base.clone()
            } else {
                format!("{base}-{n}")
            }
        })
        .find(|candidate| !taken.contains(candidate))
        .unwrap_or(base))
}

/// The names of a tag list: trimmed, without blanks and repeats, in order.
fn tag_names(list: Vec<String>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for name in list.into_iter().map(|n| n.trim().to_owned()) {
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// Tags `article` with `names`, creating the tags that do not exist yet:
/// three statements for any number of tags.
fn attach_tags<C: DbConnection + ?Sized>(
    conn: &mut C,
    article: i64,
    names: &[String],
) -> glowplug::Result<()> {
    if names.is_empty() {
        return Ok(());
    }
    let new: Vec<NewTag> = names.iter().cloned().map(NewTag::new).collect();
    Tag::batch()
        .on_conflict(tags::name, OnConflict::Ignore)
        .insert(conn, &new)?;
    let ids: Vec<i64> = Tag::filter(tags::name.eq_any(names)).pluck(conn, tags::id)?;
    let links: Vec<NewArticleTag> = ids
        .into_iter()
        .map(|tag| NewArticleTag::new(article, tag))
        .collect();
    ArticleTag::insert_batch(conn, &links)?;
    Ok(())
}

/// `POST /api/articles`: the article and its tags in one transaction.
pub async fn create(
    State(state): State<AppState>,
    me: AuthUser,
    Body(body): Body<ArticleBody<NewArticleInput>>,
) -> ApiResult<Json<Value>> {
    // Blank or missing fields are the model's `validate(not_empty)` checks,
    // run by the insert (before anything is written).
    let input = body.article;
    let (title, description, text) = (
        input.title.unwrap_or_default(),
        input.description.unwrap_or_default(),
        input.body.unwrap_or_default(),
    );
    let tags = tag_names(input.tag_list);
    let body = state
        .db
        .run_transaction(move |conn| {
            let slug = free_slug(conn, &title)?;
            let article = NewArticle::new(slug, title, description, text, me.id).insert(conn)?;
            attach_tags(conn, article.id, &tags)?;
            one(conn, article, Some(me.id))
        })
        .await?;
    Ok(Json(body))
}

/// The article with `slug` if `me` wrote it: 404 if there is none, 403 if
/// someone else wrote it.
fn own_article<C: DbConnection + ?Sized>(conn: &mut C, slug: &str, me: i64) -> ApiResult<Article> {
    let article = by_slug(conn, slug)?;
    if article.author_id != me {
        return Err(ApiError::Forbidden("article"));
    }
    Ok(article)
}

/// `PUT /api/articles/{slug}`: a new title gives a new slug.
pub async fn update(
    State(state): State<AppState>,
    me: AuthUser,
    Path(slug): Path<String>,
    Body(body): Body<ArticleBody<ArticleUpdate>>,
) -> ApiResult<Json<Value>> {
    // Blank fields are refused by the model's checks when the changes are written.
    let update = body.article;
    let body = state
        .db
        .run_transaction(move |conn| {
            let mut article = own_article(conn, &slug, me.id)?;
            let slug = match &update.title {
                Some(title) if *title != article.title => Some(free_slug(conn, title)?),
                _ => None,
            };
            let changes = ArticleChanges {
                slug,
                title: update.title,
                description: update.description,
                body: update.body,
                ..Default::default()
            };
            article.update(conn, changes)?;
            one(conn, article, Some(me.id))
        })
        .await?;
    Ok(Json(body))
}

/// `DELETE /api/articles/{slug}`: its tags links, favorites and comments go with it.
pub async fn delete(
    State(state): State<AppState>,
    me: AuthUser,
    Path(slug): Path<String>,
) -> ApiResult<Json<Value>> {
    state
        .db
        .run(move |conn| {
            let article = own_article(conn, &slug, me.id)?;
            article.delete(conn)?;
            Ok::<_, ApiError>(())
        })
        .await?;
    Ok(Json(json!({})))
}

/// `POST /api/articles/{slug}/favorite` (twice is once).
pub async fn favorite(
    State(state): State<AppState>,
    me: AuthUser,
    Path(slug): Path<String>,
) -> ApiResult<Json<Value>> {
    let body = state
        .db
        .run(move |conn| {
            let article = by_slug(conn, &slug)?;
            diesel::insert_into(favorites::table)
                .values(NewFavorite::new(me.id, article.id))
                .on_conflict_do_nothing()
                .exec(conn)?;
            one(conn, article, Some(me.id))
        })
        .await?;
    Ok(Json(body))
}

/// `DELETE /api/articles/{slug}/favorite`.
pub async fn unfavorite(
    State(state): State<AppState>,
    me: AuthUser,
    Path(slug): Path<String>,
) -> ApiResult<Json<Value>> {
    let body = state
        .db
        .run(move |conn| {
            let article = by_slug(conn, &slug)?;
            Favorite::filter(
                favorites::user_id
                    .eq(me.id)
                    .and(favorites::article_id.eq(article.id)),
            )
            .delete_all(conn)?;
            one(conn, article, Some(me.id))
        })
        .await?;
    Ok(Json(body))
}

/// `GET /api/articles/{slug}/comments`: oldest first.
pub async fn comments(
    State(state): State<AppState>,
    viewer: MaybeUser,
    Path(slug): Path<String>,
) -> ApiResult<Json<Value>> {
    let views = state
        .db
        .run_read(move |conn| {
            let article = by_slug(conn, &slug)?;
            let rows = Comment::filter(comments::article_id.eq(article.id))
                .order(comments::id.asc())
                .all(conn)?;
            Ok::<_, ApiError>(views::comments(conn, rows, viewer.id())?)
        })
        .await?;
    Ok(Json(json!({ "comments": views })))
}

/// `POST /api/articles/{slug}/comments`.
pub async fn comment(
    State(state): State<AppState>,
    me: AuthUser,
    Path(slug): Path<String>,
    Body(body): Body<CommentBody>,
) -> ApiResult<Json<Value>> {
    let text = body.comment.body.unwrap_or_default();
    let view = state
        .db
        .run(move |conn| {
            let article = by_slug(conn, &slug)?;
            let comment = NewComment::new(text, article.id, me.id).insert(conn)?;
            Ok::<_, ApiError>(views::comments(conn, vec![comment], Some(me.id))?.pop())
        })
        .await?;
    Ok(Json(json!({ "comment": view })))
}

/// `DELETE /api/articles/{slug}/comments/{id}`: only its author may.
pub async fn delete_comment(
    State(state): State<AppState>,
    me: AuthUser,
    Path((slug, id)): Path<(String, i64)>,
) -> ApiResult<Json<Value>> {
    state
        .db
        .run(move |conn| {
            let article = by_slug(conn, &slug)?;
            let comment = Comment::find_by_optional(
                conn,
                comments::id.eq(id).and(comments::article_id.eq(article.id)),
            )?
            .ok_or_else(|| ApiError::NotFound("comment".into()))?;
            if comment.author_id != me.id {
                return Err(ApiError::Forbidden("comment"));
            }
            comment.delete(conn)?;
            Ok(())
        })
        .await?;
    Ok(Json(json!({})))
}

/// `GET /api/tags`: every tag, by name.
pub async fn tags(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let names: Vec<String> = state
        .db
        .run_read(|conn| Tag::scope().order(tags::name.asc()).pluck(conn, tags::name))
        .await?;
    Ok(Json(json!({ "tags": names })))
}
