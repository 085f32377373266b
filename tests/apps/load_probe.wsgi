# For load tests that kill daemons: notes every request the application starts (its id from the
# query string and the process serving it) in scratch/started.log, so a test can tell a request
# the application ran from one it never saw. `ms` sleeps that long, to keep threads busy.
import os
import time
from urllib.parse import parse_qs

HERE = os.path.dirname(os.path.abspath(__file__))
LOG = os.path.join(os.path.dirname(HERE), "scratch", "started.log")


def application(environ, start_response):
    query = parse_qs(environ.get("QUERY_STRING", ""))
    request_id = query.get("id", ["-"])[0]
    fd = os.open(LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, b"%s %d\n" % (request_id.encode(), os.getpid()))  # one write: atomic
    finally:
        os.close(fd)
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length and len(environ["wsgi.input"].read(length)) != length:
        raise RuntimeError("short request body")
    time.sleep(float(query.get("ms", ["0"])[0]) / 1000)
    body = b"%d\n" % os.getpid()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
