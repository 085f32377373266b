"""Says who the site's check_password let in (REMOTE_USER)."""


def application(environ, start_response):
    body = f"hello {environ.get('REMOTE_USER')}\n".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
