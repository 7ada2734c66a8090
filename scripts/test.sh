#!/usr/bin/env bash
# Install everything the test suite needs on a fresh Debian/Ubuntu machine, then run it all.
# Usage: bash scripts/test.sh [extra pytest args]
# Needs root for the system packages, network namespaces and the lab VM (CI runs as root).
set -euo pipefail
cd "$(dirname "$0")/.."

SYSTEM_PACKAGES=(nftables conntrack iproute2 busybox-static dash socat procps kmod openssh-client openssh-server htop util-linux)

missing=()
for p in "${SYSTEM_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "== installing system packages: ${missing[*]}"
    apt-get update -qq || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "== not root: cannot install ${missing[*]}; the tests that need them will skip" >&2
  fi
fi
if [ -x lab/install-host-deps.sh ] && [ "$(id -u)" -eq 0 ]; then
  echo "== lab host packages"
  lab/install-host-deps.sh
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  "$PY" -m venv .venv
fi
echo "== installing offtui and its test dependencies"
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

echo "== pytest"
set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure here" >&2
  exit 1
fi
exit "$rc"
