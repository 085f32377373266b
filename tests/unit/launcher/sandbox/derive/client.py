"""Drive serve.py: wait for its port file (deadline, no fixed sleep) and send the requests.

With SERVER_PID set, give up as soon as that process has died instead of at the deadline."""
import os
import sys
import time
import urllib.request


def server_alive():
    pid = os.environ.get("SERVER_PID")
    if not pid:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def main():
    port_file, paths = sys.argv[1], sys.argv[2:]
    deadline = time.monotonic() + 60
    while True:
        try:
            with open(port_file) as f:
                port = int(f.read())
            break
        except (FileNotFoundError, ValueError):
            if not server_alive():
                sys.exit("client: server died before publishing its port")
            if time.monotonic() > deadline:
                sys.exit("client: server never published its port")
            time.sleep(0.05)
    for path in paths:
        data = b"name=wsgid&x=1" if path.startswith("/post") else None
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", data=data,
                                    timeout=30) as r:
            r.read()
            if r.status != 200:
                sys.exit(f"client: {path} returned {r.status}")


if __name__ == "__main__":
    main()
