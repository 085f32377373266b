# The smallest useful app: proves a request reaches Python and comes back.
import os


def application(environ, start_response):
    body = b"Hello from pid %d\n" % os.getpid()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
