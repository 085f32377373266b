"""Serve one WSGI app through wsgiref on 127.0.0.1 for a bounded number of requests.

Run under strace by derive_default_syscalls.sh to learn which syscalls a CPython WSGI daemon
needs. Usage: serve.py APP PORT_FILE REQUESTS. APP names a module in this folder that defines
`application` (and optionally `setup()` and `threaded = True`).
"""
import ctypes
import importlib
import os
import platform
import socketserver
import sys
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):  # keep strace output about the app, not about logging
        pass


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = False  # server_close() joins the request threads


def load_filter(path):
    """Install a compiled filter the way the daemon does: after start-up, for all threads."""
    with open(path, "rb") as f:
        program = f.read()

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]

    libc = ctypes.CDLL(None, use_errno=True)
    sys_seccomp = {"x86_64": 317, "aarch64": 277}[platform.machine()]
    pr_set_no_new_privs, set_mode_filter, flag_tsync = 38, 1, 1
    if libc.prctl(pr_set_no_new_privs, 1, 0, 0, 0) != 0:
        sys.exit(f"serve: prctl: {os.strerror(ctypes.get_errno())}")
    prog = SockFprog(len(program) // 8, program)
    if libc.syscall(sys_seccomp, set_mode_filter, flag_tsync, ctypes.byref(prog)) != 0:
        sys.exit(f"serve: seccomp: {os.strerror(ctypes.get_errno())}")


def main():
    app_name, port_file, requests = sys.argv[1], sys.argv[2], int(sys.argv[3])
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    module = importlib.import_module(app_name)
    if hasattr(module, "setup"):
        module.setup()
    server_class = ThreadingWSGIServer if getattr(module, "threaded", False) else WSGIServer
    if os.environ.get("WSGID_FILTER_FILE"):
        load_filter(os.environ["WSGID_FILTER_FILE"])
    server = make_server("127.0.0.1", 0, module.application, server_class=server_class,
                         handler_class=QuietHandler)
    # Publish the port atomically so the client never reads a half-written file.
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_port))
    os.rename(tmp, port_file)
    for _ in range(requests):
        server.handle_request()
    server.server_close()


if __name__ == "__main__":
    main()
