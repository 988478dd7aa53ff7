#!/usr/bin/env bash
# Installs the project's Python-distributed tools into ./.venv (created if
# missing) and puts them first on PATH. Source it: `. infra/tools.sh PKG...`;
# with no package named (`infra/tools.sh`, run or sourced), the deploy
# tools: SAM, cfn-lint, cargo-lambda and zig at the versions CI checks with.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
if [ ! -x "$venv/bin/pip" ]; then
  python3 -m venv "$venv"
fi
deploy_tools=(aws-sam-cli==1.170.0 cfn-lint==1.58.0 cargo-lambda==1.9.2 ziglang==0.17.1)
if [ "$#" -eq 0 ]; then
  set -- "${deploy_tools[@]}"
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
