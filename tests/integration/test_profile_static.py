"""profiles/static-caching.toml: static files carry an ETag and Cache-Control, answer
conditional GETs with 304 and Range requests with 206, and a precompressed sibling is sent to
clients that accept its encoding (issue 14, item 7)."""

import gzip
import json
import subprocess

import pytest

import httpd_harness as hh

pytestmark = pytest.mark.wsgid_only("the launcher is wsgid's")


CSS = (hh.REPO_ROOT / "profiles" / "apps" / "django_site" / "static" / "style.css").read_bytes()


def precompressed_siblings(tmp):
    static = tmp / "profile" / "apps" / "django_site" / "static"
    (static / "style.css.gz").write_bytes(gzip.compress(CSS))
    (static / "app.js").write_bytes(b"console.log('plain');\n" * 20)
    (static / "app.js.br").write_bytes(b"pretend brotli bytes")
    for f in static.iterdir():
        f.chmod(0o644)


@pytest.fixture
def run(launch):
    return launch(profile_dir=hh.REPO_ROOT / "profiles", profile="static-caching.toml",
                  prepare=precompressed_siblings), CSS


def test_static_files_have_validators_and_cache_control(run):
    run, css = run
    run.wait_ok("/")
    r = run.get("/static/style.css")
    assert r.status == 200 and r.body == css
    etag = r.header("ETag")
    assert etag and etag.startswith('"'), r.headers
    assert r.header("Cache-Control") == "public, max-age=31536000, immutable"
    assert "Accept-Encoding" in (r.header("Vary") or "")
    again = run.get("/static/style.css", headers={"If-None-Match": etag})
    assert again.status == 304 and again.body == b""
    assert again.header("ETag") == etag
    assert run.get("/static/style.css", headers={"If-None-Match": '"other"'}).status == 200


def test_range_requests_get_206_from_curl(run):
    run, css = run
    run.wait_ok("/")
    out = subprocess.run(
        ["curl", "-sS", "-i", "--max-time", "20", "-r", "0-9", "-H", "Host: localhost",
         f"http://127.0.0.1:{run.port}/static/style.css"],
        capture_output=True, check=True)
    head, _, body = out.stdout.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 206"), head
    assert f"Content-Range: bytes 0-9/{len(css)}".encode() in head, head
    assert body == css[:10]


def test_precompressed_sibling_is_served_to_clients_that_accept_it(run):
    run, css = run
    run.wait_ok("/")
    r = run.get("/static/style.css", headers={"Accept-Encoding": "gzip, deflate"})
    assert r.status == 200, r.headers
    assert r.header("Content-Encoding") == "gzip", r.headers
    assert r.header("Content-Type").startswith("text/css"), r.headers
    assert gzip.decompress(r.body) == css
    assert "Accept-Encoding" in (r.header("Vary") or "")
    # Refused by q=0, or not offered: the file itself.
    for accept in ("gzip;q=0, identity", "identity"):
        plain = run.get("/static/style.css", headers={"Accept-Encoding": accept})
        assert plain.header("Content-Encoding") is None and plain.body == css, accept
    # br is preferred when both are accepted and a .br sibling exists.
    br = run.get("/static/app.js", headers={"Accept-Encoding": "gzip, br"})
    assert br.header("Content-Encoding") == "br" and br.body == b"pretend brotli bytes"
    assert "javascript" in br.header("Content-Type"), br.headers
    # A .gz asked for by name is that file, not an encoding of something else.
    direct = run.get("/static/style.css.gz", headers={"Accept-Encoding": "gzip"})
    assert direct.status == 200 and direct.header("Content-Encoding") is None, direct.headers


def test_django_collectstatic_output_is_served_immutable_with_its_gzip_sibling(run):
    run, _ = run
    run.wait_ok("/")
    site = run.profile.parent / "apps" / "django_site"
    scratch = run.tmp / "collect"
    (scratch / "assets" / "css").mkdir(parents=True)
    source = b"body { color: #123456; }\n" * 40
    (scratch / "assets" / "css" / "site.css").write_bytes(source)
    (scratch / "collect_settings.py").write_text(
        "from mysite.settings import *\n"
        f"STATICFILES_DIRS = [{str(scratch / 'assets')!r}]\n"
        f"STATIC_ROOT = {str(site / 'static')!r}\n"
        "STATICFILES_STORAGE = 'django.contrib.staticfiles.storage.ManifestStaticFilesStorage'\n")
    subprocess.run(["/usr/bin/python3", "-m", "django", "collectstatic", "--noinput", "-v", "0"],
                   env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "collect_settings",
                        "PYTHONPATH": f"{scratch}:{site}"}, check=True, timeout=120)
    manifest = json.loads((site / "static" / "staticfiles.json").read_text())
    hashed = manifest["paths"]["css/site.css"]
    assert hashed != "css/site.css" and hashed.startswith("css/site."), hashed
    served = site / "static" / hashed
    served.with_name(served.name + ".gz").write_bytes(gzip.compress(served.read_bytes()))
    for f in (site / "static").rglob("*"):
        f.chmod(0o755 if f.is_dir() else 0o644)

    r = run.get(f"/static/{hashed}")
    assert r.status == 200 and r.body == source
    assert r.header("Cache-Control") == "public, max-age=31536000, immutable"
    assert run.get(f"/static/{hashed}", headers={"If-None-Match": r.header("ETag")}).status == 304
    z = run.get(f"/static/{hashed}", headers={"Accept-Encoding": "gzip"})
    assert z.header("Content-Encoding") == "gzip" and gzip.decompress(z.body) == source
    assert z.header("Content-Type").startswith("text/css")
