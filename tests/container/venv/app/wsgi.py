"""Imports a package that only the virtualenv has, and reports where it came from."""

import sys

import wsgidcidep


def application(environ, start_response):
    body = ("%s from %s; sys.prefix=%s\n" % (wsgidcidep.GREETING, wsgidcidep.__file__,
                                             sys.prefix)).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
