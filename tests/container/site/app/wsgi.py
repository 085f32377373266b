"""Test app for the container tests: identifies itself, and /slow takes SLOW_SECONDS."""

import os
import time

SLOW_SECONDS = 3.0


def application(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    if path == "/slow":
        # The marker tells the test the request is in flight before it stops the container.
        environ["wsgi.errors"].write("wsgid-ci: slow request started\n")
        environ["wsgi.errors"].flush()
        time.sleep(SLOW_SECONDS)
        body = b"slow request finished\n"
    elif path == "/whoami":
        body = ("uid=%d gid=%d\n" % (os.getuid(), os.getgid())).encode()
    else:
        body = b"own app served\n"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
