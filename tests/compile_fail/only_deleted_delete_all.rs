use glowplug::prelude::*;

glowplug::model! {
    pub Note { id: pk, body: text, soft_delete }
}

fn purge(conn: &mut glowplug::PooledConnection) -> glowplug::Result<usize> {
    // The rows of `only_deleted()` are deleted already: `force_delete_all` is meant.
    Note::only_deleted().delete_all(conn)
}

fn main() {
    let _ = purge;
}
