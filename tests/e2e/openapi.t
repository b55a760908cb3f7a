#!/usr/bin/python3
"""openapi.t: GET /v1/openapi.json is dist/openapi.json, byte for byte,
to anyone; it is OpenAPI 3.1; its operations are routes.c's table, every
route (method and path, "{}" and a last "*" being one named path
parameter) and no other; each path parameter is declared; every $ref
resolves; and its error codes are reply.c's table's, no more and no
fewer ("ok" is no error).  TAP on stdout; FNHOST_BUILD is the absolute
build directory."""
import json
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fnhd import Daemon, DaemonError  # noqa: E402
from fnhtap import done, require, tap, Stop  # noqa: E402

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def read(*p):
    with open(os.path.join(TOP, *p), "rb") as f:
        return f.read()


def route_table():
    """(METHOD, pattern) of every entry of routes.c's table."""
    text = read("host", "daemon", "routes.c").decode()
    table = text[text.index("route_table[] = {"):]
    table = table[:table.index("\n};")]
    return set(re.findall(r'\{\s*"([A-Z]+)",\s*"([^"]+)",\s*CALLER_', table))


def error_codes():
    """The codes of reply.c's kinds table."""
    text = read("host", "daemon", "reply.c").decode()
    table = text[text.index("kinds[ERR_KIND_COUNT] = {"):]
    table = table[:table.index("\n};")]
    return set(re.findall(r'\[ERR_[A-Z_]+\]\s*=\s*\{\s*\d+,\s*"([a-z_]+)"',
                          table))


def normal(path):
    """A path with each parameter written as {} (OpenAPI) or a last *
    (routes.c) as {}."""
    path = re.sub(r"\{[A-Za-z_][A-Za-z0-9_]*\}", "{}", path)
    return re.sub(r"/\*$", "/{}", path)


def refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                yield v
            else:
                yield from refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from refs(v)


def resolve(doc, ref):
    if not ref.startswith("#/"):
        return None
    node = doc
    for part in ref[2:].split("/"):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def check(doc):
    tap(doc.get("openapi", "").startswith("3.1."), "OpenAPI 3.1",
        doc.get("openapi"))
    ops, undeclared = set(), []
    for path, item in doc.get("paths", {}).items():
        for method, op in item.items():
            if method not in METHODS:
                continue
            ops.add((method.upper(), normal(path)))
            declared = set()
            for p in op.get("parameters", []) + item.get("parameters", []):
                p = resolve(doc, p["$ref"]) if "$ref" in p else p
                if p and p.get("in") == "path" and p.get("required"):
                    declared.add(p["name"])
            for name in re.findall(r"\{([^}]+)\}", path):
                if name not in declared:
                    undeclared.append("%s %s: {%s}" % (method, path, name))
    table = {(m, normal(p)) for m, p in route_table()}
    require(len(table) >= 20, "routes.c's table read (%d routes)" % len(table))
    tap(not table - ops, "every route of routes.c is described",
        sorted(table - ops))
    tap(not ops - table, "every described operation is a route of routes.c",
        sorted(ops - table))
    tap(not undeclared, "every path parameter is declared, required",
        undeclared)
    bad = sorted(r for r in set(refs(doc)) if resolve(doc, r) is None)
    tap(not bad, "every $ref resolves", bad)
    codes = error_codes() - {"ok"}
    require(len(codes) >= 10, "reply.c's codes read (%d)" % len(codes))
    try:
        enum = doc["components"]["schemas"]["Error"]["properties"][
            "error"]["properties"]["code"]["enum"]
    except (KeyError, TypeError):
        enum = []
    tap(len(enum) == len(set(enum)) and set(enum) == codes,
        "the error codes are reply.c's, no more, no fewer",
        "missing %s, extra %s" % (sorted(codes - set(enum)),
                                  sorted(set(enum) - codes)))
    ids = [op.get("operationId") for item in doc["paths"].values()
           for m, op in item.items() if m in METHODS]
    tap(all(ids) and len(ids) == len(set(ids)),
        "every operation has an operationId of its own", ids)


def main():
    committed = read("dist", "openapi.json")
    try:
        doc = json.loads(committed)
    except ValueError as e:
        doc = None
        why = str(e)
    tmp = tempfile.mkdtemp(prefix="fnhost-openapi-")
    d = Daemon(tmp)
    try:
        require(doc is not None, "dist/openapi.json is JSON", doc or why)
        check(doc)
        try:
            d.start()
            up, why = True, ""
        except DaemonError as e:
            up, why = False, str(e)
        with d:
            require(up, "fnhostd answers /healthz", why)
            st, body, hdrs = d.request("GET", "/v1/openapi.json")
            tap(st == 200 and body == committed and
                hdrs.get("content-type") == "application/json",
                "GET /v1/openapi.json, no token: dist/openapi.json as "
                "built in", (st, hdrs, body[:200]))
    except Stop as e:
        print("# stopped after: %s" % e)
    finally:
        d.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return done()


if __name__ == "__main__":
    sys.exit(main())
