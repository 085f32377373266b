# WSGIAccessScript: the X-Access request header decides, so the test proves headers arrive.
import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import hook_common  # noqa: E402


def allow_access(environ, host):
    hook_common.report(environ, "allow_access", host=host)
    decision = environ.get("HTTP_X_ACCESS", "")
    if decision == "raise":
        raise RuntimeError("allow_access failure requested by the test")
    if decision == "deny":
        return False
    if decision == "none":
        return None
    if decision == "wrong-type":
        return "yes"
    return host == environ.get("REMOTE_ADDR")
