# Writes a caller-chosen token to stderr two ways (Python's sys.stderr and the raw fd 2, as a C
# extension would) and reports the process's open file descriptors.
import json
import os
import sys


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    token = environ.get("QUERY_STRING", "")
    if path == "/stderr":
        sys.stderr.write("py-stderr-%s\n" % token)
        sys.stderr.flush()
        os.write(2, ("fd2-stderr-%s\n" % token).encode())
        body = b"written"
    elif path == "/print":
        print("print-stdout-%s" % token)
        sys.stdout.flush()
        body = b"printed"
    elif path == "/fds":
        fds = {}
        for entry in os.listdir("/proc/self/fd"):
            try:
                fds[entry] = os.readlink("/proc/self/fd/" + entry)
            except OSError:
                pass
        body = json.dumps({"pid": os.getpid(), "fds": fds}).encode()
    else:
        body = b"stderr/fds app"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
