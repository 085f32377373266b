# Answers with the VERSION the profile's env gave the daemon, slowly enough to overlap a reload.
# /settings: that, the process id and how many threads the process runs (the daemon's request
# threads plus a fixed few of its own), as JSON.
import json
import os
import time


def application(environ, start_response):
    time.sleep(0.01)
    if environ.get("PATH_INFO") == "/settings":
        body = json.dumps({"version": os.environ.get("VERSION", "?"), "pid": os.getpid(),
                           "tasks": len(os.listdir("/proc/self/task"))}).encode()
    else:
        body = ("version=%s" % os.environ.get("VERSION", "?")).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
