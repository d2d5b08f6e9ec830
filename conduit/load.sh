#!/usr/bin/env bash
# The Conduit load run (issue 20): `GET /api/articles` and
# `GET /api/articles/feed` at 64 connections for 10 s each, on a database
# seeded with 1 000 users and 10 000 articles (examples/seed.rs), on SQLite
# and on PostgreSQL. Prints wrk's report; BENCHMARKS.md has the figures.
#
#   conduit/load.sh            # both backends
#   DURATION=30s conduit/load.sh
set -euo pipefail
cd "$(dirname "$0")/.."

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release -q -p conduit --bin conduit --example seed

export JWT_SECRET=load-run-secret
PORT="${PORT:-3999}"
DURATION="${DURATION:-10s}"
PG="${PG_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/glowplug_test}"
PG_LOAD="${PG%/*}/conduit_load"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

load() {
    local label=$1 url=$2
    local token
    token=$(DATABASE_URL="$url" target/release/examples/seed)
    DATABASE_URL="$url" PORT="$PORT" target/release/conduit >"$work/server.log" 2>&1 &
    local server=$!
    for _ in $(seq 1 50); do
        curl -sf "http://127.0.0.1:$PORT/api/tags" >/dev/null && break
        sleep 0.2
    done
    echo "== $label: GET /api/articles"
    wrk -t2 -c64 -d"$DURATION" --latency "http://127.0.0.1:$PORT/api/articles"
    echo "== $label: GET /api/articles/feed"
    wrk -t2 -c64 -d"$DURATION" --latency -H "Authorization: Token $token" "http://127.0.0.1:$PORT/api/articles/feed"
    kill "$server"
    wait "$server" 2>/dev/null || true
}

load sqlite "sqlite://$work/load.db"
# A fresh PostgreSQL database for the run, dropped afterwards.
psql "${PG%/*}/postgres" -qc "DROP DATABASE IF EXISTS conduit_load" -c "CREATE DATABASE conduit_load"
load postgres "$PG_LOAD"
psql "${PG%/*}/postgres" -qc "DROP DATABASE IF EXISTS conduit_load"
