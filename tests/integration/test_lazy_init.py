"""WSGILazyInitialization Off (issue 5 item 2): Python is started in the httpd parent before it
forks, workers and daemons inherit it, and repeated graceful restarts do not grow the parent."""

import json

import pytest

import httpd_harness as hh

GROUP = """
WSGIDaemonProcess lazy processes=2 threads=2 display-name=%{GROUP} python-path=@TMP@/extra
WSGIScriptAlias /daemon @APPS@/lazy_probe.wsgi process-group=lazy application-group=%{GLOBAL}
WSGIScriptAlias /emb @APPS@/lazy_probe.wsgi
"""

RESTARTS = 20
GROWTH_LIMIT_KIB = 1024


def probe(server, path):
    r = server.get(path)
    assert r.status == 200, (r.status, r.body[:300])
    return json.loads(r.body)


def both_daemons(server, timeout=20.0):
    """Probes /daemon until both daemon processes have answered: {pid: answer}."""
    seen = {}

    def attempt():
        got = probe(server, "/daemon")
        seen[got["pid"]] = got
        return seen if len(seen) >= 2 else None

    return hh.poll(attempt, timeout, interval=0, what="answers from both daemon processes")


def start(httpd_factory, flavour, lazy: str):
    server = httpd_factory(GROUP, flavour, extra_global=f"WSGILazyInitialization {lazy}\n")
    (server.tmp / "extra").mkdir(exist_ok=True)
    server.wait_daemons("lazy", 2)
    server.wait_ok("/daemon")
    return server


def libpython_in(pid):
    return any("libpython" in lib for lib in hh.maps_libraries(pid))


def test_python_starts_in_the_parent_and_children_inherit_it(httpd_factory, flavour):
    server = start(httpd_factory, flavour, "Off")
    assert libpython_in(server.pid), "WSGILazyInitialization Off: the parent should run Python"
    answers = both_daemons(server)
    embedded = probe(server, "/emb")
    assert embedded["pid"] in server.worker_pids(), embedded
    hashes = {a["hash"] for a in answers.values()} | {embedded["hash"]}
    # One interpreter, started once with one random hash seed, inherited by every process.
    assert len(hashes) == 1, (answers, embedded)
    for a in answers.values():
        assert a["ppid"] == server.pid, a
        assert str(server.tmp / "extra") in a["sys_path"], a["sys_path"][:5]


def test_lazy_initialization_on_starts_python_in_each_process(httpd_factory, flavour):
    # The control: the same probe tells the default mode apart (so the test above can fail).
    server = start(httpd_factory, flavour, "On")
    answers = both_daemons(server)
    assert len({a["hash"] for a in answers.values()}) == 2, answers
    if flavour == "wsgid":
        assert not libpython_in(server.pid)


def parent_rss_kib(server):
    return hh.memory_kib(server.pid)["Rss"]


def restart_and_wait(server, old_pids):
    # Both daemons of the current generation must be up before the next restart: a daemon still
    # starting when a graceful restart comes can miss its drain signal (a race the module leaves
    # open; this test is about memory, not that), and keep serving the connections workers hold.
    def all_ready():
        pids = server.daemon_pids("lazy")
        log = server.read_log()
        return len(pids) == 2 and all(f"lazy pid {p} ready" in log for p in pids)

    hh.poll(all_ready, 30, what="both daemons ready before the next restart")
    server.graceful_restart()
    # The new generation's daemons answer; the old ones may still be draining.
    # (mod_wsgi answers 503 while its daemons restart; that is test_drain's business.)
    def new_daemon_answers():
        r = server.get("/daemon")
        if r.status != 200:
            return None
        got = json.loads(r.body)
        return got if got["pid"] not in old_pids else None

    return hh.poll(new_daemon_answers, 30, interval=0.05, what="a daemon of the new generation")


@pytest.mark.mod_wsgi_differs("mod_wsgi finalises and re-initialises Python on every restart")
def test_graceful_restarts_keep_the_interpreter_and_the_parent_flat(httpd_factory, flavour):
    server = start(httpd_factory, flavour, "Off")
    first = both_daemons(server)
    seed_hash = next(iter(first.values()))["hash"]
    old = set(first)
    before = parent_rss_kib(server)
    reinitialised = 0
    for _ in range(RESTARTS):
        got = restart_and_wait(server, old)
        old |= {got["pid"]}
        reinitialised += got["hash"] != seed_hash
    after = parent_rss_kib(server)
    print(f"{flavour}: parent RSS over {RESTARTS} graceful restarts: {before} KiB -> {after} KiB "
          f"({after - before:+d} KiB); Python re-initialised {reinitialised} times")
    assert reinitialised == 0, "the parent's interpreter was restarted, not kept"
    assert after - before < GROWTH_LIMIT_KIB, (before, after)
    assert "WSGID0142" not in server.read_log()


@pytest.mark.wsgid_only("mod_wsgi re-initialises Python with the new settings")
def test_changed_python_settings_are_reported_not_silently_ignored(httpd_factory, flavour):
    server = start(httpd_factory, flavour, "Off")
    old = set(both_daemons(server))
    server.extra_global += "WSGIPythonOptimize 1\n"
    server.conf_path.write_text(server.render())
    restart_and_wait(server, old)
    log = server.wait_log("WSGID0142")
    assert "WSGIPythonOptimize=1" in log and "stop and start httpd" in log, log[-2000:]


@pytest.mark.wsgid_only("mod_wsgi ignores python-home= silently here")
def test_group_python_home_is_reported_as_ignored(httpd_factory, flavour):
    body = GROUP.replace("python-path=", "python-home=/usr python-path=")
    server = httpd_factory(body, flavour, extra_global="WSGILazyInitialization Off\n")
    server.wait_ok("/daemon")
    log = server.wait_log("WSGID0143")
    assert "python-home=/usr is ignored" in log and "WSGIPythonHome" in log, log[-2000:]
