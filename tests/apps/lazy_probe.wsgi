# WSGILazyInitialization probe: GET / reports where the app runs and hash() of a fixed string.
# With hash randomisation each Python start picks its own seed, so processes that inherited one
# interpreter from the httpd parent agree on the hash and processes that started their own
# almost surely do not.
import json
import os
import sys

FIXED = "wsgid lazy-initialization probe"


def application(environ, start_response):
    body = json.dumps({
        "pid": os.getpid(),
        "ppid": os.getppid(),
        "hash": hash(FIXED),
        "process_group": environ.get("mod_wsgi.process_group"),
        "sys_path": sys.path,
    }).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]
