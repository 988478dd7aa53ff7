#!/usr/bin/env bash
# Opens the local stack's Swagger UI in headless Chromium (Debian's package,
# installed here when missing) and checks that every operation of
# docs/openapi.json is listed on the rendered page.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing chromium (Debian package)"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

check() {
  profile="$(mktemp -d)"
  # Flags that keep Chromium off the network: only the page's own origin.
  timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$profile" \
    --virtual-time-budget=15000 --dump-dom "$BASE_URL/swagger-ui/" 2>/dev/null >"$profile/dom.html"
  python3 - "$profile/dom.html" docs/openapi.json <<'PY'
import json, re, sys
dom = open(sys.argv[1], encoding="utf-8").read()
spec = json.load(open(sys.argv[2], encoding="utf-8"))
listed = set(re.findall(r'class="opblock opblock-(\w+)[^"]*".*?data-path="([^"]+)"', dom, re.S))
wanted = {(m, p) for p, ops in spec["paths"].items() for m in ops}
missing = sorted(wanted - listed)
for m, p in sorted(wanted):
    print(f"{'ok     ' if (m, p) in listed else 'MISSING'} {m.upper():6} {p}")
print(f"swagger-ui: {len(wanted - set(missing))}/{len(wanted)} operations listed")
sys.exit(1 if missing or not wanted else 0)
PY
  rm -rf "$profile"
}
export -f check
infra/with-local-stack.sh bash -c check
