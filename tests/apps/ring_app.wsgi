# Responses that exercise the daemon's response ring (docs/architecture.md, "Response bodies
# through the ring"), and an application that attacks it from inside the daemon.
#
#   /small                 100 bytes: never large enough for the ring
#   /big?size=N            one bytes object of N bytes, X-Body-Sha256
#   /stream?n=K&size=N     a generator of K chunks of N bytes (no Content-Length), X-Body-Sha256
#   /stall?n=K&size=N      K chunks, then blocks for a minute before the rest (a daemon to kill)
#   /scribble?n=K&size=N   K chunks; after the first, every memfd of this process is truncated,
#                          grown, punched and overwritten with garbage, what each attempt did
#                          kept for /scribble-report
#   /scribble-report       one line per attempt: "fd call result"
import ctypes
import hashlib
import os
import time
from urllib.parse import parse_qs

_report = []
_libc = ctypes.CDLL(None, use_errno=True)
FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE = 1, 2


def chunk(index, size):
    return bytes([(index * 7 + 1) % 251]) * (size // 2) + bytes([(index * 13 + 5) % 253]) * (
        size - size // 2)


def digest(n, size):
    h = hashlib.sha256()
    for i in range(n):
        h.update(chunk(i, size))
    return h.hexdigest()


def attempt(fd, what, call):
    try:
        call()
        _report.append(f"{fd} {what} ok")
    except OSError as e:
        _report.append(f"{fd} {what} {e.errno}")


def scribble():
    for entry in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{entry}")
        except OSError:
            continue
        if not target.startswith("/memfd:"):
            continue
        fd = int(entry)
        size = os.fstat(fd).st_size
        attempt(fd, "shrink", lambda: os.ftruncate(fd, 0))
        attempt(fd, "grow", lambda: os.ftruncate(fd, size * 2))

        def punch():
            if _libc.fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, ctypes.c_long(0),
                               ctypes.c_long(size)) != 0:
                raise OSError(ctypes.get_errno(), "fallocate")
        attempt(fd, "punch", punch)
        attempt(fd, "write", lambda: os.pwrite(fd, os.urandom(size), 0))


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    q = {k: int(v[0]) for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    n, size = q.get("n", 1), q.get("size", 1024 * 1024)
    headers = [("Content-Type", "application/octet-stream")]
    if path == "/small":
        start_response("200 OK", headers)
        return [b"s" * 100]
    if path == "/scribble-report":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return ["\n".join(_report).encode()]
    if path == "/big":
        body = chunk(0, size)
        headers += [("Content-Length", str(size)),
                    ("X-Body-Sha256", hashlib.sha256(body).hexdigest())]
        start_response("200 OK", headers)
        return [body]
    headers.append(("X-Body-Sha256", digest(n, size)))
    start_response("200 OK", headers)

    def body():
        for i in range(n):
            yield chunk(i, size)
            if path == "/stall" and i == n - 1:
                time.sleep(60)
                yield b"never"
            if path == "/scribble" and i == 0:
                scribble()
    return body()
