"""Worker and daemon PSS right after a 1 MiB GET load, and 2 s and 12 s after it, for the
static httpd, wsgid-httpd (WSGID_BUILD_DIR) and wsgid-httpd-b (the build given as argv[1]).
bench.py reads memory once, right after its last workload; this reads it when a ring released
after 1 s idle (issue 17) or a connection closed after 10 s would show. It reuses bench.py's
servers, configs and wrk unchanged. Usage (as root, like bench/run.sh):

  WSGID_BUILD_DIR=$PWD/build /usr/bin/python3 bench/pss_after_load.py /work/main/build
"""
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench as B  # noqa: E402

DELAYS_S = (0, 2, 12)


def main(compare_build: str) -> None:
    args = B.parse_args(["--servers", "static,wsgid-httpd", "--workloads", "get1m",
                         "--compare-build", compare_build, "--charts", "", "--history", ""])
    b = B.Bench(args)
    b.prepare_files()
    b.define_servers()
    load = next(w for w in B.WORKLOADS if w.name == "get1m")
    out = {}
    try:
        for s in b.servers:
            b.start(s)
        for s in b.servers:
            res = b.wrk(s, load, args.duration)
            end = time.monotonic()
            snaps = {}
            for at in DELAYS_S:
                # Readings at fixed delays after the load: what is measured, not a wait for it.
                time.sleep(max(0.0, end + at - time.monotonic()))
                rows = [row for pid, kind in s.roots() for row in B.process_tree_memory(pid, kind)]
                snaps[f"{at}s"] = {role: round(v["pss_each_mib"], 2)
                                   for role, v in B.memory_summary(rows).items() if role != "total"}
            out[s.name] = {"rps": round(res["rps"]) if res else None, "pss_each_mib": snaps}
            print(s.name, json.dumps(out[s.name]), flush=True)
    finally:
        for s in b.servers:
            b.stop(s)
        shutil.rmtree(b.tmp, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1])
