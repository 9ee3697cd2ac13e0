#!/usr/bin/env bash
# Installs the system libraries gradscope builds against, if missing.
# Used by scripts/run, scripts/test, .ci/run and the Docker build, so every
# path through the project installs the same things the same way.
set -euo pipefail

# Build-time packages (headers and pkg-config files), and curl for the
# end-to-end tests and the README check; or the Debian packages named as
# arguments (scripts/install-browser-deps.sh uses that).
packages=(pkg-config libopenblas-dev zlib1g-dev libmicrohttpd-dev curl)
[ $# -gt 0 ] && packages=("$@")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
