#!/usr/bin/env bash
# Runs every `curl` line of the README's "HTTP API" section, in order,
# against a real server on a fresh data directory, and fails if any fails
# (curl -f: HTTP status >= 400) or takes too long.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${GRADSCOPE_BIN:-.build/debug/gradscope}"
data=$(mktemp -d)
port=8080
"$bin" serve --port "$port" --data-dir "$data" --public-dir public 2>/dev/null &
server=$!
# The server finishes its last writes before its folder goes.
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

# The commands between "## HTTP API" and the next "## ", first ```sh block.
commands=$(awk '/^## HTTP API/{s=1} s&&/^```sh/{b=1;next} s&&b&&/^```/{exit} s&&b' README.md)
n=0
while IFS= read -r line; do
  [[ "$line" == curl* ]] || continue
  n=$((n + 1))
  # Streams end when their job does; give each command a bound.
  line="${line/curl -s /curl -sf --max-time 60 }"
  if ! out=$(eval "$line"); then echo "FAILED: $line" >&2; exit 1; fi
  # The remedy experiment runs in the background: wait for it before reading it.
  if [[ "$line" == *"/remedies"* ]]; then
    for _ in $(seq 300); do
      curl -sf "http://127.0.0.1:$port/api/comparisons/c-000001" | grep -qE '"status":"(queued|running)"' || break; sleep 0.2
    done
  fi
  echo "ok: ${line:0:100}"
done <<< "$commands"
echo "$n passed, 0 failed"
