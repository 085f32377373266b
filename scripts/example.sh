#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and serves the example site
# (profiles/hello.toml) on http://127.0.0.1:8080 through `wsgid run`, in the foreground.
# Ctrl-C stops it. Extra arguments go to `wsgid run` (e.g. --listen 127.0.0.1:9000).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
build=${WSGID_BUILD_DIR:-$root/build}
profile=${WSGID_PROFILE:-$root/profiles/hello.toml}
echo "wsgid example: serving $profile (Ctrl-C to stop); try: curl http://127.0.0.1:8080/"
exec "$build/launcher/wsgid" run "$profile" --module "$build/module/mod_wsgid.so" "$@"
