"""A forged worker request to a wsgid daemon socket, built from the documented wire layout
(contract/wire_protocol.hpp), as an attacker who can reach the socket would send it.

Used by socket_attack.wsgi (another site's app) and run as a script by a local process outside
httpd: `python3 forged_request.py SOCKET SCRIPT_FILENAME` prints the outcome as JSON.
"""
import json
import os
import socket
import struct
import sys

MAGIC = 0x44475357  # "WSGD"
HELLO, REQUEST_HEAD, REQUEST_END, RESPONSE_END = 1, 2, 4, 18
# Today's Hello version: contract/wire_protocol.hpp's kVersion (test_site_isolation_sockets.py
# checks the two agree, so a protocol bump cannot leave the attacks speaking an old layout).
VERSION = 4


def frame(kind, payload=b""):
    return struct.pack("<BBHI", kind, 0, 0, len(payload)) + payload


def pairs(items):
    out = struct.pack("<I", len(items))
    for key, value in items:
        k, v = key.encode(), value.encode()
        out += struct.pack("<I", len(k)) + k + struct.pack("<I", len(v)) + v
    return out


def hello(version):
    payload = struct.pack("<IHH", MAGIC, version, 0)
    if version >= 3:
        payload += os.urandom(32)  # a guess at the group's secret
    return frame(HELLO, payload)


def environ(script):
    return [
        ("REQUEST_METHOD", "GET"), ("SCRIPT_NAME", ""), ("PATH_INFO", "/"),
        ("QUERY_STRING", ""), ("SERVER_NAME", "b.test"), ("SERVER_PORT", "80"),
        ("SERVER_PROTOCOL", "HTTP/1.1"), ("REQUEST_URI", "/"), ("HTTP_HOST", "b.test"),
        ("REMOTE_ADDR", "10.9.8.7"), ("REMOTE_PORT", "4242"), ("REMOTE_USER", "admin"),
        ("AUTH_TYPE", "Basic"), ("SCRIPT_FILENAME", script),
        ("mod_wsgi.application_group", ""), ("mod_wsgi.callable_object", "application"),
        ("mod_wsgi.script_reloading", "1"),
    ]


def attempt(path, script, version, timeout=8.0):
    """One connection: Hello of `version`, a request for `script`; what came back."""
    result = {"version": version, "connected": False, "sent": False, "reply": ""}
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    reply = b""
    try:
        s.connect(path)
        result["connected"] = True
        s.sendall(hello(version) + frame(REQUEST_HEAD, pairs(environ(script))) + frame(REQUEST_END))
        result["sent"] = True
        # Until the daemon closes, or its answer has come (a kept-alive connection stays open).
        while len(reply) < 4096 and struct.pack("<B", RESPONSE_END) not in reply[-8:-7]:
            chunk = s.recv(4096)
            if not chunk:
                break
            reply += chunk
    except OSError as e:
        result["error"] = "%s: %s" % (type(e).__name__, e)
    finally:
        s.close()
        result["reply"] = reply.hex()
    return result


def attack(path, script):
    """Both layouts a worker has used: today's Hello (with a guessed secret) and version 2's."""
    return [attempt(path, script, VERSION), attempt(path, script, 2)]


if __name__ == "__main__":
    print(json.dumps(attack(sys.argv[1], sys.argv[2])))
