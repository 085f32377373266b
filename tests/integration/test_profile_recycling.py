"""profiles/recycling.toml: maximum_requests_jitter gives each daemon process its own request
limit, and health probes never count toward it (issue 14, item 8)."""

import itertools
import re

import pytest

import httpd_harness as hh

pytestmark = pytest.mark.wsgid_only("the launcher is wsgid's")

MAXIMUM, JITTER = 2, 6


def small_numbers(text: str) -> str:
    """The shipped numbers, made small enough to watch a dozen recycles: one process, one
    thread, so every request of a process's life is seen, in order."""
    for key, value in (("processes", 1), ("threads", 1), ("maximum_requests", MAXIMUM),
                       ("maximum_requests_jitter", JITTER)):
        text, n = re.subn(rf"^{key} = \d+$", f"{key} = {value}", text, flags=re.M)
        assert n == 1, key
    return text


@pytest.fixture
def run(launch):
    return launch(profile_dir=hh.REPO_ROOT / "profiles", profile="recycling.toml",
                  edit=small_numbers)


def test_each_process_draws_its_own_limit_and_probes_do_not_count(run):
    run.wait_ok("/")
    pids = []
    for _ in range(70):
        # Were probes requests, a process would recycle after its second probe, before any
        # app request of its second turn.
        for probe in ("/-/healthz", "/-/readyz", "/-/healthz"):
            assert run.get(probe).status in (200, 503)
        r = run.get("/", timeout=30)
        assert r.status == 200, r.body
        pids.append(r.body.split()[1])
    lives = [len(list(group)) for _, group in itertools.groupby(pids)]
    complete = lives[1:-1]  # the first began with wait_ok, the last has not ended
    print("requests per process life:", lives)
    assert len(complete) >= 5, lives
    assert all(MAXIMUM <= n <= MAXIMUM + JITTER for n in complete), lives
    # Without the jitter every life is exactly MAXIMUM requests long.
    assert len(set(complete)) >= 2, lives
