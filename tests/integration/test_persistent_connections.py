"""Persistent worker <-> daemon connections: a worker child reuses its connections instead of
connecting per request, a daemon that recycles closes its idle ones without losing a request,
and no request ever runs twice because a worker resent it."""

import collections
import os
import signal
import threading
import time

import pytest

import httpd_harness as hh

CONF = """
LogLevel debug
WSGIRestrictEmbedded On
WSGIDaemonProcess p processes=2 threads=4 display-name=%{GROUP}
WSGIScriptAlias /p @APPS@/persist_probe.wsgi process-group=p application-group=%{GLOBAL}
"""

RECYCLE_CONF = """
LogLevel debug
WSGIRestrictEmbedded On
WSGIDaemonProcess r processes=2 threads=4 maximum-requests=7 display-name=%{GROUP}
WSGIScriptAlias /p @APPS@/persist_probe.wsgi process-group=r application-group=%{GLOBAL}
"""

ACCEPTED = "connection from worker pid"  # the daemon's debug line, once per accepted connection


@pytest.mark.wsgid_only("mod_wsgi connects to its daemon for every request")
def test_sequential_requests_reuse_the_workers_daemon_connections(httpd_factory, flavour):
    server = httpd_factory(CONF, flavour)
    server.wait_ok("/p/")
    before = server.read_log().count(ACCEPTED)
    for i in range(60):
        r = server.get(f"/p/?id=seq{i}")
        assert r.status == 200, r.body
    accepted = server.read_log().count(ACCEPTED) - before
    # One idle connection per worker child that served a request (StartServers 2), plus those
    # that a daemon holding more connections than its sibling let go to even them out: 4-6 on
    # a quiet machine. Under parallel load more: the reconnect lands on whichever daemon's
    # thread accepts first, often the one that just let a connection go (which then lets it go
    # again), so the count is a random walk with a long tail: 13 and once 22 seen with the suite
    # running on 2 cores. Without reuse it would be 60; half of that still shows reuse.
    assert accepted <= 30, f"{accepted} daemon connections for 60 sequential requests"


@pytest.mark.wsgid_only("mod_wsgi connects to its daemon for every request")
def test_recycling_daemons_close_idle_connections_and_no_request_runs_twice(httpd_factory,
                                                                           flavour):
    server = httpd_factory(RECYCLE_CONF, flavour)
    server.wait_ok("/p/")
    failures, lock = [], threading.Lock()

    def client(t):
        for i in range(40):
            rid = f"c{t}x{i}"
            # Half of them with a body, which a resend must repeat exactly.
            body = b"b" * (100 * i) if i % 2 else None
            try:
                r = hh.http_request(server.port, "POST" if body else "GET", f"/p/?id={rid}",
                                    body=body)
                ok = r.status == 200 and r.body.split()[:2] == [rid.encode(),
                                                                 b"%d" % len(body or b"")]
                detail = f"{rid}: {r.status} {r.body[:80]!r}"
            except Exception as e:  # noqa: BLE001 - every failure is reported
                ok, detail = False, f"{rid}: {e!r}"
            if not ok:
                with lock:
                    failures.append(detail)

    threads = [threading.Thread(target=client, args=(t,)) for t in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not failures, f"{len(failures)} failed: {failures[:5]}"
    runs = collections.Counter(p.name.rsplit("-", 1)[0][len("ran-"):]
                               for p in (server.tmp / "scratch").glob("ran-c*"))
    assert len(runs) == 240
    twice = {rid: n for rid, n in runs.items() if n != 1}
    assert not twice, f"requests run more than once: {twice}"
    log = server.read_log()
    # 240 requests at 7 per daemon life: the daemons recycled many times, and their idle
    # connections were closed under the workers (found dead, or answered with GoAway).
    assert log.count("draining (maximum-requests reached)") >= 20
    print(f"resent after GoAway: {log.count('WSGID0113')}; connections: {log.count(ACCEPTED)}")


FILE_CONF = """
WSGIRestrictEmbedded On
WSGIDaemonProcess f processes=1 threads=2 display-name=%{GROUP}
WSGIScriptAlias /raw @APPS@/validated.wsgi process-group=f application-group=%{GLOBAL} callable-object=raw_application
"""


def daemon_read_bytes(pid):
    for line in open(f"/proc/{pid}/io"):
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar")


@pytest.mark.wsgid_only("mod_wsgi copies file_wrapper bodies through its daemon socket")
def test_file_wrapper_bytes_do_not_cross_the_daemon_socket(httpd_factory, flavour):
    server = httpd_factory(FILE_CONF, flavour, extra_global="EnableSendfile On\n")
    payload = hh.payload_bytes()
    assert server.wait_ok("/raw/file").body == payload
    (pid,) = server.daemon_pids("f")
    before = daemon_read_bytes(pid)
    for _ in range(5):
        r = server.get("/raw/file")
        assert r.status == 200 and r.body == payload
    # Iterating the wrapper would read 5 x 300 KB in the daemon; passing the descriptor reads
    # none of it there (the worker's httpd sends it with sendfile).
    read = daemon_read_bytes(pid) - before
    assert read < len(payload), f"the daemon read {read} bytes for 5 file responses"


GOAWAY_CONF = """
LogLevel debug
StartServers 1
ServerLimit 1
MaxRequestWorkers 25
WSGIRestrictEmbedded On
WSGIDaemonProcess g processes=1 threads=1 graceful-timeout=20 display-name=%{GROUP}
WSGIScriptAlias /p @APPS@/persist_probe.wsgi process-group=g application-group=%{GLOBAL}
"""


@pytest.mark.wsgid_only("mod_wsgi has no persistent daemon connections")
def test_request_waiting_on_an_idle_connection_is_resent_when_the_daemon_drains(httpd_factory,
                                                                              flavour):
    """The one worker child holds idle connection C. A large upload (which never takes a pooled
    connection) opens D and keeps the daemon's only thread busy; the next GET is sent on C and
    waits there. Draining that daemon answers C with GoAway: the worker must resend the GET on
    a new connection (served by the replacement daemon), exactly once."""
    server = httpd_factory(GOAWAY_CONF, flavour)
    server.wait_ok("/p/?id=warm")
    (old_pid,) = server.daemon_pids("g")
    results = {}

    def request(name, method, path, body=None):
        try:
            results[name] = hh.http_request(server.port, method, path, body=body, timeout=60)
        except Exception as e:  # noqa: BLE001 - reported below
            results[name] = e

    upload = threading.Thread(target=request,
                              args=("upload", "POST", "/p/?id=upload&sleep=2000", b"u" * 300_000))
    upload.start()
    hh.poll(lambda: any((server.tmp / "scratch").glob("ran-upload-*")), timeout=10,
            what="the upload to be inside the app")
    unread_before = {inode for inode, n in hh.unread_bytes_on_connections(old_pid).items() if n}
    waiting = threading.Thread(target=request, args=("get", "GET", "/p/?id=resent"))
    waiting.start()
    # The GET is on C, unread: the daemon's only thread is busy.
    hh.poll(lambda: any(n and inode not in unread_before
                        for inode, n in hh.unread_bytes_on_connections(old_pid).items()),
            timeout=10, what="the GET to wait unread on a connection the daemon holds")
    assert not any((server.tmp / "scratch").glob("ran-resent-*"))
    os.kill(old_pid, signal.SIGUSR1)
    upload.join(60)
    waiting.join(60)
    for name in ("upload", "get"):
        r = results[name]
        assert not isinstance(r, Exception) and r.status == 200, f"{name}: {r!r}"
    assert results["get"].body.split()[0] == b"resent"
    # Served by the replacement, not the draining process; and run once.
    assert int(results["get"].body.split()[2]) != old_pid
    assert len(list((server.tmp / "scratch").glob("ran-resent-*"))) == 1
    assert "WSGID0113" in server.read_log()


IDLE_CLOSED = "worker connection(s) idle for"  # the daemon's debug line when it closes idle ones
IDLE_LIMIT_S = 10  # daemon_loop.cpp kParkedIdleNs


@pytest.mark.wsgid_only("mod_wsgi connects to its daemon for every request")
def test_idle_connections_are_closed_and_requests_after_that_succeed(httpd_factory, flavour):
    server = httpd_factory(CONF, flavour)
    server.wait_ok("/p/")
    # Several connections at once, so worker children and daemons hold some.
    with hh.Load(server.port, "/p/?id=busy", clients=8, max_requests=80, max_seconds=60) as load:
        hh.poll(load.exhausted, timeout=70, interval=0.1, what="80 requests to complete")
    assert not load.failures(), load.failures()[:3]
    idle_since = time.monotonic()
    # Every connection parked before now is idle for the limit once it has passed (each daemon's
    # main thread wakes for its oldest one), and closed: the log says so.
    hh.poll(lambda: time.monotonic() - idle_since > IDLE_LIMIT_S + 1
            and IDLE_CLOSED in server.read_log(),
            timeout=IDLE_LIMIT_S + 30, what="the daemons to close their idle worker connections")
    # So the workers' pooled connections are gone: the next request connects afresh, and it and
    # the ones after it succeed.
    before = server.read_log().count(ACCEPTED)
    for i in range(6):
        r = server.get(f"/p/?id=after{i}")
        assert r.status == 200, r.body
    assert server.read_log().count(ACCEPTED) > before
