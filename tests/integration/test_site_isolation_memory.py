"""What a daemon inherits from httpd's parent by fork (docs/security.md, "Inherited memory").

Site A's app reads and writes its own process's memory with ctypes, which no sandbox can refuse,
looking for what the fork gave it of httpd and of site B: the shared memory httpd's processes
and B's daemons use at the same time (httpd's scoreboard, mod_ssl's session cache, wsgid's
scoreboard, by which workers decide whether B can serve), and B's TLS private key. wsgid only: mod_wsgi's daemons keep all of it.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import httpd_harness as hh

CONF = """
LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so
LoadModule socache_shmcb_module /usr/lib/apache2/modules/mod_socache_shmcb.so
SSLSessionCache shmcb:@TMP@/ssl_scache(512000)
WSGIRestrictEmbedded On
<VirtualHost *:@PORT@>
  ServerName a.test
  WSGIDaemonProcess a processes=1 threads=2 display-name=%{GROUP}
  WSGIScriptAlias / @APPS@/memory_attack.wsgi process-group=a application-group=%{GLOBAL}
</VirtualHost>
<VirtualHost *:@PORT@>
  ServerName b.test
  WSGIDaemonProcess b processes=1 threads=2 display-name=%{GROUP}
  WSGIScriptAlias / @APPS@/hello.wsgi process-group=b application-group=%{GLOBAL}
</VirtualHost>
Listen 127.0.0.1:@TLS_PORT@
<VirtualHost 127.0.0.1:@TLS_PORT@>
  ServerName b.test
  SSLEngine on
  SSLCertificateFile @TMP@/b.crt
  SSLCertificateKeyFile @TMP@/b.key
  WSGIScriptAlias / @APPS@/hello.wsgi process-group=b application-group=%{GLOBAL}
</VirtualHost>
"""

pytestmark = pytest.mark.wsgid_only("mod_wsgi's daemons keep all of httpd's memory")


def private_scalar(key_file) -> str:
    """The EC private key's secret number, as hex, from `openssl ec -text`."""
    text = subprocess.run(["openssl", "ec", "-in", str(key_file), "-text", "-noout"],
                          check=True, capture_output=True, text=True, timeout=60).stdout
    block = re.search(r"priv:\s*\n((?:\s+[0-9a-f:]+\n)+)", text)
    assert block, text
    return re.sub(r"[^0-9a-f]", "", block.group(1))


def start_sites(httpd_factory, flavour, conf):
    conf = conf.replace("@TLS_PORT@", str(hh.free_port()))
    server = httpd_factory(conf, flavour, start=False)
    # Read by httpd's parent (root, or the test's user) at start-up, like any site's key.
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=b.test",
                    "-keyout", "b.key", "-out", "b.crt"],
                   cwd=server.tmp, check=True, capture_output=True, timeout=60)
    server.start()
    server.wait_ok("/", host="b.test")
    return server, private_scalar(server.tmp / "b.key")


@pytest.fixture
def sites(httpd_factory, flavour):
    return start_sites(httpd_factory, flavour, CONF)


def ask(server, path: str):
    r = server.get(path, host="a.test")
    assert r.status == 200, r.body
    return json.loads(r.body)


def test_a_daemon_keeps_only_its_own_groups_scoreboard_slot(sites):
    server, _ = sites
    # Writable shared memory, or shared memory it could make writable: only its own slot,
    # 64 KiB; httpd's scoreboard, mod_ssl's session cache and the rest of wsgid's are gone.
    mine = [m for m in ask(server, "/maps")
            if "w" in m[2] or not m[3].startswith("/") or m[3].startswith("/dev/zero")]
    assert [m[1] - m[0] for m in mine] == [65536], mine


def test_another_sites_scoreboard_slot_cannot_be_rewritten(sites):
    server, _ = sites
    assert ask(server, "/scoreboard?victim=b") == {"found": False, "written": False}
    # Had it been written, workers would answer B 503 (WSGID0160) with the planted cause.
    r = server.get("/", host="b.test")
    assert r.status == 200 and b"planted" not in r.body, (r.status, r.body)


def test_another_sites_tls_private_key_is_not_in_memory(sites):
    # mod_ssl loaded B's key into httpd's parent before the daemons were forked; a daemon that
    # ran its app in the forked image had it in its heap, in both byte orders.
    server, scalar = sites
    assert ask(server, f"/secret?hex={scalar}") == {"found": False, "where": []}


def test_a_daemon_that_stays_forked_has_the_key_and_is_named_in_the_log(httpd_factory, flavour):
    # WSGILazyInitialization Off keeps daemons in the fork of the parent that started Python:
    # the documented exception (WSGID0219), and the proof that the probe above finds a key
    # where there is one.
    server, scalar = start_sites(httpd_factory, flavour, "WSGILazyInitialization Off\n" + CONF)
    seen = ask(server, f"/secret?hex={scalar}")
    assert seen["found"] and "[heap]" in seen["where"], seen
    assert "/wsgid-daemon" not in ask(server, "/handover")["exe"]
    log = server.read_log()
    assert "WSGID0219" in log and "daemon group 'a' runs its application in a fork" in log, log


def test_the_app_runs_in_wsgid_daemon_with_nothing_of_the_handover_left(sites):
    server, _ = sites
    seen = ask(server, "/handover")
    assert seen["exe"].endswith("/wsgid-daemon"), seen
    # The spec's memfd and the scoreboard's are closed (the slot stays mapped), the variable
    # that named the spec is gone.
    assert not [t for t in seen["fds"].values() if "memfd:wsgid" in t], seen
    assert seen["env"] == [], seen


def test_without_wsgid_daemon_no_app_runs_in_the_fork(httpd_factory, flavour, tmp_path):
    # mod_wsgid.so and wsgid_python.so installed without the helper beside them: the daemon
    # must not fall back to running the app in its copy of httpd's memory.
    modules = tmp_path / "modules"
    modules.mkdir()
    module = hh.wsgid_module_path()
    python_so = Path(os.environ.get("WSGID_PYTHON_SO") or module.parent / "wsgid_python.so")
    for so in (module, python_so):
        shutil.copy(so, modules / so.name)
    conf = (f"LoadModule wsgid_module {modules}/mod_wsgid.so\nWSGISocketPrefix @TMP@/wsgi\n"
            "WSGIDaemonProcess a processes=1 threads=2\n"
            "WSGIScriptAlias / @APPS@/hello.wsgi process-group=a application-group=%{GLOBAL}\n")
    server = httpd_factory(conf, "none")
    hh.poll(lambda: "WSGID0217" in server.read_log(), timeout=30, what="WSGID0217")
    assert "Install wsgid-daemon beside mod_wsgid.so" in server.read_log()
    r = server.get("/")
    assert r.status == 503 and b"Hello" not in r.body, (r.status, r.body[:200])
