# An app wrapped in wsgiref.validate.validator. WSGIWarning is turned into an exception, so any
# conformance problem either fails the request (500) or lands in the error log, and the test
# checks both.
import os
import warnings
from wsgiref.validate import WSGIWarning, validator

warnings.simplefilter("error", WSGIWarning)

HERE = os.path.dirname(os.path.abspath(__file__))
PAYLOAD = os.path.join(HERE, "payload.bin")


def _plain(start_response, body, status="200 OK"):
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def _app(environ, start_response):
    path = environ.get("PATH_INFO", "")
    method = environ["REQUEST_METHOD"]
    if path == "/echo" and method == "POST":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        stream = environ["wsgi.input"]
        parts = []
        while length > 0:
            chunk = stream.read(min(length, 65536))
            if not chunk:
                break
            parts.append(chunk)
            length -= len(chunk)
        return _plain(start_response, b"".join(parts))
    if path == "/lines" and method == "POST":
        stream = environ["wsgi.input"]
        first = stream.readline()
        rest = list(stream)
        return _plain(start_response, b"%d|%s|%d" % (len(first), first.strip(), len(rest)))
    if path == "/stream":
        start_response("200 OK", [("Content-Type", "text/plain")])

        def generate():
            for i in range(50):
                yield b"line %d\n" % i
        return generate()
    if path == "/write":
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"written-")
        return [b"returned"]
    if path == "/file":
        size = os.path.getsize(PAYLOAD)
        start_response("200 OK", [("Content-Type", "application/octet-stream"),
                                  ("Content-Length", str(size))])
        return environ["wsgi.file_wrapper"](open(PAYLOAD, "rb"), 8192)
    if path == "/":
        return _plain(start_response, b"validated hello\n")
    return _plain(start_response, b"not found\n", "404 Not Found")


application = validator(_app)
# Unwrapped, so the server sees its own wsgi.file_wrapper object (its fast path); mounted with
# callable-object=raw_application.
raw_application = _app
