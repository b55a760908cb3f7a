#!/usr/bin/python3
"""POST /v1/functions against a hostile admin client: bodies built by
hand, not by curl or fnhost deploy.  A deploy body is multipart/form-data
and nothing else, and one that is not whole is told as the body's fault,
not as the bundle's.  max_bundle is no larger than a bundle may be.
Nothing of a refused deploy stays in tmp/.  A key removed from the
trusted set stays removed however many reloads overlap.  TAP on
stdout."""
import os
import base64
import shutil
import sys
import tempfile
import threading
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fnhd import BUILD, DEVPUB, Daemon, DaemonError, sign  # noqa: E402
from fnhtap import Stop, done, require, tap  # noqa: E402

ECHO = os.path.join(BUILD, "tests/plugins/echo/plugin.so")
BOUNDARY = "hostile-b0undary"
MULTIPART = "multipart/form-data; boundary=" + BOUNDARY


def bundle_files(bundle):
    """[(name, bytes)] of a bundle directory, sorted by name."""
    out = []
    for name in sorted(os.listdir(bundle)):
        with open(os.path.join(bundle, name), "rb") as f:
            out.append((name, f.read()))
    return out


def multipart(files, close=True):
    """A multipart/form-data body, one part per file; without its
    closing boundary unless close."""
    out = b""
    for name, data in files:
        out += (b"--%s\r\nContent-Disposition: form-data; name=\"%s\"; "
                b"filename=\"%s\"\r\nContent-Type: application/octet-stream"
                b"\r\n\r\n" % (BOUNDARY.encode(), name.encode(),
                               name.encode()))
        out += data + b"\r\n"
    if close:
        out += b"--%s--\r\n" % BOUNDARY.encode()
    return out


def post(h, body, ctype):
    """(status, error code, message) of a deploy of body."""
    st, o = h.json("POST", "/v1/functions", body, h.admin,
                   {"Content-Type": ctype})
    err = o.get("error", {}) if isinstance(o, dict) else {}
    return st, err.get("code"), err.get("message", str(o))


def versions(h):
    st, o = h.json("GET", "/v1/functions", token=h.admin)
    require(st == 200, "list functions", (st, o))
    return len(o)


def only_multipart(h, files):
    """A bundle spelled as application/x-www-form-urlencoded is refused
    as a body that is not multipart (fnhostd(8)), not deployed: its names
    would be percent-decoded, another spelling of a name than the one
    every other reader of a bundle checks."""
    before = versions(h)
    body = "&".join("%s=%s" % (urllib.parse.quote(n, safe=""),
                               urllib.parse.quote_from_bytes(d, safe=""))
                    for n, d in files).encode()
    st, code, msg = post(h, body, "application/x-www-form-urlencoded")
    tap(st == 400 and code == "bad_request" and "multipart" in msg,
        "a urlencoded bundle: 400 bad_request", (st, code, msg))
    tap(versions(h) == before, "a urlencoded bundle records nothing",
        before)


def unfinished(h, files):
    """A body that stops before its closing boundary, every file whole
    or some never sent: 400 bad_request saying so, not bad_bundle
    blaming a file the client sent whole."""
    whole = multipart(files)
    cases = (("every part sent, no closing boundary",
              whole[:-len("--%s--\r\n" % BOUNDARY)]),
             ("two parts of four, no closing boundary",
              multipart(files[:2], close=False)),
             ("cut in the middle of a part", whole[:len(whole) // 2]))
    for what, body in cases:
        st, code, msg = post(h, body, MULTIPART)
        tap(st == 400 and code == "bad_request" and
            "closing boundary" in msg,
            "a body %s: 400 bad_request" % what, (st, code, msg))
    st, code, msg = post(h, whole, MULTIPART)
    tap(st in (200, 201), "the same body whole deploys", (st, code, msg))


def key_text(key_id):
    """A public key file for the 8 bytes key_id (the point is random:
    the set is only loaded, nothing is verified with it)."""
    blob = b"Ed" + key_id + os.urandom(32)
    return "untrusted comment: filler\n%s\n" % base64.b64encode(
        blob).decode()


def key_hex(key_id):
    return key_id[::-1].hex().upper()


def removed_key(h, rounds=200, churners=3):
    """A key whose DELETE /v1/trust/ID was answered 204 is no longer
    trusted, while other trust changes reload the set at the same time:
    a reload that read trusted/ before the removal must not swap the
    key back in after it.  A thousand keys make each read long enough
    for reloads to overlap."""
    tdir = os.path.join(h.data, "trusted")
    filler = None
    for _ in range(1000):
        key_id = os.urandom(8)
        filler = key_text(key_id)
        with open(os.path.join(tdir, key_hex(key_id) + ".pub"), "w") as f:
            f.write(filler)
    st, o = h.json("POST", "/v1/trust", filler, h.admin)
    require(st == 201, "a thousand keys trusted", (st, o))
    stop = threading.Event()

    def churn():
        while not stop.is_set():
            h.request("POST", "/v1/trust", filler, h.admin)

    threads = [threading.Thread(target=churn) for _ in range(churners)]
    for t in threads:
        t.start()
    key_id = os.urandom(8)
    text, kid = key_text(key_id), key_hex(key_id)
    stale, answers = 0, set()
    try:
        for _ in range(rounds):
            st, _ = h.json("POST", "/v1/trust", text, h.admin)
            st2, _, _ = h.request("DELETE", "/v1/trust/" + kid, None,
                                  h.admin)
            answers.add((st, st2))
            st3, keys = h.json("GET", "/v1/trust", None, h.admin)
            if st3 != 200 or any(k["key_id"] == kid for k in keys):
                stale += 1
    finally:
        stop.set()
        for t in threads:
            t.join()
    tap(answers == {(201, 204)} and stale == 0,
        "a key removed while the set reloads stays removed (%d rounds)"
        % rounds, "trusted after its DELETE in %d rounds; answers %s"
        % (stale, answers))


def limits(tmp):
    """max_bundle is at most what a bundle may hold (256M): a host told
    to take more would read and stage a body of 257M and more only to
    refuse it as a bad bundle, never as too large."""
    for size, starts in (("256M", True), ("257M", False)):
        d = os.path.join(tmp, "limit-" + size)
        os.makedirs(d)
        h = Daemon(d, max_bundle=size)
        try:
            h.start()
            ok, why = starts, "started"
        except DaemonError as e:
            ok, why = not starts and "max_bundle" in str(e), str(e)
        finally:
            h.stop()
        tap(ok, "max_bundle = %s %s" % (size, "starts" if starts
                                       else "is refused"), why)


def main(tmp):
    h = Daemon(tmp)
    with h:
        h.fnhost(["trust", "add", DEVPUB], token=h.admin, check=True)
        files = bundle_files(sign(tmp, ECHO, "echo", {"data.txt": b"hi"}))
        only_multipart(h, files)
        unfinished(h, files)
        left = os.listdir(os.path.join(h.data, "tmp"))
        tap(left == [], "nothing of a refused deploy stays in tmp/", left)
        removed_key(h)
    limits(tmp)


if __name__ == "__main__":
    tmp = tempfile.mkdtemp(prefix="deployhostile.")
    try:
        main(tmp)
    except Stop:
        pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(done())
