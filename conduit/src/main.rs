//! The Conduit server: `cargo run --release -p conduit`.
//!
//! * `DATABASE_URL`: where the data lives; an SQLite file `conduit.db` in
//!   the working directory when unset, `postgres://…` works the same.
//! * `REPLICA_URLS`: PostgreSQL read replicas of `DATABASE_URL`, separated
//!   by commas (none when unset); read-only handlers use them.
//! * `PORT`: the port on 127.0.0.1 (default 3000).
//! * `JWT_SECRET`: the token signing secret; when unset, a random one per
//!   start (tokens then end with the process).
//!
//! The embedded migrations are applied at start; the API is under `/api`.

use conduit::auth::Keys;
use conduit::{AppState, open_replicated, router};

/// The database when `DATABASE_URL` is unset.
const DEFAULT_DATABASE: &str = "sqlite://conduit.db";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE.to_owned());
    let port: u16 = match std::env::var("PORT") {
        Ok(port) => port
            .parse()
            .map_err(|_| format!("PORT must be a port number (1-65535), not `{port}`"))?,
        Err(_) => 3000,
    };
    let secret =
        std::env::var("JWT_SECRET").unwrap_or_else(|_| uuid::Uuid::new_v4().simple().to_string());
    let replicas: Vec<String> = std::env::var("REPLICA_URLS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect();
    let db = tokio::task::spawn_blocking(move || open_replicated(&url, &replicas)).await??;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!(
        "conduit: {} ({}, {} replicas) on http://{}/api",
        db.url(),
        db.backend(),
        db.replica_count(),
        listener.local_addr()?
    );
    let state = AppState {
        db,
        keys: Keys::new(secret.as_bytes()),
    };
    axum::serve(listener, router(state)).await?;
    Ok(())
}
