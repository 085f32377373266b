# Reports what the server told the app about its process model, plus a thread-local counter
# that only grows if the same thread-local storage survives from one request to the next.
import json
import os
import sys
import threading

_local = threading.local()


def application(environ, start_response):
    if environ.get("PATH_INFO") == "/print":
        print("print-stdout-%s" % environ.get("QUERY_STRING", ""))
        sys.stdout.flush()
    _local.count = getattr(_local, "count", 0) + 1
    info = {
        "version": list(environ["wsgi.version"]),
        "multithread": environ["wsgi.multithread"],
        "multiprocess": environ["wsgi.multiprocess"],
        "run_once": environ["wsgi.run_once"],
        "pid": os.getpid(),
        "thread": threading.get_ident(),
        "local_count": _local.count,
        "script_name": environ.get("SCRIPT_NAME"),
        "path_info": environ.get("PATH_INFO"),
        "query_string": environ.get("QUERY_STRING"),
        "mod_wsgi": {k: v for k, v in environ.items()
                     if k.startswith("mod_wsgi.") and isinstance(v, str)},
        "has_PATH": "PATH" in environ,
        "path_translated": environ.get("PATH_TRANSLATED"),
        "document_root": environ.get("DOCUMENT_ROOT"),
    }
    body = json.dumps(info).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
