#!/usr/bin/python3
"""Two hosts of one cluster, without a database: one key set, two nodes.

Host a starts first and makes the keys; host b starts on a copy of a's
keys/ (what an operator's secret tooling distributes) and so publishes
the same encryption and attestation keys at GET /v1/key and holds the
same admin token.  A text encrypted to a's key opens on b, and the
attestation of an invoke on either verifies (with openssl, not fnhost)
against the one published key.  After `fnhost key rotate` on a and a
copy of the two encryption key files to b, SIGHUP makes b publish the
new key; a text sealed to the previous key still opens on both within
the keep window.  A new attestation key, copied to both and reloaded,
is what both then sign with.  A key set that does not load leaves b
with its keys and says why in the log.  Session ids name their node
("a." + 32 hex); one naming another node is answered 421 wrong_node,
not 404, and a bad node label fails fnhostd -t naming it.  TAP on
stdout."""
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fnhd import BUILD, DEVPUB, FNHOSTD, Daemon  # noqa: E402
from fnhd import attest_verifies, b64url, copy_key_files  # noqa: E402
from fnhtap import done, tap  # noqa: E402

HIDE = '{"latitude": 48.8584, "longitude": 2.2945}'
SEEK = '{"latitude": 48.8606, "longitude": 2.3376}'
DISTANCE = b"Getting closer!"
BUNDLE = os.path.join(BUILD, "plugins", "hide_and_seek")
def host_key(h):
    st, body, _ = h.request("GET", "/v1/key")
    return st, json.loads(body) if st == 200 else body


def reload(h, count):
    """SIGHUP h and wait for its count-th reload_keys line; that line."""
    h.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = [l for l in h.log_text().splitlines()
                 if "event=reload_keys" in l]
        if len(lines) >= count:
            return lines[count - 1]
        time.sleep(0.05)
    return ""


def deploy(h):
    h.fnhost(["trust", "add", DEVPUB], token=h.admin, check=True)
    fid = h.deploy_cli(BUNDLE)
    tok = h.fnhost(["token", "create", fid], token=h.admin,
                   check=True).stdout.strip()
    return fid, tok


def open_session(h, fid, tok):
    st, o = h.json("POST", "/v1/functions/%s/sessions" % fid, None, tok)
    return o["session"] if st == 201 else None


def invoke(h, sid, tok, data):
    return h.request("POST", "/v1/sessions/%s/invoke" % sid, data, tok)


def game(h, fid, tok, text):
    """A session of h: the hider's text, then a guess; the statuses and
    the guess's answer and headers."""
    sid = open_session(h, fid, tok)
    st1, _, _ = invoke(h, sid, tok, text.encode())
    st2, out, hd = invoke(h, sid, tok, SEEK.encode())
    h.request("DELETE", "/v1/sessions/%s" % sid, None, tok)
    return [st1, st2], out, hd


def main():
    tmp = tempfile.mkdtemp(prefix="fnhost-identity-")
    os.chmod(tmp, 0o711)
    ta, tb = os.path.join(tmp, "a"), os.path.join(tmp, "b")
    os.makedirs(ta)
    os.makedirs(tb)
    try:
        with Daemon(ta, node="a") as a:
            os.makedirs(os.path.join(tb, "data"), mode=0o711)
            copy_key_files(os.path.join(a.data, "keys"),
                      os.path.join(tb, "data", "keys"))
            with Daemon(tb, node="b") as b:
                run_all(tmp, a, b)
        bad_labels(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return done()


def run_all(tmp, a, b):
    ka, kb = host_key(a)[1], host_key(b)[1]
    tap(ka == kb and a.admin == b.admin,
        "a host started on a copy of another's keys/ publishes the same "
        "encryption and attestation keys and holds the same admin token",
        (ka, kb))
    fa, ta = deploy(a)
    fb, tb = deploy(b)
    checksum = hashlib.sha256(
        open(os.path.join(BUNDLE, "MANIFEST"), "rb").read()).hexdigest()

    # Session ids name their node, and a host tells a misrouted one.
    sa, sb = open_session(a, fa, ta), open_session(b, fb, tb)
    tap(re.fullmatch(r"a\.[0-9a-f]{32}", sa or "") and
        re.fullmatch(r"b\.[0-9a-f]{32}", sb or ""),
        "session ids are the node's label, '.' and 32 hex", (sa, sb))
    st, o = b.json("POST", "/v1/sessions/%s/invoke" % sa, HIDE, tb)
    msg = o["error"]["message"] if isinstance(o, dict) else ""
    tap(st == 421 and o["error"]["code"] == "wrong_node" and
        "node 'a'" in msg and "node 'b'" in msg,
        "an invoke of another node's session is 421 wrong_node, naming "
        "both nodes", (st, o))
    st, o = b.json("DELETE", "/v1/sessions/%s" % sa, None, tb)
    tap(st == 421 and o["error"]["code"] == "wrong_node",
        "so is a close of one", (st, o))
    st, _, _ = invoke(a, sa, ta, HIDE.encode())
    tap(st == 200, "and the session lives on on its own node", st)
    st, o = a.json("POST", "/v1/sessions/a.%s/invoke" % ("0" * 32), HIDE, ta)
    st2, o2 = a.json("POST", "/v1/sessions/%s/invoke" % ("0" * 32), HIDE, ta)
    tap(st == 404 and o["error"]["code"] == "no_session" and st2 == 404,
        "an unknown id of this node, or of none, is still 404 no_session",
        (st, o, st2, o2))
    st, _ = a.json("GET", "/healthz")
    tap(a.json("GET", "/healthz")[1].get("node") == "a",
        "GET /healthz names the node", st)
    for h, s, t in ((a, sa, ta), (b, sb, tb)):
        h.request("DELETE", "/v1/sessions/%s" % s, None, t)

    # One encryption key: a text for a's key opens on b; one attestation
    # key: either host's signature verifies with what a publishes.
    r = a.fnhost(["encrypt", "-c", checksum, HIDE])
    old_text = r.stdout.strip()
    st, out, hd = game(b, fb, tb, old_text)
    tap(st == [200, 200] and out.startswith(DISTANCE),
        "a text encrypted to host a's key opens on host b", (st, out))
    att = ka["attestation"]["public_key"]
    st2, _, hd2 = game(a, fa, ta, old_text)
    tap(attest_verifies(tmp, att, hd) and attest_verifies(tmp, att, hd2),
        "openssl verifies both hosts' attestations with the one key")
    hd_bad = dict(hd, **{"fnhost-output-sha256": "0" * 64})
    tap(not attest_verifies(tmp, att, hd_bad), "and none over another output")

    rotation(tmp, a, b, fa, ta, fb, tb, checksum, old_text)


def rotation(tmp, a, b, fa, ta, fb, tb, checksum, old_text):
    r = a.fnhost(["key", "rotate", "--keep", "1h", "-o", "json"],
                 token=a.admin)
    new = json.loads(r.stdout)["encryption"]["public_key"]
    copy_key_files(os.path.join(a.data, "keys"), os.path.join(b.data, "keys"),
              ["encrypt.old", "encrypt.key"])
    line = reload(b, 1)
    ka, kb = host_key(a)[1], host_key(b)[1]
    tap("changed=yes" in line and ka == kb and
        ka["encryption"]["public_key"] == new,
        "after a rotation on a, a copy of its encryption keys and SIGHUP, "
        "b publishes the new key too", (line, ka, kb))
    ok = True
    for h, f, t in ((a, fa, ta), (b, fb, tb)):
        st, out, _ = game(h, f, t, old_text)
        ok = ok and st == [200, 200] and out.startswith(DISTANCE)
        text = h.fnhost(["encrypt", "-c", checksum, HIDE]).stdout.strip()
        st, out, _ = game(h, f, t, text)
        ok = ok and st == [200, 200] and out.startswith(DISTANCE)
    tap(ok, "both open a text sealed to the previous key within its window, "
        "and one sealed to the new key")

    # A new attestation key, made once and copied to both.
    keys_a = os.path.join(a.data, "keys")
    with open(os.path.join(tmp, "attest.key"), "wb") as f:
        f.write(os.urandom(32))
    copy_key_files(tmp, keys_a, ["attest.key"])
    copy_key_files(tmp, os.path.join(b.data, "keys"), ["attest.key"])
    la, lb = reload(a, 1), reload(b, 2)
    ka, kb = host_key(a)[1], host_key(b)[1]
    att = ka["attestation"]["public_key"]
    _, _, hd = game(a, fa, ta, HIDE)
    _, _, hd2 = game(b, fb, tb, HIDE)
    tap("changed=yes" in la and "changed=yes" in lb and ka == kb and
        att != json.loads(r.stdout)["attestation"]["public_key"] and
        attest_verifies(tmp, att, hd) and attest_verifies(tmp, att, hd2),
        "a new attestation key, copied to both and reloaded, is the one "
        "both publish and sign with", (la, lb))

    # A broken copy: b keeps what it has and says why.
    with open(os.path.join(b.data, "keys", "encrypt.key"), "wb") as f:
        f.write(b"short")
    line = ""
    b.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while not line and time.monotonic() < deadline:
        line = "\n".join(l for l in b.log_text().splitlines()
                         if "event=reload_keys" in l and "kept" in l)
        time.sleep(0.05)
    st, out, _ = game(b, fb, tb, old_text)
    tap("encrypt.key is malformed" in line and host_key(b)[1] == kb and
        st == [200, 200],
        "a key set that does not load leaves the keys in use, and the log "
        "says which file is wrong", line)


def bad_labels(tmp):
    for label, why in (("Node1", "other than a-z"), ("-a", "starts with"),
                       ("a" * 17, "too long"), ("a.b", "other than a-z")):
        conf = os.path.join(tmp, "bad.conf")
        with open(conf, "w") as f:
            f.write("node = %s\n" % label)
        r = subprocess.run([FNHOSTD, "-t", "-c", conf], capture_output=True,
                           text=True)
        tap(r.returncode == 2 and "node" in r.stderr and why in r.stderr,
            "fnhostd -t refuses node = %s" % label, r.stderr)


if __name__ == "__main__":
    sys.exit(main())
