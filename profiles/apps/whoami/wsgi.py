"""Says which user the request's Basic credentials name, as an app that checks them itself
(Radicale, token APIs) would: it needs the Authorization header, which httpd keeps from apps
unless the site sets `pass_authorization = true`; or, behind the site's basic_auth, which user
httpd let in (REMOTE_USER)."""

import base64


def application(environ, start_response):
    header = environ.get("HTTP_AUTHORIZATION", "")
    if environ.get("REMOTE_USER"):  # httpd checked the password (basic_auth)
        status, body = "200 OK", f"user={environ['REMOTE_USER']} checked by httpd\n"
    elif header.startswith("Basic "):
        user = base64.b64decode(header[6:]).decode("utf-8", "replace").split(":", 1)[0]
        status, body = "200 OK", f"user={user}\n"
    else:
        status, body = "401 Unauthorized", "no Authorization header reached the app\n"
    data = body.encode()
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(data))),
                            ("WWW-Authenticate", 'Basic realm="whoami"')])
    return [data]
