"""Embedded mode (issue 5 item 1): with WSGIRestrictEmbedded Off, an application without a
daemon process group runs inside httpd's worker children, with the same PEP 3333 adapter."""

import hashlib
import json
import os

import pytest

import httpd_harness as hh

EMBEDDED = """
WSGIScriptAlias /emb @APPS@/emb_probe.wsgi
WSGIScriptAlias /glob @APPS@/emb_probe.wsgi process-group=%{GLOBAL} application-group=%{GLOBAL}
"""

MIXED = """
WSGIDaemonProcess mixed processes=1 threads=4 display-name=%{GROUP}
WSGIScriptAlias /daemon @APPS@/emb_probe.wsgi process-group=mixed application-group=%{GLOBAL}
WSGIScriptAlias /emb @APPS@/emb_probe.wsgi
"""


def info(server, path):
    r = server.get(path)
    assert r.status == 200, (r.status, r.body[:300])
    return json.loads(r.body)


def assert_no_validator_complaints(server):
    log = server.all_logs()
    for needle in ("WSGIWarning", "AssertionError", "Traceback"):
        assert needle not in log, log[-3000:]


def test_app_without_process_group_runs_in_a_worker(httpd_factory, flavour):
    server = httpd_factory(EMBEDDED, flavour)
    server.wait_ok("/emb")
    for path in ("/emb/info", "/glob/info"):
        got = info(server, path)
        assert got["ppid"] == server.pid, got
        assert got["pid"] in server.worker_pids(), (got, server.worker_pids())
        assert got["process_group"] == "", got
        assert got["multithread"] is True and got["multiprocess"] is True, got
        assert got["run_once"] is False, got
    assert not server.daemon_pids()
    if flavour == "wsgid":
        # Python is loaded where it runs, never in the httpd parent.
        assert not any("libpython" in lib or "wsgid_python" in lib
                       for lib in hh.maps_libraries(server.pid))
    payload = os.urandom(5 * 1024 * 1024)
    r = server.request("POST", "/emb/sha256", body=payload,
                       headers={"Content-Type": "application/octet-stream"})
    assert r.status == 200, (r.status, r.body[:300])
    assert r.body.decode() == hashlib.sha256(payload).hexdigest()
    assert_no_validator_complaints(server)


def test_restrict_embedded_on_refuses(httpd_factory, flavour):
    server = httpd_factory("WSGIRestrictEmbedded On\n" + EMBEDDED, flavour)
    hh.poll(lambda: server.worker_pids() or None, 10, what="worker children")
    r = server.get("/emb/info")
    assert r.status == 500, (r.status, r.body[:300])
    if flavour == "wsgid":
        server.wait_log("WSGID0102")
    if flavour == "wsgid":
        # Nothing loaded Python into the workers (mod_wsgi links libpython into every one).
        assert not server.python_pids()


def test_daemon_and_embedded_apps_in_one_server(httpd_factory, flavour):
    server = httpd_factory(MIXED, flavour)
    server.wait_ok("/daemon")
    server.wait_ok("/emb")
    daemon = info(server, "/daemon/info")
    embedded = info(server, "/emb/info")
    assert daemon["process_group"] == "mixed", daemon
    assert daemon["pid"] in server.daemon_pids("mixed"), daemon
    assert embedded["process_group"] == "", embedded
    assert embedded["pid"] in server.worker_pids(), embedded
    assert embedded["pid"] not in server.daemon_pids()


def test_graceful_restart_with_embedded_app_loses_no_request(httpd_factory, flavour):
    server = httpd_factory(EMBEDDED, flavour)
    server.wait_ok("/emb")
    before = set(server.worker_pids())
    with hh.Load(server.port, "/emb/", clients=4, max_requests=100_000, max_seconds=90) as load:
        load.wait_successes(50)
        server.graceful_restart()
        # New workers (fresh Python) serve; the old ones drained and went away.
        hh.poll(lambda: info(server, "/emb/info")["pid"] not in before, 60,
                what="a new worker serving after graceful restart")
        done = load.successes()
        load.wait_successes(done + 100)
    failures = load.failures()
    assert not failures, [f.detail for f in failures[:5]]
    assert server.running()
    got = info(server, "/emb/info")
    assert got["pid"] not in before


RELOADING = """
WSGIScriptAlias /r @TMP@/reloaded.wsgi
"""

RELOADED_APP = """
def application(environ, start_response):
    body = b"%s"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
"""


def test_a_changed_script_is_reloaded_in_place(httpd_factory, flavour):
    """Embedded mode has no process to recycle: the worker re-runs the changed script (as
    mod_wsgi does), and no request fails on the way."""
    server = httpd_factory(RELOADING, flavour, start=False)
    script = server.tmp / "reloaded.wsgi"
    script.write_text(RELOADED_APP % "one")
    script.chmod(0o644)
    server.start()
    assert server.wait_ok("/r").body == b"one"
    script.write_text(RELOADED_APP % "two")
    st = os.stat(script)
    os.utime(script, (st.st_atime, st.st_mtime + 10))
    statuses = []

    def reloaded():
        r = server.get("/r")
        statuses.append(r.status)
        return r.body == b"two"

    hh.poll(reloaded, 20, interval=0.01, what="the changed script's answer")
    answers = [server.get("/r") for _ in range(30)]
    statuses += [a.status for a in answers]
    assert set(statuses) == {200}, statuses
    assert {a.body for a in answers} <= {b"one", b"two"}  # a worker that has not looked yet
    assert "Fatal Python error" not in server.all_logs()


PRELOADED = """
WSGIImportScript @APPS@/preload_marker.py process-group=%{GLOBAL} application-group=%{GLOBAL}
WSGIScriptAlias /pre @APPS@/emb_preloaded.wsgi process-group=%{GLOBAL} application-group=%{GLOBAL}
"""


def test_global_preloads_run_in_each_worker_at_start(httpd_factory, flavour):
    """process-group=%{GLOBAL} preloads (WSGIImportScript, and a WSGIScriptAlias whose groups
    are both given) run in every worker child as it starts, before any request."""
    server = httpd_factory(PRELOADED, flavour)
    workers = hh.poll(lambda: (lambda w: w if len(w) >= 2 else None)(server.worker_pids()), 15,
                      what="two worker children")
    scratch = server.tmp / "scratch"
    for pid in workers:
        for marker in (f"preloaded-{pid}", f"app-loaded-{pid}"):
            hh.poll((scratch / marker).exists, 15, what=f"{marker} before any request")
    assert not server.read_log("access.log"), "a request was served before the check"
    r = server.get("/pre")
    assert r.status == 200 and int(r.body) in workers
    # Served by the preloaded module: it was not executed a second time.
    assert (scratch / f"app-loaded-{int(r.body)}").read_text() == "loaded\n"


@pytest.mark.wsgid_only("mod_wsgi ignores these preloads silently")
def test_global_preloads_under_restrict_embedded_are_reported(httpd_factory, flavour):
    server = httpd_factory("WSGIRestrictEmbedded On\n" + PRELOADED, flavour)
    log = server.wait_log("WSGID0123")
    assert "preload_marker.py is not preloaded" in log, log[-2000:]


def embedded_socket_names(pid):
    names = []
    for line in open("/proc/net/unix").read().splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 8 and fields[7].startswith(f"@wsgid-embedded-{pid}-"):
            names.append(fields[7])
    return sorted(set(names))  # the listener and its accepted connections share the name


@pytest.mark.wsgid_only("mod_wsgi's embedded mode has no socket")
@pytest.mark.skipif(os.geteuid() != 0, reason="needs to become the worker user")
def test_another_process_of_the_worker_user_cannot_reach_embedded_python(httpd_factory, flavour):
    """The in-process daemon's socket is in the abstract namespace, which any process may name;
    a process of httpd's user other than the worker itself (a CGI script, say) is refused."""
    import pwd
    import socket
    server = httpd_factory(EMBEDDED, flavour)
    got = info(server, "/emb/info")
    (name,) = embedded_socket_names(got["pid"])
    user = pwd.getpwnam("www-data")
    child = os.fork()
    if child == 0:  # as the worker user, like a CGI script would run
        code = 1
        try:
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(10)
            s.connect("\0" + name[1:])
            code = 0 if s.recv(1) == b"" else 2  # closed at once, before a byte is read
        except socket.timeout:
            code = 3  # accepted and waiting for a request: reachable
        except OSError:
            code = 0  # reset: refused
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0, status
    server.wait_log("embedded Python serves only its own worker process")
    assert info(server, "/emb/info")["pid"] in server.worker_pids()
