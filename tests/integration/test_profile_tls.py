"""server.tls and HTTP/2 (issue 14 items 1, 2): profiles/tls.toml and profiles/http2.toml run
with certificates each test makes with openssl (a CA and a leaf for localhost), against Python's
ssl and curl clients: TLS 1.2+ with HSTS, the HTTP listener redirecting (probes excepted), h2
by ALPN and h2c, large uploads and streamed answers over h2, and a renewed certificate served
after SIGHUP without a failed request."""

import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest

import httpd_harness as hh
import launcher_harness as lh

pytestmark = pytest.mark.wsgid_only("the launcher is wsgid's")


def openssl(*args, cwd: Path):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_ca(directory: Path) -> Path:
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-days", "30", "-subj", "/CN=wsgid integration CA", "-keyout", "ca.key",
            # Python 3.13's default context verifies strictly (VERIFY_X509_STRICT): the CA needs
            # its key usage, the leaf an authority key id.
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-out", "ca.crt", cwd=directory)
    return directory / "ca.crt"


def make_leaf(directory: Path, name: str, days: int = 30) -> tuple[Path, Path]:
    """A certificate for localhost signed by the CA in `directory`, and its key."""
    (directory / "leaf.ext").write_text(
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
        "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-subj", "/CN=localhost", "-keyout", f"{name}.key", "-out", f"{name}.csr",
            cwd=directory)
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", str(days), "-extfile", "leaf.ext",
            "-out", f"{name}.crt", cwd=directory)
    for f in (f"{name}.crt", f"{name}.key"):
        os.chmod(directory / f, 0o644)  # read by httpd's parent (root or the test's user)
    return directory / f"{name}.crt", directory / f"{name}.key"


class Site:
    def __init__(self, launched: lh.Launched, tls_port: int, ca: Path):
        self.run, self.tls_port, self.ca = launched, tls_port, ca

    def context(self, **versions) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=str(self.ca))
        for attribute, value in versions.items():
            setattr(ctx, attribute, value)
        return ctx

    def https(self, method="GET", path="/", body=None, ctx=None, timeout=30.0):
        """One request on a new TLS connection: (status, headers, body, peer certificate)."""
        conn = http.client.HTTPSConnection("localhost", self.tls_port, timeout=timeout,
                                           context=ctx or self.context())
        try:
            conn.connect()
            cert = conn.sock.getpeercert(binary_form=True)
            conn.request(method, path, body=body, headers={"Connection": "close"})
            response = conn.getresponse()
            data = response.read()
            return response.status, dict(response.getheaders()), data, cert
        finally:
            conn.close()

    def curl(self, *args) -> subprocess.CompletedProcess:
        return subprocess.run(["curl", "-sS", "--max-time", "60", "--cacert", str(self.ca), *args],
                              capture_output=True, check=True, timeout=90)


@pytest.fixture
def launch():
    runs = []

    def start(name: str, edit=None) -> Site:
        tmp = hh.make_tmp()
        lh.copy_tree_readable(hh.REPO_ROOT / "profiles", tmp / "profile")
        certs = tmp / "certs"
        certs.mkdir(mode=0o755)
        ca = make_ca(certs)
        crt, key = make_leaf(certs, "site")
        shutil.copy(crt, tmp / "profile" / "tls" / "site.crt")
        shutil.copy(key, tmp / "profile" / "tls" / "site.key")
        tls_port = hh.free_port()
        profile = tmp / "profile" / name
        text = profile.read_text().replace("127.0.0.1:8443", f"127.0.0.1:{tls_port}")
        profile.write_text(edit(text) if edit else text)
        run = lh.Launched(tmp=tmp, profile=profile)
        runs.append(run)
        site = Site(run.start(), tls_port, ca)
        site.certs = certs
        return site

    yield start
    for run in runs:
        try:
            run.stop()
        finally:
            shutil.rmtree(run.tmp, ignore_errors=True)


def test_https_serves_the_site_over_tls_1_2_and_1_3_with_hsts(launch):
    site = launch("tls.toml")
    status, headers, body, _ = hh.poll(lambda: _try(site.https), 20, what="an HTTPS answer")
    assert status == 200, body
    environ = json.loads(body)
    assert environ["scheme"] == "https" and environ["https"] == "on", environ
    assert headers.get("Strict-Transport-Security") == "max-age=31536000", headers
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        ctx = site.context(minimum_version=version, maximum_version=version)
        with socket.create_connection(("127.0.0.1", site.tls_port), timeout=10) as raw, \
                ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            assert tls.version() == version.name.replace("v1_", "v1."), tls.version()
            cipher = tls.cipher()[0]
            # Forward secrecy and AEAD only (TLS 1.3 suites are all of that kind).
            assert version == ssl.TLSVersion.TLSv1_3 or (
                cipher.startswith("ECDHE-") and ("GCM" in cipher or "CHACHA20" in cipher)), cipher
    ready = next(line for line in site.run.output().splitlines() if "ready on" in line)
    assert f"at https://localhost:{site.tls_port}/;" in ready, ready


def test_http_is_redirected_to_https_but_probes_still_answer(launch):
    site = launch("tls.toml")
    site.run.wait_ok("/-/healthz")
    answer = site.run.get("/some/page?x=1")
    assert answer.status == 301, answer
    assert answer.header("Location") == f"https://localhost:{site.tls_port}/some/page?x=1"
    site.run.wait_ok("/-/readyz")  # not redirected: 200 once the daemon is up
    # A Host no site names still gets the 421 that names the hosts that work, on both ports.
    assert site.run.get("/", host="evil.example").status == 421
    conn = http.client.HTTPSConnection("127.0.0.1", site.tls_port, timeout=10,
                                       context=site.context(check_hostname=False))
    conn.request("GET", "/", headers={"Host": "evil.example"})
    assert conn.getresponse().status == 421
    conn.close()


def test_without_the_redirect_both_listeners_serve_the_one_daemon_group(launch):
    site = launch("tls.toml", lambda t: t.replace("redirect_http = true", "redirect_http = false"))
    assert json.loads(site.run.wait_ok("/").body)["scheme"] == "http"
    status, _, body, _ = site.https()
    assert status == 200 and json.loads(body)["scheme"] == "https", body
    assert len(site.run.daemon_pids("hello")) == 1


def test_tls_1_3_only_refuses_a_tls_1_2_client(launch):
    site = launch("tls.toml", lambda t: t.replace('hsts = "1y"', 'min_protocol = "TLSv1.3"'))
    assert hh.poll(lambda: _try(site.https), 20, what="an HTTPS answer")[0] == 200
    with pytest.raises(ssl.SSLError):
        site.https(ctx=site.context(maximum_version=ssl.TLSVersion.TLSv1_2))


def test_http2_over_tls_carries_large_uploads_and_streamed_answers(launch):
    site = launch("tls.toml")
    hh.poll(lambda: _try(site.https), 20, what="an HTTPS answer")
    base = f"https://localhost:{site.tls_port}"
    out = site.curl("--http2", "-w", "\n%{http_version}", f"{base}/").stdout.decode()
    body, version = out.rsplit("\n", 1)
    assert version == "2", out
    assert json.loads(body)["protocol"] == "HTTP/2.0", body
    upload = site.certs / "upload.bin"
    upload.write_bytes(os.urandom(8 * 1024 * 1024))

    digest = hashlib.sha256(upload.read_bytes()).hexdigest()
    out = site.curl("--http2", "--data-binary", f"@{upload}", "-w", "%{http_version}",
                    f"{base}/").stdout.decode()
    assert out == f"{8 * 1024 * 1024} {digest}\n2", out
    streamed = site.curl("--http2", f"{base}/stream").stdout
    assert streamed == b"".join(("piece %d\n" % i).encode() * 1000 for i in range(64))


def test_h2c_with_prior_knowledge_and_by_upgrade(launch):
    site = launch("http2.toml")
    site.run.wait_ok("/")
    base = f"http://127.0.0.1:{site.run.port}"
    for how in ("--http2-prior-knowledge", "--http2"):  # the second asks for an Upgrade
        out = site.curl(how, "-w", "\n%{http_version}", f"{base}/").stdout.decode()
        body, version = out.rsplit("\n", 1)
        assert version == "2" and json.loads(body)["protocol"] == "HTTP/2.0", (how, out)
    upload = site.certs / "upload.bin"
    upload.write_bytes(os.urandom(8 * 1024 * 1024))
    out = site.curl("--http2-prior-knowledge", "--data-binary", f"@{upload}",
                    f"{base}/").stdout.decode()
    assert out.startswith(f"{8 * 1024 * 1024} "), out
    # HTTP/1.1 clients are served on the same port.
    assert json.loads(site.run.get("/").body)["protocol"] == "HTTP/1.1"


def test_a_renewed_certificate_is_served_after_sighup_without_a_failed_request(launch):
    site = launch("tls.toml")
    _, _, _, old_cert = hh.poll(lambda: _try(site.https), 20, what="an HTTPS answer")
    outcomes = {"ok": 0, "failed": []}
    lock = threading.Lock()
    stop = threading.Event()
    deadline = time.monotonic() + 60

    def client():
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                status, _, _, _ = site.https(timeout=20)
                result = status == 200
                detail = status
            except Exception as e:  # any reset or handshake failure is a dropped request
                result, detail = False, repr(e)
            with lock:
                if result:
                    outcomes["ok"] += 1
                else:
                    outcomes["failed"].append(detail)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(4)]
    for t in threads:
        t.start()
    hh.poll(lambda: outcomes["ok"] >= 20, 30, what="requests before the renewal")
    crt, key = make_leaf(site.certs, "renewed")
    # Replaced as an operator (or certbot) would: new files renamed over the old ones.
    for source, name in ((crt, "site.crt"), (key, "site.key")):
        target = site.run.profile.parent / "tls" / name
        shutil.copy(source, target.with_suffix(".new"))
        os.replace(target.with_suffix(".new"), target)
    os.kill(site.run.proc.pid, signal.SIGHUP)
    site.run.wait_output("httpd restarts gracefully", timeout=30)
    new_cert = hh.poll(lambda: (lambda r: r[3] if r and r[3] != old_cert else None)(
        _try(site.https)), 30, what="the renewed certificate")
    assert new_cert == ssl.PEM_cert_to_DER_cert(crt.read_text())
    served = outcomes["ok"]
    hh.poll(lambda: outcomes["ok"] >= served + 20, 30, what="requests after the renewal")
    stop.set()
    for t in threads:
        t.join(30)
    assert outcomes["failed"] == [], outcomes["failed"][:5]


def test_check_warns_thirty_days_before_the_certificate_expires(tmp_path):
    tmp_path.chmod(0o755)
    make_ca(tmp_path)
    crt, key = make_leaf(tmp_path, "soon", days=10)
    (tmp_path / "app.py").write_text("def application(e, s):\n    s('200 OK', [])\n    return []\n")
    profile = tmp_path / "site.toml"
    profile.write_text(f'[server.tls]\ncertificate = "{crt}"\nkey = "{key}"\n\n'
                       '[[site]]\nname = "s"\nserver_name = "localhost"\napp = "app.py"\n')
    result = lh.check(profile)
    assert result.returncode == 0, result.stderr
    assert "site.toml:2:15: warning WSGID1105: server.tls.certificate:" in result.stderr, \
        result.stderr
    assert "days; renew it" in result.stderr, result.stderr


def _try(fn):
    try:
        return fn()
    except (OSError, ssl.SSLError, http.client.HTTPException):
        return None
