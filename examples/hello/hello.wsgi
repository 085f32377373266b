# The example site of the README's quick start.
import os
import sys


def application(environ, start_response):
    body = (
        "Hello from wsgid!\n"
        f"daemon pid {os.getpid()}, Python {sys.version.split()[0]}, "
        f"process group {environ.get('mod_wsgi.process_group')!r}\n"
    ).encode()
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"),
                              ("Content-Length", str(len(body)))])
    return [body]
