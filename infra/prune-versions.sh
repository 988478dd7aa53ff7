#!/usr/bin/env bash
# Deletes the old published versions of a stack's functions. Every release
# of a sale-path function publishes a version (AutoPublishAlias); Lambda
# keeps them all, and their code counts against the region's 75 GB of
# function storage. Kept: every version an alias points at (`live`, and
# during a canary the version it shifts from) and the newest KEEP (default
# 3, so a rollback by hand has somewhere to go).
#   infra/prune-versions.sh <stack-name> [keep]      (AWS credentials needed)
set -euo pipefail
stack="${1:?usage: infra/prune-versions.sh <stack-name> [keep]}"
keep="${2:-3}"
functions=$(aws cloudformation list-stack-resources --stack-name "$stack" \
  --query "StackResourceSummaries[?ResourceType=='AWS::Lambda::Function'].PhysicalResourceId" --output text)
for fn in $functions; do
  aliased=$(aws lambda list-aliases --function-name "$fn" \
    --query 'Aliases[].[FunctionVersion, RoutingConfig.AdditionalVersionWeights]' --output text | tr -s '\t{}":,' '\n' | grep -E '^[0-9]+$' || true)
  versions=$(aws lambda list-versions-by-function --function-name "$fn" \
    --query 'Versions[?Version!=`$LATEST`].Version' --output text | tr '\t' '\n' | sort -n)
  newest=$(printf '%s\n' "$versions" | tail -n "$keep")
  for v in $versions; do
    if printf '%s\n' $aliased $newest | grep -qx "$v"; then continue; fi
    echo "deleting $fn:$v"
    aws lambda delete-function --function-name "$fn" --qualifier "$v"
  done
done
