//! A real PgBouncer in transaction pooling mode for the tests and benches
//! that must go through one: Debian's `pgbouncer` binary (`/usr/sbin`, or
//! `GLOWPLUG_PGBOUNCER`) started on a free port of 127.0.0.1 with a
//! temporary configuration, in front of the shared server
//! (`PG_DATABASE_URL`), stopped when dropped.
//!
//! PgBouncer refuses to run as root, so under root it runs as the
//! `postgres` user. Authentication is `trust` both ways (the shared server
//! trusts local connections). A missing binary is installed from Debian's
//! packages when the tests run as root; otherwise the test prints a skip
//! line, unless `REQUIRE_PG=1`, where it fails (`.ci/run` installs it too).

#![allow(dead_code)]

// Each harness file brings its own copy, so it can be included alone.
#[allow(clippy::duplicate_mod)]
#[path = "local.rs"]
mod local;

use local::free_port;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One `[databases]` entry: the name clients connect to, the server
/// database it stands for, and the `search_path` PgBouncer sets on each
/// new server session (`connect_query`), if any.
pub struct Alias<'a> {
    pub name: &'a str,
    pub dbname: &'a str,
    pub search_path: Option<&'a str>,
}

/// A running PgBouncer; stopped (and its directory removed) when dropped.
pub struct Bouncer {
    child: Child,
    port: u16,
    user: String,
    dir: tempfile::TempDir,
    binary: PathBuf,
    ids: Option<(u32, u32)>,
}

/// Starts the PgBouncer of `dir`'s configuration, as `ids` when given.
fn spawn(binary: &PathBuf, dir: &tempfile::TempDir, ids: Option<(u32, u32)>) -> Child {
    let mut command = Command::new(binary);
    command
        .arg(dir.path().join("pgbouncer.ini"))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some((uid, gid)) = ids {
        command.uid(uid).gid(gid);
    }
    command.spawn().expect("start pgbouncer")
}

impl Bouncer {
    /// Starts PgBouncer in transaction pooling mode with `pool_size` server
    /// sessions per database and user, in front of the shared server, or
    /// `None` (with a skip line) when the binary is not installed.
    pub fn start(test: &str, pool_size: u32, aliases: &[Alias<'_>]) -> Option<Bouncer> {
        let Some(binary) = binary() else {
            local::skip(
                test,
                "no pgbouncer binary at /usr/sbin/pgbouncer or at GLOWPLUG_PGBOUNCER (apt-get install pgbouncer, or set GLOWPLUG_PGBOUNCER to one)",
            );
            return None;
        };
        let server = Server::from_url(&local::pg_base_url());
        let dir = tempfile::tempdir().expect("a temporary directory");
        let port = free_port();
        let mut databases = String::new();
        for alias in aliases {
            databases.push_str(&format!(
                "{} = host={} port={} dbname={}",
                alias.name, server.host, server.port, alias.dbname
            ));
            if let Some(path) = alias.search_path {
                databases.push_str(&format!(" connect_query='SET search_path TO {path}'"));
            }
            databases.push('\n');
        }
        let d = dir.path().display();
        let config = format!(
            "[databases]\n{databases}\n[pgbouncer]\n\
             listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n\
             auth_type = trust\nauth_file = {d}/users.txt\n\
             pool_mode = transaction\ndefault_pool_size = {pool_size}\nmin_pool_size = 0\n\
             max_client_conn = 200\nserver_login_retry = 1\n\
             logfile = {d}/pgbouncer.log\npidfile = {d}/pgbouncer.pid\n"
        );
        std::fs::write(dir.path().join("pgbouncer.ini"), config).expect("write pgbouncer.ini");
        std::fs::write(
            dir.path().join("users.txt"),
            format!("\"{}\" \"\"\n", server.user),
        )
        .expect("write the auth file");
        let ids = postgres_ids_if_root();
        if ids.is_some() {
            let chown = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .expect("run chown");
            assert!(chown.success(), "chown of the PgBouncer directory failed");
        }
        let child = spawn(&binary, &dir, ids);
        let bouncer = Bouncer {
            child,
            port,
            user: server.user,
            dir,
            binary,
            ids,
        };
        bouncer.wait_until_listening();
        Some(bouncer)
    }

    /// Kills PgBouncer (as a crash would: every client connection drops).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts PgBouncer again on the same port, after [`kill`](Self::kill).
    pub fn restart(&mut self) {
        self.child = spawn(&self.binary, &self.dir, self.ids);
        self.wait_until_listening();
    }

    /// PgBouncer's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of database alias `name` through PgBouncer.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://{}@127.0.0.1:{}/{name}", self.user, self.port)
    }

    /// PgBouncer's log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("pgbouncer.log")).unwrap_or_default()
    }

    fn wait_until_listening(&self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "pgbouncer did not listen on port {} within 15 s; its log:\n{}",
                self.port,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Bouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The shared server's host, port, user and database, read from its URL
/// (`postgres://user@host:port/db?…`, the form `PG_DATABASE_URL` takes).
pub struct Server {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub dbname: String,
}

impl Server {
    pub fn from_url(url: &str) -> Server {
        let rest = url
            .strip_prefix("postgres://")
            .or_else(|| url.strip_prefix("postgresql://"))
            .expect("PG_DATABASE_URL is a postgres:// URL");
        let rest = rest.split('?').next().unwrap_or(rest);
        let (user, rest) = rest.split_once('@').unwrap_or(("postgres", rest));
        let user = user.split(':').next().unwrap_or("postgres");
        let (authority, dbname) = rest.split_once('/').unwrap_or((rest, "postgres"));
        let (host, port) = authority.split_once(':').unwrap_or((authority, "5432"));
        Server {
            host: if host.is_empty() { "127.0.0.1" } else { host }.to_owned(),
            port: port.parse().expect("a numeric port in PG_DATABASE_URL"),
            user: if user.is_empty() { "postgres" } else { user }.to_owned(),
            dbname: dbname.to_owned(),
        }
    }
}

fn binary() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("GLOWPLUG_PGBOUNCER") {
        let path = PathBuf::from(path);
        return path.is_file().then_some(path);
    }
    let path = PathBuf::from("/usr/sbin/pgbouncer");
    if !path.is_file() {
        install();
    }
    path.is_file().then_some(path)
}

/// Installs Debian's `pgbouncer` package once per test process, when this
/// process may (root, with `apt-get`): a test that needs a package installs
/// it itself. Elsewhere the caller's skip (or `REQUIRE_PG=1` failure) says
/// how to install it.
fn install() {
    static TRIED: std::sync::Once = std::sync::Once::new();
    TRIED.call_once(|| {
        if postgres_ids_if_root().is_none() {
            return;
        }
        let apt = |args: &[&str]| {
            Command::new("apt-get")
                .args(args)
                .env("DEBIAN_FRONTEND", "noninteractive")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        if !apt(&["install", "-y", "-qq", "pgbouncer"]) {
            let _ = apt(&["update", "-qq"]) && apt(&["install", "-y", "-qq", "pgbouncer"]);
        }
    });
}

/// The `postgres` user's uid and gid when this process runs as root.
fn postgres_ids_if_root() -> Option<(u32, u32)> {
    let id = |args: &[&str]| -> Option<u32> {
        let out = Command::new("id").args(args).output().ok()?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    };
    if id(&["-u"])? != 0 {
        return None;
    }
    Some((id(&["-u", "postgres"])?, id(&["-g", "postgres"])?))
}
