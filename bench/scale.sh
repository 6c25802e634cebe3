#!/usr/bin/env bash
# Scale benchmark: 1,000 plans vs 1,000,000 plans across 10,000 users (seeded through the
# store by examples/seed.rs), same user, same lists. Usage: bash bench/scale.sh
# Knobs: BIG (plans, default 1000000), USERS (default 10000), REVISIONS (each big plan's
# revisions, default 10; the 1,000-plan baseline has 1). Needs ~0.6 GB of disk per
# 100,000 plans while it runs; installs wrk from Debian if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet --bin dmptool --example seed
cd bench && python3 scale.py ../target/release/dmptool ../target/release/examples/seed \
  --big "${BIG:-1000000}" --users "${USERS:-10000}" --revisions "${REVISIONS:-10}"
