#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and serves the example site on
# http://127.0.0.1:8080 in the foreground. Ctrl-C stops it (httpd drains its daemons first).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
build=${WSGID_BUILD_DIR:-$root/build}
listen=${WSGID_LISTEN:-127.0.0.1:8080}

run=$(mktemp -d /tmp/wsgid-example.XXXXXX)
chmod 0755 "$run"
trap 'rm -rf "$run"' EXIT
cp "$root/examples/hello/hello.wsgi" "$run/"
chmod 0644 "$run/hello.wsgi"
user_lines=""
if [ "$(id -u)" -eq 0 ]; then user_lines=$'User www-data\nGroup www-data'; fi
mods=/usr/lib/apache2/modules
cat >"$run/httpd.conf" <<CONF
ServerRoot $run
ServerName localhost
LoadModule mpm_event_module $mods/mod_mpm_event.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule wsgid_module $build/module/mod_wsgid.so
Listen $listen
PidFile $run/httpd.pid
DefaultRuntimeDir $run
Mutex file:$run
ErrorLog /dev/stderr
LogFormat "%h %l %u %t \"%r\" %>s %b %D" timed
CustomLog /dev/stdout timed
$user_lines
WSGIRestrictEmbedded On
WSGISocketPrefix $run/wsgi
WSGIDaemonProcess hello processes=2 threads=4 display-name=%{GROUP}
WSGIScriptAlias / $run/hello.wsgi process-group=hello application-group=%{GLOBAL}
CONF
echo "wsgid example: serving http://$listen/ (Ctrl-C to stop)"
apache2 -f "$run/httpd.conf" -DFOREGROUND
