glowplug::model! {
    Membership {
        id: pk,
        user_id: bigint,
        group_id: bigint,
        unique(user_id, grup_id),
    }
}

fn main() {}
