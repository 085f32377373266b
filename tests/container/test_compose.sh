#!/usr/bin/env bash
# compose/docker-compose.yml: up serves the example site from a bind-mounted tree, an edit to
# the app's code is served without restarting the container, and down removes everything.
# The image is the one CI built (tagged wsgid:dev), so compose does not build it again.
source "$(dirname "$0")/lib.sh"

project=wsgidci$$
site="$scratch/compose-site"
cp -r "$repo/compose/site" "$site"
export WSGID_SITE=$site WSGID_PUBLISH=127.0.0.1:
compose=(docker-compose --project-directory "$repo/compose" -f "$repo/compose/docker-compose.yml" -p "$project")
$DOCKER tag "$image" wsgid:dev
trap '"${compose[@]}" down -v --remove-orphans >/dev/null 2>&1; $DOCKER rmi wsgid:dev >/dev/null 2>&1 || true' EXIT

"${compose[@]}" up -d --no-build >"$scratch/compose-up.log" 2>&1 || { cat "$scratch/compose-up.log" >&2; fail "compose up"; }
web=$("${compose[@]}" ps -q web)
[ -n "$web" ] || fail "no web container"
wait_serving "$web" / localhost 30
port=$(published_port "$web")
started_at=$($DOCKER inspect -f '{{.State.StartedAt}}' "$web")
ok "compose up: example site on 127.0.0.1:$port"

wait_log "$("${compose[@]}" ps -q reload)" "watch: watching" 15
sed -i 's/is serving the built-in example site/is serving EDITED CODE/' "$site/app/wsgi.py"
deadline=$((SECONDS + 30))
until grep -q "EDITED CODE" <<<"$(curl -s -m 5 "http://localhost:$port/")"; do
  if [ $SECONDS -ge $deadline ]; then
    "${compose[@]}" logs --no-color --tail 30 >&2
    fail "the edit was not served within 30 s"
  fi
  sleep 0.2
done
[ "$($DOCKER inspect -f '{{.State.StartedAt}}' "$web")" = "$started_at" ] || fail "web was restarted"
ok "code edit served without restarting the container"
"${compose[@]}" logs --no-color >"$scratch/compose-logs.txt" 2>&1
grep -q '"GET / HTTP/1.1" 200' "$scratch/compose-logs.txt" || fail "no access log lines in compose logs"
grep -q 'watch: change under /srv/app: sent SIG' "$scratch/compose-logs.txt" || fail "no reload in compose logs"
ok "access log reaches compose logs"

"${compose[@]}" down -v --remove-orphans >"$scratch/compose-down.log" 2>&1 || fail "compose down"
left=$($DOCKER ps -aq --filter "label=com.docker.compose.project=$project")
[ -z "$left" ] || fail "containers left after down: $left"
ok "compose down removed the project"
