#!/usr/bin/env bash
# `docker stop` (SIGTERM to wsgid, PID 1) lets an in-flight request finish with its full
# response, and the container then exits 0 promptly; an idle container stops at once.
source "$(dirname "$0")/lib.sh"

cids=()
trap 'for c in "${cids[@]}"; do remove_container "$c"; done' EXIT
mounts=(-v "$here/site/site.toml:/etc/wsgid/site.toml:ro" -v "$here/site/app:/srv/app:ro")

# --- a 3-second request in flight when docker stop is called --------------------------------
cid=$(start_container --read-only --tmpfs /tmp "${mounts[@]}")
cids+=("$cid")
wait_serving "$cid" / localhost 30
port=$(published_port "$cid")
curl -s -m 30 -o "$scratch/slow.body" -w '%{http_code}' "http://localhost:$port/slow" \
  >"$scratch/slow.status" 2>&1 &
curl_pid=$!
wait_log "$cid" "wsgid-ci: slow request started" 15
t0=$(now_ms)
$DOCKER stop -t 30 "$cid" >/dev/null
stop_ms=$(( $(now_ms) - t0 ))
wait "$curl_pid" || true
status=$(cat "$scratch/slow.status")
exit_code=$($DOCKER inspect -f '{{.State.ExitCode}}' "$cid")
echo "in-flight stop: docker stop took ${stop_ms} ms; request status $status; container exit $exit_code"
if [ "$status" != 200 ] || [ "$(cat "$scratch/slow.body")" != "slow request finished" ]; then
  $DOCKER logs "$cid" 2>&1 | tail -20 >&2
  fail "the in-flight request did not complete (status '$status'): SIGTERM must drain"
fi
[ "$exit_code" = 0 ] || fail "container exit code $exit_code after a graceful stop"
[ "$stop_ms" -lt 10000 ] || fail "stop took ${stop_ms} ms for a 3 s request"
ok "docker stop drained the in-flight request and exited 0 in ${stop_ms} ms"

# --- idle: stops promptly -------------------------------------------------------------------
cid=$(start_container --read-only --tmpfs /tmp "${mounts[@]}")
cids+=("$cid")
wait_serving "$cid" / localhost 30
t0=$(now_ms)
$DOCKER stop -t 30 "$cid" >/dev/null
stop_ms=$(( $(now_ms) - t0 ))
exit_code=$($DOCKER inspect -f '{{.State.ExitCode}}' "$cid")
[ "$stop_ms" -lt 5000 ] || fail "idle stop took ${stop_ms} ms"
[ "$exit_code" = 0 ] || fail "idle container exit code $exit_code"
ok "idle container stopped in ${stop_ms} ms, exit 0"
