"""profiles/python-auth.toml: check_password, groups_for_user and allow_access named as
"module:function" run in the site's own daemons and decide who gets in (issue 14, item 5)."""

import re
import subprocess

import pytest

import edge_clients as ec
import httpd_harness as hh
import launcher_harness as lh

pytestmark = pytest.mark.wsgid_only("the launcher is wsgid's")


@pytest.fixture
def run():
    with lh.shipped_profile("python-auth.toml") as launched:
        # The first request also waits for the daemon that runs the hooks.
        hh.poll(lambda: curl_status(launched, "-u", "alice:wonderland") == 200, 20,
                what="alice let in")
        yield launched


def curl_status(run, *args):
    out = subprocess.run(
        ["curl", "-sS", "--max-time", "20", "-o", "/dev/null", "-w", "%{http_code}", "-H",
         "Host: localhost", *args, f"http://127.0.0.1:{run.port}/"],
        capture_output=True, text=True, check=True, timeout=30)
    return int(out.stdout)


def test_check_password_lets_in_the_right_password_only(run):
    head, body = ec.curl(run.port, "/", "-u", "alice:wonderland")
    assert body == b"hello alice\n", (head, body)
    assert curl_status(run, "-u", "alice:wrong") == 401
    assert curl_status(run, "-u", "mallory:anything") == 401
    head, _ = ec.curl(run.port, "/")
    assert head.startswith("http/1.1 401") and 'www-authenticate: basic realm="staff only"' in head


def test_groups_for_user_admits_only_the_required_groups(run):
    # bob's password is right, but he is not in "staff".
    assert curl_status(run, "-u", "bob:builder") == 401
    assert "WSGID0133" in run.wait_output("WSGID0133")


def test_allow_access_refuses_before_any_password(run):
    assert curl_status(run, "-A", "BadBot/1.0") == 403
    assert curl_status(run, "-u", "alice:wonderland", "-A", "BadBot/1.0") == 403
    assert "WSGID0132" in run.wait_output("WSGID0132")


def test_the_hooks_run_in_the_sites_daemon_not_in_httpds_workers(run):
    log = run.wait_output("check_password for alice ran in pid")
    pid = int(re.search(r"check_password for alice ran in pid (\d+)", log).group(1))
    assert pid in run.daemon_pids("guarded"), (pid, run.daemon_pids("guarded"))
    assert pid not in run.worker_pids()
