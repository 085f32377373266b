# Answers with the VERSION the profile's env gave the daemon, slowly enough to overlap a reload.
import os
import time


def application(environ, start_response):
    time.sleep(0.01)
    body = ("version=%s" % os.environ.get("VERSION", "?")).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
