#!/usr/bin/python3
"""Encrypted inputs and signed results against a real fnhostd.

The hider encrypts a position with `fnhost encrypt -c`/`-f` and hands
the fnh2: text to a seeker, whose `fnhost run` prints the distance; the
position appears in neither the log nor the data dir.  A text or an
encrypted invoke made for hide_and_seek, sent to another deployed
function (echo), gets 400 naming the mismatch and echo never runs; an
fnh1: text gets 400 saying how to re-encrypt.  An independent HPKE
(@hpke/core, via tests/e2e/hpke-interop/fnh-hpke.mjs) encrypts to the
key of GET /v1/key, for fnh2: texts and encrypted invokes; node's own
Ed25519 checks the attestation.  Altered, truncated, misaddressed and
mislabelled ciphertexts get 400 and run nothing; key rotation keeps the
old key for its stated time only.  TAP on stdout."""
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fnhd import BUILD, DEVPUB, Daemon, sign  # noqa: E402
from fnhtap import done, tap  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_DIR = os.path.join(BUILD, "hpke-interop")
HIDE = '{"latitude": 48.8584, "longitude": 2.2945, "nonce": "q7Zx"}'
SEEK = '{"latitude": 48.8606, "longitude": 2.3376}'
DISTANCE = b"Getting closer! still 3172.01"


def b64url_hex(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).hex()


def node(*args):
    r = subprocess.run(["node", os.path.join(NODE_DIR, "fnh-hpke.mjs")] +
                       list(args), capture_output=True, text=True)
    return r.returncode, r.stdout.rstrip("\n"), r.stderr


def main():
    tmp = tempfile.mkdtemp(prefix="fnhost-encrypt-")
    r = subprocess.run(["sh", os.path.join(HERE, "hpke-interop", "setup.sh"),
                        NODE_DIR], capture_output=True, text=True)
    if r.returncode != 0:
        tap(False, "the node side installs", r.stdout + r.stderr)
        return done()
    try:
        with Daemon(tmp) as h:
            run_all(h, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return done()


def run_all(h, tmp):
    st, body, _ = h.request("GET", "/v1/key")
    key = json.loads(body)
    enc = key["encryption"]
    tap(st == 200 and list(key) == ["encryption", "attestation"] and
        enc["kem"] == "DHKEM(X25519, HKDF-SHA256)" and
        enc["kdf"] == "HKDF-SHA256" and enc["aead"] == "ChaCha20Poly1305" and
        len(b64url_hex(enc["public_key"])) == 64 and
        key["attestation"]["alg"] == "Ed25519" and
        len(b64url_hex(key["attestation"]["public_key"])) == 64,
        "GET /v1/key, without a token, names both keys and the suite", key)
    pk = b64url_hex(enc["public_key"])
    att = key["attestation"]["public_key"]

    r = h.fnhost(["trust", "add", DEVPUB], token=h.admin)
    r = h.fnhost(["deploy", os.path.join(BUILD, "plugins", "hide_and_seek")],
                 token=h.admin)
    fid = [l.split()[1] for l in r.stdout.splitlines()
           if l.startswith("id ")][0]
    with open(os.path.join(BUILD, "plugins", "hide_and_seek",
                           "MANIFEST"), "rb") as f:
        checksum = hashlib.sha256(f.read()).hexdigest()
    tok = h.fnhost(["token", "create", fid], token=h.admin).stdout.strip()

    # The README's game: the hider encrypts, the seeker runs.
    keyfile = os.path.join(tmp, "host-key.json")
    with open(keyfile, "w") as f:
        f.write(h.fnhost(["key", "-o", "json"]).stdout)
    r = h.fnhost(["encrypt", "-k", keyfile, HIDE])
    tap(r.returncode == 2 and "-f ID or -c CHECKSUM" in r.stderr,
        "fnhost encrypt without the function is a usage error", r.stderr)
    r = h.fnhost(["encrypt", "-k", keyfile, "-c", checksum, HIDE])
    text = r.stdout.strip()
    tap(r.returncode == 0 and text.startswith("fnh2:") and "48.8584" not in
        text, "fnhost encrypt -c prints an fnh2: text", r.stdout + r.stderr)
    r = h.fnhost(["encrypt", "-f", fid, HIDE], token=h.admin)
    ftext = r.stdout.strip()
    st, o = open_and_invoke(h, fid, tok, [ftext.encode(), SEEK.encode()])
    tap(r.returncode == 0 and ftext.startswith("fnh2:") and
        st == [200, 200] and o[1].startswith(DISTANCE),
        "fnhost encrypt -f asks the host for the checksum", (r.stderr, st))
    r = h.fnhost(["run", "--verify", "-c", checksum, fid, text, SEEK],
                 token=tok)
    tap(r.returncode == 0 and r.stdout.split("\n")[0] == "" and
        r.stdout.split("\n")[1].encode().startswith(DISTANCE),
        "the seeker's fnhost run --verify prints the distance",
        r.stdout + r.stderr)
    # The seeker who also seals each invoke: the hider's text travels
    # inside the encrypted invoke and is opened there too.
    r = h.fnhost(["run", "--encrypt", "--verify", "-k", keyfile, "-c",
                  checksum, fid, text, SEEK], token=tok)
    tap(r.returncode == 0 and r.stdout.split("\n")[0] == "" and
        r.stdout.split("\n")[1].encode().startswith(DISTANCE),
        "fnhost run --encrypt with the hider's fnh2: text", r.stdout + r.stderr)
    r = h.fnhost(["encrypt", "-k", keyfile, "-c", "ab" * 32, HIDE])
    r = h.fnhost(["run", "--encrypt", "-k", keyfile, "-c", checksum, fid,
                  r.stdout.strip()], token=tok)
    tap(r.returncode != 0 and "does not open for function" in r.stdout and
        "Expecting value" not in r.stdout + r.stderr,
        "and a text for another function inside it is refused, never run",
        r.stdout + r.stderr)
    with open(h.log, "rb") as f:
        logged = f.read()
    found = []
    for root, _, files in os.walk(h.data):
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                if b"48.8584" in f.read():
                    found.append(os.path.join(root, name))
    tap(b"48.8584" not in logged and not found,
        "the hidden position is in neither the log nor the data dir",
        found)

    cross_function(h, tmp, fid, tok, checksum, text, pk)

    # An independent HPKE encrypts to the host's key.
    rc, ntext, err = node("encrypt", pk, checksum, HIDE)
    st, o = open_and_invoke(h, fid, tok, [ntext.encode(), SEEK.encode()])
    tap(rc == 0 and st == [200, 200] and o[1].startswith(DISTANCE),
        "an fnh2: text from @hpke/core is decrypted by fnhostd", (err, st, o))
    st, o = open_and_invoke(h, fid, tok, [(ntext + "\r\n").encode(),
                                          SEEK.encode()])
    tap(st == [200, 200] and o[1].startswith(DISTANCE),
        "a text file's line end after the fnh2: text is no part of it",
        (st, o))

    # The attestation, checked by node's Ed25519.
    sid = session(h, fid, tok)
    st, out, hd = h.request("POST", "/v1/sessions/%s/invoke" % sid,
                            SEEK.encode(), tok)
    msg = os.path.join(tmp, "attested")
    with open(msg, "wb") as f:
        f.write(("fnhost-attest-v1\n%s\n%s\n%s" % (
            hd.get("fnhost-function-checksum"),
            hd.get("fnhost-input-sha256"),
            hd.get("fnhost-output-sha256"))).encode())
    rc, res, err = node("ed25519-verify", att, msg,
                        hd.get("fnhost-attestation", ""))
    tap(st == 200 and hd.get("fnhost-input-sha256") ==
        hashlib.sha256(SEEK.encode()).hexdigest() and
        hd.get("fnhost-output-sha256") == hashlib.sha256(out).hexdigest() and
        rc == 0 and res == "ok",
        "node's Ed25519 verifies the attestation of an invoke", (err, hd))
    with open(msg, "ab") as f:
        f.write(b"x")
    rc, _, _ = node("ed25519-verify", att, msg,
                    hd.get("fnhost-attestation", ""))
    tap(rc == 1, "and refuses it over anything else")
    h.request("DELETE", "/v1/sessions/%s" % sid, None, tok)

    refusals(h, tmp, fid, tok, pk, ntext, checksum)
    encrypted_invokes(h, tmp, fid, tok, pk, checksum)
    verify_fails(h, tmp, fid, tok)
    rotation(h, tmp, fid, tok, pk, checksum)


def cross_function(h, tmp, fid, tok, checksum, text, pk):
    """The issue's leak: a text for hide_and_seek sent to another function
    (echo, which prints its input) must not open there."""
    d = sign(tmp, os.path.join(BUILD, "tests", "plugins", "echo",
                               "plugin.so"), "echo")
    r = h.fnhost(["deploy", d], token=h.admin)
    eid = [l.split()[1] for l in r.stdout.splitlines()
           if l.startswith("id ")][0]
    etok = h.fnhost(["token", "create", eid], token=h.admin).stdout.strip()
    st, body = h.json("GET", "/v1/functions/" + eid, None, h.admin)
    esum = body["checksum"]
    for route in ("session", "run"):
        before = h.metrics()['fnhost_invokes_total{result="ok"}']
        if route == "session":
            sid = session(h, eid, etok)
            st, out, _ = h.request("POST", "/v1/sessions/%s/invoke" % sid,
                                   text.encode(), etok)
            h.request("DELETE", "/v1/sessions/%s" % sid, None, etok)
        else:
            st, out, _ = h.request("POST", "/v1/functions/%s/run" % eid,
                                   text.encode(), etok)
        msg = json.loads(out).get("error", {}).get("message", "") \
            if out.startswith(b"{") else ""
        tap(st == 400 and esum in msg and "does not open" in msg and
            b"48.8584" not in out and
            h.metrics()['fnhost_invokes_total{result="ok"}'] == before,
            "a text for hide_and_seek sent to echo (%s): 400 naming the "
            "mismatch, echo never ran" % route, (st, out))
    # The same with an encrypted invoke made for hide_and_seek.
    req, stf = os.path.join(tmp, "xreq"), os.path.join(tmp, "xst.json")
    node("ohttp-request", "0", pk, checksum, HIDE, req, stf)
    with open(req, "rb") as f:
        sealed = f.read()
    sid = session(h, eid, etok)
    st, out, _ = h.request("POST", "/v1/sessions/%s/invoke" % sid, sealed,
                           etok, {"Content-Type": "application/fnhost-hpke"})
    h.request("DELETE", "/v1/sessions/%s" % sid, None, etok)
    tap(st == 400 and esum.encode() in out and b"48.8584" not in out,
        "an encrypted invoke for hide_and_seek sent to echo: 400", (st, out))
    # fnh1 is refused, saying how to re-encrypt.
    rc, v1, err = node("encrypt-v1", pk, HIDE)
    st, out, _ = h.request("POST", "/v1/functions/%s/run" % fid,
                           v1.encode(), tok)
    tap(rc == 0 and st == 400 and b"fnhost encrypt -f ID" in out and
        b"-c CHECKSUM" in out,
        "an fnh1: text: 400, naming fnhost encrypt -f ID / -c CHECKSUM",
        (err, st, out))
    h.fnhost(["delete", eid], token=h.admin)


def session(h, fid, tok):
    st, body, _ = h.request("POST", "/v1/functions/%s/sessions" % fid, b"",
                            tok)
    return json.loads(body)["session"]


def open_and_invoke(h, fid, tok, inputs, headers=None):
    sid = session(h, fid, tok)
    sts, outs = [], []
    for i in inputs:
        st, out, _ = h.request("POST", "/v1/sessions/%s/invoke" % sid, i,
                               tok, headers)
        sts.append(st)
        outs.append(out)
    h.request("DELETE", "/v1/sessions/%s" % sid, None, tok)
    return sts, outs


def other_char(text, pos):
    c = "Q" if text[pos] == "A" else "A"
    return text[:pos] + c + text[pos + 1:]


def refusals(h, tmp, fid, tok, pk, ntext, checksum):
    _, other = node("keygen")[1].split()[0], node("keygen")[1].split()[1]
    cases = [
        ("one character of the ciphertext changed", other_char(ntext, 60)),
        ("the tag changed", other_char(ntext, len(ntext) - 10)),
        ("truncated", ntext[:-4]),
        ("cut inside its key", ntext[:41]),
        ("made for another key", node("encrypt", other, checksum, HIDE)[1]),
        ("made with another info", node("encrypt", pk, checksum, HIDE,
                                        "fnhost encrypt v0")[1]),
        ("made for another function", node("encrypt", pk, "0" * 64,
                                           HIDE)[1]),
    ]
    for what, text in cases:
        before = h.metrics()['fnhost_invokes_total{result="ok"}']
        sid = session(h, fid, tok)
        st, body, _ = h.request("POST", "/v1/sessions/%s/invoke" % sid,
                                text.encode(), tok)
        # Nothing ran: the session still hides its first position next.
        st2, out2, _ = h.request("POST", "/v1/sessions/%s/invoke" % sid,
                                 HIDE.encode(), tok)
        h.request("DELETE", "/v1/sessions/%s" % sid, None, tok)
        err = json.loads(body).get("error", {}) if body else {}
        tap(st == 400 and err.get("code") == "bad_request" and
            "does not open" in err.get("message", "") and st2 == 200 and
            out2 == b"" and
            h.metrics()['fnhost_invokes_total{result="ok"}'] == before + 1,
            "an fnh2: text %s: 400, and nothing ran" % what, (st, body))


def encrypted_invokes(h, tmp, fid, tok, pk, checksum):
    req, stf = os.path.join(tmp, "req"), os.path.join(tmp, "st.json")
    node("ohttp-request", "0", pk, checksum, HIDE, req, stf)
    sid = session(h, fid, tok)
    hdr = {"Content-Type": "application/fnhost-hpke"}
    with open(req, "rb") as f:
        st1, body1, h1 = h.request("POST", "/v1/sessions/%s/invoke" % sid,
                                   f.read(), tok, hdr)
    node("ohttp-request", "0", pk, checksum, SEEK, req, stf)
    with open(req, "rb") as f:
        sealed = f.read()
    st2, body2, h2 = h.request("POST", "/v1/sessions/%s/invoke" % sid,
                               sealed, tok, hdr)
    resp = os.path.join(tmp, "resp")
    with open(resp, "wb") as f:
        f.write(body2)
    rc, out, err = node("ohttp-response", stf, resp)
    # Sealed: "SSS\n", the headers, an empty line, the output.
    head, _, inner = out.partition("\n\n")
    tap(st1 == 200 and st2 == 200 and
        h2.get("content-type") == "application/fnhost-hpke" and
        DISTANCE not in body2 and rc == 0 and
        head.startswith("200\nContent-Type: application/octet-stream\n") and
        "\nFnhost-Attestation: " in head and
        inner.encode().startswith(DISTANCE),
        "an encrypted invoke from @hpke/core: its answer opens in node",
        (st1, st2, err, out))
    bad = bytearray(sealed)
    bad[50] ^= 1
    st3, body3, _ = h.request("POST", "/v1/sessions/%s/invoke" % sid,
                              bytes(bad), tok, hdr)
    tap(st3 == 400 and b"encrypted invoke" in body3,
        "an encrypted invoke with a bit flipped: 400", body3)
    h.request("DELETE", "/v1/sessions/%s" % sid, None, tok)

    r = h.fnhost(["run", "--encrypt", "--verify", fid, HIDE, SEEK], token=tok)
    tap(r.returncode == 0 and
        r.stdout.split("\n")[1].encode().startswith(DISTANCE),
        "fnhost run --encrypt --verify", r.stdout + r.stderr)


def verify_fails(h, tmp, fid, tok):
    # Another host's attestation key: the signatures can not hold.
    other = tempfile.mkdtemp(prefix="fnhost-encrypt-other-", dir=tmp)
    keyfile = os.path.join(tmp, "other-key.json")
    with Daemon(other) as h2, open(keyfile, "w") as f:
        f.write(h2.fnhost(["key", "-o", "json"]).stdout)
    r = h.fnhost(["run", "--verify", "-k", keyfile, fid, HIDE, SEEK],
                 token=tok)
    tap(r.returncode == 1 and "attestation does not hold" in r.stderr and
        DISTANCE.decode() not in r.stdout,
        "run --verify against another host's key fails loudly",
        r.stdout + r.stderr)


def rotation(h, tmp, fid, tok, pk, checksum):
    old_text = node("encrypt", pk, checksum, HIDE)[1]
    r = h.fnhost(["key", "rotate", "--keep", "3s", "-o", "json"],
                 token=h.admin)
    new = json.loads(r.stdout)["encryption"]["public_key"]
    st, o = open_and_invoke(h, fid, tok, [old_text.encode(), SEEK.encode()])
    tap(r.returncode == 0 and b64url_hex(new) != pk and st == [200, 200] and
        o[1].startswith(DISTANCE),
        "after a rotation the old key decrypts for its stated time",
        (r.stderr, st))
    st, o = open_and_invoke(
        h, fid, tok, [node("encrypt", b64url_hex(new), checksum, HIDE)[1].encode(),
                      SEEK.encode()])
    tap(st == [200, 200], "and the new key from the first moment", st)
    time.sleep(3.5)
    st, o = open_and_invoke(h, fid, tok, [old_text.encode()])
    tap(st == [400], "past that time the old key decrypts nothing", (st, o))
    r = h.fnhost(["key", "rotate"], token=tok)
    tap(r.returncode == 1, "only the admin rotates keys", r.stderr)


if __name__ == "__main__":
    sys.exit(main())
