"""`wsgid run` keeps client keep-alive connections under load (issue 18).

wrk's "read" socket errors count connections the server closed while a request was on them: the
client cannot tell whether it was processed, so a POST could not be retried. With the event MPM
a worker child closes its keep-alive connections whenever all its threads are busy, and threads
waiting on daemons are busy: the launcher's sizing must keep a child from filling up under a
load its daemons can absorb. The same run against a static file (served by httpd's own threads,
which never wait) is the yardstick. Counts, not speed; wrk runs a bounded time.
"""

import shutil
import textwrap

import pytest

import httpd_harness as hh
import launcher_harness as lh

pytestmark = pytest.mark.wsgid_only("the launcher is wsgid's")

PROFILE = """
[server]
listen = "127.0.0.1:8080"

[[site]]
name = "hello"
server_name = "localhost"
app = "apps/hello.wsgi"
static = {{ "/static" = "static" }}
daemon = {{ processes = 2, threads = 15 }}
"""

CONNECTIONS = 32
SECONDS = 8


def wrk(port: int, path: str) -> dict[str, int]:
    """Runs wrk with CONNECTIONS keep-alive connections; returns its request and error counts."""
    return hh.wrk_counts(port, path, SECONDS, CONNECTIONS)


@pytest.fixture
def launch():
    """launch() -> a fresh `wsgid run` of PROFILE; all are stopped afterwards."""
    if not shutil.which("wrk"):
        pytest.skip("wrk is not installed")
    runs = []

    def start():
        tmp = hh.make_tmp()  # with a readable copy of tests/apps
        (tmp / "static").mkdir(mode=0o755)
        (tmp / "static" / "hello.txt").write_text("Hello from a file\n")
        (tmp / "static" / "hello.txt").chmod(0o644)
        profile = tmp / "site.toml"
        profile.write_text(textwrap.dedent(PROFILE.format()))
        runs.append(lh.Launched(tmp=tmp, profile=profile))
        return runs[-1].start()

    yield start
    for launched in runs:
        try:
            launched.stop()
        finally:
            shutil.rmtree(launched.tmp, ignore_errors=True)


def test_keepalive_connections_are_not_dropped_under_load(launch):
    # Each on a server just started, when children are still being spawned and a child that
    # took many connections can fill up: the same conditions for the yardstick and the app.
    static_run = launch()
    static_run.wait_ok("/static/hello.txt")
    static = wrk(static_run.port, "/static/hello.txt")
    static_run.stop()
    app_run = launch()
    app_run.wait_ok("/")
    app = wrk(app_run.port, "/")
    print(f"static file: {static}\nwsgi app:    {app}")
    assert app["requests"] > 0 and static["requests"] > 0
    assert app["non2xx"] == 0 and app["timeout"] == 0 and app["connect"] == 0, app
    # Connections closed under a request: no more than the static-file server's, and a small
    # absolute allowance for a loaded machine, where even that yardstick is noisy.
    assert app["read"] + app["write"] <= static["read"] + static["write"] + 2, (app, static)
