# Reads the whole request body in pieces and answers with its length and sha256, so a test can
# check that a large upload arrived intact without the app holding it in memory.
import hashlib


def application(environ, start_response):
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
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
