#!/usr/bin/env bash
# Development reloader for compose/docker-compose.yml: polls a source tree and, when any file
# in it changes (added, removed, edited), asks the web container's PID 1 for a graceful restart.
# Runs in a container sharing web's process namespace and user, so PID 1 is web's.
#
#   watch.sh DIR [INTERVAL_SECONDS]
#
# Which signal: while the launcher hands over to httpd (httpd is PID 1), SIGUSR1 is httpd's
# graceful restart; once the launcher supervises httpd, SIGHUP asks it to re-read the profile
# and restart gracefully. Polling (not inotify) works on every bind mount, including Docker
# Desktop's, and costs one `find` per interval.
set -uo pipefail
dir=${1:?usage: watch.sh DIR [INTERVAL_SECONDS]}
interval=${2:-1}

snapshot() {
  find "$dir" -type f -not -name '*.pyc' -not -path '*/__pycache__/*' -printf '%P %s %T@\n' \
    2>/dev/null | sort | md5sum
}

reload_signal() {
  case $(cat /proc/1/comm 2>/dev/null) in
    apache2 | httpd) echo USR1 ;;
    *) echo HUP ;;
  esac
}

last=$(snapshot)
echo "watch: watching $dir every ${interval}s; PID 1 is $(cat /proc/1/comm 2>/dev/null || echo '?')"
while :; do
  sleep "$interval"
  now=$(snapshot)
  [ "$now" = "$last" ] && continue
  last=$now
  sig=$(reload_signal)
  if kill -s "$sig" 1 2>/dev/null; then
    echo "watch: change under $dir: sent SIG$sig to PID 1 ($(cat /proc/1/comm)) for a graceful restart"
  else
    echo "watch: cannot signal PID 1 (is this container sharing web's pid namespace and user?)" >&2
  fi
done
