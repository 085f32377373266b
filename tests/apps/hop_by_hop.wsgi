# Answers with the header named in the query string (value "x"), which PEP 3333 may forbid.
def application(environ, start_response):
    name = environ.get("QUERY_STRING") or "X-Fine"
    body = b"hop-by-hop probe\n"
    start_response("200 OK", [("Content-Type", "text/plain"), (name, "x"),
                              ("Content-Length", str(len(body)))])
    return [body]
