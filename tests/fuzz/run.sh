#!/usr/bin/env bash
# API fuzzing with schemathesis against a real server: every operation of the served
# /openapi.json with all checks (no server errors, no response that contradicts the
# document), then the RDA Common maDMP API's own published spec against /rda.
# Usage: bash tests/fuzz/run.sh [path/to/dmptool]   (pip-installs schemathesis if missing)
# Knobs: EXAMPLES (per operation, default 30).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-target/debug/dmptool}
EXAMPLES=${EXAMPLES:-30}
command -v st >/dev/null || python3 -m pip install --quiet 'schemathesis>=4.3,<5'
[ -x "$BIN" ] || cargo build --quiet
data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DMPTOOL_ADMIN_PASSWORD=fuzz-admin-pw DMPTOOL_LOG=warn "$BIN" --data "$data" serve --port "$port" 2>"$data.log" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data" "$data.log"' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 200); do curl -sf "$base/health" >/dev/null && break; sleep 0.05; done
token() { curl -sf -u "$1:$2" "$base/login" | python3 -c 'import sys,json; print(json.load(sys.stdin)["access_token"])'; }
admin=$(token admin fuzz-admin-pw)
# A DMP with a finished task, so the download routes have something to find.
dmp=$(curl -sf -X POST -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
  --data @tests/fixtures/dmp-posted-by-frontend.json "$base/dmps" | python3 -c 'import sys,json; print(json.load(sys.stdin)["id"])')
curl -sf -X POST -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' -d "{\"dmp\": \"$dmp\"}" "$base/tasks" >/dev/null

run() { st --config-file schemathesis.toml run --checks all --max-examples "$EXAMPLES" --no-color "$@"; }
echo "== schemathesis: $base/openapi.json (operations that keep the session)"
run "$base/openapi.json" -H "Authorization: Bearer $admin" \
  --exclude-path /logout --exclude-path /changepassword --exclude-path /admin/reset \
  --exclude-path-regex '^/admin/users/\{username\}$'
echo "== schemathesis: the operations that end sessions or delete accounts, each with a fresh token"
for op in /logout /changepassword /admin/reset; do
  run "$base/openapi.json" -H "Authorization: Bearer $(token admin fuzz-admin-pw)" --include-path "$op" \
    --phases examples,coverage,fuzzing
done
run "$base/openapi.json" -H "Authorization: Bearer $(token admin fuzz-admin-pw)" \
  --include-path-regex '^/admin/users/\{username\}$' --phases examples,coverage,fuzzing
echo "== server log: errors"
! grep -i '"level":"ERROR"\|panicked' "$data.log"
echo "fuzzing passed"
