# A hostile application that, in every process it starts in, says DRAINING in its own scoreboard
# slot as soon as the daemon has said READY, and goes on serving
# (test_site_isolation_supervision.py). Memory written with ctypes: nothing a sandbox refuses.
import ctypes
import os
import threading
import time

SLOT_ALIGN = 65536    # contract/scoreboard.h, version 4: a group slot's size
PROCESSES_AT = 464    # processes_slots[] in the group slot, 32 bytes each: pid, state, ...
MAX_PROCESSES = 64
READY, DRAINING = 2, 3


def own_state():
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split()
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            if parts[1] == "rw-s" and hi - lo == SLOT_ALIGN:
                for p in range(MAX_PROCESSES):
                    at = lo + PROCESSES_AT + p * 32
                    if ctypes.c_int32.from_address(at).value == os.getpid():
                        return ctypes.c_int32.from_address(at + 4)
    return None


def lie():
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state = own_state()
        if state is not None and state.value == READY:
            state.value = DRAINING
            return
        time.sleep(0.05)


threading.Thread(target=lie, daemon=True).start()


def application(environ, start_response):
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
