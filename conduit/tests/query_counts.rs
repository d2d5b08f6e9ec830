//! The statements a list request sends do not grow with the page: `GET
//! /api/articles` and `GET /api/articles/feed` at 1, 20 and 100 articles,
//! on both backends. Statements are counted by a diesel instrumentation
//! installed on every connection of the process, so this file holds one
//! test, which runs the backends one after the other.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::connection::{Instrumentation, InstrumentationEvent};
use serde_json::json;
use support::Server;

static STATEMENTS: AtomicUsize = AtomicUsize::new(0);

/// Counts every statement of every connection.
struct Count;

impl Instrumentation for Count {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { .. } = event {
            STATEMENTS.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// The statements the request `path` (as `token`) sent, and its answer.
fn counted(s: &Server, path: &str, token: &str) -> (usize, serde_json::Value) {
    let before = STATEMENTS.load(Ordering::SeqCst);
    let (status, body) = s.get(path, Some(token));
    assert_eq!(status, 200, "{path}: {body}");
    (STATEMENTS.load(Ordering::SeqCst) - before, body)
}

fn list_requests_send_the_same_statements_at_any_page_size(s: &Server) {
    let viewer = s.register("viewer");
    let authors: Vec<String> = ["ada", "bob", "cy"]
        .iter()
        .map(|name| s.register(name))
        .collect();
    s.call("POST", "/profiles/ada/follow", Some(&viewer), None);
    s.call("POST", "/profiles/bob/follow", Some(&viewer), None);
    for i in 0..100 {
        let author = &authors[i % 3];
        let tags = [format!("t{}", i % 7), format!("u{}", i % 5)];
        let slug = s.article(author, &format!("Article {i}"), &[&tags[0], &tags[1]]);
        if i % 4 == 0 {
            s.call(
                "POST",
                &format!("/articles/{slug}/favorite"),
                Some(&viewer),
                None,
            );
        }
    }
    let mut seen = Vec::new();
    for path in ["/articles", "/articles/feed"] {
        let counts: Vec<usize> = [1, 20, 100]
            .into_iter()
            .map(|limit| {
                let (n, body) = counted(s, &format!("{path}?limit={limit}"), &viewer);
                let page = body["articles"].as_array().expect("articles");
                assert_eq!(
                    page.len(),
                    limit.min(body["articlesCount"].as_u64().unwrap() as usize)
                );
                assert!(
                    page.iter()
                        .all(|a| a["tagList"].as_array().is_some_and(|t| t.len() == 2))
                );
                n
            })
            .collect();
        assert_eq!(
            counts, [counts[0]; 3],
            "{path}: statements at 1, 20 and 100 articles"
        );
        seen.push(counts[0]);
    }
    // The page and its count, authors, the join table and tags, favorite
    // counts, the viewer's favorites and follows: eight statements (the
    // pool's health check on checkout reaches no user instrumentation).
    assert_eq!(seen, [8, 8], "statements per list request (articles, feed)");
    let (n, body) = counted(s, "/articles?limit=100&tag=t3", &viewer);
    assert_eq!(body["articlesCount"], json!(14));
    assert_eq!(n, 8, "a filter adds no statement");
}

#[test]
fn list_requests_send_the_same_statements_on_both_backends() {
    diesel::connection::set_default_instrumentation(|| Some(Box::new(Count)))
        .expect("an instrumentation");
    list_requests_send_the_same_statements_at_any_page_size(&Server::sqlite());
    if let Some(server) = Server::postgres("query_counts") {
        list_requests_send_the_same_statements_at_any_page_size(&server);
    }
}
