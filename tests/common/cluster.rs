//! A throwaway PostgreSQL server for tests that must stop, restart or
//! misconfigure one: a cluster made with `initdb` in a temporary directory
//! and run by `pg_ctl` on a free port, with password authentication
//! (scram-sha-256), so a wrong password is really refused. The shared server
//! the other tests use is never touched.
//!
//! The binaries come from `/usr/lib/postgresql/<version>/bin` (Debian's
//! layout), or the directory in `GLOWPLUG_PG_BIN`. PostgreSQL refuses to run
//! as root, so under root the tools run as the `postgres` user (`runuser`).
//! Without the binaries the test prints a skip line, unless `REQUIRE_PG=1`.

#![allow(dead_code)]

// Each harness file brings its own copy, so it can be included alone.
#[allow(clippy::duplicate_mod)]
#[path = "local.rs"]
mod local;

use local::free_port;
use std::path::PathBuf;
use std::process::Command;

/// The password of the cluster's superuser `glowplug`.
pub const PASSWORD: &str = "Cl4ster-s3cret-pw";

/// A running throwaway cluster; stopped and deleted when dropped.
pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl Cluster {
    /// Creates and starts a cluster, or `None` (with a skip line) when the
    /// PostgreSQL server binaries are not installed.
    pub fn start(test: &str) -> Option<Cluster> {
        let Some(bin) = server_binaries() else {
            local::skip(
                test,
                "no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin; set GLOWPLUG_PG_BIN",
            );
            return None;
        };
        let cluster = Cluster::empty(bin);
        let pwfile = cluster.path("pwfile");
        std::fs::write(&pwfile, PASSWORD).expect("write the password file");
        if cluster.as_postgres {
            run(Command::new("chown")
                .args(["postgres:postgres"])
                .arg(&pwfile));
        }
        let data = cluster.path("data");
        cluster.tool("initdb", |c| {
            c.arg("-D")
                .arg(&data)
                .args([
                    "-U",
                    "glowplug",
                    "--auth=scram-sha-256",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ])
                .arg(format!("--pwfile={}", pwfile.display()));
        });
        cluster.start_server();
        Some(cluster)
    }

    /// A directory and a free port for a cluster, nothing in it yet.
    fn empty(bin: PathBuf) -> Cluster {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let as_postgres = is_root();
        if as_postgres {
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path()));
        }
        Cluster {
            dir,
            bin,
            port: free_port(),
            as_postgres,
        }
    }

    /// A streaming replica of this cluster, started: `pg_basebackup -R`
    /// (a base backup that streams the log, set up to follow this server)
    /// on its own port.
    pub fn replica(&self) -> Cluster {
        let replica = Cluster::empty(self.bin.clone());
        let data = replica.path("data");
        let source = format!(
            "host=127.0.0.1 port={} user=glowplug password={PASSWORD}",
            self.port
        );
        replica.tool("pg_basebackup", |c| {
            c.arg("-D").arg(&data).args([
                "-d",
                &source,
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
                "--no-sync",
            ]);
        });
        replica.start_server();
        replica
    }

    /// A direct connection to the server as its superuser.
    pub fn connect(&self) -> diesel::PgConnection {
        use diesel::Connection;
        diesel::PgConnection::establish(&self.url(PASSWORD)).expect("connect to the cluster")
    }

    /// Pauses (`false`) or resumes (`true`) a replica's replay of the log.
    pub fn replay(&self, on: bool) {
        use diesel::RunQueryDsl;
        let f = if on {
            "pg_wal_replay_resume"
        } else {
            "pg_wal_replay_pause"
        };
        diesel::sql_query(format!("SELECT {f}()::text"))
            .execute(&mut self.connect())
            .expect("pause or resume replay");
    }

    /// Waits (up to a minute) until a replica has replayed the log up to
    /// `position` (as `pg_current_wal_lsn()` prints it).
    pub fn wait_replayed(&self, position: &str) {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Done {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            done: bool,
        }
        let mut conn = self.connect();
        let start = std::time::Instant::now();
        loop {
            let row: Done = diesel::sql_query(
                "SELECT COALESCE(pg_last_wal_replay_lsn() >= $1::pg_lsn, false) AS done",
            )
            .bind::<diesel::sql_types::Text, _>(position)
            .get_result(&mut conn)
            .expect("the replayed position");
            if row.done {
                return;
            }
            assert!(
                start.elapsed() < std::time::Duration::from_secs(60),
                "the replica did not replay {position}"
            );
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }

    /// Promotes a replica to a primary of its own (`pg_ctl promote`).
    pub fn promote(&self) {
        let data = self.path("data");
        self.tool("pg_ctl", |c| {
            c.arg("-D").arg(&data).args(["-w", "promote"]);
        });
    }

    /// The cluster's URL with `password` (use [`PASSWORD`] for the right one).
    pub fn url(&self, password: &str) -> String {
        format!(
            "postgres://glowplug:{password}@127.0.0.1:{}/postgres",
            self.port
        )
    }

    /// The cluster's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server (`pg_ctl stop -m fast`: sessions are ended).
    pub fn stop_server(&self) {
        let data = self.path("data");
        self.tool("pg_ctl", |c| {
            c.arg("-D").arg(&data).args(["-m", "fast", "-w", "stop"]);
        });
    }

    /// Starts the server again (waits until it accepts connections).
    pub fn start_server(&self) {
        let (data, log, socket) = (self.path("data"), self.path("server.log"), self.path(""));
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            socket.display()
        );
        self.tool("pg_ctl", |c| {
            c.arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(&log)
                .args(["-w", "-t", "60", "-o", &options, "start"]);
        });
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs one of the server binaries (as `postgres` under root); panics with its output if it fails.
    fn tool(&self, name: &str, args: impl FnOnce(&mut Command)) {
        let mut command = self.command(name);
        args(&mut command);
        run(&mut command);
    }

    /// A command for the server binary `name`, run as `postgres` under root.
    fn command(&self, name: &str) -> Command {
        let program = self.bin.join(name);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        command.current_dir(self.dir.path());
        command
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.path("data");
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&data)
            .args(["-m", "fast", "-w", "stop"])
            .output();
    }
}

fn run(command: &mut Command) {
    let out = command.output().expect("run a PostgreSQL tool");
    assert!(
        out.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn server_binaries() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("GLOWPLUG_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").is_file() && bin.join("pg_ctl").is_file())
        .collect();
    found.sort();
    found.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}
