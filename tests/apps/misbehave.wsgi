# Apps that fail in the ways a daemon can fail: killed half-way through a body, slow, streaming
# a large body to a client that goes away. Query strings carry the parameters.
import os
import signal
import uuid
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SCRATCH = os.path.join(os.path.dirname(HERE), "scratch")


def _die_after_first_chunk(first):
    yield first
    os.kill(os.getpid(), signal.SIGKILL)
    yield b"never sent"


def _stream_until_closed(token, chunks):
    try:
        block = b"x" * 65536
        for _ in range(chunks):
            yield block
    finally:
        # close() reached us (the server must always call it); tell the test through a file,
        # not the error log, whose content the test is checking.
        with open(os.path.join(SCRATCH, "closed-" + token), "w") as f:
            f.write("closed")


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    query = environ.get("QUERY_STRING", "")
    if path == "/die-cl":
        start_response("200 OK", [("Content-Type", "application/octet-stream"),
                                  ("Content-Length", "100000")])
        return _die_after_first_chunk(b"a" * 10000)
    if path == "/die-chunked":
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return _die_after_first_chunk(b"b" * 10000)
    if path == "/slow":
        time.sleep(int(query or "50") / 1000.0)
        body = b"slept %d" % os.getpid()
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]
    if path == "/slow-marked":
        # Leaves a file per arrival so a test can tell that the request is inside the app.
        params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
        with open(os.path.join(SCRATCH, "arrived-%s-%s" % (params["mark"], uuid.uuid4().hex)), "w"):
            pass
        time.sleep(int(params.get("ms", "1000")) / 1000.0)
        body = b"slept %d" % os.getpid()
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]
    if path == "/big-stream":
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return _stream_until_closed(query, 400)
    body = b"%d" % os.getpid()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
