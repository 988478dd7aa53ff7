#!/usr/bin/env bash
# Everything about deploying that can be checked without an AWS account:
# the SAM template validates and lints clean, and the functions build as
# one Lambda `bootstrap` for arm64 (the template's architecture), which
# every function deploys.
set -euo pipefail
cd "$(dirname "$0")/.."
. infra/tools.sh   # the deploy tools, pinned there

# No telemetry and no credentials: nothing here talks to AWS.
export SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1

echo "== sam validate --lint"
sam validate --lint
echo "== cfn-lint template.yaml infra/edge-waf.yaml (informational rules included)"
cfn-lint --include-checks I -- template.yaml infra/edge-waf.yaml
echo "== checkov (accepted findings: docs/operations.md)"
infra/checkov.sh

echo "== infra/deploy-web.sh --dry-run (the web app's upload, from sample outputs)"
outputs="$(mktemp)"
cat >"$outputs" <<'JSON'
[{"OutputKey":"WebBucketName","OutputValue":"sample-webbucket"},
 {"OutputKey":"WebDistributionId","OutputValue":"E2SAMPLE"},
 {"OutputKey":"WebAppConfig","OutputValue":"{\"apiUrl\":\"https://api.example\",\"auth\":\"cognito\",\"cognito\":{\"domain\":\"tickets-x.auth.us-east-1.amazoncognito.com\",\"clientId\":\"c\"},\"payment\":{\"provider\":\"toss\",\"clientKey\":\"test_ck\"}}"}]
JSON
python infra/deploy_web.py sample --dry-run "$outputs" | grep -q "config.json" || { echo "deploy-web dry run failed"; exit 1; }
rm -f "$outputs"

arch=arm64
target=aarch64-unknown-linux-gnu
if ! rustup target list --installed 2>/dev/null | grep -qx "$target"; then
  if ! rustup target add "$target" >/dev/null 2>&1; then
    echo "NOTE: the $target standard library is not installed and cannot be fetched here;"
    echo "      building for x86_64 instead. The template still deploys arm64: 'sam build'"
    echo "      on a machine with the target builds arm64 binaries from the same code."
    arch=x86-64
    target=x86_64-unknown-linux-gnu
  fi
fi

echo "== cargo lambda build --release --$arch --package functions"
cargo lambda build --release "--$arch" --package functions

echo "== the one bootstrap every function deploys"
# Every function names the same Binary; its Handler picks the role.
bins=$(sed -n 's/^ *Binary: *//p' template.yaml | sort -u)
if [ "$bins" != "functions" ]; then
  echo "every function must deploy the binary 'functions', found: $bins"
  exit 1
fi
file="target/lambda/functions/bootstrap"
[ -f "$file" ] || { echo "missing: $file"; exit 1; }
# The ELF header's machine field says which architecture was built.
arch_built=$(python3 -c 'import sys; d=open(sys.argv[1],"rb").read(20); print({183:"aarch64",62:"x86_64"}.get(int.from_bytes(d[18:20],"little"),"?") if d[:4]==b"\x7fELF" else "not ELF")' "$file")
printf 'functions %6s KiB  %s, deployed by %s functions\n' "$(( $(stat -c %s "$file") / 1024 ))" "$arch_built" "$(grep -c '^ *Binary: functions' template.yaml)"
[ "$arch_built" = "${target%%-*}" ]
