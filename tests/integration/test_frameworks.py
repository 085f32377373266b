"""Flask and Django (Debian's packages) served in daemon mode, including a 5 MiB upload."""

import hashlib

import pytest

CONF = """
WSGIRestrictEmbedded On
WSGIDaemonProcess flask processes=1 threads=4 display-name=%{GROUP}
WSGIDaemonProcess django processes=1 threads=4 display-name=%{GROUP} python-path=@APPS@/django_site
WSGIScriptAlias /flask @APPS@/flask_app.wsgi process-group=flask application-group=%{GLOBAL}
WSGIScriptAlias /django @APPS@/django_site/wsgi.py process-group=django application-group=%{GLOBAL}
"""

BODY = hashlib.sha256(b"framework").digest() * (5 * 1024 * 1024 // 32)


@pytest.fixture
def server(httpd_factory, flavour):
    return httpd_factory(CONF, flavour)


@pytest.mark.parametrize("site,greeting", [("flask", b"Flask says hello"), ("django", b"Django says hello")])
def test_page_and_5mib_upload(server, site, greeting):
    page = server.wait_ok(f"/{site}/")
    assert page.body.startswith(greeting)
    pid = int(page.body.split()[-1])
    assert pid in server.daemon_pids(site), f"{site} ran in {pid}, not in its daemon"

    r = server.request("POST", f"/{site}/upload", body=BODY,
                       headers={"Content-Type": "application/octet-stream"})
    assert r.status == 200, r.body[:500]
    assert r.body.decode().split() == [str(len(BODY)), hashlib.sha256(BODY).hexdigest()]
