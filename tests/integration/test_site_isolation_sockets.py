"""Daemon sockets accept only httpd's own workers (docs/security.md, "Daemon connections").

Site A's app, a local process of the httpd user and one of `nobody` each find site B's daemon
socket and send it a well-formed request with a forged environ (REMOTE_USER=admin, a
SCRIPT_FILENAME of their choosing). B's app must not answer, B's error log must name the refused
peer with a code, and the forged script must never be imported. Requests from the workers keep
working. wsgid only: mod_wsgi speaks another protocol on its sockets.
"""

import json
import os
import pwd
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

import httpd_harness as hh
import launcher_harness as lh

CONF = """
WSGIRestrictEmbedded On
<VirtualHost *:@PORT@>
  ServerName a.test
  ErrorLog @TMP@/a_error.log
  WSGIDaemonProcess a processes=1 threads=2 display-name=%{GROUP}
  WSGIScriptAlias / @APPS@/socket_attack.wsgi process-group=a application-group=%{GLOBAL}
</VirtualHost>
<VirtualHost *:@PORT@>
  ServerName b.test
  ErrorLog @TMP@/b_error.log
  WSGIDaemonProcess b processes=1 threads=2 display-name=%{GROUP}
  WSGIScriptAlias / @APPS@/hello.wsgi process-group=b application-group=%{GLOBAL}
  WSGIChunkedRequest On
</VirtualHost>
"""

pytestmark = pytest.mark.wsgid_only("mod_wsgi's daemon sockets speak another protocol")


def listening_socket_path(pid: int) -> str:
    """The path of the UNIX socket a daemon listens on, found as an attacker would: its inode
    in /proc/net/unix (the test reads the daemon's fds as root to pick the right one)."""
    inodes = {t[len("socket:["):-1] for t in hh.open_fds(pid).values() if t.startswith("socket:[")}
    for line in Path("/proc/net/unix").read_text().splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 8 and fields[6] in inodes and fields[7].startswith("/"):
            return fields[7]
    raise hh.HarnessError(f"no listening UNIX socket with a path in daemon {pid}")


def assert_refused(results: list[dict]):
    for r in results:
        assert r["reply"] == "", f"the daemon answered a forged request: {r}"


def imported(tmp: Path) -> list[str]:
    return [p.name for p in (tmp / "scratch").glob("imported-by-*")]


@pytest.fixture
def sites(httpd_factory, flavour):
    server = httpd_factory(CONF, flavour)
    server.wait_ok("/pid", host="a.test")
    server.wait_ok("/", host="b.test")
    return server


def test_another_sites_app_cannot_run_requests_in_b(sites):
    b_pid = sites.daemon_pids("b")[0]
    socket_path = listening_socket_path(b_pid)
    marker = str(sites.apps / "import_marker.wsgi")
    a_pid = int(sites.get("/pid", host="a.test").body)
    r = sites.get(f"/?socket={quote(socket_path)}&script={quote(marker)}", host="a.test")
    assert r.status == 200, r.body
    results = json.loads(r.body)
    assert all(x["connected"] for x in results), results  # the uid check alone lets A in
    assert_refused(results)
    uid = hh.uid_of(a_pid)
    sites.wait_log(f"WSGID0540: daemon group b pid {b_pid} refused a connection from pid "
                   f"{a_pid} uid {uid}: its Hello does not prove this group's secret",
                   "b_error.log")
    sites.wait_log(f"refused a connection from pid {a_pid} uid {uid}: it speaks protocol "
                   "version 2", "b_error.log")
    assert imported(sites.tmp) == []
    # B's workers still get through, on the same daemon.
    assert sites.get("/", host="b.test").status == 200
    assert sites.daemon_pids("b") == [b_pid]


def test_a_process_that_replaces_the_socket_file_is_sent_no_secret(sites):
    """Whoever can write the socket directory could bind its own listener at B's path to collect
    what workers send there; the worker checks who listens before sending anything."""
    b_pid = sites.daemon_pids("b")[0]
    path = listening_socket_path(b_pid)
    os.unlink(path)
    fake = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    fake.bind(path)
    os.chmod(path, 0o777)
    fake.listen(16)
    fake.settimeout(20)
    try:
        # Chunked: such a request never takes a pooled connection, so the worker connects anew.
        raw = hh.raw_exchange(sites.port, b"POST / HTTP/1.1\r\nHost: b.test\r\n"
                              b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                              b"5\r\nhello\r\n0\r\n\r\n")
        assert raw.startswith(b"HTTP/1.1 503"), raw[:200]
        conn, _ = fake.accept()
        conn.settimeout(10)
        assert conn.recv(4096) == b"", "the worker sent bytes to a socket httpd does not hold"
        conn.close()
    finally:
        fake.close()
    sites.wait_log(f"WSGID0150: the socket {path} of daemon group 'b' is held by pid "
                   f"{os.getpid()}, not by httpd (pid {sites.pid})", "b_error.log")


def run_client_as(user: str, socket_path: str, script: str) -> tuple[int, list[dict]]:
    pw = pwd.getpwnam(user)
    client = Path(__file__).resolve().parents[1] / "apps" / "forged_request.py"
    code = ("import os,sys,json; sys.path.insert(0, sys.argv[1]); import forged_request as f; "
            "print(os.getpid()); print(json.dumps(f.attack(sys.argv[2], sys.argv[3])))")
    out = subprocess.run(
        ["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--clear-groups",
         "/usr/bin/python3", "-c", code, str(client.parent), socket_path, script],
        capture_output=True, text=True, timeout=60, check=True)
    pid_line, results = out.stdout.splitlines()[:2]
    return int(pid_line), json.loads(results)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run clients as other users")
def test_a_local_process_of_the_httpd_user_is_refused(sites):
    b_pid = sites.daemon_pids("b")[0]
    socket_path = listening_socket_path(b_pid)
    user = pwd.getpwuid(hh.uid_of(b_pid)).pw_name
    pid, results = run_client_as(user, socket_path, str(sites.apps / "import_marker.wsgi"))
    assert_refused(results)
    sites.wait_log(f"WSGID0541: daemon group b pid {b_pid} refused a connection from pid {pid} "
                   f"uid {hh.uid_of(b_pid)}: it is not an httpd worker", "b_error.log")
    assert imported(sites.tmp) == []
    assert sites.get("/", host="b.test").status == 200


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run clients as other users")
def test_nobody_cannot_even_connect(sites):
    socket_path = listening_socket_path(sites.daemon_pids("b")[0])
    _, results = run_client_as("nobody", socket_path, str(sites.apps / "import_marker.wsgi"))
    assert not any(x["connected"] for x in results), results
    assert all("PermissionError" in x.get("error", "") for x in results), results
    assert imported(sites.tmp) == []


PROFILE = """
[server]
listen = "127.0.0.1:8080"
logs = "@TMP@/logs"

[[site]]
name = "a"
server_name = "a.localhost"
app = "@TMP@/apps/socket_attack.wsgi"
error_log = "@TMP@/logs/a_error.log"
daemon = { processes = 1, threads = 2 }
sandbox = { allow = ["@network-io"] }

[[site]]
name = "b"
server_name = "b.localhost"
app = "@TMP@/apps/hello.wsgi"
error_log = "@TMP@/logs/b_error.log"
daemon = { processes = 1, threads = 2 }
"""

# The container's layout: everything runs as one non-root uid, so no uid tells sites apart.
LAUNCH_USER = "www-data"


@pytest.fixture
def launched_non_root(flavour):
    if os.geteuid() != 0:
        pytest.skip("needs root to start wsgid run as another user")
    tmp = hh.make_tmp()
    pw = pwd.getpwnam(LAUNCH_USER)
    (tmp / "logs").mkdir()
    (tmp / "site.toml").write_text(PROFILE.replace("@TMP@", str(tmp)))
    for root, dirs, files in os.walk(tmp):
        for name in dirs + files:
            os.chown(os.path.join(root, name), pw.pw_uid, pw.pw_gid)
    os.chown(tmp, pw.pw_uid, pw.pw_gid)
    run = lh.Launched(tmp=tmp, profile=tmp / "site.toml",
                      user=LAUNCH_USER)
    try:
        run.start()
        run.wait_ok("/pid", host="a.localhost")
        run.wait_ok("/", host="b.localhost")
        yield run
    finally:
        try:
            run.stop()
        finally:
            hh.shutil.rmtree(tmp, ignore_errors=True)


def test_under_wsgid_run_as_non_root_neither_a_nor_a_local_process_gets_in(launched_non_root):
    run = launched_non_root
    b_pid = run.daemon_pids("b")[0]
    a_pid = int(run.get("/pid", host="a.localhost").body)
    assert hh.uid_of(a_pid) == hh.uid_of(b_pid) == pwd.getpwnam(LAUNCH_USER).pw_uid
    socket_path = listening_socket_path(b_pid)
    marker = str(run.tmp / "apps" / "import_marker.wsgi")
    r = run.get(f"/?socket={quote(socket_path)}&script={quote(marker)}", host="a.localhost")
    assert r.status == 200, r.body
    results = json.loads(r.body)
    assert all(x["connected"] for x in results), results
    assert_refused(results)
    b_log = run.tmp / "logs" / "b_error.log"
    hh.poll(lambda: f"WSGID0540: daemon group b pid {b_pid} refused a connection from pid "
            f"{a_pid}" in b_log.read_text(), 10, what="WSGID0540 in b's log")
    pid, results = run_client_as(LAUNCH_USER, socket_path, marker)
    assert_refused(results)
    hh.poll(lambda: f"WSGID0541: daemon group b pid {b_pid} refused a connection from pid {pid}"
            in b_log.read_text(), 10, what="WSGID0541 in b's log")
    assert imported(run.tmp) == []
    assert run.get("/", host="b.localhost").status == 200
