# Reads the request body the way the query string says and answers with what it got (byte
# count, sha256, and any broken promise of wsgi.input it noticed), so a test can check that a
# body crossed httpd, the worker and the daemon intact whatever its size, framing and the way
# the application reads it.
#
#   how=read&n=N      read(N) until b''; every read but the last must return exactly N bytes
#   how=read          read() with no argument
#   how=readline      readline() until b''; readline&n=N: readline(N)
#   how=iter          for line in wsgi.input
#   how=readlines     readlines()
#   how=none          answer at once, reading nothing
#   how=part&n=N      read(N) once, then answer
#   how=record&tag=T  read(64 KiB) until b'' or an error, then write what was seen
#                     ("<bytes> eof" or "<bytes> <exception>") to scratch/seen-T
#   id=X              create scratch/ran-X-<uuid> first: a request run twice leaves two files
#   hold=H            after reading, create scratch/holding-H and wait (20 s at most) until the
#                     test creates scratch/release-H: keeps a daemon thread busy on cue
import hashlib
import json
import os
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
SCRATCH = os.path.join(os.path.dirname(HERE), "scratch")


def read_sized(stream, n, digest, problems):
    total, short_seen = 0, False
    while True:
        chunk = stream.read(n)
        if not chunk:
            break
        if len(chunk) > n:
            problems.append("read(%d) returned %d bytes" % (n, len(chunk)))
        if short_seen:
            problems.append("read(%d) returned more data after a short read" % n)
        short_seen = len(chunk) < n
        digest.update(chunk)
        total += len(chunk)
    return total


def read_lines(lines, limit, digest, problems):
    total, ended = 0, False
    for line in lines:
        if not line:
            break
        if ended:
            problems.append("a line after one that did not end in a newline")
        if b"\n" in line[:-1]:
            problems.append("a newline inside a line")
        if limit is not None and len(line) > limit:
            problems.append("readline(%d) returned %d bytes" % (limit, len(line)))
        # Only readline(n) may stop short of a newline before the end of the body.
        ended = not line.endswith(b"\n") and (limit is None or len(line) < limit)
        digest.update(line)
        total += len(line)
    return total


def readline_calls(stream, limit):
    while True:
        line = stream.readline() if limit is None else stream.readline(limit)
        yield line
        if not line:
            return


def record(stream, tag):
    total = 0
    try:
        while True:
            chunk = stream.read(65536)
            if not chunk:
                seen = "%d eof" % total
                break
            total += len(chunk)
    except Exception as e:  # noqa: BLE001 - what the application sees is the point
        seen = "%d %s: %s" % (total, type(e).__name__, e)
    # Written under another name and renamed, so a test never reads half of it.
    path = os.path.join(SCRATCH, "seen-" + tag)
    with open(path + ".tmp", "w") as f:
        f.write(seen)
    os.rename(path + ".tmp", path)
    return total


def application(environ, start_response):
    query = dict(p.split("=", 1) for p in environ.get("QUERY_STRING", "").split("&") if "=" in p)
    if "id" in query:
        with open(os.path.join(SCRATCH, "ran-%s-%s" % (query["id"], uuid.uuid4().hex)), "w"):
            pass
    stream = environ["wsgi.input"]
    how = query.get("how", "read")
    n = int(query["n"]) if "n" in query else None
    digest, problems = hashlib.sha256(), []
    if how == "read" and n is not None:
        total = read_sized(stream, n, digest, problems)
    elif how == "read":
        data = stream.read()
        digest.update(data)
        total = len(data)
    elif how == "readline":
        total = read_lines(readline_calls(stream, n), n, digest, problems)
    elif how == "iter":
        total = read_lines(stream, None, digest, problems)
    elif how == "readlines":
        total = read_lines(stream.readlines(), None, digest, problems)
    elif how == "none":
        total = 0
    elif how == "part":
        data = stream.read(n)
        digest.update(data)
        total = len(data)
    elif how == "record":
        total = record(stream, query["tag"])
    else:
        raise ValueError("unknown how=%r" % how)
    if "hold" in query:
        open(os.path.join(SCRATCH, "holding-" + query["hold"]), "w").close()
        release = os.path.join(SCRATCH, "release-" + query["hold"])
        deadline = time.monotonic() + 20
        while not os.path.exists(release) and time.monotonic() < deadline:
            time.sleep(0.01)
    if how in ("read", "readline", "iter", "readlines") and stream.read(1) != b"":
        problems.append("read(1) after the end of the body returned data")
    body = json.dumps({"bytes": total, "sha256": digest.hexdigest(), "problems": problems,
                       "pid": os.getpid(), "id": query.get("id")}).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]
