#!/usr/bin/env bash
# Installs moto's server (the AWS API emulator the integration tests and the demo
# run against) when this machine lacks it. Fails loudly: the tests never skip.
set -euo pipefail
PYTHON="${PYTHON:-python3}"
if "$PYTHON" -c 'import moto.server, flask, flask_cors' >/dev/null 2>&1; then
  exit 0
fi
echo "moto's server is missing: installing moto[server] with pip" >&2
"$PYTHON" -m pip install --quiet 'moto[server]>=5.1,<6'
"$PYTHON" -c 'import moto.server, flask, flask_cors'
