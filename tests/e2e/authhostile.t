#!/usr/bin/python3
"""Tokens, encrypted inputs and the static files against a hostile
client: what the host reads from a request head must be read one way
only, whoever else (a proxy, a client library) reads it too.  TAP on
stdout."""
import json
import os
import shutil
import socket
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fnhd import BUILD, DEVPUB, Daemon, sign  # noqa: E402
from fnhtap import Stop, done, require, tap  # noqa: E402

ECHO = os.path.join(BUILD, "tests/plugins/echo/plugin.so")


def raw(h, method, path, headers, body=b""):
    """One request with headers as given, repeats and all (http.client
    keeps one of each); (status, body bytes)."""
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: 127.0.0.1",
             "Connection: close", "Content-Length: %d" % len(body)]
    lines += ["%s: %s" % kv for kv in headers]
    data = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    with socket.create_connection((h.addr, h.port), timeout=30) as s:
        s.sendall(data)
        got = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
    head, _, rest = got.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), rest


def code_of(body):
    try:
        return json.loads(body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


def repeated_headers(h, fid, checksum):
    """A header the host reads as one value, sent twice, is refused: the
    host took the first copy, so a second Authorization, pin or
    Content-Type that a proxy or a client acted on was not the one the
    host acted on."""
    tok = h.token(fid)
    require(tok, "a token for echo")
    sessions = "/v1/functions/%s/sessions" % fid
    st, _ = raw(h, "POST", sessions, [("Authorization", "Bearer " + tok)])
    require(st == 201, "one Authorization header: a session", st)
    st, body = raw(h, "POST", sessions,
                   [("Authorization", "Bearer " + tok),
                    ("Authorization", "Bearer not-a-token")])
    tap(st == 400 and code_of(body) == "bad_request",
        "two Authorization headers, the second not a token: 400", (st, body))
    st, body = raw(h, "POST", sessions,
                   [("Authorization", "Bearer not-a-token"),
                    ("Authorization", "Bearer " + tok)])
    tap(st == 400 and code_of(body) == "bad_request",
        "two Authorization headers, the first not a token: 400", (st, body))
    st, body = raw(h, "GET", "/v1/functions",
                   [("Authorization", "Bearer " + h.admin),
                    ("Authorization", "Bearer " + tok)])
    tap(st == 400, "the admin token beside a function token: 400",
        (st, body))
    other = "0" * 64 if checksum != "0" * 64 else "1" * 64
    st, body = raw(h, "POST", sessions,
                   [("Authorization", "Bearer " + tok),
                    ("Fnhost-Function-Checksum", checksum),
                    ("Fnhost-Function-Checksum", other)])
    tap(st == 400,
        "two Fnhost-Function-Checksum pins, the second another version: "
        "400, not a session of the first", (st, body))
    st, body = raw(h, "POST", "/v1/functions/%s/run" % fid,
                   [("Authorization", "Bearer " + tok),
                    ("Content-Type", "application/octet-stream"),
                    ("Content-Type", "application/fnhost-hpke")],
                   b"plain bytes")
    tap(st == 400,
        "two Content-Types, plain and encrypted: 400, not run as either",
        (st, body))
    st, body = raw(h, "POST", sessions,
                   [("authorization", "Bearer " + tok),
                    ("AUTHORIZATION", "Bearer " + tok)])
    tap(st == 400, "the same header twice in two cases: 400", (st, body))
    st, body = raw(h, "POST", sessions,
                   [("Authorization", "bearer  " + tok)])
    tap(st == 201, "one Authorization header, scheme in lower case and "
        "two spaces: still the token", (st, body))


def main():
    tmp = tempfile.mkdtemp(prefix="fnhost-authhostile-")
    h = Daemon(tmp, invoke_timeout="5s",
               sessions_per_token="16")
    try:
        with h:
            h.fnhost(["trust", "add", DEVPUB], token=h.admin, check=True)
            st, f = h.deploy(sign(tmp, ECHO, "echo"))
            require(st == 201, "deploy echo", f)
            repeated_headers(h, f["id"], f["checksum"])
    except Stop:
        pass
    finally:
        h.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return done()


if __name__ == "__main__":
    sys.exit(main())
