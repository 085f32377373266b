"""Sites from one profile are separated by file ownership when `wsgid run` starts as root.

Each site's daemons run as a uid of their own (issue 13, item 2); the rendered files, env
values and logs are readable only by who must read them (items 5, 6). The attacks run from
site A's app, as an unrelated local user (`nobody`), and against the rendered files on disk.
"""

import json
import os
import pwd
import signal
import stat
import subprocess
import urllib.parse
from pathlib import Path

import pytest

import httpd_harness as hh
import launcher_harness as lh

pytestmark = [
    pytest.mark.wsgid_only("the launcher is wsgid's"),
    pytest.mark.skipif(os.geteuid() != 0, reason="per-site uids need wsgid to start as root"),
]

# The probe: answers what its process is and what it may do, one operation per request.
PROBE_APP = r'''
import errno, json, os

def attempt(fn):
    try:
        fn()
        return "ok"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))

def application(environ, start_response):
    q = dict(p.split("=", 1) for p in environ.get("QUERY_STRING", "").split("&") if "=" in p)
    import urllib.parse
    arg = urllib.parse.unquote(q.get("path", ""))
    op = q.get("op", "whoami")
    if op == "whoami":
        out = {"uid": os.getuid(), "gid": os.getgid(), "euid": os.geteuid(),
               "groups": os.getgroups(), "env": dict(os.environ)}
    elif op == "read":
        out = {"result": attempt(lambda: open(arg, "rb").read(1))}
    elif op == "list":
        out = {"result": attempt(lambda: os.listdir(arg))}
    elif op == "write":
        def write():
            with open(arg, "w") as f:
                f.write("x")
        out = {"result": attempt(write)}
    elif op == "fds":
        fds = {}
        for fd in os.listdir("/proc/self/fd"):
            try:
                fds[fd] = os.readlink("/proc/self/fd/" + fd)
            except OSError:
                pass
        out = {"fds": fds}
    body = json.dumps(out).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]
'''

PROFILE = """
[server]
listen = "127.0.0.1:8080"
logs = "logs"

[[site]]
name = "alpha"
server_name = "alpha.localhost"
app = "apps/alpha.py"
error_log = "logs/alpha.log"
env = {{ SECRET_A = "alpha-secret-{marker}" }}

[[site]]
name = "beta"
server_name = "beta.localhost"
app = "apps/beta.py"
error_log = "logs/beta.log"
env = {{ SECRET_B = "beta-secret-{marker}", TRICKY = "it's \\"quoted\\" = ${{HOME}} %{{GLOBAL}}" }}

[[site]]
name = "named"
server_name = "named.localhost"
app = "apps/named.py"
daemon = {{ user = "daemon" }}
"""


def launch():
    tmp = hh.make_tmp()
    marker = os.urandom(6).hex()
    apps = tmp / "apps"
    for site in ("alpha", "beta", "named"):
        (apps / f"{site}.py").write_text(PROBE_APP)
        os.chmod(apps / f"{site}.py", 0o644)
    (tmp / "logs").mkdir(mode=0o755)
    (tmp / "site.toml").write_text(PROFILE.format(marker=marker))
    launched = lh.Launched(tmp=tmp, profile=tmp / "site.toml")
    launched.marker = marker
    try:
        launched.start()
        for site in ("alpha", "beta", "named"):
            launched.wait_ok("/", host=f"{site}.localhost")
    except BaseException:
        stop(launched)
        raise
    return launched


def stop(launched):
    try:
        launched.stop()
    finally:
        hh.shutil.rmtree(launched.tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def run():
    launched = launch()
    yield launched
    stop(launched)


def ask(run, site, op, path=""):
    query = urllib.parse.urlencode({"op": op, "path": str(path)})
    response = run.get(f"/?{query}", host=f"{site}.localhost")
    assert response.status == 200, response.body[:500]
    return json.loads(response.body)


def env_file(run, site):
    # Found by prefix, so this test also ran (and failed) against the old `NAME.env.py`.
    return next((run.out / "sites").glob(f"{site}.env*"))


def rendered_files(run):
    out = run.out
    files = [out / "httpd.conf"]
    files += sorted((out / "sites").iterdir()) + sorted((out / "seccomp").iterdir())
    return [f for f in files if f.is_file()]


def test_each_site_runs_as_its_own_uid_neither_root_nor_the_workers(run):
    www = pwd.getpwnam("www-data")
    alpha = ask(run, "alpha", "whoami")
    beta = ask(run, "beta", "whoami")
    assert alpha["uid"] != beta["uid"]
    assert alpha["gid"] != beta["gid"]
    for who in (alpha, beta):
        assert who["uid"] not in (0, www.pw_uid)
        assert who["euid"] == who["uid"]
        assert who["gid"] not in (0, www.pw_gid)
        # A uid without a passwd entry gets no one else's supplementary groups.
        assert set(who["groups"]) <= {who["gid"]}
    # The kernel agrees for every daemon process, not just the one that answered.
    for group, who in (("alpha", alpha), ("beta", beta)):
        for pid in run.daemon_pids(group):
            status = Path(f"/proc/{pid}/status").read_text()
            uids = next(line for line in status.splitlines() if line.startswith("Uid:")).split()
            assert set(uids[1:]) == {str(who["uid"])}, (group, pid, status)


def test_a_site_with_a_named_user_runs_as_that_user(run):
    named = ask(run, "named", "whoami")
    daemon = pwd.getpwnam("daemon")
    assert (named["uid"], named["gid"]) == (daemon.pw_uid, daemon.pw_gid)


def test_an_app_sees_its_own_env_values_and_a_private_home_and_tmpdir(run):
    alpha = ask(run, "alpha", "whoami")
    env = alpha["env"]
    assert env["SECRET_A"] == f"alpha-secret-{run.marker}"
    assert "SECRET_B" not in env
    assert ask(run, "beta", "whoami")["env"]["TRICKY"] == "it's \"quoted\" = ${HOME} %{GLOBAL}"
    home, tmpdir = Path(env["HOME"]), Path(env["TMPDIR"])
    assert home != tmpdir
    for d in (home, tmpdir):
        st = d.stat()
        assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (alpha["uid"], 0o700), d
    # HOME is the working directory; under Landlock only TMPDIR is writable (docs/sandbox.md).
    assert ask(run, "alpha", "write", tmpdir / "probe.txt")["result"] == "ok"
    beta_env = ask(run, "beta", "whoami")["env"]
    assert ask(run, "alpha", "write", Path(beta_env["TMPDIR"]) / "x")["result"] == "EACCES"
    assert ask(run, "alpha", "list", beta_env["HOME"])["result"] == "EACCES"


def test_site_a_cannot_read_b_secrets_configs_logs_or_list_the_runtime_dir(run):
    out = run.out
    for path in (env_file(run, "beta"), out / "sites" / "beta.conf", out / "httpd.conf",
                 out / "seccomp" / "beta.bpf", run.tmp / "logs" / "beta.log",
                 run.tmp / "logs" / "error.log"):
        assert path.exists(), path
        assert ask(run, "alpha", "read", path)["result"] == "EACCES", path
    for directory in (out, out / "sites", out / "seccomp", out / "run", out / "home", out / "tmp"):
        assert ask(run, "alpha", "list", directory)["result"] == "EACCES", directory


def test_an_unrelated_user_reads_no_rendered_file(run):
    files = rendered_files(run)
    assert env_file(run, "alpha") in files
    for f in files + [run.tmp / "logs" / "alpha.log", run.tmp / "logs" / "beta.log"]:
        mode = stat.S_IMODE(f.stat().st_mode)
        assert mode & 0o077 == 0, f"{f} is {oct(mode)}"
        result = subprocess.run(
            ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "cat", str(f)],
            capture_output=True, timeout=30)
        assert result.returncode != 0 and b"Permission denied" in result.stderr, f
    listing = subprocess.run(
        ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "ls", str(run.out)],
        capture_output=True, timeout=30)
    assert listing.returncode != 0, listing.stdout


def test_env_values_stay_out_of_configs_argv_and_process_titles(run):
    secret = f"beta-secret-{run.marker}".encode()
    for f in rendered_files(run):
        assert (secret in f.read_bytes()) == (f == env_file(run, "beta")), f
    for pid in run.daemon_pids("beta") + run.daemon_pids("alpha") + [run.httpd_pid()]:
        assert secret not in Path(f"/proc/{pid}/cmdline").read_bytes(), pid
    assert secret.decode() not in run.output()


def test_a_sites_daemon_holds_its_own_log_and_no_other_sites(run):
    fds = ask(run, "alpha", "fds")["fds"]
    targets = set(fds.values())
    logs = run.tmp / "logs"
    assert str(logs / "alpha.log") in targets, fds
    assert str(logs / "beta.log") not in targets, fds
    assert str(logs / "error.log") not in targets, fds
    assert not any(str(run.out / "sites") in t for t in targets), fds


def test_a_reload_keeps_each_sites_uid_and_directories_and_applies_new_env_values():
    run = launch()
    try:
        before = ask(run, "beta", "whoami")
        home = Path(before["env"]["HOME"])
        profile = run.profile.read_text()
        run.profile.write_text(profile.replace(f"beta-secret-{run.marker}", "rotated"))
        os.kill(run.proc.pid, signal.SIGHUP)
        after = hh.poll(lambda: (lambda w: w if w["env"].get("SECRET_B") == "rotated" else None)(
            ask(run, "beta", "whoami")), 60, what="beta's daemons to see the new env value")
        assert after["uid"] == before["uid"]
        # Only an env value changed: the configs httpd reads render the same, uids included.
        run.wait_output("configuration reloaded; httpd unchanged", timeout=60)
        assert ask(run, "alpha", "whoami")["uid"] != after["uid"]
        assert (home.stat().st_uid, stat.S_IMODE(home.stat().st_mode)) == (after["uid"], 0o700)
        env = env_file(run, "beta")
        assert (env.stat().st_uid, stat.S_IMODE(env.stat().st_mode)) == (0, 0o600)
    finally:
        stop(run)
