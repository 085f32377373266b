"""Python hooks (issue 5 item 3): WSGIAccessScript, WSGIAuthUserScript (authn provider `wsgi`
for Basic and Digest), WSGIAuthGroupScript (`Require wsgi-group`) and WSGIDispatchScript run
in httpd's worker children, even under WSGIRestrictEmbedded On, as mod_wsgi 3.0 does. Each
hook answers from the request's headers, so a test that passes proves the hook ran and saw them.
"""

import base64
import json
import os
import re
import time
import urllib.error
import urllib.request

import pytest

import httpd_harness as hh

AUTH_MODULES = "\n".join(
    f"LoadModule {name} {hh.APACHE_MODULES / so}"
    for name, so in [("authn_core_module", "mod_authn_core.so"),
                     ("auth_basic_module", "mod_auth_basic.so"),
                     ("auth_digest_module", "mod_auth_digest.so"),
                     ("authz_user_module", "mod_authz_user.so")])

# Every app runs in a daemon group and Python is refused in workers, except for the hooks.
BASE = AUTH_MODULES + """
WSGIRestrictEmbedded On
WSGIDaemonProcess a processes=1 threads=4 display-name=%{GROUP}
WSGIDaemonProcess b processes=1 threads=4 display-name=%{GROUP}
WSGIScriptAlias /app @APPS@/dispatch_target.wsgi process-group=a application-group=%{GLOBAL}
WSGIScriptAlias /embedded @APPS@/dispatch_target.wsgi
"""

ACCESS = BASE + """
<Location /app>
  WSGIAccessScript @APPS@/hook_access.wsgi
</Location>
<Location /static.txt>
  WSGIAccessScript @APPS@/hook_access.wsgi application-group=gatekeeper
</Location>
"""

BASIC = BASE + """
<Location /app>
  AuthType Basic
  AuthName "Top Secret"
  AuthBasicProvider wsgi
  WSGIAuthUserScript @APPS@/hook_auth.wsgi
  Require valid-user
</Location>
"""

DIGEST = BASE + """
<Location /app>
  AuthType Digest
  AuthName "Top Secret"
  AuthDigestDomain /app
  AuthDigestProvider wsgi
  WSGIAuthUserScript @APPS@/hook_auth.wsgi application-group=auth
  Require valid-user
</Location>
"""

GROUPS = BASE + """
<Location /app>
  AuthType Basic
  AuthName "Agents"
  AuthBasicProvider wsgi
  WSGIAuthUserScript @APPS@/hook_auth.wsgi
  WSGIAuthGroupScript @APPS@/hook_auth.wsgi
  Require wsgi-group secret-agents
</Location>
"""

DISPATCH = BASE + """
WSGIDispatchScript @APPS@/hook_dispatch.wsgi
"""


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def hook_calls(server, hook):
    """What each call of `hook` saw, from the lines hook_common.report wrote to the error log."""
    calls = []
    for line in server.read_log().splitlines():
        m = re.search(r"hook-call (\w+) (\{.*\})", line)
        if m and m.group(1) == hook:
            calls.append(json.loads(m.group(2)))
    return calls


def app_info(response):
    assert response.status == 200, (response.status, response.body[:300])
    return json.loads(response.body)


def start(httpd_factory, flavour, body):
    server = httpd_factory(body, flavour)
    (server.tmp / "htdocs" / "static.txt").write_text("static\n")
    hh.poll(lambda: server.daemon_pids("a") or None, 15, what="daemon a")
    return server


def test_access_script_decides_from_request_headers(httpd_factory, flavour):
    server = start(httpd_factory, flavour, ACCESS)
    hh.poll(lambda: server.get("/app", headers={"X-Access": "allow"}).status == 200 or None, 20,
            what="/app allowed")
    assert server.get("/app", headers={"X-Access": "deny"}).status == 403
    assert server.get("/app", headers={"X-Access": "none"}).status == 200  # Require all granted
    assert server.get("/app").status == 200  # host == REMOTE_ADDR
    # Static files are guarded too: the hook is an httpd access checker, not part of the app.
    assert server.get("/static.txt", headers={"X-Access": "deny"}).status == 403
    r = server.get("/static.txt", headers={"X-Access": "allow"})
    assert (r.status, r.body) == (200, b"static\n")
    # What the hook saw: the request's headers, the client, no Authorization, its interpreter.
    server.get("/app", headers={"X-Access": "allow", "X-Token": "t-123",
                                "Authorization": "Basic c3B5OnNlY3JldA=="})
    seen = hh.poll(lambda: [c for c in hook_calls(server, "allow_access")
                            if c.get("HTTP_X_TOKEN") == "t-123"] or None, 10, what="hook log")[0]
    assert seen["host"] == "127.0.0.1" and seen["REMOTE_ADDR"] == "127.0.0.1", seen
    assert seen["REQUEST_METHOD"] == "GET" and seen["REQUEST_URI"] == "/app", seen
    assert "HTTP_AUTHORIZATION" not in seen, seen
    assert seen["mod_wsgi.process_group"] == "", seen
    assert seen["mod_wsgi.application_group"] == "", seen  # %{GLOBAL} by default
    # It ran in a worker child although WSGIRestrictEmbedded is On.
    assert seen["ppid"] == server.pid and seen["pid"] in server.worker_pids(), seen
    statics = [c for c in hook_calls(server, "allow_access") if c["REQUEST_URI"] == "/static.txt"]
    assert statics and all(c["mod_wsgi.application_group"] == "gatekeeper" for c in statics), statics
    # WSGI apps without a process group are still refused in workers.
    assert server.get("/embedded").status == 500
    if flavour == "wsgid":
        server.wait_log("WSGID0102")


def test_basic_auth_provider_checks_passwords(httpd_factory, flavour):
    server = start(httpd_factory, flavour, BASIC)
    hh.poll(lambda: server.get("/app", headers=basic("spy", "secret")).status == 200 or None, 20,
            what="/app with good credentials")
    got = app_info(server.get("/app", headers=basic("spy", "secret")))
    assert got["remote_user"] == "spy" and got["auth_type"] == "Basic", got
    assert got["process_group"] == "a", got  # the app itself still runs in its daemon
    no_credentials = server.get("/app")
    assert no_credentials.status == 401
    assert 'Basic realm="Top Secret"' in (no_credentials.header("WWW-Authenticate") or "")
    assert server.get("/app", headers=basic("spy", "wrong")).status == 401      # False
    assert server.get("/app", headers=basic("nobody", "secret")).status == 401  # None
    server.get("/app", headers={**basic("bob", "builder"), "X-Token": "basic-1"})
    seen = hh.poll(lambda: [c for c in hook_calls(server, "check_password")
                            if c.get("HTTP_X_TOKEN") == "basic-1"] or None, 10, what="hook log")[0]
    assert seen["user"] == "bob" and "HTTP_AUTHORIZATION" not in seen, seen
    assert seen["ppid"] == server.pid, seen


# mod_wsgid only: the hooks run in daemon group b (its uid and sandbox), not in the worker.
IN_GROUP = BASE + """
<Location /app>
  WSGIAccessScript @APPS@/hook_access.wsgi process-group=b application-group=%{GLOBAL}
  AuthType Basic
  AuthName "Agents"
  AuthBasicProvider wsgi
  WSGIAuthUserScript @APPS@/hook_auth.wsgi process-group=b application-group=%{GLOBAL}
  WSGIAuthGroupScript @APPS@/hook_auth.wsgi process-group=b application-group=%{GLOBAL}
  Require wsgi-group secret-agents
</Location>
"""


def test_hooks_given_a_process_group_run_in_its_daemons(httpd_factory):
    server = start(httpd_factory, "wsgid", IN_GROUP)
    hh.poll(lambda: server.daemon_pids("b") or None, 15, what="daemon b")
    hh.poll(lambda: server.get("/app", headers=basic("spy", "secret")).status == 200 or None, 20,
            what="/app with good credentials")
    assert server.get("/app", headers=basic("bob", "builder")).status == 401  # not an agent
    assert server.get("/app", headers={**basic("spy", "secret"), "X-Access": "deny"}).status == 403
    daemons = server.daemon_pids("b")
    for hook in ("check_password", "groups_for_user", "allow_access"):
        calls = hh.poll(lambda: hook_calls(server, hook) or None, 10, what=f"{hook} log")
        for seen in calls:
            assert seen["pid"] in daemons and seen["mod_wsgi.process_group"] == "b", (hook, seen)


def socket_fds(pid):
    """How many sockets process `pid` holds open."""
    count = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            count += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
        except OSError:
            pass  # closed meanwhile
    return count


def test_hook_calls_reuse_pooled_connections_as_requests_do(httpd_factory):
    """A hook call is the request exchange (daemon_exchange.cpp), pooled connections included:
    its connection stays open for the worker's next call instead of being made and torn down
    (connect, accept, peer checks) for every one of the three hooks of every request."""
    server = start(httpd_factory, "wsgid", IN_GROUP)
    [daemon] = hh.poll(lambda: server.daemon_pids("b") or None, 15, what="daemon b")
    before = socket_fds(daemon)
    for _ in range(10):
        assert server.get("/app", headers=basic("spy", "secret")).status == 200
    assert len(hook_calls(server, "check_password")) >= 10
    # Each worker child keeps its connection to b parked in b between calls (the daemon closes
    # parked ones only after 10 s unused); without pooling every call's connection is closed.
    held = socket_fds(daemon) - before
    assert 1 <= held <= len(server.worker_pids()), (before, held)


def test_check_password_may_answer_the_canonical_user_name(httpd_factory, flavour):
    server = start(httpd_factory, flavour, BASIC)
    hh.poll(lambda: server.get("/app", headers=basic("spy", "secret")).status == 200 or None, 20,
            what="/app with good credentials")
    got = app_info(server.get("/app", headers=basic("alias", "secret")))
    assert got["remote_user"] == "spy", got


def test_digest_auth_provider_uses_the_realm_hash(httpd_factory, flavour):
    server = start(httpd_factory, flavour, DIGEST)
    url = f"http://127.0.0.1:{server.port}/app"

    def fetch(user, password):
        manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        manager.add_password(None, url, user, password)
        opener = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(manager))
        try:
            with opener.open(url, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as e:
            return e.code, None

    status, got = hh.poll(lambda: (lambda s: s if s[0] == 200 else None)(fetch("spy", "secret")),
                          20, what="/app with good digest credentials")
    assert got["remote_user"] == "spy" and got["auth_type"] == "Digest", got
    assert fetch("spy", "wrong")[0] == 401
    assert fetch("nobody", "secret")[0] == 401
    seen = hook_calls(server, "get_realm_hash")[0]
    assert seen["realm"] == "Top Secret" and seen["mod_wsgi.application_group"] == "auth", seen


def test_group_script_serves_require_wsgi_group(httpd_factory, flavour):
    server = start(httpd_factory, flavour, GROUPS)
    hh.poll(lambda: server.get("/app", headers=basic("spy", "secret")).status == 200 or None, 20,
            what="/app as a secret agent")
    assert server.get("/app", headers=basic("bob", "builder")).status == 401  # in no group
    assert server.get("/app", headers=basic("bob", "wrong")).status == 401
    seen = [c for c in hook_calls(server, "groups_for_user") if c["user"] == "spy"][0]
    assert seen["REMOTE_USER"] == "spy" if flavour == "wsgid" else True, seen
    assert seen["ppid"] == server.pid, seen


def test_dispatch_script_chooses_group_interpreter_and_callable(httpd_factory, flavour):
    server = start(httpd_factory, flavour, DISPATCH)
    hh.poll(lambda: server.daemon_pids("b") or None, 15, what="daemon b")
    got = app_info(server.wait_ok("/app"))
    assert (got["process_group"], got["application_group"], got["callable"]) == \
        ("a", "", "application"), got  # every function answered None: configuration stands
    got = app_info(server.get("/app", headers={"X-Process-Group": "b"}))
    assert got["process_group"] == "b" and got["pid"] in server.daemon_pids("b"), got
    got = app_info(server.get("/app", headers={"X-Application-Group": "tenant-7"}))
    assert got["application_group"] == "tenant-7" and got["process_group"] == "a", got
    got = app_info(server.get("/app", headers={"X-Callable": "alternative"}))
    assert got["callable"] == "alternative", got
    got = app_info(server.get("/app", headers={"X-Application-Group": "%{GLOBAL}",
                                               "X-Process-Group": "b"}))
    assert (got["process_group"], got["application_group"]) == ("b", ""), got
    seen = hook_calls(server, "process_group")[-1]
    # The dispatch script sees the request's WSGI environ, run from the worker's main interpreter.
    assert seen["HTTP_X_PROCESS_GROUP"] == "b" and seen["SCRIPT_NAME"] == "/app", seen
    assert seen["mod_wsgi.process_group"] == "" and seen["mod_wsgi.application_group"] == "", seen
    assert "mod_wsgi.callable_object" not in seen, seen
    assert seen["ppid"] == server.pid and seen["pid"] in server.worker_pids(), seen
    # Choosing no daemon group means embedded, which WSGIRestrictEmbedded On still refuses.
    assert server.get("/app", headers={"X-Process-Group": "%{GLOBAL}"}).status == 500


@pytest.mark.parametrize("config,path,headers,hook", [
    (ACCESS, "/app", {"X-Access": "raise"}, "allow_access"),
    (BASIC, "/app", basic("crash", "x"), "check_password"),
    (GROUPS, "/app", {**basic("spy", "secret"), "X-Groups": "raise"}, "groups_for_user"),
    (DISPATCH, "/app", {"X-Dispatch": "raise"}, "process_group"),
], ids=["access", "auth-user", "auth-group", "dispatch"])
def test_an_exception_in_a_hook_is_a_500_with_its_traceback(httpd_factory, flavour, config, path,
                                                           headers, hook, request):
    if flavour == "mod_wsgi" and hook in ("allow_access", "groups_for_user"):
        # mod_wsgi treats a failing access or group check as a denial (403 / 401).
        request.applymarker(pytest.mark.xfail(strict=True, reason="mod_wsgi answers 403/401"))
    server = start(httpd_factory, flavour, config)
    hh.poll(lambda: server.get("/app", headers=basic("spy", "secret")).status in (200, 403) or None,
            20, what="server up")
    r = server.get(path, headers=headers)
    assert r.status == 500, (r.status, r.body[:300])
    log = server.wait_log("failure requested by the test")
    assert "Traceback" in log
    if flavour == "wsgid":
        assert "WSGID0530" in log and "WSGID0134" in log, log[-3000:]


def test_hook_script_is_reloaded_when_it_changes(httpd_factory, flavour):
    server = start(httpd_factory, flavour, BASIC)
    hh.poll(lambda: server.get("/app", headers=basic("spy", "secret")).status == 200 or None, 20,
            what="/app with good credentials")
    script = server.apps / "hook_auth.wsgi"
    text = script.read_text().replace('"spy": "secret"', '"spy": "changed"')
    script.write_text(text)
    future = time.time() + 5
    os.utime(script, (future, future))
    # Every worker that loaded the old script executes the new one on its next call.
    for _ in range(20):
        assert server.get("/app", headers=basic("spy", "secret")).status == 401
        assert server.get("/app", headers=basic("spy", "changed")).status == 200


@pytest.mark.wsgid_only("mod_wsgi links libpython into every worker")
def test_workers_that_meet_no_hook_do_not_load_python(httpd_factory, flavour):
    server = start(httpd_factory, flavour, ACCESS)
    server.wait_ok("/app")  # the access hook ran in the worker that took this
    users = set(server.python_pids()) - set(server.daemon_pids())
    assert users and users <= set(server.worker_pids()), users
    for _ in range(40):
        assert server.get("/static-elsewhere.txt").status == 404  # no hook on this URL
    assert set(server.python_pids()) - set(server.daemon_pids()) == users


ALIAS = BASE + """
<AuthnProviderAlias wsgi agents>
  WSGIAuthUserScript @APPS@/hook_auth.wsgi application-group=agents
</AuthnProviderAlias>
<Location /app>
  AuthType Basic
  AuthName "Aliased"
  AuthBasicProvider agents
  Require valid-user
</Location>
<Directory @TMP@/htdocs/private>
  AllowOverride AuthConfig
</Directory>
"""

HTACCESS = """AuthType Basic
AuthName "From htaccess"
AuthBasicProvider wsgi
WSGIAuthUserScript @APPS@/hook_auth.wsgi
WSGIAuthGroupScript @APPS@/hook_auth.wsgi
Require wsgi-group staff
"""


def test_auth_scripts_in_an_authn_provider_alias_and_in_htaccess(httpd_factory, flavour):
    server = start(httpd_factory, flavour, ALIAS)
    private = server.tmp / "htdocs" / "private"
    private.mkdir()
    (private / "index.txt").write_text("private\n")
    (private / ".htaccess").write_text(HTACCESS.replace("@APPS@", str(server.apps)))
    hh.poll(lambda: server.get("/app", headers=basic("spy", "secret")).status == 200 or None, 20,
            what="/app through the aliased provider")
    assert server.get("/app", headers=basic("spy", "wrong")).status == 401
    seen = [c for c in hook_calls(server, "check_password") if c["user"] == "spy"][0]
    assert seen["mod_wsgi.application_group"] == "agents", seen
    r = server.get("/private/index.txt", headers=basic("spy", "secret"))
    assert (r.status, r.body) == (200, b"private\n")
    assert server.get("/private/index.txt", headers=basic("bob", "builder")).status == 401


@pytest.mark.parametrize("body,expected", [
    ("<Location /x>\nWSGIAuthUserScript\n</Location>", "WSGID0007 WSGIAuthUserScript"),
    ("<Location /x>\nWSGIAccessScript /srv/a.wsgi process-group=x\n</Location>",
     "WSGID0610 WSGIAccessScript: process-group=x names no daemon process group"),
    ("<Location /x>\nWSGIAuthUserScript /srv/a.wsgi process-group=late\n</Location>\n"
     "WSGIDaemonProcess late", "WSGID0610 WSGIAuthUserScript: process-group=late"),
    ("<Location /x>\nWSGIDispatchScript /srv/a.wsgi process-group=x\n</Location>",
     "WSGID0001 WSGIDispatchScript: option 'process-group' is not known"),
    ("<Location /x>\nWSGIDispatchScript /srv/a.wsgi application-grup=x\n</Location>",
     "(did you mean 'application-group'?)"),
])
def test_hook_directive_errors_are_coded(httpd_factory, body, expected):
    server = httpd_factory(body, "wsgid", start=False)
    result = server.config_test()
    assert result.returncode != 0
    assert expected in result.stderr, result.stderr


def test_auth_hooks_are_not_allowed_at_server_scope(httpd_factory, flavour):
    server = httpd_factory("WSGIAuthUserScript /srv/a.wsgi", flavour, start=False)
    result = server.config_test()
    assert result.returncode != 0
    assert "not allowed here" in result.stderr, result.stderr
