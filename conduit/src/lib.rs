//! A complete backend for the RealWorld "Conduit" API
//! (<https://realworld-docs.netlify.app/specifications/backend/endpoints/>)
//! on axum and glowplug: users and JWT authentication, profiles and
//! follows, articles with slugs, tags and favorites, the feed, comments and
//! the tags list, with the spec's error bodies.
//!
//! How it uses glowplug:
//! * every handler's database work runs through [`Database::run`] /
//!   [`Database::run_transaction`] on tokio's blocking pool, under
//!   strict loading set to deny for the whole request ([`strict_loading_scope`]
//!   in a middleware), so an N+1 query is an error, not a slow page;
//! * a list of articles is read in a constant number of queries whatever
//!   its length: the page, its count, authors and tags eager-loaded, then
//!   favorite counts, the viewer's favorites and follows (`views`);
//! * requests that write several rows (an article and its tags) write them
//!   in one transaction; unique violations become 422 "has already been
//!   taken", a missing row 404.
//!
//! Start it with `cargo run --release -p conduit` (see the README).

pub mod articles;
pub mod auth;
pub mod error;
pub mod models;
pub mod users;
pub mod views;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use glowplug::{Database, EmbeddedMigrations, LazyLoading, PerBackend, strict_loading_scope};

use crate::auth::Keys;
use crate::error::ApiError;

/// The schema, one directory of SQL migrations per backend, applied at start.
pub const MIGRATIONS: PerBackend<EmbeddedMigrations, EmbeddedMigrations> = glowplug::embed_migrations!(
    sqlite = "migrations/sqlite",
    postgres = "migrations/postgres"
);

/// What every handler gets: the pool and the token keys.
#[derive(Clone)]
pub struct AppState {
    /// The connection pool.
    pub db: Database,
    /// The JWT signing keys.
    pub keys: Arc<Keys>,
}

/// Opens the pool on `url` and applies the pending migrations.
pub fn open(url: &str) -> glowplug::Result<Database> {
    open_replicated(url, &[])
}

/// Opens the pool on the primary `url` with PostgreSQL read `replicas`,
/// and applies the pending migrations (on the primary). Handlers that only
/// read (lists, an article, comments, tags, profiles, the current user,
/// login) run on [`Database::run_read`]: a replica that has replayed every
/// write of this server, or the primary.
pub fn open_replicated(url: &str, replicas: &[String]) -> glowplug::Result<Database> {
    let db = replicas
        .iter()
        .fold(Database::builder(url), |b, r| b.replica(r))
        .build()?;
    db.run_pending_migrations(MIGRATIONS)?;
    Ok(db)
}

/// The API under `/api`.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/users", post(users::register))
        .route("/users/login", post(users::login))
        .route("/user", get(users::current).put(users::update))
        .route("/profiles/{username}", get(users::profile))
        .route(
            "/profiles/{username}/follow",
            post(users::follow).delete(users::unfollow),
        )
        .route("/articles", get(articles::list).post(articles::create))
        .route("/articles/feed", get(articles::feed))
        .route(
            "/articles/{slug}",
            get(articles::show)
                .put(articles::update)
                .delete(articles::delete),
        )
        .route(
            "/articles/{slug}/favorite",
            post(articles::favorite).delete(articles::unfavorite),
        )
        .route(
            "/articles/{slug}/comments",
            get(articles::comments).post(articles::comment),
        )
        .route(
            "/articles/{slug}/comments/{id}",
            axum::routing::delete(articles::delete_comment),
        )
        .route("/tags", get(articles::tags));
    Router::new()
        .nest("/api", api)
        .layer(middleware::from_fn(deny_lazy_loading))
        .with_state(state)
}

/// Every request runs with lazy loads of collection rows refused: a
/// handler that would send one query per row fails instead.
async fn deny_lazy_loading(request: Request, next: Next) -> Response {
    strict_loading_scope(LazyLoading::Deny, next.run(request)).await
}

/// A JSON body; malformed JSON is a 422 in the spec's shape, not axum's
/// plain-text rejection.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Body(value)),
            Err(rejection) => Err(ApiError::invalid("body", &rejection.body_text())),
        }
    }
}

/// Query parameters; a malformed query string is a 422 in the spec's shape.
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Params(value)),
            Err(rejection) => Err(ApiError::invalid("query", &rejection.body_text())),
        }
    }
}
