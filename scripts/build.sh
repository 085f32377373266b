#!/usr/bin/env bash
# Configures and builds into ./build (or $WSGID_BUILD_DIR). Shared by the README's commands.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${WSGID_BUILD_DIR:-$root/build}
# Our own builds treat warnings as errors (WSGID_WERROR); a plain cmake build does not.
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE="${WSGID_BUILD_TYPE:-RelWithDebInfo}" -DWSGID_WERROR=ON >/dev/null
cmake --build "$build" -j"$(nproc)"
