"""WSGIHandlerScript (issue 5 item 7): files mapped to an httpd handler by AddHandler or
SetHandler are served by a handler script's handle_request, with SCRIPT_FILENAME the mapped file;
reload_required(resource) reloads (daemon: recycles the process; embedded: re-runs the script).
The mod_wsgi 3.x sample config (/trac script alias, WSGIImportScript in a VirtualHost, the .bobo
handler) runs as one configuration. Each test also runs against Debian's mod_wsgi."""

import http.client
import os
import subprocess
import time

import pytest

import httpd_harness as hh

# The mod_wsgi 3.x style sample: everything inside one VirtualHost.
SAMPLE = """
<VirtualHost *:@PORT@>
  ServerName 127.0.0.1
  WSGIDaemonProcess trac processes=1 threads=4
  WSGIScriptAlias /trac @APPS@/hs_trac.wsgi process-group=trac application-group=%{GLOBAL}
  WSGIImportScript @APPS@/hs_import.py process-group=trac application-group=%{GLOBAL}

  WSGIDaemonProcess bobo processes=1 threads=4
  WSGIHandlerScript bobo-script @APPS@/hs_handler.py process-group=bobo application-group=%{GLOBAL}
  AddHandler bobo-script .bobo
  Alias /bobo @TMP@/bobo
  <Directory @TMP@/bobo>
    Options +ExecCGI
  </Directory>

  Alias /pages @TMP@/pages
  <Directory @TMP@/pages>
    Options +ExecCGI
    WSGIHandlerScript page-script @APPS@/hs_handler.py process-group=bobo application-group=pages pass-authorization=On
    SetHandler page-script
  </Directory>
</VirtualHost>
"""

EMBEDDED = """
WSGIHandlerScript bobo-script @APPS@/hs_handler.py application-group=%{GLOBAL}
AddHandler bobo-script .bobo
Alias /bobo @TMP@/bobo
<Directory @TMP@/bobo>
  Options +ExecCGI
</Directory>
"""


def make_files(server):
    for d, names in (("bobo", ("a.bobo", "reload.bobo", "raise.bobo")), ("pages", ("index.txt",))):
        directory = server.tmp / d
        directory.mkdir(mode=0o755, exist_ok=True)
        directory.chmod(0o755)
        for name in names:
            (directory / name).write_text(f"content of {name}\n")
            (directory / name).chmod(0o644)


def fields(response):
    assert response.status == 200, response.body[:500]
    return dict(line.split("=", 1) for line in response.body.decode().splitlines() if "=" in line)


def touch_now(path):
    # Explicit times: the file's mtime is exactly now, later than any earlier load.
    t = time.time()
    os.utime(path, (t, t))


@pytest.fixture
def sample(httpd_factory, flavour):
    s = httpd_factory(SAMPLE, flavour, start=False)
    make_files(s)
    s.start()
    s.wait_ok("/trac/")
    s.wait_ok("/bobo/a.bobo")
    return s


@pytest.fixture
def embedded(httpd_factory, flavour):
    s = httpd_factory(EMBEDDED, flavour, start=False)
    make_files(s)
    s.start()
    s.wait_ok("/bobo/a.bobo")
    return s


def test_sample_config_serves_the_trac_script_alias_with_its_import_script(sample):
    r = sample.get("/trac/wiki/Start")
    assert r.status == 200
    lines = r.body.decode().splitlines()
    assert lines[0] == "trac"
    f = dict(line.split("=", 1) for line in lines[1:])
    assert f["script_name"] == "/trac"
    assert f["path_info"] == "/wiki/Start"
    assert f["process_group"] == "trac"
    assert f["application_group"] == ""
    # WSGIImportScript ran in the same daemon and interpreter before the application.
    assert f["imported_here"] == "True"


def test_add_handler_file_is_served_by_the_handler_scripts_handle_request(sample):
    f = fields(sample.get("/bobo/a.bobo"))
    assert f["script_filename"] == str(sample.tmp / "bobo" / "a.bobo")
    assert f["handler_script"] == str(sample.apps / "hs_handler.py")
    assert f["content"] == "content of a.bobo"
    assert f["process_group"] == "bobo"
    assert f["application_group"] == ""
    # reload_required() was asked about the mapped file first.
    assert f["seen"] == str(sample.tmp / "bobo" / "a.bobo")
    # Another daemon group than the trac one, so not the process WSGIImportScript ran in.
    assert f["imported"] == "0"


def test_a_mapped_path_that_is_no_file_still_reaches_the_handler_script(sample):
    r = sample.get("/bobo/missing.bobo")
    assert r.status == 404
    assert r.body.decode() == "no resource " + str(sample.tmp / "bobo" / "missing.bobo")


def test_set_handler_in_a_directory_with_its_own_groups_and_pass_authorization(sample):
    f = fields(sample.get("/pages/index.txt", headers={"Authorization": "Basic dXNlcjpwdw=="}))
    assert f["script_filename"] == str(sample.tmp / "pages" / "index.txt")
    assert f["content"] == "content of index.txt"
    assert f["application_group"] == "pages"
    assert f["authorization"] == "Basic dXNlcjpwdw=="


def test_reload_required_true_recycles_the_daemon_once(sample):
    reload_file = sample.tmp / "bobo" / "reload.bobo"
    before = fields(sample.get("/bobo/reload.bobo"))
    assert before["seen"] == str(reload_file)
    old_pid = before["pid"]
    touch_now(reload_file)
    r = sample.get("/bobo/reload.bobo")
    assert r.status == 200
    assert fields(r)["content"] == "content of reload.bobo"
    # A fresh daemon process answers from now on (mod_wsgi restarts before answering,
    # mod_wsgid after answering: both gracefully).
    fresh = hh.poll(lambda: (f := fields(sample.get("/bobo/a.bobo")))["pid"] != old_pid and f,
                    30, what="a recycled bobo daemon")
    if sample.flavour == "wsgid":
        sample.wait_log("asked for a reload (reload_required('" + str(reload_file) + "'))")
    # The new copy of the script was loaded after the change: no reload loop.
    again = [fields(sample.get("/bobo/reload.bobo")) for _ in range(3)]
    assert {f["pid"] for f in again} == {fresh["pid"]}
    assert {f["token"] for f in again} == {fresh["token"]}


def test_reload_required_that_raises_is_logged_and_the_request_still_served(sample):
    if sample.flavour != "wsgid":
        pytest.skip("mod_wsgid's own log line")
    pid = fields(sample.get("/bobo/a.bobo"))["pid"]
    f = fields(sample.get("/bobo/raise.bobo"))
    assert f["content"] == "content of raise.bobo"
    assert f["pid"] == pid
    log = sample.wait_log("WSGID0526")
    assert "RuntimeError: reload_required failed for " + str(sample.tmp / "bobo" / "raise.bobo") in log
    assert fields(sample.get("/bobo/a.bobo"))["pid"] == pid


def test_reload_required_true_in_embedded_mode_reloads_the_script(embedded):
    reload_file = embedded.tmp / "bobo" / "reload.bobo"
    # One keep-alive connection: every answer comes from the same httpd child.
    conn = http.client.HTTPConnection("127.0.0.1", embedded.port, timeout=30)
    try:
        def get(path):
            conn.request("GET", path)
            resp = conn.getresponse()
            return fields(hh.Response(resp.status, dict(resp.getheaders()), resp.read()))

        first = get("/bobo/reload.bobo")
        assert get("/bobo/reload.bobo")["token"] == first["token"]
        touch_now(reload_file)
        reloaded = get("/bobo/reload.bobo")
        assert reloaded["pid"] == first["pid"]
        assert reloaded["token"] != first["token"]
        assert get("/bobo/a.bobo")["token"] == reloaded["token"]
    finally:
        conn.close()


@pytest.mark.parametrize("body,expected", [
    ("WSGIHandlerScript bobo-script",
     "WSGID0007 WSGIHandlerScript: expected a handler name and a script path"),
    ("WSGIHandlerScript bobo-script @APPS@/hs_handler.py proces-group=x",
     "WSGID0001 WSGIHandlerScript: option 'proces-group' is not known (did you mean "
     "'process-group'?)"),
    ("WSGIHandlerScript bobo-script @APPS@/hs_handler.py callable-object=x",
     "WSGID0001 WSGIHandlerScript: option 'callable-object' is not known"),
    ("WSGIHandlerScript bobo-script @APPS@/hs_handler.py pass-authorization=maybe",
     "WSGID0002 WSGIHandlerScript: option pass-authorization=maybe"),
])
def test_bad_handler_script_directive_is_a_config_error_naming_it(httpd_factory, body, expected):
    server = httpd_factory(body, "wsgid", start=False)
    server.port = hh.free_port()
    server.conf_path = server.tmp / "httpd.conf"
    server.conf_path.write_text(server.render())
    result = subprocess.run([hh.APACHE_BIN, "-t", "-d", str(server.tmp), "-f", str(server.conf_path)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert expected in result.stderr, result.stderr
