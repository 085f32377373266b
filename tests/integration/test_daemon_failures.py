"""Daemons that die or misbehave, and clients that do: what the client sees, what is logged."""

import os
import re
import signal
import socket
import time
import uuid

import pytest

import httpd_harness as hh

CONF = """
WSGIRestrictEmbedded On
WSGIDaemonProcess m processes=1 threads=8 display-name=%{GROUP}
WSGIScriptAlias /m @APPS@/misbehave.wsgi process-group=m application-group=%{GLOBAL}
"""

ERROR_LEVEL = re.compile(r"\[[\w.]+:(error|crit|alert|emerg)\]")


@pytest.fixture
def server(httpd_factory, flavour):
    server = httpd_factory(CONF, flavour)
    server.wait_ok("/m/")
    return server


def fetch_raw(server, path):
    return hh.parse_raw_response(hh.raw_exchange(
        server.port, f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode(), timeout=20))


def assert_visibly_broken_by_dead_daemon(server, path):
    (victim,) = server.daemon_pids("m")
    r = fetch_raw(server, path)
    # The app really ran and killed its daemon (a 404 or a refused request proves nothing).
    hh.poll(lambda: victim not in server.daemon_pids("m"), timeout=10, what=f"daemon {victim} to die")
    assert r.status in (200, 502), f"expected a truncated 200 or a 502, got {r.status} {r.body[:200]!r}"
    assert not (r.status == 200 and r.complete), \
        f"client got a complete {r.framing} response of {len(r.body)} bytes from a dead daemon"
    if r.status == 200:
        assert r.body.startswith((b"b" if path.endswith("chunked") else b"a") * 1000), "the part sent before death is wrong"
    # The supervisor brings the daemon back.
    server.wait_ok("/m/", timeout=10)


def test_daemon_killed_mid_body_with_content_length_is_visibly_broken(server):
    assert_visibly_broken_by_dead_daemon(server, "/m/die-cl")


@pytest.mark.mod_wsgi_differs("mod_wsgi ends the body at socket close: a dead daemon looks like success")
def test_daemon_killed_mid_body_chunked_is_visibly_broken(server):
    assert_visibly_broken_by_dead_daemon(server, "/m/die-chunked")


def test_sigkilled_daemon_under_load_is_back_within_2s(server):
    with hh.Load(server.port, "/m/", clients=8, max_requests=20000, max_seconds=60) as load:
        load.wait_successes(50)
        (victim,) = server.daemon_pids("m")
        os.kill(victim, signal.SIGKILL)
        killed = time.monotonic()

        def served_by_new_daemon():
            try:
                r = server.get("/m/", timeout=2)
            except Exception:
                return None
            return r.status == 200 and int(r.body) != victim and time.monotonic()

        back = hh.poll(served_by_new_daemon, timeout=10, interval=0.01, what="a new daemon to answer")
        print(f"service back {back - killed:.3f}s after SIGKILL")
        assert back - killed < 2.0, f"service took {back - killed:.3f}s to come back"
        count = load.successes()
        load.wait_successes(count + 50)
    late_failures = [o for o in load.failures() if o.started > back]
    assert not late_failures, late_failures[:5]


@pytest.mark.parametrize("name,request_bytes", [
    ("body over LimitRequestBody",
     b"POST /m/ HTTP/1.1\r\nHost: t\r\nContent-Type: application/octet-stream\r\n"
     b"Content-Length: 4096\r\nConnection: close\r\n\r\n" + b"z" * 4096),
    ("chunked body over LimitRequestBody",
     b"POST /m/ HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
     + b"1000\r\n" + b"z" * 4096 + b"\r\n0\r\n\r\n"),
    ("huge header", b"GET /m/ HTTP/1.1\r\nHost: t\r\nX-Big: " + b"h" * 20000 + b"\r\nConnection: close\r\n\r\n"),
    ("too many headers", b"GET /m/ HTTP/1.1\r\nHost: t\r\n"
     + b"".join(b"X-H%d: v\r\n" % i for i in range(200)) + b"Connection: close\r\n\r\n"),
    ("malformed request line", b"GET /m/ HTTP/1.1 extra\r\nHost: t\r\n\r\n"),
    ("bad header line", b"GET /m/ HTTP/1.1\r\nHost: t\r\nno colon here\r\n\r\n"),
], ids=["body-too-big", "chunked-body-too-big", "huge-header", "too-many-headers",
        "bad-request-line", "bad-header-line"])
def test_bad_http_is_refused_by_httpd_and_the_daemon_keeps_serving(httpd_factory, flavour, name, request_bytes):
    # WSGIChunkedRequest On: chunked bodies are refused (411) by default, as in mod_wsgi; the
    # point here is httpd's body limit.
    server = httpd_factory(CONF + "WSGIChunkedRequest On\n", flavour, extra_global="LimitRequestBody 1024\n")
    server.wait_ok("/m/")
    before = server.daemon_pids("m")
    r = hh.parse_raw_response(hh.raw_exchange(server.port, request_bytes, timeout=20))
    assert r.status in (400, 413, 431), f"{name}: got {r.status}"
    assert server.wait_ok("/m/").status == 200
    assert server.daemon_pids("m") == before, "the daemon was replaced"


def test_client_disconnect_mid_response_is_not_an_error(server):
    token = uuid.uuid4().hex
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as s:
        s.sendall(f"GET /m/big-stream?{token} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
        got = b""
        while len(got) < 100000:
            data = s.recv(65536)
            assert data, "server closed before sending 100 kB"
            got += data
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    marker = server.tmp / "scratch" / f"closed-{token}"
    hh.poll(marker.exists, timeout=20, what="the app's close() after the client went away")
    # One more request, so anything logged when the stream broke is flushed before we look.
    server.wait_ok("/m/")
    errors = [line for log in server.log_files() if log.name != "access.log"
              for line in log.read_text(errors="replace").splitlines() if ERROR_LEVEL.search(line)]
    assert not errors, "\n".join(errors)
