//! Authentication: Argon2id password hashes, HS256 JWTs carried as
//! `Authorization: Token <jwt>`, and the extractors handlers take.

use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::ApiError;

/// How long a token is valid.
const TOKEN_LIFETIME_SECS: i64 = 60 * 60 * 24 * 14;

/// The signing keys of one server.
pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

#[derive(Serialize, Deserialize)]
struct Claims {
    /// The user's id.
    sub: i64,
    /// Expiry, seconds since the epoch.
    exp: i64,
}

impl Keys {
    /// Keys from a shared secret (`JWT_SECRET`).
    pub fn new(secret: &[u8]) -> Arc<Keys> {
        Arc::new(Keys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        })
    }

    /// A token for `user_id`.
    pub fn token(&self, user_id: i64) -> Result<String, ApiError> {
        let claims = Claims {
            sub: user_id,
            exp: chrono::Utc::now().timestamp() + TOKEN_LIFETIME_SECS,
        };
        encode(&Header::default(), &claims, &self.encoding)
            .map_err(|e| ApiError::Internal(format!("signing a token: {e}")))
    }

    /// The user id of a valid, unexpired token.
    fn user_id(&self, token: &str) -> Option<i64> {
        decode::<Claims>(token, &self.decoding, &Validation::default())
            .ok()
            .map(|data| data.claims.sub)
    }
}

/// Hashes `password` (Argon2id, random salt) on tokio's blocking pool: a
/// hash takes tens of milliseconds on purpose.
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|e| ApiError::Internal(format!("hashing a password: {e}")))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("hashing a password: {e}")))?
}

/// Whether `password` matches the PHC string `hash`, on the blocking pool.
pub async fn verify_password(password: String, hash: String) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .map_err(|e| ApiError::Internal(format!("reading a stored password hash: {e}")))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("checking a password: {e}")))?
}

/// The signed-in user, from `Authorization: Token <jwt>`; 401 without one.
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// The user's id.
    pub id: i64,
    /// The token the request carried (echoed in user responses).
    pub token: String,
}

/// The signed-in user if the request carries a token; 401 if the token it
/// carries is not valid.
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<AuthUser>);

impl MaybeUser {
    /// The viewer's id, if signed in.
    pub fn id(&self) -> Option<i64> {
        self.0.as_ref().map(|u| u.id)
    }
}

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(header) = parts.headers.get(AUTHORIZATION) else {
            return Ok(MaybeUser(None));
        };
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Token "))
            .ok_or(ApiError::Unauthorized(
                "token",
                "must be sent as `Authorization: Token <jwt>`",
            ))?;
        let id = state
            .keys
            .user_id(token)
            .ok_or(ApiError::Unauthorized("token", "is invalid or expired"))?;
        Ok(MaybeUser(Some(AuthUser {
            id,
            token: token.to_owned(),
        })))
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        MaybeUser::from_request_parts(parts, state)
            .await?
            .0
            .ok_or(ApiError::Unauthorized("token", "is missing"))
    }
}
