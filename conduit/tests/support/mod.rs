//! The Conduit server on a free port of 127.0.0.1, on a fresh SQLite file or
//! a fresh PostgreSQL schema, and a real HTTP client (ureq) to call it.

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

#[allow(dead_code)]
#[path = "../../../tests/common/setup.rs"]
mod setup;

/// A running server; stops when dropped (and drops its PostgreSQL schema).
pub struct Server {
    /// `http://127.0.0.1:PORT/api`.
    pub base: String,
    /// The pool the server uses, to seed rows directly.
    pub db: glowplug::Database,
    agent: ureq::Agent,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    schema: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

static SCHEMAS: AtomicUsize = AtomicUsize::new(0);

impl Server {
    /// On a fresh SQLite file.
    pub fn sqlite() -> Server {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite://{}", dir.path().join("conduit.db").display());
        Server::start(&url, None, Some(dir))
    }

    /// On a fresh PostgreSQL schema; `None` (with a skip line) when no
    /// server answers, unless `REQUIRE_PG=1`.
    pub fn postgres(test: &str) -> Option<Server> {
        let base = setup::pg_base_url();
        let mut admin = match setup::pg_admin_connection(&base) {
            Ok(admin) => admin,
            Err(e) => {
                assert!(
                    std::env::var("REQUIRE_PG").as_deref() != Ok("1"),
                    "PostgreSQL unreachable ({e}); REQUIRE_PG=1 makes this a failure"
                );
                eprintln!("SKIP postgres::{test}: PostgreSQL unreachable");
                return None;
            }
        };
        let n = SCHEMAS.fetch_add(1, Ordering::Relaxed);
        let mut schema = format!("conduit_{}_{test}_{n}", std::process::id());
        schema.truncate(63);
        let url = setup::pg_fresh_schema(&mut admin, &base, &schema);
        Some(Server::start(&url, Some((base, schema)), None))
    }

    /// On the PostgreSQL primary `url` with read `replicas` (whole
    /// throwaway clusters, dropped by the caller).
    pub fn replicated(url: &str, replicas: &[String]) -> Server {
        let db = conduit::open_replicated(url, replicas).expect("open and migrate the primary");
        Server::serve(db, None, None)
    }

    fn start(
        url: &str,
        schema: Option<(String, String)>,
        dir: Option<tempfile::TempDir>,
    ) -> Server {
        let db = conduit::open(url).expect("open and migrate the database");
        Server::serve(db, schema, dir)
    }

    fn serve(
        db: glowplug::Database,
        schema: Option<(String, String)>,
        dir: Option<tempfile::TempDir>,
    ) -> Server {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let port = listener.local_addr().expect("its address").port();
        let state = conduit::AppState {
            db: db.clone(),
            keys: conduit::auth::Keys::new(b"test secret"),
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a tokio runtime");
            rt.block_on(async move {
                let listener =
                    tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
                axum::serve(listener, conduit::router(state))
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await
                    .expect("serve");
            });
        });
        // A connection per request: the server closes a connection whose
        // request body it did not read (a 401 before the body), and a
        // reused one would then fail the next request at random.
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_idle_connections(0)
            .build()
            .into();
        Server {
            base: format!("http://127.0.0.1:{port}/api"),
            db,
            agent,
            stop: Some(stop),
            thread: Some(thread),
            schema,
            _dir: dir,
        }
    }

    /// Sends `method path` with the JSON `body` and `Authorization: Token
    /// token`; the status and the JSON answer.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let auth = token.map(|t| format!("Token {t}"));
        macro_rules! with_auth {
            ($request:expr) => {{
                let mut request = $request;
                if let Some(auth) = &auth {
                    request = request.header("Authorization", auth);
                }
                request
            }};
        }
        let body = body.unwrap_or_else(|| json!({}));
        let response = match method {
            "GET" => with_auth!(self.agent.get(&url)).call(),
            "DELETE" => with_auth!(self.agent.delete(&url)).call(),
            "POST" => with_auth!(self.agent.post(&url)).send_json(&body),
            "PUT" => with_auth!(self.agent.put(&url)).send_json(&body),
            other => panic!("no such method in the tests: {other}"),
        };
        let mut response = response.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().expect("a body");
        let json = serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!("{method} {path} answered {status} with non-JSON `{text}`: {e}")
        });
        (status, json)
    }

    /// GET, anonymous or with a token.
    pub fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        self.call("GET", path, token, None)
    }

    /// Registers `name` (password `secret-<name>`, email `<name>@example.com`); its token.
    pub fn register(&self, name: &str) -> String {
        let (status, body) = self.call(
            "POST",
            "/users",
            None,
            Some(json!({"user": {"username": name, "email": format!("{name}@example.com"), "password": format!("secret-{name}")}})),
        );
        assert_eq!(status, 200, "register {name}: {body}");
        body["user"]["token"].as_str().expect("a token").to_owned()
    }

    /// Creates an article as the holder of `token`; its slug.
    pub fn article(&self, token: &str, title: &str, tags: &[&str]) -> String {
        let (status, body) = self.call(
            "POST",
            "/articles",
            Some(token),
            Some(json!({"article": {"title": title, "description": format!("about {title}"), "body": format!("the text of {title}"), "tagList": tags}})),
        );
        assert_eq!(status, 200, "create {title}: {body}");
        body["article"]["slug"].as_str().expect("a slug").to_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        if let Some((base, schema)) = &self.schema {
            use diesel::Connection;
            use diesel::connection::SimpleConnection;
            if let Ok(mut admin) = diesel::PgConnection::establish(base) {
                let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"));
            }
        }
    }
}

/// `sqlite::$name` and `postgres::$name` for each `fn $name(server: &Server)`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    super::$name(&$crate::support::Server::sqlite());
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    if let Some(server) = $crate::support::Server::postgres(stringify!($name)) {
                        super::$name(&server);
                    }
                }
            )*
        }
    };
}
