"""What the edge features act on: text and binary bodies, a tiny one, a streamed one, a
file_wrapper response, and the request as the app sees it (client address and scheme)."""

import json
import os
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PAGE = ("<p>" + "All work and no play makes a compressible page. " * 40 + "</p>\n").encode()
NOISE = os.urandom(4096)  # a PNG's body is compressed already: as good as random


def respond(start_response, body, content_type, extra=()):
    start_response("200 OK", [("Content-Type", content_type),
                              ("Content-Length", str(len(body))), *extra])
    return [body]


def stream(environ, start_response):
    """Sends a first part, then waits (at most 20 s) for the file named in ?go= to exist
    before the last: a client that sees the first part before creating it proves the
    response was not held back."""
    go = environ.get("QUERY_STRING", "").partition("go=")[2]
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    yield b"first part " * 200 + b"\n"
    deadline = time.monotonic() + 20
    while go and not os.path.exists(go) and time.monotonic() < deadline:
        time.sleep(0.02)
    yield b"last part\n"


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path == "/page":
        return respond(start_response, PAGE, "text/html; charset=utf-8",
                       [("ETag", '"page-v1"')])
    if path == "/tiny":
        return respond(start_response, b"tiny\n", "text/plain")
    if path == "/image":
        return respond(start_response, NOISE * 4, "image/png")
    if path == "/stream":
        return stream(environ, start_response)
    if path == "/file":
        handle = open(os.path.join(HERE, "static", "site.css"), "rb")
        start_response("200 OK", [("Content-Type", "text/css")])
        return environ["wsgi.file_wrapper"](handle)
    keys = ("REMOTE_ADDR", "HTTPS", "wsgi.url_scheme", "HTTP_X_FORWARDED_FOR",
            "HTTP_X_FORWARDED_PROTO", "HTTP_IF_NONE_MATCH")
    seen = {key: environ.get(key) for key in keys}
    return respond(start_response, json.dumps(seen).encode(), "application/json")
