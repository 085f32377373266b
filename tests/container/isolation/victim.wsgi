# Site B's app in tests/container/test_isolation.sh: the victim. It holds a secret in its env
# (SECRET, from the profile), a file beside it (secret.txt) and an abstract UNIX socket it
# listens on; it answers for itself, so the test sees B unharmed after A's attacks:
#   GET /pid       this daemon's pid          GET /secret   its env value and its file
#   GET /abstract  connects to its own abstract socket (what A must not be able to do)
import os
import socket

ABSTRACT = "wsgid-ci-victim-b"
_listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
_listener.bind("\0" + ABSTRACT)
_listener.listen(16)


def answer(route):
    if route == "/secret":
        with open(os.path.join(os.path.dirname(__file__), "secret.txt")) as f:
            return "%s %s" % (os.environ.get("SECRET"), f.read().strip())
    if route == "/abstract":
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect("\0" + ABSTRACT)
        return "connected"
    return str(os.getpid())


def application(environ, start_response):
    body = answer(environ.get("PATH_INFO", "/")).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
