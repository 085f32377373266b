# Large bodies that httpd throws away: a 404 under WSGIErrorOverride (the ErrorDocument is
# sent instead) and a 200 with a local Location (served by an internal redirect instead).
PIECE = b"d" * 100_000


def application(environ, start_response):
    if environ.get("PATH_INFO") == "/redirect":
        start_response("200 OK", [("Location", "/static/file.txt"), ("Content-Type", "text/plain")])
    else:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [PIECE, PIECE, PIECE]
