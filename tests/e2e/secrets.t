#!/usr/bin/python3
"""Secrets sealed to the host, through a real fnhostd: `fnhost secret
set` seals on the client, the host keeps only the sealed text, the
function's own worker reads the value (tests/plugins/secret.c), a
function of another name has none, a sealed text replayed under another
name or key is refused, a new value reaches the next session, and a
plugin of another function scanning its worker's memory
(tests/hostile/memscan.c) finds no trace of the value while a worker
holding it is alive, though the same scan finds it in a worker that was
given it.  The value is in no log line and no metric.  A key rotation
reseals the stored secrets, and a start finishes a reseal that a crash
cut short.  TAP on stdout."""
import base64
import json
import os
import secrets as rnd
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fnhd import BUILD, DEVPUB, RELAXED, Daemon, sign  # noqa: E402
from fnhtap import Stop, done, require, skip, tap  # noqa: E402

# The secret plugin built as svc and as other: one plugin under two
# function names (the host refuses a name its descriptor does not say).
SVC_SO = os.path.join(BUILD, "tests/plugins/svc_secret/plugin.so")
OTHER_SO = os.path.join(BUILD, "tests/plugins/other_secret/plugin.so")
MEMSCAN_SO = os.path.join(BUILD, "tests/hostile/memscan/plugin.so")


def run(h, fid, text):
    """One-shot run of fid: (status, output bytes)."""
    tok = h.token(fid)
    st, out, _ = h.request("POST", "/v1/functions/%s/run" % fid,
                           text.encode() if isinstance(text, str) else text,
                           tok)
    return st, out


def rotation(h, svc, path, value):
    """`fnhost key rotate` reseals the stored secrets to the new key and
    drops the old one; a rotation cut short by a crash before the reseal
    is finished at the next start."""
    keys = os.path.join(h.data, "keys")
    with open(path, "rb") as f:
        before = f.read()
    with open(os.path.join(keys, "encrypt.key"), "rb") as f:
        old_key = f.read()
    r = h.fnhost(["key", "rotate"], token=h.admin)
    tap(r.returncode == 0, "fnhost key rotate", r.stderr)
    with open(path, "rb") as f:
        after = f.read()
    tap(after != before and len(after) == len(before) and
        not os.path.exists(os.path.join(keys, "encrypt.old")) and
        "event=key_rotate keep_s=0 resealed=2" in h.log_text(),
        "key rotate reseals both stored secrets and keeps no old key",
        h.log_tail(3))
    st, out = run(h, svc["id"], "API_KEY")
    tap(st == 200 and out == value.encode(),
        "the function reads its secret after the rotation", (st, out))

    # What a kill -9 between the key files' writes and the reseal leaves:
    # the new key, the old one kept for the secrets only (deadline 0),
    # the secret still sealed to the old key.
    h.kill()
    with open(os.path.join(keys, "encrypt.old"), "wb") as f:
        f.write(old_key + bytes(8))
    os.chmod(os.path.join(keys, "encrypt.old"), 0o600)
    with open(path, "wb") as f:
        f.write(before)
    h.start()
    with open(path, "rb") as f:
        now = f.read()
    tap(now != before and
        not os.path.exists(os.path.join(keys, "encrypt.old")) and
        "event=secrets_resealed count=1" in h.log_text(),
        "a start finishes a reseal that a crash cut short, then drops "
        "the old key", h.log_tail(5))
    st, out = run(h, svc["id"], "API_KEY")
    tap(st == 200 and out == value.encode(),
        "... and the function reads its secret", (st, out))


def main(tmp):
    h = Daemon(tmp)
    with h:
        h.fnhost(["trust", "add", DEVPUB], token=h.admin, check=True)
        st, svc = h.deploy(sign(tmp, SVC_SO, "svc"))
        require(st == 201, "deploy svc", svc)
        st, other = h.deploy(sign(tmp, OTHER_SO, "other"))
        require(st == 201, "deploy other (the same plugin)", other)
        st, scan = h.deploy(sign(tmp, MEMSCAN_SO, "memscan"))
        require(st == 201, "deploy memscan", scan)

        value = "v1-" + rnd.token_hex(24)
        r = h.fnhost(["secret", "set", "svc", "API_KEY", value],
                     token=h.admin)
        tap(r.returncode == 0, "fnhost secret set", (r.stdout, r.stderr))
        path = os.path.join(h.data, "secrets", "svc@API_KEY.sealed")
        with open(path, "rb") as f:
            sealed = f.read()
        tap(value.encode() not in sealed and
            len(sealed) == 32 + len(value) + 16 and
            os.stat(path).st_mode & 0o777 == 0o600,
            "the host keeps the sealed text alone, 0600", len(sealed))

        r = h.fnhost(["secret", "list", "svc"], token=h.admin)
        tap(r.returncode == 0 and r.stdout.split() == ["API_KEY"],
            "fnhost secret list: keys only", r.stdout)
        st, o = h.json("GET", "/v1/functions/svc/secrets", token=h.admin)
        tap(st == 200 and o == {"name": "svc", "keys": ["API_KEY"]},
            "GET secrets names the keys", o)

        st, out = run(h, svc["id"], "API_KEY")
        tap(st == 200 and out == value.encode(),
            "the function's own worker reads its secret", (st, out))
        st, out = run(h, other["id"], "API_KEY")
        tap(st == 422 and value.encode() not in out,
            "a function of another name has no such secret", (st, out))

        b64 = base64.urlsafe_b64encode(sealed).rstrip(b"=").decode()
        st, o = h.json("PUT", "/v1/functions/other/secrets",
                       json.dumps({"key": "API_KEY", "sealed": b64}),
                       h.admin)
        tap(st == 400, "a sealed text replayed under another name: 400", o)
        st, o = h.json("PUT", "/v1/functions/svc/secrets",
                       json.dumps({"key": "OTHER", "sealed": b64}),
                       h.admin)
        tap(st == 400, "... or under another key: 400", o)
        st, o = h.json("PUT", "/v1/functions/svc@1/secrets",
                       json.dumps({"key": "API_KEY", "sealed": b64}),
                       h.admin)
        tap(st == 400, "secrets belong to a name, not a version", o)
        st, _ = h.json("GET", "/v1/functions/svc/secrets", token=None)
        tap(st == 401, "the secret routes take the admin token", st)

        # A new value reaches the next session, even one made ahead.
        value2 = "v2-" + rnd.token_hex(24)
        r = h.fnhost(["secret", "set", "svc", "API_KEY", "-"],
                     token=h.admin, input=value2)
        tap(r.returncode == 0, "secret set from standard input", r.stderr)
        st, out = run(h, svc["id"], "API_KEY")
        tap(st == 200 and out == value2.encode(),
            "the next session has the new value", (st, out))

        # A worker of svc holds the value while another function scans.
        tok = h.token(svc["id"])
        st, s = h.json("POST", "/v1/functions/%s/sessions" % svc["id"],
                       token=tok)
        sid = s["session"]
        st, out, _ = h.request("POST", "/v1/sessions/%s/invoke" % sid,
                               b"API_KEY", tok)
        require(st == 200 and out == value2.encode(),
                "a session of svc holds the value", (st, out))
        st, out = run(h, scan["id"], value2.encode().hex())
        tap(st == 200 and out.startswith(b"clean: "),
            "memscan in another function's worker finds no trace of it",
            (st, out))
        h.request("DELETE", "/v1/sessions/%s" % sid, token=tok)
        # The control: the same scan in a worker given the value finds
        # it, so the clean answer above means something.
        r = h.fnhost(["secret", "set", "memscan", "K", value2],
                     token=h.admin)
        require(r.returncode == 0, "a secret for memscan itself", r.stderr)
        st, out = run(h, scan["id"], value2.encode().hex())
        if RELAXED and not out.startswith(b"ESCAPED: "):
            # AddressSanitizer's allocator keeps the value where the
            # scan's plain loads do not reach; the control holds in
            # every other build, where the clean answer above is made.
            skip("the scan's positive control under a sanitizer (%r)"
                 % out[:60])
        else:
            tap(st == 200 and out.startswith(b"ESCAPED: "),
                "the same scan finds the value in a worker given it",
                (st, out))

        text = h.metrics()
        _, raw, _ = h.request("GET", "/metrics", token=h.admin)
        tap(value.encode() not in raw and value2.encode() not in raw,
            "no value in /metrics", len(text))
        log = h.log_text()
        tap(value not in log and value2 not in log and
            "event=secret_set function=svc key=API_KEY" in log,
            "the log names the key, never the value", h.log_tail(3))

        rotation(h, svc, path, value2)

        r = h.fnhost(["secret", "delete", "svc", "API_KEY"], token=h.admin)
        tap(r.returncode == 0 and not os.path.exists(path),
            "fnhost secret delete removes it", r.stderr)
        st, out = run(h, svc["id"], "API_KEY")
        tap(st == 422, "after delete the function has none", (st, out))
        r = h.fnhost(["secret", "delete", "svc", "API_KEY"], token=h.admin)
        tap(r.returncode != 0, "deleting it again fails", r.stderr)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        try:
            main(tmp)
        except Stop:
            pass
    done()
