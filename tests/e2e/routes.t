#!/usr/bin/python3
# routes.t: every route of fnhostd against every kind of caller, over real
# HTTP.  No token: 401 unless the route is anyone's.  A garbage token: 401
# on function-token routes; 403 on admin routes, which answer any token
# but the admin one with 403 (daemon.t asserts that too).  A valid token
# of another function: 403 on /v1/functions/{id}/... routes, 404
# no_session on session routes.  The admin token on a function-token
# route: 401 (it is no function token).  A function token on an admin
# route: 403.  Then a refused request with a 1 MiB body is answered
# without the body being kept: fnhostd's RSS stays flat over 50 of them.
# TAP on stdout; FNHOST_BUILD is the absolute build directory.
import json
import os
import shutil
import socket
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fnhd import BUILD, Daemon, sign  # noqa: E402
from fnhtap import done, require, tap, Stop  # noqa: E402

ANYONE, ADMIN, TOKEN, TOKEN_ID = "anyone", "admin", "token", "token_id"
GARBAGE = "garbage.not.a-token"
# A real session id is filled in once a session is open.
SID = "{sid}"
FID = "{fid}"


def routes():
    """The API's routes, restated: method, path, who may call."""
    return [
        ("GET", "/healthz", ANYONE),
        ("GET", "/metrics", ADMIN),
        ("GET", "/v1/key", ANYONE),
        ("GET", "/v1/openapi.json", ANYONE),
        ("POST", "/v1/key/rotate", ADMIN),
        ("POST", "/v1/functions", ADMIN),
        ("GET", "/v1/functions", ADMIN),
        ("GET", "/v1/functions/" + FID, ADMIN),
        ("DELETE", "/v1/functions/" + FID, ADMIN),
        ("POST", "/v1/functions/" + FID + "/tokens", ADMIN),
        ("GET", "/v1/tokens", ADMIN),
        ("DELETE", "/v1/tokens/" + "0" * 32, ADMIN),
        ("POST", "/v1/functions/" + FID + "/sessions", TOKEN_ID),
        ("POST", "/v1/functions/" + FID + "/run", TOKEN_ID),
        ("POST", "/v1/sessions/" + SID + "/invoke", TOKEN),
        ("DELETE", "/v1/sessions/" + SID, TOKEN),
        ("POST", "/v1/trust", ADMIN),
        ("GET", "/v1/trust", ADMIN),
        ("DELETE", "/v1/trust/" + "0" * 16, ADMIN),
    ]


def code_of(body):
    try:
        return json.loads(body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


def main():
    tmp = tempfile.mkdtemp(prefix="fnhost-routes-")
    d = Daemon(tmp, invoke_timeout="5s", max_input="64K")
    try:
        with d:
            run_all(d, tmp)
    except Stop:
        pass
    finally:
        d.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return done()


def run_all(d, tmp):
    st = d.trust_dev_key()
    require(st == 201, "trust the development key", st)
    echo = os.path.join(BUILD, "tests", "plugins", "echo", "plugin.so")
    st, a = d.deploy(sign(tmp, echo, "echo"))
    require(st == 201, "deploy function A (echo)", a)
    st, b = d.deploy(os.path.join(BUILD, "plugins", "hide_and_seek"))
    require(st == 201, "deploy function B (hide_and_seek)", b)
    tok_a, tok_b = d.token(a["id"]), d.token(b["id"])
    require(tok_a and tok_b, "a token for each function")
    st, s = d.json("POST", "/v1/functions/%s/sessions" % a["id"], b"", tok_a)
    require(st == 201, "a session of A", s)

    def path_of(p):
        return p.replace(FID, a["id"]).replace(SID, s["session"])

    for method, pattern, who in routes():
        path = path_of(pattern)
        name = "%s %s" % (method, pattern)
        st, body, _ = d.request(method, path)
        if who == ANYONE:
            tap(st == 200, name + " with no token: 200", st)
            continue
        tap(st == 401 and code_of(body) == "unauthorized",
            name + " with no token: 401", (st, body))
        st, body, _ = d.request(method, path, token=GARBAGE)
        want = 403 if who == ADMIN else 401
        tap(st == want, "%s with a garbage token: %d" % (name, want),
            (st, body))
        if who == ADMIN:
            st, body, _ = d.request(method, path, token=tok_a)
            tap(st == 403 and code_of(body) == "forbidden",
                name + " with a function token: 403", (st, body))
            continue
        # Function-token routes: another function's valid token.
        st, body, _ = d.request(method, path, body=b"x", token=tok_b)
        if who == TOKEN_ID:
            tap(st == 403 and code_of(body) == "forbidden",
                name + " with another function's token: 403", (st, body))
        else:
            tap(st == 404 and code_of(body) == "no_session",
                name + " with another function's token: 404 no_session",
                (st, body))
        st, body, _ = d.request(method, path, body=b"x", token=d.admin)
        tap(st == 401 and code_of(body) == "unauthorized",
            name + " with the admin token: 401", (st, body))

    # The session is A's own still: refusals above did not end it.
    st, body, _ = d.request("POST", "/v1/sessions/%s/invoke" % s["session"],
                            body=b"still here", token=tok_a)
    tap(st == 200 and body == b"still here",
        "the session survived every refused call", (st, body))

    big_bodies(d, a["id"], tok_b)


def send_big(d, method, path, token, n):
    """One request with an n-byte body, sent whole even if the answer
    comes first; returns the status line's code, or None."""
    head = "%s %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n" % (
        method, path, n)
    if token:
        head += "Authorization: Bearer %s\r\n" % token
    head += "Connection: close\r\n\r\n"
    c = socket.create_connection((d.addr, d.port), timeout=30)
    try:
        try:
            c.sendall(head.encode() + b"\0" * n)
        except (BrokenPipeError, ConnectionResetError):
            pass
        data = b""
        try:
            while b"\r\n" not in data:
                chunk = c.recv(4096)
                if not chunk:
                    break
                data += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    finally:
        c.close()
    try:
        return int(data.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None


def big_bodies(d, fid, other_token):
    mib = 1 << 20
    cases = [
        ("POST", "/v1/functions/%s/run" % fid, None, 401),
        ("POST", "/v1/functions/%s/run" % fid, other_token, 403),
        ("POST", "/v1/functions", other_token, 403),
        ("POST", "/v1/trust", None, 401),
    ]
    for method, path, token, want in cases:
        st = send_big(d, method, path, token, mib)
        tap(st == want, "%s %s with 1 MiB, refused: %d" % (method, path, want),
            st)
    # Warm up, then measure: 50 refused 1 MiB bodies keep nothing.
    for _ in range(5):
        send_big(d, "POST", "/v1/functions/%s/run" % fid, None, mib)
    before = d.rss_kb()
    codes = set()
    for i in range(50):
        method, path, token, _ = cases[i % len(cases)]
        codes.add(send_big(d, method, path, token, mib))
    after = d.rss_kb()
    tap(codes <= {401, 403}, "50 refused 1 MiB requests each answered",
        codes)
    tap(after - before < 4096,
        "fnhostd's RSS stays flat over them (%d kB -> %d kB)" %
        (before, after), "grew %d kB" % (after - before))


if __name__ == "__main__":
    sys.exit(main())
