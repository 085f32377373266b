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
import re
import signal
import socket
import struct
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


# Started as root, the launcher runs as www-data so every process shares that one uid; started
# unprivileged (the container stage), everything already runs as the test's own uid.
ONE_UID = "www-data" if os.geteuid() == 0 else None


def daemon_sockets(under: Path) -> list[str]:
    """Every listening UNIX socket below `under`, found as an attacker finds them: in
    /proc/net/unix, which any process may read. Which one is B's does not matter: every one of
    them is attacked."""
    paths = []
    for line in Path("/proc/net/unix").read_text().splitlines()[1:]:
        fields = line.split()
        listening = len(fields) >= 8 and int(fields[3], 16) & 0x10000
        if listening and fields[7].startswith(f"{under}/"):
            paths.append(fields[7])
    assert paths, f"no daemon socket below {under}"
    return sorted(set(paths))


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


HELLO_PREFIX = bytes.fromhex("01000000280000005753474404000000")  # Hello frame, version 4


def memory_regions(pid: int):
    """(start, end) of the process's private writable mappings: heap, stacks, anonymous and
    data segments, where a secret made at run time can be."""
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        fields = line.split()
        if fields[1].startswith("rw") and not (len(fields) > 5 and fields[5].startswith("[v")):
            start, end = (int(x, 16) for x in fields[0].split("-"))
            yield start, end


def memory_holds(pid: int, needles: list[bytes]) -> dict[bytes, bool]:
    found = dict.fromkeys(needles, False)
    with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for start, end in memory_regions(pid):
            try:
                mem.seek(start)
                data = mem.read(end - start)
            except OSError:
                continue
            for n in needles:
                found[n] = found[n] or n in data
    return found


def hello_secrets(pid: int) -> set[bytes]:
    """The secrets in every Hello frame in the process's memory."""
    secrets = set()
    with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for start, end in memory_regions(pid):
            try:
                mem.seek(start)
                data = mem.read(end - start)
            except OSError:
                continue
            at = data.find(HELLO_PREFIX)
            while at >= 0:
                secrets.add(data[at + len(HELLO_PREFIX):at + len(HELLO_PREFIX) + 32])
                at = data.find(HELLO_PREFIX, at + 1)
    return secrets


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to read the processes' memory")
def test_each_daemon_holds_only_its_own_groups_secret(sites):
    worker = sites.worker_pids()[0]
    secrets = hello_secrets(worker)
    assert len(secrets) == 2, "a worker holds one secret per daemon group"
    a_pid, b_pid = sites.daemon_pids("a")[0], sites.daemon_pids("b")[0]
    held = {pid: {s for s, there in memory_holds(pid, list(secrets)).items() if there}
            for pid in (a_pid, b_pid)}
    counts = {pid: len(found) for pid, found in held.items()}
    assert counts == {a_pid: 1, b_pid: 1}, f"secrets held per daemon: {counts}"
    assert held[a_pid] != held[b_pid], "both daemons hold the same secret"


def attack_from_app(get, host: str, sockets: list[str], marker: str) -> list[dict]:
    results = []
    for path in sockets:
        r = get(f"/?socket={quote(path)}&script={quote(marker)}", host=host)
        assert r.status == 200, r.body
        results += json.loads(r.body)
    return results


def test_another_sites_app_cannot_run_requests_in_b(sites):
    b_pid = sites.daemon_pids("b")[0]
    a_pid = int(sites.get("/pid", host="a.test").body)
    results = attack_from_app(sites.get, "a.test", daemon_sockets(sites.tmp),
                              str(sites.apps / "import_marker.wsgi"))
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
    """Whoever can write the socket directory could bind its own listeners at the daemons'
    paths to collect what workers send there; the worker checks who listens before sending."""
    fakes = []
    for path in daemon_sockets(sites.tmp):
        os.unlink(path)
        fake = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        fake.bind(path)
        os.chmod(path, 0o777)
        fake.listen(16)
        fake.setblocking(False)
        fakes.append(fake)
    try:
        # Chunked: such a request never takes a pooled connection, so the worker connects anew.
        raw = hh.raw_exchange(sites.port, b"POST / HTTP/1.1\r\nHost: b.test\r\n"
                              b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                              b"5\r\nhello\r\n0\r\n\r\n")
        assert raw.startswith(b"HTTP/1.1 503"), raw[:200]
        reached = 0
        for fake in fakes:
            try:
                conn, _ = fake.accept()
            except BlockingIOError:
                continue
            reached += 1
            conn.settimeout(10)
            assert conn.recv(4096) == b"", "the worker sent bytes to a socket httpd does not hold"
            conn.close()
        assert reached == 1
    finally:
        for fake in fakes:
            fake.close()
    sites.wait_log(f"WSGID0150: the socket {sites.tmp}/", "b_error.log")
    sites.wait_log(f"of daemon group 'b' is held by pid {os.getpid()}, not by httpd (pid "
                   f"{sites.pid}) that created it", "b_error.log")


def test_the_forged_requests_speak_todays_hello_version():
    """The attacks here and in tests/container/test_isolation.sh send forged_request.VERSION: a
    protocol bump that leaves it behind would test an old layout the daemon refuses for its
    version, not for its missing secret."""
    header = (Path(__file__).resolve().parents[2] / "contract" / "wire_protocol.hpp").read_text()
    found = re.search(r"inline constexpr std::uint16_t kVersion = (\d+);", header)
    assert found, "contract/wire_protocol.hpp no longer declares kVersion"
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "apps"))
    try:
        import forged_request
    finally:
        sys.path.pop(0)
    assert forged_request.VERSION == int(found.group(1))
    assert HELLO_PREFIX[8:14] == struct.pack("<IH", forged_request.MAGIC, forged_request.VERSION)


def run_client(user: str | None, socket_path: str, script: str) -> tuple[int, list[dict]]:
    """Runs forged_request.py outside httpd, as `user` (None: as the test, which is then
    httpd's uid too)."""
    client = Path(__file__).resolve().parents[1] / "apps" / "forged_request.py"
    code = ("import os,sys,json; sys.path.insert(0, sys.argv[1]); import forged_request as f; "
            "print(os.getpid()); print(json.dumps(f.attack(sys.argv[2], sys.argv[3])))")
    prefix = []
    if user is not None:
        pw = pwd.getpwnam(user)
        prefix = ["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--clear-groups"]
    out = subprocess.run(prefix + ["/usr/bin/python3", "-c", code, str(client.parent),
                                   socket_path, script],
                         capture_output=True, text=True, timeout=60, check=True)
    pid_line, results = out.stdout.splitlines()[:2]
    return int(pid_line), json.loads(results)


def test_a_local_process_of_the_httpd_user_is_refused(sites):
    b_pid = sites.daemon_pids("b")[0]
    user = pwd.getpwuid(hh.uid_of(b_pid)).pw_name if os.geteuid() == 0 else None
    pids = []
    for path in daemon_sockets(sites.tmp):
        pid, results = run_client(user, path, str(sites.apps / "import_marker.wsgi"))
        assert all(x["connected"] for x in results), results
        assert_refused(results)
        pids.append(pid)
    hh.poll(lambda: any(f"WSGID0541: daemon group b pid {b_pid} refused a connection from pid "
                        f"{pid} uid {hh.uid_of(b_pid)}: it is not an httpd worker"
                        in sites.read_log("b_error.log") for pid in pids),
            10, what="WSGID0541 in b's log")
    assert imported(sites.tmp) == []
    assert sites.get("/", host="b.test").status == 200


# b logs each worker connection it accepts (at debug), so the test knows which workers it has
# already checked and remembers (docs/security.md: a worker is read from /proc once, then known
# by its pidfd while it lives).
DEBUG_B_CONF = CONF.replace("  WSGIChunkedRequest On\n", "  WSGIChunkedRequest On\n  LogLevel debug\n")


NS_LAST_PID = Path("/proc/sys/kernel/ns_last_pid")


def why_pids_cannot_be_chosen() -> str | None:
    """None where this process may set the kernel's last pid (root with CAP_SYS_ADMIN and a
    writable /proc/sys: not in an unprivileged container), else why not. Writing back the value
    just read changes nothing but where the next search for a free pid starts."""
    try:
        NS_LAST_PID.write_text(NS_LAST_PID.read_text())
    except OSError as e:
        return f"cannot choose a process's pid here ({NS_LAST_PID}: {e.strerror})"
    return None


def run_client_as_pid(pid: int, user: str, socket_path: str, script: str) -> list[dict] | None:
    """run_client() in a process numbered `pid` (a free number): the kernel's last pid is set
    to pid - 1 just before the fork. None when other processes kept taking the number first."""
    for _ in range(30):
        NS_LAST_PID.write_text(str(pid - 1))
        got, results = run_client(user, socket_path, script)
        if got == pid:
            return results
    return None


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to choose a process's pid "
                    "(/proc/sys/kernel/ns_last_pid)")
def test_a_process_given_a_dead_workers_pid_is_checked_as_a_stranger(httpd_factory, flavour):
    if why := why_pids_cannot_be_chosen():
        pytest.skip(why)
    server = httpd_factory(DEBUG_B_CONF, flavour)
    server.wait_ok("/", host="b.test")
    b_pid = server.daemon_pids("b")[0]
    uid = hh.uid_of(b_pid)

    def remembered_worker():
        server.get("/", host="b.test")  # a new client connection: some worker serves it
        log = server.read_log("b_error.log")
        return next((w for w in server.worker_pids()
                     if f"connection from worker pid {w} uid {uid}" in log), None)

    worker = hh.poll(remembered_worker, 30, what="a worker connection in b's debug log")
    workers = len(server.worker_pids())
    os.kill(worker, signal.SIGKILL)
    hh.poll(lambda: not Path(f"/proc/{worker}").exists(), 30, what=f"worker {worker} reaped")
    # httpd's replacement is forked before the pid counter is rewound, so it cannot take the
    # number (ctest runs this file alone for the same reason: RUN_SERIAL).
    hh.poll(lambda: len(server.worker_pids()) >= workers, 30, what="the worker replaced")
    # The worker's number, now held by a local process of the httpd user: b checked that pid
    # once and must not take this process for it.
    user = pwd.getpwuid(uid).pw_name
    for path in daemon_sockets(server.tmp):
        results = run_client_as_pid(worker, user, path, str(server.apps / "import_marker.wsgi"))
        if results is None:
            pytest.skip(f"pid {worker} kept being taken by other processes")
        assert_refused(results)
    hh.poll(lambda: f"WSGID0541: daemon group b pid {b_pid} refused a connection from pid "
            f"{worker} uid {uid}: it is not an httpd worker" in server.read_log("b_error.log"),
            10, what=f"WSGID0541 for pid {worker} in b's log")
    assert imported(server.tmp) == []
    assert server.get("/", host="b.test").status == 200


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run a client as nobody")
def test_nobody_cannot_even_connect(sites):
    for path in daemon_sockets(sites.tmp):
        _, results = run_client("nobody", path, str(sites.apps / "import_marker.wsgi"))
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

@pytest.fixture
def launched_one_uid(flavour):
    """`wsgid run` with every process of one non-root uid: the container's layout, where no
    uid tells the sites apart."""
    tmp = hh.make_tmp()
    (tmp / "logs").mkdir()
    (tmp / "site.toml").write_text(PROFILE.replace("@TMP@", str(tmp)))
    if ONE_UID is not None:
        pw = pwd.getpwnam(ONE_UID)
        for root, dirs, files in os.walk(tmp):
            for name in [root, *(os.path.join(root, f) for f in files)]:
                os.chown(name, pw.pw_uid, pw.pw_gid)
    run = lh.Launched(tmp=tmp, profile=tmp / "site.toml", user=ONE_UID)
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


def test_under_wsgid_run_with_one_uid_neither_a_nor_a_local_process_gets_in(launched_one_uid):
    run = launched_one_uid
    b_pid = run.daemon_pids("b")[0]
    a_pid = int(run.get("/pid", host="a.localhost").body)
    assert hh.uid_of(a_pid) == hh.uid_of(b_pid) != 0
    sockets = daemon_sockets(run.tmp)
    marker = str(run.tmp / "apps" / "import_marker.wsgi")
    results = attack_from_app(run.get, "a.localhost", sockets, marker)
    assert all(x["connected"] for x in results), results
    assert_refused(results)
    b_log = run.tmp / "logs" / "b_error.log"
    hh.poll(lambda: f"WSGID0540: daemon group b pid {b_pid} refused a connection from pid "
            f"{a_pid}" in b_log.read_text(), 10, what="WSGID0540 in b's log")
    pids = []
    for path in sockets:
        pid, results = run_client(ONE_UID, path, marker)
        assert_refused(results)
        pids.append(pid)
    hh.poll(lambda: any(f"WSGID0541: daemon group b pid {b_pid} refused a connection from pid "
                        f"{pid}" in b_log.read_text() for pid in pids),
            10, what="WSGID0541 in b's log")
    assert imported(run.tmp) == []
    assert run.get("/", host="b.localhost").status == 200


def test_with_one_uid_a_local_process_cannot_read_a_workers_memory(launched_one_uid):
    """Workers hold every group's connection secret. With one uid for everything, a process of
    that uid outside any sandbox (a cron job, a shell) must not read a worker's memory, fds or
    environ: workers are made non-dumpable, so their /proc entries belong to root."""
    run = launched_one_uid
    workers = hh.poll(lambda: run.worker_pids() or None, 10, what="a worker child")
    probe = ("import sys\n"
             "for name in ('mem', 'environ', 'fd'):\n"
             "    path = f'/proc/{sys.argv[1]}/{name}'\n"
             "    try:\n"
             "        if name == 'fd':\n"
             "            __import__('os').listdir(path)\n"
             "        else:\n"
             "            open(path, 'rb').close()  # opening is what ptrace_may_access guards\n"
             "        print(name, 'readable')\n"
             "    except PermissionError:\n"
             "        print(name, 'refused')\n")
    prefix = []
    if ONE_UID is not None:
        pw = pwd.getpwnam(ONE_UID)
        prefix = ["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--clear-groups"]
    for pid in workers:
        out = subprocess.run(prefix + ["/usr/bin/python3", "-c", probe, str(pid)],
                             capture_output=True, text=True, timeout=30, check=True).stdout
        assert out.split() == ["mem", "refused", "environ", "refused", "fd", "refused"], (pid, out)
