# Probes for the daemon options and Python start-up directives (tests/integration/
# test_daemon_options.py). Every answer is JSON so both mod_wsgi and mod_wsgid can be compared.
import ctypes
import json
import os
import sys
import time
import urllib.parse
import warnings

# Memory the /grow endpoint keeps alive for the life of the process (memory-limit tests).
_kept = []


def _thread_stack_size():
    """The calling thread's stack size from pthread_getattr_np, or None."""
    try:
        libc = ctypes.CDLL(None)
        attr = ctypes.create_string_buffer(256)  # larger than any pthread_attr_t
        libc.pthread_self.restype = ctypes.c_ulong
        if libc.pthread_getattr_np(ctypes.c_ulong(libc.pthread_self()), attr) != 0:
            return None
        size = ctypes.c_size_t()
        addr = ctypes.c_void_p()
        libc.pthread_attr_getstack(attr, ctypes.byref(addr), ctypes.byref(size))
        libc.pthread_attr_destroy(attr)
        return size.value
    except Exception:
        return None


def _burn(seconds):
    end = time.process_time() + seconds
    n = 0
    while time.process_time() < end:
        n += 1
    return n


def _warn():
    try:
        warnings.warn("opt-probe warning", UserWarning)
    except UserWarning:
        return "raised"
    return "not raised"


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    query = dict(urllib.parse.parse_qsl(environ.get("QUERY_STRING", "")))
    result = {"pid": os.getpid()}
    if path == "/flags":
        result.update(
            optimize=sys.flags.optimize,
            debug=__debug__,
            dont_write_bytecode=sys.dont_write_bytecode,
            hash=hash("wsgid hash seed probe"),
            warnoptions=list(sys.warnoptions),
            warn=_warn(),
            script_reloading=environ.get("mod_wsgi.script_reloading"),
            script_filename=environ.get("SCRIPT_FILENAME"),
            file=__file__,
            priority=os.getpriority(os.PRIO_PROCESS, 0),
            stack_size=_thread_stack_size(),
            root_entries=sorted(os.listdir("/"))[:50],
        )
    elif path == "/print":
        print("opt-probe printed to stdout")
        sys.stdout.flush()
    elif path == "/stdin":
        result["read"] = repr(sys.stdin.read(1))
    elif path == "/burn":
        result["loops"] = _burn(float(query.get("s", "0.05")))
    elif path == "/grow":
        _kept.append(bytearray(int(query.get("mb", "1")) * 1024 * 1024))
        result["kept_mb"] = sum(len(b) for b in _kept) // (1024 * 1024)
    elif path == "/hold":
        # ctypes.PyDLL calls keep the GIL: nothing else in this process runs Python meanwhile.
        ctypes.PyDLL(None).sleep(int(query.get("s", "5")))
    elif path == "/slow":
        time.sleep(float(query.get("s", "0.05")))
    body = json.dumps(result).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]
