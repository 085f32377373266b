# A WSGIHandlerScript (mod_wsgi's ".bobo" example): serves every file mapped to its handler.
# handle_request answers with what the request was for; reload_required(resource) asks for a
# reload when a file named reload*.bobo changed after this copy of the script was loaded.
import os
import sys
import time
import uuid

LOADED_AT = time.time()
TOKEN = uuid.uuid4().hex  # a fresh value each time the script is executed
SEEN = []  # resources reload_required() was asked about, in this copy


def reload_required(resource):
    SEEN.append(resource)
    if os.path.basename(resource).startswith("raise"):
        raise RuntimeError("reload_required failed for " + resource)
    if not os.path.basename(resource).startswith("reload"):
        return False
    return os.stat(resource).st_mtime > LOADED_AT


def handle_request(environ, start_response):
    if not os.path.isfile(environ["SCRIPT_FILENAME"]):
        # Not a file: the handler script decides (mod_wsgi passes such requests on too).
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"no resource " + environ["SCRIPT_FILENAME"].encode()]
    with open(environ["SCRIPT_FILENAME"], "rb") as f:
        content = f.read().decode().strip()
    lines = [
        "script_filename=" + environ["SCRIPT_FILENAME"],
        "handler_script=" + environ.get("mod_wsgi.handler_script", ""),
        "application_group=" + environ.get("mod_wsgi.application_group", "?"),
        "process_group=" + environ.get("mod_wsgi.process_group", "?"),
        "pid=%d" % os.getpid(),
        "token=" + TOKEN,
        "seen=" + (SEEN[-1] if SEEN else ""),
        "authorization=" + environ.get("HTTP_AUTHORIZATION", ""),
        "imported=" + str(getattr(sys, "hs_imported", 0)),
        "content=" + content,
    ]
    body = ("\n".join(lines) + "\n").encode()
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]
