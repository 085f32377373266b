#!/usr/bin/env bash
# Two sites in the image as its default user, uid 10001 (every process one uid, so no file mode
# tells the sites apart): code in site A's app attacks site B, and so does a process `docker
# exec`'d into the container as uid 10001. A tries B's daemon socket with a forged request
# (REMOTE_USER=admin, a script of A's choosing), B's env file, site conf, httpd.conf, seccomp
# filter, log, app and data file, B's temp dir, SIGSTOP/SIGKILL to B's daemon, a worker, httpd
# and the launcher (PID 1), B's and a worker's /proc entries, B's abstract socket, and silent
# connections. Every attempt must be refused, B's log must name the refused peers with their
# codes (WSGID0540 for A, WSGID0541 for the exec'd process, WSGID0542 for silence), nothing A
# named may be imported, and B must still serve, as the same process, afterwards
# (docs/security.md). One container, all attacks in one pass.
source "$(dirname "$0")/lib.sh"

cid=""
trap 'remove_container "$cid"' EXIT
started=$(now_ms)

# --- the two sites: A's app and the attack code beside it, B's app and its file ---------------
site=$scratch/isolation
rm -rf "$site"
mkdir -p "$site/a" "$site/b" "$site/logs"
cp "$here/isolation/attacker.wsgi" "$here/isolation/forged_import.wsgi" \
  "$repo/tests/apps/forged_request.py" "$site/a/"
cp "$repo/tests/apps/isolation_probe.wsgi" "$site/a/isolation_probe.py"
cp "$here/isolation/victim.wsgi" "$here/isolation/secret.txt" "$site/b/"
chmod -R a+rX "$site/a" "$site/b"
chown 10001:10001 "$site/logs"
b_env_secret=$(sed -n 's/^env = { SECRET = "\(.*\)" }$/\1/p' "$here/isolation/site.toml")
b_file_secret=$(cat "$here/isolation/secret.txt")
[ -n "$b_env_secret" ] || fail "no SECRET in isolation/site.toml"

cid=$(start_container --read-only --tmpfs /tmp \
  -v "$here/isolation/site.toml:/etc/wsgid/site.toml:ro" \
  -v "$site/a:/srv/a:ro" -v "$site/b:/srv/b:ro" -v "$site/logs:/var/log/wsgid")
wait_serving "$cid" /pid a.localhost 30
wait_serving "$cid" /pid b.localhost 30
port=$(published_port "$cid")
# get HOST PATH [CURL OPTION...]
get() {
  local host=$1 path=$2
  shift 2
  curl -sf -m 30 -H "Host: $host" "$@" "http://127.0.0.1:$port$path"
}
in_container() { $DOCKER exec "$cid" bash -c "$1"; }

# A weaker sandbox would make every check below fail for a reason these name first.
if grep -E 'WSGID022[56]' <<<"$($DOCKER logs "$cid" 2>&1)"; then
  fail "Landlock (ABI 6: signal and abstract-socket scopes) is not available in the container"
fi
[ "$(in_container 'id -u')" = 10001 ] || fail "docker exec does not run as uid 10001"
a_pid=$(get a.localhost /pid)
b_pid=$(get b.localhost /pid)
[ "$(get b.localhost /secret)" = "$b_env_secret $b_file_secret" ] || fail "B does not see its secrets"
[ "$(get b.localhost /abstract)" = connected ] || fail "B cannot reach its own abstract socket"

# --- what there is to attack, found as a local process of uid 10001 finds it -------------------
out=$(in_container 'for d in /tmp/wsgid-*; do [ -e "$d/httpd.conf" ] && echo "$d"; done; true')
[ -n "$out" ] && [ "$(wc -l <<<"$out")" = 1 ] || fail "expected one render directory, found: ${out:-none}"
# Every listening UNIX socket in the render directory (/proc/net/unix: readable by anyone).
mapfile -t sockets < <(in_container "while read -r _ _ _ flags _ _ _ path; do
    [[ \$path == $out/* ]] && (( 0x\$flags & 0x10000 )) && echo \"\$path\"; done </proc/net/unix | sort -u")
[ "${#sockets[@]}" -ge 2 ] || fail "daemon sockets in $out: ${sockets[*]:-none}"
httpd_pid=$(in_container "read -r _ _ _ ppid _ </proc/$b_pid/stat && echo \$ppid")
worker_pid=$(in_container "for s in /proc/[0-9]*/stat; do read -r pid _ _ ppid _ 2>/dev/null <\$s || continue
    [ \$ppid = $httpd_pid ] && [ \$pid != $a_pid ] && [ \$pid != $b_pid ] && echo \$pid; done | head -n1")
[ -n "$worker_pid" ] || fail "no worker child of httpd ($httpd_pid)"
echo "A's daemon $a_pid, B's daemon $b_pid, httpd $httpd_pid, a worker $worker_pid; render dir $out"

# --- site A's app attacks: one request, one line a crossing -----------------------------------
EACCES='err:PermissionError:13'
EPERM='err:PermissionError:1'
# forged_request.VERSION is today's Hello (a guessed secret); 2 is the layout before secrets.
hello_version=$(python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import forged_request as f
print(f.VERSION)' "$repo/tests/apps")
NO_REPLY="v$hello_version connected=True reply= [^|]*\\| v2 connected=True reply= [^|]*"
plan=$scratch/isolation-plan.tsv
{
  for s in "${sockets[@]}"; do
    printf '%s\t%s\t%s\t%s\n' "forged request to $s" socket "$s:/srv/a/forged_import.wsgi" "$NO_REPLY"
  done
  while IFS='|' read -r what op arg expected; do
    printf '%s\t%s\t%s\t%s\n' "$what" "$op" "$arg" "$expected"
  done <<EOF
read B's env file|read|$out/sites/b.env|$EACCES
read B's site conf|read|$out/sites/b.conf|$EACCES
read httpd.conf|read|$out/httpd.conf|$EACCES
read B's seccomp filter|read|$out/seccomp/b.bpf|$EACCES
list the render directory|list|$out|$EACCES
list B's TMPDIR|list|$out/tmp/b|$EACCES
write into B's TMPDIR|write|$out/tmp/b/planted.py|$EACCES
read B's log|read|/var/log/wsgid/b.log|$EACCES
read B's app|read|/srv/b/victim.wsgi|$EACCES
read B's file|read|/srv/b/secret.txt|$EACCES
list B's app directory|list|/srv/b|$EACCES
read the profile|read|/etc/wsgid/site.toml|$EACCES
read B's /proc environ|read|/proc/$b_pid/environ|$EACCES
read B's /proc mem|read|/proc/$b_pid/mem|$EACCES
read B's /proc maps|read|/proc/$b_pid/maps|$EACCES
list B's /proc fd|list|/proc/$b_pid/fd|$EACCES
read a worker's /proc environ|read|/proc/$worker_pid/environ|$EACCES
read a worker's /proc mem|read|/proc/$worker_pid/mem|$EACCES
connect to B's abstract socket|abstract|wsgid-ci-victim-b|$EPERM
SIGSTOP B's daemon|kill|$b_pid:19|$EPERM
SIGKILL B's daemon|kill|$b_pid:9|$EPERM
SIGSTOP a worker|kill|$worker_pid:19|$EPERM
SIGKILL a worker|kill|$worker_pid:9|$EPERM
SIGSTOP httpd|kill|$httpd_pid:19|$EPERM
SIGKILL httpd|kill|$httpd_pid:9|$EPERM
SIGSTOP the launcher (PID 1)|kill|1:19|$EPERM
SIGKILL the launcher (PID 1)|kill|1:9|$EPERM
EOF
} >"$plan"
silent_plan=$scratch/isolation-silent.tsv
# Closed, not answered, and not at once: a daemon closes a connection that owes its Hello 5 s
# after accepting it, on its next sweep (at most 5 s later); a busy machine adds to that.
closed='closed after ([4-9]|[1-4][0-9])\.[0-9] s'
printf 'silent connections\tsilent\t%s\t%s\n' "${sockets[*]}" "ok:$closed( \| $closed)*" \
  >"$silent_plan"

# The silent connections wait out the daemons' Hello timeout beside everything else.
get a.localhost /attack --data-binary "@$silent_plan" -m 60 >"$scratch/isolation-silent.json" &
silent_curl=$!
get a.localhost /attack --data-binary "@$plan" >"$scratch/isolation-report.json" || {
  tail -n 20 "$site/logs/a.log" >&2
  fail "site A's attack request failed: did a signal it sent stop the worker serving it?"
}

# --- a local process of uid 10001: docker exec; the image has no Python, so perl sends the
# bytes forged_request.py builds (it is not a child of httpd, and holds no secret) ------------
client='use Socket; $SIG{PIPE} = "IGNORE"; print "$$\n"; binmode STDIN; local $/; my $req = <STDIN>;
socket(my $s, AF_UNIX, SOCK_STREAM, 0) or die "socket: $!\n";
connect($s, pack_sockaddr_un($ARGV[0])) or do { print "connect failed: $!\n"; exit 0 };
my $reply = ""; $SIG{ALRM} = sub { print "reply=", unpack("H*", $reply), " (still open)\n"; exit 0 };
alarm 8; syswrite($s, $req); while (sysread($s, my $buf, 4096)) { $reply .= $buf }
print "reply=", unpack("H*", $reply), "\n";'
# What forged_request.attempt() sends: Hello of VERSION (a guessed secret), the request for the
# script A names, request end.
forged_bytes() {
  python3 - "$1" "$repo/tests/apps" <<'PY'
import sys
sys.path.insert(0, sys.argv[2])
import forged_request as f
sys.stdout.buffer.write(f.hello(int(sys.argv[1])) + f.frame(f.REQUEST_HEAD, f.pairs(
    f.environ("/srv/a/forged_import.wsgi"))) + f.frame(f.REQUEST_END))
PY
}
exec_pids=()
for s in "${sockets[@]}"; do
  for version in "$hello_version" 2; do
    result=$(forged_bytes "$version" | $DOCKER exec -i "$cid" perl -e "$client" "$s")
    exec_pids+=("$(head -n1 <<<"$result")")
    [ "$(sed -n 2p <<<"$result")" = "reply=" ] ||
      fail "docker exec'd process, protocol $version, $s: $(tail -n +2 <<<"$result")"
  done
done
ok "a process docker exec'd as uid 10001 connects to each daemon socket and gets no reply"

wait "$silent_curl" || fail "site A's silent-connection request failed"
reports=("$scratch/isolation-report.json" "$scratch/isolation-silent.json")
cat "$plan" "$silent_plan" >"$plan.all"
python3 "$here/isolation/check_report.py" "$plan.all" "${reports[@]}" ||
  fail "site A's app crossed into site B (the lines above say where)"
for secret in "$b_env_secret" "$b_file_secret"; do
  ! grep -qF "$secret" "${reports[@]}" || fail "B's secret reached A: $secret"
done
ok "site A's app: $(wc -l <"$plan.all") crossings into B, httpd and the launcher, each refused"

# --- B is unharmed and says who knocked --------------------------------------------------------
[ "$(get b.localhost /pid)" = "$b_pid" ] || fail "B's daemon is not the same process any more"
[ "$(get b.localhost /secret)" = "$b_env_secret $b_file_secret" ] || fail "B lost its secrets"
[ "$(in_container "read -r _ _ state _ </proc/$b_pid/stat && echo \$state")" != T ] ||
  fail "B's daemon is stopped"
[ "$($DOCKER inspect -f '{{.State.Running}}' "$cid")" = true ] || fail "the container stopped"
b_log=$site/logs/b.log
expect_in_b_log() {
  grep -qE -- "$1" "$b_log" || { tail -n 30 "$b_log" >&2; fail "no line in B's log matching: $1"; }
}
refused="daemon group b pid $b_pid refused a connection from pid"
expect_in_b_log "WSGID0540: $refused $a_pid uid 10001: its Hello does not prove this group's secret"
expect_in_b_log "$refused $a_pid uid 10001: it speaks protocol version 2"
expect_in_b_log "WSGID0542: $refused $a_pid uid 10001: it sent no Hello within 5 s"
expect_in_b_log "WSGID0541: $refused ($(IFS='|'; echo "${exec_pids[*]}")) uid 10001: it is not an httpd worker"
! grep -q "FORGED SCRIPT IMPORTED" "$site"/logs/*.log || fail "a daemon imported the script A named"
ok "B still serves as pid $b_pid with its secrets; its log names A's pid (WSGID0540, WSGID0542) and the exec'd pids (WSGID0541); nothing A named was imported"
echo "isolation: container start to last check $(( $(now_ms) - started )) ms"
