# An embedded app preloaded at worker start (WSGIScriptAlias with process-group=%{GLOBAL} and a
# literal application group): leaves scratch/app-loaded-PID when its module is executed.
import os

_scratch = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scratch")
with open(os.path.join(_scratch, "app-loaded-%d" % os.getpid()), "a") as f:
    f.write("loaded\n")


def application(environ, start_response):
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
