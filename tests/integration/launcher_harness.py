"""Run `wsgid run PROFILE` as a user would, on a free port, and stop it by pid.

The launcher renders into --out DIR, so the tests can read the rendered config and the logs a
profile's `logs = "DIR"` sends there. Every wait polls with a deadline.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpd_harness as hh


def launcher_path() -> Path:
    env = os.environ.get("WSGID_LAUNCHER")
    if env:
        return Path(env)
    for build in ("build", "build-lead", "build-integration"):
        candidate = hh.REPO_ROOT / build / "launcher" / "wsgid"
        if candidate.exists():
            return candidate
    raise hh.HarnessError("wsgid launcher not found (set WSGID_LAUNCHER)")


def launcher_env() -> dict:
    env = dict(os.environ)
    if "WSGID_MODULE" not in env:
        env["WSGID_MODULE"] = str(hh.wsgid_module_path())
    return env


def copy_tree_readable(src: Path, dst: Path):
    """Copies a profile folder so that the unprivileged httpd user can read every file."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
    for root, dirs, files in os.walk(dst):
        os.chmod(root, 0o755)
        for f in files:
            os.chmod(os.path.join(root, f), 0o644)


def check(profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(launcher_path()), "check", str(profile)], capture_output=True,
                          text=True, timeout=60, env=launcher_env())


@dataclass
class Launched:
    tmp: Path
    profile: Path
    port: int = 0
    proc: subprocess.Popen | None = None
    # Run the launcher (and so httpd, its workers and daemons) as this user instead of the
    # test's: with a non-root user every process shares one uid, as in the container image.
    user: str | None = None
    # The launcher's stdout+stderr, read through a pipe: httpd reopens /dev/stderr and would
    # overwrite a shared file from its own offset.
    _lines: list = field(default_factory=list)

    @property
    def out(self) -> Path:
        return self.tmp / "run"

    def start(self, timeout: float = 30.0) -> "Launched":
        self.port = hh.free_port()
        self.proc = subprocess.Popen(
            [str(launcher_path()), "run", str(self.profile), "--listen",
             f"127.0.0.1:{self.port}", "--out", str(self.out)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True, env=launcher_env(), **self._identity())
        threading.Thread(target=self._read_output, daemon=True).start()
        hh.poll(lambda: self.proc.poll() is not None or "ready on" in self.output(), timeout,
                what="wsgid run to say it is ready")
        if self.proc.poll() is not None:
            raise hh.HarnessError(f"wsgid run exited {self.proc.returncode}:\n{self.output()}")
        return self

    def _identity(self) -> dict:
        if self.user is None:
            return {}
        return {"user": self.user, "group": self.user, "extra_groups": []}

    def _read_output(self):
        for line in self.proc.stdout:
            self._lines.append(line.decode(errors="replace"))

    def output(self) -> str:
        return "".join(self._lines)

    def httpd_pid(self) -> int:
        return hh.poll(lambda: next((p for p in hh.children_of(self.proc.pid)
                                     if "apache2" in hh.cmdline(p)), None), 10, what="httpd")

    def daemon_pids(self, group: str) -> list[int]:
        parent = self.httpd_pid()
        return [p for p in hh.children_of(parent) if f"(wsgi:{group})" in hh.cmdline(p)]

    def worker_pids(self) -> list[int]:
        parent = self.httpd_pid()
        return [p for p in hh.children_of(parent) if "(wsgi:" not in hh.cmdline(p)]

    def get(self, path: str, host: str = "localhost", **kw) -> hh.Response:
        return hh.http_request(self.port, "GET", path, host=host, **kw)

    def wait_ok(self, path: str = "/", host: str = "localhost", timeout: float = 20.0):
        return hh.poll(lambda: (lambda r: r if r.status == 200 else None)(
            _try(lambda: self.get(path, host=host))), timeout, what=f"200 from {path}")

    def wait_output(self, needle: str, timeout: float = 10.0) -> str:
        return hh.poll(lambda: self.output() if needle in self.output() else None, timeout,
                       what=f"{needle!r} in the launcher's output")

    def stop(self, timeout: float = 40.0) -> int | None:
        if not self.proc or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
            raise hh.HarnessError("wsgid run did not stop within the deadline")


@contextmanager
def shipped_profile(name: str, edit=None):
    """`wsgid run` on a copy of profiles/NAME (edited by `edit(text)` if given), stopped and
    removed afterwards. Yields the started Launched."""
    tmp = hh.make_tmp()
    copy_tree_readable(hh.REPO_ROOT / "profiles", tmp / "profile")
    profile = tmp / "profile" / name
    if edit is not None:  # a variant of the shipped profile, beside it so paths still work
        profile.write_text(edit(profile.read_text()))
    launched = Launched(tmp=tmp, profile=profile)
    try:
        yield launched.start()
    finally:
        try:
            launched.stop()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def _try(fn):
    try:
        return fn()
    except OSError:
        return None
