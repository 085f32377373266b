# Reports how sys.stdout, sys.stderr and wsgi.errors look to an app, and writes a marker line to
# each through its text and its binary (.buffer) side, so a test can find them in the error log.
import io
import json
import sys


def describe(name, stream, mark):
    out = {}
    for attr in ("encoding", "errors", "closed"):
        out[attr] = repr(getattr(stream, attr, "<missing>"))
    out["isatty"] = stream.isatty()
    out["writable"] = stream.writable()
    out["readable"] = stream.readable()
    out["seekable"] = stream.seekable()
    try:
        out["fileno"] = stream.fileno()
    except (OSError, ValueError) as e:  # io.UnsupportedOperation is both
        out["fileno"] = type(e).__name__
    out["textiobase"] = isinstance(stream, io.TextIOBase)
    stream.write(f"{mark} text\n")
    stream.writelines([f"{mark} ", "lines\n"])
    stream.flush()
    buf = stream.buffer
    out["buffer_bufferediobase"] = isinstance(buf, io.BufferedIOBase)
    out["buffer_write"] = buf.write(f"{mark} bytes \u00e9\n".encode("utf-8"))
    buf.write(f"{mark} view\n".encode())
    buf.flush()
    try:
        buf.write(f"{mark} str\n")
        out["buffer_takes_str"] = True
    except TypeError:
        out["buffer_takes_str"] = False
    return out


def application(environ, start_response):
    mark = environ.get("QUERY_STRING", "m")
    result = {
        "stdout": describe("stdout", sys.stdout, mark + "-out"),
        "stderr": describe("stderr", sys.stderr, mark + "-err"),
        "errors": describe("errors", environ["wsgi.errors"], mark + "-wsgi"),
    }
    body = json.dumps(result).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]
