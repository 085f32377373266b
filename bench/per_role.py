"""What syscalls_per_request.py and profile_per_role.py share: bench.py's servers started one at a
time, each workload warmed on it, then measured by the caller with each process role's pids."""
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench as B  # noqa: E402


def role_pids(s: B.Server) -> dict[str, list[int]]:
    """The server's processes that serve requests, by role (worker, daemon, router, ...)."""
    roles: dict[str, list[int]] = {}
    for pid, (_cpu, _switches, role) in B.cpu_sample(s.roots()).items():
        if role not in ("parent", "master", "launcher"):
            roles.setdefault(role, []).append(pid)
    return roles


def under_each_role(b: B.Bench, s: B.Server, w: B.Workload, seconds: int,
                    tool: Callable[[str, list[int]], tuple[list[str], Path]]) -> tuple[int, dict]:
    """Runs `seconds` of wrk with, attached to each role's processes, the command tool(role,
    pids) returns (and the file it writes); stops each with SIGINT after. Returns the requests
    wrk completed and {role: file}."""
    attached = {}
    for role, pids in role_pids(s).items():
        argv, out = tool(role, pids)
        attached[role] = (subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                           stderr=subprocess.DEVNULL), out)
    try:
        res = b.wrk(s, w, seconds)
    finally:
        for proc, _ in attached.values():
            proc.send_signal(signal.SIGINT)
        for proc, _ in attached.values():
            proc.wait(timeout=120)
    return (res["requests"] if res else 0), {role: out for role, (_, out) in attached.items()}


def run_each(servers: str, workloads: str,
             measure: Callable[[B.Bench, B.Server, B.Workload], None]) -> None:
    """Starts each of `servers` (bench.py's names, comma-separated) in turn and, for each of
    `workloads` it can serve, warms it with 1 s of wrk and calls measure(bench, server,
    workload); stops every server and removes bench.py's temp directory however it ends."""
    args = B.parse_args(["--servers", servers, "--workloads", workloads,
                         "--charts", "", "--history", ""])
    b = B.Bench(args)
    b.prepare_files()
    b.define_servers()
    loads = [w for w in B.WORKLOADS if w.name in workloads.split(",")]
    try:
        for s in [s for s in b.servers if not s.skipped]:
            b.start(s)
            for w in loads:
                if not s.python and not w.static:
                    continue
                b.wrk(s, w, 1)  # warm: connections pooled, scripts loaded
                measure(b, s, w)
            b.stop(s)
    finally:
        for s in b.servers:
            b.stop(s)
        shutil.rmtree(b.tmp, ignore_errors=True)
