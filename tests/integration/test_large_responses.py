"""Large response bodies in every shape a WSGI app returns them (one bytes object, a list, a
generator, write(), mixed small and large chunks, a Content-Length below the body), in daemon
and embedded mode, with EnableSendfile On and Off, arrive byte-exact with consistent framing;
HEAD of a large response has its length and no body, and large bodies httpd throws away are
dropped without breaking the client's connection. They guard the response path against any
change in how large chunks travel from the daemon to the worker (docs/performance.md measured
sending them as memfds instead)."""

import hashlib
import http.client
import itertools
import re

import pytest

import httpd_harness as hh

MIB = 1024 * 1024
KIB = 1024

DAEMON_CONF = """
LogLevel info
EnableSendfile {sendfile}
WSGIRestrictEmbedded On
WSGIDaemonProcess big processes=1 threads=4 display-name=%{{GROUP}}
WSGIScriptAlias /big @APPS@/big_response.wsgi process-group=big application-group=%{{GLOBAL}}
"""

EMBEDDED_CONF = """
LogLevel info
EnableSendfile {sendfile}
WSGIScriptAlias /big @APPS@/big_response.wsgi application-group=%{{GLOBAL}}
"""

CONFS = {
    "daemon-sendfile-on": DAEMON_CONF.format(sendfile="On"),
    "daemon-sendfile-off": DAEMON_CONF.format(sendfile="Off"),
    "embedded-sendfile-off": EMBEDDED_CONF.format(sendfile="Off"),
}

SHAPES = [
    f"/big/single?size={MIB}",
    f"/big/single?size={4 * MIB + 5}",
    f"/big/list?n=3&size={MIB}",
    f"/big/generator?n=4&size={300 * KIB}",
    f"/big/write?n=2&size={MIB}",
    "/big/mixed",                                   # 100 B, 512 KiB, 7 B, 300 KiB+3, 1 B
    f"/big/generator?n=12&size={MIB}",
    f"/big/single?size={12 * MIB}",
    f"/big/list?n=3&size={200 * KIB}",
    f"/big/single?size={256 * KIB - 1}",
]

_ids = itertools.count()


def request_id(tag: str) -> str:
    return f"big-{tag}-{next(_ids)}"


def exchange(port: int, method: str, path: str, rid: str) -> hh.RawResponse:
    raw = hh.raw_exchange(port, (f"{method} {path} HTTP/1.1\r\nHost: localhost\r\n"
                                 f"X-Request-ID: {rid}\r\nConnection: close\r\n\r\n").encode())
    return hh.parse_raw_response(raw)


def check_exact(r: hh.RawResponse, path: str):
    assert r.status == 200, (path, r.status, r.body[:200])
    assert r.complete, f"{path}: framing ({r.framing}) says the body is incomplete"
    assert hashlib.sha256(r.body).hexdigest() == r.headers["x-body-sha256"], \
        f"{path}: {len(r.body)} bytes arrived, not the app's"
    if "content-length" in r.headers:
        assert int(r.headers["content-length"]) == len(r.body)
    else:
        assert r.framing == "chunked", f"{path}: neither Content-Length nor chunked"


@pytest.mark.parametrize("conf", CONFS)
def test_large_bodies_arrive_exact_in_every_shape(httpd_factory, flavour, conf):
    server = httpd_factory(CONFS[conf], flavour)
    server.wait_ok("/big/single?size=10")
    for path in SHAPES:
        check_exact(exchange(server.port, "GET", path, request_id("exact")), path)


@pytest.mark.parametrize("conf", ["daemon-sendfile-on", "embedded-sendfile-off"])
def test_head_of_a_large_response_has_its_length_and_no_body(httpd_factory, flavour, conf):
    server = httpd_factory(CONFS[conf], flavour)
    server.wait_ok("/big/single?size=10")
    rid = request_id("head")
    raw = hh.raw_exchange(server.port, (f"HEAD /big/single?size={MIB} HTTP/1.1\r\n"
                                        f"Host: localhost\r\nX-Request-ID: {rid}\r\n"
                                        "Connection: close\r\n\r\n").encode())
    head, _, rest = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), raw[:200]
    assert re.search(rb"(?im)^content-length: 1048576\r?$", head), head
    assert rest == b""


@pytest.mark.parametrize("conf", ["daemon-sendfile-on", "daemon-sendfile-off"])
@pytest.mark.parametrize("declared", [700_000, 100_000])
def test_content_length_below_the_body_truncates_it(httpd_factory, flavour, conf, declared):
    server = httpd_factory(CONFS[conf], flavour)
    server.wait_ok("/big/single?size=10")
    rid = request_id("capped")
    path = f"/big/capped?size={MIB}&declared={declared}"
    r = exchange(server.port, "GET", path, rid)
    check_exact(r, path)
    assert len(r.body) == declared


def test_many_concurrent_large_responses_stay_exact(httpd_factory, flavour):
    server = httpd_factory(CONFS["daemon-sendfile-on"], flavour)
    server.wait_ok("/big/single?size=10")
    paths = [f"/big/single?size={MIB}", f"/big/list?n=2&size={512 * KIB}",
             f"/big/generator?n=3&size={400 * KIB}"]
    reference = exchange(server.port, "GET", paths[0], request_id("conc"))
    check_exact(reference, paths[0])
    with hh.Load(server.port, paths[0], clients=6, max_requests=60) as load:
        for i in range(30):
            path = paths[i % len(paths)]
            check_exact(exchange(server.port, "GET", path, request_id("conc")), path)
        load.stop()
    outcomes = load.snapshot()
    assert outcomes and not load.failures(), load.failures()[:3]
    assert all(o.body == reference.body for o in outcomes)


DISCARD_CONF = """
WSGIRestrictEmbedded On
WSGIDaemonProcess discard processes=1 threads=2 display-name=%{GROUP}
WSGIScriptAlias /discard @APPS@/large_discarded.wsgi process-group=discard application-group=%{GLOBAL}
ErrorDocument 404 "custom httpd 404 page"
Alias /static @TMP@/htdocs
<Location /discard>
  WSGIErrorOverride On
</Location>
"""


def test_large_bodies_httpd_discards_are_dropped_and_the_connection_serves_on(httpd_factory,
                                                                               flavour):
    server = httpd_factory(DISCARD_CONF, flavour, start=False)
    server.write_static("file.txt", "static file content\n")
    server.start()
    server.wait_ok("/static/file.txt")
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        # A 404 under WSGIErrorOverride (the ErrorDocument goes out instead), a 200 with a local
        # Location (an internal redirect), each with 300 kB the worker must drop, then the next
        # request on the same connection.
        for path, status, body in [("/discard/missing", 404, b"custom httpd 404 page"),
                                   ("/discard/redirect", 200, b"static file content\n"),
                                   ("/static/file.txt", 200, b"static file content\n")]:
            conn.request("GET", path)
            resp = conn.getresponse()
            got = resp.read()
            assert resp.status == status, (path, resp.status, got[:200])
            assert got == body, (path, got[:200])
    finally:
        conn.close()
