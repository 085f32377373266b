"""Two daemon groups, each declared in its own VirtualHost with its own ErrorLog."""

import json
import uuid

import pytest

import httpd_harness as hh

CONF = """
WSGIRestrictEmbedded On
<VirtualHost *:@PORT@>
  ServerName a.test
  ErrorLog @TMP@/a_error.log
  WSGIDaemonProcess a processes=1 threads=2 display-name=%{GROUP}
  WSGIScriptAlias /app @APPS@/stderr_fds.wsgi process-group=a application-group=%{GLOBAL}
</VirtualHost>
<VirtualHost *:@PORT@>
  ServerName b.test
  ErrorLog @TMP@/b_error.log
  WSGIDaemonProcess b processes=1 threads=2 display-name=%{GROUP}
  WSGIScriptAlias /app @APPS@/stderr_fds.wsgi process-group=b application-group=%{GLOBAL}
</VirtualHost>
"""

VHOSTS = {"a": "a.test", "b": "b.test"}


@pytest.fixture
def server(httpd_factory, flavour):
    server = httpd_factory(CONF, flavour)
    for name, host in VHOSTS.items():
        server.wait_ok("/app/", host=host)
    return server


def test_each_apps_stderr_lands_only_in_its_own_log(server):
    tokens = {name: uuid.uuid4().hex for name in VHOSTS}
    for name, host in VHOSTS.items():
        assert server.get(f"/app/stderr?{tokens[name]}", host=host).status == 200
    for name in VHOSTS:
        own = f"{name}_error.log"
        for kind in ("py-stderr", "fd2-stderr"):
            server.wait_log(f"{kind}-{tokens[name]}", own)
    # Every log but the access log, which records the tokens as query strings.
    logs = {p.name: p.read_text(errors="replace") for p in server.log_files() if p.name != "access.log"}
    for name in VHOSTS:
        for log_name, text in logs.items():
            if log_name != f"{name}_error.log":
                assert tokens[name] not in text, f"{name}'s stderr leaked into {log_name}"


def test_daemon_holds_no_fd_on_the_other_vhosts_log(server):
    for name, host in VHOSTS.items():
        other = "b" if name == "a" else "a"
        other_log = str(server.tmp / f"{other}_error.log")
        own_log = str(server.tmp / f"{name}_error.log")
        reported = json.loads(server.get("/app/fds", host=host).body)
        assert reported["pid"] in server.daemon_pids(name)
        # What the app sees and what /proc shows from outside must agree.
        for fds in (reported["fds"], {str(k): v for k, v in hh.open_fds(reported["pid"]).items()}):
            assert fds.get("2") == own_log, f"daemon {name}'s stderr is {fds.get('2')}"
            holding = [fd for fd, target in fds.items() if target == other_log]
            assert not holding, f"daemon {name} holds fds {holding} on {other_log}"
