"""The site's Python auth hooks, as mod_wsgi calls them. They run in the site's own daemons
(its uid and sandbox, its Python path), so they could as well ask the app's database (Django's
`django.contrib.auth.authenticate`, for instance)."""

import hmac
import os
import sys

# user: (password, groups). A real site keeps hashes, never passwords; this is an example.
USERS = {"alice": ("wonderland", ["staff"]), "bob": ("builder", ["guests"])}
BLOCKED_AGENTS = ("BadBot",)


def check_password(environ, user, password):
    """True: the password is right; False: it is wrong; None: no such user."""
    print(f"check_password for {user} ran in pid {os.getpid()}", file=sys.stderr)
    if user not in USERS:
        return None
    return hmac.compare_digest(USERS[user][0], password)


def groups_for_user(environ, user):
    return USERS.get(user, ("", []))[1]


def allow_access(environ, host):
    """False refuses the request (403) before any password is asked for."""
    agent = environ.get("HTTP_USER_AGENT", "")
    return not any(blocked in agent for blocked in BLOCKED_AGENTS)
