#!/usr/bin/env bash
# Compiles SmokeApp against the jar jsii-pacmak built (dist/java, a Maven repository) and
# aws-cdk-lib at the peer-dependency floor from Maven Central, then synthesizes and checks a stack.
set -euo pipefail
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="${JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION:-20}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
version="$(node -p "require('$root/package.json').version")"
floor="$(node -p "require('$root/package.json').peerDependencies['aws-cdk-lib'].replace(/^\\^/, '')")"
cd "$here"
mvn --batch-mode --quiet -Dstyle.color=never -Dlibrary.version="$version" -Dcdk.version="$floor" compile exec:java
