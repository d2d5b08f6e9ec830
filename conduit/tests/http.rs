//! Every endpoint of the RealWorld spec over real HTTP, on SQLite and
//! PostgreSQL: the happy paths and the error cases the spec names
//! (unauthenticated, wrong password, duplicates, someone else's article,
//! missing rows), with the spec's error bodies.

mod support;

use serde_json::json;
use support::Server;

both_backends!(
    users_register_log_in_and_update,
    profiles_follow_and_unfollow,
    articles_are_created_read_updated_and_deleted,
    lists_filter_page_and_feed,
    favorites_count_per_article,
    comments_are_added_listed_and_deleted,
    tags_are_listed_once,
    bad_requests_get_the_spec_error_bodies,
    the_migrations_create_what_the_models_declare,
);

fn the_migrations_create_what_the_models_declare(s: &Server) {
    let mut conn = s.db.get().expect("a connection");
    glowplug::schema::assert_no_drift(&mut conn, conduit::models::ALL);
}

fn users_register_log_in_and_update(s: &Server) {
    let token = s.register("ada");
    let (status, me) = s.get("/user", Some(&token));
    assert_eq!(status, 200);
    assert_eq!(me["user"]["username"], "ada");
    assert_eq!(me["user"]["email"], "ada@example.com");
    assert_eq!(me["user"]["bio"], json!(null));
    assert_eq!(me["user"]["token"], token.as_str());

    // Duplicates are 422 naming the field, on both backends alike.
    let dup =
        |user: serde_json::Value| s.call("POST", "/users", None, Some(json!({ "user": user })));
    let (status, body) =
        dup(json!({"username": "ada", "email": "other@example.com", "password": "pw"}));
    assert_eq!(
        (status, body),
        (
            422,
            json!({"errors": {"username": ["has already been taken"]}})
        )
    );
    let (status, body) =
        dup(json!({"username": "other", "email": "ada@example.com", "password": "pw"}));
    assert_eq!(
        (status, body),
        (
            422,
            json!({"errors": {"email": ["has already been taken"]}})
        )
    );
    // Every blank field at once, in input order.
    let (status, body) = dup(json!({"username": " ", "email": "not-an-email"}));
    assert_eq!(
        (status, body),
        (
            422,
            json!({"errors": {"username": ["can't be blank"], "password": ["can't be blank"], "email": ["is invalid"]}})
        )
    );

    // Logging in.
    let login = |email: &str, password: &str| {
        s.call(
            "POST",
            "/users/login",
            None,
            Some(json!({"user": {"email": email, "password": password}})),
        )
    };
    let (status, body) = login("ada@example.com", "secret-ada");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["username"], "ada");
    let (status, body) = login("ada@example.com", "wrong");
    assert_eq!(
        (status, body),
        (
            401,
            json!({"errors": {"credentials": ["email or password is invalid"]}})
        )
    );
    assert_eq!(
        login("nobody@example.com", "secret-ada").0,
        401,
        "an unknown email looks like a wrong password"
    );

    // Without a token, or with a bad one.
    assert_eq!(
        s.get("/user", None),
        (401, json!({"errors": {"token": ["is missing"]}}))
    );
    assert_eq!(s.get("/user", Some("not.a.jwt")).0, 401);
    let (status, _) = s.call("GET", "/user", None, None);
    assert_eq!(status, 401);

    // Updating: only the fields sent change; a new password works at once.
    let (status, body) = s.call(
        "PUT",
        "/user",
        Some(&token),
        Some(json!({"user": {"bio": "I write about Rust", "email": "ada@lovelace.dev", "password": "new-secret"}})),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["bio"], "I write about Rust");
    assert_eq!(body["user"]["email"], "ada@lovelace.dev");
    assert_eq!(body["user"]["username"], "ada");
    assert_eq!(login("ada@lovelace.dev", "new-secret").0, 200);
    assert_eq!(login("ada@lovelace.dev", "secret-ada").0, 401);
    // Taking another user's name is a 422, and changes nothing.
    s.register("bob");
    let (status, body) = s.call(
        "PUT",
        "/user",
        Some(&token),
        Some(json!({"user": {"username": "bob", "bio": "x"}})),
    );
    assert_eq!(
        (status, body),
        (
            422,
            json!({"errors": {"username": ["has already been taken"]}})
        )
    );
    assert_eq!(
        s.get("/user", Some(&token)).1["user"]["bio"],
        "I write about Rust"
    );
}

fn profiles_follow_and_unfollow(s: &Server) {
    let ada = s.register("ada");
    let bob = s.register("bob");
    let (status, body) = s.get("/profiles/bob", None);
    assert_eq!(
        (status, &body["profile"]["following"]),
        (200, &json!(false))
    );
    assert_eq!(body["profile"]["username"], "bob");
    assert_eq!(
        s.get("/profiles/nobody", Some(&ada)),
        (404, json!({"errors": {"profile": ["not found"]}}))
    );

    assert_eq!(s.call("POST", "/profiles/bob/follow", None, None).0, 401);
    let (status, body) = s.call("POST", "/profiles/bob/follow", Some(&ada), None);
    assert_eq!((status, &body["profile"]["following"]), (200, &json!(true)));
    // Following twice is following once.
    assert_eq!(
        s.call("POST", "/profiles/bob/follow", Some(&ada), None).0,
        200
    );
    assert_eq!(
        s.get("/profiles/bob", Some(&ada)).1["profile"]["following"],
        true
    );
    assert_eq!(
        s.get("/profiles/bob", None).1["profile"]["following"],
        false
    );
    assert_eq!(
        s.get("/profiles/ada", Some(&bob)).1["profile"]["following"],
        false,
        "following is one way"
    );
    assert_eq!(
        s.call("POST", "/profiles/ada/follow", Some(&ada), None).0,
        422,
        "not yourself"
    );

    let (status, body) = s.call("DELETE", "/profiles/bob/follow", Some(&ada), None);
    assert_eq!(
        (status, &body["profile"]["following"]),
        (200, &json!(false))
    );
    assert_eq!(
        s.get("/profiles/bob", Some(&ada)).1["profile"]["following"],
        false
    );
    assert_eq!(
        s.call("DELETE", "/profiles/nobody/follow", Some(&ada), None)
            .0,
        404
    );
}

fn articles_are_created_read_updated_and_deleted(s: &Server) {
    let ada = s.register("ada");
    let bob = s.register("bob");
    let (status, body) = s.call(
        "POST",
        "/articles",
        Some(&ada),
        Some(json!({"article": {"title": "How to train your dragon", "description": "Ever wonder how?", "body": "You have to believe", "tagList": ["training", "dragons", "dragons", " "]}})),
    );
    assert_eq!(status, 200, "{body}");
    let article = &body["article"];
    assert_eq!(article["slug"], "how-to-train-your-dragon");
    assert_eq!(article["tagList"], json!(["dragons", "training"]));
    assert_eq!(
        (
            article["favorited"].clone(),
            article["favoritesCount"].clone()
        ),
        (json!(false), json!(0))
    );
    assert_eq!(
        article["author"],
        json!({"username": "ada", "bio": null, "image": null, "following": false})
    );
    let created = article["createdAt"].as_str().expect("createdAt");
    assert!(
        created.ends_with('Z') && created.len() == 24,
        "ISO 8601 with milliseconds: {created}"
    );

    // The same title again gets its own slug.
    assert_eq!(
        s.article(&bob, "How to train your dragon", &[]),
        "how-to-train-your-dragon-2"
    );

    let (status, body) = s.get("/articles/how-to-train-your-dragon", None);
    assert_eq!(status, 200);
    assert_eq!(body["article"]["body"], "You have to believe");
    assert_eq!(
        s.get("/articles/no-such-article", None),
        (404, json!({"errors": {"article": ["not found"]}}))
    );

    // Only the author may edit or delete; a new title moves the slug.
    let edit = json!({"article": {"title": "Did you train your dragon?"}});
    assert_eq!(
        s.call(
            "PUT",
            "/articles/how-to-train-your-dragon",
            None,
            Some(edit.clone())
        )
        .0,
        401
    );
    assert_eq!(
        s.call(
            "PUT",
            "/articles/how-to-train-your-dragon",
            Some(&bob),
            Some(edit.clone())
        ),
        (403, json!({"errors": {"article": ["forbidden"]}}))
    );
    let (status, body) = s.call(
        "PUT",
        "/articles/how-to-train-your-dragon",
        Some(&ada),
        Some(edit),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["article"]["slug"], "did-you-train-your-dragon");
    assert_eq!(
        body["article"]["description"], "Ever wonder how?",
        "fields not sent stay"
    );
    assert_eq!(body["article"]["tagList"], json!(["dragons", "training"]));
    assert_eq!(s.get("/articles/how-to-train-your-dragon", None).0, 404);
    assert_eq!(
        s.call(
            "PUT",
            "/articles/did-you-train-your-dragon",
            Some(&ada),
            Some(json!({"article": {"body": ""}}))
        )
        .0,
        422
    );

    assert_eq!(
        s.call(
            "DELETE",
            "/articles/did-you-train-your-dragon",
            Some(&bob),
            None
        )
        .0,
        403
    );
    assert_eq!(
        s.call(
            "DELETE",
            "/articles/did-you-train-your-dragon",
            Some(&ada),
            None
        ),
        (200, json!({}))
    );
    assert_eq!(s.get("/articles/did-you-train-your-dragon", None).0, 404);
    assert_eq!(
        s.call(
            "DELETE",
            "/articles/did-you-train-your-dragon",
            Some(&ada),
            None
        )
        .0,
        404
    );
}

fn lists_filter_page_and_feed(s: &Server) {
    let ada = s.register("ada");
    let bob = s.register("bob");
    let cy = s.register("cy");
    let a1 = s.article(&ada, "Ada one", &["rust"]);
    let b1 = s.article(&bob, "Bob one", &["rust", "sql"]);
    let a2 = s.article(&ada, "Ada two", &["sql"]);
    let slugs = |body: &serde_json::Value| -> Vec<String> {
        body["articles"]
            .as_array()
            .expect("articles")
            .iter()
            .map(|a| a["slug"].as_str().unwrap().to_owned())
            .collect()
    };

    let (status, all) = s.get("/articles", None);
    assert_eq!(status, 200);
    assert_eq!(
        slugs(&all),
        [a2.as_str(), b1.as_str(), a1.as_str()],
        "newest first"
    );
    assert_eq!(all["articlesCount"], 3);
    assert_eq!(all["articles"][1]["author"]["username"], "bob");
    assert_eq!(all["articles"][1]["tagList"], json!(["rust", "sql"]));

    let rust = s.get("/articles?tag=rust", None).1;
    assert_eq!(
        (slugs(&rust), &rust["articlesCount"]),
        (vec![b1.clone(), a1.clone()], &json!(2))
    );
    let by_ada = s.get("/articles?author=ada", None).1;
    assert_eq!(slugs(&by_ada), [a2.as_str(), a1.as_str()]);
    let both = s.get("/articles?author=ada&tag=sql", None).1;
    assert_eq!(slugs(&both), [a2.as_str()]);
    assert_eq!(
        s.get("/articles?author=nobody", None).1,
        json!({"articles": [], "articlesCount": 0})
    );

    // limit and offset page; the count is of every match.
    let page = s.get("/articles?limit=2&offset=1", None).1;
    assert_eq!(
        (slugs(&page), &page["articlesCount"]),
        (vec![b1.clone(), a1.clone()], &json!(3))
    );
    assert_eq!(slugs(&s.get("/articles?limit=1", None).1), [a2.as_str()]);
    assert_eq!(
        s.get("/articles?limit=0", None),
        (
            422,
            json!({"errors": {"limit": ["must be between 1 and 100"]}})
        )
    );

    // favorited=<username>
    s.call("POST", &format!("/articles/{a1}/favorite"), Some(&cy), None);
    s.call("POST", &format!("/articles/{b1}/favorite"), Some(&cy), None);
    let fav = s.get("/articles?favorited=cy", Some(&cy)).1;
    assert_eq!(slugs(&fav), [b1.as_str(), a1.as_str()]);
    assert!(
        fav["articles"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["favorited"] == true)
    );

    // The feed: followed authors only, and it needs a token.
    assert_eq!(s.get("/articles/feed", None).0, 401);
    assert_eq!(
        s.get("/articles/feed", Some(&cy)).1,
        json!({"articles": [], "articlesCount": 0})
    );
    s.call("POST", "/profiles/ada/follow", Some(&cy), None);
    let feed = s.get("/articles/feed", Some(&cy)).1;
    assert_eq!(
        (slugs(&feed), &feed["articlesCount"]),
        (vec![a2.clone(), a1.clone()], &json!(2))
    );
    assert!(
        feed["articles"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["author"]["following"] == true)
    );
    assert_eq!(
        slugs(&s.get("/articles/feed?limit=1&offset=1", Some(&cy)).1),
        [a1.as_str()]
    );
}

fn favorites_count_per_article(s: &Server) {
    let ada = s.register("ada");
    let bob = s.register("bob");
    let slug = s.article(&ada, "Popular", &[]);
    let path = format!("/articles/{slug}/favorite");
    assert_eq!(s.call("POST", &path, None, None).0, 401);
    let (status, body) = s.call("POST", &path, Some(&bob), None);
    assert_eq!(status, 200);
    assert_eq!(
        (
            body["article"]["favorited"].clone(),
            body["article"]["favoritesCount"].clone()
        ),
        (json!(true), json!(1))
    );
    assert_eq!(
        s.call("POST", &path, Some(&bob), None).1["article"]["favoritesCount"],
        1,
        "twice is once"
    );
    let body = s.call("POST", &path, Some(&ada), None).1;
    assert_eq!(body["article"]["favoritesCount"], 2);
    // Seen by someone else: counted, not favorited by them.
    let seen = s.get(&format!("/articles/{slug}"), None).1;
    assert_eq!(
        (
            seen["article"]["favorited"].clone(),
            seen["article"]["favoritesCount"].clone()
        ),
        (json!(false), json!(2))
    );
    let body = s.call("DELETE", &path, Some(&bob), None).1;
    assert_eq!(
        (
            body["article"]["favorited"].clone(),
            body["article"]["favoritesCount"].clone()
        ),
        (json!(false), json!(1))
    );
    assert_eq!(
        s.call("POST", "/articles/missing/favorite", Some(&bob), None)
            .0,
        404
    );
}

fn comments_are_added_listed_and_deleted(s: &Server) {
    let ada = s.register("ada");
    let bob = s.register("bob");
    let slug = s.article(&ada, "Discussed", &[]);
    let path = format!("/articles/{slug}/comments");
    let say = |token: &str, text: &str| {
        s.call(
            "POST",
            &path,
            Some(token),
            Some(json!({"comment": {"body": text}})),
        )
    };

    assert_eq!(
        s.call(
            "POST",
            &path,
            None,
            Some(json!({"comment": {"body": "hi"}}))
        )
        .0,
        401
    );
    let (status, first) = say(&bob, "First!");
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["comment"]["body"], "First!");
    assert_eq!(first["comment"]["author"]["username"], "bob");
    let (_, second) = say(&ada, "Thanks");
    assert_eq!(
        say(&ada, " "),
        (422, json!({"errors": {"body": ["can't be blank"]}}))
    );
    assert_eq!(
        s.call(
            "POST",
            "/articles/missing/comments",
            Some(&ada),
            Some(json!({"comment": {"body": "x"}}))
        )
        .0,
        404
    );

    s.call("POST", "/profiles/bob/follow", Some(&ada), None);
    let (status, list) = s.get(&path, Some(&ada));
    assert_eq!(status, 200);
    let bodies: Vec<&str> = list["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["First!", "Thanks"]);
    assert_eq!(list["comments"][0]["author"]["following"], true);
    assert_eq!(
        s.get(&path, None).1["comments"][0]["author"]["following"],
        false
    );

    let first_id = first["comment"]["id"].as_i64().unwrap();
    let delete =
        |token: &str, id: i64| s.call("DELETE", &format!("{path}/{id}"), Some(token), None);
    assert_eq!(
        delete(&ada, first_id),
        (403, json!({"errors": {"comment": ["forbidden"]}}))
    );
    assert_eq!(delete(&bob, first_id), (200, json!({})));
    assert_eq!(delete(&bob, first_id).0, 404);
    let ids: Vec<i64> = s.get(&path, None).1["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [second["comment"]["id"].as_i64().unwrap()]);

    // Deleting the article takes its comments with it.
    s.call("DELETE", &format!("/articles/{slug}"), Some(&ada), None);
    assert_eq!(s.get(&path, None).0, 404);
}

fn tags_are_listed_once(s: &Server) {
    assert_eq!(s.get("/tags", None), (200, json!({"tags": []})));
    let ada = s.register("ada");
    s.article(&ada, "One", &["rust", "web"]);
    s.article(&ada, "Two", &["web", "async"]);
    assert_eq!(
        s.get("/tags", None),
        (200, json!({"tags": ["async", "rust", "web"]}))
    );
}

fn bad_requests_get_the_spec_error_bodies(s: &Server) {
    let ada = s.register("ada");
    // Not JSON, and JSON of the wrong shape: 422 with an `errors` body.
    let (status, body) = s.call("POST", "/users", None, Some(json!("just a string")));
    assert_eq!(status, 422);
    assert!(
        body["errors"]["body"][0]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    let (status, body) = s.call(
        "POST",
        "/articles",
        Some(&ada),
        Some(json!({"article": {"title": "t"}})),
    );
    assert_eq!(
        (status, body),
        (
            422,
            json!({"errors": {"description": ["can't be blank"], "body": ["can't be blank"]}})
        )
    );
    let (status, _) = s.call(
        "POST",
        "/articles",
        Some(&ada),
        Some(json!({"article": {"title": 7}})),
    );
    assert_eq!(status, 422);
    let (status, body) = s.get("/articles?limit=abc", None);
    assert_eq!(status, 422);
    assert!(
        body["errors"]["query"][0]
            .as_str()
            .is_some_and(|m| m.contains("limit")),
        "{body}"
    );
    // A token signed with another secret.
    let foreign = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOjEsImV4cCI6OTk5OTk5OTk5OX0.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    assert_eq!(
        s.get("/user", Some(foreign)),
        (401, json!({"errors": {"token": ["is invalid or expired"]}}))
    );
}
