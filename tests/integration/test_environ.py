"""What the environ says about the process model, thread-local data, and print() to the log."""

import json
import uuid

import pytest

CONF = """
WSGIRestrictEmbedded On
WSGIDaemonProcess mt processes=2 threads=4 display-name=%{GROUP}
WSGIDaemonProcess st threads=1 display-name=%{GROUP}
WSGIDaemonProcess once threads=1 maximum-requests=1 display-name=%{GROUP}
WSGIScriptAlias /mt @APPS@/environ_probe.wsgi process-group=mt application-group=%{GLOBAL}
WSGIScriptAlias /st @APPS@/environ_probe.wsgi process-group=st application-group=%{GLOBAL}
WSGIScriptAlias /st-named @APPS@/environ_probe.wsgi process-group=st application-group=named
WSGIScriptAlias /once @APPS@/environ_probe.wsgi process-group=once application-group=%{GLOBAL}
"""


@pytest.fixture
def server(httpd_factory, flavour):
    return httpd_factory(CONF, flavour)


def probe(server, path):
    r = server.wait_ok(path)
    return json.loads(r.body)


@pytest.mark.parametrize("path,multithread,multiprocess,run_once", [
    ("/mt/", True, True, False),
    ("/st/", False, False, False),
])
def test_process_model_flags_reflect_the_group(server, path, multithread, multiprocess, run_once):
    info = probe(server, path)
    assert info["version"] == [1, 0]
    assert (info["multithread"], info["multiprocess"], info["run_once"]) == (multithread, multiprocess, run_once)


def test_run_once_with_one_thread_and_maximum_requests_1(server):
    info = probe(server, "/once/")
    assert (info["multithread"], info["multiprocess"], info["run_once"]) == (False, False, True)


@pytest.mark.parametrize("path", ["/st/", "/st-named/"], ids=["global", "named"])
def test_thread_local_data_survives_across_requests(server, path):
    seen = [probe(server, path) for _ in range(5)]
    assert len({(s["pid"], s["thread"]) for s in seen}) == 1, "threads=1 must reuse one thread"
    assert [s["local_count"] for s in seen] == [1, 2, 3, 4, 5]


def test_print_lands_in_the_error_log(server):
    token = uuid.uuid4().hex
    assert server.get(f"/st/print?{token}").status == 200
    server.wait_log(f"print-stdout-{token}")


def test_mod_wsgi_keys_match_mod_wsgi(server):
    """The mod_wsgi.* keys apps and middleware read, with mod_wsgi's values for this setup."""
    info = probe(server, "/st/some/where")
    keys = info["mod_wsgi"]
    expected = {
        "mod_wsgi.process_group": "st",
        "mod_wsgi.application_group": "",
        "mod_wsgi.callable_object": "application",
        "mod_wsgi.script_name": "/st",
        "mod_wsgi.path_info": "/some/where",
        "mod_wsgi.listener_host": "127.0.0.1",
        "mod_wsgi.listener_port": str(server.port),
        "mod_wsgi.handler_script": "",
        "mod_wsgi.script_reloading": "1",
        "mod_wsgi.enable_sendfile": "0",
        "mod_wsgi.ignore_activity": "0",
        "mod_wsgi.daemon_connects": "1",
        "mod_wsgi.daemon_restarts": "0",
    }
    assert {k: keys.get(k) for k in expected} == expected
    for k in ("mod_wsgi.request_start", "mod_wsgi.queue_start", "mod_wsgi.request_id"):
        assert keys.get(k), (k, keys)
    # httpd's own PATH is not the request's business (mod_wsgi leaves it out too).
    assert info["has_PATH"] is False
    # PATH_INFO mapped under the document root (mod_wsgid without httpd's sub-request).
    assert info["path_translated"] == info["document_root"] + "/some/where"
