#!/usr/bin/env bash
# The image serves its built-in example with no profile mounted, and a mounted profile + app;
# as a non-root user, on a read-only root filesystem, with a working HEALTHCHECK; and it holds
# no toolchain and only the httpd modules the launcher loads.
source "$(dirname "$0")/lib.sh"

cids=()
trap 'for c in "${cids[@]}"; do remove_container "$c"; done' EXIT

# --- built-in example, read-only root with /tmp on a tmpfs, start-up time measured -----------
t0=$(now_ms)
cid=$(start_container --read-only --tmpfs /tmp --health-interval 1s --health-start-period 1s)
cids+=("$cid")
wait_serving "$cid" / localhost 30
startup_ms=$(( $(now_ms) - t0 ))
port=$(published_port "$cid")
body=$(curl -sf -m 5 "http://localhost:$port/")
grep -q "built-in example site" <<<"$body" || fail "example page: $body"
grep -q "/etc/wsgid/site.toml" <<<"$body" || fail "example page does not say how to mount a profile"
ok "built-in example serves (docker run to first 200: ${startup_ms} ms)"

[ "$(http_status "http://127.0.0.1:$port/" 127.0.0.1)" = 200 ] || fail "Host 127.0.0.1 not served"
[ "$(http_status "http://127.0.0.1:$port/static/site.css")" = 200 ] || fail "static file"
[ "$(http_status "http://127.0.0.1:$port/" unknown.example)" = 421 ] || fail "unknown Host not answered 421"
[ "$(http_status "http://127.0.0.1:$port/-/healthz" unknown.example)" = 200 ] || fail "/-/healthz"
[ "$(http_status "http://127.0.0.1:$port/-/readyz" unknown.example)" = 200 ] || fail "/-/readyz"
ok "Host 127.0.0.1, static files; unknown Host refused; /-/healthz and /-/readyz answer any Host"

uids=$($DOCKER top "$cid" -eo pid,uid,comm | awk 'NR > 1 { print $2 }' | sort -u | tr '\n' ' ')
[ "$uids" = "10001 " ] || fail "processes run as uids: $uids"
ok "every process runs as uid 10001"

deadline=$((SECONDS + 30))
until [ "$($DOCKER inspect -f '{{.State.Health.Status}}' "$cid")" = healthy ]; do
  [ $SECONDS -lt $deadline ] || fail "HEALTHCHECK not healthy in 30 s: $($DOCKER inspect -f '{{json .State.Health}}' "$cid")"
  sleep 0.2
done
ok "HEALTHCHECK reports healthy"

# --- a user's profile and app, read-only root with only the image's /tmp volume -------------
cid=$(start_container --read-only \
  -v "$here/site/site.toml:/etc/wsgid/site.toml:ro" -v "$here/site/app:/srv/app:ro")
cids+=("$cid")
wait_serving "$cid" / localhost 30
port=$(published_port "$cid")
[ "$(curl -sf -m 5 "http://localhost:$port/")" = "own app served" ] || fail "own app"
[ "$(curl -sf -m 5 "http://localhost:$port/whoami")" = "uid=10001 gid=10001" ] || fail "daemon identity"
ok "mounted profile + app serve on a read-only root (the /tmp volume only), daemon uid 10001"

# --- what the image holds -------------------------------------------------------------------
tools=$($DOCKER run --rm --label wsgid.ci=1 --entrypoint bash "$image" -c \
  'for t in gcc cc c++ g++ cmake make ld as apxs pip; do command -v $t; done; true')
[ -z "$tools" ] || fail "toolchain in the runtime image: $tools"
modules=$($DOCKER run --rm --label wsgid.ci=1 --entrypoint ls "$image" /usr/lib/apache2/modules | tr '\n' ' ')
expected=$(grep -ho 'mod_[a-z0-9_]*\.so' "$source_tree"/launcher/render/*.cpp | sort -u | tr '\n' ' ')
for m in $modules; do
  case " $expected wsgid_python.so wsgid-daemon " in *" $m "*) ;; *) fail "unexpected httpd module $m" ;; esac
done
ok "no toolchain; httpd modules: $modules"

labels=$($DOCKER image inspect -f '{{json .Config.Labels}}' "$image")
for l in title version revision created; do
  grep -q "\"org.opencontainers.image.$l\"" <<<"$labels" || fail "label org.opencontainers.image.$l missing"
done
[ "$($DOCKER image inspect -f '{{.Config.User}}' "$image")" = 10001:10001 ] || fail "default user"
ok "OCI labels, USER 10001:10001"
echo "image size: $($DOCKER image inspect -f '{{.Size}}' "$image" | awk '{printf "%.1f MB", $1/1e6}')"
