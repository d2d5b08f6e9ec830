//! The Conduit on a PostgreSQL primary with a streaming replica (throwaway
//! clusters, see `tests/common/cluster.rs`): read-only handlers read from
//! the replica, and a client reads its own writes at once, even while the
//! replica's replay is paused (the read then goes to the primary).

#[path = "../../tests/common/cluster.rs"]
mod cluster;
mod support;

use cluster::{Cluster, PASSWORD};
use diesel::prelude::*;
use support::Server;

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Client sessions on `replica` other than the one asking.
fn sessions(replica: &mut PgConnection) -> i64 {
    diesel::sql_query(
        "SELECT count(*) AS n FROM pg_stat_activity \
         WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
    )
    .get_result::<Count>(replica)
    .expect("the replica's sessions")
    .n
}

#[test]
fn reads_go_to_the_replica_and_clients_read_their_own_writes() {
    let Some(primary) = Cluster::start("conduit_replicas") else {
        return;
    };
    let replica = primary.replica();
    let server = Server::replicated(&primary.url(PASSWORD), &[replica.url(PASSWORD)]);
    assert_eq!(server.db.replica_count(), 1);
    let mut watch = replica.connect();
    assert_eq!(
        sessions(&mut watch),
        0,
        "nothing has read from the replica yet"
    );

    // Register (a write), then read at once: the reads see the new user.
    let token = server.register("ada");
    let (status, me) = server.get("/user", Some(&token));
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["user"]["username"], "ada");
    // Once the replica has replayed the registration, reads go there.
    for _ in 0..250 {
        let (status, profile) = server.get("/profiles/ada", None);
        assert_eq!(status, 200, "{profile}");
        assert_eq!(profile["profile"]["username"], "ada");
        if sessions(&mut watch) > 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(sessions(&mut watch) > 0, "reads went to the replica");

    // Replay paused: a new article is not on the replica, yet reading it
    // right after writing it works (from the primary).
    replica.replay(false);
    let slug = server.article(&token, "Paused replay", &["replicas"]);
    let (status, article) = server.get(&format!("/articles/{slug}"), None);
    assert_eq!(status, 200, "{article}");
    assert_eq!(article["article"]["title"], "Paused replay");
    let (status, list) = server.get("/articles?tag=replicas", None);
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["articlesCount"], 1);
    let (_, tags) = server.get("/tags", None);
    assert_eq!(tags["tags"], serde_json::json!(["replicas"]));
    let on_replica = diesel::sql_query("SELECT count(*) AS n FROM articles")
        .get_result::<Count>(&mut watch)
        .expect("count on the replica")
        .n;
    assert_eq!(on_replica, 0, "the replica has not replayed the article");
    replica.replay(true);
}
