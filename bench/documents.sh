#!/usr/bin/env bash
# Document performance: in-process render (criterion), POST /tasks -> done against the
# release server with no other load, and the original DocBook + pandoc step for comparison.
# Usage: bash bench/documents.sh   (installs pandoc from Debian if missing; needs root for that)
set -euo pipefail
cd "$(dirname "$0")/.."
FIXTURE=tests/fixtures/dmp-from-action-frontend.json
N=${N:-50}

cargo build --release --quiet
echo "== in-process render of the fixture (criterion medians)"
cargo bench --quiet --bench render -- --noplot >/dev/null 2>&1
for b in model docx pdf model+docx+pdf; do
  python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); print("  %-16s median %8.3f ms" % (sys.argv[2], e["median"]["point_estimate"]/1e6))' \
    "target/criterion/render/$b/new/estimates.json" "$b"
done

echo "== POST /tasks -> done, release server, no other load (N=$N)"
data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DMPTOOL_ADMIN_PASSWORD=bench-pw DMPTOOL_LOG=warn ./target/release/dmptool --data "$data" serve --port "$port" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.05; done
echo "  dmptool: $(python3 bench/task_latency.py "http://127.0.0.1:$port" admin bench-pw "$FIXTURE" "$N")"

echo "== the original pipeline's render step: DocBook XML -> pandoc -> DOCX (no PDF)"
command -v pandoc >/dev/null || { apt-get update -qq && apt-get install -y -qq pandoc >/dev/null; }
echo "  $(pandoc --version | head -1): $(python3 bench/docbook_baseline.py "$FIXTURE" 20)"
echo "  plus 0-5 s (mean 2.5 s) of polling before the old worker even started"
