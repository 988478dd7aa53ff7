#!/usr/bin/env bash
# The fan's web app in a real browser: Debian's Chromium and its WebDriver
# (installed here when missing), Selenium in ./.venv, the whole journey
# against a fresh local stack (identity provider, payment sandbox, a room
# that opens in a few seconds). Screenshots: $APP_CHECK_OUT (target/app-check).
set -euo pipefail
cd "$(dirname "$0")/.."
# Korean text needs a Hangul font in the screenshots (Nanum, small); the
# seat map's unit tests run on Node.
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1 \
  || ! command -v node >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -i nanum >/dev/null; then
  echo "installing chromium, chromium-driver, nodejs and fonts-nanum (Debian packages)"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver nodejs fonts-nanum >/dev/null
fi
echo "== the web app's modules (node --test infra/web-tests/)"
node --test infra/web-tests/ | grep -E '^# (pass|fail)'

. infra/tools.sh selenium==4.27.1
export APP_CHECK_OUT="${APP_CHECK_OUT:-$PWD/target/app-check}"
rm -rf "$APP_CHECK_OUT"
export ADMIN_TOKEN="app-check-$RANDOM" AUTH_MODE=jwt PAYMENT_PROVIDER=sandbox QUEUE_TICK_SECONDS=1
infra/with-local-stack.sh python infra/app_journey.py
