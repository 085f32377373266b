"""40 concurrent clients through graceful restart, graceful stop and maximum-requests recycling:
no request may fail."""

import threading

import pytest

import httpd_harness as hh

RESUMING = "AH00489"   # "... configured -- resuming normal operations", once per (re)start

CONF = """
WSGIRestrictEmbedded On
WSGIDaemonProcess d processes=2 threads=8 display-name=%{GROUP} graceful-timeout=15
WSGIScriptAlias /m @APPS@/misbehave.wsgi process-group=d application-group=%{GLOBAL}
"""

RECYCLE_CONF = """
WSGIRestrictEmbedded On
WSGIDaemonProcess r processes=2 threads=8 maximum-requests=20 display-name=%{GROUP}
WSGIScriptAlias /m @APPS@/misbehave.wsgi process-group=r application-group=%{GLOBAL}
"""


def describe(failures):
    return f"{len(failures)} failed requests, e.g. " + "; ".join(o.detail[:60] for o in failures[:5])


@pytest.mark.wsgid_only("mod_wsgi kills its daemons on any restart, failing in-flight requests")
def test_graceful_restart_under_load_fails_nothing(httpd_factory, flavour):
    server = httpd_factory(CONF, flavour)
    server.wait_ok("/m/slow?1")
    with hh.Load(server.port, "/m/slow?20", clients=40, max_requests=6000, max_seconds=90) as load:
        load.wait_successes(200)
        restarts = server.read_log().count(RESUMING)
        server.graceful_restart()
        hh.poll(lambda: server.read_log().count(RESUMING) > restarts, timeout=30,
                what="httpd to finish the graceful restart")
        done = load.successes()
        load.wait_successes(done + 400)
    assert not load.failures(), describe(load.failures())
    assert load.successes() >= 600


@pytest.mark.mod_wsgi_differs(
    "mod_wsgi postpones maximum-requests recycling while any request is active, so under "
    "constant load its daemons are never recycled", strict=False)
def test_maximum_requests_recycling_under_load_fails_nothing(httpd_factory, flavour):
    server = httpd_factory(RECYCLE_CONF, flavour)
    server.wait_ok("/m/")
    with hh.Load(server.port, "/m/slow?5", clients=40, max_requests=600, max_seconds=120) as load:
        hh.poll(load.exhausted, timeout=150, interval=0.1, what="600 requests to complete")
    assert not load.failures(), describe(load.failures())
    pids = {o.body.split()[-1] for o in load.snapshot()}
    print(f"{len(pids)} daemon processes served 600 requests")
    # 600 requests at 20 per daemon life: every daemon was recycled at least once, and again.
    assert len(pids) >= 4, f"only {len(pids)} distinct daemon pids served 600 requests"
    assert len(load.snapshot()) == 600


def test_graceful_stop_finishes_in_flight_requests(httpd_factory, flavour):
    server = httpd_factory(CONF, flavour)
    server.wait_ok("/m/slow?1")
    results = []

    def slow_client():
        try:
            results.append(server.get("/m/slow-marked?ms=1500&mark=stop", timeout=30).status)
        except Exception as e:
            results.append(repr(e))

    clients = [threading.Thread(target=slow_client) for _ in range(4)]
    for t in clients:
        t.start()
    # Stop only once the requests are in the daemons: each one's worker thread is busy.
    scratch = server.tmp / "scratch"
    hh.poll(lambda: len(list(scratch.glob("arrived-stop-*"))) >= 4, timeout=10,
            what="4 requests inside the app")
    server.graceful_stop()
    for t in clients:
        t.join(60)
    assert results == [200] * 4
    server.proc.wait(timeout=30)

