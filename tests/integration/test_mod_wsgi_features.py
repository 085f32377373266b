"""mod_wsgi 3.x behaviours that daemon mode keeps: chunked request bodies, ErrorDocument
override, internal redirects to local URLs, HEAD passed through (or mapped to GET). Each test
also runs against Debian's mod_wsgi, so "compatible" is checked, not assumed."""

import hashlib

import pytest

import httpd_harness as hh

MOUNTS = ("plain", "chunked", "override", "headget")
CONF = """
WSGIRestrictEmbedded On
WSGIDaemonProcess f processes=1 threads=4
ErrorDocument 404 "custom httpd 404 page"
Alias /static @TMP@/htdocs
""" + "".join(
    f"WSGIScriptAlias /{m} @APPS@/features.wsgi process-group=f application-group=%{{GLOBAL}}\n"
    for m in MOUNTS) + """
<Location /chunked>
  WSGIChunkedRequest On
</Location>
<Location /override>
  WSGIErrorOverride On
</Location>
<Location /headget>
  WSGIMapHEADToGET On
</Location>
"""


@pytest.fixture
def server(httpd_factory, flavour):
    s = httpd_factory(CONF, flavour, start=False)
    s.write_static("file.txt", "static file content\n")
    s.start()
    s.wait_ok("/plain/")
    return s


def chunked_post(port, path, chunks):
    body = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"
    head = (f"POST {path} HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
            f"Content-Type: application/octet-stream\r\nConnection: close\r\n\r\n").encode()
    return hh.parse_raw_response(hh.raw_exchange(port, head + body))


def test_chunked_request_body_is_refused_with_411_by_default(server):
    assert chunked_post(server.port, "/plain/echo", [b"abc"]).status == 411


def test_chunked_request_body_is_read_to_its_end_with_chunked_request_on(server):
    chunks = [b"x" * 1000, b"y" * 300000, b"z"]
    data = b"".join(chunks)
    r = chunked_post(server.port, "/chunked/echo", chunks)
    assert r.status == 200
    assert r.body.decode() == f"{len(data)} {hashlib.sha256(data).hexdigest()}"


def test_without_error_override_the_apps_error_body_is_sent(server):
    r = server.get("/plain/missing")
    assert r.status == 404
    assert r.body == b"the application's own 404 body"
    assert r.header("X-App") == "yes"


def test_error_override_replaces_the_apps_error_body_with_the_error_document(server):
    r = server.get("/override/missing")
    assert r.status == 404
    assert r.body == b"custom httpd 404 page"
    assert r.header("X-App") is None


def test_body_less_200_with_local_location_is_redirected_internally(server):
    r = server.get("/plain/redirect")
    assert r.status == 200
    assert r.body == b"static file content\n"


def test_a_local_location_wins_over_a_body_as_in_mod_wsgi(server):
    r = server.get("/plain/redirect-with-body")
    assert r.status == 200
    assert r.body == b"static file content\n"


def test_head_reaches_the_app_as_head(server):
    r = server.request("HEAD", "/plain/")
    assert r.status == 200
    assert r.header("X-Method") == "HEAD"


def test_head_is_mapped_to_get_with_map_head_to_get_on(server):
    r = server.request("HEAD", "/headget/")
    assert r.status == 200
    assert r.header("X-Method") == "GET"
