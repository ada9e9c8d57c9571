#!/usr/bin/env bash
# Installs the built wheel (dist/python) into a fresh virtualenv with aws-cdk-lib at the
# peer-dependency floor, then synthesizes and checks a stack (app.py).
set -euo pipefail
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="${JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION:-20}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
floor="$(node -p "require('$root/package.json').peerDependencies['aws-cdk-lib'].replace(/^\\^/, '')")"
venv="$(mktemp -d)/venv"
trap 'rm -rf "$(dirname "$venv")"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "aws-cdk-lib==$floor" "$root"/dist/python/*.whl
cd "$here"
"$venv/bin/python" app.py
