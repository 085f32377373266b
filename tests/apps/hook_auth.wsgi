# WSGIAuthUserScript and WSGIAuthGroupScript: users spy/secret (group secret-agents) and
# bob/builder (no groups); "crash" raises; "alias" logs in as "spy".
import hashlib
import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import hook_common  # noqa: E402

USERS = {"spy": "secret", "bob": "builder", "alias": "secret", "crash": "x"}
GROUPS = {"spy": ["secret-agents", "staff"], "bob": []}
VERSION = "one"


def check_password(environ, user, password):
    hook_common.report(environ, "check_password", user=user, version=VERSION)
    if user == "crash":
        raise RuntimeError("check_password failure requested by the test")
    if user not in USERS:
        return None
    if USERS[user] != password:
        return False
    return "spy" if user == "alias" else True


def get_realm_hash(environ, user, realm):
    hook_common.report(environ, "get_realm_hash", user=user, realm=realm)
    if user == "crash":
        raise RuntimeError("get_realm_hash failure requested by the test")
    if user not in USERS:
        return None
    return hashlib.md5(("%s:%s:%s" % (user, realm, USERS[user])).encode()).hexdigest()


def groups_for_user(environ, user):
    hook_common.report(environ, "groups_for_user", user=user)
    if environ.get("HTTP_X_GROUPS") == "raise":
        raise RuntimeError("groups_for_user failure requested by the test")
    return GROUPS.get(user, [])
