"""`wsgid run` under load: SIGHUP applies a changed profile with zero failed requests; a broken
profile on SIGHUP is reported and the running site keeps serving."""

import os
import signal
import textwrap

import pytest

import httpd_harness as hh

pytestmark = pytest.mark.wsgid_only("the launcher is wsgid's")

PROFILE = """
[server]
listen = "127.0.0.1:8080"

[[site]]
name = "v"
server_name = "localhost"
app = "apps/versioned.wsgi"
env = {{ VERSION = "{version}" }}
daemon = {{ processes = 2, threads = 8 }}
"""


@pytest.fixture
def run(launch):
    return launch(PROFILE.format(version="1"))


def test_sighup_with_a_changed_profile_applies_it_with_zero_failed_requests(run):
    run.wait_ok("/")
    with hh.Load(run.port, "/", clients=40, max_requests=4000, max_seconds=90,
                 host="localhost") as load:
        load.wait_successes(200)
        run.profile.write_text(textwrap.dedent(PROFILE.format(version="2")))
        os.kill(run.proc.pid, signal.SIGHUP)
        hh.poll(lambda: any(o.body == b"version=2" for o in load.snapshot()), 60,
                what="responses from the new profile")
        done = load.successes()
        load.wait_successes(done + 300)
    failures = load.failures()
    assert not failures, f"{len(failures)} failed, e.g. {[f.detail for f in failures[:3]]}"
    assert run.get("/").body == b"version=2"


def test_sighup_with_a_broken_profile_keeps_the_old_site_and_reports_why(run):
    run.wait_ok("/")
    run.profile.write_text(textwrap.dedent(PROFILE.format(version="3")).replace(
        "processes = 2", "procesess = 2"))
    os.kill(run.proc.pid, signal.SIGHUP)
    out = run.wait_output("WSGID1002")
    assert 'unknown key "procesess"' in out and 'did you mean "processes"' in out
    assert run.get("/").body == b"version=1"
