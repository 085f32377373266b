#!/usr/bin/env bash
# The documented FROM-IMAGE + virtualenv pattern: build tests/container/venv/Dockerfile on top
# of the image under test, and serve an app importing a package only the venv holds.
source "$(dirname "$0")/lib.sh"

ctx="$scratch/venv-ctx"
cp -r "$here/venv" "$ctx"
/usr/bin/python3 "$here/venv/make_wheel.py" "$ctx/wheels"
derived=wsgid-ci-venv:$$
cid=""
trap 'remove_container "$cid"; $DOCKER rmi -f "$derived" >/dev/null 2>&1 || true' EXIT
$DOCKER build --network host -q --build-arg WSGID_IMAGE="$image" \
  --build-arg BASE="${WSGID_CI_BASE:-debian:bookworm-slim}" -t "$derived" "$ctx" \
  >"$scratch/venv-build.log" 2>&1 || { tail -30 "$scratch/venv-build.log" >&2; fail "venv image build"; }
cid=$($DOCKER run -d --label wsgid.ci=1 -p 127.0.0.1::8080 --read-only --tmpfs /tmp "$derived")
wait_serving "$cid" / localhost 30
body=$(curl -sf -m 5 "http://localhost:$(published_port "$cid")/")
grep -q "hello from the venv from /opt/venv/lib/python3\.[0-9]*/site-packages/" <<<"$body" || fail "venv app: $body"
grep -q "sys.prefix=/opt/venv" <<<"$body" || fail "sys.prefix is not the venv: $body"
ok "FROM-image + venv pattern: $body"
