"""Answers which daemon process served the request and the trace it belongs to, so recycling
and tracing can be watched from outside."""

import os


def application(environ, start_response):
    body = b"pid %d\ntraceparent %s\n" % (os.getpid(), environ.get("HTTP_TRACEPARENT", "-").encode())
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
