"""Tries, from inside a site's app, what another site's app must not be able to do.

GET /read?path=P    open and read P          GET /list?path=P   list directory P
GET /write?path=P   create and write file P  GET /kill?pid=N&sig=S  os.kill(N, S)
GET /pid            this daemon's pid        GET /env?name=N    os.environ.get(N)
GET /tempfile       write a temporary file; its directory
GET /connect?abstract=N  connect to the abstract UNIX socket "@N"
Each answers "ok" (with what was read) or "err:<ExceptionName>:<errno>".
"""
import os
import socket
import tempfile
from urllib.parse import parse_qs


def attempt(action):
    try:
        return "ok:" + str(action())
    except OSError as e:
        return f"err:{type(e).__name__}:{e.errno}"


def read(path):
    with open(path, "rb") as f:
        return len(f.read())


def write(path):
    with open(path, "w") as f:
        f.write("written")
    return path


def temporary_file():
    fd, path = tempfile.mkstemp()
    os.close(fd)
    os.unlink(path)
    return os.path.dirname(path)


def connect_abstract(name):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect("\0" + name)
    return name


def application(environ, start_response):
    q = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    route = environ.get("PATH_INFO", "/")
    if route == "/read":
        body = attempt(lambda: read(q["path"]))
    elif route == "/list":
        body = attempt(lambda: len(os.listdir(q["path"])))
    elif route == "/write":
        body = attempt(lambda: write(q["path"]))
    elif route == "/kill":
        body = attempt(lambda: os.kill(int(q["pid"]), int(q["sig"])))
    elif route == "/tempfile":
        body = attempt(temporary_file)
    elif route == "/connect":
        body = attempt(lambda: connect_abstract(q["abstract"]))
    elif route == "/env":
        body = "ok:" + str(os.environ.get(q["name"]))
    else:
        body = "ok:" + str(os.getpid())
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body.encode()]
