#!/usr/bin/env bash
# Installs the system libraries RiskGate builds against (Debian/Ubuntu), only if missing.
set -euo pipefail
missing=()
for pkg in libyaml-dev libsqlite3-dev libjemalloc-dev pkg-config ${RISKGATE_TEST_DEPS:-}; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
