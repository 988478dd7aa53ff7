#!/usr/bin/env bash
# Runs a command against a fresh local stack: builds `local`, starts it on a
# free loopback port with an empty data directory, exports BASE_URL, runs
# "$@", and stops the stack (Ctrl-C semantics) whatever the command did.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q -p local
data="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
log="$data/local.log"
# The emulator on a free port too: another stack or tool may hold 8000.
PORT="$port" EMULATOR_ADDR="127.0.0.1:0" DATA_DIR="$data" ./target/debug/local >"$log" 2>&1 &
pid=$!
cleanup() {
  kill -INT "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT
export BASE_URL="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
  if curl -fsS "$BASE_URL/concerts" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then cat "$log"; echo "local stack exited"; exit 1; fi
  sleep 0.2
done
"$@"
