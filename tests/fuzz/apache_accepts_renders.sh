#!/usr/bin/env bash
# Runs the profile fuzzer once over its corpus (seeds plus what fuzzing kept), keeping the
# first valid renders, and has httpd check each: what `wsgid check` accepts, httpd must too.
# usage: apache_accepts_renders.sh FUZZER CORPUS MODULE
set -euo pipefail
fuzzer=$1 corpus=$2 module=$(realpath "$3")
httpd=${WSGID_HTTPD:-$(command -v apache2 || echo /usr/sbin/apache2)}
renders=$(mktemp -d /tmp/wsgid-fuzz-renders-XXXXXX)
trap 'rm -rf "$renders"' EXIT
WSGID_FUZZ_RENDERS=$renders WSGID_FUZZ_MODULE=$module "$fuzzer" -runs=0 "$corpus" >/dev/null 2>&1
count=0 failed=0
for conf in "$renders"/*/httpd.conf; do
  [[ -e $conf ]] || continue
  count=$((count + 1))
  if ! output=$("$httpd" -t -f "$conf" 2>&1); then
    failed=$((failed + 1))
    echo "apache2 -t refused $conf:"
    echo "$output"
    cat "$conf" "$(dirname "$conf")"/sites/*.conf
  fi
done
echo "apache2 -t: $((count - failed)) of $count rendered configs accepted"
[[ $count -gt 0 && $failed -eq 0 ]]
