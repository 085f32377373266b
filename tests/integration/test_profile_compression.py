"""profiles/compression.toml: text responses are sent brotli or gzip compressed as the client
accepts, with `Vary: Accept-Encoding`; images, tiny bodies and Range requests are not; streaming,
wsgi.file_wrapper, precompressed static siblings and 304s still work (issue 14, item 3)."""

import contextlib
import gzip
import http.client
import time
import zlib

import pytest

import edge_clients as ec
import launcher_harness as lh

pytestmark = pytest.mark.wsgid_only("the launcher is wsgid's")


@pytest.fixture
def launch():
    with contextlib.ExitStack() as stack:

        def start(edit=None):
            run = stack.enter_context(lh.shipped_profile("compression.toml", edit))
            static = run.profile.parent / "apps" / "edge" / "static"
            # A static file without a precompressed sibling: compressed on the fly.
            (static / "plain.js").write_bytes(b"console.log('no sibling for me');\n" * 100)
            (static / "plain.js").chmod(0o644)
            run.wait_ok("/page")
            return run, static

        yield start


def test_text_is_gzip_or_brotli_as_the_client_accepts(launch):
    run, _ = launch()
    plain = run.get("/page")
    assert plain.header("Content-Encoding") is None and len(plain.body) > 1024, plain.headers
    # Caches must key on Accept-Encoding even for the client that asked for nothing.
    assert "accept-encoding" in (plain.header("Vary") or "").lower(), plain.headers

    gz = run.get("/page", headers={"Accept-Encoding": "gzip"})
    assert gz.header("Content-Encoding") == "gzip", gz.headers
    assert gzip.decompress(gz.body) == plain.body
    assert len(gz.body) < len(plain.body) / 4
    assert "accept-encoding" in gz.header("Vary").lower()

    head, body = ec.curl(run.port, "/page", "--compressed", "-H", "Accept-Encoding: br, gzip")
    assert "content-encoding: br" in head, head
    assert body == plain.body
    # A client that refuses brotli with q=0 gets gzip.
    refused = run.get("/page", headers={"Accept-Encoding": "br;q=0, gzip"})
    assert refused.header("Content-Encoding") == "gzip", refused.headers


def test_tiny_bodies_and_compressed_types_are_sent_as_they_are(launch):
    run, _ = launch()
    for path in ("/tiny", "/image"):
        r = run.get(path, headers={"Accept-Encoding": "gzip, br"})
        assert r.status == 200 and r.header("Content-Encoding") is None, (path, r.headers)
    assert run.get("/tiny", headers={"Accept-Encoding": "gzip"}).body == b"tiny\n"


def test_a_streamed_response_is_not_held_back(launch):
    run, static = launch()
    go = static.parent / "go"  # the app sends its last part once this exists
    conn = http.client.HTTPConnection("127.0.0.1", run.port, timeout=30)
    try:
        conn.request("GET", f"/stream?go={go}",
                     headers={"Host": "localhost", "Accept-Encoding": "gzip"})
        resp = conn.getresponse()
        assert resp.getheader("Content-Encoding") == "gzip"
        inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        text = b""
        started = time.monotonic()
        while b"first part \n" not in text and b"last part" not in text:
            chunk = resp.read1(65536)
            assert chunk, text[-200:]
            text += inflate.decompress(chunk)
        # Arrived while the app still waits for us: nothing was buffered to the end.
        assert b"last part" not in text and time.monotonic() - started < 15
        go.write_text("")
        text += inflate.decompress(resp.read()) + inflate.flush()
        assert text.endswith(b"last part\n"), text[-200:]
    finally:
        conn.close()


def test_file_wrapper_responses_are_compressed_whole(launch):
    run, static = launch()
    r = run.get("/file", headers={"Accept-Encoding": "gzip"})
    assert r.header("Content-Encoding") == "gzip", r.headers
    assert gzip.decompress(r.body) == (static / "site.css").read_bytes()


def test_static_files_compressed_on_the_fly_keep_range_and_304(launch):
    run, static = launch()
    js = (static / "plain.js").read_bytes()
    r = run.get("/static/plain.js", headers={"Accept-Encoding": "gzip"})
    assert r.header("Content-Encoding") == "gzip" and gzip.decompress(r.body) == js, r.headers
    etag = r.header("ETag")
    assert etag.endswith('-gzip"'), etag
    again = run.get("/static/plain.js",
                    headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status == 304, again.headers
    # A Range is of the file's own bytes, whatever the client accepts.
    head, body = ec.curl(run.port, "/static/plain.js", "-r", "0-9", "-H", "Accept-Encoding: br")
    assert head.startswith("http/1.1 206") and "content-encoding" not in head, head
    assert body == js[:10]


def test_a_precompressed_sibling_is_not_compressed_again(launch):
    run, static = launch()
    r = run.get("/static/site.css", headers={"Accept-Encoding": "br, gzip"})
    assert r.header("Content-Encoding") == "gzip", r.headers
    assert r.body == (static / "site.css.gz").read_bytes()


def test_the_app_sees_its_own_etag_in_conditional_requests(launch):
    run, _ = launch()
    r = run.get("/page", headers={"Accept-Encoding": "gzip"})
    assert r.header("ETag") == '"page-v1-gzip"', r.headers
    seen = run.get("/", headers={"If-None-Match": '"page-v1-gzip"'})
    assert b'"HTTP_IF_NONE_MATCH": "\\"page-v1\\""' in seen.body, seen.body


def test_a_site_can_turn_compression_off(launch):
    run, _ = launch(lambda text: text.replace("compression = true", "compression = false"))
    r = run.get("/page", headers={"Accept-Encoding": "gzip, br"})
    assert r.status == 200 and r.header("Content-Encoding") is None, r.headers
