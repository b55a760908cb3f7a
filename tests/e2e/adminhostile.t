#!/usr/bin/python3
"""The admin routes of names, versions, aliases, logs, secrets and tokens
against a hostile client: odd bytes in the path and the query, values of
the wrong type or out of range in a body, methods a path does not take.
Each bad request gets its one error and changes nothing, which the
listings after it show.  TAP on stdout."""
import base64
import http.client
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fnhd import BUILD, DEVPUB, Daemon, sign  # noqa: E402
from fnhtap import Stop, done, require, tap  # noqa: E402

ECHO = os.path.join(BUILD, "tests/plugins/svc_echo/plugin.so")
COUNTER = os.path.join(BUILD, "tests/plugins/svc_counter/plugin.so")


def code_of(body):
    try:
        return body["error"]["code"]
    except (TypeError, KeyError):
        return None


def numbers(h):
    """The version numbers of svc and its aliases, as the host lists
    them."""
    st, o = h.json("GET", "/v1/functions/svc/versions", token=h.admin)
    if st != 200:
        return st, o
    return ([v["number"] for v in o["versions"]],
            {a["alias"]: a["number"] for a in o["aliases"]})


def status_of(h, method, path):
    """The status of a request's answer, read without its body (which a
    followed answer does not end)."""
    c = http.client.HTTPConnection(h.addr, h.port, timeout=10)
    try:
        c.request(method, path, headers={"Authorization": "Bearer " +
                                         h.admin})
        return c.getresponse().status
    finally:
        c.close()


def nul_bytes(h):
    """A %00 in the path or the query is no end of the text: the request
    is refused as malformed, not served as the shorter one."""
    before = numbers(h)
    st, o = h.json("DELETE", "/v1/functions/svc@1%00/versions",
                   token=h.admin)
    # No route takes DELETE on .../versions: it is no DELETE of svc@1.
    tap(st in (404, 405) and code_of(o) != "ok",
        "DELETE .../svc@1%00/versions: refused, not the version's delete",
        (st, o))
    tap(numbers(h) == before, "and svc's versions are as they were",
        (before, numbers(h)))
    st, o = h.json("GET", "/v1/functions/svc%00/versions", token=h.admin)
    tap(st == 400 and code_of(o) == "bad_request",
        "GET .../svc%00/versions: 400, not GET /v1/functions/svc", (st, o))
    st, o = h.json("PUT", "/v1/functions/svc@st%00x/alias",
                   '{"version":1}', token=h.admin)
    tap(st == 400 and code_of(o) == "bad_request",
        "PUT .../svc@st%00x/alias: 400", (st, o))
    tap(numbers(h) == before, "and no alias was set", (before, numbers(h)))

    r = h.fnhost(["secret", "set", "svc", "K", "value-of-k"], token=h.admin)
    require(r.returncode == 0, "fnhost secret set svc K", r.stderr)
    st, o = h.json("DELETE", "/v1/functions/svc/secrets?key=K%00junk",
                   token=h.admin)
    tap(st == 400 and code_of(o) == "bad_request",
        "DELETE .../secrets?key=K%00junk: 400, not the delete of K", (st, o))
    st, o = h.json("GET", "/v1/functions/svc/secrets", token=h.admin)
    tap(st == 200 and o["keys"] == ["K"], "and K is still there", (st, o))
    st = status_of(h, "GET", "/v1/functions/svc/logs?follow=1%00x")
    tap(st == 400, "GET .../logs?follow=1%00x: 400, not a follow", st)


def encoded_slashes(h):
    """A %2F is data in its segment, not a separator: the request is
    refused, not served as the route its decoded path would match."""
    h.json("PUT", "/v1/functions/svc@st/alias", '{"version":1}',
           token=h.admin)
    before = numbers(h)
    st, o = h.json("DELETE", "/v1/functions/svc@st%2Falias", token=h.admin)
    tap(st == 400 and code_of(o) == "bad_request",
        "DELETE /v1/functions/svc@st%2Falias: 400, not the alias's delete",
        (st, o))
    st, o = h.json("PUT", "/v1/functions/svc@st%2falias", '{"version":2}',
                   token=h.admin)
    tap(st in (400, 404, 405) and code_of(o) != "ok",
        "PUT /v1/functions/svc@st%2falias: refused", (st, o))
    tap(numbers(h) == before, "and svc@st is as it was",
        (before, numbers(h)))
    st, o = h.json("GET", "/v1/functions/svc%2Fversions", token=h.admin)
    tap(st == 400 and code_of(o) == "bad_request",
        "GET /v1/functions/svc%2Fversions: 400, not the versions", (st, o))
    h.json("DELETE", "/v1/functions/svc@st/alias", token=h.admin)


def long_names(h):
    """A name, alias or id longer than the host takes is a malformed
    path (400), whether it fits the route's buffer or not; not a route
    that is not there."""
    before = numbers(h)
    for n in (64, 255, 256, 300, 4000):
        st, o = h.json("GET", "/v1/functions/%s/versions" % ("a" * n),
                       token=h.admin)
        tap(st == 400 and code_of(o) == "bad_request",
            "GET .../versions of a %d-byte name: 400" % n, (st, o))
        st, o = h.json("DELETE", "/v1/functions/svc@%s/alias" % ("a" * n),
                       token=h.admin)
        tap(st == 400 and code_of(o) == "bad_request",
            "DELETE svc@<%d bytes>/alias: 400" % n, (st, o))
    tap(numbers(h) == before, "and nothing changed", (before, numbers(h)))


def version_numbers(h):
    """A "version" that no version can have is a malformed body (400),
    not a version that is not there (404), and the message names the
    range rather than a number the client did not send."""
    before = numbers(h)
    for text in ["-1", "0", "9223372036854775807", "9223372036854775808",
                 "18446744073709551616", "1000000000000"]:
        st, o = h.json("PUT", "/v1/functions/svc@st/alias",
                       '{"version":%s}' % text, token=h.admin)
        tap(st == 400 and code_of(o) == "bad_request" and
            "1 to 999999999999" in o["error"]["message"],
            "PUT svc@st alias {\"version\":%s}: 400" % text, (st, o))
    for text in ["1.5", "1e30", "null", "true", "[1]", "{}", '"0"',
                 '"-1"', '"01"', '" 1"', '"1.0"', '""', '"A" ', '"x"',
                 '"1000000000000"', '"%s"' % ("A" * 64)]:
        st, o = h.json("PUT", "/v1/functions/svc@st/alias",
                       '{"version":%s}' % text, token=h.admin)
        tap(st == 400 and code_of(o) == "bad_request",
            "PUT svc@st alias {\"version\":%s}: 400" % text, (st, o))
    tap(numbers(h) == before, "and no alias was set", (before, numbers(h)))
    st, o = h.json("PUT", "/v1/functions/svc@st/alias",
                   '{"version":999999999999}', token=h.admin)
    tap(st == 404 and code_of(o) == "not_found",
        "the highest number there can be: 404, no such version", (st, o))
    st, o = h.json("PUT", "/v1/functions/svc@st/alias",
                   '{"version":"%s"}' % ("0" * 64), token=h.admin)
    tap(st == 404 and code_of(o) == "not_found",
        "a checksum of no version: 404", (st, o))
    _, vs = h.json("GET", "/v1/functions/svc/versions", token=h.admin)
    st, o = h.json("PUT", "/v1/functions/svc@st/alias",
                   json.dumps({"version": vs["versions"][0]["checksum"]}),
                   token=h.admin)
    tap(st == 200 and o["number"] == 1, "v1's checksum sets it", (st, o))
    st, o = h.json("PUT", "/v1/functions/svc@st/alias", '{"version":"2"}',
                   token=h.admin)
    tap(st == 200 and o["number"] == 2, "{\"version\":\"2\"} sets it",
        (st, o))
    st, o = h.json("PUT", "/v1/functions/svc@st/alias", '{"version":1}',
                   token=h.admin)
    tap(st == 200 and o["number"] == 1, "{\"version\":1} sets it", (st, o))
    h.json("DELETE", "/v1/functions/svc@st/alias", token=h.admin)


def wrong_methods(h):
    """A path that routes take, asked with a method none of them takes:
    405 method_not_allowed with the methods it takes in Allow, and the
    request does nothing; a path no route takes stays 404."""
    before = numbers(h)
    cases = [("POST", "/v1/functions/svc/versions", "GET"),
             ("DELETE", "/v1/functions/svc/versions", "GET"),
             ("GET", "/v1/functions/svc@st/alias", "PUT, DELETE"),
             ("GET", "/v1/functions/svc/rollback", "POST"),
             ("PUT", "/v1/functions/svc/logs", "GET"),
             ("POST", "/v1/functions/svc/secrets", "PUT, GET, DELETE"),
             ("PATCH", "/v1/functions/svc", "GET, DELETE"),
             ("GET", "/v1/functions/svc/tokens", "POST")]
    for method, path, allow in cases:
        st, body, hdrs = h.request(method, path, "{}", token=h.admin)
        try:
            o = json.loads(body)
        except ValueError:
            o = body
        tap(st == 405 and code_of(o) == "method_not_allowed" and
            hdrs.get("allow") == allow,
            "%s %s: 405, Allow: %s" % (method, path, allow),
            (st, o, hdrs.get("allow")))
    tap(numbers(h) == before, "and nothing changed", (before, numbers(h)))
    st, o = h.json("GET", "/v1/functions/svc/nothing", token=h.admin)
    tap(st == 404 and code_of(o) == "not_found",
        "a path no route takes: 404", (st, o))


def versions_of_targets(h):
    """GET .../versions of a target that names nothing is 404, not the
    name's versions; one that names a version lists its name's."""
    for target in ("svc@nosuch", "svc@99", "svc@highest"):
        st, o = h.json("GET", "/v1/functions/%s/versions" % target,
                       token=h.admin)
        tap(st == 404 and code_of(o) == "not_found",
            "GET /v1/functions/%s/versions: 404" % target, (st, o))
    for target in ("svc", "svc@latest", "svc@1"):
        st, o = h.json("GET", "/v1/functions/%s/versions" % target,
                       token=h.admin)
        tap(st == 200 and [v["number"] for v in o["versions"]] == [1, 2],
            "GET /v1/functions/%s/versions: svc's" % target, (st, o))


def token_jti(h, tok):
    """The jti of a token the host issued, from its payload."""
    payload = tok.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(
        payload + "=" * (-len(payload) % 4)))["jti"]


def token_bodies(h):
    """A token request's fields of the wrong type or form are 400; only a
    well-formed checksum of another bundle is 409; no token is made."""
    st, before = h.json("GET", "/v1/tokens", token=h.admin)
    for body in ('{"checksum":5}', '{"checksum":null}', '{"checksum":[]}',
                 '{"checksum":"abc"}', '{"checksum":"%s"}' % ("A" * 64),
                 '{"ttl":"60"}', '{"ttl":0}', '{"ttl":-1}', '{"ttl":1.5}',
                 '{"ttl":9223372036854775808}', '[]'):
        st, o = h.json("POST", "/v1/functions/svc/tokens", body,
                       token=h.admin)
        tap(st == 400 and code_of(o) == "bad_request",
            "POST .../svc/tokens %s: 400" % body, (st, o))
    st, o = h.json("POST", "/v1/functions/svc/tokens",
                   '{"checksum":"%s"}' % ("0" * 64), token=h.admin)
    tap(st == 409 and code_of(o) == "checksum_mismatch",
        "a checksum of another bundle: 409", (st, o))
    tok = h.token("svc")
    for pin in ("abc", "A" * 64, "0" * 63):
        st, o = h.json("POST", "/v1/functions/svc/sessions", token=tok,
                       headers={"Fnhost-Function-Checksum": pin})
        tap(st == 400 and code_of(o) == "bad_request",
            "a session pinned to %r: 400" % pin[:8], (st, o))
    st, o = h.json("POST", "/v1/functions/svc/sessions", token=tok,
                   headers={"Fnhost-Function-Checksum": "0" * 64})
    tap(st == 409 and code_of(o) == "checksum_mismatch",
        "a session pinned to another bundle's checksum: 409", (st, o))
    h.json("DELETE", "/v1/tokens/%s" % token_jti(h, tok), token=h.admin)
    st, after = h.json("GET", "/v1/tokens", token=h.admin)
    made = [t for t in after if t not in before]
    tap(st == 200 and all(t["revoked"] for t in made) and len(made) <= 1,
        "and no token was made but the one revoked here",
        (len(before), len(after)))


def main(tmp):
    h = Daemon(tmp)
    with h:
        h.fnhost(["trust", "add", DEVPUB], token=h.admin, check=True)
        st, v1 = h.deploy(sign(os.path.join(tmp, "a"), ECHO, "svc"))
        require(st == 201 and v1["number"] == 1, "deploy v1 of svc", v1)
        st, v2 = h.deploy(sign(os.path.join(tmp, "b"), COUNTER, "svc"))
        require(st == 201 and v2["number"] == 2, "deploy v2 of svc", v2)
        nul_bytes(h)
        encoded_slashes(h)
        long_names(h)
        version_numbers(h)
        wrong_methods(h)
        versions_of_targets(h)
        token_bodies(h)


if __name__ == "__main__":
    tmp = tempfile.mkdtemp(prefix="adminhostile.")
    try:
        main(tmp)
    except Stop:
        pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(done())
