"""Two sites under one `wsgid run`, every process of one uid (the container's shape): only the
Landlock scope each daemon puts on itself keeps site A's app away from site B's code, secrets,
log and processes (docs/security.md, "Filesystem and signals")."""

import errno
import os
import pwd
import shutil
import signal
import socket
import textwrap
from pathlib import Path

import pytest

import httpd_harness as hh
import launcher_harness as lh

pytestmark = pytest.mark.wsgid_only("Landlock scopes are wsgid's")

# Started as root, the launcher is run as www-data so every process shares that one uid; started
# unprivileged (the container stage), everything already runs as the test's own uid.
ONE_UID = "www-data" if os.geteuid() == 0 else None

SITE = """
[[site]]
name = "{name}"
server_name = "{name}.test"
app = "{tmp}/{name}/app.wsgi"
error_log = "{tmp}/logs/{name}.log"
env = {{ SECRET = "{name}-secret" }}
daemon = {{ processes = 1, threads = 2 }}
sandbox = {{ {sandbox} }}
"""


@pytest.fixture
def sites(request):
    runs = []

    def start(*specs: tuple[str, str], user: str | None = ONE_UID) -> lh.Launched:
        tmp = hh.make_tmp()
        (tmp / "logs").mkdir()
        (tmp / "extra").mkdir()
        (tmp / "extra" / "data.txt").write_text("extra data")
        # Logs to files: httpd running as ONE_UID could not reopen the test's stderr pipe.
        text = f'[server]\nlisten = "127.0.0.1:8080"\nlogs = "{tmp}/logs"\n'
        for name, sandbox in specs:
            (tmp / name).mkdir()
            shutil.copy(hh.APPS_SRC / "isolation_probe.wsgi", tmp / name / "app.wsgi")
            text += SITE.format(name=name, tmp=tmp, sandbox=sandbox.format(tmp=tmp))
        (tmp / "site.toml").write_text(textwrap.dedent(text))
        if user is not None:
            pw = pwd.getpwnam(user)
            for root, dirs, files in os.walk(tmp):
                for entry in [root, *(os.path.join(root, f) for f in files)]:
                    os.chown(entry, pw.pw_uid, pw.pw_gid)
        run = lh.Launched(tmp=tmp, profile=tmp / "site.toml", user=user)
        runs.append(run)
        run.start()
        for name, _ in specs:
            run.wait_ok("/pid", host=f"{name}.test")
        return run

    yield start
    for run in runs:
        try:
            run.stop()
        finally:
            if any(getattr(request.node, f"rep_{w}", None) is not None and
                   getattr(request.node, f"rep_{w}").failed for w in ("setup", "call")):
                print(f"----- wsgid run output ({run.tmp}) -----\n{run.output()}")
                for log in (run.tmp / "logs").glob("*.log"):
                    print(f"----- {log.name} -----\n{log.read_text(errors='replace')[-4000:]}")
            shutil.rmtree(run.tmp, ignore_errors=True)


def probe(run: lh.Launched, site: str, route: str, **query) -> str:
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    r = run.get(f"/{route}?{qs}", host=f"{site}.test")
    assert r.status == 200, r.body
    return r.body.decode()


REFUSED = f"err:PermissionError:{errno.EACCES}"


def test_one_uid_site_cannot_read_another_sites_files(sites, flavour):
    run = sites(("a", ""), ("b", ""))
    tmp, out = run.tmp, run.out
    b_daemon = run.daemon_pids("b")[0]
    # All one uid: file modes cannot be what refuses A.
    assert hh.uid_of(b_daemon) == hh.uid_of(run.daemon_pids("a")[0]) == hh.uid_of(run.httpd_pid())
    # A's own app, Python and system files stay readable (A's env file was applied: SECRET).
    assert probe(run, "a", "read", path=tmp / "a" / "app.wsgi").startswith("ok:")
    assert probe(run, "a", "env", name="SECRET") == "ok:a-secret"
    assert probe(run, "a", "read", path="/etc/resolv.conf").startswith("ok:") or \
        not Path("/etc/resolv.conf").exists()
    assert probe(run, "a", "list", path="/usr/lib/python3/dist-packages").startswith("ok:")
    refused = {
        "list B's app": ("list", tmp / "b"),
        "read B's app": ("read", tmp / "b" / "app.wsgi"),
        "list the runtime dir": ("list", out),
        "list the sites dir": ("list", out / "sites"),
        "read B's site conf": ("read", out / "sites" / "b.conf"),
        "read B's env file": ("read", out / "sites" / "b.env"),
        "read B's daemon settings": ("read", out / "sites" / "b.daemon"),
        "read B's seccomp filter": ("read", out / "seccomp" / "b.bpf"),
        "read httpd.conf": ("read", out / "httpd.conf"),
        "read B's log": ("read", tmp / "logs" / "b.log"),
        "read A's own log by path": ("read", tmp / "logs" / "a.log"),
        "read the profile": ("read", tmp / "site.toml"),
        "write next to B's app": ("write", tmp / "b" / "planted.py"),
        "write shared /tmp": ("write", tmp / "planted"),
    }
    for what, (route, path) in refused.items():
        assert path.exists() or route == "write", path
        assert probe(run, "a", route, path=path) == REFUSED, what
    assert not (tmp / "b" / "planted.py").exists()
    # B's process entries: refused as before (not dumpable), and by the domain boundary.
    for entry in ("environ", "mem", "maps"):
        assert probe(run, "a", "read", path=f"/proc/{b_daemon}/{entry}") == REFUSED, entry
    assert probe(run, "a", "list", path=f"/proc/{b_daemon}/fd") == REFUSED
    # A worker's memory and descriptors too: Landlock refuses ptrace-mode access across domains.
    worker = run.worker_pids()[0]
    for entry in ("environ", "mem"):
        assert probe(run, "a", "read", path=f"/proc/{worker}/{entry}") == REFUSED, entry
    assert probe(run, "a", "read", path=f"/proc/{worker}/fd/2") == REFUSED
    assert probe(run, "b", "env", name="SECRET") == "ok:b-secret"


def test_each_site_has_its_own_writable_temporary_directory(sites, flavour):
    run = sites(("a", ""), ("b", ""))
    a_tmp = probe(run, "a", "tempfile").removeprefix("ok:")
    b_tmp = probe(run, "b", "tempfile").removeprefix("ok:")
    # The launcher's per-site TMPDIR (the module's /tmp/wsgid-UID-GROUP only without one).
    assert a_tmp != b_tmp and a_tmp.startswith(f"{run.out}/tmp/"), (a_tmp, b_tmp)
    assert probe(run, "a", "list", path=b_tmp) == REFUSED
    assert probe(run, "a", "write", path=f"{b_tmp}/planted") == REFUSED


def test_one_uid_site_cannot_signal_other_sites_or_httpd(sites, flavour):
    run = sites(("a", ""), ("b", ""))
    b_daemon = run.daemon_pids("b")[0]
    targets = {"B's daemon": b_daemon, "httpd's parent": run.httpd_pid(),
               "a worker": run.worker_pids()[0], "the launcher": run.proc.pid}
    for what, pid in targets.items():
        for sig in (signal.SIGSTOP, signal.SIGKILL, signal.SIGTERM):
            assert probe(run, "a", "kill", pid=pid, sig=int(sig)) == \
                f"err:PermissionError:{errno.EPERM}", (what, sig)
    # B is untouched: same process, still answering.
    assert probe(run, "b", "pid") == f"ok:{b_daemon}"
    assert hh.children_of(run.httpd_pid())
    # A may still signal itself (its own domain).
    a_daemon = run.daemon_pids("a")[0]
    assert probe(run, "a", "kill", pid=a_daemon, sig=0) == "ok:None"


def test_one_uid_site_cannot_reach_abstract_sockets_outside_itself(sites, flavour):
    # Workers' embedded-mode sockets live in the abstract namespace; so does this one, made by a
    # process outside every daemon's domain.
    run = sites(("a", ""))
    name = f"wsgid-test-{os.getpid()}-{os.urandom(4).hex()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind("\0" + name)
        listener.listen(1)
        assert probe(run, "a", "connect", abstract=name) == f"err:PermissionError:{errno.EPERM}"


def test_extra_directory_needs_sandbox_read(sites, flavour):
    run = sites(("a", ""))
    data = run.tmp / "extra" / "data.txt"
    assert probe(run, "a", "read", path=data) == REFUSED
    run.stop()
    run = sites(("a", 'read = ["{tmp}/extra"], write = ["{tmp}/logs"]'))
    assert probe(run, "a", "read", path=run.tmp / "extra" / "data.txt") == "ok:10"
    assert probe(run, "a", "write", path=run.tmp / "logs" / "w.txt").startswith("ok:")
    assert probe(run, "a", "read", path=run.tmp / "logs" / "w.txt") == "ok:7"


def test_filesystem_scope_can_be_turned_off(sites, flavour):
    run = sites(("a", "filesystem = false"))
    assert probe(run, "a", "read", path=run.tmp / "extra" / "data.txt") == "ok:10"
    # The signal scope stays.
    assert probe(run, "a", "kill", pid=run.httpd_pid(), sig=int(signal.SIGSTOP)) == \
        f"err:PermissionError:{errno.EPERM}"


def test_learning_mode_names_the_refused_path_and_lets_it_through(sites, flavour):
    run = sites(("a", 'action = "log"'))
    data = run.tmp / "extra" / "data.txt"
    assert probe(run, "a", "read", path=data) == "ok:10"
    assert probe(run, "a", "write", path=run.tmp / "extra" / "new.txt").startswith("ok:")
    assert probe(run, "a", "read", path=data) == "ok:10"
    log = hh.poll(lambda: (lambda t: t if "new.txt" in t else None)(
        (run.tmp / "logs" / "a.log").read_text()), 10, what="learning-mode lines in a.log")
    lines = [line for line in log.splitlines() if "WSGID0552" in line]
    assert any(f"reading {data} would be refused" in line and "sandbox.read" in line
               for line in lines), lines
    assert any(f"writing {run.tmp}/extra/new.txt would be refused" in line and
               "sandbox.write" in line for line in lines), lines
    # Once per path, and nothing about what the scope grants (Python's own files, the app).
    assert sum(f"reading {data} " in line for line in lines) == 1, lines
    assert not any("/usr/lib" in line or "app.wsgi" in line for line in lines), lines


# ---------------------------------------------------------------- hand-written configs

HAND_WRITTEN = """
WSGIRestrictEmbedded On
WSGIDaemonProcess s threads=2 {options}
WSGIScriptAlias / @APPS@/isolation_probe.wsgi process-group=s application-group=%{{GLOBAL}}
"""


def hand_probe(server, route: str, **query) -> str:
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    r = server.get(f"/{route}?{qs}")
    assert r.status == 200, r.body
    return r.body.decode()


def test_hand_written_config_has_signal_scope_but_no_filesystem_scope_by_default(
        httpd_factory, flavour):
    server = httpd_factory(HAND_WRITTEN.format(options=""), flavour)
    server.wait_ok("/pid")
    # mod_wsgi compatibility: files are as open as the daemon's user allows.
    assert hand_probe(server, "list", path=server.tmp / "htdocs").startswith("ok:")
    assert hand_probe(server, "kill", pid=server.pid, sig=int(signal.SIGSTOP)) == \
        f"err:PermissionError:{errno.EPERM}"


def test_hand_written_config_opts_in_with_its_own_lists(httpd_factory, flavour):
    server = httpd_factory(HAND_WRITTEN.format(
        options="sandbox-filesystem=on sandbox-read=@APPS@ sandbox-write=@TMP@/scratch"), flavour)
    server.wait_ok("/pid")
    assert hand_probe(server, "read", path=server.apps / "hello.wsgi").startswith("ok:")
    assert hand_probe(server, "write", path=server.tmp / "scratch" / "x").startswith("ok:")
    assert hand_probe(server, "list", path=server.tmp / "htdocs") == REFUSED


@pytest.mark.parametrize("bad", ["sandbox-filesystem=yes", "sandbox-read=relative/dir",
                                 "sandbox-write=/ok:relative", "sandbox-scopes=maybe"])
def test_bad_sandbox_options_are_config_errors_with_a_code(httpd_factory, bad):
    server = httpd_factory(f"WSGIDaemonProcess x {bad}\n", "wsgid", start=False)
    result = server.config_test()
    assert result.returncode != 0
    text = result.stdout + result.stderr
    assert "WSGID0002" in text and bad.split("=")[0] in text, text


def test_a_listed_path_that_is_missing_is_named_and_left_out(httpd_factory, flavour):
    server = httpd_factory(HAND_WRITTEN.format(
        options="sandbox-filesystem=on sandbox-read=@APPS@:@TMP@/not-there-yet"), flavour)
    server.wait_ok("/pid")
    log = server.wait_log("WSGID0551")
    assert f"{server.tmp}/not-there-yet" in log and "sandbox-read" in log, log
    assert hand_probe(server, "read", path=server.apps / "hello.wsgi").startswith("ok:")
