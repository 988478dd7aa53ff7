#!/usr/bin/env bash
# A smoke test of a running stack: a fan's whole journey (catalogue, waiting
# room, a hold, points, payment, history, the ticket returned) and the
# organiser's read-only calls, one line per step: PASS, FAIL or SKIP.
#
#   infra/smoke.sh <api-url>
#
# Identity (AUTH_MODE=jwt, every deployed stack): a local stack's /dev/tokens
# is used when it answers; against AWS set SMOKE_ID_TOKEN (a Cognito ID token)
# and SMOKE_USER (its `sub`). The organiser: ADMIN_TOKEN locally, or AWS
# credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
# AWS_SESSION_TOKEN, AWS_REGION) to sign for the API; otherwise skipped.
# Money: points come by PATCH /points on a stack without a provider, and by
# a top-up through the sandbox on one that has it; against a real provider
# the money and payment steps are skipped (a checkout needs a person).
# Exits 1 when any step failed. Needs curl and python3.
set -uo pipefail
api="${1:?usage: infra/smoke.sh <api-url>}"
api="${api%/}"
user="${SMOKE_USER:-smoke-$RANDOM$RANDOM}"
failed=0 body="" status=""

pass() { printf 'PASS  %s\n' "$1"; }
fail() { printf 'FAIL  %s: %s\n' "$1" "$2"; failed=1; }
skip() { printf 'SKIP  %s: %s\n' "$1" "$2"; }
# A field of the last answer's JSON body, by a Python expression on `b`.
field() { python3 -c "import json,sys; b=json.load(sys.stdin); print($1)" <<<"$body" 2>/dev/null; }

# call METHOD PATH [BODY] [AUTH-HEADER...]: sets $status and $body.
call() {
  local method="$1" path="$2" data="${3:-}"
  shift 3 2>/dev/null || shift $#
  local args=(-sS -o /tmp/smoke.$$ -w '%{http_code}' -X "$method" "$api$path" "$@")
  [ -n "$data" ] && args+=(-H 'Content-Type: application/json' -d "$data")
  status=$(curl "${args[@]}") || status=000
  body=$(cat /tmp/smoke.$$ 2>/dev/null); rm -f /tmp/smoke.$$
}

# step NAME EXPECTED-STATUS METHOD PATH [BODY] [AUTH...]: one checked call.
step() {
  local name="$1" want="$2"
  shift 2
  call "$@"
  if [ "$status" = "$want" ]; then pass "$name"; return 0; fi
  fail "$name" "$status ${body:0:200}"
  return 1
}

organiser=()
if [ -n "${ADMIN_TOKEN:-}" ]; then
  organiser=(-H "Authorization: Bearer $ADMIN_TOKEN")
elif [ -n "${AWS_ACCESS_KEY_ID:-}" ] && [ -n "${AWS_SECRET_ACCESS_KEY:-}" ]; then
  organiser=(--aws-sigv4 "aws:amz:${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}:execute-api"
    --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY")
  [ -n "${AWS_SESSION_TOKEN:-}" ] && organiser+=(-H "x-amz-security-token: $AWS_SESSION_TOKEN")
fi

# Who the fan is: an identity token where the stack asks for one.
identity=()
if [ -n "${SMOKE_ID_TOKEN:-}" ]; then
  identity=(-H "Authorization: Bearer $SMOKE_ID_TOKEN")
else
  call POST /dev/tokens "{\"userId\":\"$user\"}"
  if [ "$status" = 201 ]; then
    identity=(-H "Authorization: Bearer $(field 'b["idToken"]')")
  fi
fi

# The catalogue.
step "GET /concerts" 200 GET /concerts "" || exit 1
concert=$(field '(b if isinstance(b, list) else b["concerts"])[0]["id"]')
step "GET /concerts/$concert" 200 GET "/concerts/$concert" ""

# The waiting room: join, then poll until admitted.
step "POST /queues" 201 POST /queues "{\"userId\":\"$user\"}" "${identity[@]}" || {
  echo "(a jwt stack needs SMOKE_ID_TOKEN and SMOKE_USER)"; exit 1; }
token=$(field 'b["tokenId"]')
queue=(-H "Authorization: Bearer $token")
admitted=""
for _ in $(seq 1 120); do
  call GET "/queues/$user" "" "${queue[@]}"
  [ "$status" = 200 ] && [ "$(field 'b["status"]')" = ACTIVE ] && { admitted=1; break; }
  sleep 1
done
if [ -n "$admitted" ]; then pass "GET /queues/$user until ACTIVE"; else fail "GET /queues/$user until ACTIVE" "$status ${body:0:200}"; exit 1; fi

# A date on sale with a free seat, and a hold on it.
step "GET /concerts/$concert/schedules" 200 GET "/concerts/$concert/schedules" "" "${queue[@]}" || exit 1
schedule=$(field '[s["scheduleId"] for s in b["schedules"] if s["onSale"] and s["availableSeats"] > 0][0]')
[ -n "$schedule" ] || { fail "a date on sale" "none with a free seat"; exit 1; }
step "GET /concerts/schedules/$schedule/seats" 200 GET "/concerts/schedules/$schedule/seats?limit=50" "" "${queue[@]}" || exit 1
seat=$(field 'b["seats"][-1]["seatId"]')
price=$(field 'b["seats"][-1]["price"]')
saved="$body"
# The seat map: the layout covers that seat, its availability bit is 1.
if step "GET /concerts/schedules/$schedule/layout" 200 GET "/concerts/schedules/$schedule/layout" ""; then
  covered=$(field "any(s['firstSeatId'] <= $seat < s['firstSeatId'] + s['rows'] * s['seatsPerRow'] for s in b['sections'])")
  if [ "$covered" = True ]; then pass "the layout covers seat $seat"; else fail "the layout covers seat $seat" "${body:0:200}"; fi
fi
if step "GET /concerts/schedules/$schedule/availability" 200 GET "/concerts/schedules/$schedule/availability" "" "${queue[@]}"; then
  bit=$(field "__import__('base64').b64decode(b['free'])[($seat - b['firstSeatId']) // 8] >> (7 - ($seat - b['firstSeatId']) % 8) & 1")
  if [ "$bit" = 1 ]; then pass "seat $seat free in the availability bits"; else fail "seat $seat free in the availability bits" "${body:0:200}"; fi
fi
body="$saved"
step "POST /reservations (seat $seat)" 201 POST /reservations \
  "{\"userId\":\"$user\",\"concertId\":$concert,\"scheduleId\":$schedule,\"seatId\":$seat}" "${queue[@]}" || exit 1
reservation=$(field 'b["reserveId"]')

# Points for it: on the fan's word, or a top-up through the sandbox.
money=""
call PATCH /points "{\"userId\":\"$user\",\"amount\":$price}" "${identity[@]}"
if [ "$status" = 200 ]; then
  pass "PATCH /points"; money=1
elif [ "$(field 'b["code"]')" = CHARGE_VIA_PROVIDER ]; then
  step "POST /points/topups" 201 POST /points/topups "{\"userId\":\"$user\",\"amount\":$price}" "${identity[@]}"
  order=$(field 'b["orderId"]')
  call POST /sandbox/toss/checkout "{\"orderId\":\"$order\",\"amount\":$price}"
  if [ "$status" = 201 ]; then
    key=$(field 'b["paymentKey"]')
    pass "the sandbox's checkout"
    step "POST /points/topups/$order/confirm" 200 POST "/points/topups/$order/confirm" \
      "{\"userId\":\"$user\",\"paymentKey\":\"$key\",\"amount\":$price}" "${identity[@]}" && money=1
  else
    skip "top-up" "a real provider's checkout needs a person (the sandbox is not here)"
    call POST "/reservations/$reservation/cancel" "{\"userId\":\"$user\"}" "${identity[@]}"
  fi
else
  fail "PATCH /points" "$status ${body:0:200}"
fi

if [ -n "$money" ]; then
  step "GET /points/$user" 200 GET "/points/$user" "" "${identity[@]}"
  step "POST /payments" 201 POST /payments \
    "{\"userId\":\"$user\",\"reserveId\":$reservation,\"amount\":$price}" "${queue[@]}"
  step "GET /reservations" 200 GET "/reservations?userId=$user" "" "${identity[@]}"
  step "GET /points/$user/history" 200 GET "/points/$user/history" "" "${identity[@]}"
  # The ticket goes back on sale, the points back to the fan.
  call POST "/reservations/$reservation/cancel" "{\"userId\":\"$user\"}" "${identity[@]}"
  case "$status" in
    200) pass "POST /reservations/$reservation/cancel" ;;
    409) skip "POST /reservations/$reservation/cancel" "past the refund cut-off: $(field 'b["code"]')" ;;
    *) fail "POST /reservations/$reservation/cancel" "$status ${body:0:200}" ;;
  esac
else
  skip "POST /payments" "no points"
fi

# The organiser's read-only calls.
if [ "${#organiser[@]}" -gt 0 ]; then
  step "GET /admin/queue" 200 GET /admin/queue "" "${organiser[@]}"
  step "GET /admin/schedules/$schedule/report" 200 GET "/admin/schedules/$schedule/report" "" "${organiser[@]}"
else
  skip "organiser calls" "no ADMIN_TOKEN and no AWS credentials"
fi

if [ "$failed" = 0 ]; then echo "smoke: pass"; else echo "smoke: FAIL"; fi
exit "$failed"
