"""Where server CPU goes, by process role, sampled with `perf record`: the companion of
syscalls_per_request.py for issue 17's floor. It reuses bench.py's servers, configs and wrk
unchanged, records each role's processes (worker, daemon, ...) separately while wrk runs, and
prints each role's hottest symbols with their share of that role's samples, including what they
call (--children), so "unix_stream_sendmsg 9 %" reads as the cost of the daemon socket and
"madvise 13 %" as that of page management. Usage (as root, like bench/run.sh; needs perf):
  WSGID_BUILD_DIR=$PWD/build /usr/bin/python3 bench/profile_per_role.py \\
      [--servers wsgid-httpd] [--workloads hello,post1m] [--top 25] [--match REGEX] [--keep DIR]
--match keeps only symbols whose name matches (e.g. 'sys_|wsgid::'), --keep leaves the
perf.data files in DIR for `perf report -i`.
"""
import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench as B  # noqa: E402
from per_role import run_each, under_each_role  # noqa: E402

RECORD_S = 5  # seconds of wrk under perf per server and workload


def record(b: B.Bench, s: B.Server, w: B.Workload, out_dir: Path) -> tuple[int, dict[str, Path]]:
    def perf(role: str, pids: list[int]) -> tuple[list[str], Path]:
        data = out_dir / f"{s.name}-{w.name}-{role}.data"
        pid_list = ",".join(map(str, pids))
        return ["perf", "record", "-q", "-g", "-o", str(data), "-p", pid_list], data
    return under_each_role(b, s, w, RECORD_S, perf)


def top_symbols(data: Path, top: int, match: re.Pattern | None) -> list[tuple[float, str]]:
    """`perf report --children`: each symbol's share of the role's samples, callees included."""
    text = subprocess.run(["perf", "report", "-i", str(data), "--children", "--sort", "sym",
                           "-g", "none", "-q", "--percent-limit", "0.5"],
                          capture_output=True, text=True, check=False).stdout
    rows = []
    for line in text.splitlines():
        parts = line.split(None, 3)  # children%, self%, [k]/[.], symbol
        if len(parts) == 4 and parts[0].endswith("%"):
            name = parts[3].strip()
            if match is None or match.search(name):
                rows.append((float(parts[0][:-1]), name))
    return rows[:top]


def main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--servers", default="wsgid-httpd")
    p.add_argument("--workloads", default="hello,get1m,post1m")
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--match", default="")
    p.add_argument("--keep", default="")
    mine = p.parse_args(argv)
    if shutil.which("perf") is None:
        sys.exit("profile_per_role.py: perf is not installed (Debian: linux-perf)")
    match = re.compile(mine.match) if mine.match else None
    out_dir = Path(mine.keep) if mine.keep else Path(tempfile.mkdtemp(prefix="wsgid-perf-"))
    out_dir.mkdir(parents=True, exist_ok=True)

    def measure(b: B.Bench, s: B.Server, w: B.Workload) -> None:
        requests, files = record(b, s, w, out_dir)
        print(f"== {s.name} {w.name}: {requests} requests in {RECORD_S} s", flush=True)
        for role, data in files.items():
            print(f"-- {role} (share of this role's samples, callees included)")
            for share, name in top_symbols(data, mine.top, match):
                print(f"{share:6.2f}%  {name}")

    try:
        run_each(mine.servers, mine.workloads, measure)
    finally:
        if not mine.keep:
            shutil.rmtree(out_dir, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
