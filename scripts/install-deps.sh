#!/usr/bin/env bash
# Installs, from Debian's own repositories, whatever the build and the tests need and the
# machine lacks. Idempotent: a machine that has everything runs no apt-get at all.
set -euo pipefail

packages=(
  build-essential cmake pkg-config clang libclang-rt-dev clang-format
  apache2 apache2-dev libapache2-mod-wsgi-py3
  python3 python3-dev libpython3-dev python3-pytest python3-flask python3-django
  libseccomp-dev libtomlplusplus-dev
  libgtest-dev googletest procps psmisc curl strace
  wrk  # drives the benchmark smoke test (tests/bench)
  prometheus  # for promtool, which checks the metrics format in the tests
  mercurial  # hgweb.wsgi: a real app that needs sys.stdout.buffer (test_app_stdio)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Packages like apache2 and prometheus start their services when installed; the tests start
# their own servers on free ports, so keep the packaged ones from starting (as container
# builds do) unless the machine already has a policy.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod +x "$policy"
  trap '$sudo rm -f "$policy"' EXIT
fi
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
