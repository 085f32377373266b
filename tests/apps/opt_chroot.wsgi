# Runs inside a daemon with chroot=: reports the paths it sees (tests/integration/
# test_daemon_options.py). Only modules that need no shared library outside the jail.
import json
import os


def application(environ, start_response):
    body = json.dumps({
        "pid": os.getpid(),
        "script_filename": environ.get("SCRIPT_FILENAME"),
        "file": __file__,
        "root": sorted(os.listdir("/")),
        "cwd": os.getcwd(),
    }).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]
