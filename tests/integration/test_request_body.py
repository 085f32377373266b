"""Bodies through the worker's exchange: it sends the buckets httpd's input filters return
(de-chunked, bounded by Content-Length and LimitRequestBody) as body frames, keeps a request on
a reused daemon connection whole for a resend, turns a client that goes away mid-upload into a
logged 400 without disturbing the daemon, and drops large response bodies httpd discards."""

import hashlib
import http.client
import socket

import pytest

import httpd_harness as hh

CONF = """
WSGIRestrictEmbedded On
WSGIDaemonProcess body processes=1 threads=2 display-name=%{GROUP}
WSGIScriptAlias /sha @APPS@/sha256_echo.wsgi process-group=body application-group=%{GLOBAL}
WSGIScriptAlias /chunked @APPS@/features.wsgi process-group=body application-group=%{GLOBAL}
WSGIScriptAlias /discard @APPS@/large_discarded.wsgi process-group=body application-group=%{GLOBAL}
ErrorDocument 404 "custom httpd 404 page"
Alias /static @TMP@/htdocs
<Location /chunked>
  WSGIChunkedRequest On
</Location>
<Location /discard>
  WSGIErrorOverride On
</Location>
"""

# Around the sizes the worker cares about: its 8000-byte input blocks, its 64 KiB reads (one
# body frame each), the 256 KiB up to which a request may go on a reused daemon connection
# (kept whole for a resend), and well past it.
SIZES = [0, 1, 7999, 8000, 65535, 65536, 65537, 262144, 262145, 1024 * 1024 + 3]


def body_of(size):
    return (hashlib.sha256(b"%d" % size).digest() * (size // 32 + 1))[:size]


@pytest.fixture
def server(httpd_factory, flavour):
    s = httpd_factory(CONF, flavour, start=False)
    htdocs = s.tmp / "htdocs"
    htdocs.mkdir(exist_ok=True)
    (htdocs / "file.txt").write_text("static file content\n")
    (htdocs / "file.txt").chmod(0o644)
    s.start()
    s.wait_ok("/sha")
    return s


def test_uploads_of_every_size_arrive_intact_on_one_client_connection(server):
    # One keep-alive client connection, so each request after the first is served by a worker
    # thread that may take an idle daemon connection from its child's pool.
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        for size in SIZES + list(reversed(SIZES)):
            body = body_of(size)
            conn.request("POST", "/sha", body=body,
                         headers={"Content-Type": "application/octet-stream"})
            resp = conn.getresponse()
            answer = resp.read()
            assert resp.status == 200, (size, resp.status, answer[:200])
            assert answer.decode().split() == [str(size), hashlib.sha256(body).hexdigest()], size
    finally:
        conn.close()


def chunked_post(port, path, chunks):
    body = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"
    head = (f"POST {path} HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
            f"Content-Type: application/octet-stream\r\nConnection: close\r\n\r\n").encode()
    return hh.parse_raw_response(hh.raw_exchange(port, head + body))


def test_a_chunked_upload_of_many_odd_chunks_arrives_intact(server):
    # Chunk boundaries fall anywhere in the input filters' blocks and in the body frames; the
    # whole is larger than a request that may be resent, and ends with a one-byte chunk.
    chunks = [bytes([i % 251]) * (i * 37 % 9001 + 1) for i in range(120)] + [b"!"]
    data = b"".join(chunks)
    assert len(data) > 256 * 1024
    r = chunked_post(server.port, "/chunked/echo", chunks)
    assert r.status == 200, r.body[:300]
    assert r.body.decode() == f"{len(data)} {hashlib.sha256(data).hexdigest()}"


@pytest.mark.wsgid_only("the log code is wsgid's")
def test_a_client_gone_mid_upload_gets_a_logged_400_and_the_daemon_keeps_serving(server):
    (daemon,) = server.daemon_pids("body")
    head = (b"POST /sha HTTP/1.1\r\nHost: t\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Length: 1048576\r\n\r\n")
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as s:
        s.sendall(head + bytes(300_000))  # past one read, short of the declared length
        s.shutdown(socket.SHUT_WR)  # the client is gone: the body ends early
        rest = b""
        while True:
            data = s.recv(65536)
            if not data:
                break
            rest += data
    assert rest == b"" or rest.startswith(b"HTTP/1.1 400"), rest[:200]
    hh.poll(lambda: "WSGID0109" in server.read_log(), timeout=10, what="WSGID0109 in the log")
    # The daemon was told nothing more is coming (its connection closed); it answers the next
    # request, and it is the same process.
    r = server.request("POST", "/sha", body=b"after", headers={"Content-Type": "text/plain"})
    assert r.status == 200 and r.body.split()[0] == b"5", r.body[:200]
    assert server.daemon_pids("body") == [daemon]


def test_large_bodies_httpd_discards_are_dropped_and_the_connection_serves_on(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        for path, status, body in [("/discard/missing", 404, b"custom httpd 404 page"),
                                   ("/discard/redirect", 200, b"static file content\n"),
                                   ("/sha", 200, None)]:
            conn.request("GET", path)
            resp = conn.getresponse()
            got = resp.read()
            assert resp.status == status, (path, resp.status, got[:200])
            if body is not None:
                assert got == body, (path, got[:200])
    finally:
        conn.close()
