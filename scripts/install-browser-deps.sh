#!/usr/bin/env bash
# What the dashboard's browser tests need: headless Chromium and its driver
# (Debian packages) and Selenium with pytest (PyPI). Only what is missing.
set -euo pipefail
missing=()
for p in chromium chromium-driver; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-browser-deps: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
python3 -c "import selenium, pytest" 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check selenium pytest
