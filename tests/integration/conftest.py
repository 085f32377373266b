"""pytest wiring for the integration tests: flavours, the httpd and `wsgid run` factories, logs
on failure.

Every test that takes the `flavour` fixture runs once per flavour chosen by
WSGID_TEST_FLAVOURS ("wsgid", "mod_wsgi" or both, comma separated; both by default).
Running against Debian's mod_wsgi proves the harness and the apps are right; behaviour
mod_wsgi lacks is marked:

  @pytest.mark.wsgid_only("why")              skipped for mod_wsgi
  @pytest.mark.mod_wsgi_differs("why")        expected to fail (strictly) for mod_wsgi: proves
                                              the test detects the weakness we fix
                                              (strict=False where mod_wsgi's failure is timing
                                              dependent)
"""

import os
import shutil
import textwrap

import pytest

import httpd_harness as hh
import launcher_harness as lh


def pytest_configure(config):
    config.addinivalue_line("markers", "wsgid_only(reason): behaviour mod_wsgi lacks; skipped for mod_wsgi")
    config.addinivalue_line("markers", "mod_wsgi_differs(reason): strict xfail for mod_wsgi")


def pytest_generate_tests(metafunc):
    if "flavour" in metafunc.fixturenames:
        metafunc.parametrize("flavour", hh.selected_flavours(), indirect=True)


@pytest.fixture
def flavour(request):
    value = request.param
    if value == "mod_wsgi":
        only = request.node.get_closest_marker("wsgid_only")
        # WSGID_TEST_RUN_WSGID_ONLY=1 runs them anyway, to watch mod_wsgi fail them.
        if only and not os.environ.get("WSGID_TEST_RUN_WSGID_ONLY"):
            pytest.skip(f"wsgid-only: {only.args[0] if only.args else ''}")
        differs = request.node.get_closest_marker("mod_wsgi_differs")
        if differs:
            request.applymarker(pytest.mark.xfail(reason=differs.args[0] if differs.args else "",
                                                  strict=differs.kwargs.get("strict", True)))
    return value


def stop_each(things) -> list[str]:
    """Stops every server or launcher run, whatever the others do; the problems, as text."""
    problems = []
    for thing in things:
        try:
            thing.stop()
        except Exception as e:  # keep cleaning up the others
            problems.append(f"{thing.tmp}: stop failed: {e!r}")
    return problems


def remove_tmps(request, things, problems: list[str]):
    """Removes their temp dirs (WSGID_KEEP_TMP=1 keeps a failed test's), then fails the test
    with the cleanup problems, if any."""
    failed = any(getattr(request.node, f"rep_{w}", None) is not None and
                 getattr(request.node, f"rep_{w}").failed for w in ("setup", "call"))
    for thing in things:
        if failed and os.environ.get("WSGID_KEEP_TMP"):
            print(f"kept {thing.tmp}")
        else:
            shutil.rmtree(thing.tmp, ignore_errors=True)
    if problems:
        pytest.fail("cleanup problems:\n" + "\n".join(problems))


@pytest.fixture
def httpd_factory(request):
    """factory(body, flavour, extra_global="", start=True) -> a running Httpd.

    `body` is config text; @TMP@, @APPS@ and @PORT@ are replaced by the temp dir, the copy of
    tests/apps and the listening port. Servers are stopped and temp dirs removed afterwards,
    whatever the outcome (set WSGID_KEEP_TMP=1 to keep the dirs of failed tests).
    """
    servers: list[hh.Httpd] = []
    request.node._wsgid_servers = servers

    def factory(body: str, flavour: str, extra_global: str = "", start: bool = True, name="httpd"):
        server = hh.Httpd(flavour=flavour, tmp=hh.make_tmp(), body=body, extra_global=extra_global,
                          name=name)
        servers.append(server)
        if start:
            server.start()
        return server

    yield factory

    problems = stop_each(servers)
    for server in servers:
        problems.extend(f"{server.tmp}: {s}" for s in server.stragglers)
    remove_tmps(request, servers, problems)


@pytest.fixture
def launch(request):
    """launch(profile_text=None, *, profile_dir=None, profile="site.toml", edit=None,
    prepare=None, user=None, start=True) -> a `wsgid run` (launcher_harness.Launched).

    Each launch gets its own temp dir: `profile_dir` (e.g. REPO_ROOT / "profiles") is copied
    into it as profile/, readable by httpd's user, and `profile` names the file there; or
    `profile_text` (dedented) is written as the temp dir's `profile`. `edit(text)` rewrites the
    profile, `prepare(tmp)` adds files before the start. Every run is stopped and its dir
    removed afterwards; a failed test's report carries the launcher's output.
    """
    runs: list[lh.Launched] = []
    request.node._wsgid_launches = runs

    def factory(profile_text=None, *, profile_dir=None, profile="site.toml", edit=None,
                prepare=None, user=None, start=True):
        tmp = hh.make_tmp()
        if profile_dir is not None:
            lh.copy_tree_readable(profile_dir, tmp / "profile")
            path = tmp / "profile" / profile
        else:
            path = tmp / profile
            path.write_text(textwrap.dedent(profile_text or ""))
        if edit is not None:
            path.write_text(edit(path.read_text()))
        run = lh.Launched(tmp=tmp, profile=path, user=user)
        runs.append(run)
        if prepare is not None:
            prepare(tmp)
        return run.start() if start else run

    yield factory

    remove_tmps(request, runs, stop_each(runs))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)
    if rep.when in ("setup", "call") and rep.failed:
        for run in getattr(item, "_wsgid_launches", []):
            rep.sections.append((f"wsgid run output ({run.tmp})", run.output()))
        for server in getattr(item, "_wsgid_servers", []):
            try:
                rep.sections.append((f"httpd logs ({server.flavour}, {server.tmp})", server.all_logs()))
            except Exception as e:
                rep.sections.append(("httpd logs", f"could not read logs: {e!r}"))
