//! Seeds an empty Conduit database for a load run (`conduit/load.sh`):
//! 1 000 users (all with the password `password`), 10 000 articles with
//! two of 50 tags each, every user following the next ten, and 20 000
//! favorites; prints a token for `user1` (signed with `JWT_SECRET`).
//!
//! ```sh
//! DATABASE_URL=sqlite://load.db JWT_SECRET=s cargo run --release -p conduit --example seed
//! ```

use conduit::models::*;
use glowplug::prelude::*;

const USERS: i64 = 1_000;
const ARTICLES: i64 = 10_000;
const TAGS: i64 = 50;
const FOLLOWS_EACH: i64 = 10;
const FAVORITES_EACH: i64 = 20;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://conduit.db".into());
    let secret = std::env::var("JWT_SECRET")
        .map_err(|_| "set JWT_SECRET, the secret the server will use")?;
    let db = conduit::open(&url)?;
    let mut conn = db.get()?;
    if User::count(&mut conn)? != 0 {
        return Err(format!("{} already has users: seed an empty database", db.url()).into());
    }
    let hash = tokio::runtime::Builder::new_current_thread()
        .build()?
        .block_on(conduit::auth::hash_password("password".into()))
        .map_err(|e| format!("{e:?}"))?;

    let users: Vec<NewUser> = (1..=USERS)
        .map(|i| {
            NewUser::new(
                format!("user{i}"),
                format!("user{i}@example.com"),
                hash.clone(),
            )
        })
        .collect();
    User::insert_batch(&mut conn, &users)?;
    let tags: Vec<NewTag> = (1..=TAGS).map(|i| NewTag::new(format!("tag{i}"))).collect();
    Tag::insert_batch(&mut conn, &tags)?;
    let articles: Vec<NewArticle> = (1..=ARTICLES)
        .map(|i| {
            NewArticle::new(
                format!("article-{i}"),
                format!("Article {i}"),
                format!("What article {i} is about"),
                format!("The body of article {i}. ").repeat(20),
                1 + i % USERS,
            )
        })
        .collect();
    Article::insert_batch(&mut conn, &articles)?;
    let links: Vec<NewArticleTag> = (1..=ARTICLES)
        .flat_map(|a| {
            // Two different tags: `second` is 1 to 49 places after `first`.
            let first = 1 + a % TAGS;
            let second = 1 + (first + a / TAGS % (TAGS - 1)) % TAGS;
            [NewArticleTag::new(a, first), NewArticleTag::new(a, second)]
        })
        .collect();
    ArticleTag::insert_batch(&mut conn, &links)?;
    let follows: Vec<NewFollow> = (1..=USERS)
        .flat_map(|u| (1..=FOLLOWS_EACH).map(move |k| NewFollow::new(u, 1 + (u + k - 1) % USERS)))
        .collect();
    Follow::insert_batch(&mut conn, &follows)?;
    let favorites: Vec<NewFavorite> = (1..=USERS)
        .flat_map(|u| {
            (0..FAVORITES_EACH).map(move |k| NewFavorite::new(u, 1 + (u * 37 + k * 499) % ARTICLES))
        })
        .collect();
    Favorite::insert_batch(&mut conn, &favorites)?;
    // Planner statistics, as autovacuum would gather them a little later:
    // without them PostgreSQL walks the feed in date order (6 ms a page,
    // against 0.2 ms through the author index).
    diesel::connection::SimpleConnection::batch_execute(&mut *conn, "ANALYZE")?;

    eprintln!(
        "seeded {}: {USERS} users, {ARTICLES} articles, {} tag links, {} follows, {} favorites",
        db.url(),
        links.len(),
        follows.len(),
        favorites.len()
    );
    let user1 = User::find_by(&mut conn, users::username.eq("user1"))?;
    println!(
        "{}",
        conduit::auth::Keys::new(secret.as_bytes())
            .token(user1.id)
            .map_err(|e| format!("{e:?}"))?
    );
    Ok(())
}
