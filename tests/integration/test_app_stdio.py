"""sys.stdout, sys.stderr and wsgi.errors look like io.TextIOWrapper to apps: a binary .buffer,
the attributes and methods libraries touch; Debian's hgweb.wsgi (Mercurial) imports and serves."""

import json
import shutil
import subprocess

import pytest

BODY = """
WSGIRestrictEmbedded On
WSGIDaemonProcess s threads=2
WSGIScriptAlias /s @APPS@/stdio_probe.wsgi process-group=s application-group=%{GLOBAL}
"""


def test_std_streams_and_wsgi_errors_have_the_text_io_surface(httpd_factory, flavour):
    server = httpd_factory(BODY, flavour)
    r = server.wait_ok("/s/?probe")
    assert r.status == 200, r.body
    result = json.loads(r.body)
    for name in ("stdout", "stderr", "errors"):
        s = result[name]
        assert s["encoding"] == "'utf-8'", (name, s)
        assert s["closed"] == "False", (name, s)
        assert s["isatty"] is False and s["writable"] is True, (name, s)
        assert s["readable"] is False and s["seekable"] is False, (name, s)
        assert s["textiobase"] is True, (name, s)
        if flavour == "wsgid":
            # Stricter than mod_wsgi 4.9.4, whose .buffer is no io.BufferedIOBase, returns None
            # from write() and accepts str: these are what io.BufferedWriter does.
            assert s["buffer_bufferediobase"] is True, (name, s)
            assert s["buffer_write"] == len("probe-xxx bytes \u00e9\n".replace("xxx", {
                "stdout": "out", "stderr": "err", "errors": "wsgi"}[name]).encode()), (name, s)
            assert s["buffer_takes_str"] is False, (name, s)
        assert s["fileno"] == 2 or s["fileno"] in ("OSError", "UnsupportedOperation"), (name, s)
    for mark in ("probe-out", "probe-err", "probe-wsgi"):
        for what in ("text", "lines", "bytes ", "view"):
            server.wait_log(f"{mark} {what}")


@pytest.mark.skipif(shutil.which("hg") is None, reason="Mercurial (Debian's mercurial) is not installed")
def test_debian_hgweb_wsgi_serves_a_repository(httpd_factory, flavour):
    server = httpd_factory("", flavour, start=False)
    repo = server.tmp / "repo"
    subprocess.run(["hg", "init", str(repo)], check=True, capture_output=True)
    (repo / "README").write_text("hello from hg\n")
    subprocess.run(["hg", "-R", str(repo), "commit", "-A", "-m", "first commit",
                    "-u", "test <test@example.org>"], check=True, capture_output=True)
    script = server.tmp / "hgweb.wsgi"
    example = "/usr/share/doc/mercurial-common/examples/hgweb.wsgi"
    text = open(example).read().replace('b"/path/to/repo/or/config"', repr(str(repo).encode()))
    script.write_text(text)
    subprocess.run(["chmod", "-R", "a+rX", str(server.tmp)], check=True)
    server.body = f"""
WSGIRestrictEmbedded On
WSGIDaemonProcess hg threads=2
WSGIScriptAlias /hg {script} process-group=hg application-group=%{{GLOBAL}}
"""
    server.start()
    r = server.wait_ok("/hg/log?style=raw", timeout=30)
    assert b"first commit" in r.body, r.body[:2000]
