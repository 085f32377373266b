"""Every 502/503/504 mod_wsgid returns has one error line with its cause and stable code."""

import os
import signal
import threading

import pytest

import httpd_harness as hh

pytestmark = pytest.mark.wsgid_only("the codes are mod_wsgid's")


def test_daemon_killed_before_headers_is_a_502_with_its_cause(httpd_factory, flavour):
    body = """
WSGIRestrictEmbedded On
WSGIDaemonProcess m threads=2 display-name=%{GROUP}
WSGIScriptAlias /m @APPS@/misbehave.wsgi process-group=m application-group=%{GLOBAL}
"""
    server = httpd_factory(body, flavour)
    server.wait_ok("/m/")
    [pid] = server.wait_daemons("m", 1)
    result = {}
    t = threading.Thread(target=lambda: result.update(r=server.get("/m/slow-marked?mark=k&ms=5000")))
    t.start()
    # Kill it while the request is inside the app: the worker sees the connection close early.
    scratch = server.tmp / "scratch"
    hh.poll(lambda: scratch.exists() and any(p.name.startswith("arrived-k-") for p in scratch.iterdir()),
            10, what="request inside the app")
    os.kill(pid, signal.SIGKILL)
    t.join(30)
    assert result["r"].status == 502
    line = server.wait_log("WSGID0106")
    assert "closed the connection before sending response headers" in line


def test_group_that_cannot_start_gives_503_at_once_naming_the_cause(httpd_factory, flavour):
    # Without the recorded cause these requests would fill the backlog, wait for socket-timeout
    # (504) and then connect-timeout (503, WSGID0105), blaming a slow app; the cause answers them.
    body = """
WSGIRestrictEmbedded On
WSGIDaemonProcess broken threads=1 connect-timeout=1 socket-timeout=2 listen-backlog=1
WSGIImportScript @APPS@/broken_import.wsgi process-group=broken application-group=%{GLOBAL}
WSGIScriptAlias /b @APPS@/hello.wsgi process-group=broken application-group=%{GLOBAL}
"""
    server = httpd_factory(body, flavour)
    server.wait_log("WSGID0514")
    statuses = []
    threads = [threading.Thread(target=lambda: statuses.append(server.get("/b/", timeout=30).status))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert statuses == [503] * 4, statuses
    line = server.wait_log("WSGID0160")
    assert "daemon group 'broken' cannot start" in line
    assert "RuntimeError: this application is broken on purpose" in line
    assert "WSGID0211" in server.wait_log("during start-up")


def test_silent_daemon_is_a_504_after_socket_timeout(httpd_factory, flavour):
    body = """
WSGIRestrictEmbedded On
WSGIDaemonProcess m threads=2 socket-timeout=1
WSGIScriptAlias /m @APPS@/misbehave.wsgi process-group=m application-group=%{GLOBAL}
"""
    server = httpd_factory(body, flavour)
    server.wait_ok("/m/")
    r = server.get("/m/slow?3000")
    assert r.status == 504
    line = server.wait_log("WSGID0111")
    assert "socket-timeout" in line


def test_request_queued_longer_than_queue_timeout_is_a_503_without_running_the_app(httpd_factory, flavour):
    body = """
WSGIRestrictEmbedded On
WSGIDaemonProcess q threads=1 queue-timeout=1 display-name=%{GROUP}
WSGIScriptAlias /m @APPS@/misbehave.wsgi process-group=q application-group=%{GLOBAL}
"""
    server = httpd_factory(body, flavour)
    server.wait_ok("/m/")
    result = {}
    slow = threading.Thread(target=lambda: result.update(slow=server.get("/m/slow-marked?mark=q&ms=2500")))
    slow.start()
    scratch = server.tmp / "scratch"
    hh.poll(lambda: scratch.exists() and any(p.name.startswith("arrived-q-") for p in scratch.iterdir()),
            10, what="the slow request inside the only thread")
    queued = server.get("/m/slow-marked?mark=late&ms=1")
    slow.join(30)
    assert result["slow"].status == 200
    assert queued.status == 503
    assert "queue-timeout=1" in server.wait_log("WSGID0525")
    assert not any(p.name.startswith("arrived-late-") for p in scratch.iterdir()), \
        "the queued request must not reach the app"
