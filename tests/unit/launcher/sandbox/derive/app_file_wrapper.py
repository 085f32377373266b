import os
import tempfile

_path = None


def setup():
    global _path
    fd, _path = tempfile.mkstemp(prefix="wsgid-fw-")
    os.write(fd, os.urandom(256 * 1024))
    os.close(fd)


def application(environ, start_response):
    f = open(_path, "rb")
    size = os.fstat(f.fileno()).st_size
    start_response("200 OK", [("Content-Type", "application/octet-stream"),
                              ("Content-Length", str(size))])
    return environ["wsgi.file_wrapper"](f, 64 * 1024)
