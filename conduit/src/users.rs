//! Users, authentication and profiles: register, log in, the current user
//! and its update, profiles, follow and unfollow.

use axum::Json;
use axum::extract::{Path, State};
use diesel::prelude::*;
use glowplug::prelude::*;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::{self, AuthUser, MaybeUser};
use crate::error::{ApiError, ApiResult};
use crate::models::*;
use crate::views::{self, ProfileView, UserView};
use crate::{AppState, Body};

/// `{"user": …}` in a request.
#[derive(Deserialize)]
pub struct UserBody<T> {
    user: T,
}

#[derive(Deserialize)]
pub struct Registration {
    username: Option<String>,
    email: Option<String>,
    password: Option<String>,
}

#[derive(Deserialize)]
pub struct Login {
    email: Option<String>,
    password: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct UserUpdate {
    username: Option<String>,
    email: Option<String>,
    password: Option<String>,
    bio: Option<String>,
    image: Option<String>,
}

/// The value of a required text field, or the spec's "can't be blank"
/// for it (every missing field is reported, not just the first).
fn required(errors: &mut Vec<(String, String)>, field: &str, value: Option<String>) -> String {
    match value.map(|v| v.trim().to_owned()) {
        Some(v) if !v.is_empty() => v,
        _ => {
            errors.push((field.into(), "can't be blank".into()));
            String::new()
        }
    }
}

/// The field errors of a failed check, to report beside the handler's own.
fn field_errors(checked: glowplug::Result<()>) -> ApiResult<Vec<(String, String)>> {
    match checked {
        Ok(()) => Ok(Vec::new()),
        Err(e) => match ApiError::from(e) {
            ApiError::Invalid(fields) => Ok(fields),
            other => Err(other),
        },
    }
}

/// "can't be blank" for a blank password (the hash is the column, so the
/// model cannot check the password itself).
fn check_password(errors: &mut Vec<(String, String)>, password: &str) {
    if password.trim().is_empty() {
        errors.push(("password".to_owned(), "can't be blank".to_owned()));
    }
}

fn user_response(user: User, token: String) -> Json<Value> {
    Json(json!({ "user": UserView::new(user, token) }))
}

/// `POST /api/users`.
pub async fn register(
    State(state): State<AppState>,
    Body(body): Body<UserBody<Registration>>,
) -> ApiResult<Json<Value>> {
    let user = body.user;
    let trimmed = |v: Option<String>| v.unwrap_or_default().trim().to_owned();
    let new = NewUser::new(trimmed(user.username), trimmed(user.email), String::new());
    // The model's own checks (username not blank, email shaped like one)
    // and the password's, all reported at once, before the slow hash.
    let mut errors = field_errors(new.validate())?;
    let password = user.password.unwrap_or_default();
    check_password(&mut errors, &password);
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let new = NewUser {
        password_hash: auth::hash_password(password).await?,
        ..new
    };
    let user = state.db.run(move |conn| new.insert(conn)).await?;
    let token = state.keys.token(user.id)?;
    Ok(user_response(user, token))
}

/// `POST /api/users/login`.
pub async fn login(
    State(state): State<AppState>,
    Body(body): Body<UserBody<Login>>,
) -> ApiResult<Json<Value>> {
    let mut errors = Vec::new();
    let email = required(&mut errors, "email", body.user.email);
    let password = required(&mut errors, "password", body.user.password);
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let found = state
        .db
        .run_read(move |conn| User::find_by_optional(conn, users::email.eq(&email)))
        .await?;
    let wrong = ApiError::Unauthorized("credentials", "email or password is invalid");
    let Some(user) = found else {
        return Err(wrong);
    };
    if !auth::verify_password(password, user.password_hash.clone()).await? {
        return Err(wrong);
    }
    let token = state.keys.token(user.id)?;
    Ok(user_response(user, token))
}

/// `GET /api/user`.
pub async fn current(State(state): State<AppState>, me: AuthUser) -> ApiResult<Json<Value>> {
    let user = state
        .db
        .run_read(move |conn| User::find(conn, me.id))
        .await?;
    Ok(user_response(user, me.token))
}

/// `PUT /api/user`: the fields sent change; the others stay.
pub async fn update(
    State(state): State<AppState>,
    me: AuthUser,
    Body(body): Body<UserBody<UserUpdate>>,
) -> ApiResult<Json<Value>> {
    // The changed username and email are checked by the model when the
    // update is written; the password is checked here, before its hash.
    let update = body.user;
    let mut errors = Vec::new();
    if let Some(password) = &update.password {
        check_password(&mut errors, password);
    }
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let password_hash = match update.password {
        Some(password) => Some(auth::hash_password(password).await?),
        None => None,
    };
    let changes = UserChanges {
        username: update.username.map(|u| u.trim().to_owned()),
        email: update.email.map(|e| e.trim().to_owned()),
        password_hash,
        bio: update.bio.map(Some),
        image: update.image.map(Some),
    };
    let id = me.id;
    let user = state
        .db
        .run(move |conn| {
            let mut user = User::find(conn, id)?;
            user.update(conn, changes)?;
            Ok::<_, glowplug::Error>(user)
        })
        .await?;
    Ok(user_response(user, me.token))
}

/// The user called `username`, or 404 "profile".
fn by_name<C: DbConnection + ?Sized>(conn: &mut C, username: &str) -> ApiResult<User> {
    User::find_by_optional(conn, users::username.eq(username))?
        .ok_or_else(|| ApiError::NotFound("profile".into()))
}

/// The profile of `username` as `viewer` sees it.
fn profile_of<C: DbConnection + ?Sized>(
    conn: &mut C,
    username: &str,
    viewer: Option<i64>,
) -> Result<ProfileView, ApiError> {
    let user = by_name(conn, username)?;
    let following = views::followed(conn, viewer, &[user.id])?;
    Ok(ProfileView::new(&user, following.contains(&user.id)))
}

/// `GET /api/profiles/{username}`.
pub async fn profile(
    State(state): State<AppState>,
    viewer: MaybeUser,
    Path(username): Path<String>,
) -> ApiResult<Json<Value>> {
    let profile = state
        .db
        .run_read(move |conn| profile_of(conn, &username, viewer.id()))
        .await?;
    Ok(Json(json!({ "profile": profile })))
}

/// `POST /api/profiles/{username}/follow` (following twice is following).
pub async fn follow(
    State(state): State<AppState>,
    me: AuthUser,
    Path(username): Path<String>,
) -> ApiResult<Json<Value>> {
    let profile = state
        .db
        .run(move |conn| {
            let user = by_name(conn, &username)?;
            if user.id == me.id {
                return Err(ApiError::invalid("profile", "cannot follow yourself"));
            }
            diesel::insert_into(follows::table)
                .values(NewFollow::new(me.id, user.id))
                .on_conflict_do_nothing()
                .exec(conn)?;
            Ok(ProfileView::new(&user, true))
        })
        .await?;
    Ok(Json(json!({ "profile": profile })))
}

/// `DELETE /api/profiles/{username}/follow`.
pub async fn unfollow(
    State(state): State<AppState>,
    me: AuthUser,
    Path(username): Path<String>,
) -> ApiResult<Json<Value>> {
    let profile = state
        .db
        .run(move |conn| {
            let user = by_name(conn, &username)?;
            Follow::filter(
                follows::follower_id
                    .eq(me.id)
                    .and(follows::followed_id.eq(user.id)),
            )
            .delete_all(conn)?;
            Ok::<_, ApiError>(ProfileView::new(&user, false))
        })
        .await?;
    Ok(Json(json!({ "profile": profile })))
}
