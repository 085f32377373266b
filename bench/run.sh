#!/usr/bin/env bash
# The benchmark in one command: mod_wsgid (daemon and embedded) side by side with mod_wsgi
# (daemon and embedded), gunicorn (gthread, sync; alone and behind nginx), uWSGI (alone and
# behind nginx) and a static-file httpd. See bench/README.md.
#
#   bash bench/run.sh                 # full run (about 18 minutes on 2 cores)
#   bash bench/run.sh --quick         # smoke run (about 4 minutes)
#   bash bench/run.sh --help          # every option
#
# Environment: WSGID_BUILD_DIR=DIR measures that build tree instead of ./build;
# WSGID_BENCH_REBUILD=1 runs `cmake --build` on it even when the modules exist.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${WSGID_BUILD_DIR:-$root/build}

# Peers and tools, from Debian: package -> a file it installs.
declare -A need=(
  [apache2-bin]=/usr/sbin/apache2
  [libapache2-mod-wsgi-py3]=/usr/lib/apache2/modules/mod_wsgi.so
  [wrk]=/usr/bin/wrk
  [gunicorn]=/usr/bin/gunicorn
  [uwsgi-core]=/usr/bin/uwsgi-core
  [uwsgi-plugin-python3]=/usr/lib/uwsgi/plugins/python3_plugin.so
  [nginx]=/usr/sbin/nginx
  [gnuplot-nox]=/usr/bin/gnuplot
  [python3]=/usr/bin/python3
)
missing=()
for pkg in "${!need[@]}"; do
  [ -e "${need[$pkg]}" ] || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "bench: missing ${missing[*]}; run as root to install them with apt-get" >&2
    exit 1
  fi
  apt-get update -qq
  # nginx: Debian 12 has the small nginx-light flavour (proxy and uwsgi modules built in);
  # Debian 13 dropped it and its plain nginx is the small one.
  for i in "${!missing[@]}"; do
    if [ "${missing[$i]}" = nginx ] && [ -n "$(apt-cache policy nginx-light 2>/dev/null \
         | sed -n 's/^ *Candidate: *//p' | grep -v '(none)')" ]; then
      missing[$i]=nginx-light
    fi
  done
  echo "bench: installing ${missing[*]}"
  # apache2-bin, not apache2: the peers need the binary and modules, not a system service.
  # bench.py starts its own nginx with its own nginx.conf; the packaged service is not needed.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=300 "${missing[@]}" >/dev/null
fi

# The project: measure what is built; build it when it is not.
if [ ! -f "$build/module/mod_wsgid.so" ] || [ ! -f "$build/module/wsgid_python.so" ] \
   || [ ! -x "$build/module/wsgid-daemon" ] \
   || [ "${WSGID_BENCH_REBUILD:-0}" = 1 ]; then
  echo "bench: building mod_wsgid into $build"
  "$root/scripts/install-deps.sh"
  if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$root" -B "$build" -DWSGID_BUILD_TESTS=OFF >/dev/null
  fi
  cmake --build "$build" -j"$(nproc)" --target mod_wsgid wsgid_python
  # The launcher is only needed for the `wsgid run` variant: a failure skips that one.
  cmake --build "$build" -j"$(nproc)" --target wsgid \
    || echo "bench: launcher did not build; the wsgid-run server will be skipped"
fi

# Debian's python3, never a pyenv or virtualenv one that may come first on PATH.
exec /usr/bin/python3 "$root/bench/bench.py" --build-dir "$build" "$@"
