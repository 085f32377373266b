#!/usr/bin/python3
"""Writes wsgidcidep-1.0-py3-none-any.whl into DIR: a dependency pip can install offline."""

import base64
import hashlib
import sys
import zipfile
from pathlib import Path

files = {
    "wsgidcidep/__init__.py": 'GREETING = "hello from the venv"\n',
    "wsgidcidep-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: wsgidcidep\nVersion: 1.0\n",
    "wsgidcidep-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: wsgid-ci\n"
    "Root-Is-Purelib: true\nTag: py3-none-any\n",
}


def record_line(name, text):
    digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
    return f"{name},sha256={digest.decode()},{len(text.encode())}\n"


out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
record = "".join(record_line(n, t) for n, t in files.items())
record += "wsgidcidep-1.0.dist-info/RECORD,,\n"
with zipfile.ZipFile(out / "wsgidcidep-1.0-py3-none-any.whl", "w") as whl:
    for name, text in files.items():
        whl.writestr(name, text)
    whl.writestr("wsgidcidep-1.0.dist-info/RECORD", record)
