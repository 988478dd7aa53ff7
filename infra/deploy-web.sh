#!/usr/bin/env bash
# Uploads the fan's web app (web/) to a stack deployed with WebApp=true:
# its files, its config.json (the stack's WebAppConfig output) and an
# invalidation of its distribution. Usage: infra/deploy-web.sh <stack>
# [--region R] [--dry-run outputs.json]
set -euo pipefail
cd "$(dirname "$0")/.."
args=("$@")
set --   # tools.sh reads its own arguments as packages
. infra/tools.sh   # the deploy tools (boto3 comes with SAM)
python infra/deploy_web.py "${args[@]}"
