"""Reloads (SIGHUP to `wsgid run`) under load do not reset client connections (issue 18).

wrk keeps CONNECTIONS keep-alive connections busy while the launcher gets RELOADS SIGHUPs, each
after a change to the profile. wrk's read/write errors count connections closed or reset under
a request. The same reloads against a static file are the yardstick where httpd must restart;
where only the app or its daemons change, httpd is left alone and nothing may be lost at all.
Counts, not speed; bounded by wrk's duration and the number of reloads.
"""

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
daemon = {{ processes = 2, threads = 15 }}
"""

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
        profile.write_text(textwrap.dedent(PROFILE.format(version="0", server_extra="")))
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
    run.profile.write_text(textwrap.dedent(PROFILE.format(version=str(i), server_extra="")))


def new_httpd_setting(run, i):
    # A setting only httpd reads: it must restart.
    run.profile.write_text(textwrap.dedent(PROFILE.format(
        version="0", server_extra=f"[server.limits]\nkeepalive_timeout = \"{5 + i}s\"")))


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
