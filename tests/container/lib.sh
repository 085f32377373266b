# Shared by tests/container/test_*.sh, which scripts/container-ci.sh runs with:
#   DOCKER            the engine's CLI (may hold options, so it is used unquoted)
#   DOCKER_HOST       the private engine's socket
#   WSGID_CI_IMAGE    the image under test
#   WSGID_CI_RUN      a scratch directory removed after the run
#   WSGID_CI_SOURCE   the source tree the image was built from (default: this checkout)
# Every wait polls with a deadline; every container carries the label wsgid.ci=1 so the CI
# script can remove whatever a failing test leaves behind.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# The tree the image was built from (container-ci.sh builds HEAD by default).
source_tree=${WSGID_CI_SOURCE:-$repo}
image=${WSGID_CI_IMAGE:?set by scripts/container-ci.sh}
scratch=${WSGID_CI_RUN:?set by scripts/container-ci.sh}

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

# Starts a detached test container publishing 8080 on a free 127.0.0.1 port; prints its id.
start_container() {
  $DOCKER run -d --label wsgid.ci=1 -p 127.0.0.1::8080 "$@" "$image"
}

published_port() {
  $DOCKER port "$1" 8080/tcp | head -n1 | sed 's/.*://'
}

# http_status URL [HOST]: prints the status code (000 when nothing answered).
http_status() {
  curl -s -o /dev/null -w '%{http_code}' -m 5 -H "Host: ${2:-localhost}" "$1" || true
}

# wait_serving CID URL_PATH [HOST] [SECONDS]: polls until the path answers 200.
wait_serving() {
  local cid=$1 path=$2 host=${3:-localhost} deadline=$((SECONDS + ${4:-30})) port status
  while :; do
    port=$(published_port "$cid" 2>/dev/null || true)
    if [ -n "$port" ]; then
      status=$(http_status "http://127.0.0.1:$port$path" "$host")
      [ "$status" = 200 ] && return 0
    fi
    if [ "$($DOCKER inspect -f '{{.State.Running}}' "$cid")" != true ]; then
      $DOCKER logs "$cid" >&2 || true
      fail "container $cid exited before serving $path"
    fi
    if [ $SECONDS -ge $deadline ]; then
      $DOCKER logs "$cid" >&2 || true
      fail "no 200 from $path within ${4:-30} s (last status ${status:-none})"
    fi
    sleep 0.1
  done
}

# wait_log CID TEXT [SECONDS]: polls the container's output for TEXT.
wait_log() {
  local deadline=$((SECONDS + ${3:-30}))
  # Output captured first: `grep -q` closing the pipe early would fail the pipeline (pipefail).
  until grep -qF -- "$2" <<<"$($DOCKER logs "$1" 2>&1)"; do
    [ $SECONDS -lt $deadline ] || { $DOCKER logs "$1" >&2 || true; fail "no '$2' in the logs within ${3:-30} s"; }
    sleep 0.1
  done
}

remove_container() { $DOCKER rm -f "$1" >/dev/null 2>&1 || true; }

# Milliseconds since the epoch, for timings.
now_ms() { date +%s%3N; }
