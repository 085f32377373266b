"""Common C extensions and stdlib services an app touches while serving requests."""
import datetime
import decimal
import hashlib
import json
import random
import select
import socket
import ssl
import tempfile
import time
import uuid
import zlib
import zoneinfo


def application(environ, start_response):
    ctx = ssl.create_default_context()  # loads the CA store: openssl + file reads
    tz = zoneinfo.ZoneInfo("Europe/Paris") if zoneinfo.available_timezones() else None
    with tempfile.TemporaryFile() as f:
        f.write(zlib.compress(b"x" * 10000))
        f.seek(0)
        packed = f.read()
    addr = socket.getaddrinfo("localhost", 80, proto=socket.IPPROTO_TCP)
    select.select([], [], [], 0)
    time.sleep(0.001)
    body = json.dumps({
        "sha": hashlib.sha256(packed).hexdigest(),
        "uuid": str(uuid.uuid4()),
        "rand": random.SystemRandom().random(),
        "dec": str(decimal.Decimal("1.10") * 3),
        "now": datetime.datetime.now(tz).isoformat(),
        "addr": len(addr),
        "verify": ctx.verify_mode == ssl.CERT_REQUIRED,
    }).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]
