#!/usr/bin/env bash
# Installs moto's server (the AWS API emulator the integration tests and the demo
# run against) when this machine lacks it, and the AWS CLI the sandbox's test
# drives next to the library's CLI. Fails loudly: the tests never skip.
set -euo pipefail
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import moto.server, flask, flask_cors' >/dev/null 2>&1; then
  echo "moto's server is missing: installing moto[server] with pip" >&2
  "$PYTHON" -m pip install --quiet 'moto[server]>=5.1,<6'
  "$PYTHON" -c 'import moto.server, flask, flask_cors'
fi
if ! command -v aws >/dev/null 2>&1; then
  echo "the AWS CLI is missing: installing awscli (v1) with pip" >&2
  "$PYTHON" -m pip install --quiet 'awscli>=1.29,<2'
  command -v aws >/dev/null 2>&1 || { echo "the AWS CLI is still not on PATH after pip install awscli" >&2; exit 1; }
fi
