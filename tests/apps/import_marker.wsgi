# Must never be imported by a daemon through a forged request: importing it leaves a file in
# the scratch directory, which the isolation tests look for.
import os

_scratch = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scratch")
open(os.path.join(_scratch, "imported-by-%d" % os.getpid()), "w").close()


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"imported\n"]
