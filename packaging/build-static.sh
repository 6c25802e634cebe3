#!/usr/bin/env bash
# The release artefact: one fully static x86_64 Linux binary (glibc, static-pie), needing no
# download beyond crates.io. getrandom is told to call glibc's getrandom() directly: its
# default looks the function up with dlsym, which a static binary cannot, and then falls
# back to /dev/urandom, which an empty root (FROM scratch) does not have. Prints its path and size and fails above the size budget.
# Usage: bash packaging/build-static.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUDGET_MB=${BUDGET_MB:-32}
RUSTFLAGS='-C target-feature=+crt-static --cfg getrandom_backend="linux_getrandom"' cargo build --release --locked --target x86_64-unknown-linux-gnu
bin=${CARGO_TARGET_DIR:-target}/x86_64-unknown-linux-gnu/release/dmptool
size=$(stat -c %s "$bin")
echo "$bin: $((size / 1024)) KiB"
"$bin" --version
linkage=$(ldd "$bin" 2>&1 || true)
case "$linkage" in
  *"statically linked"* | *"not a dynamic executable"*) ;;
  *) echo "error: $bin is dynamically linked: $linkage" >&2; exit 1 ;;
esac
if [ "$size" -gt $((BUDGET_MB * 1024 * 1024)) ]; then
  echo "error: $bin is over the ${BUDGET_MB} MB budget" >&2
  exit 1
fi
