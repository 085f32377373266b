#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs the container stage (image,
# compose, Kubernetes manifests; skip it with WSGID_SKIP_CONTAINER=1), then every unit,
# integration and fuzz test through ctest. Extra arguments go to ctest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
build=${WSGID_BUILD_DIR:-$root/build}

if [ "${WSGID_SKIP_CONTAINER:-0}" = 1 ]; then
  echo "test: container stage skipped (WSGID_SKIP_CONTAINER=1)"
elif [ "$(id -u)" -eq 0 ]; then
  bash "$root/scripts/container-ci.sh"
elif command -v sudo >/dev/null; then
  sudo -E bash "$root/scripts/container-ci.sh"
else
  echo "test: the container stage starts its own dockerd and needs root; run as root or set" \
       "WSGID_SKIP_CONTAINER=1" >&2
  exit 1
fi

# ctest last, so its summary closes the output.
cd "$build"
ctest --output-on-failure -j"$(nproc)" "$@"
