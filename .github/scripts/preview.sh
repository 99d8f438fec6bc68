#!/usr/bin/env bash
# One stack's `pulumi preview` with the policy pack, for .github/workflows/preview.yml and drift.yml.
# Writes to $RUNNER_TEMP: preview.txt (the output), preview.rc (its exit code), cost-before.txt (the deployed
# stack's estimated_hourly_cost_usd, empty when it has none). Extra arguments go to `pulumi preview`
# (drift.yml passes --expect-no-changes --refresh). Exits 0: the caller decides what a failure means.
set -uo pipefail
: "${STACK:?STACK must name the stack}" "${RUNNER_TEMP:?}"
cd "$(dirname "$0")/../.."

policy_config=()
[[ -f "infra/policy/$STACK.json" ]] && policy_config=(--policy-pack-config "infra/policy/$STACK.json")

pulumi stack output estimated_hourly_cost_usd --stack "$STACK" > "$RUNNER_TEMP/cost-before.txt" 2>/dev/null \
  || : > "$RUNNER_TEMP/cost-before.txt"
pulumi preview --stack "$STACK" --policy-pack infra/policy "${policy_config[@]}" --diff --non-interactive \
  --color never --suppress-progress "$@" 2>&1 | tee "$RUNNER_TEMP/preview.txt"
echo "${PIPESTATUS[0]}" > "$RUNNER_TEMP/preview.rc"
