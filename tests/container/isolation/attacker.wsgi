# Site A's app in tests/container/test_isolation.sh: another site's app turned attacker.
#
# POST /attack with a plan, one attempt a line: WHAT<TAB>OP<TAB>ARGUMENT (further columns are the
# test's). It tries each, all in one request, and answers {WHAT: outcome} as JSON, judging
# nothing (the test does):
#   read PATH, list PATH, write PATH    "ok:..." or "err:<Exception>:<errno>"
#   kill PID:SIGNAL                     the same
#   abstract NAME                       connect to the abstract UNIX socket "@NAME"
#   socket PATH:SCRIPT                  a forged worker request (REMOTE_USER=admin, SCRIPT_FILENAME
#                                       SCRIPT) to that daemon socket, in both Hello layouts:
#                                       "connected=BOOL reply=HEX ..." per layout
#   silent PATH...                      connect to each socket, send nothing, and wait until
#                                       the daemon closes: "closed after N s" for each
# GET /pid: this daemon's pid.
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import forged_request  # noqa: E402  tests/apps/forged_request.py, copied beside this file
import isolation_probe as probe  # noqa: E402  tests/apps/isolation_probe.wsgi, copied as .py


def forged(argument):
    path, script = argument.rsplit(":", 1)
    return " | ".join("v%d connected=%s reply=%s %s" % (r["version"], r["connected"], r["reply"],
                                                       r.get("error", ""))
                      for r in forged_request.attack(path, script))


def silent(argument):
    """Connections that never send their Hello, all open at once: each daemon must close them
    (after its Hello timeout) without giving them a request thread."""
    started = time.monotonic()
    conns = []
    for path in argument.split():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(50)
        s.connect(path)
        conns.append(s)
    out = []
    for s in conns:
        with s:
            out.append("closed after %.1f s" % (time.monotonic() - started) if s.recv(1) == b""
                       else "answered")
    return " | ".join(out)


def signal_(argument):
    pid, sig = (int(x) for x in argument.split(":"))
    return os.kill(pid, sig)


OPS = {
    "read": lambda arg: probe.attempt(lambda: probe.read(arg)),
    "list": lambda arg: probe.attempt(lambda: len(os.listdir(arg))),
    "write": lambda arg: probe.attempt(lambda: probe.write(arg)),
    "kill": lambda arg: probe.attempt(lambda: signal_(arg)),
    "abstract": lambda arg: probe.attempt(lambda: probe.connect_abstract(arg)),
    "socket": forged,
    "silent": lambda arg: probe.attempt(lambda: silent(arg)),
}


def application(environ, start_response):
    if environ.get("PATH_INFO") == "/attack":
        plan = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).decode()
        report = {}
        for line in plan.splitlines():
            if line.strip():
                what, op, argument = line.split("\t")[:3]
                report[what] = OPS[op](argument)
        body = json.dumps(report, indent=1).encode()
    else:
        body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]
