# Probes the seccomp sandbox from inside a daemon: forbidden syscalls through ctypes, and
# subprocess (which needs fork/exec) left uncaught so the server's own error page shows.
import ctypes
import os
import subprocess

LIBC = ctypes.CDLL(None, use_errno=True)
# x86_64 numbers: the tests run on Debian amd64.
FORBIDDEN = {"ptrace": 101, "mount": 165, "unshare": 272, "kexec_load": 246, "bpf": 321,
             "init_module": 175}


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path == "/syscalls":
        results = []
        for name, nr in FORBIDDEN.items():
            ctypes.set_errno(0)
            rc = LIBC.syscall(nr, 0, 0, 0, 0, 0)
            results.append(f"{name}={rc}:{os.strerror(ctypes.get_errno()) if rc == -1 else 'ok'}")
        body = "\n".join(results).encode()
    elif path == "/subprocess":
        body = subprocess.run(["/bin/echo", "ran"], capture_output=True, check=True).stdout
    else:
        body = b"pid %d" % os.getpid()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body]
