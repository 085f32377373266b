# WSGIDispatchScript: request headers choose the process group, application group and callable;
# without them every function returns None (keep the configured value).
import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import hook_common  # noqa: E402


def process_group(environ):
    hook_common.report(environ, "process_group")
    if environ.get("HTTP_X_DISPATCH") == "raise":
        raise RuntimeError("process_group failure requested by the test")
    return environ.get("HTTP_X_PROCESS_GROUP")


def application_group(environ):
    return environ.get("HTTP_X_APPLICATION_GROUP")


def callable_object(environ):
    return environ.get("HTTP_X_CALLABLE")
