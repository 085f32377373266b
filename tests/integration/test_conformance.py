"""PEP 3333 conformance through daemon mode: hello, and wsgiref.validate over every route shape."""

import hashlib
import json

import pytest

import httpd_harness as hh

CONF = """
WSGIRestrictEmbedded On
WSGIDaemonProcess conf processes=1 threads=4 display-name=%{GROUP}
WSGIScriptAlias /v @APPS@/validated.wsgi process-group=conf application-group=%{GLOBAL}
WSGIScriptAlias /raw @APPS@/validated.wsgi process-group=conf application-group=%{GLOBAL} callable-object=raw_application
WSGIScriptAlias /probe @APPS@/environ_probe.wsgi process-group=conf application-group=%{GLOBAL}
WSGIScriptAlias / @APPS@/hello.wsgi process-group=conf application-group=%{GLOBAL}
"""

ROOT_PROBE = """
WSGIRestrictEmbedded On
WSGIDaemonProcess root processes=1 threads=2 display-name=%{GROUP}
WSGIScriptAlias / @APPS@/environ_probe.wsgi process-group=root application-group=%{GLOBAL}
"""

VALIDATOR_COMPLAINTS = ("WSGIWarning", "AssertionError", "Traceback", "garbage collected",
                        "Exception ignored")


@pytest.fixture
def server(httpd_factory, flavour):
    server = httpd_factory(CONF, flavour)
    server.wait_ok("/")
    return server


def test_hello_runs_in_the_daemon_not_in_a_worker(server):
    r = server.get("/")
    assert r.status == 200
    assert r.body.startswith(b"Hello from pid ")
    pid = int(r.body.split()[-1])
    assert pid in server.daemon_pids("conf"), f"app ran in pid {pid}, not a daemon"
    assert pid not in server.worker_pids()


def test_validator_finds_nothing(server):
    payload = hh.payload_bytes()
    checks = []

    r = server.get("/v/")
    checks.append(("GET", r.status == 200 and r.body == b"validated hello\n", r))
    r = server.request("HEAD", "/v/")
    checks.append(("HEAD", r.status == 200 and r.body == b"", r))
    body = bytes(range(256)) * 1000
    r = server.request("POST", "/v/echo", body=body, headers={"Content-Type": "application/octet-stream"})
    checks.append(("POST echo", r.status == 200 and r.body == body, r))
    r = server.request("POST", "/v/lines", body=b"first line\nsecond\nthird\n",
                       headers={"Content-Type": "text/plain"})
    checks.append(("POST readline/iter", r.status == 200 and r.body == b"11|first line|2", r))
    r = server.get("/v/stream")
    checks.append(("streaming", r.status == 200 and r.body == b"".join(b"line %d\n" % i for i in range(50)), r))
    r = server.get("/v/write")
    checks.append(("write()", r.status == 200 and r.body == b"written-returned", r))
    r = server.get("/v/file")
    checks.append(("file_wrapper", r.status == 200 and r.body == payload, r))

    bad = [(name, r.status, r.body[:300]) for name, ok, r in checks if not ok]
    assert not bad, bad
    # One more round trip so anything the validator printed after the last response is logged.
    assert server.get("/").status == 200
    log = server.read_log()
    complaints = [line for line in log.splitlines() if any(c in line for c in VALIDATOR_COMPLAINTS)]
    assert not complaints, "\n".join(complaints)


def test_large_post_sha256(httpd_factory, flavour):
    server = httpd_factory("""
WSGIRestrictEmbedded On
WSGIDaemonProcess sha processes=1 threads=2 display-name=%{GROUP}
WSGIScriptAlias / @APPS@/sha256_echo.wsgi process-group=sha application-group=%{GLOBAL}
""", flavour)
    body = hashlib.sha256(b"seed").digest() * (5 * 1024 * 1024 // 32)
    assert len(body) == 5 * 1024 * 1024
    r = server.request("POST", "/", body=body, headers={"Content-Type": "application/octet-stream"})
    assert r.status == 200, r.body[:300]
    assert r.body.decode().split() == [str(len(body)), hashlib.sha256(body).hexdigest()]


@pytest.mark.parametrize("alias_at_root,path,script_name,path_info", [
    (False, "/probe", "/probe", ""),
    (False, "/probe/", "/probe", "/"),
    (False, "/probe/a/b%20c", "/probe", "/a/b c"),
    (True, "/", "", "/"),
    (True, "/deep/path", "", "/deep/path"),
], ids=["mount", "mount-slash", "mount-subpath", "root", "root-subpath"])
def test_script_name_and_path_info(httpd_factory, flavour, alias_at_root, path, script_name, path_info):
    server = httpd_factory(ROOT_PROBE if alias_at_root else CONF, flavour)
    r = server.wait_ok(path + "?q=1")
    info = json.loads(r.body)
    # PEP 3333 lets a server omit an empty PATH_INFO, but mod_wsgi always sets it and apps index
    # environ["PATH_INFO"] directly, so an empty one must be present as "".
    assert (info["script_name"], info["path_info"], info["query_string"]) == (script_name, path_info, "q=1")


def test_file_wrapper_fast_path_and_callable_object(server):
    payload = hh.payload_bytes()
    r = server.get("/raw/file")
    assert r.status == 200
    assert r.header("Content-Length") == str(len(payload))
    assert r.body == payload
    head = server.request("HEAD", "/raw/file")
    assert head.status == 200 and head.body == b""
