# Records every request it runs as a file named after the request's id, so a test can tell
# that no request ran twice (a worker resending one the application had already started).
import os
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
SCRATCH = os.path.join(os.path.dirname(HERE), "scratch")


def application(environ, start_response):
    query = dict(p.split("=", 1) for p in environ.get("QUERY_STRING", "").split("&") if "=" in p)
    body = environ["wsgi.input"].read()
    rid = query.get("id", "")
    if rid:
        with open(os.path.join(SCRATCH, "ran-%s-%s" % (rid, uuid.uuid4().hex)), "w"):
            pass
    if "sleep" in query:
        time.sleep(int(query["sleep"]) / 1000.0)
    out = b"%s %d %d" % (rid.encode(), len(body), os.getpid())
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(out)))])
    return [out]
