#!/usr/bin/python3
"""Tokens, encrypted inputs and the static files against a hostile
client: what the host reads from a request head must be read one way
only, whoever else (a proxy, a client library) reads it too.  TAP on
stdout."""
import base64
import hashlib
import hmac
import json
import os
import struct
import shutil
import socket
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fnhd import BUILD, DEVPUB, Daemon, sign  # noqa: E402
from fnhtap import Stop, done, require, tap  # noqa: E402

ECHO = os.path.join(BUILD, "tests/plugins/echo/plugin.so")

# RFC 9180 base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
# ChaCha20-Poly1305, written out here so the test needs no HPKE library.
KEM_ID = b"KEM\x00\x20"
SUITE = b"HPKE\x00\x20\x00\x01\x00\x03"
HDR = b"\x00\x00\x20\x00\x01\x00\x03"


def b64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def extract(salt, ikm):
    return hmac.new(salt or bytes(32), ikm, hashlib.sha256).digest()


def expand(prk, info, n):
    out, t, i = b"", b"", 1
    while len(out) < n:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        out, i = out + t, i + 1
    return out[:n]


def l_extract(suite, salt, label, ikm):
    return extract(salt, b"HPKE-v1" + suite + label + ikm)


def l_expand(suite, prk, label, info, n):
    return expand(prk, struct.pack(">H", n) + b"HPKE-v1" + suite + label +
                  info, n)


def ohttp_request(pk, checksum, data):
    """An encrypted invoke's body for the function checksum, and what
    its answer is opened with."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import (
        X25519PrivateKey, X25519PublicKey)
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
    from cryptography.hazmat.primitives import serialization
    ske = X25519PrivateKey.generate()
    enc = ske.public_key().public_bytes(serialization.Encoding.Raw,
                                        serialization.PublicFormat.Raw)
    dh = ske.exchange(X25519PublicKey.from_public_bytes(pk))
    prk = l_extract(KEM_ID, b"", b"eae_prk", dh)
    shared = l_expand(KEM_ID, prk, b"shared_secret", enc + pk, 32)
    info = b"fnhost request\x00" + HDR + checksum.encode()
    ctx = (b"\x00" + l_extract(SUITE, b"", b"psk_id_hash", b"") +
           l_extract(SUITE, b"", b"info_hash", info))
    secret = l_extract(SUITE, shared, b"secret", b"")
    key = l_expand(SUITE, secret, b"key", ctx, 32)
    nonce = l_expand(SUITE, secret, b"base_nonce", ctx, 12)
    exp = l_expand(SUITE, secret, b"exp", ctx, 32)
    ct = ChaCha20Poly1305(key).encrypt(nonce, data, b"")
    resp_secret = l_expand(SUITE, exp, b"sec", b"fnhost response", 32)
    return HDR + enc + ct, (enc, resp_secret)


def ohttp_response(state, body):
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
    enc, secret = state
    prk = extract(enc + body[:32], secret)
    return ChaCha20Poly1305(expand(prk, b"key", 32)).decrypt(
        expand(prk, b"nonce", 12), body[32:], b"")


def attests(att_pk, hdrs, ih, oh):
    """Whether the answer's signature holds over these digests."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PublicKey)
    msg = "fnhost-attest-v1\n%s\n%s\n%s" % (
        hdrs.get("fnhost-function-checksum"), ih, oh)
    try:
        Ed25519PublicKey.from_public_bytes(att_pk).verify(
            base64.b64decode(hdrs.get("fnhost-attestation", "")),
            msg.encode())
        return True
    except (InvalidSignature, ValueError):
        return False


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
    st, body = raw(h, "POST", sessions, [("Authorization", "Bearer " + tok)])
    require(st == 201, "one Authorization header: a session", st)
    h.request("DELETE", "/v1/sessions/%s" % json.loads(body)["session"],
              None, tok)
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
    if st == 201:
        h.request("DELETE", "/v1/sessions/%s" %
                  json.loads(body)["session"], None, tok)


def unframe(inner):
    """The answer sealed in an encrypted invoke's response: (status,
    headers with lower-case names, body)."""
    head, _, body = inner.partition(b"\n\n")
    lines = head.decode().split("\n")
    hdrs = dict((k.lower(), v) for k, _, v in
                (ln.partition(": ") for ln in lines[1:]))
    return int(lines[0]), hdrs, body


def sealed_invoke(h, sid, tok, pk, checksum, data):
    req, state = ohttp_request(pk, checksum, data)
    st, body, hdrs = h.request("POST", "/v1/sessions/%s/invoke" % sid, req,
                               tok, {"Content-Type": "application/fnhost-hpke"})
    try:
        inner = unframe(ohttp_response(state, body))
    except Exception as e:  # noqa: BLE001 - any failure is the check's
        inner = (None, {}, repr(e).encode())
    clear = sorted(k for k in hdrs if k.startswith("fnhost-"))
    return st, clear, inner


def sealed_answers(h, echo, hs):
    """An encrypted invoke's answer says nothing of its plaintext in the
    clear: not whether the function failed on it, nor the digests of its
    input and output, nor a signature a guess of them could be checked
    against.  All of that is sealed with the output."""
    st, k = h.json("GET", "/v1/key")
    require(st == 200, "the host's keys", k)
    pk = b64url(k["encryption"]["public_key"])
    att = b64url(k["attestation"]["public_key"])
    tok = h.token(echo["id"])
    st, o = h.json("POST", "/v1/functions/%s/sessions" % echo["id"], b"",
                   tok)
    require(st == 201, "a session of echo", o)
    guess = b"yes"
    plain = hashlib.sha256(guess).hexdigest()
    st, clear, (ist, ihdrs, out) = sealed_invoke(
        h, o["session"], tok, pk, echo["checksum"], guess)
    tap(st == 200 and ist == 200 and out == guess,
        "an encrypted invoke of echo answers its input, sealed with its "
        "status and headers", (st, ist, out))
    tap(clear == [],
        "its response carries no fnhost header in the clear (no digest "
        "of the plaintext, no signature a guess could be checked against)",
        clear)
    tap(ihdrs.get("fnhost-input-sha256") == plain and
        ihdrs.get("fnhost-output-sha256") == plain and
        ihdrs.get("fnhost-function-checksum") == echo["checksum"] and
        attests(att, ihdrs, plain, plain),
        "the sealed answer carries the attestation of the plaintexts",
        ihdrs)
    st, body, hdrs = h.request("POST", "/v1/sessions/%s/invoke" %
                               o["session"], guess, tok)
    tap(st == 200 and body == guess and
        hdrs.get("fnhost-input-sha256") == plain and
        attests(att, hdrs, plain, plain),
        "a plain invoke still attests in the clear", hdrs)
    h.request("DELETE", "/v1/sessions/%s" % o["session"], None, tok)

    tok = h.token(hs["id"])
    st, o = h.json("POST", "/v1/functions/%s/sessions" % hs["id"], b"", tok)
    require(st == 201, "a session of hide_and_seek", o)
    st, clear, (ist, ihdrs, out) = sealed_invoke(
        h, o["session"], tok, pk, hs["checksum"], b"not a position")
    tap(st == 200 and clear == [] and ist == 422 and
        b"function_error" in out,
        "an encrypted invoke the function fails on: 200 in the clear, "
        "like any other, the 422 sealed inside", (st, clear, ist, out))
    h.request("DELETE", "/v1/sessions/%s" % o["session"], None, tok)


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
            st, hs = h.deploy(os.path.join(BUILD, "plugins",
                                           "hide_and_seek"))
            require(st == 201, "deploy hide_and_seek", hs)
            sealed_answers(h, f, hs)
    except Stop:
        pass
    finally:
        h.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return done()


if __name__ == "__main__":
    sys.exit(main())
