"""Serve one WSGI app through wsgiref on 127.0.0.1 for a bounded number of requests.

Run under strace by derive_default_syscalls.sh to learn which syscalls a CPython WSGI daemon
needs. Usage: serve.py APP PORT_FILE REQUESTS. APP names a module in this folder that defines
`application` (and optionally `setup()` and `threaded = True`).
"""
import importlib
import os
import socketserver
import sys
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):  # keep strace output about the app, not about logging
        pass


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = False  # server_close() joins the request threads


def main():
    app_name, port_file, requests = sys.argv[1], sys.argv[2], int(sys.argv[3])
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    module = importlib.import_module(app_name)
    if hasattr(module, "setup"):
        module.setup()
    server_class = ThreadingWSGIServer if getattr(module, "threaded", False) else WSGIServer
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
