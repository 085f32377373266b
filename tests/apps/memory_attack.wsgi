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
    """Every mapping it may read without faulting: private or shared, no device or file view."""
    for lo, hi, perms, path in mappings():
        if perms[0] != "r" or path.startswith("[v") or hi - lo > 1 << 30:
            continue
        if path and not (path.startswith("[heap") or path.startswith("[anon") or
                         path.startswith("/dev/zero") or path.startswith("[stack")):
            continue
        yield ctypes.string_at(lo, hi - lo)


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


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if path == "/maps":
        result = [[lo, hi, perms, name] for lo, hi, perms, name in shared()]
    elif path == "/scoreboard":
        result = attack_scoreboard(query["victim"][0].encode())
    elif path == "/pid":
        result = {"pid": os.getpid()}
    elif path == "/fake-drain":
        result = fake_drain()
    elif path == "/secret":
        needle = bytes.fromhex(query["hex"][0])
        result = {"found": any(needle in m or needle[::-1] in m for m in readable_memory())}
    else:
        result = {"error": "unknown route " + path}
    body = json.dumps(result).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]
