#!/usr/bin/env bash
# CI stage for the container image, compose file and Kubernetes manifests.
#
#   sudo bash scripts/container-ci.sh        # as root: it starts its own dockerd
#   WSGID_SKIP_CONTAINER=1 ...               # skip this stage entirely
#
# What it does, each step timed:
#   1. installs Debian's docker.io, docker-compose and debootstrap if missing;
#   2. starts a private dockerd (data root in the cache dir, exec root, pid file and socket in
#      a fresh temp dir), so it cannot clash with any other docker on the machine;
#   3. builds debian:bookworm-slim and debian:trixie-slim with scripts/container-base.sh
#      (debootstrap from the mirror in this machine's apt sources) and `docker import`s them
#      (skipped while the cached images exist: there is no registry to pull from);
#   4. builds one image per release from the one Dockerfile (bookworm: Python 3.11, trixie:
#      3.13; each compiles and runs the unit tests inside), then runs tests/container/ on each:
#      serve, read-only/non-root, own profile, `docker stop` drains, a venv, a Django app
#      through a profile, two sites attacking each other as uid 10001 (isolation); compose
#      up/reload/down and the offline checks of deploy/k8s once;
#   5. runs the whole integration suite inside the trixie build stage, where
#      that Python and httpd live; prints a summary of sizes, start-up and build times;
#   6. always stops the dockerd it started, by pid, and removes its containers.
#
# Environment:
#   WSGID_SKIP_CONTAINER=1      skip (exit 0)
#   WSGID_CONTAINER_CACHE=DIR   persistent cache: dockerd data root (base image, layers) and
#                               the debootstrap tarball; default /var/tmp/wsgid-container
#   WSGID_CONTAINER_FRESH=1     rebuild the base images even when cached
#   WSGID_CONTAINER_SUITES="bookworm trixie"  the Debian releases to build and test
#   WSGID_CONTAINER_INTEGRATION=all|core|none|REGEX  integration tests inside the trixie
#                               build stage (default all: see section 5)
#   WSGID_CONTAINER_TESTS=REGEX only the tests/container/test_*.sh whose name matches
#                               (e.g. isolation); default all
#   WSGID_CONTAINER_CONTEXT=worktree  build the working tree instead of HEAD (git archive)
#   WSGID_CONTAINER_ENGINE=podman  use podman (runtime runc, cgroupfs) instead of dockerd
set -euo pipefail

if [ "${WSGID_SKIP_CONTAINER:-0}" = 1 ]; then
  echo "container-ci: skipped (WSGID_SKIP_CONTAINER=1)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "container-ci: must run as root (it starts its own dockerd); set WSGID_SKIP_CONTAINER=1 to skip" >&2
  exit 1
fi

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${WSGID_CONTAINER_CACHE:-/var/tmp/wsgid-container}
engine=${WSGID_CONTAINER_ENGINE:-docker}
image=wsgid:ci
base=debian:bookworm-slim
started=$SECONDS

step() { printf '\n== container-ci [%4ss] %s\n' "$((SECONDS - started))" "$*"; }
fail() { echo "container-ci: FAIL: $*" >&2; exit 1; }

# --- 1. tools -------------------------------------------------------------------------------
step "tools"
need=(debootstrap)
case $engine in
  docker) need+=(docker.io docker-compose) ;;
  podman) need+=(podman docker-compose) ;;
  *) fail "WSGID_CONTAINER_ENGINE must be docker or podman, not '$engine'" ;;
esac
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

mkdir -p "$cache"
# One run at a time per cache: two dockerds must never share a data root.
exec 9>"$cache/lock"
flock -w 1200 9 || fail "another container-ci run holds $cache/lock"

run=$(mktemp -d /tmp/wsgid-ctr.XXXXXX)
daemon_pid=""
export WSGID_CI_RUN=$run

cleanup() {
  local status=$?
  set +e
  if [ -n "$daemon_pid" ]; then
    # Containers first (compose project and labelled test containers), then the daemon.
    local ids
    ids=$($DOCKER ps -aq --filter label=wsgid.ci=1 2>/dev/null)
    [ -n "$ids" ] && $DOCKER rm -f $ids >/dev/null 2>&1
    $DOCKER image prune -f >/dev/null 2>&1
    kill -TERM "$daemon_pid" 2>/dev/null
    local deadline=$((SECONDS + 30))
    while kill -0 "$daemon_pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    if kill -0 "$daemon_pid" 2>/dev/null; then
      echo "container-ci: $engine daemon $daemon_pid did not stop in 30 s; killing it" >&2
      kill -KILL "$daemon_pid" 2>/dev/null
    fi
    # containerd's shims and mounts live under the exec root; nothing may stay mounted there.
    grep -o " $run[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done
  fi
  rm -rf "$run"
  if [ $status -eq 0 ]; then
    step "passed"
  else
    step "FAILED (exit $status)"
  fi
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 2. engine ------------------------------------------------------------------------------
wait_for_engine() {
  local deadline=$((SECONDS + 60))
  until $DOCKER version >/dev/null 2>&1; do
    kill -0 "$daemon_pid" 2>/dev/null || { tail -30 "$run/engine.log" >&2; fail "$engine daemon exited"; }
    [ $SECONDS -lt $deadline ] || { tail -30 "$run/engine.log" >&2; fail "$engine daemon not ready in 60 s"; }
    sleep 0.2
  done
}

# Long steps run in the background and are waited for: `wait` returns at once on SIGTERM/INT,
# so the trap (and the cleanup that stops the engine) runs promptly, not after the step.
in_bg() { "$@" & wait $!; }
# logged LOG COMMAND...: runs COMMAND with its output both shown and kept in LOG.
logged() {
  local log=$1
  shift
  "$@" > >(tee "$log") 2>&1
}

step "starting a private $engine daemon"
if [ "$engine" = docker ]; then
  DOCKER=/usr/bin/docker   # Debian's client, whatever else is first on PATH
  export DOCKER_HOST="unix://$run/docker.sock"
  dockerd --data-root "$cache/docker" --exec-root "$run/exec" --pidfile "$run/docker.pid" \
    -H "$DOCKER_HOST" >"$run/engine.log" 2>&1 &
  daemon_pid=$!
else
  # podman's docker-compatible API (`podman system service`), runc and cgroupfs as on these VMs.
  DOCKER=/usr/bin/podman
  export CONTAINERS_CONF="$run/containers.conf"
  printf '[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n' \
    >"$CONTAINERS_CONF"
  export DOCKER_HOST="unix://$run/podman.sock"
  podman --root "$cache/podman" --runroot "$run/runroot" system service --time=0 "$DOCKER_HOST" \
    >"$run/engine.log" 2>&1 &
  daemon_pid=$!
  DOCKER="podman --root $cache/podman --runroot $run/runroot"
fi
export DOCKER
wait_for_engine
echo "$engine daemon pid $daemon_pid, $DOCKER_HOST"

# --- 3. base images -------------------------------------------------------------------------
# debian:SUITE-slim for each suite, from scripts/container-base.sh's tarball (debootstrap from
# the mirror in this machine's apt sources; there is no registry). Both are cached: the tarball
# in $cache, the imported image in the engine's data root.
# Bump when container-base.sh's recipe changes: a cached base built by an older one is rebuilt.
base_recipe=3
base_image() {
  local suite=$1 base="debian:$1-slim" tarball="$cache/$1-minbase-r$base_recipe.tar" cached
  cached=$($DOCKER image inspect -f '{{index .Config.Labels "wsgid.base-recipe"}}' "$base" 2>/dev/null || true)
  if [ "${WSGID_CONTAINER_FRESH:-0}" != 1 ] && [ "$cached" = "$base_recipe" ]; then
    step "base image $base: cached"
    return
  fi
  if [ "${WSGID_CONTAINER_FRESH:-0}" = 1 ] || [ ! -s "$tarball" ]; then
    step "base image $base: debootstrap"
    rm -f "$cache/$suite"-minbase*.tar   # older recipes
    in_bg bash "$root/scripts/container-base.sh" "$suite" "$tarball" || fail "base image $base"
  fi
  step "base image $base: import"
  $DOCKER import --change 'CMD ["bash"]' --change "LABEL wsgid.base-recipe=$base_recipe" \
    "$tarball" "$base" >/dev/null
}

# --- 4. images and tests --------------------------------------------------------------------
# One Dockerfile, one image per Debian release (DEBIAN build argument): bookworm embeds Python
# 3.11, trixie 3.13. Each is built, measured and run through tests/container/; the trixie build
# stage also runs the integration suite (section 5), since that Python and httpd live only there.
#   WSGID_CONTAINER_SUITES   releases to build and test (default "bookworm trixie")
#   WSGID_CONTAINER_INTEGRATION  integration tests in the trixie build stage: "all" (default:
#                            every file, 150 s here), "core" (the set below), "none", or a
#                            ctest -R regex
suites=${WSGID_CONTAINER_SUITES:-bookworm trixie}
for suite in $suites; do
  case $suite in
    bookworm | trixie) ;;
    *) fail "WSGID_CONTAINER_SUITES: '$suite' is not bookworm or trixie" ;;
  esac
done

# The committed tree (HEAD), so what CI checks is what was committed, not whatever is half
# edited in the working tree; WSGID_CONTAINER_CONTEXT=worktree builds the working tree instead.
context=$root
if [ "${WSGID_CONTAINER_CONTEXT:-head}" = head ] && git -C "$root" rev-parse --verify -q HEAD >/dev/null; then
  context="$run/src"
  mkdir -p "$context"
  git -C "$root" archive --format=tar HEAD | tar -x -C "$context"
fi
from="$([ "$context" = "$root" ] && echo "the working tree" || echo "HEAD $(git -C "$root" rev-parse --short HEAD)")"
summary="$run/summary"
: >"$summary"

build_image() {
  local suite=$1 image=$2 started_build=$SECONDS
  step "building $image (Debian $suite) from $from (compiles and runs the unit tests)"
  in_bg $DOCKER build --network host -t "$image" --build-arg DEBIAN="$suite" \
    --build-arg REVISION="$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)" \
    --build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    "$context" >"$run/build-$suite.log" 2>&1 || { tail -60 "$run/build-$suite.log" >&2; fail "docker build ($suite)"; }
  local size python
  size=$($DOCKER image inspect -f '{{.Size}}' "$image" | awk '{printf "%.1f MB", $1/1e6}')
  python=$($DOCKER run --rm --entrypoint /usr/local/bin/wsgid "$image" --version)
  echo "built in $((SECONDS - started_build)) s; image size $size; $python"
  echo "$suite: image $size, built in $((SECONDS - started_build)) s, $python" >>"$summary"
}

# tests/container/ against one image. compose and the Kubernetes checks test files that name
# the default (bookworm) image and do not depend on its Python: they run once.
container_tests() {
  local suite=$1 t name
  export WSGID_CI_IMAGE=$2 WSGID_CI_SOURCE=$context WSGID_CI_BASE="debian:$suite-slim"
  case $suite in
    bookworm) export WSGID_CI_EXPECT_DJANGO=3.2 WSGID_CI_EXPECT_PYTHON=3.11 ;;
    trixie) export WSGID_CI_EXPECT_DJANGO=4.2 WSGID_CI_EXPECT_PYTHON=3.13 ;;
  esac
  for t in "$root"/tests/container/test_*.sh; do
    name=$(basename "$t")
    if [ "$suite" != bookworm ] && { [ "$name" = test_compose.sh ] || [ "$name" = test_k8s.sh ]; }; then
      continue
    fi
    [[ $name =~ ${WSGID_CONTAINER_TESTS:-.} ]] || continue
    step "$name ($suite)"
    in_bg logged "$run/$suite-$name.log" bash "$t" || fail "$name ($suite)"
  done
  grep -h "docker run to first 200" "$run/$suite-test_serve.sh.log" | sed "s/^/$suite: /" >>"$summary" || true
  grep -h "^isolation: " "$run/$suite-test_isolation.sh.log" | sed "s/^/$suite: /" >>"$summary" || true
}

# --- 5. the integration suite inside the trixie build stage ---------------------------------
# The build stage holds the compiled tree (/build) and the sources (/src); tests/container/
# integration/Dockerfile adds httpd, mod_wsgi and pytest. ctest runs as root, as on a CI host,
# in a container with only a loopback network, with the capabilities a root CI host has (all
# that this machine's bounding set holds: --privileged is refused where CI itself runs in a
# container without CAP_SYS_RESOURCE) and no seccomp profile of the engine's, because the
# sandbox tests install their own filters and probe calls the default profile refuses.
# core: the framework tests (Flask, Django 4.2), the profiles, and the Python-version seams
# (start-up, fork from a parent that started Python, sub-interpreters, hooks, exceptions).
core_integration='^integration\.(frameworks|profiles|conformance|lazy_init|embedded|python_hooks|environ|error_causes|observability|config)$'
integration_tests() {
  local suite=$1 which=${WSGID_CONTAINER_INTEGRATION:-all} regex started_suite=$SECONDS
  case $which in
    none) return ;;
    core) regex=$core_integration ;;
    all) regex='^integration\.' ;;
    *) regex=$which ;;
  esac
  step "integration suite in the $suite build stage ($which)"
  in_bg $DOCKER build --network host --target build -t "wsgid:ci-build-$suite" --build-arg DEBIAN="$suite" \
    "$context" >"$run/build-stage-$suite.log" 2>&1 || { tail -40 "$run/build-stage-$suite.log" >&2; fail "build stage ($suite)"; }
  in_bg $DOCKER build --network host -t "wsgid:ci-itest-$suite" --build-arg BUILD_IMAGE="wsgid:ci-build-$suite" \
    "$root/tests/container/integration" >"$run/itest-image-$suite.log" 2>&1 ||
    { tail -40 "$run/itest-image-$suite.log" >&2; fail "integration image ($suite)"; }
  local caps=(--cap-add ALL)
  grep -q '^CapBnd:.*' /proc/self/status &&
    (( (0x$(awk '/^CapBnd/ {print $2}' /proc/self/status) >> 24 & 1) == 0 )) &&
    caps+=(--cap-drop SYS_RESOURCE)
  in_bg logged "$run/integration-$suite.log" $DOCKER run --rm --label wsgid.ci=1 "${caps[@]}" \
    --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
    --network none "wsgid:ci-itest-$suite" \
    ctest --test-dir /build -R "$regex" -j2 --output-on-failure --timeout 900 ||
    fail "integration suite ($suite)"
  echo "$suite: integration ($which) $(grep -E 'tests passed' "$run/integration-$suite.log" | tail -1) in $((SECONDS - started_suite)) s" >>"$summary"
}

for suite in $suites; do
  base_image "$suite"
done
for suite in $suites; do
  build_image "$suite" "wsgid:ci-$suite"
  container_tests "$suite" "wsgid:ci-$suite"
  [ "$suite" = trixie ] && integration_tests "$suite"
done
step "summary"
cat "$summary"
