# Says where it ran: process group, application group, which callable, pid.
import json
import os


def _answer(environ, start_response, name):
    body = json.dumps({
        "callable": name,
        "process_group": environ.get("mod_wsgi.process_group"),
        "application_group": environ.get("mod_wsgi.application_group"),
        "remote_user": environ.get("REMOTE_USER"),
        "auth_type": environ.get("AUTH_TYPE"),
        "pid": os.getpid(),
    }).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]


def application(environ, start_response):
    return _answer(environ, start_response, "application")


def alternative(environ, start_response):
    return _answer(environ, start_response, "alternative")
