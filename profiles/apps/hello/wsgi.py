"""The smallest WSGI app: proves a site is served end to end."""


def application(environ, start_response):
    body = b"Hello from wsgid\n"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
