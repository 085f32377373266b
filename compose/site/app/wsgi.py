"""wsgid's built-in example app: says what is serving it and how to serve your own."""

import os
import sys

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>wsgid example site</title>
<link rel="stylesheet" href="/static/site.css"></head>
<body>
<h1>wsgid is serving the built-in example site</h1>
<p>Python {python}, daemon process {pid}. Edit <code>compose/site/app/wsgi.py</code> under
<code>docker-compose up</code> and reload this page: the app restarts gracefully.</p>
<h2>Serve your own app</h2>
<pre>docker run --read-only -p 8080:8080 \\
  -v "$PWD/site.toml:/etc/wsgid/site.toml:ro" \\
  -v "$PWD/app:/srv/app:ro" \\
  IMAGE</pre>
<p>The profile format is described in <code>docs/profile-reference.md</code>; dependencies come
from a virtualenv (see <code>docs/container.md</code>).</p>
</body></html>
"""


def application(environ, start_response):
    if environ.get("PATH_INFO", "/") != "/":
        body = b"not found\n"
        start_response("404 Not Found", [("Content-Type", "text/plain"),
                                         ("Content-Length", str(len(body)))])
        return [body]
    body = PAGE.format(python=sys.version.split()[0], pid=os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                              ("Content-Length", str(len(body)))])
    return [body]
