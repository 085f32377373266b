#!/bin/sh
# Derives the syscalls a CPython 3.11 WSGI daemon needs: serves each app in derive/ through
# wsgiref under strace, sends a bounded set of requests, and prints the union of syscall names
# (one per line, sorted). Per-app lists go to $OUT (default: a temp dir). See docs/sandbox.md.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-$(mktemp -d /tmp/wsgid-derive.XXXXXX)}
python=/usr/bin/python3
command -v strace >/dev/null || { echo "derive: strace is not installed (apt-get install -y strace)" >&2; exit 2; }

run_app() {
  app=$1; shift
  port_file="$out/$app.port"
  rm -f "$port_file"
  # -f follows threads; -qq hides attach noise; the trace file lists every call by name.
  strace -f -qq -e trace=all -o "$out/$app.trace" \
    "$python" "$here/derive/serve.py" "$app" "$port_file" "$#" &
  server=$!
  "$python" "$here/derive/client.py" "$port_file" "$@"
  wait "$server"
  # Lines look like "1234  name(args) = ret" or "1234  <... name resumed>".
  sed -n -e 's/^[0-9]* *\([a-z_0-9]*\)(.*/\1/p' -e 's/^[0-9]* *<\.\.\. \([a-z_0-9]*\) resumed>.*/\1/p' \
    "$out/$app.trace" | sort -u > "$out/$app.syscalls"
  echo "derive: $app: $(wc -l < "$out/$app.syscalls") syscalls" >&2
}

run_app app_hello / /post /
run_app app_stdlib / /
run_app app_file_wrapper / / /
run_app app_threads / / / /
run_app app_flask / /json?a=1 /post /
run_app app_django / /post /json /post
sort -u "$out"/*.syscalls
