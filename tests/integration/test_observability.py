"""Health, readiness and metrics served by httpd's workers from the shared scoreboard, and
request ids that tie access lines to the app's own log lines."""

import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time

import pytest

import httpd_harness as hh

pytestmark = pytest.mark.wsgid_only("health, metrics and request ids are mod_wsgid's")

CONF = """
WSGIRestrictEmbedded On
LogFormat "%h \\"%r\\" %>s rid=%{WSGID_REQUEST_ID}e" rid
CustomLog @TMP@/rid.log rid
WSGIDaemonProcess o processes=1 threads=2 display-name=%{GROUP}
WSGIScriptAlias / @APPS@/observed.wsgi process-group=o application-group=%{GLOBAL}
<Location /-/healthz>
  SetHandler wsgid-health
</Location>
<Location /-/readyz>
  SetHandler wsgid-ready
</Location>
<Location /-/metrics>
  SetHandler wsgid-metrics
</Location>
"""


def metric(text, name, **labels):
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith(f"{name}{{{want}}} "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name}{{{want}}} not in metrics:\n{text}")


def ready(server):
    try:
        return server.get("/-/readyz", timeout=5)
    except OSError:
        return None


@pytest.fixture
def server(httpd_factory, flavour):
    return httpd_factory(CONF, flavour)


def test_readiness_turns_true_once_a_daemon_accepts(server):
    r = hh.poll(lambda: (lambda x: x if x and x.status == 200 else None)(ready(server)), 20,
                what="ready")
    body = json.loads(r.body)
    assert body["ready"] is True and body["groups"]["o"]["ready"] == 1
    assert server.get("/-/healthz").status == 200


def test_readiness_is_false_while_the_daemons_start(httpd_factory, flavour):
    # A preload that takes a while keeps the group STARTING; readiness says so.
    body = CONF.replace("WSGIScriptAlias",
                        "WSGIImportScript @APPS@/slow_import.wsgi process-group=o "
                        "application-group=%{GLOBAL}\nWSGIScriptAlias")
    server = httpd_factory(body, flavour)
    first = server.get("/-/readyz")
    assert first.status == 503
    assert json.loads(first.body)["groups"]["o"]["starting"] == 1
    hh.poll(lambda: (lambda x: x if x and x.status == 200 else None)(ready(server)), 30,
            what="ready after the slow preload")


def test_readiness_turns_false_during_graceful_stop_before_in_flight_requests_finish(server):
    hh.poll(lambda: (lambda x: x if x and x.status == 200 else None)(ready(server)), 20,
            what="ready")
    result = {}
    t = threading.Thread(target=lambda: result.update(r=server.get("/slow?3", timeout=30)))
    t.start()
    hh.poll(lambda: metric(server.get("/-/metrics").body.decode(), "wsgid_daemon_threads",
                           group="o", state="busy") == 1, 10, what="the slow request in the app")
    server.graceful_stop()
    hh.poll(lambda: (lambda x: x is None or x.status != 200)(ready(server)), 10,
            what="readiness false")
    assert t.is_alive(), "readiness must turn false before the in-flight request finishes"
    t.join(30)
    assert result["r"].status == 200


def test_metrics_are_exact_after_a_known_mix_and_survive_a_daemon_kill(server):
    hh.poll(lambda: (lambda x: x if x and x.status == 200 else None)(ready(server)), 20,
            what="ready")
    for _ in range(37):
        assert server.get("/").status == 200
    for _ in range(3):
        assert server.get("/fail").status == 500
    [pid] = server.daemon_pids("o")
    os.kill(pid, signal.SIGKILL)
    hh.poll(lambda: (lambda d: d and pid not in d)(server.daemon_pids("o")), 10, what="replacement")
    hh.poll(lambda: (lambda x: x if x and x.status == 200 else None)(ready(server)), 20,
            what="ready again")
    text = server.get("/-/metrics").body.decode()
    assert metric(text, "wsgid_requests_total", group="o", **{"class": "2xx"}) == 37
    assert metric(text, "wsgid_requests_total", group="o", **{"class": "5xx"}) == 3
    assert metric(text, "wsgid_request_duration_seconds_count", group="o") == 40
    assert metric(text, "wsgid_queue_wait_seconds_count", group="o") == 40
    assert metric(text, "wsgid_daemon_restarts_total", group="o", cause="crash") == 1
    assert metric(text, "wsgid_daemon_processes", group="o", state="ready") == 1
    assert metric(text, "wsgid_httpd_workers", state="busy") >= 1


def test_health_and_metrics_answer_while_every_daemon_thread_is_busy(server):
    hh.poll(lambda: (lambda x: x if x and x.status == 200 else None)(ready(server)), 20,
            what="ready")
    threads = [threading.Thread(target=lambda: server.get("/slow?4", timeout=30)) for _ in range(2)]
    for t in threads:
        t.start()
    hh.poll(lambda: metric(server.get("/-/metrics").body.decode(), "wsgid_daemon_threads",
                           group="o", state="busy") == 2, 10, what="both threads busy")
    started = time.monotonic()
    assert server.get("/-/healthz", timeout=3).status == 200
    assert server.get("/-/readyz", timeout=3).status == 200
    assert metric(server.get("/-/metrics", timeout=3).body.decode(), "wsgid_daemon_threads",
                  group="o", state="idle") == 0
    assert time.monotonic() - started < 3
    for t in threads:
        t.join(30)


def test_request_id_reaches_the_access_log_the_app_and_its_log_lines(server):
    hh.poll(lambda: (lambda x: x if x and x.status == 200 else None)(ready(server)), 20,
            what="ready")
    r = server.get("/log", headers={"X-Request-ID": "req-4711"})
    assert r.status == 200 and r.header("X-Request-ID") == "req-4711"
    log = server.wait_log("error-line rid=req-4711")
    for needle in ("print-line", "errors-line", "error-line"):
        line = next(l for l in log.splitlines() if f"{needle} rid=req-4711" in l)
        assert "[request req-4711]" in line, line
    error_line = next(l for l in log.splitlines() if "error-line rid=req-4711" in l)
    assert "[wsgid:error]" in error_line
    hh.poll(lambda: "rid=req-4711" in (server.tmp / "rid.log").read_text(), 5, what="access line")


def test_a_forged_request_id_is_replaced(server):
    r = server.get("/", headers={"X-Request-ID": "bad id\twith spaces"})
    generated = r.header("X-Request-ID")
    assert generated and re.fullmatch(r"[0-9a-f]{32}", generated)


def test_metrics_pass_promtool(server):
    promtool = shutil.which("promtool")
    if not promtool:
        pytest.skip("promtool (Debian package prometheus) is not installed")
    hh.poll(lambda: (lambda x: x if x and x.status == 200 else None)(ready(server)), 20,
            what="ready")
    server.get("/")
    text = server.get("/-/metrics").body
    result = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                            timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
