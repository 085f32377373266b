# /flood?stderr or /flood?fd2 starts a thread that writes about 1 MB/s of log lines for a few
# seconds, through sys.stderr or straight to fd 2; anything else answers at once, after one
# line to wsgi.errors with ?log (as most real requests log something).
import os
import sys
import threading
import time

LINE = "flood " + "x" * 93 + "\n"  # 100 bytes


def flood(how, seconds):
    data = LINE.encode()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for _ in range(100):  # 10 KB, then a 10 ms pause: about 1 MB/s
            if how == "stderr":
                sys.stderr.write(LINE)
            else:
                try:
                    os.write(2, data)
                except BlockingIOError:
                    pass
        time.sleep(0.01)


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path == "/flood":
        how = environ.get("QUERY_STRING") or "stderr"
        threading.Thread(target=flood, args=(how, 6.0), daemon=True).start()
    elif environ.get("QUERY_STRING") == "log":
        print("served one request", file=environ["wsgi.errors"])
    body = b"ok\n"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
