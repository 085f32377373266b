def application(environ, start_response):
    body = b"hello\n"
    if environ["REQUEST_METHOD"] == "POST":
        body += environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
