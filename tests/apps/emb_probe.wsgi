# Embedded-mode probe, wrapped in wsgiref.validate.validator (WSGIWarning raised as an error):
# GET /info reports where the app runs; POST /sha256 streams the body through sha256.
import hashlib
import json
import os
import warnings
from wsgiref.validate import WSGIWarning, validator

warnings.simplefilter("error", WSGIWarning)


def _plain(start_response, body, content_type="text/plain"):
    start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def _app(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path == "/sha256" and environ["REQUEST_METHOD"] == "POST":
        digest = hashlib.sha256()
        length = int(environ.get("CONTENT_LENGTH") or 0)
        stream = environ["wsgi.input"]
        while length > 0:
            chunk = stream.read(min(length, 65536))
            if not chunk:
                break
            digest.update(chunk)
            length -= len(chunk)
        return _plain(start_response, digest.hexdigest().encode())
    if path == "/info":
        info = {
            "pid": os.getpid(),
            "ppid": os.getppid(),
            "process_group": environ.get("mod_wsgi.process_group"),
            "multithread": environ["wsgi.multithread"],
            "multiprocess": environ["wsgi.multiprocess"],
            "run_once": environ["wsgi.run_once"],
        }
        return _plain(start_response, json.dumps(info).encode(), "application/json")
    return _plain(start_response, b"embedded hello\n")


application = validator(_app)
