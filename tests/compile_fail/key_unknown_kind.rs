glowplug::model! {
    Membership {
        id: pk,
        user_id: bigint,
        group_id: bigint,
        primary(user_id, group_id),
    }
}

fn main() {}
