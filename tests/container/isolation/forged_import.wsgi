# The script A's forged requests ask B's daemon to import. It never must be: if it is, this
# line lands in B's error log (the daemon's stderr), which the test searches for.
import os
import sys

print("wsgid-ci: FORGED SCRIPT IMPORTED in pid %d" % os.getpid(), file=sys.stderr, flush=True)


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"forged script ran\n"]
