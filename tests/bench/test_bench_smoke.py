"""bench/bench.py end to end, briefly: static httpd, mod_wsgi daemon mode and mod_wsgid (daemon
and embedded mode) on the hello workload, one 1-second run each. What is checked is the instrument (every server
answered and was measured, the per-request CPU figures and memory table are there, the JSON
and Markdown agree, nothing is left running), never a speed."""

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "bench" / "bench.py"
SERVERS = ["static", "mod_wsgi-daemon", "wsgid-httpd", "wsgid-embedded"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("the benchmark starts httpd as root with User www-data")
    if not Path("/usr/bin/wrk").exists():
        pytest.fail("wrk is missing: scripts/install-deps.sh installs it")
    out = tmp_path_factory.mktemp("bench")
    build = os.environ.get("WSGID_BENCH_BUILD_DIR", str(REPO / "build"))
    # The run directories go in a private, world-traversable TMPDIR (httpd's children run as
    # www-data), so what is left behind is this run's, whatever else runs on the machine.
    runs = Path(tempfile.mkdtemp(prefix="wsgid-bench-smoke-"))
    runs.chmod(0o755)
    proc = subprocess.run(
        ["/usr/bin/python3", str(BENCH), "--build-dir", build, "--servers", ",".join(SERVERS),
         "--workloads", "hello", "--duration", "1", "--warmup", "1", "--repeats", "1",
         "--stream-requests", "1", "--charts", str(out / "charts"),
         "--json", str(out / "result.json")],
        capture_output=True, text=True, timeout=500, env=dict(os.environ, TMPDIR=str(runs)))
    left = os.listdir(runs)
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    still_running = [line for line in ps.splitlines() if str(runs) in line]
    if not still_running:
        shutil.rmtree(runs, ignore_errors=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    yield {"data": json.loads((out / "result.json").read_text()),
           "md": (out / "result.md").read_text(), "out": out, "left": left,
           "still_running": still_running, "log": proc.stdout + proc.stderr}


def test_every_server_measured_without_errors(run):
    hello = run["data"]["results"]["hello"]
    assert sorted(hello) == sorted(SERVERS), run["log"][-2000:]
    for name in SERVERS:
        r = hello[name]
        assert r["rps"]["median"] > 0, name
        assert r["non2xx"] == 0, name
        assert run["data"]["servers"][name]["checks"]["hello"] == "ok"


def test_cpu_per_request_by_role(run):
    hello = run["data"]["results"]["hello"]
    for name in SERVERS:
        r = hello[name]
        assert r["cpu_us_per_req"]["median"] > 0, name
        assert r["switches_per_req"]["median"] > 0, name
    # httpd's workers serve every server; only the daemon-mode servers have daemons, and the
    # roles add up to the whole.
    for name in SERVERS:
        roles = hello[name]["cpu_us_by_role"]
        assert roles.get("worker", 0) > 0, (name, roles)
        assert sum(roles.values()) == pytest.approx(hello[name]["cpu_us_per_req"]["median"],
                                                    rel=0.05)
    assert "daemon" not in hello["static"]["cpu_us_by_role"]
    assert "daemon" not in hello["wsgid-embedded"]["cpu_us_by_role"]
    assert hello["wsgid-httpd"]["cpu_us_by_role"].get("daemon", 0) > 0
    assert hello["wsgid-httpd"]["cpu_ratio"] > 0
    assert hello["mod_wsgi-daemon"]["cpu_ratio"] == pytest.approx(1.0)


def test_memory_and_report(run):
    mem = run["data"]["memory"]
    roles = {r["role"] for r in mem["wsgid-httpd"]}
    assert {"parent", "worker", "daemon"} <= roles, roles
    assert all(r["pss_kib"] > 0 for rows in mem.values() for r in rows)
    md = run["md"]
    assert "Server CPU per request relative to mod_wsgi daemon mode" in md
    assert "| mod_wsgid (httpd.conf) |" in md
    assert "Issue 8 targets" in md
    assert "Issue 17 targets" in md
    charts = {p.name for p in (run["out"] / "charts").glob("*.png")}
    if Path("/usr/bin/gnuplot").exists():
        assert {"throughput.png", "cpu_per_request.png", "memory.png"} <= charts, charts


def test_history_beside_the_results(run):
    # One line for this run, next to --json (so a test run never touches the committed
    # bench/results/history.jsonl), with the ratios and CPU per request the charts draw.
    lines = (run["out"] / "history.jsonl").read_text().splitlines()
    assert len(lines) == 1, lines
    record = json.loads(lines[0])
    assert sorted(record["ratio"]["hello"]) == sorted(SERVERS)
    assert record["ratio"]["hello"]["mod_wsgi-daemon"] == pytest.approx(1.0)
    assert all(record["cpu_us"]["hello"][n] > 0 for n in SERVERS)
    assert record["git"] and record["date"] and record["quick"] is False
    charts = {p.name for p in (run["out"] / "charts").glob("*.png")}
    if Path("/usr/bin/gnuplot").exists():
        assert {"history_throughput.png", "history_cpu.png"} <= charts, charts


def test_cleans_up(run):
    assert not run["left"], f"run directories left behind: {run['left']}"
    # Every server it started is gone: nothing runs from its directory any more.
    assert not run["still_running"], run["still_running"]
