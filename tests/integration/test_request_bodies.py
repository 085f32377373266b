"""Request bodies from client to application: every size around the worker's buffer and
replay boundaries, Content-Length and chunked framing, every way an app reads wsgi.input,
keep-alive clients sending one body after another, concurrency, Expect: 100-continue,
LimitRequestBody, apps that answer before reading, clients that vanish or dawdle mid-body, and
daemons recycling with bodies in flight. Each body is checked end to end by the sha256 the app
computes (tests/apps/body_probe.wsgi). They pin down behaviour, not mechanism, so they guard
any rewrite of how the worker moves a body to the daemon."""

import collections
import hashlib
import json
import random
import re
import socket
import threading
import time
import uuid
from dataclasses import dataclass

import pytest

import httpd_harness as hh

KIB = 1024
MIB = 1024 * 1024
REPLAY_LIMIT = 256 * KIB  # daemon_exchange.cpp kReplayLimit: larger bodies never use a pooled connection

# Around the 8 KiB reads of httpd's input filters, 64 KiB socket reads, the worker's 256 KiB
# body frames (also the replay limit), and well past them.
SIZES = [0, 1, 8000, 8001, 64 * KIB - 1, 64 * KIB, 64 * KIB + 1, REPLAY_LIMIT - 1, REPLAY_LIMIT,
         REPLAY_LIMIT + 1, MIB + 7, 5 * MIB]

# MaxKeepAliveRequests 0: a client may send any number of bodies on one connection, and a
# connection that ends is the server's doing, never httpd's default limit of 100.
CONF = """
LogLevel info
MaxKeepAliveRequests 0
WSGIRestrictEmbedded On
WSGIChunkedRequest On
WSGIDaemonProcess b processes=2 threads=4 display-name=%{GROUP}
WSGIScriptAlias /b @APPS@/body_probe.wsgi process-group=b application-group=%{GLOBAL}
WSGIScriptAlias /limited @APPS@/body_probe.wsgi process-group=b application-group=%{GLOBAL}
<Location /limited>
  LimitRequestBody 100000
</Location>
"""


@pytest.fixture
def server(httpd_factory, flavour):
    server = httpd_factory(CONF, flavour)
    server.wait_ok("/b/")
    return server


def make_body(size: int, seed, newlines: bool = True) -> bytes:
    """Reproducible bytes that are no repetition of a short pattern (a dropped, doubled or
    reordered block changes the digest); about one byte in 256 is a newline unless told not."""
    data = random.Random(f"{seed}-{size}").randbytes(size)
    return data if newlines else data.replace(b"\n", b"N")


def chunk_body(body: bytes, sizes, extensions: bool = False, trailer: bool = False) -> bytes:
    """`body` in HTTP/1.1 chunked framing, chunk lengths taken from `sizes` in turn; with
    `extensions`, some chunk-size lines carry chunk extensions and upper-case hex."""
    out, pos, sizes = [], 0, iter(sizes)
    exts = [b";name=value", b';q="quoted ; value"', b";flag"]
    n = 0
    while pos < len(body):
        size = min(next(sizes), len(body) - pos)
        line = b"%x" % size
        if extensions and n % 3 == 0:
            line = line.upper() + exts[(n // 3) % len(exts)]
        out.append(line + b"\r\n" + body[pos:pos + size] + b"\r\n")
        pos += size
        n += 1
    out.append(b"0;last=1\r\nX-Trailer: done\r\n\r\n" if trailer else b"0\r\n\r\n")
    return b"".join(out)


def odd_sizes(seed):
    rng = random.Random(seed)
    awkward = [1, 2, 7, 4095, 4096, 4097, 8000, 8001, 65535, 65536, 65537, 100_003, 300_001]
    while True:
        yield rng.choice(awkward)


def ones():
    while True:
        yield 1


@dataclass
class Reply:
    status: int
    headers: dict  # lower-case names
    body: bytes
    closes: bool   # the server ends the connection after this response

    def verdict(self, body: bytes, expect_bytes: int | None = None) -> str | None:
        """None if the app received exactly `body` (or its first `expect_bytes`) and noticed no
        broken wsgi.input promise, else what went wrong."""
        if self.status != 200:
            return f"status {self.status}: {self.body[:200]!r}"
        try:
            seen = json.loads(self.body)
        except ValueError:
            return f"not the app's answer: {self.body[:200]!r}"
        want = body if expect_bytes is None else body[:expect_bytes]
        if seen["bytes"] != len(want) or seen["sha256"] != hashlib.sha256(want).hexdigest():
            return f"the app got {seen['bytes']} bytes, not the {len(want)} sent (or other bytes)"
        if seen["problems"]:
            return "wsgi.input misbehaved: " + "; ".join(seen["problems"][:3])
        return None


class Client:
    """One client connection speaking raw HTTP/1.1 with keep-alive, so a test controls a body's
    framing byte for byte and sees whether the server kept the connection open."""

    def __init__(self, port: int, timeout: float = 30.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.closed = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.sock.close()

    @staticmethod
    def head(method: str, path: str, length: int | None = None, chunked: bool = False,
             extra: str = "") -> bytes:
        lines = [f"{method} {path} HTTP/1.1", "Host: t"]
        if chunked:
            lines.append("Transfer-Encoding: chunked")
        elif length is not None:
            lines.append(f"Content-Length: {length}")
        return ("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode()

    def send(self, data: bytes):
        self.sock.sendall(data)

    def post(self, path: str, body: bytes, framed: bytes | None = None) -> Reply:
        """POST `body` with a Content-Length, or with `framed` (its chunked encoding)."""
        head = self.head("POST", path, None if framed is not None else len(body),
                         chunked=framed is not None)
        self.send(head + (framed if framed is not None else body))
        return self.response()

    def get(self, path: str) -> Reply:
        self.send(self.head("GET", path))
        return self.response()

    def _fill(self) -> bool:
        data = self.sock.recv(256 * KIB)
        if not data:
            self.closed = True
            return False
        self.buf += data
        return True

    def response(self) -> Reply:
        while b"\r\n\r\n" not in self.buf:
            if not self._fill():
                raise ConnectionError(f"connection closed before a response head: {self.buf[:200]!r}")
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        closes = "close" in headers.get("connection", "").lower()
        if status == 100:
            return Reply(status, headers, b"", False)
        if "content-length" in headers:
            length = int(headers["content-length"])
            while len(self.buf) < length:
                if not self._fill():
                    raise ConnectionError(f"connection closed {length - len(self.buf)} bytes "
                                          f"short of a {length}-byte body")
            body, self.buf = self.buf[:length], self.buf[length:]
        else:
            assert "chunked" not in headers.get("transfer-encoding", ""), "not needed here"
            while self._fill():
                pass
            body, self.buf, closes = self.buf, b"", True
        return Reply(status, headers, body, closes)

    def server_closed(self, timeout: float = 5.0) -> bool:
        """Whether the server closes the connection within `timeout` without sending more."""
        self.sock.settimeout(timeout)
        try:
            return not self._fill() or None
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True


# ------------------------------------------------------------------ sizes, framing, read patterns

# (how the app reads, largest body for it): read(1) and friends cost a Python call per few bytes.
READ_PATTERNS = [
    ("how=read", None),
    ("how=read&n=1", 64 * KIB + 1),
    ("how=read&n=7", MIB + 7),
    ("how=read&n=8192", None),
    ("how=read&n=65536", None),
    ("how=read&n=1048576", None),
    ("how=readline", None),
    ("how=readline&n=100", MIB + 7),
    ("how=iter", None),
    ("how=readlines", MIB + 7),
]


def run_cases(port: int, cases) -> list[str]:
    """cases: (label, path, body, framed-or-None). All on keep-alive connections; a failure is
    recorded and the next case starts on a new connection."""
    failures = []
    client = Client(port)
    try:
        for label, path, body, framed in cases:
            try:
                reply = client.post(path, body, framed)
                problem = reply.verdict(body)
                if reply.closes and problem is None:
                    problem = "the server closed the keep-alive connection after a good response"
            except (OSError, ConnectionError, ValueError) as e:
                problem = repr(e)
            if problem:
                failures.append(f"{label}: {problem}")
                client.close()
                client = Client(port)
    finally:
        client.close()
    return failures


def test_content_length_bodies_arrive_exact_whatever_the_size_and_read_pattern(server):
    cases = []
    for size in SIZES:
        body = make_body(size, "cl")
        for query, largest in READ_PATTERNS:
            if largest is None or size <= largest:
                cases.append((f"{size} bytes, {query}", f"/b/?{query}", body, None))
    # One line longer than any buffer: readline and iteration must join it across frames.
    long_line = make_body(MIB + 7, "line", newlines=False)
    for query in ("how=readline", "how=iter", "how=readline&n=300000"):
        cases.append((f"one {len(long_line)}-byte line, {query}", f"/b/?{query}", long_line, None))
    failures = run_cases(server.port, cases)
    assert not failures, f"{len(failures)} of {len(cases)} failed:\n" + "\n".join(failures[:10])


def test_chunked_bodies_arrive_exact_with_odd_chunking(server):
    cases = []
    for size in SIZES:
        body = make_body(size, "chunked")
        shapes = [("one chunk", chunk_body(body, [max(size, 1)])),
                  ("odd chunks with extensions and a trailer",
                   chunk_body(body, odd_sizes(size), extensions=True, trailer=True))]
        if size <= 8001:
            shapes.append(("1-byte chunks", chunk_body(body, ones(), extensions=True)))
        for shape, framed in shapes:
            for query in ("how=read", "how=read&n=8192", "how=readline", "how=iter"):
                cases.append((f"{size} bytes in {shape}, {query}", f"/b/?{query}", body, framed))
    # 64 KiB + 1 one byte at a time: each chunk is a separate read in httpd (and a frame to the
    # daemon today); only once, it costs half a second.
    body = make_body(64 * KIB + 1, "ones")
    cases.append(("65537 bytes in 1-byte chunks, how=read&n=8192", "/b/?how=read&n=8192", body,
                  chunk_body(body, ones())))
    failures = run_cases(server.port, cases)
    assert not failures, f"{len(failures)} of {len(cases)} failed:\n" + "\n".join(failures[:10])
