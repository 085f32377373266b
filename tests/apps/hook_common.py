# Shared by the hook scripts of test_python_hooks.py: one error-log line per call with what the
# hook saw, so the test can check the environ whatever the hook answered.
import json
import os


def report(environ, hook, **extra):
    seen = {k: v for k, v in environ.items() if isinstance(v, (str, int, bool))}
    seen.update(extra)
    seen["pid"] = os.getpid()
    seen["ppid"] = os.getppid()
    environ["wsgi.errors"].write("hook-call %s %s\n" % (hook, json.dumps(seen, sort_keys=True)))
    environ["wsgi.errors"].flush()
