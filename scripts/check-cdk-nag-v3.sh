#!/usr/bin/env bash
# Runs cdk-nag 3.x AwsSolutions over the example app built on the packed library,
# with an aws-cdk-lib cdk-nag 3 supports (test/ecosystem/cdk-nag-v3, its own
# package.json and lock). The in-process check of cdk-nag 2.x is
# test/constructs/compliance.test.ts. Needs lib/ and assets/: run
# `npx projen compile && npx projen bundle` first. Exits non-zero on any
# unacknowledged AwsSolutions error or warning.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CHECK="$ROOT/test/ecosystem/cdk-nag-v3"

if [[ ! -f "$ROOT/lib/index.js" || ! -f "$ROOT/assets/rotation/rotation.lambda/index.js" ]]; then
  echo "lib/ or assets/ is missing: run 'npx projen compile && npx projen bundle' first" >&2
  exit 2
fi

PACK="$(mktemp -d)"
trap 'rm -rf "$PACK"' EXIT
# The library as users get it: what npm publishes, installed below so that it
# resolves this project's aws-cdk-lib and constructs as its peers (one copy of each).
(cd "$ROOT" && npm pack --silent --pack-destination "$PACK" >/dev/null)
TARBALL=("$PACK"/*.tgz)

cd "$CHECK"
npm install --no-audit --no-fund --loglevel=error
npm install --no-save --no-audit --no-fund --loglevel=error "${TARBALL[0]}"
echo "cdk-nag $(node -p "require('cdk-nag/package.json').version"), aws-cdk-lib $(node -p "require('aws-cdk-lib/package.json').version")"
node check.js
