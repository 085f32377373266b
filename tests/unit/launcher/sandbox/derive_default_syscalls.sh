#!/bin/sh
# Two uses of the same set of real WSGI apps (derive/app_*.py, served by wsgiref on 127.0.0.1
# with a bounded number of requests):
#   derive_default_syscalls.sh
#       derives the syscalls a CPython 3.11 WSGI daemon needs: runs each app under strace and
#       prints the union of syscall names, one per line. Per-app lists go to $OUT.
#   derive_default_syscalls.sh --verify SANDBOX_EXEC [--after-startup] [sandbox_exec options...]
#       runs each app under the compiled filter (default: the "default" policy with action
#       kill, so any syscall outside it kills the app): from the first instruction, or with
#       --after-startup loaded by serve.py once the app is imported, as the daemon does.
# See docs/sandbox.md.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-$(mktemp -d /tmp/wsgid-derive.XXXXXX)}
python=/usr/bin/python3
mode=derive
if [ "${1:-}" = --verify ]; then
  mode=verify
  shift
  sandbox_exec=$1
  shift
  after_startup=
  if [ "${1:-}" = --after-startup ]; then
    after_startup=1
    shift
  fi
  [ $# -gt 0 ] || set -- --action kill
  wrap_args="$*"
  if [ -n "$after_startup" ]; then
    # shellcheck disable=SC2086
    "$sandbox_exec" $wrap_args --write "$out/filter.bpf"
  fi
elif ! command -v strace >/dev/null; then
  echo "derive: strace is not installed (apt-get install -y strace)" >&2
  exit 2
fi

run_app() {
  app=$1
  shift
  if ! "$python" -c "import sys; sys.path.insert(0, '$here/derive'); import $app" 2>/dev/null &&
     [ "$mode" = verify ]; then
    echo "verify: $app: SKIPPED (its framework is not installed for $python)" >&2
    return 0
  fi
  port_file="$out/$app.port"
  rm -f "$port_file"
  if [ "$mode" = derive ]; then
    # -f follows threads; -qq hides attach noise; the trace file lists every call by name.
    strace -f -qq -e trace=all -o "$out/$app.trace" \
      "$python" "$here/derive/serve.py" "$app" "$port_file" "$#" &
  elif [ -n "$after_startup" ]; then
    WSGID_FILTER_FILE="$out/filter.bpf" \
      "$python" "$here/derive/serve.py" "$app" "$port_file" "$#" &
  else
    # shellcheck disable=SC2086
    "$sandbox_exec" $wrap_args -- "$python" "$here/derive/serve.py" "$app" "$port_file" "$#" &
  fi
  server=$!
  if ! SERVER_PID=$server "$python" "$here/derive/client.py" "$port_file" "$@"; then
    kill "$server" 2>/dev/null || true
    wait "$server" || true
    echo "$mode: $app: FAILED (client)" >&2
    return 1
  fi
  if ! wait "$server"; then
    echo "$mode: $app: FAILED (server exit status $?)" >&2
    return 1
  fi
  if [ "$mode" = derive ]; then
    # Lines look like "1234  name(args) = ret" or "1234  <... name resumed>".
    sed -n -e 's/^[0-9]* *\([a-z_0-9]*\)(.*/\1/p' \
      -e 's/^[0-9]* *<\.\.\. \([a-z_0-9]*\) resumed>.*/\1/p' \
      "$out/$app.trace" | sort -u >"$out/$app.syscalls"
    echo "derive: $app: $(wc -l <"$out/$app.syscalls") syscalls" >&2
  else
    echo "verify: $app: ok" >&2
  fi
}

status=0
run_app app_hello / /post / || status=1
run_app app_stdlib / / || status=1
run_app app_file_wrapper / / / || status=1
run_app app_threads / / / / || status=1
run_app app_flask / /json?a=1 /post / || status=1
run_app app_django / /post /json /post || status=1
[ "$mode" = derive ] && sort -u "$out"/*.syscalls
rm -f "$out"/*.port "$out"/filter.bpf
exit $status
