#!/usr/bin/env bash
# What the dashboard's browser tests need: headless Chromium and its driver
# (Debian packages, through install-deps.sh) and Selenium with pytest (PyPI).
# Only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh chromium chromium-driver
python3 -c "import selenium, pytest" 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check selenium pytest
