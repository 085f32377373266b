"""An app that closes the daemon's own descriptors costs only its own request: the daemon
notices, exits with a coded line, and its replacement serves the next requests."""

import pytest

import httpd_harness as hh

pytestmark = pytest.mark.wsgid_only("the codes and the replacement are mod_wsgid's")

CONF = """
WSGIRestrictEmbedded On
WSGIDaemonProcess c processes=1 threads=2 display-name=%{GROUP}
WSGIScriptAlias /app @APPS@/closes_fds.wsgi process-group=c application-group=%{GLOBAL}
"""


def test_daemon_whose_app_closed_its_fds_is_replaced(httpd_factory, flavour):
    server = httpd_factory(CONF, flavour)
    first = server.wait_ok("/app/").body
    [pid] = server.wait_daemons("c", 1)
    try:
        server.get("/app/close", timeout=10)
    except OSError:
        pass  # its own connection was among the descriptors it closed
    line = server.wait_log("WSGID0232", timeout=15)
    assert f"(pid {pid})" in line

    def served_by_another():
        try:
            r = server.get("/app/", timeout=5)
        except OSError:
            return None
        return r if r.status == 200 and r.body != first else None

    r = hh.poll(served_by_another, 20, interval=0.05, what="a request served by the replacement")
    assert r.body.startswith(b"pid ")
    for _ in range(5):
        assert server.get("/app/", timeout=5).status == 200


def test_a_replaced_error_log_is_noticed_right_after_a_request_that_came_too_soon(
        httpd_factory, flavour):
    # Under load the daemon checks its own descriptors at most every 50 ms; a request ending
    # sooner after the last check owes one, which a thread waiting for work pays within 50 ms.
    # Here nothing but the guard can notice (descriptor 2 now leads to /dev/null: no call fails),
    # and no request follows the one that replaced it.
    server = httpd_factory(CONF, flavour)
    server.wait_ok("/app/")
    [pid] = server.wait_daemons("c", 1)
    assert server.get("/app/", timeout=5).status == 200  # checked now: the next one comes too soon
    assert server.get("/app/stderr", timeout=5).status == 200
    line = server.wait_log("WSGID0232", timeout=15)
    assert f"(pid {pid})" in line
