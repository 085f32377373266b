"""System calls per request by process role, counted with `strace -c`: what the hop to a daemon
costs in kernel crossings next to a static file and to embedded Python (issue 17's floor). It
reuses bench.py's servers, configs and wrk unchanged; strace slows the servers down, so the
counts, not the rates, are the result. Usage (as root, like bench/run.sh):

  WSGID_BUILD_DIR=$PWD/build /usr/bin/python3 bench/syscalls_per_request.py \
      [--servers static,mod_wsgi-embedded,wsgid-httpd] [--workloads hello,get1m,post1m] [--top 6]
"""
import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench as B  # noqa: E402
from per_role import run_each, under_each_role  # noqa: E402

TRACE_S = 3  # seconds of wrk under strace per server and workload
TOP = 6      # system calls named per role


def strace_counts(path: Path) -> dict[str, int]:
    """`strace -c`'s table: calls per system call."""
    counts = {}
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 5 and parts[-1] not in ("total", "syscall") and parts[3].isdigit():
            counts[parts[-1]] = int(parts[3])
    return counts


def trace(b: B.Bench, s: B.Server, w: B.Workload, tmp: Path, top_n: int = TOP) -> dict:
    def strace(role: str, pids: list[int]) -> tuple[list[str], Path]:
        out = tmp / f"{s.name}-{w.name}-{role}.txt"
        attach = [arg for pid in pids for arg in ("-p", str(pid))]
        return ["strace", "-f", "-c", "-qq", "-o", str(out), *attach], out
    requests, outs = under_each_role(b, s, w, TRACE_S, strace)
    result = {"requests": requests, "roles": {}}
    for role, out in outs.items():
        counts = strace_counts(out) if out.exists() else {}
        per = {k: v / requests for k, v in counts.items()} if requests else {}
        top = sorted(per.items(), key=lambda kv: -kv[1])[:top_n]
        result["roles"][role] = {"per_request": round(sum(per.values()), 1),
                                 "top": {k: round(v, 2) for k, v in top}}
    return result


def main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--servers", default="static,mod_wsgi-embedded,wsgid-httpd")
    p.add_argument("--workloads", default="hello,get1m,post1m")
    p.add_argument("--top", type=int, default=TOP, help="system calls named per role")
    mine = p.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="wsgid-syscalls-"))
    try:
        run_each(mine.servers, mine.workloads, lambda b, s, w: print(
            s.name, w.name, json.dumps(trace(b, s, w, tmp, mine.top)), flush=True))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
