#!/usr/bin/env bash
# HTTP benchmark: builds the release binary, starts it on a temp data dir, seeds a user with
# 100 DMPs and 20 tasks, drives every route with wrk (64 connections) and prints a table of
# throughput against GET /health, latency and server CPU per 1,000 requests.
# Usage: bash bench/http.sh   (installs wrk from Debian if missing; needs root for that)
# Knobs: DURATION=seconds per route (default 8), CONNECTIONS (default 64). The task cap is
# lifted (--max-pending-tasks) so that POST /tasks measures the write, not the 429.
# BIN=path measures another build instead (e.g. an older release, for a before/after
# comparison of the ratios); the routes it does not have are left out.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
bin=${BIN:-target/release/dmptool}
[ -n "${BIN:-}" ] || cargo build --release --quiet
echo "binary: $(stat -c %s "$bin" | awk '{printf "%.1f MB", $1/1e6}') ($bin)"
data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DMPTOOL_ADMIN_PASSWORD=bench-admin-pw DMPTOOL_LOG=warn "$bin" --data "$data" serve --port "$port" --max-pending-tasks 100000 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.05; done
python3 bench/http_bench.py "http://127.0.0.1:$port" "$server" bench-admin-pw \
  tests/fixtures/dmp-posted-by-frontend.json --duration "${DURATION:-8}" --connections "${CONNECTIONS:-64}"
