#!/usr/bin/python3
"""Side-by-side WSGI server benchmark: mod_wsgid against mod_wsgi, gunicorn and uWSGI, alone
and behind nginx.

Run through bench/run.sh, which installs the peers and builds the project first. This script
uses the Python standard library only and must run under Debian's /usr/bin/python3, the same
interpreter every server under test runs the app with.

Every server is started once, on 127.0.0.1 on a free port, from a private temporary
directory, and they all stay up for the whole run. Each workload is then measured on each
server in turn, the order rotating between repeats, so background noise on a shared machine
falls on all servers alike and the ratios measured in one run stay meaningful.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import platform
import pwd
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
APP_SOURCE = BENCH_DIR / "apps" / "bench_app.py"
WRK_SCRIPT = BENCH_DIR / "wrk" / "report.lua"

APACHE = "/usr/sbin/apache2"
APACHE_MODULES = Path("/usr/lib/apache2/modules")
MOD_WSGI = APACHE_MODULES / "mod_wsgi.so"
SYSTEM_PYTHON = "/usr/bin/python3"
UWSGI = "/usr/bin/uwsgi-core"
NGINX = "/usr/sbin/nginx"
NGINX_ETC = Path("/etc/nginx")  # Debian's proxy_params, uwsgi_params, mime.types
WRK = "/usr/bin/wrk"
GNUPLOT = "/usr/bin/gnuplot"

BASELINE = "mod_wsgi-daemon"
MIB = 1024 * 1024
HELLO = b"Hello world"


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --------------------------------------------------------------------------- workloads

@dataclass
class Workload:
    name: str
    label: str
    path: str
    connections: int          # wrk -c (0: computed from processes x threads)
    body_bytes: int = 0       # POST body size; 0 for GET
    static: bool = False      # also measured on the static-file httpd
    what: str = ""


WORKLOADS = [
    Workload("hello", "hello (11 B)", "/hello", 32, static=True,
             what="11-byte response: per-request overhead"),
    Workload("get1m", "1 MiB GET", "/1m", 8, static=True,
             what="1 MiB response body from memory"),
    Workload("post1m", "1 MiB POST echo", "/echo", 8, body_bytes=MIB,
             what="1 MiB request body read through wsgi.input, answered with its sha256"),
    Workload("file10m", "10 MiB file_wrapper", "/file", 8, static=True,
             what="10 MiB file returned through wsgi.file_wrapper (static: the same file)"),
    Workload("sleep", "sleep 10 ms, queueing", "/sleep", 0,
             what="app sleeps 10 ms, 4 clients per thread: queueing, p99 and non-2xx"),
]
STREAM = Workload("stream", "streaming TTFB", "/stream", 1,
                  what="time to the first body byte of a streamed response (app pauses 100 ms "
                       "after its first chunk)")
ALL_WORKLOADS = [w.name for w in WORKLOADS] + [STREAM.name]
SERVER_NAMES = ["static", "mod_wsgi-daemon", "mod_wsgi-embedded", "gunicorn-gthread",
                "gunicorn-sync", "uwsgi", "nginx-gunicorn", "nginx-uwsgi", "wsgid-httpd",
                "wsgid-embedded", "wsgid-run", "wsgid-httpd-b"]


# --------------------------------------------------------------------------- helpers

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_request(port: int, method: str, path: str, body: bytes | None = None,
                 timeout: float = 10.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/octet-stream"} if body is not None else {}
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def read_text(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def command_version(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=20)
        text = (out.stdout + out.stderr).strip().splitlines()
        return text[0].strip() if text else ""
    except (OSError, subprocess.TimeoutExpired):
        return ""


# --------------------------------------------------------------------------- servers

@dataclass
class Server:
    name: str
    label: str
    kind: str                 # httpd | gunicorn | uwsgi | wsgid-run | nginx
    note: str = ""
    port: int = 0
    proc: subprocess.Popen | None = None
    dir: Path | None = None
    stop_signal: int = signal.SIGTERM
    skipped: str = ""         # non-empty: why this server is not measured
    conf: tuple = ()          # httpd: (LoadModule lines, config body, embedded?)
    checks: dict = field(default_factory=dict)
    backend: Server | None = None  # nginx: the app server behind it, on a UNIX socket
    socket: Path | None = None     # a backend: the UNIX socket it listens on instead of a port

    @property
    def python(self) -> bool:
        return self.name != "static"

    def roots(self) -> list[tuple[int, str]]:
        """(pid, kind) of every process tree of this server: the front and its backend."""
        out = [(self.proc.pid, self.kind)] if self.proc else []
        return out + (self.backend.roots() if self.backend else [])


class Bench:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="wsgid-bench-"))
        os.chmod(self.tmp, 0o755)  # httpd children and daemons run as www-data
        self.as_root = os.geteuid() == 0
        self.build = Path(args.build_dir).resolve()
        self.mod_wsgid = self.build / "module" / "mod_wsgid.so"
        self.wsgid_cli = self.build / "launcher" / "wsgid"
        self.compare_mod_wsgid = (Path(args.compare_build).resolve() / "module" / "mod_wsgid.so"
                                  if args.compare_build else None)
        self.servers: list[Server] = []
        self.results: dict = {}
        self.stream: dict = {}
        self.memory: dict = {}
        self.memory_idle: dict = {}
        self.procs_p = args.processes
        self.threads_t = args.threads

    # ---------------------------------------------------------------- files

    def prepare_files(self) -> None:
        apps = self.tmp / "apps"
        (apps / "data").mkdir(parents=True)
        shutil.copy(APP_SOURCE, apps / "bench_app.py")
        big = os.urandom(10 * MIB)
        (apps / "data" / "10m.bin").write_bytes(big)
        self.file_sha = hashlib.sha256(big).hexdigest()
        htdocs = self.tmp / "htdocs"
        htdocs.mkdir()
        (htdocs / "hello").write_bytes(HELLO)
        (htdocs / "1m").write_bytes(b"x" * MIB)
        (htdocs / "file").write_bytes(big)
        self.post_body = b"b" * MIB  # what wrk/report.lua sends
        self.post_expect = f"{MIB} {hashlib.sha256(self.post_body).hexdigest()}\n".encode()
        for p in [self.tmp, apps, apps / "data", htdocs]:
            os.chmod(p, 0o755)
        for p in list(apps.rglob("*")) + list(htdocs.rglob("*")):
            if p.is_file():
                os.chmod(p, 0o644)

    # ---------------------------------------------------------------- configs

    def httpd_conf(self, d: Path, port: int, modules: list[str], body: str,
                   embedded: bool = False) -> str:
        p, t = self.procs_p, self.threads_t
        loads = "\n".join(
            f"LoadModule {m}_module {APACHE_MODULES / ('mod_' + m + '.so')}"
            for m in ["mpm_event", "authz_core", "alias"])
        user = "User www-data\nGroup www-data\n" if self.as_root else ""
        if embedded:
            # Embedded mode: the Python threads ARE httpd's worker threads, so httpd gets
            # exactly the processes x threads everyone else gets.
            mpm = (f"StartServers {p}\nServerLimit {p}\nThreadsPerChild {t}\nThreadLimit {t}\n"
                   f"MaxRequestWorkers {p * t}\nMinSpareThreads {t}\nMaxSpareThreads {p * t}\n")
        else:
            # The front end of daemon mode and the static server: what `wsgid render` derives
            # for this many daemon threads (2 x 25 worker threads), kept constant.
            mpm = ("StartServers 2\nServerLimit 2\nThreadsPerChild 25\nThreadLimit 25\n"
                   "MaxRequestWorkers 50\nMinSpareThreads 25\nMaxSpareThreads 50\n")
        return f"""# generated by bench/bench.py
ServerRoot {d}
ServerName 127.0.0.1
{loads}
{modules and chr(10).join(modules) or ''}
{user}PidFile {d}/httpd.pid
DefaultRuntimeDir {d}
Mutex file:{d} default
ErrorLog {d}/error.log
LogLevel warn
Listen 127.0.0.1:{port}
{mpm}MaxConnectionsPerChild 0
Timeout 60
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 5
EnableSendfile On
DocumentRoot {self.tmp}/htdocs
<Directory />
  AllowOverride None
  Require all denied
</Directory>
<Directory {self.tmp}/htdocs>
  Require all granted
</Directory>
<Directory {self.tmp}/apps>
  Require all granted
</Directory>
{body}
"""

    def define_servers(self) -> None:
        p, t = self.procs_p, self.threads_t
        app = self.tmp / "apps" / "bench_app.py"
        daemon_opts = f"processes={p} threads={t} display-name=%{{GROUP}}"
        alias = f"WSGIScriptAlias / {app} process-group=bench application-group=%{{GLOBAL}}"

        def httpd(name, label, module_lines, body, embedded=False, note=""):
            s = Server(name, label, "httpd", note=note)
            s.conf = (module_lines, body, embedded)
            return s

        static_body = "\n".join(f"Alias /{n} {self.tmp}/htdocs/{n}" for n in ["hello", "1m", "file"])
        daemon_body = (f"WSGIRestrictEmbedded On\nWSGISocketPrefix {{dir}}/wsgi\n"
                       f"WSGIDaemonProcess bench {daemon_opts}\n{alias}\n")
        candidates = [
            httpd("static", "static httpd", [], static_body,
                  note="Apache serving the same bytes as files: the ceiling"),
            httpd("mod_wsgi-daemon", "mod_wsgi daemon",
                  [f"LoadModule wsgi_module {MOD_WSGI}"], daemon_body,
                  note=f"Debian mod_wsgi, WSGIRestrictEmbedded On, {p} x {t}"),
            httpd("mod_wsgi-embedded", "mod_wsgi embedded",
                  [f"LoadModule wsgi_module {MOD_WSGI}"],
                  f"WSGIScriptAlias / {app} application-group=%{{GLOBAL}}\n", embedded=True,
                  note=f"Debian mod_wsgi in httpd's workers: {p} children x {t} threads"),
            Server("gunicorn-gthread", "gunicorn gthread", "gunicorn",
                   note=f"--worker-class gthread --workers {p} --threads {t}"),
            Server("gunicorn-sync", "gunicorn sync", "gunicorn",
                   note=f"--worker-class sync --workers {p * t} (same concurrency, one thread each)"),
            Server("uwsgi", "uWSGI http", "uwsgi",
                   note=f"--http (router process in front) --processes {p} --threads {t}"),
            Server("nginx-gunicorn", "nginx → gunicorn gthread", "nginx",
                   backend=Server("nginx-gunicorn-app", "gunicorn gthread", "gunicorn"),
                   note=f"Debian nginx (proxy_params, HTTP/1.1 keep-alive upstream, buffering "
                        f"on) → UNIX socket → gunicorn gthread --workers {p} --threads {t}"),
            Server("nginx-uwsgi", "nginx → uWSGI", "nginx",
                   backend=Server("nginx-uwsgi-app", "uWSGI", "uwsgi"),
                   note=f"Debian nginx uwsgi_pass (uwsgi_params, buffering on) → UNIX socket → "
                        f"uWSGI --socket --processes {p} --threads {t}"),
            httpd("wsgid-httpd", "mod_wsgid (httpd.conf)",
                  [f"LoadModule wsgid_module {self.mod_wsgid}"], daemon_body,
                  note=f"hand-written httpd.conf, same directives as mod_wsgi daemon, {p} x {t}"),
            httpd("wsgid-embedded", "mod_wsgid embedded",
                  [f"LoadModule wsgid_module {self.mod_wsgid}"],
                  f"WSGIScriptAlias / {app} application-group=%{{GLOBAL}}\n", embedded=True,
                  note=f"mod_wsgid without a process group (as mod_wsgi embedded): {p} children "
                       f"x {t} threads"),
            Server("wsgid-run", "mod_wsgid (wsgid run)", "wsgid-run",
                   note=f"wsgid run PROFILE --listen, daemon = {{ processes = {p}, threads = {t} }}, "
                        "default sandbox, access log off"),
        ]
        if self.compare_mod_wsgid:
            # A second build in the same run, for an A/B of a change: same config as wsgid-httpd.
            candidates.append(httpd(
                "wsgid-httpd-b", "mod_wsgid B (httpd.conf)",
                [f"LoadModule wsgid_module {self.compare_mod_wsgid}"], daemon_body,
                note=f"wsgid-httpd's config with the build in {self.args.compare_build}"))
        wanted = self.args.servers
        if wanted and self.compare_mod_wsgid and "wsgid-httpd-b" not in wanted:
            wanted = wanted + ["wsgid-httpd-b"]
        for s in candidates:
            if wanted and s.name not in wanted:
                continue
            module = self.compare_mod_wsgid if s.name == "wsgid-httpd-b" else self.mod_wsgid
            if s.name.startswith("wsgid") and not module.exists():
                s.skipped = f"{module} not built"
            if s.kind == "nginx" and not Path(NGINX).exists():
                s.skipped = f"{NGINX} not installed (bench/run.sh installs it)"
            if s.name == "wsgid-run":
                help_text = ""
                if self.wsgid_cli.exists():
                    out = subprocess.run([str(self.wsgid_cli), "--help"], capture_output=True,
                                         text=True, timeout=20)
                    help_text = out.stdout + out.stderr
                if "run PROFILE" not in help_text:
                    s.skipped = f"{self.wsgid_cli} missing or has no `run` command"
            self.servers.append(s)

    # ---------------------------------------------------------------- lifecycle

    def spawn(self, s: Server, d: Path) -> None:
        s.dir = d
        s.dir.mkdir(exist_ok=True)
        os.chmod(s.dir, 0o755)
        out = open(s.dir / "stdout.log", "ab")
        argv, env = self.command(s)
        s.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                  stderr=subprocess.STDOUT, cwd=str(s.dir), env=env,
                                  start_new_session=True)
        out.close()

    def start_backend(self, s: Server) -> str:
        """Start the app server behind a proxy on a UNIX socket; 'ready' once it accepts."""
        b = s.backend
        b.socket = self.tmp / s.name / "app" / "app.sock"
        self.spawn(b, b.socket.parent)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if b.proc.poll() is not None:
                return f"backend exited with {b.proc.returncode}"
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
                    c.connect(str(b.socket))
                return "ready"
            except OSError:
                time.sleep(0.1)  # polling interval while waiting for readiness
        return "backend not listening within 60 s"

    def start(self, s: Server) -> None:
        s.dir = self.tmp / s.name
        s.dir.mkdir(exist_ok=True)
        if s.backend:
            status = self.start_backend(s)
            if status != "ready":
                s.skipped = f"did not start ({status}); log tail: {self.server_logs(s)[-600:]!r}"
                log(f"{s.name}: SKIPPED, {s.skipped}")
                self.stop(s)
                return
        for attempt in range(3):
            s.port = free_port()
            self.spawn(s, self.tmp / s.name)
            status = self.wait_ready(s, deadline=time.monotonic() + 60)
            if status == "ready":
                log(f"{s.name}: up on 127.0.0.1:{s.port} (pid {s.proc.pid})")
                return
            logs = self.server_logs(s)
            self.stop(s, backend=False)
            if "Address already in use" in logs or "address already in use" in logs.lower():
                continue
            s.skipped = f"did not start ({status}); log tail: {logs[-600:]!r}"
            break
        else:
            s.skipped = "no free port after 3 attempts"
        log(f"{s.name}: SKIPPED, {s.skipped}")
        self.stop(s)

    def command(self, s: Server) -> tuple[list[str], dict]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("PYENV", "PYTHON", "VIRTUAL_ENV"))}
        # pyenv's shims come first on this machine's PATH: make sure nothing finds them.
        env["PATH"] = "/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"
        p, t = self.procs_p, self.threads_t
        apps = self.tmp / "apps"
        d = s.dir
        if s.kind == "httpd":
            module_lines, body, embedded = s.conf
            conf = self.httpd_conf(d, s.port, module_lines, body.replace("{dir}", str(d)),
                                   embedded)
            (d / "httpd.conf").write_text(conf)
            return [APACHE, "-d", str(d), "-f", str(d / "httpd.conf"), "-DFOREGROUND"], env
        if s.kind == "gunicorn":
            # Behind nginx: a UNIX socket nginx's workers (www-data) may connect to.
            bind = (["--bind", f"unix:{s.socket}", "--umask", "0"] if s.socket
                    else ["--bind", f"127.0.0.1:{s.port}"])
            common = [SYSTEM_PYTHON, "-m", "gunicorn", *bind,
                      "--chdir", str(apps), "--log-level", "warning", "--graceful-timeout", "5",
                      "--timeout", "60"]
            if s.name != "gunicorn-sync":
                extra = ["--worker-class", "gthread", "--workers", str(p), "--threads", str(t)]
            else:
                extra = ["--worker-class", "sync", "--workers", str(p * t)]
            return common + extra + ["bench_app:application"], env
        if s.kind == "uwsgi":
            s.stop_signal = signal.SIGINT  # SIGTERM means "reload" to older uWSGI
            listen = (["--plugins", "python3", "--socket", str(s.socket), "--chmod-socket=666"]
                      if s.socket else ["--plugins", "http,python3", "--http",
                                        f"127.0.0.1:{s.port}", "--http-keepalive"])
            return [UWSGI, *listen, "--master", "--processes", str(p), "--threads", str(t),
                    "--chdir", str(apps), "--wsgi-file", str(apps / "bench_app.py"),
                    "--need-app", "--disable-logging", "--auto-procname", "--die-on-term",
                    "--buffer-size", "32768"], env
        if s.kind == "wsgid-run":
            logs = d / "logs"
            logs.mkdir(exist_ok=True)
            os.chmod(logs, 0o777)
            profile = d / "bench.toml"
            profile.write_text(f"""# generated by bench/bench.py
[server]
listen = "127.0.0.1:{s.port}"
server_name = "127.0.0.1"
logs = "{logs}"
access_log = "off"
log_level = "warn"
graceful_stop_timeout = "5s"

[[site]]
name = "bench"
server_name = "127.0.0.1"
app = "{apps / 'bench_app.py'}"
daemon = {{ processes = {p}, threads = {t} }}
""")
            return [str(self.wsgid_cli), "run", str(profile), "--out", str(d / "rendered"),
                    "--listen", f"127.0.0.1:{s.port}", "--module", str(self.mod_wsgid)], env
        if s.kind == "nginx":
            (d / "nginx.conf").write_text(self.nginx_conf(d, s.port, s.backend))
            return [NGINX, "-p", f"{d}/", "-c", str(d / "nginx.conf"),
                    "-e", str(d / "error.log")], env
        raise ValueError(s.kind)

    def nginx_conf(self, d: Path, port: int, backend: Server) -> str:
        """Debian's nginx.conf as packaged (www-data, workers per core, 768 connections,
        sendfile), no access log, and the site as Debian's snippets write it: proxy_params,
        or uwsgi_params with uwsgi_pass. Buffering stays on (nginx's default)."""
        if backend.kind == "uwsgi":
            # The uwsgi protocol has one request per connection: no upstream keep-alive.
            location = f"""include {NGINX_ETC}/uwsgi_params;
      uwsgi_pass unix:{backend.socket};"""
            upstream = ""
        else:
            upstream = f"""upstream app {{
    server unix:{backend.socket};
    keepalive 32;
  }}"""
            location = f"""include {NGINX_ETC}/proxy_params;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass http://app;"""
        user = "user www-data;\n" if self.as_root else ""
        temp = "\n  ".join(f"{k}_temp_path {d}/tmp-{k};"
                           for k in ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"])
        return f"""# generated by bench/bench.py
{user}worker_processes auto;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{
  worker_connections 768;
}}
http {{
  sendfile on;
  tcp_nopush on;
  types_hash_max_size 2048;
  include {NGINX_ETC}/mime.types;
  default_type application/octet-stream;
  access_log off;
  keepalive_requests 1000000;
  client_max_body_size 16m;
  {temp}
  {upstream}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      {location}
    }}
  }}
}}
"""

    def wait_ready(self, s: Server, deadline: float) -> str:
        while time.monotonic() < deadline:
            if s.proc.poll() is not None:
                return f"exited with {s.proc.returncode}"
            try:
                status, body = http_request(s.port, "GET", "/hello", timeout=5)
                if status == 200 and body == HELLO:
                    return "ready"
            except OSError:
                pass
            time.sleep(0.1)  # polling interval while waiting for readiness, not synchronisation
        return "not ready within 60 s"

    def stop(self, s: Server, backend: bool = True) -> None:
        self.stop_one(s)
        if backend and s.backend:
            self.stop_one(s.backend)

    def stop_one(self, s: Server) -> None:
        if s.proc is None or s.proc.poll() is not None:
            return
        try:
            os.kill(s.proc.pid, s.stop_signal)
            s.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            log(f"{s.name}: did not stop in 20 s, killing its process group")
            try:
                os.killpg(s.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            s.proc.wait(timeout=10)
        except ProcessLookupError:
            pass

    def server_logs(self, s: Server) -> str:
        text = ""
        for f in sorted(s.dir.rglob("*.log")) if s.dir else []:
            text += read_text(f)[-2000:]
        return text

    # ---------------------------------------------------------------- checks

    def check(self, s: Server, w: Workload) -> str:
        """One request through the workload's URL; '' if the answer is right, else why not."""
        try:
            if w.name == "post1m":
                status, body = http_request(s.port, "POST", w.path, body=self.post_body, timeout=30)
                expect = self.post_expect
            else:
                status, body = http_request(s.port, "GET", w.path, timeout=30)
                expect = {"hello": HELLO, "sleep": HELLO, "get1m": b"x" * MIB,
                          "stream": b"first\n" + b"more\n" * 4}.get(w.name)
            if status != 200:
                return f"status {status}"
            if w.name == "file10m":
                if hashlib.sha256(body).hexdigest() != self.file_sha:
                    return f"wrong body ({len(body)} bytes)"
            elif body != expect:
                return f"wrong body ({len(body)} bytes: {body[:40]!r})"
            return ""
        except (OSError, http.client.HTTPException) as e:
            return f"{type(e).__name__}: {e}"

    # ---------------------------------------------------------------- load

    def wrk(self, s: Server, w: Workload, seconds: int) -> dict | None:
        conns = w.connections or 4 * self.procs_p * self.threads_t
        argv = [WRK, "-t2", f"-c{conns}", f"-d{seconds}s", "--timeout", "10s",
                "-s", str(WRK_SCRIPT), f"http://127.0.0.1:{s.port}{w.path}"]
        env = dict(os.environ, BENCH_BODY_BYTES=str(w.body_bytes))
        try:
            out = subprocess.run(argv, capture_output=True, text=True, env=env,
                                 timeout=seconds + 60)
        except subprocess.TimeoutExpired:
            return None
        for line in out.stdout.splitlines():
            if line.startswith("BENCH_JSON "):
                r = json.loads(line[len("BENCH_JSON "):])
                r["rps"] = r["requests"] / (r["duration_us"] / 1e6) if r["duration_us"] else 0.0
                r["connections"] = conns
                return r
        log(f"{s.name}/{w.name}: wrk printed no result: {out.stdout[-300:]} {out.stderr[-300:]}")
        return None

    def run_loads(self) -> None:
        live = [s for s in self.servers if not s.skipped]
        for w in WORKLOADS:
            if w.name not in self.args.workloads:
                continue
            targets = [s for s in live if (s.python or w.static)]
            targets = [s for s in targets if self.checked(s, w)]
            if not targets:
                continue
            log(f"workload {w.name}: warm-up {self.args.warmup}s on {len(targets)} servers")
            for s in targets:
                self.wrk(s, w, self.args.warmup)
            runs: dict[str, list] = {s.name: [] for s in targets}
            for r in range(self.args.repeats):
                order = targets[r % len(targets):] + targets[:r % len(targets)]
                for s in order:
                    before = cpu_sample(s.roots())
                    res = self.wrk(s, w, self.args.duration)
                    if res:
                        after = cpu_sample(s.roots())
                        res.update(cpu_per_request(before, after, res["requests"]) or {})
                        runs[s.name].append(res)
                line = ", ".join(f"{s.name} {runs[s.name][-1]['rps']:.0f}"
                                 for s in targets if runs[s.name])
                log(f"  {w.name} repeat {r + 1}/{self.args.repeats}: {line}")
            self.results[w.name] = {name: summarize(rs) for name, rs in runs.items() if rs}

    def checked(self, s: Server, w: Workload) -> bool:
        why = self.check(s, w)
        s.checks[w.name] = why or "ok"
        if why:
            log(f"{s.name}/{w.name}: check FAILED ({why}); not measured")
        return not why

    def run_stream(self) -> None:
        if STREAM.name not in self.args.workloads:
            return
        n = self.args.stream_requests
        for s in self.servers:
            if s.skipped or not s.python or not self.checked(s, STREAM):
                continue
            ttfb, total = [], []
            for _ in range(n):
                r = time_to_first_byte(s.port, STREAM.path)
                if r:
                    ttfb.append(r[0])
                    total.append(r[1])
            if ttfb:
                self.stream[s.name] = {
                    "n": len(ttfb),
                    "ttfb_ms": stats([x * 1000 for x in ttfb]),
                    "total_ms": stats([x * 1000 for x in total]),
                }
                log(f"stream {s.name}: TTFB median {self.stream[s.name]['ttfb_ms']['median']:.2f} ms")

    # ---------------------------------------------------------------- memory

    def measure_memory(self, into: dict) -> None:
        for s in self.servers:
            if s.skipped or s.proc is None or s.proc.poll() is not None:
                continue
            into[s.name] = [row for pid, kind in s.roots()
                            for row in process_tree_memory(pid, kind)]

    # ---------------------------------------------------------------- main

    def run(self) -> dict:
        started = time.time()
        load_before = os.getloadavg()
        self.prepare_files()
        self.define_servers()
        try:
            for s in self.servers:
                if not s.skipped:
                    self.start(s)
            # Idle: after start-up and one request each (the readiness check), before load.
            self.measure_memory(self.memory_idle)
            self.run_loads()
            self.run_stream()
            self.measure_memory(self.memory)
        finally:
            for s in self.servers:
                self.stop(s)
            leftovers = [s.name for s in self.servers for x in (s, s.backend)
                         if x and x.proc and x.proc.poll() is None]
            if leftovers:
                log(f"still running after stop: {leftovers}")
        meta = self.meta(started, load_before)
        data = {
            "meta": meta,
            "baseline": BASELINE,
            "workloads": {w.name: {"label": w.label, "path": w.path, "what": w.what,
                                   "connections": w.connections or 4 * self.procs_p * self.threads_t,
                                   "body_bytes": w.body_bytes}
                          for w in WORKLOADS + [STREAM]},
            "servers": {s.name: {"label": s.label, "note": s.note, "skipped": s.skipped,
                                 "checks": s.checks} for s in self.servers},
            "results": self.results,
            "stream": self.stream,
            "memory": self.memory,
            "memory_idle": self.memory_idle,
        }
        add_ratios(data)
        data["targets"] = evaluate_targets(data)
        data["targets_17"] = evaluate_targets_17(data)
        if not self.args.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            log(f"kept run directory {self.tmp}")
        return data

    def meta(self, started: float, load_before) -> dict:
        git = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--",
                                "module", "launcher"], capture_output=True, text=True).stdout
        mtime = ""
        if self.mod_wsgid.exists():
            mtime = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.mod_wsgid.stat().st_mtime))
        cpu = ""
        for line in read_text(Path("/proc/cpuinfo")).splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        return {
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(started)),
            "elapsed_s": round(time.time() - started, 1),
            "git": git + ("+local-changes" if dirty.strip() else ""),
            "build_dir": str(self.build),
            "mod_wsgid_mtime": mtime,
            "cpu": cpu, "cores": os.cpu_count(),
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
            "kernel": platform.release(),
            "processes": self.procs_p, "threads": self.threads_t,
            "duration_s": self.args.duration, "warmup_s": self.args.warmup,
            "repeats": self.args.repeats, "stream_requests": self.args.stream_requests,
            "quick": self.args.quick,
            "versions": {
                "apache": command_version([APACHE, "-v"]).replace("Server version: ", ""),
                "mod_wsgi": dpkg_version("libapache2-mod-wsgi-py3"),
                "gunicorn": dpkg_version("gunicorn"),
                "uwsgi": dpkg_version("uwsgi-core"),
                "nginx": command_version([NGINX, "-v"]).replace("nginx version: ", ""),
                "wrk": dpkg_version("wrk"),
                "python": command_version([SYSTEM_PYTHON, "--version"]),
            },
        }


def dpkg_version(pkg: str) -> str:
    return command_version(["dpkg-query", "-W", "-f=${Version}", pkg])


# --------------------------------------------------------------------------- statistics

def stats(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def summarize(runs: list[dict]) -> dict:
    return {
        "rps": stats([r["rps"] for r in runs]),
        "p50_ms": stats([r["latency_us"]["p50"] / 1000 for r in runs]),
        "p99_ms": stats([r["latency_us"]["p99"] / 1000 for r in runs]),
        "non2xx": sum(r["errors"]["status"] for r in runs),
        "socket_errors": sum(r["errors"][k] for r in runs
                             for k in ("connect", "read", "write", "timeout")),
        "requests": sum(r["requests"] for r in runs),
        "cpu_us_per_req": stats([r["cpu_us_per_req"] for r in runs if "cpu_us_per_req" in r]
                                or [0.0]),
        "switches_per_req": stats([r["switches_per_req"] for r in runs
                                   if "switches_per_req" in r] or [0.0]),
        "cpu_us_by_role": {role: statistics.median(r["cpu_us_by_role"].get(role, 0.0)
                                                   for r in runs if "cpu_us_by_role" in r)
                           for role in sorted({k for r in runs
                                               for k in r.get("cpu_us_by_role", {})})},
        "connections": runs[0]["connections"],
        "runs": runs,
    }


def add_ratios(data: dict) -> None:
    for wname, per_server in data["results"].items():
        base = per_server.get(BASELINE)
        for name, r in per_server.items():
            if base and base["rps"]["median"]:
                b = base["rps"]["median"]
                r["ratio"] = {k: v / b for k, v in r["rps"].items()}
            else:
                r["ratio"] = None
            bc = base["cpu_us_per_req"]["median"] if base else 0.0
            r["cpu_ratio"] = r["cpu_us_per_req"]["median"] / bc if bc else None


def time_to_first_byte(port: int, path: str) -> tuple[float, float] | None:
    """Seconds to the first body byte, and to the end, of one streamed response."""
    req = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            t0 = time.perf_counter()
            sock.sendall(req)
            buf = b""
            first = None
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                buf += chunk
                if first is None:
                    end = buf.find(b"\r\n\r\n")
                    if end >= 0 and len(buf) > end + 4:
                        first = time.perf_counter() - t0
            total = time.perf_counter() - t0
            if first is None or not buf.startswith(b"HTTP/1.1 200"):
                return None
            return first, total
    except OSError:
        return None


# --------------------------------------------------------------------------- memory

def proc_table() -> dict[int, int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        stat = read_text(Path("/proc", entry, "stat"))
        if not stat:
            continue
        # The command name in parentheses may contain spaces: split after the last ')'.
        rest = stat[stat.rfind(")") + 2:].split()
        parents[int(entry)] = int(rest[1])
    return parents


def smaps_rollup(pid: int) -> dict:
    values = {}
    for line in read_text(Path(f"/proc/{pid}/smaps_rollup")).splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[-1] == "kB":
            values[parts[0].rstrip(":")] = int(parts[1])
    return values


def process_role(pid: int, root: int, kind: str, parents: dict[int, int]) -> str:
    cmd = read_text(Path(f"/proc/{pid}/cmdline")).replace("\0", " ").strip()
    try:
        exe = os.readlink(f"/proc/{pid}/exe")
    except OSError:
        exe = ""
    if kind == "nginx":
        return "proxy"  # master and workers: the front that speaks HTTP to the client
    if kind == "gunicorn":
        return "master" if pid == root else "worker"
    if kind == "uwsgi":
        for word, role in (("master", "master"), ("http", "router"), ("worker", "worker")):
            if f"uWSGI {word}" in cmd:
                return role
        return "master" if pid == root else "other"
    if cmd.startswith("(wsgi:"):
        return "daemon"
    if exe.endswith("apache2"):
        try:
            parent_exe = os.readlink(f"/proc/{parents.get(pid, 0)}/exe")
        except OSError:
            parent_exe = ""
        return "worker" if parent_exe.endswith("apache2") else "parent"
    return "launcher" if pid == root else "other"


def process_tree(root: int, parents: dict[int, int]) -> set[int]:
    tree = {root}
    grew = True
    while grew:
        grew = False
        for pid, ppid in parents.items():
            if ppid in tree and pid not in tree:
                tree.add(pid)
                grew = True
    return tree


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_sample(roots: list[tuple[int, str]]) -> dict[int, tuple[float, int, str]]:
    """Per process of the server's trees (a proxy and its backend are two): CPU seconds used so
    far (user + system, all threads), context switches so far (voluntary + involuntary, summed
    over its threads), and its role."""
    out = {}
    parents = proc_table()
    for root, kind, pid in [(r, k, pid) for r, k in roots for pid in process_tree(r, parents)]:
        stat = read_text(Path(f"/proc/{pid}/stat"))
        if not stat:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime
        switches = 0
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            tids = []
        for tid in tids:
            for line in read_text(Path(f"/proc/{pid}/task/{tid}/status")).splitlines():
                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    switches += int(line.split()[1])
        out[pid] = (cpu, switches, process_role(pid, root, kind, parents))
    return out


def cpu_per_request(before: dict, after: dict, requests: int) -> dict | None:
    """Server CPU microseconds (in all and by process role) and context switches per request
    between two samples; processes that ended in between are not counted (their last figures
    are lost with them)."""
    if requests <= 0:
        return None
    cpu, switches, by_role = 0.0, 0, {}
    for pid, (c, sw, role) in after.items():
        c0, sw0, _ = before.get(pid, (0.0, 0, role))
        cpu += c - c0
        switches += sw - sw0
        by_role[role] = by_role.get(role, 0.0) + (c - c0) * 1e6 / requests
    return {"cpu_us_per_req": cpu * 1e6 / requests, "switches_per_req": switches / requests,
            "cpu_us_by_role": by_role}


def process_tree_memory(root: int, kind: str) -> list[dict]:
    parents = proc_table()
    tree = process_tree(root, parents)
    rows = []
    for pid in sorted(tree):
        m = smaps_rollup(pid)
        if not m:
            continue
        rows.append({
            "pid": pid,
            "role": process_role(pid, root, kind, parents),
            "cmd": read_text(Path(f"/proc/{pid}/cmdline")).replace("\0", " ").strip()[:80],
            "rss_kib": m.get("Rss", 0),
            "pss_kib": m.get("Pss", 0),
            "uss_kib": m.get("Private_Clean", 0) + m.get("Private_Dirty", 0),
        })
    return rows


def memory_summary(rows: list[dict]) -> dict:
    out = {}
    for role in sorted({r["role"] for r in rows}):
        rs = [r for r in rows if r["role"] == role]
        out[role] = {
            "count": len(rs),
            "pss_each_mib": statistics.mean(r["pss_kib"] for r in rs) / 1024,
            "uss_each_mib": statistics.mean(r["uss_kib"] for r in rs) / 1024,
            "rss_each_mib": statistics.mean(r["rss_kib"] for r in rs) / 1024,
            "pss_total_mib": sum(r["pss_kib"] for r in rs) / 1024,
        }
    out["total"] = {"pss_mib": sum(r["pss_kib"] for r in rows) / 1024,
                    "uss_mib": sum(r["uss_kib"] for r in rows) / 1024,
                    "rss_mib": sum(r["rss_kib"] for r in rows) / 1024}
    return out


# --------------------------------------------------------------------------- targets

def target_row(what: str, goal: str, measured: str | None, ok) -> dict:
    """One row of a targets table; not measured when there is no measured value."""
    return {"target": what, "goal": goal, "measured": measured,
            "met": None if measured is None else bool(ok)}


def evaluate_targets(data: dict) -> list[dict]:
    """Issue 8's targets for mod_wsgid daemon mode (the hand-written httpd.conf)."""
    me, res = "wsgid-httpd", data["results"]
    targets = []

    def ratio(wl, name=me, base=BASELINE):
        try:
            return res[wl][name]["rps"]["median"] / res[wl][base]["rps"]["median"]
        except (KeyError, ZeroDivisionError):
            return None

    def p99(wl, name):
        try:
            return res[wl][name]["p99_ms"]["median"]
        except KeyError:
            return None

    def add(what, goal, measured, ok):
        targets.append(target_row(what, goal, measured, ok))

    r = ratio("hello")
    add("hello req/s vs mod_wsgi daemon", ">= 2.0x", r and f"{r:.2f}x", r and r >= 2.0)
    a, b = p99("hello", me), p99("hello", BASELINE)
    add("hello p99 vs mod_wsgi daemon", "no worse", a and b and f"{a:.2f} vs {b:.2f} ms",
        a and b and a <= b)
    r = ratio("post1m")
    add("1 MiB POST echo vs mod_wsgi daemon", ">= 4x", r and f"{r:.2f}x", r and r >= 4)
    r = ratio("get1m")
    add("1 MiB GET vs mod_wsgi daemon", ">= 5x", r and f"{r:.2f}x", r and r >= 5)
    r = ratio("file10m", me, "static")
    add("10 MiB file_wrapper vs static httpd", ">= 0.8x", r and f"{r:.2f}x", r and r >= 0.8)
    mem = {k: memory_summary(v) for k, v in data["memory"].items()}
    try:
        w, sw = mem[me]["worker"]["pss_each_mib"], mem["static"]["worker"]["pss_each_mib"]
        add("worker child PSS vs static-only worker", "<= +0.3 MiB",
            f"{w:.2f} vs {sw:.2f} MiB", w <= sw + 0.3)
    except KeyError:
        add("worker child PSS vs static-only worker", "<= +0.3 MiB", None, False)
    try:
        d, md = mem[me]["daemon"]["pss_each_mib"], mem[BASELINE]["daemon"]["pss_each_mib"]
        add("daemon PSS vs mod_wsgi's", "<= 0.9x", f"{d:.2f} vs {md:.2f} MiB", d <= 0.9 * md)
    except KeyError:
        add("daemon PSS vs mod_wsgi's", "<= 0.9x", None, False)
    a, b = p99("sleep", me), p99("sleep", BASELINE)
    errs = res.get("sleep", {}).get(me, {}).get("non2xx")
    add("queueing p99 vs mod_wsgi daemon, no 5xx", "no worse, 0 non-2xx",
        a and b and f"{a:.1f} vs {b:.1f} ms, {errs} non-2xx", a and b and a <= b and errs == 0)
    return targets


def evaluate_targets_17(data: dict) -> list[dict]:
    """Issue 17's targets for mod_wsgid daemon mode against what users deploy, this run."""
    me, res = "wsgid-httpd", data["results"]
    targets = []

    def median(wl, name, key="rps"):
        try:
            return res[wl][name][key]["median"]
        except KeyError:
            return None

    def add(what, goal, measured, ok):
        targets.append(target_row(what, goal, measured, ok))

    def vs(what, wl, other, factor, key="rps", lower=False):
        a, b = median(wl, me, key), median(wl, other, key)
        r = a / b if a is not None and b else None
        add(what, f"{'<=' if lower else '>='} {factor}x", r and f"{r:.2f}x",
            r and (r <= factor if lower else r >= factor))

    vs("1 MiB GET req/s vs static httpd", "get1m", "static", 0.8)
    others = [n for n in res.get("get1m", {}) if n != "static" and not n.startswith("wsgid")]
    best = max(others, key=lambda n: median("get1m", n), default=None)
    vs(f"1 MiB GET req/s vs the best other server ({best})", "get1m", best, 1.0)
    vs("1 MiB POST echo req/s vs mod_wsgi embedded", "post1m", "mod_wsgi-embedded", 1.0)
    vs("hello req/s vs mod_wsgi embedded", "hello", "mod_wsgi-embedded", 0.9)
    vs("hello CPU per request vs mod_wsgi embedded", "hello", "mod_wsgi-embedded", 1.1,
       key="cpu_us_per_req", lower=True)
    a, b = median("hello", me, "p99_ms"), median("hello", "mod_wsgi-embedded", "p99_ms")
    add("hello p99 vs mod_wsgi embedded", "no worse", a and b and f"{a:.2f} vs {b:.2f} ms",
        a and b and a <= b)
    return targets


# --------------------------------------------------------------------------- report

def fmt_int(x: float) -> str:
    return f"{x:,.0f}"


def report_markdown(data: dict) -> str:
    servers = [n for n, s in data["servers"].items() if not s["skipped"]]
    labels = {n: s["label"] for n, s in data["servers"].items()}
    res = data["results"]
    m = data["meta"]
    lines = []
    lines.append(f"Run {m['date']}, git {m['git']}, {m['cores']} cores ({m['cpu']}), "
                 f"{m['processes']} processes x {m['threads']} threads, wrk {m['duration_s']} s "
                 f"x {m['repeats']} (warm-up {m['warmup_s']} s), load average "
                 f"{m['loadavg_before'][0]} before / {m['loadavg_after'][0]} after, "
                 f"{m['elapsed_s'] / 60:.1f} min.")
    lines.append("")
    def ratio_table(title: str, cell) -> None:
        lines.extend([title, "", "| workload | " + " | ".join(labels[n] for n in servers) + " |",
                      "|---|" + "---:|" * len(servers)])
        for w in WORKLOADS:
            if w.name in res:
                cells = [cell(res[w.name].get(n)) for n in servers]
                lines.append(f"| {w.label} | " + " | ".join(cells) + " |")
        lines.append("")

    ratio_table("**Throughput relative to mod_wsgi daemon mode** (median req/s ratio; "
                "`–` not applicable or not measured):",
                lambda r: f"{r['ratio']['median']:.2f}×" if r and r.get("ratio") else "–")
    ratio_table("**Server CPU per request relative to mod_wsgi daemon mode** (median; lower is "
                "better; user + system time of every process of the server, over the requests "
                "wrk completed — less sensitive to other load on the machine than req/s):",
                lambda r: f"{r['cpu_ratio']:.2f}×" if r and r.get("cpu_ratio") else "–")
    lines.append("**Absolute numbers**: req/s median (min–max of the repeats), p99 latency "
                 "median, non-2xx responses and socket errors summed over the repeats, server "
                 "CPU µs and context switches per request (medians):")
    lines.append("")
    for w in WORKLOADS:
        if w.name not in res:
            continue
        first = next(iter(res[w.name].values()))
        lines.append(f"*{w.label}* — `{w.path}`, wrk -t2 -c{first['connections']}")
        lines.append("")
        lines.append("| server | req/s | min–max | × mod_wsgi daemon | p50 ms | p99 ms | non-2xx "
                     "| socket errors | CPU µs/req | by process role | switches/req |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
        for n in servers:
            r = res[w.name].get(n)
            if not r:
                continue
            ratio = f"{r['ratio']['median']:.2f}×" if r.get("ratio") else "–"
            lines.append(f"| {labels[n]} | {fmt_int(r['rps']['median'])} | "
                         f"{fmt_int(r['rps']['min'])}–{fmt_int(r['rps']['max'])} | {ratio} | "
                         f"{r['p50_ms']['median']:.2f} | {r['p99_ms']['median']:.2f} | "
                         f"{r['non2xx']} | {r['socket_errors']} | "
                         f"{r['cpu_us_per_req']['median']:.0f} | "
                         + ", ".join(f"{role} {us:.0f}" for role, us in
                                     r.get("cpu_us_by_role", {}).items() if us >= 0.5)
                         + f" | {r['switches_per_req']['median']:.1f} |")
        lines.append("")
    if data["stream"]:
        lines.append(f"*{STREAM.label}* — `{STREAM.path}`: first chunk at once, the rest "
                     f"100 ms later; {m['stream_requests']} sequential requests")
        lines.append("")
        lines.append("| server | TTFB median ms | min–max ms | whole response median ms |")
        lines.append("|---|---:|---:|---:|")
        for n in servers:
            r = data["stream"].get(n)
            if r:
                t = r["ttfb_ms"]
                lines.append(f"| {labels[n]} | {t['median']:.2f} | {t['min']:.2f}–{t['max']:.2f} | "
                             f"{r['total_ms']['median']:.1f} |")
        lines.append("")
    if data["memory"]:
        lines.append("**Memory after load** (MiB, from /proc/PID/smaps_rollup; USS = "
                     "Private_Clean + Private_Dirty; per process, mean over processes of a role):")
        lines.append("")
        lines.append("| server | role | count | RSS each | PSS each | USS each | PSS each before load |")
        lines.append("|---|---|---:|---:|---:|---:|---:|")
        for n in servers:
            rows = data["memory"].get(n)
            if not rows:
                continue
            summ = memory_summary(rows)
            idle = memory_summary(data.get("memory_idle", {}).get(n) or [])
            for role, v in summ.items():
                if role == "total":
                    continue
                before = f"{idle[role]['pss_each_mib']:.1f}" if role in idle else "–"
                lines.append(f"| {labels[n]} | {role} | {v['count']} | {v['rss_each_mib']:.1f} | "
                             f"{v['pss_each_mib']:.1f} | {v['uss_each_mib']:.1f} | {before} |")
            t = summ["total"]
            lines.append(f"| {labels[n]} | **all** | | {t['rss_mib']:.1f} | **{t['pss_mib']:.1f}** | "
                         f"{t['uss_mib']:.1f} | {idle['total']['pss_mib']:.1f} |")
        lines.append("")
    for key, issue in [("targets", 8), ("targets_17", 17)]:
        if not data.get(key):
            continue
        lines.append(f"**Issue {issue} targets for mod_wsgid daemon mode (httpd.conf), this run:**")
        lines.append("")
        lines.append("| target | goal | measured | met |")
        lines.append("|---|---|---|---|")
        for t in data[key]:
            met = {True: "yes", False: "**no**", None: "not measured"}[t["met"]]
            lines.append(f"| {t['target']} | {t['goal']} | {t['measured'] or '–'} | {met} |")
        lines.append("")
    notes = [(labels[n], s["skipped"]) for n, s in data["servers"].items() if s["skipped"]]
    failed = [(labels[n], w, c) for n, s in data["servers"].items()
              for w, c in s["checks"].items() if c != "ok"]
    if notes or failed:
        lines.append("Notes:")
        for label, why in notes:
            lines.append(f"- {label}: skipped — {why}")
        for label, w, c in failed:
            lines.append(f"- {label}: `{w}` answered wrongly ({c}); not measured")
        lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------- charts

def server_colors() -> dict[str, str]:
    """One colour per server, the same in every chart and every run."""
    colors = ["#7f7f7f", "#1f77b4", "#aec7e8", "#2ca02c", "#98df8a", "#9467bd", "#ff7f0e",
              "#c5b0d5", "#d62728", "#e377c2", "#ff9896", "#8c564b"]
    return dict(zip(SERVER_NAMES, colors))


def gnuplot_charts(data: dict, out_dir: Path) -> list[Path]:
    if not Path(GNUPLOT).exists():
        log("gnuplot not installed: no charts")
        return []
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="wsgid-bench-plot-"))
    servers = [n for n, s in data["servers"].items() if not s["skipped"]]
    labels = {n: s["label"] for n, s in data["servers"].items()}
    res = data["results"]
    wls = [w for w in WORKLOADS if w.name in res]
    made = []
    color = server_colors()
    common = ("set terminal pngcairo noenhanced size 1400,640 font 'DejaVu Sans,11'\n"
              "set style data histogram\nset style fill solid 0.9 border -1\n"
              "set key outside right top vertical\nset grid ytics\n"
              "set datafile missing '?'\nset xtics nomirror\n")

    def cluster_chart(name, title, ylabel, value, logscale=True, ref_line=None, ymin=0.0625):
        dat = work / f"{name}.dat"
        with open(dat, "w") as f:
            for w in wls:
                row = [f'"{w.label}"']
                for n in servers:
                    v = value(w, res[w.name].get(n))
                    row += [f"{x:.6g}" for x in v] if v else ["?", "?", "?"]
                f.write(" ".join(row) + "\n")
        png = out_dir / f"{name}.png"
        plots = []
        for i, n in enumerate(servers):
            c = 2 + 3 * i
            plots.append(f"'{dat}' using {c}:{c + 1}:{c + 2}{':xtic(1)' if i == 0 else ''} "
                         f"title '{labels[n]}' lc rgb '{color[n]}'")
        script = common + (f"set output '{png}'\nset title '{title}'\nset ylabel '{ylabel}'\n"
                           "set style histogram errorbars gap 1 lw 1\nset bars front\n")
        if logscale:
            script += f"set logscale y 2\nset yrange [{ymin}:*]\n"
        else:
            script += "set yrange [0:*]\n"
        if ref_line:
            script += f"set arrow from graph 0, first {ref_line} to graph 1, first {ref_line} nohead dt 2 lw 2 lc rgb 'black' front\n"
        script += "plot " + ", \\\n  ".join(plots) + "\n"
        (work / f"{name}.gp").write_text(script)
        subprocess.run([GNUPLOT, str(work / f"{name}.gp")], check=True)
        made.append(png)

    def ratio(w, r):
        if not r or not r.get("ratio"):
            return None
        q = r["ratio"]
        return q["median"], q["min"], q["max"]

    def spread(key):
        def value(w, r):
            if not r or not r[key]["median"]:
                return None
            q = r[key]
            return q["median"], q["min"], q["max"]
        return value

    cluster_chart("throughput", "Throughput relative to mod_wsgi daemon mode "
                  "(median of repeats, bars show min-max; log scale)",
                  "req/s / mod_wsgi daemon req/s", ratio, ref_line=1)
    cluster_chart("latency_p99", "p99 latency (median of repeats, bars show min-max; log scale)",
                  "p99 latency, ms", spread("p99_ms"))
    cluster_chart("cpu_per_request", "Server CPU time per request, all of its processes "
                  "(median of repeats, bars show min-max; log scale; lower is better)",
                  "CPU microseconds per request", spread("cpu_us_per_req"), ymin=16)

    # Memory: PSS of every role, stacked per server.
    if data["memory"]:
        roles = ["proxy", "parent", "launcher", "master", "router", "worker", "daemon", "other"]
        rows = [(n, memory_summary(data["memory"][n])) for n in servers if n in data["memory"]]
        roles = [r for r in roles if any(r in s for _, s in rows)]
        dat = work / "memory.dat"
        with open(dat, "w") as f:
            for n, s in rows:
                vals = [f"{s[r]['pss_total_mib']:.3f}" if r in s else "0" for r in roles]
                f.write(f'"{labels[n]}" ' + " ".join(vals) + "\n")
        png = out_dir / "memory.png"
        role_colors = {"proxy": "#ff7f0e", "parent": "#1f77b4", "launcher": "#17becf",
                       "master": "#8c564b",
                       "router": "#bcbd22", "worker": "#2ca02c", "daemon": "#d62728",
                       "other": "#7f7f7f"}
        plots = [f"'{dat}' using {i + 2}{':xtic(1)' if i == 0 else ''} title '{r} (all)' "
                 f"lc rgb '{role_colors[r]}'" for i, r in enumerate(roles)]
        script = common + (f"set output '{png}'\nset title 'Proportional set size (PSS) after "
                           "load, by process role, summed'\nset ylabel 'MiB'\n"
                           "set style histogram rowstacked\nset boxwidth 0.6\nset yrange [0:*]\n"
                           "set xtics rotate by -20\n"
                           "plot " + ", \\\n  ".join(plots) + "\n")
        (work / "memory.gp").write_text(script)
        subprocess.run([GNUPLOT, str(work / "memory.gp")], check=True)
        made.append(png)

    if data["stream"]:
        dat = work / "stream.dat"
        names = [n for n in servers if n in data["stream"]]
        with open(dat, "w") as f:
            for i, n in enumerate(names):
                t = data["stream"][n]["ttfb_ms"]
                f.write(f'{i} "{labels[n]}" {t["median"]:.4f} {t["min"]:.4f} {t["max"]:.4f} '
                        f'"{color[n]}"\n')
        png = out_dir / "stream_ttfb.png"
        script = (common.replace("set style data histogram\n", "") +
                  f"set output '{png}'\nset title 'Streaming: time to first body byte "
                  "(median, bars min-max; the app sends its second chunk 100 ms later)'\n"
                  "set ylabel 'ms'\nset logscale y 10\nset boxwidth 0.6\nunset key\n"
                  "set xtics rotate by -20\nset yrange [0.1:300]\n"
                  "set arrow from graph 0, first 100 to graph 1, first 100 nohead dt 2 lw 2 lc rgb 'black' front\n"
                  f"plot '{dat}' using 1:3:xtic(2) with boxes lc rgb '#1f77b4', "
                  f"'{dat}' using 1:3:4:5 with yerrorbars lc rgb 'black' pt 0\n")
        (work / "stream.gp").write_text(script)
        subprocess.run([GNUPLOT, str(work / "stream.gp")], check=True)
        made.append(png)
    shutil.rmtree(work, ignore_errors=True)
    return made


# --------------------------------------------------------------------------- history

HISTORY_RUNS = 20      # runs the history charts show
HISTORY_WORKLOADS = ["hello", "get1m", "post1m", "file10m"]


def history_record(data: dict) -> dict:
    """One run in one compact line: what is needed to follow the ratios across runs."""
    m = data["meta"]
    res = data["results"]
    return {
        "date": m["date"], "git": m["git"], "quick": m["quick"], "cores": m["cores"],
        "processes": m["processes"], "threads": m["threads"], "duration_s": m["duration_s"],
        "repeats": m["repeats"], "loadavg": [m["loadavg_before"][0], m["loadavg_after"][0]],
        "ratio": {w: {n: round(r["ratio"]["median"], 3) for n, r in per.items() if r.get("ratio")}
                  for w, per in res.items()},
        "rps": {w: {n: round(r["rps"]["median"], 1) for n, r in per.items()}
                for w, per in res.items()},
        "cpu_us": {w: {n: round(r["cpu_us_per_req"]["median"], 1) for n, r in per.items()}
                   for w, per in res.items()},
    }


def append_history(path: Path, data: dict) -> list[dict]:
    """Append this run to the history file and return the whole history, oldest first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        f.write(json.dumps(history_record(data), separators=(",", ":"), ensure_ascii=False)
                + "\n")
    runs = []
    for line in read_text(path).splitlines():
        try:
            runs.append(json.loads(line))
        except json.JSONDecodeError:
            log(f"{path}: skipping a line that is not JSON")
    return runs


def history_charts(runs: list[dict], labels: dict[str, str], out_dir: Path) -> list[Path]:
    """Two charts over the last runs: req/s and CPU per request, both relative to mod_wsgi
    daemon mode in the same run, one panel per workload, one line per server."""
    runs = [r for r in runs if r.get("cpu_us")]
    # Quick runs are too noisy to follow a trend: drawn only until there is a full run.
    runs = ([r for r in runs if not r.get("quick")] or runs)[-HISTORY_RUNS:]
    if not runs or not Path(GNUPLOT).exists():
        return []
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="wsgid-bench-history-"))
    try:
        return draw_history(runs, labels, out_dir, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def draw_history(runs: list[dict], labels: dict[str, str], out_dir: Path,
                 work: Path) -> list[Path]:
    color = server_colors()
    workloads = [w for w in HISTORY_WORKLOADS if any(w in r["ratio"] for r in runs)]

    def rps_ratio(r, w, n):
        return r["ratio"].get(w, {}).get(n)

    def cpu_ratio(r, w, n):
        cpu = r["cpu_us"].get(w, {})
        return cpu[n] / cpu[BASELINE] if cpu.get(n) and cpu.get(BASELINE) else None

    made = []
    for name, what, value in [("history_throughput", "req/s", rps_ratio),
                              ("history_cpu", "server CPU per request", cpu_ratio)]:
        panels = []
        for w in workloads:
            servers = [n for n in SERVER_NAMES if any(value(r, w, n) for r in runs)]
            if not servers:
                continue
            dat = work / f"{name}-{w}.dat"
            with open(dat, "w") as f:
                for i, r in enumerate(runs):
                    tic = f"{r['date'][5:16]} {r['git']}{' *' if r.get('quick') else ''}"
                    vals = [value(r, w, n) for n in servers]
                    f.write(f'{i} "{tic}" ' + " ".join("?" if v is None else f"{v:.4g}"
                                                       for v in vals) + "\n")
            label = next(x.label for x in WORKLOADS if x.name == w)
            plots = [f"'{dat}' using 1:{c + 3}{':xtic(2)' if c == 0 else ''} "
                     f"title '{labels.get(n, n)}' with linespoints lw 2 pt 7 "
                     f"lc rgb '{color.get(n, '#000000')}'"
                     for c, n in enumerate(servers)]
            panels.append(f"set title '{label}'\nplot " + ", \\\n  ".join(plots) + "\n")
        if not panels:
            continue
        png = out_dir / f"{name}.png"
        rows = (len(panels) + 1) // 2
        script = (f"set terminal pngcairo noenhanced size 1800,{520 * rows} font 'DejaVu Sans,10'\n"
                  f"set output '{png}'\nset datafile missing '?'\nset grid ytics\n"
                  "set key outside right top vertical\nset xtics rotate by -30 nomirror\n"
                  f"set xrange [-0.5:{len(runs) - 0.5}]\n"
                  f"set ylabel '{what} / mod_wsgi daemon'\nset logscale y 2\n"
                  "set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 2 "
                  "lc rgb 'black' front\n"
                  f"set multiplot layout {rows},2 title '{what} relative to mod_wsgi daemon mode "
                  f"in the same run, last {len(runs)} runs (* quick run: noisier)'\n"
                  + "".join(panels) + "unset multiplot\n")
        (work / f"{name}.gp").write_text(script)
        subprocess.run([GNUPLOT, str(work / f"{name}.gp")], check=True)
        made.append(png)
    return made


# --------------------------------------------------------------------------- CLI

def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=int, default=5, help="seconds per measured wrk run (5)")
    ap.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per server and workload (2)")
    ap.add_argument("--repeats", type=int, default=3, help="measured runs per server and workload (3)")
    ap.add_argument("--stream-requests", type=int, default=20, help="requests for streaming TTFB (20)")
    ap.add_argument("--processes", type=int, default=2, help="processes for every server (2)")
    ap.add_argument("--threads", type=int, default=8, help="threads per process for every server (8)")
    ap.add_argument("--servers", default="", help="comma-separated subset of servers")
    ap.add_argument("--workloads", default="", help="comma-separated subset of workloads")
    ap.add_argument("--quick", action="store_true", help="smoke run: 2 s runs, 1 s warm-up, 1 repeat")
    ap.add_argument("--build-dir", default=os.environ.get("WSGID_BUILD_DIR", str(REPO / "build")))
    ap.add_argument("--json", default=str(BENCH_DIR / "results" / "latest.json"))
    ap.add_argument("--charts", default=str(REPO / "docs" / "performance"),
                    help="directory for PNG charts ('' for none)")
    ap.add_argument("--history", default=None,
                    help="JSON-lines file this run is appended to and the history charts are "
                         "drawn from (default: history.jsonl beside --json; '' for none)")
    ap.add_argument("--keep", action="store_true", help="keep the run directory (configs, logs)")
    ap.add_argument("--compare-build", default="",
                    help="another build tree: adds server wsgid-httpd-b (wsgid-httpd's config, "
                         "that build's mod_wsgid) for an A/B in one run")
    args = ap.parse_args(argv)
    if args.quick:
        args.duration, args.warmup, args.repeats, args.stream_requests = 2, 1, 1, 5
    args.servers = [s for s in args.servers.split(",") if s]
    for s in args.servers:
        if s not in SERVER_NAMES:
            ap.error(f"unknown server {s!r}; known: {', '.join(SERVER_NAMES)}")
    args.workloads = [w for w in args.workloads.split(",") if w] or ALL_WORKLOADS
    for w in args.workloads:
        if w not in ALL_WORKLOADS:
            ap.error(f"unknown workload {w!r}; known: {', '.join(ALL_WORKLOADS)}")
    if args.compare_build and not (Path(args.compare_build) / "module" / "mod_wsgid.so").exists():
        ap.error(f"--compare-build {args.compare_build}: no module/mod_wsgid.so there")
    if args.duration < 1 or args.repeats < 1 or args.warmup < 1:
        ap.error("--duration, --warmup and --repeats must be at least 1")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if Path(sys.executable).resolve() != Path(SYSTEM_PYTHON).resolve():
        log(f"warning: running under {sys.executable}, not {SYSTEM_PYTHON}")
    try:
        pwd.getpwnam("www-data")
    except KeyError:
        log("user www-data does not exist")
        return 1
    bench = Bench(args)
    data = bench.run()
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=1) + "\n")
    text = report_markdown(data)
    out.with_suffix(".md").write_text(text + "\n")
    print()
    print(text)
    log(f"wrote {out} and {out.with_suffix('.md')}")
    history = (out.parent / "history.jsonl" if args.history is None
               else Path(args.history) if args.history else None)
    runs = append_history(history, data) if history and data["results"] else []
    if history and runs:
        log(f"appended this run to {history} ({len(runs)} runs)")
    if args.charts:
        labels = {n: s["label"] for n, s in data["servers"].items()}
        for r in runs:  # labels of servers not in this run, from the names
            for per in r["ratio"].values():
                for n in per:
                    labels.setdefault(n, n)
        for png in gnuplot_charts(data, Path(args.charts)) + history_charts(runs, labels,
                                                                             Path(args.charts)):
            log(f"chart {png}")
    measured = sum(len(v) for v in data["results"].values())
    return 0 if measured else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
