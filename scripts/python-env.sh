#!/usr/bin/env bash
# The project's own Python environment for tests and tools: .venv/ at the
# repository root (git-ignored), made on first use from the python3 on PATH.
# Packages come from the index pip is configured for, and only the missing
# ones are installed; nothing is read from or added to the global Python.
#   scripts/python-env.sh torch pytest selenium    # then run .venv/bin/python
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv

if [ ! -x "$venv/bin/python" ]; then
  echo "python-env: creating $venv" >&2
  if ! python3 -m venv "$venv" 2>/dev/null; then
    # Debian's own python3 ships venv (with ensurepip) as a package apart.
    rm -rf "$venv"
    scripts/install-deps.sh python3-venv
    python3 -m venv "$venv"
  fi
fi
py="$venv/bin/python"

missing=()
while IFS= read -r name; do [ -n "$name" ] && missing+=("$name"); done < <("$py" - "$@" <<'PY'
import sys
from importlib import metadata
for name in sys.argv[1:]:
    try:
        metadata.version(name)
    except metadata.PackageNotFoundError:
        print(name)
PY
)
[ ${#missing[@]} -eq 0 ] && exit 0

for i in "${!missing[@]}"; do
  if [ "${missing[$i]}" = torch ]; then
    # PyPI's Linux torch wheel brings about 3 GB of CUDA libraries that these
    # CPU-only tests never load. Where pip's configuration also offers a CPU
    # build (a "+cpu" version, e.g. a wheel in a find-links folder), take the
    # newest one; otherwise the index's default build.
    cpu=$("$py" -m pip index versions torch 2>/dev/null | sed -n 's/^Available versions: //p' \
          | tr ',' '\n' | tr -d ' ' | grep '+cpu$' | head -n 1 || true)
    [ -n "$cpu" ] && missing[$i]="torch==$cpu"
  fi
done
echo "python-env: installing ${missing[*]}" >&2
"$py" -m pip install --quiet --disable-pip-version-check "${missing[@]}"
