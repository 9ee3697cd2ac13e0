#!/usr/bin/env bash
# Runs schemathesis (every check, every phase, stateful included, with
# Tests/API/schemathesis.toml) against a real server on a fresh data
# directory and its own /api/openapi.json. Part of `scripts/test e2e`.
#   scripts/check-api-schema.sh          # SCHEMATHESIS_EXAMPLES=300 for about 10,000 cases
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/python-env.sh schemathesis
# The request schemas are written by scripts/request-schemas.py: they must be current.
python3 scripts/request-schemas.py --check
bin="${GRADSCOPE_BIN:-.build/debug/gradscope}"
data=$(mktemp -d)
port=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# Short jobs, so that the streams of the jobs it creates end.
"$bin" serve --port "$port" --data-dir "$data" --max-steps 2000 >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
# Tests/API/hooks.py: the check that stands in for positive-data acceptance on
# the job spec and a run's declaration.
PYTHONPATH=Tests/API SCHEMATHESIS_HOOKS=hooks .venv/bin/schemathesis --config-file Tests/API/schemathesis.toml run "http://127.0.0.1:$port/api/openapi.json" \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-30}" --workers 1 --no-color
