"""Every shipped profile runs with `wsgid run` and serves its site(s), as the README promises."""

import urllib.error
import urllib.request

import pytest

import httpd_harness as hh

pytestmark = pytest.mark.wsgid_only("the launcher is wsgid's")


@pytest.fixture
def launch(launch):
    """launch(name, edit=None): a shipped profile, run from a copy of profiles/ (an edited
    variant stays beside the others, so its relative paths still work)."""
    return lambda name, edit=None: launch(profile_dir=hh.REPO_ROOT / "profiles", profile=name,
                                          edit=edit)


def test_hello_answers_on_localhost_and_127_0_0_1(launch):
    run = launch("hello.toml")
    assert b"Hello" in run.wait_ok("/", host="localhost").body
    assert b"Hello" in run.wait_ok("/", host="127.0.0.1").body


def test_unknown_hosts_get_421_naming_the_host_names_that_work(launch):
    run = launch("hello.toml")
    run.wait_ok("/")
    answer = run.get("/some/page", host="evil.example")
    assert answer.status == 421, answer
    assert b"Configured host names: localhost, 127.0.0.1." in answer.body, answer.body
    log = run.wait_output("WSGID0180")
    assert 'Host "evil.example"' in log, log[-2000:]
    # The health endpoints still answer for any Host (probes use the pod's address).
    assert run.get("/-/healthz", host="10.1.2.3").status == 200


def test_the_ready_line_lists_the_urls_that_work(launch):
    run = launch("hello.toml")
    ready = next(line for line in run.output().splitlines() if "ready on" in line)
    assert f"at http://localhost:{run.port}/ http://127.0.0.1:{run.port}/;" in ready, ready


def test_a_default_site_answers_any_host(launch):
    run = launch("default-site.toml")
    assert b"Hello" in run.wait_ok("/", host="anything.example").body
    assert b"Hello" in run.get("/", host="localhost").body
    assert "default for any host" in run.output()


def basic_auth_get(port, user, password):
    """What a real client does: ask, get the 401 challenge, answer it with credentials."""
    url = f"http://localhost:{port}/"
    passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    passwords.add_password(None, url, user, password)
    opener = urllib.request.build_opener(urllib.request.HTTPBasicAuthHandler(passwords))
    try:
        with opener.open(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_pass_authorization_gives_the_app_the_clients_credentials(launch):
    run = launch("pass-authorization.toml")
    run.wait_output("ready on")
    assert basic_auth_get(run.port, "alice", "s3cret") == (200, b"user=alice\n")


def test_basic_auth_lets_in_only_the_htpasswd_users_and_not_the_probes(launch):
    run = launch("basic-auth.toml")
    run.wait_output("ready on")
    assert basic_auth_get(run.port, "alice", "change-me") == (200, b"user=alice checked by httpd\n")
    status, _ = basic_auth_get(run.port, "alice", "wrong")
    assert status == 401
    anonymous = run.get("/")
    assert anonymous.status == 401, anonymous
    assert anonymous.headers.get("WWW-Authenticate") == 'Basic realm="Example admin"', anonymous
    assert run.get("/-/healthz").status == 200


def test_without_pass_authorization_the_app_never_sees_credentials(launch):
    run = launch("pass-authorization.toml",
                 edit=lambda text: text.replace("pass_authorization = true", ""))
    run.wait_output("ready on")
    status, body = basic_auth_get(run.port, "alice", "s3cret")
    assert status == 401 and b"no Authorization header" in body, (status, body)


def test_flask_profile_passes_its_environment_to_the_app(launch):
    run = launch("flask.toml")
    assert run.wait_ok("/").status == 200


def test_django_profile_serves_pages_and_static_files(launch):
    run = launch("django.toml")
    assert run.wait_ok("/").status == 200
    static = run.get("/static/style.css")
    assert static.status == 200 and b"font-family" in static.body


def test_two_sites_are_told_apart_by_host(launch):
    run = launch("two-sites.toml")
    hello = run.wait_ok("/", host="hello.localhost")
    flask = run.wait_ok("/", host="flask.localhost")
    assert b"Hello" in hello.body
    assert hello.body != flask.body


def probe_and_mark(run, marker):
    for path in ("/-/healthz", "/-/readyz", "/-/metrics"):
        assert run.get(path).status == 200, path
    assert run.get(f"/?{marker}").status == 200
    # The marker is requested after every probe has been answered: once its access line is
    # out, the probes' lines would be too, bar a worker still writing one (the test with
    # access_log = true waits for each of them, so that order is not relied on there).
    return run.wait_output(marker)


def test_probes_stay_out_of_the_access_log_unless_asked(launch):
    run = launch("hello.toml")
    run.wait_ok("/")
    out = probe_and_mark(run, "after-probes")
    for path in ("/-/healthz", "/-/readyz", "/-/metrics"):
        assert f"GET {path}" not in out, out[-2000:]


def test_access_log_true_logs_probes_too(launch):
    run = launch("hello.toml", edit=lambda text: text.replace(
        "[[site]]", "[server.health]\naccess_log = true\n\n[[site]]", 1))
    run.wait_ok("/")
    probe_and_mark(run, "after-logged-probes")
    for path in ("/-/healthz", "/-/readyz", "/-/metrics"):
        run.wait_output(f"GET {path}")
