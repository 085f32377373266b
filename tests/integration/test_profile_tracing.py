"""profiles/tracing.toml: a W3C traceparent is kept when valid or made at the edge, reaches the
app as HTTP_TRACEPARENT, and its trace id is in the JSON access log beside the request id
(issue 14, item 9)."""

import json
import re

import pytest

import httpd_harness as hh

pytestmark = pytest.mark.wsgid_only("the launcher is wsgid's")

TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}")
VALID = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@pytest.fixture
def run(launch):
    return launch(profile_dir=hh.REPO_ROOT / "profiles", profile="tracing.toml")


def seen_by_app(run, headers) -> str:
    r = run.get("/", headers=headers)
    assert r.status == 200, r.body
    return r.body.decode().split("traceparent ")[1].strip()


def logged(run, request_id: str) -> dict:
    def find():
        for line in run.output().splitlines():
            if line.startswith("{") and f'"request_id":"{request_id}"' in line:
                return json.loads(line)
        return None
    return hh.poll(find, 10, what=f"the access log line of {request_id}")


def test_valid_traceparent_reaches_the_app_and_the_log(run):
    run.wait_ok("/")
    assert seen_by_app(run, {"traceparent": VALID, "X-Request-ID": "valid-1"}) == VALID
    assert logged(run, "valid-1")["trace_id"] == VALID[3:35]


@pytest.mark.parametrize("sent", [
    None,
    VALID.upper(),                                                   # must be lowercase
    "00-00000000000000000000000000000000-00f067aa0ba902b7-01",       # all-zero trace id
    "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",       # all-zero parent id
    "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",       # forbidden version
    VALID + "-extra",                                                # version 00 is exact
    "garbage",
])
def test_missing_or_invalid_traceparent_is_replaced(run, sent):
    run.wait_ok("/")
    rid = f"made-{abs(hash(sent)) % 100000}"
    headers = {"X-Request-ID": rid}
    if sent is not None:
        headers["traceparent"] = sent
    got = seen_by_app(run, headers)
    match = TRACEPARENT.fullmatch(got)
    assert match, got
    assert got != sent and match.group(1) != "0" * 32 and match.group(2) != "0" * 16
    assert logged(run, rid)["trace_id"] == match.group(1)
    # Each request starts its own trace.
    assert seen_by_app(run, {}) != got
