# 1 MiB each way, allocated per request as a real app's would be: POST reads the body in
# 256 KiB pieces and answers with its sha256; GET answers 1 MiB built for this request;
# ?small answers a few bytes.
import hashlib

MIB = 1024 * 1024


def application(environ, start_response):
    if environ["REQUEST_METHOD"] == "POST":
        stream = environ["wsgi.input"]
        digest = hashlib.sha256()
        while True:
            chunk = stream.read(256 * 1024)
            if not chunk:
                break
            digest.update(chunk)
        body = digest.hexdigest().encode()
    elif environ.get("QUERY_STRING") == "small":
        body = b"small"
    else:
        body = bytes(MIB)
    start_response("200 OK", [("Content-Type", "application/octet-stream"),
                              ("Content-Length", str(len(body)))])
    return [body]
