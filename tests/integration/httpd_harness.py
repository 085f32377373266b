"""Start a real Debian httpd with a generated config, talk to it, inspect its processes.

Everything an integration test needs lives here so the tests read as behaviour, not plumbing.
Every wait is a poll with a deadline: tests run in parallel on 2 cores, so there are no fixed
ports, no shared directories and no sleeps used as synchronisation.
"""

from __future__ import annotations

import http.client
import os
import pwd
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

APACHE_BIN = "/usr/sbin/apache2"
APACHE_MODULES = Path("/usr/lib/apache2/modules")
MOD_WSGI_SO = APACHE_MODULES / "mod_wsgi.so"
REPO_ROOT = Path(__file__).resolve().parents[2]
APPS_SRC = REPO_ROOT / "tests" / "apps"

# Modules every generated config loads; core, so, log_config, unixd ... are compiled in.
BASE_MODULES = [
    ("mpm_event_module", "mod_mpm_event.so"),
    ("authz_core_module", "mod_authz_core.so"),
    ("authz_host_module", "mod_authz_host.so"),
    ("mime_module", "mod_mime.so"),
    ("alias_module", "mod_alias.so"),
    ("dir_module", "mod_dir.so"),
    ("env_module", "mod_env.so"),
    ("headers_module", "mod_headers.so"),
    ("reqtimeout_module", "mod_reqtimeout.so"),
]

FLAVOURS = ("wsgid", "mod_wsgi")


class HarnessError(RuntimeError):
    pass


def selected_flavours() -> list[str]:
    """Flavours to run, from WSGID_TEST_FLAVOURS (comma separated); both by default."""
    raw = os.environ.get("WSGID_TEST_FLAVOURS", "wsgid,mod_wsgi")
    chosen = [f.strip() for f in raw.split(",") if f.strip()]
    unknown = [f for f in chosen if f not in FLAVOURS]
    if unknown or not chosen:
        raise HarnessError(f"WSGID_TEST_FLAVOURS={raw!r}: accepted flavours are {', '.join(FLAVOURS)}")
    return chosen


def wsgid_module_path() -> Path:
    env = os.environ.get("WSGID_MODULE")
    if env:
        return Path(env)
    for build in ("build", "build-integration"):
        candidate = REPO_ROOT / build / "module" / "mod_wsgid.so"
        if candidate.exists():
            return candidate
    return REPO_ROOT / "build" / "module" / "mod_wsgid.so"


def module_line(flavour: str) -> str:
    if flavour == "wsgid":
        path = wsgid_module_path()
        if not path.exists():
            raise HarnessError(f"mod_wsgid.so not found at {path} (set WSGID_MODULE)")
        py = os.environ.get("WSGID_PYTHON_SO")
        if py and not Path(py).exists():
            raise HarnessError(f"WSGID_PYTHON_SO={py} does not exist")
        return f"LoadModule wsgid_module {path}"
    if flavour == "mod_wsgi":
        return f"LoadModule wsgi_module {MOD_WSGI_SO}"
    if flavour == "none":
        return "# no WSGI module"
    raise HarnessError(f"unknown flavour {flavour!r}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def poll(predicate, timeout: float, interval: float = 0.02, what: str = "condition"):
    """Call predicate until it returns something truthy; raise on deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


# ---------------------------------------------------------------- /proc helpers

def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # comm may contain spaces and parentheses: split after the last ')'.
    return raw[raw.rindex(")") + 2:].split()


def ppid_of(pid: int) -> int | None:
    f = _stat_fields(pid)
    return int(f[1]) if f else None


def pgrp_of(pid: int) -> int | None:
    f = _stat_fields(pid)
    return int(f[2]) if f else None


def _start_time(pid: int) -> int | None:
    f = _stat_fields(pid)
    return int(f[19]) if f else None


def is_zombie(pid: int) -> bool:
    f = _stat_fields(pid)
    return f is None or f[0] in ("Z", "X")


def all_pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def children_of(pid: int) -> list[int]:
    return sorted(p for p in all_pids() if ppid_of(p) == pid and not is_zombie(p))


def cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode("utf-8", "replace").strip()


def maps_libraries(pid: int) -> set[str]:
    try:
        text = Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return set()
    return {line.split()[-1] for line in text.splitlines() if "/" in line}


def memory_kib(pid: int) -> dict[str, int]:
    """Rss, Pss, ... from /proc/PID/smaps_rollup, in KiB."""
    out = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        m = re.match(r"(\w+):\s+(\d+) kB", line)
        if m:
            out[m.group(1)] = int(m.group(2))
    return out


def open_fds(pid: int) -> dict[int, str]:
    fds = {}
    base = Path(f"/proc/{pid}/fd")
    for entry in os.listdir(base):
        try:
            fds[int(entry)] = os.readlink(base / entry)
        except OSError:
            pass
    return fds


def unread_bytes_on_connections(pid: int) -> dict[int, int]:
    """Bytes waiting unread in each connected UNIX stream socket `pid` holds, by inode: what a
    peer sent that the process has not read yet. From the kernel (sock_diag, as `ss -x`
    reads it), so a test can wait for a request to arrive without a sleep."""
    inodes = {int(m.group(1)) for m in (re.fullmatch(r"socket:\[(\d+)\]", target)
                                        for target in open_fds(pid).values()) if m}
    netlink_sock_diag, sock_diag_by_family, nlm_f_request, nlm_f_dump = 4, 20, 1, 0x300
    established, show_rqlen, attr_rqlen, done, error = 1 << 1, 0x10, 4, 3, 2
    request = struct.pack("=BBHIIII", socket.AF_UNIX, 0, 0, established, 0, show_rqlen, 0) + \
        b"\0" * 4
    header = struct.pack("=IHHII", 16 + len(request), sock_diag_by_family,
                         nlm_f_request | nlm_f_dump, 1, 0)
    queues = {}
    with socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, netlink_sock_diag) as nl:
        nl.sendall(header + request)
        while True:
            data = nl.recv(65536)
            offset = 0
            while offset + 16 <= len(data):
                length, kind = struct.unpack_from("=IH", data, offset)
                if kind == done:
                    return queues
                if kind == error:
                    raise HarnessError("sock_diag refused the UNIX socket dump")
                inode = struct.unpack_from("=I", data, offset + 20)[0]
                at = offset + 16 + 16  # nlmsghdr, then unix_diag_msg
                while at + 4 <= offset + length:
                    attr_len, attr_type = struct.unpack_from("=HH", data, at)
                    if attr_len < 4:
                        break
                    if attr_type == attr_rqlen and inode in inodes:
                        queues[inode] = struct.unpack_from("=I", data, at + 4)[0]
                    at += (attr_len + 3) & ~3
                offset += (length + 3) & ~3


def uid_of(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    raise HarnessError(f"no Uid line for {pid}")


# ---------------------------------------------------------------- HTTP helpers

@dataclass
class Response:
    status: int
    headers: dict
    body: bytes

    def header(self, name: str) -> str | None:
        for k, v in self.headers.items():
            if k.lower() == name.lower():
                return v
        return None


def http_request(port: int, method: str, path: str, host: str | None = None, body=None,
                 headers: dict | None = None, timeout: float = 30.0) -> Response:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        hdrs = dict(headers or {})
        if host:
            hdrs["Host"] = host
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        return Response(resp.status, dict(resp.getheaders()), data)
    finally:
        conn.close()


def raw_exchange(port: int, request: bytes, timeout: float = 30.0) -> bytes:
    """Send raw bytes, read until the server closes (or timeout), return everything read."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(request)
        chunks = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                data = s.recv(65536)
            except ConnectionResetError:
                break
            except socket.timeout:
                break
            if not data:
                break
            chunks.append(data)
        return b"".join(chunks)


# ---------------------------------------------------------------- the server

@dataclass
class Httpd:
    """One running httpd. Use through the `httpd_factory` fixture, which stops and cleans up."""

    flavour: str
    tmp: Path
    body: str
    name: str = "httpd"
    extra_global: str = ""
    port: int = 0
    proc: subprocess.Popen | None = None
    conf_path: Path | None = None
    stragglers: list = field(default_factory=list)

    @property
    def apps(self) -> Path:
        return self.tmp / "apps"

    @property
    def error_log(self) -> Path:
        return self.tmp / "error.log"

    def write_static(self, name: str, text: str) -> Path:
        """A file in the DocumentRoot (@TMP@/htdocs), readable by httpd's workers."""
        path = self.tmp / "htdocs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(0o644)
        return path

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    # -- config

    def render(self) -> str:
        run_user = ""
        if os.geteuid() == 0:
            run_user = "User www-data\nGroup www-data\n"
        body = (self.body.replace("@TMP@", str(self.tmp)).replace("@APPS@", str(self.apps))
                .replace("@PORT@", str(self.port)))
        loads = "\n".join(f"LoadModule {name} {APACHE_MODULES / so}" for name, so in BASE_MODULES)
        wsgi_global = ""
        if self.flavour != "none":
            wsgi_global = f"WSGISocketPrefix {self.tmp}/wsgi\n"
        return f"""# generated by tests/integration/httpd_harness.py ({self.flavour})
ServerRoot {self.tmp}
ServerName 127.0.0.1
{loads}
{module_line(self.flavour)}
{run_user}PidFile {self.tmp}/httpd.pid
DefaultRuntimeDir {self.tmp}
Mutex file:{self.tmp} default
ErrorLog {self.error_log}
LogLevel info
LogFormat "%h %l %u %t \\"%r\\" %>s %b %{{Host}}i %D" wsgi_test
CustomLog {self.tmp}/access.log wsgi_test
Listen 127.0.0.1:{self.port}
TypesConfig /etc/mime.types
StartServers 2
ServerLimit 16
ThreadsPerChild 25
MaxRequestWorkers 100
MinSpareThreads 25
MaxSpareThreads 75
MaxConnectionsPerChild 0
Timeout 30
KeepAlive On
GracefulShutdownTimeout 30
DocumentRoot {self.tmp}/htdocs
<Directory />
  Require all denied
</Directory>
<Directory {self.tmp}>
  Require all granted
</Directory>
{wsgi_global}{self.extra_global}
{body}
"""

    # -- lifecycle

    def start(self, timeout: float = 30.0):
        for attempt in range(4):
            self.port = free_port()
            self.conf_path = self.tmp / "httpd.conf"
            self.conf_path.write_text(self.render())
            started_before = self._running_notices()
            stderr = open(self.tmp / "stderr.log", "ab")
            try:
                self.proc = subprocess.Popen(
                    [APACHE_BIN, "-d", str(self.tmp), "-f", str(self.conf_path), "-DFOREGROUND"],
                    stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr,
                    start_new_session=True, cwd=str(self.tmp))
            finally:
                stderr.close()
            try:
                self._wait_listening(timeout)
                self._wait_running(started_before, timeout)
                return self
            except _PortTaken:
                self.proc.wait(timeout=10)
                continue
        raise HarnessError("could not find a free port in 4 attempts")

    def config_test(self) -> subprocess.CompletedProcess:
        """`apache2 -t` on the rendered config; does not start anything."""
        self.port = self.port or free_port()
        self.conf_path = self.tmp / "httpd.conf"
        self.conf_path.write_text(self.render())
        return subprocess.run([APACHE_BIN, "-d", str(self.tmp), "-f", str(self.conf_path), "-t"],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
                              cwd=str(self.tmp))

    # httpd listens (open_logs) before its post_config forks the daemons and before the MPM
    # installs its signal handlers: a SIGTERM in between (a test that stops at once, e.g. one
    # that skips) kills the parent with the default action, without its clean-up, and leaves its
    # daemons behind. The MPM logs this line once its handlers are in place.
    _RUNNING = "resuming normal operations"

    def _running_notices(self) -> int:
        try:
            return self.error_log.read_text(errors="replace").count(self._RUNNING)
        except OSError:
            return 0

    def _wait_running(self, before: int, timeout: float):
        """Until the MPM runs (best effort: a config whose LogLevel hides notices just waits
        10 s, then goes on)."""
        deadline = time.monotonic() + min(timeout, 10.0)
        while time.monotonic() < deadline and self.proc.poll() is None:
            if self._running_notices() > before:
                return
            time.sleep(0.02)

    def _wait_listening(self, timeout: float):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                logs = self.all_logs()
                if "Address already in use" in logs:
                    raise _PortTaken()
                raise HarnessError(
                    f"httpd ({self.flavour}) exited with {self.proc.returncode} during start-up\n{logs}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise HarnessError(f"httpd ({self.flavour}) not listening after {timeout}s\n{self.all_logs()}")

    def stop(self, timeout: float = 20.0):
        """SIGTERM the parent, wait with a deadline, then SIGKILL whatever is left of it."""
        if self.proc is None:
            return
        # Remember every descendant now: a daemon that left the process group (setsid) must
        # not outlive the test either.
        known = self.descendants() if self.proc.poll() is None else []
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.stragglers.append(f"parent {self.proc.pid} ignored SIGTERM for {timeout}s")
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._kill_leftovers(known)

    def descendants(self) -> list[int]:
        found, frontier = [], [self.pid]
        while frontier:
            kids = [p for p in all_pids() if ppid_of(p) in frontier]
            found += kids
            frontier = kids
        return found

    def _kill_leftovers(self, known: list[int]):
        # The parent reaps its children before it exits; anything of it still running afterwards
        # is a bug worth reporting, and must not outlive the test.
        pgid = self.proc.pid
        starts = {p: _start_time(p) for p in known}

        def alive():
            in_group = {p for p in all_pids() if pgrp_of(p) == pgid and not is_zombie(p)}
            # Same pid and same start time: the very process we saw, not a reused pid.
            escaped = {p for p, t in starts.items() if t is not None and _start_time(p) == t
                       and not is_zombie(p)}
            return sorted(in_group | escaped)

        try:
            poll(lambda: not alive(), timeout=5, what="httpd's processes to exit")
        except TimeoutError:
            left = alive()
            self.stragglers.append("processes left after httpd exit: "
                                   + ", ".join(f"{p} {cmdline(p)!r}" for p in left))
            for p in left:
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def graceful_restart(self):
        os.kill(self.pid, signal.SIGUSR1)

    def graceful_stop(self):
        os.kill(self.pid, signal.SIGWINCH)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # -- processes

    def children(self) -> list[int]:
        return children_of(self.pid)

    def daemon_pids(self, group: str | None = None) -> list[int]:
        """Daemon processes: children whose title is `(wsgi:NAME)` (needs display-name=%{GROUP})."""
        tag = f"(wsgi:{group})" if group else "(wsgi:"
        return [p for p in self.children() if cmdline(p).startswith(tag)]

    def python_pids(self) -> list[int]:
        """Children that have Python mapped (wsgid_python.so or libpython), whatever their title."""
        return [p for p in self.children()
                if any("wsgid_python" in lib or "libpython" in lib for lib in maps_libraries(p))]

    def worker_pids(self) -> list[int]:
        return [p for p in self.children() if not cmdline(p).startswith("(wsgi:")]

    def wait_daemons(self, group: str, count: int, timeout: float = 15.0) -> list[int]:
        return poll(lambda: (lambda d: d if len(d) >= count else None)(self.daemon_pids(group)),
                    timeout, what=f"{count} daemon(s) of group {group}")

    # -- HTTP

    def request(self, method: str, path: str, **kw) -> Response:
        return http_request(self.port, method, path, **kw)

    def get(self, path: str, **kw) -> Response:
        return self.request("GET", path, **kw)

    def wait_ok(self, path: str = "/", host: str | None = None, timeout: float = 20.0) -> Response:
        """Poll until `path` answers 200. Connection errors and 502/503/504 (daemons still
        starting) are retried until the deadline; any other answer fails at once."""
        last = []

        def attempt():
            try:
                r = self.get(path, host=host, timeout=5)
            except (OSError, http.client.HTTPException) as e:
                last[:] = [repr(e)]
                return None
            last[:] = [f"{r.status} {r.body[:200]!r}"]
            if r.status in (502, 503, 504):
                return None
            if r.status != 200:
                raise HarnessError(f"GET {path} answered {r.status} {r.body[:300]!r}\n"
                                   f"{self.all_logs(tail=4000)}")
            return r

        try:
            return poll(attempt, timeout, interval=0.05, what=f"200 from {path}")
        except TimeoutError as e:
            raise HarnessError(f"{e}; last answer: {last}\n{self.all_logs(tail=4000)}") from None

    # -- logs

    def log_files(self) -> list[Path]:
        return sorted(self.tmp.glob("*.log"))

    def read_log(self, name: str = "error.log") -> str:
        p = self.tmp / name
        return p.read_text(errors="replace") if p.exists() else ""

    def wait_log(self, needle: str, name: str = "error.log", timeout: float = 10.0) -> str:
        return poll(lambda: needle in self.read_log(name) and self.read_log(name), timeout,
                    what=f"{needle!r} in {name}")

    def all_logs(self, tail: int = 20000) -> str:
        parts = []
        for p in self.log_files():
            if p.name == "access.log":
                continue
            text = p.read_text(errors="replace")
            if len(text) > tail:
                text = "...\n" + text[-tail:]
            parts.append(f"----- {p} -----\n{text}")
        return "\n".join(parts)


class _PortTaken(Exception):
    pass


def payload_bytes() -> bytes:
    """The file the file_wrapper routes serve: 300 KB, not a multiple of any buffer size."""
    import hashlib
    out = bytearray()
    block = b"wsgid"
    while len(out) < 300_001:
        block = hashlib.sha256(block).digest()
        out += block
    return bytes(out[:300_001])


def make_tmp() -> Path:
    """A short, world-readable temp dir (UNIX socket paths must stay under 108 bytes)."""
    tmp = Path(tempfile.mkdtemp(dir="/tmp", prefix="wi-"))
    os.chmod(tmp, 0o755)
    (tmp / "htdocs").mkdir(mode=0o755)
    # Copy the apps: the httpd user must be able to read them wherever the repo lives, and
    # daemons must not write bytecode caches into the source tree.
    shutil.copytree(APPS_SRC, tmp / "apps", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (tmp / "apps" / "payload.bin").write_bytes(payload_bytes())
    for root, dirs, files in os.walk(tmp):
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o755)
        for f in files:
            os.chmod(os.path.join(root, f), 0o644)
    if os.geteuid() == 0:
        # A directory the app user may write to (sqlite, scratch files).
        scratch = tmp / "scratch"
        scratch.mkdir()
        pw = pwd.getpwnam("www-data")
        os.chown(scratch, pw.pw_uid, pw.pw_gid)
    else:
        (tmp / "scratch").mkdir()
    return tmp


# ---------------------------------------------------------------- raw responses

@dataclass
class RawResponse:
    status: int
    headers: dict           # lower-cased names
    body: bytes             # de-chunked when chunked
    complete: bool          # framing says the whole body arrived (and nothing is missing)
    framing: str            # "content-length", "chunked" or "close"


def parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    """Status and headers (names lower-cased) of a response head without its blank line."""
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers


def parse_raw_response(raw: bytes) -> RawResponse:
    """Parse one HTTP/1.1 response read until close, judging whether its framing is complete."""
    head, sep, rest = raw.partition(b"\r\n\r\n")
    if not sep:
        return RawResponse(0, {}, b"", False, "none")
    status, headers = parse_head(head)
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body, pos = bytearray(), 0
        while True:
            end = rest.find(b"\r\n", pos)
            if end < 0:
                return RawResponse(status, headers, bytes(body), False, "chunked")
            size = int(rest[pos:end].split(b";")[0] or b"0", 16)
            pos = end + 2
            if size == 0:
                # Terminal chunk, then (empty) trailers and the final CRLF.
                complete = rest.find(b"\r\n", pos) >= 0
                return RawResponse(status, headers, bytes(body), complete, "chunked")
            if len(rest) < pos + size + 2:
                body += rest[pos:pos + size]
                return RawResponse(status, headers, bytes(body), False, "chunked")
            body += rest[pos:pos + size]
            pos += size + 2
    if "content-length" in headers:
        declared = int(headers["content-length"])
        return RawResponse(status, headers, rest[:declared], len(rest) >= declared, "content-length")
    # Body delimited by connection close: indistinguishable from success by construction.
    return RawResponse(status, headers, rest, True, "close")


# ---------------------------------------------------------------- load

@dataclass
class Outcome:
    started: float
    ok: bool
    detail: str
    body: bytes = b""


class Load:
    """`clients` threads each doing GETs (a new connection per request, so a server closing an
    idle keep-alive connection is not counted as a failure) until stopped, `max_requests` in
    total are done, or `max_seconds` pass. Every non-200 or exception is a failure."""

    def __init__(self, port: int, path: str, clients: int = 40, max_requests: int = 5000,
                 max_seconds: float = 120.0, host: str | None = None, timeout: float = 30.0):
        import threading
        self.port, self.path, self.host, self.timeout = port, path, host, timeout
        self.max_requests, self.deadline = max_requests, time.monotonic() + max_seconds
        self.lock = threading.Lock()
        self.outcomes: list[Outcome] = []
        self.issued = 0
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(clients)]

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def _take_ticket(self) -> bool:
        with self.lock:
            if self.stopping.is_set() or self.issued >= self.max_requests or time.monotonic() > self.deadline:
                return False
            self.issued += 1
            return True

    def _run(self):
        while self._take_ticket():
            started = time.monotonic()
            try:
                r = http_request(self.port, "GET", self.path, host=self.host, timeout=self.timeout,
                                 headers={"Connection": "close"})
                outcome = Outcome(started, r.status == 200, f"{r.status} {r.body[:120]!r}", r.body)
            except Exception as e:
                outcome = Outcome(started, False, repr(e))
            with self.lock:
                self.outcomes.append(outcome)

    def stop(self, timeout: float = 60.0):
        self.stopping.set()
        deadline = time.monotonic() + timeout
        for t in self.threads:
            t.join(max(0.0, deadline - time.monotonic()))
        alive = sum(t.is_alive() for t in self.threads)
        if alive:
            raise HarnessError(f"{alive} load threads still running after {timeout}s")

    def snapshot(self) -> list[Outcome]:
        with self.lock:
            return list(self.outcomes)

    def successes(self) -> int:
        return sum(o.ok for o in self.snapshot())

    def failures(self) -> list[Outcome]:
        return [o for o in self.snapshot() if not o.ok]

    def wait_successes(self, n: int, timeout: float = 60.0):
        poll(lambda: self.successes() >= n, timeout, interval=0.02, what=f"{n} successful requests")

    def exhausted(self) -> bool:
        return all(not t.is_alive() for t in self.threads)


def listening_socket_inodes(port: int) -> set[str]:
    """Inodes of TCP sockets listening on `port` (from /proc/net/tcp and tcp6)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[1].endswith(f":{port:04X}") and fields[3] == "0A":
                inodes.add(fields[9])
    return inodes


def wrk_counts(port: int, path: str, seconds: int, connections: int, host: str = "localhost",
               during=None) -> dict[str, int]:
    """Runs wrk with `connections` keep-alive connections for `seconds` (calling `during()`
    meanwhile, if given) and returns its counts: requests, the socket errors connect, read, write
    and timeout, and non2xx."""
    proc = subprocess.Popen(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
         "-H", f"Host: {host}", f"http://127.0.0.1:{port}{path}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        if during is not None:
            during()
        out, _ = proc.communicate(timeout=seconds + 60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    counts = {"requests": int(re.search(r"(\d+) requests in", out).group(1)),
              "connect": 0, "read": 0, "write": 0, "timeout": 0, "non2xx": 0}
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if errors:
        for key, value in zip(("connect", "read", "write", "timeout"), errors.groups()):
            counts[key] = int(value)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        counts["non2xx"] = int(non2xx.group(1))
    return counts
