#!/usr/bin/env bash
# Writes the golden record fixture, Tests/Fixtures/records/run.ndjson: what
# `gradscope run` prints for Tests/Fixtures/records/spec.json (a small RNN
# that explodes, so that every record type and optional field appears).
# The Swift, node and pytest readers are tested against it
# (docs/records.md "The fixture"). Run it after changing a record's fields.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product gradscope >/dev/null
.build/debug/gradscope run Tests/Fixtures/records/spec.json > Tests/Fixtures/records/run.ndjson
echo "wrote Tests/Fixtures/records/run.ndjson ($(wc -l < Tests/Fixtures/records/run.ndjson) records)"
