"""Directive parsing: mod_wsgi's names and semantics, and errors `apache2 -t` reports with a
stable code naming the directive, the option, the bad value and what is accepted."""

import subprocess

import pytest

import httpd_harness as hh

GOOD = """
WSGIRestrictEmbedded On
WSGILazyInitialization On
<VirtualHost *:@PORT@>
  ServerName good.test
  WSGIDaemonProcess good processes=2 threads=3 display-name=%{GROUP} maximum-requests=100 \\
      graceful-timeout=5 shutdown-timeout=2 connect-timeout=3 socket-timeout=10 listen-backlog=50 \\
      umask=0022 lang=C.UTF-8 locale=C.UTF-8 python-path=@APPS@
  WSGIImportScript @APPS@/hello.wsgi process-group=good application-group=%{GLOBAL}
  WSGIScriptAlias /hello "@APPS@/hello.wsgi" process-group="good" application-group=%{GLOBAL}
  WSGIScriptAliasMatch ^/m/(\\w+) @APPS@/$1.wsgi process-group=good
  <Location /hello>
    WSGIProcessGroup good
    WSGIApplicationGroup %{GLOBAL}
    WSGICallableObject application
    WSGIPassAuthorization On
  </Location>
</VirtualHost>
"""


def config_test(httpd_factory, flavour, body, extra_global=""):
    server = httpd_factory(body, flavour, extra_global=extra_global, start=False)
    server.port = hh.free_port()
    server.conf_path = server.tmp / "httpd.conf"
    server.conf_path.write_text(server.render())
    return subprocess.run([hh.APACHE_BIN, "-t", "-d", str(server.tmp), "-f", str(server.conf_path)],
                          capture_output=True, text=True, timeout=30)


def test_a_mod_wsgi_daemon_config_is_accepted(httpd_factory, flavour):
    result = config_test(httpd_factory, flavour, GOOD)
    assert result.returncode == 0, result.stderr
    assert "Syntax OK" in result.stderr


@pytest.mark.parametrize("body,expected", [
    ("WSGIDaemonProcess d procesess=2",
     "WSGID0001 WSGIDaemonProcess: option 'procesess' is not known (did you mean 'processes'?)"),
    ("WSGIDaemonProcess d threads=0",
     "WSGID0002 WSGIDaemonProcess: option threads=0 is not valid: expected a whole number from 1 to 1024"),
    ("WSGIDaemonProcess d processes=two",
     "WSGID0002 WSGIDaemonProcess: option processes=two is not valid"),
    ("WSGIDaemonProcess d user=no-such-user-here",
     "WSGID0003 WSGIDaemonProcess: option user=no-such-user-here names no user on this system"),
    ("WSGIDaemonProcess d user=root",
     "WSGID0004 WSGIDaemonProcess: option user=root is refused: daemon processes never run as root"),
    ("WSGIDaemonProcess d\nWSGIDaemonProcess d",
     "WSGID0006 WSGIDaemonProcess: group name 'd' is already defined at"),
    ("WSGIDaemonProcess d maximum-requests=10 maximum-requests-jitter=-1",
     "WSGID0002 WSGIDaemonProcess: option maximum-requests-jitter=-1 is not valid: expected a whole number from 0 to 1000000000"),
    ("WSGIDaemonProcess d umask=999",
     "WSGID0002 WSGIDaemonProcess: option umask=999 is not valid: expected an octal mode"),
    ("WSGIScriptAlias / @APPS@/hello.wsgi proces-group=d",
     "WSGID0001 WSGIScriptAlias: option 'proces-group' is not known (did you mean 'process-group'?)"),
    ("WSGIScriptAlias /only-a-url",
     "WSGID0007 WSGIScriptAlias: expected a URL path and a script path"),
    ("WSGIImportScript @APPS@/hello.wsgi process-group=missing application-group=%{GLOBAL}",
     "WSGID0008 WSGIImportScript: process-group=missing is not a daemon process group declared before this line"),
    ("WSGIImportScript @APPS@/hello.wsgi application-group=%{GLOBAL}\nWSGIDaemonProcess late",
     "WSGID0009 WSGIImportScript: both process-group= and application-group= are required"),
])
def test_bad_directive_is_a_config_error_naming_it(httpd_factory, body, expected):
    result = config_test(httpd_factory, "wsgid", body)
    assert result.returncode != 0
    assert expected in result.stderr, result.stderr


def test_import_script_group_must_be_declared_before_it(httpd_factory):
    body = ("WSGIImportScript @APPS@/hello.wsgi process-group=later application-group=%{GLOBAL}\n"
            "WSGIDaemonProcess later")
    result = config_test(httpd_factory, "wsgid", body)
    assert result.returncode != 0
    assert "WSGID0008" in result.stderr and "declare it first with WSGIDaemonProcess later" in result.stderr


def test_import_script_group_from_another_vhost_is_refused(httpd_factory):
    body = """
<VirtualHost *:@PORT@>
  ServerName a.test
  WSGIDaemonProcess a
</VirtualHost>
<VirtualHost *:@PORT@>
  ServerName b.test
  WSGIImportScript @APPS@/hello.wsgi process-group=a application-group=%{GLOBAL}
</VirtualHost>
"""
    result = config_test(httpd_factory, "wsgid", body)
    assert result.returncode != 0
    assert "WSGID0008" in result.stderr


@pytest.mark.parametrize("directive", ["WSGIRestrictEmbedded On", "WSGILazyInitialization Off",
                                       "WSGISocketPrefix /tmp/x"])
def test_server_scope_directives_are_refused_inside_a_virtualhost(httpd_factory, flavour, directive):
    body = f"<VirtualHost *:@PORT@>\n  ServerName v.test\n  {directive}\n</VirtualHost>\n"
    result = config_test(httpd_factory, flavour, body)
    assert result.returncode != 0
    assert "cannot occur within" in result.stderr, result.stderr


def test_embedded_request_is_refused_with_restrict_embedded(httpd_factory):
    body = "WSGIRestrictEmbedded On\nWSGIScriptAlias / @APPS@/hello.wsgi\n"
    server = httpd_factory(body, "wsgid")
    response = server.get("/")
    assert response.status == 500
    log = server.wait_log("WSGID0102")
    assert "delegate it to a daemon group" in log


def test_unknown_process_group_is_a_logged_500(httpd_factory):
    body = "WSGIDaemonProcess real\nWSGIScriptAlias / @APPS@/hello.wsgi process-group=typo\n"
    server = httpd_factory(body, "wsgid")
    assert server.get("/").status == 500
    assert "no daemon process group 'typo'" in server.wait_log("WSGID0104")


def test_group_of_another_virtualhost_cannot_be_used(httpd_factory):
    body = """
<VirtualHost *:@PORT@>
  ServerName a.test
  WSGIDaemonProcess a
</VirtualHost>
<VirtualHost *:@PORT@>
  ServerName b.test
  WSGIScriptAlias / @APPS@/hello.wsgi process-group=a
</VirtualHost>
"""
    server = httpd_factory(body, "wsgid")
    assert server.get("/", host="b.test").status == 500
    assert "declared in another VirtualHost" in server.wait_log("WSGID0104")


def test_missing_script_is_a_logged_404(httpd_factory):
    body = "WSGIDaemonProcess d\nWSGIScriptAlias /x @APPS@/nope.wsgi process-group=d\n"
    server = httpd_factory(body, "wsgid")
    assert server.get("/x").status == 404
    assert "nope.wsgi does not exist" in server.wait_log("WSGID0101")
