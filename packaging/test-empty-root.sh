#!/usr/bin/env bash
# Proves the binary is self-contained: it is copied alone into an empty directory and run
# there in a chroot (no /usr, /lib, /etc, /dev, /tmp), which is what a FROM scratch image
# holds. It starts on an empty data dir; a client outside logs in, creates a plan and
# downloads its DOCX and PDF. Needs root (chroot) and python3.
# Usage: bash packaging/test-empty-root.sh target/x86_64-unknown-linux-gnu/release/dmptool
set -euo pipefail
bin=${1:?usage: test-empty-root.sh PATH/TO/dmptool}
here=$(cd "$(dirname "$0")" && pwd)
root=$(mktemp -d)
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  rm -rf "$root"
}
trap cleanup EXIT
cp "$bin" "$root/dmptool"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
echo "empty root: $(ls -A "$root")"
chroot_bin=$(command -v chroot)
env -i DMPTOOL_ADMIN_PASSWORD=empty-root-pw DMPTOOL_LOG_FORMAT=json \
  "$chroot_bin" "$root" /dmptool --data /data serve --host 127.0.0.1 --port "$port" > "$root.log" 2>&1 &
server=$!
for _ in $(seq 200); do
  if python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$port/health', timeout=1)" 2>/dev/null; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then cat "$root.log"; echo "the server died" >&2; exit 1; fi
  sleep 0.05
done
python3 "$here/smoke.py" "http://127.0.0.1:$port" admin empty-root-pw
chroot "$root" /dmptool health --port "$port" >/dev/null
kill -TERM "$server"
wait "$server"
server=
echo "stopped cleanly; the root now holds: $(cd "$root" && find . -maxdepth 2 | sort | tr '\n' ' ')"
rm -f "$root.log"
