"""profiles/behind-proxy.toml: from a trusted proxy (127.0.0.1 here) the client address comes
from X-Forwarded-For and the scheme from X-Forwarded-Proto, for the app, the access log and the
health endpoints' `allow`; from any other peer (127.0.0.2) both headers are ignored and removed
(issue 14, item 4)."""

import json

import pytest

import edge_clients as ec
import launcher_harness as lh

pytestmark = pytest.mark.wsgid_only("the launcher is wsgid's")

FORWARDED = {"X-Forwarded-For": "203.0.113.9, 198.51.100.5", "X-Forwarded-Proto": "https"}


@pytest.fixture
def run():
    with lh.shipped_profile("behind-proxy.toml") as launched:
        launched.wait_ok("/")
        yield launched


def seen(run, source, headers):
    r = ec.request(run.port, "/", source=source, headers=headers)
    assert r.status == 200, r
    return json.loads(r.body)


def test_a_trusted_proxy_says_who_the_client_is_and_how_it_connected(run):
    environ = seen(run, "127.0.0.1", FORWARDED)
    # The last address no trusted proxy added is the client's.
    assert environ["REMOTE_ADDR"] == "198.51.100.5", environ
    assert environ["wsgi.url_scheme"] == "https" and environ["HTTPS"] == "on", environ
    plain = seen(run, "127.0.0.1", {"X-Forwarded-For": "198.51.100.5",
                                    "X-Forwarded-Proto": "http"})
    assert plain["wsgi.url_scheme"] == "http" and plain["HTTPS"] is None, plain


def test_anyone_else_cannot_forge_the_address_or_the_scheme(run):
    environ = seen(run, "127.0.0.2", FORWARDED)
    assert environ["REMOTE_ADDR"] == "127.0.0.2", environ
    assert environ["wsgi.url_scheme"] == "http" and environ["HTTPS"] is None, environ
    # Removed, so an app reading them itself (Django's SECURE_PROXY_SSL_HEADER) is safe too.
    assert environ["HTTP_X_FORWARDED_FOR"] is None, environ
    assert environ["HTTP_X_FORWARDED_PROTO"] is None, environ


def test_the_access_log_names_the_forwarded_client(run):
    ec.request(run.port, "/?marker=trusted", source="127.0.0.1", headers=FORWARDED)
    ec.request(run.port, "/?marker=forged", source="127.0.0.2", headers=FORWARDED)
    # Each worker child writes its line after its response has gone, so the first request's
    # line can come after the second's: wait for both.
    run.wait_output("marker=trusted")
    log = run.wait_output("marker=forged")
    trusted = next(line for line in log.splitlines() if "marker=trusted" in line)
    forged = next(line for line in log.splitlines() if "marker=forged" in line)
    assert trusted.startswith("198.51.100.5 "), trusted
    assert forged.startswith("127.0.0.2 "), forged


def test_health_allow_checks_the_forwarded_client(run):
    # The default allow list admits loopback and private networks, not 198.51.100.5.
    assert ec.request(run.port, "/-/healthz", source="127.0.0.1").status == 200
    outside = {"X-Forwarded-For": "198.51.100.5"}
    assert ec.request(run.port, "/-/healthz", source="127.0.0.1", headers=outside).status == 403
    assert ec.request(run.port, "/-/healthz", source="127.0.0.2", headers=outside).status == 200
