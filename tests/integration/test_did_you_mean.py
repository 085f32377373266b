"""One did-you-mean rule everywhere (util/did_you_mean.hpp): the same typo gets the same
suggestion as a WSGIDaemonProcess option in httpd's config, as a profile key, and as a
syscall name in a profile's sandbox policy."""

import re
import subprocess
import textwrap

import pytest

import httpd_harness as hh
import launcher_harness as lh

# (typo, what each place must suggest). THREADS: a case slip is one typo wherever it is made
# (the module once compared case, the profile did not). thrds: two edits in five letters is a
# different word everywhere (the module once allowed it, the profile did not).
CASES = [("THREADS", "threads"), ("thrds", None)]


def module_suggestion(httpd_factory, flavour, typo):
    server = httpd_factory(f"WSGIDaemonProcess d {typo}=2", flavour, start=False)
    server.port = hh.free_port()
    server.conf_path = server.tmp / "httpd.conf"
    server.conf_path.write_text(server.render())
    result = subprocess.run([hh.APACHE_BIN, "-t", "-d", str(server.tmp), "-f",
                             str(server.conf_path)], capture_output=True, text=True, timeout=30)
    assert f"WSGID0001 WSGIDaemonProcess: option '{typo}' is not known" in result.stderr, \
        result.stderr
    found = re.search(r"did you mean '([^']+)'", result.stderr)
    return found.group(1) if found else None


def profile_suggestion(tmp_path, table, line, code):
    (tmp_path / "app.wsgi").write_text("def application(e, s):\n    pass\n")
    profile = tmp_path / "site.toml"
    profile.write_text(textwrap.dedent("""
        [[site]]
        name = "s"
        server_name = "localhost"
        app = "app.wsgi"
        """) + f"[site.{table}]\n{line}\n")
    result = lh.check(profile)
    output = result.stdout + result.stderr
    assert result.returncode == 3 and f"error {code}" in output, output
    found = re.search(r'did you mean "([^"]+)"', output)
    return found.group(1) if found else None


@pytest.mark.parametrize("typo,expected", CASES)
def test_a_typo_gets_the_same_suggestion_in_httpd_config_and_profile(
        httpd_factory, flavour, tmp_path, typo, expected):
    assert module_suggestion(httpd_factory, flavour, typo) == expected
    assert profile_suggestion(tmp_path, "daemon", f"{typo} = 2", "WSGID1002") == expected


def test_a_syscall_name_typo_follows_the_same_rule(tmp_path):
    # Case slips count as one typo here too (libseccomp's names are lower case).
    assert profile_suggestion(tmp_path, "sandbox", 'deny = ["PTRACE"]', "WSGID3005") == "ptrace"
