# Stands in for Trac in the mod_wsgi 3.x sample config (WSGIScriptAlias /trac ...).
import os
import sys


def application(environ, start_response):
    lines = [
        "trac",
        "script_name=" + environ["SCRIPT_NAME"],
        "path_info=" + environ["PATH_INFO"],
        "process_group=" + environ.get("mod_wsgi.process_group", "?"),
        "application_group=" + environ.get("mod_wsgi.application_group", "?"),
        "imported_here=" + str(getattr(sys, "hs_imported", 0) == os.getpid()),
    ]
    body = ("\n".join(lines) + "\n").encode()
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]
