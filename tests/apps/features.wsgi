"""One app for the mod_wsgi feature tests (chunked bodies, error override, internal redirect,
HEAD mapping): the path picks the behaviour."""
import hashlib


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path == "/echo":
        body = environ["wsgi.input"].read()
        out = f"{len(body)} {hashlib.sha256(body).hexdigest()}".encode()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [out]
    if path == "/missing":
        start_response("404 Not Found", [("Content-Type", "text/plain"), ("X-App", "yes")])
        return [b"the application's own 404 body"]
    if path == "/redirect":
        start_response("200 OK", [("Location", "/static/file.txt")])
        return []
    if path == "/redirect-with-body":
        start_response("200 OK", [("Location", "/static/file.txt"), ("Content-Type", "text/plain")])
        return [b"a body means no internal redirect"]
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("X-Method", environ["REQUEST_METHOD"])])
    return [b"method " + environ["REQUEST_METHOD"].encode()]
