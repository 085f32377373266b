"""The per-site seccomp sandbox, end to end: `wsgid run` compiles the profile's policy, the
module applies it in each daemon after start-up; httpd's own processes stay unfiltered."""

import re
import textwrap

import pytest

import httpd_harness as hh
import launcher_harness as lh

pytestmark = pytest.mark.wsgid_only("seccomp sandboxes are wsgid's")

PROBE_PROFILE = """
[server]
listen = "127.0.0.1:8080"

[[site]]
name = "probe"
server_name = "localhost"
app = "apps/sandbox_probe.wsgi"
daemon = {{ processes = 1, threads = 2 }}
sandbox = {{ {sandbox} }}
"""


def seccomp_mode(pid: int) -> int:
    status = open(f"/proc/{pid}/status").read()
    return int(re.search(r"^Seccomp:\s+(\d+)", status, re.M).group(1))


@pytest.mark.parametrize("profile,path,expect", [
    ("hello.toml", "/", b"Hello"),
    ("flask.toml", "/", b"Flask"),
    ("django.toml", "/", b""),
])
def test_shipped_profiles_serve_under_the_default_policy(launch, flavour, profile, path, expect):
    run = launch(profile_dir=hh.REPO_ROOT / "profiles", profile=profile)
    r = run.wait_ok(path)
    assert expect in r.body
    group = profile.removesuffix(".toml")
    # Every daemon of the group filters itself once it has started (not only the one that
    # answered first).
    hh.poll(lambda: (lambda d: d and all(seccomp_mode(p) == 2 for p in d))(run.daemon_pids(group)),
            20, what=f"all daemons of {group} under seccomp")


def test_default_policy_denies_dangerous_syscalls_with_eperm(launch, flavour):
    run = launch(PROBE_PROFILE.format(sandbox='seccomp = "default"'))
    r = run.wait_ok("/syscalls")
    lines = dict(line.split("=", 1) for line in r.body.decode().splitlines())
    assert lines == {name: "-1:Operation not permitted" for name in
                     ("ptrace", "mount", "unshare", "kexec_load", "bpf", "init_module")}


def test_default_policy_allows_subprocess(launch, flavour):
    run = launch(PROBE_PROFILE.format(sandbox='seccomp = "default"'))
    assert run.wait_ok("/subprocess").body == b"ran\n"


def test_deny_process_makes_subprocess_fail_and_the_daemon_survives(launch, flavour):
    run = launch(PROBE_PROFILE.format(sandbox='deny = ["@process"], action = "errno"'))
    run.wait_ok("/")
    [before] = run.daemon_pids("probe")
    r = run.get("/subprocess")
    assert r.status == 500
    assert "PermissionError" in run.wait_output("PermissionError")
    assert run.get("/").status == 200
    assert run.daemon_pids("probe") == [before]


def test_kill_action_kills_the_daemon_logs_the_syscall_and_it_is_restarted(launch, flavour):
    run = launch(PROBE_PROFILE.format(sandbox='deny = ["@process"], action = "kill"'))
    run.wait_ok("/")
    [before] = run.daemon_pids("probe")
    assert run.get("/subprocess").status == 502
    out = run.wait_output("WSGID3031")
    # CPython forks with vfork() while blocking every signal: the denial is still named.
    assert re.search(r"WSGID3031: seccomp denied syscall (vfork|clone|fork) \(\d+\) in thread \d+", out), out
    run.wait_ok("/")
    after = run.daemon_pids("probe")
    assert after and before not in after


def test_learning_mode_logs_denied_calls_by_name_and_lets_them_run(launch, flavour):
    run = launch(PROBE_PROFILE.format(sandbox='deny = ["@process"], action = "log"'))
    assert run.wait_ok("/subprocess").body == b"ran\n"
    out = run.wait_output("WSGID3032")
    assert re.search(r"WSGID3032: seccomp \(learning mode\) allowed syscall (vfork|clone|fork) \(\d+\)", out), out
    # The child's execve is reported too: everything the app would need is in the log.
    assert "allowed syscall execve" in run.wait_output("execve")


def test_httpd_parent_and_workers_are_not_filtered(launch, flavour):
    run = launch(PROBE_PROFILE.format(sandbox='seccomp = "default"'))
    run.wait_ok("/")
    assert seccomp_mode(run.httpd_pid()) == 0
    workers = run.worker_pids()
    assert workers and all(seccomp_mode(p) == 0 for p in workers)
    assert all(seccomp_mode(p) == 2 for p in run.daemon_pids("probe"))


def test_unknown_group_in_a_policy_is_a_profile_error_with_its_position(tmp_path):
    profile = tmp_path / "site.toml"
    app = tmp_path / "app.wsgi"
    app.write_text("def application(e, s):\n    pass\n")
    profile.write_text(textwrap.dedent("""
        [[site]]
        name = "s"
        server_name = "localhost"
        app = "app.wsgi"
        sandbox = { deny = ["@proces"] }
        """))
    result = lh.check(profile)
    assert result.returncode == 3
    assert re.search(r"site\.toml:6:\d+: error WSGID3001: .*@proces.*did you mean \"@process\"",
                     result.stdout + result.stderr), result.stdout + result.stderr


def test_a_daemon_whose_filter_cannot_load_never_serves(httpd_factory, flavour):
    # A hand-written config naming a corrupt filter: the daemon must refuse to run unsandboxed.
    body = """
WSGIRestrictEmbedded On
WSGIDaemonProcess s threads=1 connect-timeout=1 socket-timeout=2 seccomp-filter=@TMP@/bad.bpf
WSGIScriptAlias / @APPS@/hello.wsgi process-group=s application-group=%{GLOBAL}
"""
    server = httpd_factory(body, flavour, start=False)
    (server.tmp / "bad.bpf").write_bytes(b"not a BPF program")  # 17 bytes: not whole instructions
    (server.tmp / "bad.bpf").chmod(0o644)
    server.start()
    log = server.wait_log("WSGID0206")
    assert "bad.bpf" in log and "WSGID3022" in log
    server.wait_log("during start-up")
    assert server.get("/", timeout=30).status in (503, 504)
    assert "Hello" not in server.read_log()
