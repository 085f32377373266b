# Large responses in every shape a WSGI app can return them, with the sha256 of the body the
# client must receive in X-Body-Sha256, so a test can prove the bytes arrived exact.
#
#   /single?size=N             one bytes object, with Content-Length
#   /list?n=K&size=N           a list of K distinct chunks of N bytes, with Content-Length
#   /generator?n=K&size=N      a generator of K chunks, no Content-Length (chunked to the client)
#   /write?n=K&size=N          K chunks through start_response's write(), then an empty list
#   /capped?size=N&declared=M  one chunk of N bytes with Content-Length M < N: M bytes arrive
#   /mixed                     small, large, small, large chunks from a generator
#
# Every chunk differs (a keyed stream from sha256), so a chunk sent twice, dropped, reordered or
# cut shows in the digest.
import hashlib
from urllib.parse import parse_qs


def chunk(index, size):
    seed = hashlib.sha256(b"wsgid-big-%d-%d" % (index, size)).digest()
    out = bytearray()
    block = seed
    while len(out) < size:
        block = hashlib.sha256(block).digest()
        out += block
    return bytes(out[:size])


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    q = {k: int(v[0]) for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    n, size = q.get("n", 1), q.get("size", 1024 * 1024)
    if path == "/mixed":
        sizes = [100, 512 * 1024, 7, 300 * 1024 + 3, 1]
        chunks = [chunk(i, s) for i, s in enumerate(sizes)]
    else:
        chunks = [chunk(i, size) for i in range(n)]
    body = b"".join(chunks)
    headers = [("Content-Type", "application/octet-stream")]
    if path == "/capped":
        declared = q["declared"]
        headers += [("Content-Length", str(declared)),
                    ("X-Body-Sha256", hashlib.sha256(body[:declared]).hexdigest())]
        start_response("200 OK", headers)
        return [body]
    headers.append(("X-Body-Sha256", hashlib.sha256(body).hexdigest()))
    if path in ("/single", "/list"):
        headers.append(("Content-Length", str(len(body))))
        start_response("200 OK", headers)
        return [body] if path == "/single" else chunks
    if path == "/write":
        write = start_response("200 OK", headers)
        for c in chunks:
            write(c)
        return []
    start_response("200 OK", headers)
    return (c for c in chunks)
