# Another site's app turned attacker: GET /?socket=PATH&script=PATH sends a forged request
# (REMOTE_USER=admin, a SCRIPT_FILENAME of its choosing) to that daemon socket and reports
# what came back, as JSON. /pid: this daemon's pid.
import json
import os
import sys
from urllib.parse import parse_qs

sys.path.insert(0, os.path.dirname(__file__))
import forged_request  # noqa: E402


def application(environ, start_response):
    if environ.get("PATH_INFO") == "/pid":
        body = str(os.getpid()).encode()
    else:
        q = parse_qs(environ.get("QUERY_STRING", ""))
        body = json.dumps(forged_request.attack(q["socket"][0], q["script"][0])).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]
