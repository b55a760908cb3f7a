#!/usr/bin/python3
"""CORS and the static app directory against a real fnhostd.

Without cors_origins no answer carries a CORS header and a preflight is
403; with it, a listed origin's preflight is answered from the route
table (only the path's methods, only the API's headers) and every answer
names the origin and exposes the attestation headers; another origin gets
nothing.  app_dir is off by default; on, GET /app/PATH serves its regular
files with fixed types and refuses traversal, hidden files, symlinks
(inside or out), unknown types and files over 1 MiB.  A bad origin in
fnhost.conf stops fnhostd from starting.  TAP on stdout."""
import os
import shutil
import sys
import tempfile


def subdir(tmp, name):
    d = os.path.join(tmp, name)
    os.makedirs(d)
    return d

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fnhd import Daemon, DaemonError  # noqa: E402
from fnhtap import done, tap  # noqa: E402

ORIGIN = "http://app.example:8000"
EXPOSED = ("Fnhost-Function-Checksum, Fnhost-Input-Sha256, "
           "Fnhost-Output-Sha256, Fnhost-Attestation")


def preflight(h, path, origin=ORIGIN, method="POST"):
    return h.request("OPTIONS", path, None, None, {
        "Origin": origin, "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization, content-type"})


def off(tmp):
    with Daemon(subdir(tmp, "off")) as h:
        st, _, hd = preflight(h, "/v1/key", method="GET")
        tap(st == 403 and "access-control-allow-origin" not in hd,
            "no cors_origins: a preflight is 403", (st, hd))
        st, _, hd = h.request("GET", "/v1/key", None, None,
                              {"Origin": ORIGIN})
        tap(st == 200 and "access-control-allow-origin" not in hd,
            "no cors_origins: no CORS header on an answer", hd)
        st, _, _ = h.request("GET", "/app/hide-and-seek/")
        tap(st == 404, "no app_dir: /app/ is 404", st)


def on(tmp, app):
    conf = {"cors_origins": "https://other.example " + ORIGIN,
            "app_dir": app}
    with Daemon(subdir(tmp, "on"), **conf) as h:
        st, body, hd = preflight(h, "/v1/sessions/abc/invoke")
        tap(st == 204 and hd.get("access-control-allow-origin") == ORIGIN
            and hd.get("access-control-allow-methods") == "POST" and
            hd.get("access-control-allow-headers") ==
            "Authorization, Content-Type, Fnhost-Function-Checksum" and
            hd.get("vary") == "Origin",
            "a listed origin's preflight: 204, the path's one method, the "
            "API's headers", (st, hd))
        st, _, hd = preflight(h, "/v1/functions/abc", method="DELETE")
        tap(st == 204 and hd.get("access-control-allow-methods") ==
            "GET, DELETE", "the methods come from the route table", hd)
        st, _, hd = preflight(h, "/v1/nothing/here")
        tap(st == 404 and "access-control-allow-methods" not in hd,
            "a preflight for a path with no route: 404, no methods",
            (st, hd))
        st, _, hd = preflight(h, "/v1/key", origin="http://evil.example")
        tap(st == 403 and "access-control-allow-origin" not in hd,
            "another origin's preflight: 403, no CORS header", (st, hd))
        st, _, hd = preflight(h, "/v1/key", origin=ORIGIN + "/")
        tap(st == 403, "origins match exactly", st)
        st, _, hd = h.request("GET", "/v1/key", None, None,
                              {"Origin": ORIGIN})
        tap(st == 200 and hd.get("access-control-allow-origin") == ORIGIN
            and hd.get("access-control-expose-headers") == EXPOSED,
            "an answer to a listed origin names it and exposes the "
            "attestation headers", hd)
        st, _, hd = h.request("POST", "/v1/functions/x/run", b"x", None,
                              {"Origin": ORIGIN})
        tap(st == 401 and hd.get("access-control-allow-origin") == ORIGIN,
            "errors carry the header too (the page can read why)", (st, hd))
        st, _, hd = h.request("GET", "/v1/key", None, None,
                              {"Origin": "http://evil.example"})
        tap(st == 200 and "access-control-allow-origin" not in hd,
            "an answer to another origin has no CORS header", hd)
        static(h)


def make_app(tmp):
    app = os.path.join(tmp, "app")
    os.makedirs(os.path.join(app, "game", "sub"))
    files = {"game/index.html": b"<!doctype html><title>t</title>",
             "game/app.js": b"export const x = 1;\n",
             "game/style.css": b"body{}", "game/sub/data.json": b"{}",
             "game/.hidden.js": b"hidden", "game/tool.sh": b"#!/bin/sh",
             "game/big.js": b"/" * ((1 << 20) + 1)}
    for name, data in files.items():
        with open(os.path.join(app, name), "wb") as f:
            f.write(data)
    with open(os.path.join(tmp, "secret.js"), "wb") as f:
        f.write(b"SECRET")
    os.symlink(os.path.join(tmp, "secret.js"),
               os.path.join(app, "game", "out.js"))
    os.symlink("app.js", os.path.join(app, "game", "in.js"))
    os.symlink(tmp, os.path.join(app, "game", "up"))
    return app


def static(h):
    st, body, hd = h.request("GET", "/app/game/")
    tap(st == 200 and body.startswith(b"<!doctype html>") and
        hd.get("content-type") == "text/html; charset=utf-8" and
        hd.get("x-content-type-options") == "nosniff" and
        "script-src 'self'" in hd.get("content-security-policy", ""),
        "/app/game/ is its index.html, typed, nosniff, with a CSP", hd)
    st, _, hd = h.request("GET", "/app/game")
    tap(st == 301 and hd.get("location") == "/app/game/",
        "a directory without its slash is redirected", (st, hd))
    for path, want in (("game/app.js", "text/javascript; charset=utf-8"),
                       ("game/style.css", "text/css; charset=utf-8"),
                       ("game/sub/data.json", "application/json")):
        st, _, hd = h.request("GET", "/app/" + path)
        tap(st == 200 and hd.get("content-type") == want,
            "%s is served as %s" % (path, want), (st, hd))
    for path, why in (("game/../../secret.js", "a '..' segment"),
                      ("game/%2e%2e/%2e%2e/secret.js", "an encoded '..'"),
                      ("game//app.js", "an empty segment"),
                      ("game/.hidden.js", "a hidden file"),
                      ("game/out.js", "a symlink out of app_dir"),
                      ("game/in.js", "a symlink inside app_dir"),
                      ("game/up/secret.js", "a symlinked directory"),
                      ("game/tool.sh", "a type not in the table"),
                      ("game/big.js", "a file over 1 MiB"),
                      ("game/none.js", "a missing file")):
        st, body, _ = h.request("GET", "/app/" + path)
        tap(st == 404 and b"SECRET" not in body,
            "refused: %s (404)" % why, (st, body[:200]))
    st, _, _ = h.request("POST", "/app/game/app.js", b"x")
    tap(st == 405, "only GET serves files (405, not a file)", st)


def bad_origin(tmp):
    try:
        with Daemon(subdir(tmp, "bad"),
                    cors_origins="http://app.example/path"):
            started = True
    except DaemonError as e:
        started = "cors_origins" in str(e)
        started = not started
    tap(not started, "an origin with a path in fnhost.conf: fnhostd "
        "refuses to start, naming the key")


def main():
    tmp = tempfile.mkdtemp(prefix="fnhost-cors-")
    os.chmod(tmp, 0o711)  # workers reach their scratch below it
    try:
        off(tmp)
        on(tmp, make_app(tmp))
        bad_origin(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return done()


if __name__ == "__main__":
    sys.exit(main())
