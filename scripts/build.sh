#!/usr/bin/env bash
# Configures and builds into ./build (or $WSGID_BUILD_DIR). Shared by the README's commands.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${WSGID_BUILD_DIR:-$root/build}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)"
