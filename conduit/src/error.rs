//! The API's errors and their responses, in the spec's shape:
//! `{"errors": {"field": ["message", …]}}` with 401, 403, 404 or 422, and a
//! bare 500 for anything the client cannot fix (logged, never shown).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Why a request failed.
#[derive(Debug)]
pub enum ApiError {
    /// 401: no token, or a token that is not valid (`{"errors": {what: [why]}}`).
    Unauthorized(&'static str, &'static str),
    /// 403: the resource (`"article"`, `"comment"`) belongs to someone else.
    Forbidden(&'static str),
    /// 404: the resource (`"article"`, `"profile"`, …) does not exist.
    NotFound(String),
    /// 422: field errors, in input order.
    Invalid(Vec<(String, String)>),
    /// 500: a database or server failure; the client sees no details.
    Internal(String),
}

/// What a handler returns.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// 422 for one field.
    pub fn invalid(field: &str, message: &str) -> ApiError {
        ApiError::Invalid(vec![(field.to_owned(), message.to_owned())])
    }
}

impl From<glowplug::Error> for ApiError {
    /// A missing row is a 404; a failed declared validation or a violated
    /// constraint is a 422 with glowplug's field errors (a duplicate email
    /// is `email: has already been taken` on both backends); anything else
    /// is a 500.
    fn from(e: glowplug::Error) -> ApiError {
        if let glowplug::Error::NotFound { model, .. } = &e {
            return ApiError::NotFound(model.to_lowercase());
        }
        match e.field_errors() {
            Some(errors) => ApiError::Invalid(
                errors
                    .iter()
                    .map(|f| (f.field.to_string(), f.message.clone()))
                    .collect(),
            ),
            None => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> ApiError {
        glowplug::Error::from(e).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, errors) = match self {
            ApiError::Unauthorized(what, why) => (StatusCode::UNAUTHORIZED, json!({ what: [why] })),
            ApiError::Forbidden(what) => (StatusCode::FORBIDDEN, json!({ what: ["forbidden"] })),
            ApiError::NotFound(what) => (StatusCode::NOT_FOUND, json!({ what: ["not found"] })),
            ApiError::Invalid(fields) => {
                let mut errors = serde_json::Map::new();
                for (field, message) in fields {
                    let list = errors.entry(field).or_insert_with(|| json!([]));
                    if let Some(list) = list.as_array_mut() {
                        list.push(message.into());
                    }
                }
                (StatusCode::UNPROCESSABLE_ENTITY, errors.into())
            }
            ApiError::Internal(detail) => {
                eprintln!("conduit: internal error: {detail}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({ "server": ["internal error"] }),
                )
            }
        };
        (status, Json(json!({ "errors": errors }))).into_response()
    }
}
