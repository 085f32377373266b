"""Drive serve.py: wait for its port file (deadline, no fixed sleep) and send the requests."""
import sys
import time
import urllib.request


def main():
    port_file, paths = sys.argv[1], sys.argv[2:]
    deadline = time.monotonic() + 60
    while True:
        try:
            with open(port_file) as f:
                port = int(f.read())
            break
        except (FileNotFoundError, ValueError):
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
