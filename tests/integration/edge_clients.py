"""Clients for the edge tests: requests from a chosen loopback source address (a proxy or a
stranger), and curl, which decodes brotli (Debian's Python has no brotli module)."""

from __future__ import annotations

import http.client
import subprocess

import httpd_harness as hh


def request(port: int, path: str, source: str = "127.0.0.1", headers: dict | None = None,
            host: str = "localhost", timeout: float = 30.0) -> hh.Response:
    """GET from `source` (any 127.0.0.0/8 address is this host's loopback)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout,
                                      source_address=(source, 0))
    try:
        conn.request("GET", path, headers={"Host": host, **(headers or {})})
        resp = conn.getresponse()
        return hh.Response(resp.status, dict(resp.getheaders()), resp.read())
    finally:
        conn.close()


def curl(port: int, path: str, *args: str, host: str = "localhost") -> tuple[str, bytes]:
    """curl's response head (lower-cased) and its body, as curl decoded it."""
    out = subprocess.run(
        ["curl", "-sS", "--max-time", "20", "-D", "-", "-H", f"Host: {host}", *args,
         f"http://127.0.0.1:{port}{path}"], capture_output=True, check=True, timeout=30)
    head, _, body = out.stdout.partition(b"\r\n\r\n")
    return head.decode("latin-1").lower(), body
