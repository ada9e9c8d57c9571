#!/usr/bin/env bash
# The documentation check CI runs: README.md's TypeScript blocks and the API's
# @example tags compile in rosetta/default.ts-fixture and translate to the other
# jsii languages (jsii-rosetta, on the compiled assembly: run after compile),
# then the links, anchors, code-block languages and TypeScript blocks of
# README.md and docs/*.md, and the many-accounts example (jest, test/docs/).
set -euo pipefail
cd "$(dirname "$0")/.."
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
[ -f .jsii ] || { echo "check-docs: no .jsii assembly; run 'npx projen compile' first" >&2; exit 2; }
npx projen docs:check
npx jest --coverage=false test/docs
