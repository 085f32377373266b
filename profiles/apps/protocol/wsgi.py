"""Tells the client how its request arrived (protocol, scheme), echoes the digest of an upload
and streams a response in pieces: what HTTPS and HTTP/2 must carry unchanged."""

import hashlib
import json


def application(environ, start_response):
    if environ["REQUEST_METHOD"] == "POST":
        digest = hashlib.sha256()
        total = 0
        while True:
            chunk = environ["wsgi.input"].read(256 * 1024)
            if not chunk:
                break
            digest.update(chunk)
            total += len(chunk)
        body = ("%d %s\n" % (total, digest.hexdigest())).encode()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [body]
    if environ.get("PATH_INFO") == "/stream":
        # No Content-Length: chunked over HTTP/1.1, DATA frames over HTTP/2.
        start_response("200 OK", [("Content-Type", "text/plain")])
        return (("piece %d\n" % i).encode() * 1000 for i in range(64))
    body = json.dumps({
        "protocol": environ.get("SERVER_PROTOCOL"),
        "scheme": environ["wsgi.url_scheme"],
        "https": environ.get("HTTPS"),
        "host": environ.get("HTTP_HOST"),
    }).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]
