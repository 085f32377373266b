"""Large response bodies go from the daemon to the worker through a shared-memory ring per
connection (docs/architecture.md, "Response bodies through the ring"). The application runs in
the daemon and can reach the ring's memfd: whatever it does to it, the worker must survive and
other requests must be served exactly. A daemon killed mid-body still gives the client a visibly
broken response, a slow client makes the daemon wait for room without deadlock or unbounded
memory, and a daemon that only ever sends small responses never makes a ring.
(test_large_responses.py proves the bytes of every response shape arrive exact.)"""

import hashlib
import os
import re
import signal
import socket
import time
from pathlib import Path

import pytest

import httpd_harness as hh

pytestmark = pytest.mark.wsgid_only("the ring is mod_wsgid's daemon-to-worker path")

MIB = 1024 * 1024
KIB = 1024

CONF = """
LogLevel info
WSGIRestrictEmbedded On
WSGIDaemonProcess ring processes=1 threads=4 socket-timeout=20 display-name=%{GROUP}
WSGIScriptAlias /ring @APPS@/ring_app.wsgi process-group=ring application-group=%{GLOBAL}
"""


def rings_of(pid: int) -> list[str]:
    return [t for t in hh.open_fds(pid).values() if t.startswith("/memfd:wsgid-ring")]


def ring_memory_kib(pid: int) -> dict[str, int]:
    """The ring mappings of `pid` from /proc/PID/smaps: how many, and their Rss and Pss summed."""
    out = {"mappings": 0, "Rss": 0, "Pss": 0}
    inside = False
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        if re.match(r"[0-9a-f]+-[0-9a-f]+ ", line):
            inside = "memfd:wsgid-ring" in line
            out["mappings"] += inside
        elif inside and (m := re.match(r"(Rss|Pss):\s+(\d+) kB", line)):
            out[m.group(1)] += int(m.group(2))
    return out


def get(port: int, path: str, timeout: float = 30.0) -> hh.RawResponse:
    raw = hh.raw_exchange(port, (f"GET {path} HTTP/1.1\r\nHost: localhost\r\n"
                                 "Connection: close\r\n\r\n").encode(), timeout=timeout)
    return hh.parse_raw_response(raw)


def check_exact(r: hh.RawResponse, path: str):
    assert r.status == 200, (path, r.status, r.body[:200])
    assert r.complete, f"{path}: framing ({r.framing}) says the body is incomplete"
    assert hashlib.sha256(r.body).hexdigest() == r.headers["x-body-sha256"], path


def open_stream(port: int, path: str, rcvbuf: int | None = None) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
    return s


def read_until(s: socket.socket, data: bytearray, enough) -> None:
    while not enough(data):
        got = s.recv(256 * KIB)
        if not got:
            return
        data += got


def body_start(data: bytes) -> int:
    at = data.find(b"\r\n\r\n")
    return -1 if at < 0 else at + 4


def worker_crashes(server) -> list[str]:
    return [line for line in server.read_log().splitlines()
            if "exit signal" in line or "Segmentation" in line or "Bus error" in line]


def test_small_responses_never_make_a_ring(httpd_factory, flavour):
    server = httpd_factory(CONF, flavour)
    server.wait_ok("/ring/small")
    for _ in range(5):
        assert get(server.port, "/ring/small").body == b"s" * 100
    assert server.get("/ring/big?size=65536").status == 200  # 64 KiB goes in frames too
    [daemon] = server.daemon_pids("ring")
    assert rings_of(daemon) == []
    check_exact(get(server.port, f"/ring/big?size={MIB}"), "/ring/big")
    # The check above would see one: the large response made it, and it stays for reuse.
    assert len(rings_of(daemon)) == 1


def test_an_application_attacking_its_ring_hurts_only_its_own_response(httpd_factory, flavour):
    server = httpd_factory(CONF, flavour)
    server.wait_ok("/ring/small")
    workers = set(server.worker_pids())
    check_exact(get(server.port, f"/ring/big?size={MIB}"), "/ring/big")
    # The attacked response: its bytes may be anything, and it may end broken.
    try:
        get(server.port, f"/ring/scribble?n=8&size={256 * KIB}", timeout=60)
    except OSError:
        pass
    report = get(server.port, "/ring/scribble-report").body.decode()
    assert report, "the app found no memfd to attack"
    for line in report.splitlines():
        fd, call, result = line.split()
        if call in ("shrink", "grow"):
            assert result == str(1), f"the ring's size is not sealed: {line}"  # EPERM
    # Every later request is exact, on old connections and new ones alike.
    for path in [f"/ring/big?size={MIB}", f"/ring/stream?n=6&size={300 * KIB}",
                 f"/ring/big?size={3 * MIB + 7}"] * 3:
        check_exact(get(server.port, path), path)
    assert set(server.worker_pids()) == workers, "a worker child died"
    assert worker_crashes(server) == []


def test_a_daemon_killed_mid_ring_response_breaks_it_visibly(httpd_factory, flavour):
    server = httpd_factory(CONF, flavour)
    server.wait_ok("/ring/small")
    workers = set(server.worker_pids())
    [daemon] = server.daemon_pids("ring")
    s = open_stream(server.port, f"/ring/stall?n=3&size={256 * KIB}")
    data = bytearray()
    # Two thirds of the body have reached the client: the daemon is in the middle of it.
    read_until(s, data, lambda d: body_start(d) > 0 and len(d) - body_start(d) >= 512 * KIB)
    assert rings_of(daemon), "the response did not go through a ring"
    os.kill(daemon, signal.SIGKILL)
    read_until(s, data, lambda d: False)
    s.close()
    r = hh.parse_raw_response(bytes(data))
    assert r.status == 200
    assert not r.complete, "a response cut by a dead daemon looks complete"
    server.wait_log("WSGID0107")
    server.wait_daemons("ring", 1)
    check_exact(get(server.port, f"/ring/big?size={MIB}"), "/ring/big after the kill")
    assert set(server.worker_pids()) == workers, "a worker child died"
    assert worker_crashes(server) == []


def test_a_slow_client_makes_the_daemon_wait_with_bounded_memory(httpd_factory, flavour):
    server = httpd_factory(CONF, flavour)
    server.wait_ok("/ring/small")
    [daemon] = server.daemon_pids("ring")
    path = f"/ring/stream?n=48&size={256 * KIB}"  # 12 MiB
    s = open_stream(server.port, path, rcvbuf=16 * KIB)
    data = bytearray()
    read_until(s, data, lambda d: body_start(d) > 0)
    start_rss = hh.memory_kib(daemon)["Rss"]
    peak_rss = start_rss
    # The client reads a MiB, then stops for a while: the worker's pass blocks, the ring fills
    # and the daemon waits for room. The pauses are the slow client, not synchronisation.
    while True:
        before = len(data)
        read_until(s, data, lambda d: len(d) - before >= MIB)
        if len(data) == before:
            break
        peak_rss = max(peak_rss, hh.memory_kib(daemon)["Rss"])
        time.sleep(0.15)
    s.close()
    r = hh.parse_raw_response(bytes(data))
    check_exact(r, path)
    assert len(r.body) == 12 * MIB
    assert rings_of(daemon), "the response did not go through a ring"
    assert peak_rss - start_rss < 4 * 1024, (start_rss, peak_rss)
    assert "WSGID0520" not in server.read_log()


def test_an_idle_connection_gives_its_ring_pages_back_and_the_next_burst_gets_them(
        httpd_factory, flavour):
    server = httpd_factory(CONF, flavour)
    server.wait_ok("/ring/small")
    [daemon] = server.daemon_pids("ring")
    path = f"/ring/big?size={MIB}"
    for _ in range(4):
        check_exact(get(server.port, path), path)
    # Read at once: the release comes a second after the last response at the earliest.
    busy = ring_memory_kib(daemon)
    assert busy["mappings"] >= 1 and busy["Rss"] >= 1000, busy
    workers = [p for p in server.worker_pids() if ring_memory_kib(p)["mappings"]]
    assert workers, "no worker child maps a ring"

    # Released, not closed: the daemon still maps its rings (it unmaps them only when it drops
    # their connections, after 10 s idle) and the worker children keep their mappings.
    def released():
        d = ring_memory_kib(daemon)
        w = [ring_memory_kib(p) for p in workers]
        idle = (d["mappings"] == busy["mappings"] and d["Rss"] <= 8 * d["mappings"]
                and all(m["mappings"] and m["Rss"] <= 8 * m["mappings"] for m in w))
        return (d, w) if idle else None
    d, w = hh.poll(released, 8, interval=0.1, what="the idle rings' pages to be freed")
    print(f"\nring KiB, daemon: busy Rss {busy['Rss']} Pss {busy['Pss']}, idle Rss {d['Rss']} "
          f"Pss {d['Pss']}; workers idle {w}")

    # The next burst faults the pages in again and is exact.
    for p in [path, f"/ring/stream?n=5&size={300 * KIB}", path]:
        check_exact(get(server.port, p), p)
    again = ring_memory_kib(daemon)
    assert again["mappings"] >= busy["mappings"] and again["Rss"] >= 1000, again
    assert worker_crashes(server) == []
