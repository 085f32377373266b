# The one WSGI application every server in the benchmark runs, so that differences in the
# numbers come from the servers, not from the apps. Routes are looked up in a dict so the
# dispatch costs the same tiny amount everywhere.
#
# bench.py copies this file into its run directory and writes the 10 MiB file that /file
# serves into data/ beside it, so every server finds it without an environment variable.
import hashlib
import os
import time

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
BIG_FILE = os.path.join(DATA_DIR, "10m.bin")

HELLO = b"Hello world"  # 11 bytes
ONE_MIB = b"x" * (1024 * 1024)
TEXT = "text/plain"


def hello(environ, start_response):
    start_response("200 OK", [("Content-Type", TEXT), ("Content-Length", "11")])
    return [HELLO]


def one_mib(environ, start_response):
    start_response("200 OK", [("Content-Type", TEXT), ("Content-Length", str(len(ONE_MIB)))])
    return [ONE_MIB]


def echo_sha256(environ, start_response):
    # Reads the body in pieces, as a real upload handler would, and answers with its digest.
    stream = environ["wsgi.input"]
    remaining = int(environ.get("CONTENT_LENGTH") or 0)
    digest = hashlib.sha256()
    total = 0
    while remaining > 0:
        chunk = stream.read(min(remaining, 256 * 1024))
        if not chunk:
            break
        digest.update(chunk)
        total += len(chunk)
        remaining -= len(chunk)
    body = ("%d %s\n" % (total, digest.hexdigest())).encode()
    start_response("200 OK", [("Content-Type", TEXT), ("Content-Length", str(len(body)))])
    return [body]


def big_file(environ, start_response):
    f = open(BIG_FILE, "rb")
    size = os.fstat(f.fileno()).st_size
    start_response("200 OK", [("Content-Type", "application/octet-stream"),
                              ("Content-Length", str(size))])
    wrapper = environ.get("wsgi.file_wrapper")
    if wrapper is not None:
        return wrapper(f, 256 * 1024)
    return iter(lambda: f.read(256 * 1024), b"")


def sleep_10ms(environ, start_response):
    time.sleep(0.010)
    return hello(environ, start_response)


def stream(environ, start_response):
    # A first small chunk at once, then the rest later: a server that buffers the response
    # shows a time-to-first-byte near STREAM_PAUSE instead of near zero.
    start_response("200 OK", [("Content-Type", TEXT)])
    yield b"first\n"
    time.sleep(0.100)
    for _ in range(4):
        yield b"more\n"


ROUTES = {
    "/hello": hello,
    "/1m": one_mib,
    "/echo": echo_sha256,
    "/file": big_file,
    "/sleep": sleep_10ms,
    "/stream": stream,
}


def application(environ, start_response):
    route = ROUTES.get(environ.get("PATH_INFO", ""))
    if route is None:
        start_response("404 Not Found", [("Content-Type", TEXT), ("Content-Length", "10")])
        return [b"not found\n"]
    return route(environ, start_response)
