#!/usr/bin/env bash
# A Django app runs under the image through a profile, on the Debian release's own Django and
# Python (trixie: Django 4.2 on 3.13). WSGID_CI_EXPECT_DJANGO / WSGID_CI_EXPECT_PYTHON
# ("4.2", "3.13"), when set, are the major.minor versions the page must report.
source "$(dirname "$0")/lib.sh"

ctx="$scratch/django-ctx"
mkdir -p "$ctx"
cp "$here/django/Dockerfile" "$here/django/site.toml" "$ctx/"
cp -r "$source_tree/tests/apps/django_site" "$ctx/app"
derived=wsgid-ci-django:$$
cid=""
trap 'remove_container "$cid"; $DOCKER rmi -f "$derived" >/dev/null 2>&1 || true' EXIT
$DOCKER build --network host -q --build-arg WSGID_IMAGE="$image" -t "$derived" "$ctx" \
  >"$scratch/django-build.log" 2>&1 || { tail -30 "$scratch/django-build.log" >&2; fail "django image build"; }
cid=$($DOCKER run -d --label wsgid.ci=1 -p 127.0.0.1::8080 --read-only --tmpfs /tmp "$derived")
wait_serving "$cid" / localhost 60
port=$(published_port "$cid")
body=$(curl -sf -m 5 "http://localhost:$port/")
grep -q "^Django says hello from pid" <<<"$body" || fail "django index: $body"
versions=$(curl -sf -m 5 "http://localhost:$port/versions")
[[ $versions =~ ^django=([0-9]+\.[0-9]+)\.[0-9]+[^\ ]*\ python=([0-9]+\.[0-9]+)\.[0-9]+$ ]] ||
  fail "versions page: $versions"
[ -z "${WSGID_CI_EXPECT_DJANGO:-}" ] || [ "${BASH_REMATCH[1]}" = "$WSGID_CI_EXPECT_DJANGO" ] ||
  fail "Django ${BASH_REMATCH[1]}, expected $WSGID_CI_EXPECT_DJANGO: $versions"
[ -z "${WSGID_CI_EXPECT_PYTHON:-}" ] || [ "${BASH_REMATCH[2]}" = "$WSGID_CI_EXPECT_PYTHON" ] ||
  fail "Python ${BASH_REMATCH[2]}, expected $WSGID_CI_EXPECT_PYTHON: $versions"
# A request body through Django's request parsing: length and digest come back.
head -c 300000 /dev/urandom >"$scratch/django-body"
want="300000 $(sha256sum "$scratch/django-body" | cut -d' ' -f1)"
got=$(curl -sf -m 10 --data-binary @"$scratch/django-body" -H 'Content-Type: application/octet-stream' \
  "http://localhost:$port/upload")
[ "$got" = "$want" ] || fail "django upload: '$got', expected '$want'"
ok "Django app through a profile: $versions; index and a 300 kB upload served"
