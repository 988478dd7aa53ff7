#!/usr/bin/env bash
# Installs the project's Python-distributed tools into ./.venv (created if
# missing) and puts them first on PATH. Source it: `. infra/tools.sh PKG...`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
if [ ! -x "$venv/bin/pip" ]; then
  python3 -m venv "$venv"
fi
missing=()
for pkg in "$@"; do
  "$venv/bin/pip" show -q "${pkg%%==*}" >/dev/null 2>&1 && [ "$("$venv/bin/pip" show "${pkg%%==*}" | sed -n 's/^Version: //p')" = "${pkg#*==}" ] || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing into .venv: ${missing[*]}"
  "$venv/bin/pip" install -q --disable-pip-version-check "${missing[@]}"
fi
export PATH="$venv/bin:$PATH"
