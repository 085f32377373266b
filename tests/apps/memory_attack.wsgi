# A hostile application that looks through its own process's memory for what its daemon
# inherited from httpd's parent by fork (test_site_isolation_memory.py). Memory is read and
# written with ctypes: no system call a sandbox could refuse.
#   /maps                    the shared mappings it has: [[start, end, permissions, path], ...]
#   /scoreboard?victim=NAME  finds wsgid's scoreboard and marks group NAME as failing to start
#   /secret?hex=HEX          whether those bytes (either byte order) are anywhere in its memory
#   /fake-drain              marks its own process DRAINING in its scoreboard slot, and serves on
#   /pid                     its process id
import ctypes
import json
import os
import time
from urllib.parse import parse_qs

# contract/scoreboard.h, version 4: the header's magic, then one 64 KiB-aligned slot per group.
MAGIC = b"WGSB"
SLOT_ALIGN = 65536
MAX_GROUPS = 64
NAME_MAX = 64
PROCESSES_AT = 464          # processes_slots[] in a group slot
PROCESS_SLOT_SIZE = 32      # pid, state, threads, busy_threads, exit_reason, connections, requests
MAX_PROCESSES = 64
FAILED_AT = PROCESSES_AT + MAX_PROCESSES * PROCESS_SLOT_SIZE   # startup_failed_at_us
ERROR_AT = FAILED_AT + 8                                       # startup_error[256]
STARTING = 1
READY = 2
DRAINING = 3


def mappings():
    out = []
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split(None, 5)
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            path = parts[5].strip() if len(parts) > 5 else ""
            out.append((lo, hi, parts[1], path))
    return out


def shared():
    return [m for m in mappings() if m[2][3] == "s"]


def readable_memory():
    """Every mapping it may read without faulting, private or shared, no device or file view:
    [(address, copy of its bytes)], taken from one reading of the map."""
    out = []
    for lo, hi, perms, path in mappings():
        if perms[0] != "r" or path.startswith("[v") or hi - lo > 1 << 30:
            continue
        if path and not (path.startswith("[heap") or path.startswith("[anon") or
                         path.startswith("/dev/zero") or path.startswith("[stack")):
            continue
        out.append((lo, ctypes.string_at(lo, hi - lo), path or "[anon]"))
    return out


def data_range(b: bytes):
    """Where a bytes object's contents lie in this process (CPython: after its header)."""
    start = id(b) + bytes.__basicsize__ - 1
    return start, start + len(b)


def find_secret(needle: bytes):
    """Where those bytes (either byte order) lie in memory the probe did not make itself: the
    needle objects and the copies it reads memory into hold them too, and do not count."""
    reverse = needle[::-1]
    regions = readable_memory()
    own = [data_range(needle), data_range(reverse)] + [data_range(c) for _, c, _ in regions]
    found = []
    for lo, copy, path in regions:
        for pattern in (needle, reverse):
            at = copy.find(pattern)
            while at >= 0:
                address = lo + at
                if not any(a <= address < b for a, b in own):
                    found.append(path)
                at = copy.find(pattern, at + 1)
    return found


def attack_scoreboard(victim: bytes):
    for lo, hi, perms, _ in shared():
        if "w" not in perms or hi - lo < 2 * SLOT_ALIGN or ctypes.string_at(lo, 4) != MAGIC:
            continue
        for g in range(MAX_GROUPS):
            slot = lo + SLOT_ALIGN * (g + 1)
            if slot + SLOT_ALIGN > hi:
                break
            if ctypes.string_at(slot, NAME_MAX).split(b"\0", 1)[0] != victim:
                continue
            for p in range(MAX_PROCESSES):
                state = ctypes.c_int32.from_address(slot + PROCESSES_AT + p * PROCESS_SLOT_SIZE + 4)
                if state.value == READY:
                    state.value = STARTING
            cause = b"WSGID0514: planted by another site\0"
            ctypes.memmove(slot + ERROR_AT, cause, len(cause))
            ctypes.c_int64.from_address(slot + FAILED_AT).value = int(time.time() * 1e6)
            return {"found": True, "written": True}
        return {"found": True, "written": False}
    return {"found": False, "written": False}


def fake_drain():
    """Its own process slot says DRAINING, though the process goes on serving and never exits
    on its own: the parent would fork a replacement for every such claim."""
    pid = os.getpid()
    for lo, hi, perms, _ in shared():
        if "w" not in perms or hi - lo != SLOT_ALIGN:
            continue
        for p in range(MAX_PROCESSES):
            at = lo + PROCESSES_AT + p * PROCESS_SLOT_SIZE
            if ctypes.c_int32.from_address(at).value == pid:
                state = ctypes.c_int32.from_address(at + 4)
                claimed = state.value == READY
                state.value = DRAINING
                return {"pid": pid, "claimed": claimed}
    return {"pid": pid, "claimed": False}


def handover():
    """What is left to the app of the exec that started it: its program, descriptors, env."""
    fds = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            fds[fd] = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            pass
    return {"exe": os.readlink("/proc/self/exe"), "fds": fds,
            "env": sorted(k for k in os.environ if k.startswith("WSGID_DAEMON"))}


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if path == "/maps":
        result = [[lo, hi, perms, name] for lo, hi, perms, name in shared()]
    elif path == "/scoreboard":
        result = attack_scoreboard(query["victim"][0].encode())
    elif path == "/pid":
        result = {"pid": os.getpid()}
    elif path == "/handover":
        result = handover()
    elif path == "/fake-drain":
        result = fake_drain()
    elif path == "/secret":
        where = find_secret(bytes.fromhex(query["hex"][0]))
        result = {"found": bool(where), "where": sorted(set(where))}
    else:
        result = {"error": "unknown route " + path}
    body = json.dumps(result).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]
