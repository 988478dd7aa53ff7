#!/usr/bin/env bash
# Contract fuzzing: schemathesis (installed into ./.venv) runs positive and
# negative cases from /openapi.json against a fresh local stack, the
# token-gated operations with a real ACTIVE token and the organiser's with
# the organiser's token, then walks the document's links (join → hold →
# pay → cancel, concert → schedule → report → cancel) in its stateful phase. Bounded by
# FUZZ_MAX_EXAMPLES per operation and FUZZ_MAX_SECONDS overall. Fails on
# any 5xx, any reply outside the schema, or any other check schemathesis
# makes.
set -euo pipefail
cd "$(dirname "$0")/.."
. infra/tools.sh schemathesis==4.32.5

# The fuzzing user stays admitted, and charges never reach the balance cap;
# the organiser's routes are fuzzed with the organiser's token.
export QUEUE_TICK_SECONDS=1 QUEUE_ACTIVE_SECONDS=3600 POINTS_MAX_BALANCE=1000000000000000
export ADMIN_TOKEN="fuzz-organiser-$RANDOM$RANDOM"
export FUZZ_MAX_EXAMPLES="${FUZZ_MAX_EXAMPLES:-30}" FUZZ_MAX_SECONDS="${FUZZ_MAX_SECONDS:-150}"

fuzz() {
  # The schema's example user, admitted through the waiting room, with
  # points to spend: the examples then act with their own token.
  token=$(curl -fsS -H 'Content-Type: application/json' -XPOST "$BASE_URL/queues" -d '{"userId":"user1234"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["tokenId"])')
  for _ in $(seq 1 50); do
    status=$(curl -fsS "$BASE_URL/queues/user1234" -H "Authorization: Bearer $token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
    [ "$status" = ACTIVE ] && break
    sleep 0.2
  done
  [ "$status" = ACTIVE ] || { echo "the fuzzing user was never admitted"; exit 1; }
  curl -fsS -H 'Content-Type: application/json' -XPATCH "$BASE_URL/points" -d '{"userId":"user1234","amount":1000000}' >/dev/null
  export FUZZ_TOKEN="$token"

  out="$(mktemp)"
  set +e
  PYTHONPATH=infra SCHEMATHESIS_HOOKS=fuzz_hooks \
  timeout "$((FUZZ_MAX_SECONDS + 60))" st --config-file infra/schemathesis.toml run "$BASE_URL/openapi.json" \
    --checks all \
    --phases examples,coverage,fuzzing,stateful \
    --max-examples "$FUZZ_MAX_EXAMPLES" \
    --max-time "$FUZZ_MAX_SECONDS" \
    --request-timeout 10 \
    --seed 20261126 \
    --generation-database none \
    --no-color | tee "$out"
  rc=${PIPESTATUS[0]}
  set -e
  python3 - "$out" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
cases = re.search(r"(\d+) generated", text)
failures = dict((t.strip(), int(n)) for t, n in re.findall(r"❌ ST\d+ ([^:\n]+): (\d+)", text))
server = sum(n for t, n in failures.items() if "server error" in t.lower())
schema = sum(n for t, n in failures.items() if "schema" in t.lower() or "undocumented" in t.lower())
other = sum(failures.values()) - server - schema
print(f"fuzz summary: {cases.group(1) if cases else '?'} cases run, {server} server errors, "
      f"{schema} schema violations, {other} other failures")
PY
  rm -f "$out"
  exit "$rc"
}
export -f fuzz
infra/with-local-stack.sh bash -c fuzz
