"""Configuration handling and daemon start-up: config errors, restricted embedded mode,
import scripts, the daemon's user and inherited descriptors."""

import os
import pwd

import pytest

import httpd_harness as hh

DAEMON = """
WSGIRestrictEmbedded On
WSGIDaemonProcess cfg processes=1 threads=2 display-name=%{GROUP}
WSGIImportScript @APPS@/preload_marker.py process-group=cfg application-group=%{GLOBAL}
WSGIScriptAlias /app @APPS@/stderr_fds.wsgi process-group=cfg application-group=%{GLOBAL}
WSGIScriptAlias /embedded @APPS@/hello.wsgi
"""


VAGUE = pytest.mark.mod_wsgi_differs("mod_wsgi's message names neither the directive nor the option")


@pytest.mark.parametrize("must_name,body", [
    (["WSGIRestrictEmbedded"], "<VirtualHost *:@PORT@>\n  WSGIRestrictEmbedded On\n</VirtualHost>"),
    (["WSGILazyInitialization"], "<VirtualHost *:@PORT@>\n  WSGILazyInitialization On\n</VirtualHost>"),
    pytest.param(["WSGIDaemonProcess", "procesess"], "WSGIDaemonProcess bad procesess=2", marks=VAGUE),
    pytest.param(["WSGIDaemonProcess", "threads", "many"], "WSGIDaemonProcess bad threads=many",
                 marks=pytest.mark.mod_wsgi_differs("mod_wsgi accepts threads=many")),
    pytest.param(["WSGIImportScript", "undeclared"],
                 "WSGIImportScript @APPS@/hello.wsgi process-group=undeclared application-group=%{GLOBAL}",
                 marks=VAGUE),
], ids=["restrict-in-vhost", "lazy-in-vhost", "unknown-option", "bad-value", "import-undeclared-group"])
def test_config_errors_are_reported_by_apache2_t(httpd_factory, flavour, must_name, body):
    server = httpd_factory(body, flavour, start=False)
    result = server.config_test()
    output = result.stdout + result.stderr
    assert result.returncode != 0, f"apache2 -t accepted it:\n{output}"
    missing = [word for word in must_name if word not in output]
    assert not missing, f"the error does not name {missing}:\n{output}"


def test_valid_config_passes_apache2_t(httpd_factory, flavour):
    result = httpd_factory(DAEMON, flavour, start=False).config_test()
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def server(httpd_factory, flavour):
    server = httpd_factory(DAEMON, flavour)
    server.wait_daemons("cfg", 1)
    return server


def test_import_script_is_preloaded_before_any_request(server):
    (daemon,) = server.wait_daemons("cfg", 1)
    marker = server.tmp / "scratch" / f"preloaded-{daemon}"
    hh.poll(marker.exists, timeout=15, what="the import script to run in the daemon")
    assert not server.read_log("access.log"), "a request was served before the check"


def test_embedded_request_is_refused_with_500_and_a_log_line(server):
    r = server.get("/embedded")
    assert r.status == 500
    assert server.wait_ok("/app/").status == 200
    log = server.read_log()
    assert "/embedded" in log or "hello.wsgi" in log, "the 500 must say which script was refused"


@pytest.mark.skipif(os.geteuid() != 0, reason="user switch needs root")
def test_daemon_runs_as_the_httpd_user_not_root(server):
    server.wait_ok("/app/")
    uid = pwd.getpwnam("www-data").pw_uid
    for pid in server.daemon_pids("cfg"):
        assert hh.uid_of(pid) == uid


def test_daemon_holds_no_httpd_listener(server):
    server.wait_ok("/app/")
    listeners = hh.listening_socket_inodes(server.port)
    assert listeners, "could not find httpd's listening socket"
    for pid in server.daemon_pids("cfg"):
        held = [fd for fd, target in hh.open_fds(pid).items()
                if target in {f"socket:[{i}]" for i in listeners}]
        assert not held, f"daemon {pid} holds httpd's listener on fds {held}"
