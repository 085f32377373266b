"""Reloads (SIGHUP to `wsgid run`) under load do not reset client connections (issue 18).

wrk keeps CONNECTIONS keep-alive connections busy while the launcher gets RELOADS SIGHUPs, each
after a change to the profile. wrk's read/write errors count connections closed or reset under
a request. The same reloads against a static file are the yardstick where httpd must restart;
where only the app or its daemons change, httpd is left alone and nothing may be lost at all.
Counts, not speed; bounded by wrk's duration and the number of reloads.
"""

import json
import os
import shutil
import signal
import textwrap
import threading
import time

import pytest

import httpd_harness as hh
import launcher_harness as lh

pytestmark = pytest.mark.wsgid_only("the launcher is wsgid's")

PROFILE = """
[server]
listen = "127.0.0.1:8080"
{server_extra}

[[site]]
name = "v"
server_name = "localhost"
app = "apps/versioned.wsgi"
static = {{ "/static" = "static" }}
env = {{ VERSION = "{version}" }}
daemon = {{ processes = {processes}, threads = {threads}{daemon_extra} }}
"""


def profile_text(version="0", server_extra="", processes=2, threads=15, daemon_extra=""):
    return textwrap.dedent(PROFILE.format(version=version, server_extra=server_extra,
                                          processes=processes, threads=threads,
                                          daemon_extra=daemon_extra))

CONNECTIONS = 32
RELOADS = 6
RELOAD_INTERVAL = 1.5


def wrk_during(port: int, path: str, seconds: int, action) -> dict[str, int]:
    """Runs wrk for `seconds` and `action()` meanwhile; returns wrk's counts."""
    return hh.wrk_counts(port, path, seconds, CONNECTIONS, during=action)


def lost(counts: dict[str, int]) -> int:
    return counts["connect"] + counts["read"] + counts["write"] + counts["timeout"]


@pytest.fixture
def launch():
    if not shutil.which("wrk"):
        pytest.skip("wrk is not installed")
    runs = []

    def start():
        tmp = hh.make_tmp()  # with a readable copy of tests/apps
        (tmp / "static").mkdir(mode=0o755)
        (tmp / "static" / "hello.txt").write_text("Hello from a file\n")
        (tmp / "static" / "hello.txt").chmod(0o644)
        profile = tmp / "site.toml"
        profile.write_text(profile_text())
        runs.append(lh.Launched(tmp=tmp, profile=profile))
        return runs[-1].start()

    yield start
    for launched in runs:
        try:
            launched.stop()
        finally:
            shutil.rmtree(launched.tmp, ignore_errors=True)


def reloads(run, change):
    """RELOADS SIGHUPs, each after change(run, i); waits for each to be applied."""
    def act():
        for i in range(1, RELOADS + 1):
            time.sleep(RELOAD_INTERVAL)  # spacing under load, not synchronisation
            change(run, i)
            done = run.output().count("wsgid: configuration reloaded")
            os.kill(run.proc.pid, signal.SIGHUP)
            hh.poll(lambda: run.output().count("wsgid: configuration reloaded") > done, 30,
                    what=f"reload {i} to be applied")
    return act


def new_version(run, i):
    run.profile.write_text(profile_text(version=str(i)))


def new_httpd_setting(run, i):
    # A setting only httpd reads: it must restart.
    run.profile.write_text(profile_text(
        server_extra=f"[server.limits]\nkeepalive_timeout = \"{5 + i}s\""))


def threads_after(i):
    return 15 - 2 * i


def new_daemon_settings(run, i):
    # Settings only the daemons read (the settings file), and the env: no httpd restart.
    run.profile.write_text(profile_text(
        version=str(i), threads=threads_after(i),
        daemon_extra=f", maximum_requests = {100000 + i}, request_timeout = \"{60 + i}s\""))


SECONDS = int(RELOADS * RELOAD_INTERVAL + 4)


def test_reloads_that_need_httpd_cost_no_more_than_a_static_server(launch):
    static_run = launch()
    static_run.wait_ok("/static/hello.txt")
    static = wrk_during(static_run.port, "/static/hello.txt", SECONDS,
                        reloads(static_run, new_httpd_setting))
    static_run.stop()
    app_run = launch()
    app_run.wait_ok("/")
    app = wrk_during(app_run.port, "/", SECONDS, reloads(app_run, new_httpd_setting))
    print(f"{RELOADS} httpd reloads\nstatic file: {static}\nwsgi app:    {app}")
    assert app["non2xx"] == 0, app
    assert lost(app) <= lost(static) + 2 * RELOADS, (app, static)


def test_reloads_of_the_app_leave_httpd_and_its_connections_alone(launch):
    run = launch()
    run.wait_ok("/")
    workers = sorted(run.worker_pids())
    counts = wrk_during(run.port, "/", SECONDS, reloads(run, new_version))
    print(f"{RELOADS} app reloads: {counts}")
    assert run.get("/").body == f"version={RELOADS}".encode()
    assert counts["non2xx"] == 0, counts
    assert lost(counts) == 0, counts
    assert sorted(run.worker_pids()) == workers, "httpd's worker children were replaced"


def settings(run) -> dict:
    r = run.get("/settings")
    assert r.status == 200, r.body
    return json.loads(r.body)


def test_reloads_of_daemon_settings_leave_httpd_and_its_connections_alone(launch):
    run = launch()
    run.wait_ok("/")
    httpd, workers = run.httpd_pid(), sorted(run.worker_pids())
    before = settings(run)
    counts = wrk_during(run.port, "/", SECONDS, reloads(run, new_daemon_settings))
    print(f"{RELOADS} daemon-settings reloads: {counts}")
    assert counts["non2xx"] == 0, counts
    assert lost(counts) == 0, counts
    assert run.httpd_pid() == httpd
    assert sorted(run.worker_pids()) == workers, "httpd restarted for daemon settings"
    assert "httpd restarts gracefully" not in run.output()
    # In effect: the env, and each process runs the new number of request threads.
    after = settings(run)
    assert after["version"] == str(RELOADS)
    assert before["tasks"] - after["tasks"] == 15 - threads_after(RELOADS), (before, after)
    # maximum_requests too, checked without load so the count is exact: 120 requests over two
    # processes recycle at least one of them after its 40th.
    run.profile.write_text(profile_text(version="last", threads=threads_after(RELOADS),
                                        daemon_extra=", maximum_requests = 40"))
    done = run.output().count("wsgid: configuration reloaded")
    os.kill(run.proc.pid, signal.SIGHUP)
    hh.poll(lambda: run.output().count("wsgid: configuration reloaded") > done, 60,
            what="the maximum_requests reload")
    pids = {settings(run)["pid"] for _ in range(120)}
    assert len(pids) > 2, pids
    assert sorted(run.worker_pids()) == workers, "httpd restarted for maximum_requests"


def test_a_daemon_setting_httpd_reads_still_restarts_it(launch):
    run = launch()
    run.wait_ok("/")
    workers = set(run.worker_pids())
    # The parent forks one daemon per process and the workers size their pools by it.
    run.profile.write_text(profile_text(processes=3, daemon_extra=', socket_timeout = "50s"'))
    os.kill(run.proc.pid, signal.SIGHUP)
    run.wait_output("httpd restarts gracefully", timeout=30)
    hh.poll(lambda: len(run.daemon_pids("v")) == 3 and not workers & set(run.worker_pids()),
            30, what="three daemons and new workers")
    run.wait_ok("/")
