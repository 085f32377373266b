"""An app that fails at import answers at once, says why, and recovers as soon as it is fixed.

A daemon whose preloaded script raises (a RuntimeError, a missing module or python_path entry,
a callable that is not there) cannot start. Before issue 18 every request then waited in the
group's backlog for socket-timeout and got a 504 blamed on a slow app, and a fixed script was
retried only after the 1, 2, 4 ... 30 s back-off. mod_wsgi 4.9.4 answers 500 at once (it retries
the import per request) and recovers at once; wsgid answers 503 at once and recovers at once.
"""

import json
import time

import pytest

import httpd_harness as hh

GOOD = '''
def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"fixed\\n"]
'''

BROKEN = {
    "runtime_error": ('raise RuntimeError("broken on purpose: no database")\n',
                      "RuntimeError: broken on purpose: no database"),
    "missing_module": ("import wsgid_no_such_module  # a python_path entry that is missing\n",
                       "ModuleNotFoundError: No module named 'wsgid_no_such_module'"),
    "wrong_callable": ("def app(environ, start_response):\n    pass\n",
                       "'application'"),
}


def conf(extra=""):
    return f"""
WSGIRestrictEmbedded On
WSGIDaemonProcess broken threads=2 display-name=%{{GROUP}}
WSGIScriptAlias /app @APPS@/fails_at_import.wsgi process-group=broken application-group=%{{GLOBAL}}
<Location /-/readyz>
  SetHandler wsgid-ready
</Location>
{extra}"""


def start_broken(httpd_factory, flavour, source):
    server = httpd_factory(conf(), flavour, start=False)
    (server.apps / "fails_at_import.wsgi").write_text(source)
    server.start()
    return server


def wait_failed_start(server, flavour):
    # mod_wsgi tries the import again on each request: there is nothing to wait for.
    if flavour == "wsgid":
        server.wait_log(FAILED_START, timeout=20)


FAILED_START = "WSGID0514: daemon group broken"


def timed_get(server, path):
    started = time.monotonic()
    r = server.get(path, timeout=30)
    return r, time.monotonic() - started


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_request_to_an_app_that_cannot_import_is_answered_at_once(httpd_factory, flavour, case):
    source, cause = BROKEN[case]
    server = start_broken(httpd_factory, flavour, source)
    wait_failed_start(server, flavour)
    for _ in range(3):
        r, took = timed_get(server, "/app/")
        assert took < 1.0, (case, r.status, took)
        assert r.status == (503 if flavour == "wsgid" else 500), (case, r.status, r.body)
    if flavour == "wsgid":
        assert b"WSGID0514" in r.body, r.body
        line = server.wait_log("WSGID0160")
        assert "daemon group 'broken' cannot start" in line
        assert cause in line.split("WSGID0160", 1)[1], line


@pytest.mark.wsgid_only("readiness and the start-up back-off are mod_wsgid's")
def test_traceback_once_per_start_readiness_names_the_cause_and_a_fix_is_served_at_once(
        httpd_factory, flavour):
    source, cause = BROKEN["runtime_error"]
    server = start_broken(httpd_factory, flavour, source)
    # Let the back-off grow past what the recovery below may take: the third failed start
    # waits 4 s before the next one.
    hh.poll(lambda: server.read_log().count("during start-up") >= 3, 30, what="three failed starts")
    starts = server.read_log().count(FAILED_START)
    for _ in range(10):
        r, took = timed_get(server, "/app/")
        assert r.status == 503 and took < 1.0, (r.status, took)
    log = server.read_log()
    # The traceback is logged by each failed start, never per request.
    assert log.count("Traceback (most recent call last)") <= log.count(FAILED_START)
    assert log.count(FAILED_START) <= starts + 1
    assert log.count("WSGID0160") >= 10

    ready = server.get("/-/readyz")
    assert ready.status == 503, ready
    body = json.loads(ready.body)
    assert body["ready"] is False
    assert cause in body["groups"]["broken"]["startup_error"], body

    # Fixing the script is noticed within the back-off: served well before the 4+ s it waits.
    backing_off = server.read_log().count("in 4 s") + server.read_log().count("in 8 s")
    assert backing_off >= 1, server.read_log()[-3000:]
    (server.apps / "fails_at_import.wsgi").write_text(GOOD)
    fixed_at = time.monotonic()

    def served():
        r = server.get("/app/", timeout=5)
        return r if r.status == 200 else None

    r = hh.poll(served, 10, interval=0.05, what="the fixed app served")
    took = time.monotonic() - fixed_at
    assert r.body == b"fixed\n"
    assert took < 3.0, took
    server.wait_log("WSGID0231")
    assert server.get("/-/readyz").status == 200
    assert "startup_error" not in json.loads(server.get("/-/readyz").body)["groups"]["broken"]


@pytest.mark.wsgid_only("the backlog answer is mod_wsgid's")
def test_requests_queued_while_the_start_fails_get_the_cause_not_a_timeout(httpd_factory, flavour):
    server = httpd_factory(conf().replace("threads=2", "threads=2 socket-timeout=20"), flavour,
                           start=False)
    (server.apps / "fails_at_import.wsgi").write_text(
        "import time\ntime.sleep(2)\nraise RuntimeError('slow and broken')\n")
    server.start()
    # Sent while the first start is still importing: it queues in the group's backlog.
    r, took = timed_get(server, "/app/")
    assert r.status == 503, (r.status, took, r.body)
    assert took < 10, took  # not socket-timeout (20 s)
    line = server.wait_log("WSGID0563")
    assert "RuntimeError: slow and broken" in line
