#!/usr/bin/env bash
# Installs, from Debian's packages, what `npm test` needs beyond Node.js and is missing:
#   redis-server and redis-cli  the private Redis servers (and clusters) the tests start
#   openssl                     certificates for the TLS tests
#   chromium                    the dashboard's browser tests (driven by playwright-core; no browser download)
# Prints what it installs; does nothing when everything is there. Needs root (or sudo).
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install as root: apt-get install ${missing[*]}" >&2; exit 1; }
  as_root=(sudo)
fi
echo "installing with apt-get: ${missing[*]}"
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq "${missing[@]}"
