# /close closes every descriptor below 20, as a careless "daemonise" helper does, then answers
# (the answer cannot arrive: its connection is among them); anything else says which pid served.
import os


def application(environ, start_response):
    if environ.get("PATH_INFO") == "/close":
        os.closerange(0, 20)
    body = b"pid %d\n" % os.getpid()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
