# /close closes every descriptor below 20, as a careless "daemonise" helper does, then answers
# (the answer cannot arrive: its connection is among them); /stderr points descriptor 2 (the
# daemon's error log) at /dev/null, as a library silencing output might, which fails no call the
# daemon makes; anything else says which pid served.
import os


def application(environ, start_response):
    if environ.get("PATH_INFO") == "/close":
        os.closerange(0, 20)
    elif environ.get("PATH_INFO") == "/stderr":
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        os.close(null)
    body = b"pid %d\n" % os.getpid()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
