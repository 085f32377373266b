#!/usr/bin/env bash
# CI stage for the container image, compose file and Kubernetes manifests (issue 6).
#
#   sudo bash scripts/container-ci.sh        # as root: it starts its own dockerd
#   WSGID_SKIP_CONTAINER=1 ...               # skip this stage entirely
#
# What it does, each step timed:
#   1. installs Debian's docker.io, docker-compose and debootstrap if missing;
#   2. starts a private dockerd (data root in the cache dir, exec root, pid file and socket in
#      a fresh temp dir), so it cannot clash with any other docker on the machine;
#   3. builds debian:bookworm-slim with debootstrap from the mirror in this machine's apt
#      sources and `docker import`s it (skipped while the cached image exists: there is no
#      registry to pull from);
#   4. builds the image (compiles and runs the unit tests inside), then runs tests/container/:
#      serve, read-only/non-root, own profile, `docker stop` drains, compose up/reload/down,
#      and the offline checks of deploy/k8s;
#   5. always stops the dockerd it started, by pid, and removes its containers.
#
# Environment:
#   WSGID_SKIP_CONTAINER=1      skip (exit 0)
#   WSGID_CONTAINER_CACHE=DIR   persistent cache: dockerd data root (base image, layers) and
#                               the debootstrap tarball; default /var/tmp/wsgid-container
#   WSGID_CONTAINER_FRESH=1     rebuild the base image even when cached
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

# --- 3. base image --------------------------------------------------------------------------
# The mirror is read from this machine's apt sources, never written into the repository.
apt_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'BEGIN{RS=""} /(^|\n)Suites:[^\n]*[ \t]bookworm([ \t]|\n|$)/ && !/Types:[^\n]*deb-src[^\n]*\n/ {
           if (match($0, /URIs:[ \t]*[^ \t\n]+/)) { u=substr($0, RSTART, RLENGTH); sub(/URIs:[ \t]*/, "", u); print u; exit } }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '$1 == "deb" { i=2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i+1) == "bookworm") { print $i; exit } }' "$f"
  done
}

# Bump when the recipe below changes: a cached base built by an older recipe is rebuilt.
base_recipe=2
cached_recipe=$($DOCKER image inspect -f '{{index .Config.Labels "wsgid.base-recipe"}}' "$base" 2>/dev/null || true)
if [ "${WSGID_CONTAINER_FRESH:-0}" != 1 ] && [ "$cached_recipe" = "$base_recipe" ]; then
  step "base image $base: cached"
else
  step "base image $base: debootstrap + import"
  mirror=$(apt_mirror | head -n1)
  [ -n "$mirror" ] || fail "no bookworm mirror found in /etc/apt/sources.list{,.d/*}"
  tarball="$cache/bookworm-minbase-r$base_recipe.tar"
  if [ "${WSGID_CONTAINER_FRESH:-0}" = 1 ] || [ ! -s "$tarball" ]; then
    rootfs="$run/rootfs"
    in_bg debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$run/debootstrap.log" 2>&1 ||
      { tail -30 "$run/debootstrap.log" >&2; fail "debootstrap"; }
    # "slim" as the usual images are: no docs, man pages or locales now or in later layers,
    # no downloaded .debs or package lists kept.
    cat >"$rootfs/etc/dpkg/dpkg.cfg.d/slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
EOF
    cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Binary::apt::APT::Keep-Downloaded-Packages "false";
EOF
    echo 'Acquire::Languages "none";' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"
    # The machine's Debian sources (bookworm, -updates, -security), so images get security
    # fixes; debootstrap alone writes only the bookworm suite. Third-party repositories (not
    # signed by Debian's archive key) stay out: the image has no key for them.
    if compgen -G "/etc/apt/sources.list.d/*.sources" >/dev/null; then
      for f in /etc/apt/sources.list.d/*.sources; do
        if grep -q "debian-archive-keyring" "$f" && grep -Eq "^Suites:.*bookworm" "$f"; then
          cp "$f" "$rootfs/etc/apt/sources.list.d/"
          rm -f "$rootfs/etc/apt/sources.list"
        fi
      done
    fi
    if [ -f "$rootfs/etc/apt/sources.list" ] && [ -f /etc/apt/sources.list ]; then
      grep -E '^deb(\s+\[[^]]*\])?\s+\S+\s+bookworm(-updates|-security)?\s' /etc/apt/sources.list \
        >"$rootfs/etc/apt/sources.list" || true
      [ -s "$rootfs/etc/apt/sources.list" ] || echo "deb $mirror bookworm main" >"$rootfs/etc/apt/sources.list"
    fi
    find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
    rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/var/lib/apt/lists/* \
      "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/*.log
    find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
    rm -f "$cache"/bookworm-minbase*.tar   # older recipes
    tar -C "$rootfs" --numeric-owner -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    rm -rf "$rootfs"
  fi
  $DOCKER import --change 'CMD ["bash"]' --change "LABEL wsgid.base-recipe=$base_recipe" \
    "$tarball" "$base" >/dev/null
fi

# --- 4. image and tests ---------------------------------------------------------------------
# The committed tree (HEAD), so what CI checks is what was committed, not whatever is half
# edited in the working tree; WSGID_CONTAINER_CONTEXT=worktree builds the working tree instead.
context=$root
if [ "${WSGID_CONTAINER_CONTEXT:-head}" = head ] && git -C "$root" rev-parse --verify -q HEAD >/dev/null; then
  context="$run/src"
  mkdir -p "$context"
  git -C "$root" archive --format=tar HEAD | tar -x -C "$context"
fi
step "building $image from $([ "$context" = "$root" ] && echo "the working tree" || echo "HEAD $(git -C "$root" rev-parse --short HEAD)") (compiles and runs the unit tests)"
build_started=$SECONDS
in_bg $DOCKER build --network host -t "$image" \
  --build-arg REVISION="$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)" \
  --build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  "$context" >"$run/build.log" 2>&1 || { tail -60 "$run/build.log" >&2; fail "docker build"; }
echo "built in $((SECONDS - build_started)) s; image size $($DOCKER image inspect -f '{{.Size}}' "$image" | awk '{printf "%.1f MB", $1/1e6}')"

export WSGID_CI_IMAGE=$image WSGID_CI_SOURCE=$context
for t in "$root"/tests/container/test_*.sh; do
  step "$(basename "$t")"
  in_bg bash "$t" || fail "$(basename "$t")"
done
