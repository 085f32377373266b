# An app for the observability tests: status codes on demand, a slow path, and log lines from
# inside a request (print, wsgi.errors and logging at two levels).
import logging
import os
import time

log = logging.getLogger("observed")


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path == "/fail":
        start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
        return [b"failed on purpose"]
    if path == "/slow":
        time.sleep(float(environ.get("QUERY_STRING") or "2"))
    if path == "/log":
        rid = environ.get("mod_wsgi.request_id", "")
        print("print-line rid=%s" % rid)
        environ["wsgi.errors"].write("errors-line rid=%s\n" % rid)
        log.info("info-line rid=%s", rid)
        log.error("error-line rid=%s", rid)
    body = b"pid %d" % os.getpid()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
