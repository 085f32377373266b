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
