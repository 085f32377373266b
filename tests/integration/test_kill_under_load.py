"""A daemon killed under load costs only the requests it was running (issue 18).

Clients send GETs and small POSTs with unique ids; the app notes each id it starts (tests/apps/load_probe.wsgi)
and sleeps a few ms, so both daemons' threads are busy and requests wait on their connections.
A daemon is SIGKILLed every ~0.6 s. A request that failed must have been started by the
application in a process that was then killed: one the dead daemon never read goes to a live
one. Counts, not speed: bounded by time and by number of requests.
"""

import http.client
import os
import random
import signal
import threading
import time
import uuid

import pytest

import httpd_harness as hh

CONF = """
WSGIRestrictEmbedded On
WSGIDaemonProcess k processes=2 threads=4 display-name=%{GROUP}
WSGIScriptAlias /k @APPS@/load_probe.wsgi process-group=k application-group=%{GLOBAL}
"""

CLIENTS = 16
KILLS = 12
KILL_INTERVAL = 0.6
MAX_REQUESTS = 40000


class Clients:
    """Threads doing GETs and small POSTs with unique ids on new client connections (so httpd's keep-alive
    handling is not what is measured), until stopped or MAX_REQUESTS are done."""

    def __init__(self, port: int):
        self.port = port
        self.lock = threading.Lock()
        self.ok = 0
        self.failed: list[tuple[str, str]] = []  # (id, what the client saw)
        self.issued = 0
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(CLIENTS)]

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for t in self.threads:
            t.join(60)
        assert not any(t.is_alive() for t in self.threads), "client threads hung"

    def _run(self):
        while not self.stopping.is_set():
            with self.lock:
                if self.issued >= MAX_REQUESTS:
                    return
                self.issued += 1
            request_id = uuid.uuid4().hex
            # Every other request a small form POST: its body goes with its head.
            method, body = ("POST", b"f=" + b"x" * 2000) if self.issued % 2 else ("GET", None)
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                c.request(method, f"/k/?ms=10&id={request_id}", body=body,
                          headers={"Connection": "close"})
                r = c.getresponse()
                body = r.read()
                c.close()
                outcome = None if r.status == 200 else f"{r.status} {body[:80]!r}"
            except Exception as e:  # a reset or a broken response: a failure too
                outcome = repr(e)
            with self.lock:
                if outcome is None:
                    self.ok += 1
                else:
                    self.failed.append((request_id, outcome))

    def done(self) -> int:
        with self.lock:
            return self.ok + len(self.failed)


def started_requests(server) -> dict[str, int]:
    """id -> pid of every request the application started."""
    path = server.tmp / "scratch" / "started.log"
    started = {}
    for line in path.read_text().splitlines():
        request_id, pid = line.split()
        started[request_id] = int(pid)
    return started


@pytest.mark.wsgid_only("measures wsgid's persistent daemon connections")
def test_killed_daemon_fails_only_the_requests_it_was_running(httpd_factory, flavour):
    server = httpd_factory(CONF, flavour)
    server.wait_ok("/k/")
    server.wait_daemons("k", 2)
    killed: list[int] = []
    rng = random.Random(18)
    with Clients(server.port) as clients:
        hh.poll(lambda: clients.done() >= 200, timeout=60, what="load to get going")
        for _ in range(KILLS):
            time.sleep(KILL_INTERVAL)  # the interval between kills is the load, not a wait
            pids = [p for p in server.daemon_pids("k") if p not in killed]
            if not pids:
                continue
            victim = rng.choice(pids)
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)
        # Service is back: the last replacement answers.
        settled = clients.done()
        hh.poll(lambda: clients.done() >= settled + 200, timeout=60, what="load after the kills")
    started = started_requests(server)
    never_started = [(i, what) for i, what in clients.failed if i not in started]
    not_on_killed = [(i, what) for i, what in clients.failed
                     if i in started and started[i] not in killed]
    log = server.read_log()
    print(f"{len(killed)} kills, {clients.ok} ok, {len(clients.failed)} failed "
          f"({len(clients.failed) / max(1, len(killed)):.2f} per kill), "
          f"{len(never_started)} of them never started by the app")
    assert len(killed) >= KILLS // 2, "too few daemons to kill: the supervisor did not keep up"
    # A daemon killed between reading a request and the app's first line leaves one that looks
    # never started: a window of microseconds per kill, so a few are tolerated. Requests it
    # never read are many more (13 of 32 failures, 12 kills, before the fix).
    assert len(never_started) <= KILLS // 4, (
        f"{len(never_started)} failed requests the application never started: "
        f"{never_started[:5]}")
    assert not not_on_killed, f"failed requests that ran in a live daemon: {not_on_killed[:5]}"
    assert all(what.startswith("502 ") for _, what in clients.failed), clients.failed[:5]
    # A dead daemon is a dead daemon (WSGID0106), not a protocol fault or socket error.
    for code in ("WSGID0108", "WSGID0112"):
        assert code not in log, [line for line in log.splitlines() if code in line][:3]
