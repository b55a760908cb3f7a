#!/usr/bin/python3
# client.t: the fnhost client against a real fnhostd.  Starts the daemon on
# a free loopback port with a fresh data dir, then drives it only through
# `fnhost`: trust the development key, deploy hide_and_seek, issue a token,
# play one hide-and-seek session, refuse a wrong checksum pin before any
# session opens (409; fnhost_sessions_total unchanged), list, show, revoke
# a token and see it refused, delete the function, remove the key.  TAP on
# stdout; FNHOST_BUILD is the absolute build directory.
import base64
import hashlib
import json
import os
import shutil
import sys
import tempfile

BUILD = os.environ.get("FNHOST_BUILD")
if not BUILD:
    print("Bail out! FNHOST_BUILD must name the build directory")
    sys.exit(1)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fnhd import DEVPUB, Daemon, DaemonError  # noqa: E402
from fnhtap import Stop, done, require, tap  # noqa: E402

BUNDLE = os.path.join(BUILD, "plugins", "hide_and_seek")

HIDER = '{"latitude": 48.8584, "longitude": 2.2945}'
SEEKER = '{"latitude": 48.8530, "longitude": 2.3499}'
# The plugin's README: what the seed's Python answers for these two.
ANSWER = "Getting closer! still 4109.527795744302 meters away"
WRONG = "0123456789abcdef" * 4


def fnhost(host, args, stdin=""):
    """Run fnhost; returns (exit status, stdout text, stderr text)."""
    p = host.fnhost(args, input=stdin)
    return p.returncode, p.stdout, p.stderr


def show(rc, out, err):
    return "exit %d\nstdout: %r\nstderr: %r" % (rc, out, err)


def pub_keyid(path):
    """The key id minisign prints: bytes 2..10 of the key, little-endian."""
    with open(path) as f:
        raw = base64.b64decode(f.read().splitlines()[1])
    return raw[2:10][::-1].hex().upper()


def trust_tests(h, admin):
    kid = pub_keyid(DEVPUB)
    r = fnhost(h, ["trust", "add", "-t", admin, DEVPUB])
    require(r[0] == 0 and r[1] == "trusted %s\n" % kid,
            "trust add prints the key id", show(*r))
    r = fnhost(h, ["trust", "list", "-t", admin])
    tap(r[0] == 0 and kid in r[1].split(), "trust list shows the key",
        show(*r))
    return kid


def deploy_tests(h, admin):
    with open(os.path.join(BUNDLE, "MANIFEST"), "rb") as f:
        checksum = hashlib.sha256(f.read()).hexdigest()
    r = fnhost(h, ["deploy", "-t", admin, BUNDLE])
    lines = r[1].splitlines()
    require(r[0] == 0 and len(lines) >= 2 and lines[0].startswith("id ") and
            lines[1] == "checksum " + checksum,
            "deploy prints the id and the checksum of MANIFEST", show(*r))
    fid = lines[0][3:]
    r = fnhost(h, ["list", "-t", admin])
    rows = [line.split() for line in r[1].splitlines()]
    tap(r[0] == 0 and any(row[:1] == [fid] and checksum in row
                          for row in rows),
        "list shows the function with its checksum", show(*r))
    r = fnhost(h, ["show", "-o", "json", "-t", admin, fid])
    try:
        obj = json.loads(r[1])
    except ValueError:
        obj = {}
    tap(r[0] == 0 and obj.get("id") == fid and
        obj.get("checksum") == checksum,
        "show -o json gives the function's record", show(*r))
    r = fnhost(h, ["list"])
    tap(r[0] == 1 and r[1] == "" and r[2].startswith("fnhost list: ") and
        r[2].count("\n") == 1,
        "list without a token fails with one line", show(*r))
    return fid, checksum


def token_create(h, admin, fid):
    r = fnhost(h, ["token", "create", "-o", "json", "--ttl", "600",
                   "-t", admin, fid])
    try:
        obj = json.loads(r[1])
    except ValueError:
        obj = {}
    require(r[0] == 0 and obj.get("token") and obj.get("jti") and
            obj.get("expires"),
            "token create -o json gives token, expires and jti", show(*r))
    return obj["token"], obj["jti"]


def run_tests(h, secret, fid, checksum, token):
    r = fnhost(h, ["run", "-t", token, "-c", checksum, fid, HIDER, SEEKER])
    tap(r == (0, "\n" + ANSWER + "\n", ""),
        "run: hide and seek in one session, pinned to the checksum",
        show(*r))
    r = fnhost(h, ["run", "-o", "json", "-t", token, fid, "-"],
               stdin=HIDER + "\n" + SEEKER + "\n" + '{"lat": 1}\n')
    try:
        res = [json.loads(line) for line in r[1].splitlines()]
    except ValueError:
        res = []
    tap(r[0] == 1 and res == [{"ok": True, "output": ""},
                              {"ok": True, "output": ANSWER},
                              {"ok": False, "error": "'latitude'"}],
        "run -o json, inputs from stdin: the function's error is its text",
        show(*r))
    r = fnhost(h, ["run", "-t", token, fid, HIDER])
    tap(r == (0, "\n", ""), "run: a new session holds no secret", show(*r))
    n = h.metrics(secret).get("fnhost_sessions_open")
    tap(n == 0, "run closed every session it opened, failed ones too",
        "fnhost_sessions_open %r" % n)


def mismatch_tests(h, secret, fid, checksum, token):
    before = h.metrics(secret).get("fnhost_sessions_total")
    r = fnhost(h, ["run", "-t", token, "-c", WRONG, fid, HIDER, SEEKER])
    tap(r == (1, "", "fnhost run: checksum mismatch: the function is %s, "
              "not %s\n" % (checksum, WRONG)),
        "run -c WRONG: refused, naming both checksums", show(*r))
    after = h.metrics(secret).get("fnhost_sessions_total")
    tap(before is not None and before == after,
        "run -c WRONG: no session was opened",
        "fnhost_sessions_total %r, then %r" % (before, after))


def revoke_tests(h, admin, fid, token, jti):
    r = fnhost(h, ["token", "list", "-t", admin])
    tap(r[0] == 0 and any(line.split()[:1] == [jti]
                          for line in r[1].splitlines()),
        "token list shows the token's jti", show(*r))
    r = fnhost(h, ["token", "delete", "-t", admin, jti])
    tap(r == (0, "revoked %s\n" % jti, ""), "token delete revokes it",
        show(*r))
    r = fnhost(h, ["run", "-t", token, fid, HIDER])
    tap(r[0] == 1 and r[1] == "" and r[2].startswith("fnhost run: ") and
        r[2].count("\n") == 1,
        "run with the revoked token is refused", show(*r))


def delete_tests(h, admin, fid, kid):
    r = fnhost(h, ["delete", "-t", admin, fid])
    tap(r == (0, "deleted %s\n" % fid, ""), "delete removes the function",
        show(*r))
    r = fnhost(h, ["list", "-t", admin])
    tap(r[0] == 0 and fid not in r[1], "list no longer shows it", show(*r))
    r = fnhost(h, ["show", "-t", admin, fid])
    tap(r[0] == 1 and r[2].startswith("fnhost show: "),
        "show of the deleted function fails", show(*r))
    r = fnhost(h, ["trust", "remove", "-t", admin, kid])
    tap(r == (0, "removed %s\n" % kid, ""), "trust remove by key id",
        show(*r))
    r = fnhost(h, ["trust", "list", "-t", admin])
    tap(r[0] == 0 and kid not in r[1].split(), "trust list lacks the key",
        show(*r))


def client_only_tests(h):
    r = fnhost(h, ["key", "-o", "json"])
    try:
        ok = isinstance(json.loads(r[1]), dict)
    except ValueError:
        ok = False
    tap(r[0] == 0 and ok, "key -o json needs no token", show(*r))
    # 192.0.2.0/24 is TEST-NET-1: never reached, the refusal comes first.
    r = fnhost(h, ["list", "-u", "http://192.0.2.1:9", "-t", "secret"])
    tap(r[0] == 1 and "refusing to send a token" in r[2],
        "no token in clear text to a remote host", show(*r))
    r = fnhost(h, ["run"])
    tap(r[0] == 2 and r[2].startswith("usage: fnhost run"),
        "run without arguments is a usage error", show(*r))


def main():
    tmp = tempfile.mkdtemp(prefix="fnhost-client-")
    h = Daemon(tmp)
    try:
        try:
            h.start()
            up, why = True, ""
        except DaemonError as e:
            up, why = False, str(e)
        with h:
            require(up, "fnhostd answers /healthz", why)
            path = os.path.join(h.data, "keys", "admin.token")
            with open(path) as f:
                secret = f.read().strip()
            require(len(secret) > 0, "the admin token is in keys/admin.token")
            # fnhost reads it from the file, as an operator would.
            admin = "@" + path
            client_only_tests(h)
            kid = trust_tests(h, admin)
            fid, checksum = deploy_tests(h, admin)
            token, jti = token_create(h, admin, fid)
            run_tests(h, secret, fid, checksum, token)
            mismatch_tests(h, secret, fid, checksum, token)
            revoke_tests(h, admin, fid, token, jti)
            delete_tests(h, admin, fid, kid)
    except Stop as e:
        print("# stopped after: %s" % e)
    finally:
        h.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return done()


if __name__ == "__main__":
    sys.exit(main())
