"""WSGIDaemonProcess settings-file= (issue 18, reloads): options only the daemons read live in a
0600 file the httpd parent re-reads before it forks a daemon, so a rewritten file plus a daemon
recycle changes them without restarting httpd; options httpd's parent or workers read are
refused there, and a hand-written config without the option is read as before."""

import json
import os
import signal
import subprocess

import pytest

import httpd_harness as hh

pytestmark = pytest.mark.wsgid_only("settings-file= is wsgid's")

ALIAS = ("WSGIScriptAlias / @APPS@/versioned.wsgi process-group=s "
         "application-group=%{GLOBAL}\n")


def config(settings: str = "@TMP@/s.daemon") -> str:
    return (f"WSGIRestrictEmbedded On\n"
            f"WSGIDaemonProcess s processes=1 threads=9 display-name=%{{GROUP}} "
            f"settings-file={settings}\n" + ALIAS)


def write_settings(path, records: dict, mode: int = 0o600):
    """Atomically, as the launcher does: written beside, then renamed."""
    data = b"".join(f"{k}={v}".encode() + b"\0" for k, v in records.items())
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    temporary.chmod(mode)
    os.rename(temporary, path)


def tasks(server) -> tuple[int, int]:
    r = server.get("/settings", timeout=30)
    assert r.status == 200, r.body
    body = json.loads(r.body)
    return body["pid"], body["tasks"]


def recycle(server, old_pid):
    os.kill(old_pid, signal.SIGUSR1)
    return hh.poll(lambda: (lambda pids: pids[0] if pids and old_pid not in pids else None)(
        server.daemon_pids("s")), 20, what="the daemon's replacement")


def config_test(server) -> str:
    server.port = hh.free_port()
    server.conf_path = server.tmp / "httpd.conf"
    server.conf_path.write_text(server.render())
    result = subprocess.run([hh.APACHE_BIN, "-t", "-d", str(server.tmp), "-f",
                             str(server.conf_path)], capture_output=True, text=True, timeout=30)
    assert result.returncode != 0, result.stderr
    return result.stdout + result.stderr


def test_a_rewritten_settings_file_reaches_the_next_daemon_without_an_httpd_restart(
        httpd_factory, flavour):
    server = httpd_factory(config(), flavour, start=False)
    write_settings(server.tmp / "s.daemon", {"threads": 6})
    server.start()
    server.wait_ok("/")
    workers = sorted(server.worker_pids())
    pid, six = tasks(server)
    write_settings(server.tmp / "s.daemon", {"threads": 2, "maximum-requests": 1000})
    recycle(server, pid)
    server.wait_ok("/")
    _, two = tasks(server)
    assert six - two == 4, (six, two)
    server.wait_log("WSGID0618")
    assert "threads=2 maximum-requests=1000" in server.read_log()
    assert sorted(server.worker_pids()) == workers
    # A file that went bad is logged once and the group keeps the settings it has.
    write_settings(server.tmp / "s.daemon", {"threads": 3, "processes": 4})
    pid, _ = tasks(server)
    recycle(server, pid)
    server.wait_ok("/")
    assert tasks(server)[1] == two
    log = server.wait_log("WSGID0617")
    assert "record 2 names option 'processes'" in log and "s.daemon" in log, log
    assert len(server.daemon_pids("s")) == 1


@pytest.mark.parametrize("records,mode,expected", [
    ({"threads": 4, "processes": 3}, 0o600,
     "WSGID0617 WSGIDaemonProcess: settings-file @TMP@/s.daemon: record 2 names option "
     "'processes', which httpd's parent or workers read"),
    ({"threads": 0}, 0o600,
     "WSGID0616 WSGIDaemonProcess: settings-file @TMP@/s.daemon: record 1 is refused: WSGID0002 "
     "WSGIDaemonProcess: option threads=0 is not valid"),
    ({"threads": 4}, 0o644,
     "WSGID0615 WSGIDaemonProcess: settings-file @TMP@/s.daemon is refused: it may hold secrets"),
])
def test_a_bad_settings_file_is_a_config_error_naming_file_record_and_fix(
        httpd_factory, flavour, records, mode, expected):
    server = httpd_factory(config(), flavour, start=False)
    write_settings(server.tmp / "s.daemon", records, mode)
    text = config_test(server)
    assert expected.replace("@TMP@", str(server.tmp)) in text, text


def test_a_missing_settings_file_is_a_config_error(httpd_factory, flavour):
    server = httpd_factory(config(), flavour, start=False)
    text = config_test(server)
    assert f"WSGID0615 WSGIDaemonProcess: cannot open settings-file {server.tmp}/s.daemon" in text
