"""mod_wsgi 3.x daemon options and Python start-up directives (issue 5, items 8-11):
WSGIPythonWarnings, WSGIScriptReloading, cpu-time-limit, cpu-priority, chroot, memory-limit,
restart-interval, startup-timeout, deadlock-timeout, stack-size, WSGIPythonOptimize,
WSGIDontWriteBytecode, WSGIPythonHashSeed, WSGIRestrictStdin and WSGIRestrictStdout."""

import json
import os
import shutil
import subprocess
import sysconfig

import pytest

import httpd_harness as hh

ALIAS = "WSGIScriptAlias /o @APPS@/opt_probe.wsgi process-group=o application-group=%{GLOBAL}\n"


def group(options: str = "", processes: int = 1, threads: int = 4) -> str:
    return (f"WSGIRestrictEmbedded On\n"
            f"WSGIDaemonProcess o processes={processes} threads={threads} display-name=%{{GROUP}} "
            f"{options}\n")


def probe(server, path="/o/flags") -> dict:
    r = server.get(path, timeout=30)
    assert r.status == 200, f"{path}: {r.status} {r.body[:300]!r}"
    return json.loads(r.body)


def describe(failures):
    return f"{len(failures)} failed requests, e.g. " + "; ".join(o.detail[:80] for o in failures[:5])


def expected_hash(seed: int) -> int:
    out = subprocess.run(["/usr/bin/python3", "-c", "print(hash('wsgid hash seed probe'))"],
                         env={**os.environ, "PYTHONHASHSEED": str(seed)}, check=True,
                         capture_output=True, text=True)
    return int(out.stdout)


@pytest.fixture(autouse=True)
def clean_python_env(monkeypatch):
    # ctest sets PYTHONDONTWRITEBYTECODE for the test runner; httpd would inherit it and hide
    # what WSGIDontWriteBytecode does.
    for name in ("PYTHONDONTWRITEBYTECODE", "PYTHONOPTIMIZE", "PYTHONHASHSEED", "PYTHONWARNINGS"):
        monkeypatch.delenv(name, raising=False)


# ---------------------------------------------------------------- Python start-up (items 8, 11)

def test_python_startup_directives_apply_in_daemons(httpd_factory, flavour):
    server = httpd_factory(
        "WSGIPythonOptimize 1\n"
        "WSGIDontWriteBytecode On\n"
        "WSGIPythonHashSeed 4242\n"
        "WSGIPythonWarnings error::UserWarning\n"
        "WSGIPythonWarnings ignore::DeprecationWarning\n" + group() + ALIAS, flavour)
    server.wait_ok("/o/")
    flags = probe(server)
    assert flags["optimize"] == 1 and flags["debug"] is False
    assert flags["dont_write_bytecode"] is True
    assert flags["hash"] == expected_hash(4242)
    assert flags["warnoptions"] == ["error::UserWarning", "ignore::DeprecationWarning"]
    assert flags["warn"] == "raised"


def test_python_startup_defaults(httpd_factory, flavour):
    server = httpd_factory(group() + ALIAS, flavour)
    server.wait_ok("/o/")
    flags = probe(server)
    assert flags["optimize"] == 0 and flags["debug"] is True
    assert flags["dont_write_bytecode"] is False
    assert flags["warn"] == "not raised"
    assert flags["hash"] != expected_hash(4242)


def test_restricted_std_streams_raise_naming_the_directive(httpd_factory, flavour):
    server = httpd_factory("WSGIRestrictStdout On\nWSGIRestrictStdin On\n" + group() + ALIAS,
                           flavour)
    server.wait_ok("/o/")
    assert server.get("/o/print").status == 500
    assert server.get("/o/stdin").status == 500
    if flavour == "wsgid":
        log = server.wait_log("restricted by WSGIRestrictStdout On")
        assert "restricted by WSGIRestrictStdin On" in server.wait_log("WSGIRestrictStdin")
        assert "Traceback" in log


def test_std_streams_are_allowed_by_default(httpd_factory, flavour):
    server = httpd_factory(group() + ALIAS, flavour)
    server.wait_ok("/o/")
    assert server.get("/o/print").status == 200
    assert probe(server, "/o/stdin")["read"] == "''"
    server.wait_log("opt-probe printed to stdout")


@pytest.mark.parametrize("bad", ["WSGIPythonOptimize 3", "WSGIPythonHashSeed lots",
                                 "WSGIPythonHashSeed 4294967296", "WSGIPythonWarnings bogus::X",
                                 "WSGIDaemonProcess x memory-limit=12",
                                 "WSGIDaemonProcess x stack-size=100",
                                 "WSGIDaemonProcess x cpu-priority=40",
                                 "WSGIDaemonProcess x chroot=relative/dir",
                                 "WSGIDaemonProcess x deadlock-timeout=-1"])
def test_bad_values_are_config_errors_with_a_code(httpd_factory, bad):
    server = httpd_factory(bad + "\n", "wsgid", start=False)
    result = server.config_test()
    assert result.returncode != 0
    directive, _, value = bad.partition(" ")
    text = result.stdout + result.stderr
    assert "WSGID00" in text and directive in text, text
    assert value.split("=")[-1] in text, text


# ---------------------------------------------------------------- WSGIScriptReloading (item 9)

def touch_later(path):
    st = os.stat(path)
    os.utime(path, (st.st_atime, st.st_mtime + 10))


def test_script_reloading_off_keeps_the_process(httpd_factory, flavour):
    server = httpd_factory(group() + ALIAS + "WSGIScriptReloading Off\n", flavour)
    server.wait_ok("/o/")
    first = probe(server)
    assert first["script_reloading"] == "0"
    touch_later(server.apps / "opt_probe.wsgi")
    pids = {probe(server)["pid"] for _ in range(20)}
    assert pids == {first["pid"]}


def test_script_reloading_on_recycles_gracefully(httpd_factory, flavour):
    server = httpd_factory(group(threads=8) + ALIAS, flavour)
    server.wait_ok("/o/")
    first = probe(server)
    assert first["script_reloading"] == "1"
    with hh.Load(server.port, "/o/slow?s=0.02", clients=8, max_requests=4000,
                 max_seconds=90) as load:
        load.wait_successes(50)
        touch_later(server.apps / "opt_probe.wsgi")
        hh.poll(lambda: any(json.loads(o.body)["pid"] != first["pid"]
                            for o in load.snapshot() if o.ok),
                timeout=30, what="a new daemon process after the script changed")
        load.wait_successes(load.successes() + 50)
    assert not load.failures(), describe(load.failures())


# ---------------------------------------------------------------- daemon options (item 10)

def test_cpu_priority_and_stack_size(httpd_factory, flavour):
    server = httpd_factory(group("cpu-priority=7 stack-size=524288") + ALIAS, flavour)
    server.wait_ok("/o/")
    flags = probe(server)
    assert flags["priority"] == 7
    assert flags["stack_size"] == 524288


def test_default_priority_and_stack_size(httpd_factory, flavour):
    server = httpd_factory(group() + ALIAS, flavour)
    server.wait_ok("/o/")
    flags = probe(server)
    assert flags["priority"] == 0
    assert flags["stack_size"] != 524288


def recycles_under_load(server, path, reason, recycles=2, clients=12, timeout=90):
    """Load `path` until the log shows `reason` `recycles` times; returns the Load."""
    first = probe(server)["pid"]
    with hh.Load(server.port, path, clients=clients, max_requests=20000,
                 max_seconds=timeout) as load:
        hh.poll(lambda: server.read_log().count(reason) >= recycles, timeout=timeout,
                interval=0.1, what=f"{recycles} recycles for {reason!r}")
        done = load.successes()
        load.wait_successes(done + 20)
    pids = {json.loads(o.body)["pid"] for o in load.snapshot() if o.ok}
    assert pids - {first}, "no new daemon process served a request"
    return load


@pytest.mark.wsgid_only("mod_wsgi's restart-interval is not a drain that fails nothing under load")
def test_restart_interval_recycles_without_failures(httpd_factory, flavour):
    server = httpd_factory(group("restart-interval=2", processes=2) + ALIAS, flavour)
    server.wait_ok("/o/")
    load = recycles_under_load(server, "/o/slow?s=0.02", "restart-interval elapsed", recycles=3)
    assert not load.failures(), describe(load.failures())


@pytest.mark.wsgid_only("mod_wsgi ends a daemon at cpu-time-limit through SIGXCPU")
def test_cpu_time_limit_recycles_without_failures(httpd_factory, flavour):
    server = httpd_factory(group("cpu-time-limit=1", processes=2) + ALIAS, flavour)
    server.wait_ok("/o/")
    load = recycles_under_load(server, "/o/burn?s=0.03", "cpu-time-limit reached", clients=4)
    assert not load.failures(), describe(load.failures())


@pytest.mark.wsgid_only("mod_wsgi's memory-limit is an rlimit: allocations fail instead")
def test_memory_limit_recycles_by_rss_without_failures(httpd_factory, flavour):
    server = httpd_factory(group("memory-limit=120000000", processes=2) + ALIAS, flavour)
    server.wait_ok("/o/")
    load = recycles_under_load(server, "/o/grow?mb=4", "memory-limit exceeded", clients=4)
    assert not load.failures(), describe(load.failures())
    assert "exceeds memory-limit=120000000" in server.read_log()


@pytest.mark.wsgid_only("mod_wsgi's startup-timeout only covers a failing first script load")
def test_startup_timeout_ends_a_daemon_that_never_gets_ready(httpd_factory, flavour):
    server = httpd_factory(
        group("startup-timeout=1") + ALIAS +
        "WSGIImportScript @APPS@/opt_slow_start.py process-group=o application-group=%{GLOBAL}\n",
        flavour)
    server.wait_log("WSGID0524", timeout=20)
    # A failed start: the parent replaces it with back-off (WSGID0211), it does not give up.
    server.wait_log("WSGID0211", timeout=20)
    assert "was not ready within startup-timeout (1.000000s)" in server.read_log()


def test_deadlock_timeout_replaces_a_process_holding_the_gil(httpd_factory, flavour):
    server = httpd_factory(group("deadlock-timeout=2") + ALIAS, flavour)
    server.wait_ok("/o/")
    first = probe(server)["pid"]
    try:
        server.get("/o/hold?s=60", timeout=30)
    except Exception:
        pass  # the process holding the request dies: the client sees an error
    if flavour == "wsgid":
        server.wait_log("WSGID0523", timeout=20)
        assert "the Python GIL has not been released for" in server.read_log()
    hh.poll(lambda: server.get("/o/flags").status == 200, timeout=20, what="a fresh daemon")
    assert probe(server)["pid"] != first


def test_no_deadlock_exit_while_the_gil_is_released(httpd_factory, flavour):
    # Sleeping in time.sleep releases the GIL: longer than deadlock-timeout must be fine.
    server = httpd_factory(group("deadlock-timeout=2") + ALIAS, flavour)
    server.wait_ok("/o/")
    first = probe(server)["pid"]
    assert server.get("/o/slow?s=5", timeout=30).status == 200
    assert probe(server)["pid"] == first


@pytest.fixture
def jail():
    if os.geteuid() != 0:
        pytest.skip("chroot= needs httpd started as root")
    root = hh.make_tmp() / "jail"
    lib = root / "usr" / "lib"
    lib.mkdir(parents=True)
    # Hard links are instant; fall back to a copy where /usr is on another file system.
    # The test python is the one the module embeds (Debian's python3): its stdlib is the one.
    stdlib = sysconfig.get_paths()["stdlib"]
    try:
        subprocess.run(["cp", "-al", stdlib, str(lib)], check=True, capture_output=True)
    except subprocess.CalledProcessError:
        shutil.copytree(stdlib, lib / os.path.basename(stdlib), symlinks=True,
                        ignore=shutil.ignore_patterns("test", "__pycache__", "idlelib"))
    (root / "app").mkdir()
    shutil.copy(hh.APPS_SRC / "opt_chroot.wsgi", root / "app" / "opt_chroot.wsgi")
    os.chmod(root.parent, 0o755)
    yield root
    shutil.rmtree(root.parent, ignore_errors=True)


@pytest.mark.wsgid_only("mod_wsgi does not map SCRIPT_FILENAME into the chroot")
def test_chroot_runs_the_app_inside_the_jail(httpd_factory, flavour, jail):
    server = httpd_factory(
        group(f"chroot={jail}") +
        f"WSGIScriptAlias /c {jail}/app/opt_chroot.wsgi process-group=o "
        "application-group=%{GLOBAL}\n"
        f"<Directory {jail}/app>\n  Require all granted\n</Directory>\n", flavour)
    r = server.wait_ok("/c/")
    seen = json.loads(r.body)
    assert seen["root"] == ["app", "usr"]
    assert seen["script_filename"] == "/app/opt_chroot.wsgi"
    assert seen["file"] == "/app/opt_chroot.wsgi"
