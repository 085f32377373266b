"""A daemon's word about itself, in memory its application can write (docs/security.md,
"Inherited memory"): its scoreboard slot's state. An application that claims DRAINING and never
exits would have httpd's parent fork a replacement every ten seconds, for ever: processes and
memory taken from every site. The parent kills such a process after its graceful-timeout
(WSGID0215) and replaces at most two per process of a group while they are still there
(WSGID0216). httpd runs the monitor hook that acts on it every ten seconds, so these take
20-40 s each.
"""

import json
import re
import pytest

import httpd_harness as hh

pytestmark = pytest.mark.wsgid_only("wsgid's scoreboard and supervision")

CONF = """
WSGIRestrictEmbedded On
WSGIDaemonProcess c processes=1 threads=2 graceful-timeout=@GRACE@ display-name=%{GROUP}
WSGIScriptAlias / @APPS@/memory_attack.wsgi process-group=c application-group=%{GLOBAL}
"""


def fake_drain(server):
    r = server.get("/fake-drain")
    assert r.status == 200, r.body
    return json.loads(r.body)


def gone(pid: int) -> bool:
    """Exited (reaped, or a zombie httpd has yet to reap)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_a_daemon_that_claims_to_drain_but_never_exits_is_killed(httpd_factory, flavour):
    server = httpd_factory(CONF.replace("@GRACE@", "1"), flavour)
    server.wait_ok("/maps")
    liar = fake_drain(server)
    assert liar["claimed"], liar
    pid = liar["pid"]
    killed = f"(pid {pid}) was still there"
    hh.poll(lambda: killed in server.read_log(), timeout=60, interval=0.2, what="WSGID0215")
    hh.poll(lambda: gone(pid), timeout=10, what=f"pid {pid} to exit")
    assert f"(pid {pid}) is draining; starting its replacement" in server.read_log()
    # The group serves on, from its replacement.
    assert json.loads(server.wait_ok("/pid").body)["pid"] != pid


LIAR_CONF = """
WSGIRestrictEmbedded On
WSGIDaemonProcess d processes=1 threads=2 graceful-timeout=0 display-name=%{GROUP}
WSGIScriptAlias / @APPS@/drain_liar.wsgi process-group=d application-group=%{GLOBAL}
"""


def test_at_most_two_replacements_per_process_wait_to_exit(httpd_factory, flavour):
    # Every process of the group claims DRAINING once it is ready; graceful-timeout=0 lets a
    # drain take for ever, so nothing is killed and the bound alone holds.
    server = httpd_factory(LIAR_CONF, flavour)
    hh.poll(lambda: "WSGID0216" in server.read_log(), timeout=90, interval=0.2, what="WSGID0216")
    log = server.read_log()
    assert log.count("starting its replacement now") == 2, log[-3000:]
    ready = {int(pid) for pid in re.findall(r"daemon group d pid (\d+) ready", log)}
    assert len(ready) == 3 and not any(gone(pid) for pid in ready), ready
    assert server.get("/").status == 200  # the liars still serve their own site
