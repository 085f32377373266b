"""Hop-by-hop response headers from the app are refused as PEP 3333 says, never passed on."""

import pytest

# mod_wsgi 4.9.4 passes them to the client (Connection: x arrives as sent): docs/directives.md.
pytestmark = pytest.mark.wsgid_only("mod_wsgi 4.9.4 passes hop-by-hop headers through")

HOP_BY_HOP = ["Transfer-Encoding", "Connection", "Keep-Alive", "Upgrade", "Proxy-Authenticate",
              "Proxy-Authorization", "TE", "Trailer", "Trailers", "keep-alive"]

BODY = """
WSGIRestrictEmbedded On
WSGIDaemonProcess h threads=2
WSGIScriptAlias /h @APPS@/hop_by_hop.wsgi process-group=h application-group=%{GLOBAL}
"""


def test_hop_by_hop_headers_never_reach_the_client(httpd_factory, flavour):
    server = httpd_factory(BODY, flavour)
    assert server.wait_ok("/h/?X-Fine").header("X-Fine") == "x"
    for name in HOP_BY_HOP:
        r = server.get(f"/h/?{name}")
        # The client never sees the app's value (httpd may add its own Connection/Keep-Alive).
        assert r.header(name) != "x", (flavour, name, r.status, r.headers)
        assert r.status == 500, (name, r.status, r.headers, r.body)
    log = server.wait_log("WSGID0560")
    assert "hop-by-hop" in log
    for name in HOP_BY_HOP:
        assert f"WSGID0560: response header ('{name}', 'x') is hop-by-hop" in log, name
    # The daemon keeps serving after refusing them.
    assert server.get("/h/?X-Fine").status == 200
