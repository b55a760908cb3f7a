#!/usr/bin/python3
"""Functions over time, through a real fnhostd: a name's versions and
aliases, tokens that follow an alias and tokens that do not, rollback,
deleting a version under a live session, fnhostd killed with SIGKILL
around the writes and started again, and a data dir of the release
before versions (tests/e2e/fixtures/datadir-v1) migrated at start with
its ids and its token still working.

v1 of the name "svc" is the echo plugin, v2 the counter plugin, so an
answer tells which version ran.  TAP on stdout."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fnhd import BUILD, DEVPUB, Daemon, sign  # noqa: E402
from fnhtap import Stop, done, require, tap  # noqa: E402

# echo and counter built with the descriptor name svc (the Makefile's
# SVC_PLUGINS): the host deploys a plugin under its descriptor's name.
ECHO = os.path.join(BUILD, "tests/plugins/svc_echo/plugin.so")
COUNTER = os.path.join(BUILD, "tests/plugins/svc_counter/plugin.so")
FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       "fixtures", "datadir-v1")


def bundle(tmp, so, tag):
    """The bundle of so named svc, in a directory of its own."""
    d = sign(os.path.join(tmp, tag), so, "svc")
    return d


def run(h, target, token, text="hi", pin=None):
    """One session of one invoke: (status, output or error)."""
    headers = {"Fnhost-Function-Checksum": pin} if pin else None
    st, o = h.json("POST", "/v1/functions/%s/sessions" % target,
                   token=token, headers=headers)
    if st != 201:
        return st, o
    sid = o["session"]
    st, out, _ = h.request("POST", "/v1/sessions/%s/invoke" % sid, text,
                           token)
    h.request("DELETE", "/v1/sessions/%s" % sid, token=token)
    return st, out.decode(errors="replace")


def versions(h):
    st, o = h.json("GET", "/v1/functions/svc/versions", token=h.admin)
    return o if st == 200 else None


def main(tmp):
    h = Daemon(tmp)
    with h:
        h.fnhost(["trust", "add", DEVPUB], token=h.admin, check=True)
        st, v1 = h.deploy(bundle(tmp, ECHO, "a"))
        require(st == 201 and v1["number"] == 1, "deploy v1 of svc", v1)
        st, again = h.deploy(bundle(tmp, ECHO, "a2"))
        tap(st == 201 and again == v1,
            "the same bundle again: the same answer", again)
        st, v2 = h.deploy(bundle(tmp, COUNTER, "b"))
        require(st == 201 and v2["number"] == 2 and v2["id"] != v1["id"],
                "deploy v2 of svc: a new version", v2)
        nfiles = len(os.listdir(os.path.join(h.data, "functions")))
        tap(nfiles == 2, "two versions stored, not three", nfiles)

        vs = versions(h)
        tap(vs and [x["number"] for x in vs["versions"]] == [1, 2] and
            vs["versions"][1]["aliases"] == ["latest"],
            "versions: 1 and 2, latest on 2", vs)
        r = h.fnhost(["versions", "-o", "json", "svc"], token=h.admin)
        tap(r.returncode == 0 and json.loads(r.stdout) == vs,
            "fnhost versions -o json prints the host's answer", r.stderr)

        r = h.fnhost(["alias", "set", "svc", "stable", "1"], token=h.admin)
        tap(r.returncode == 0 and r.stdout.strip() == "svc@stable 1",
            "fnhost alias set svc stable 1", r.stdout + r.stderr)
        t_stable = h.token("svc@stable")
        t_latest = h.token("svc")
        t_pinned = h.token("svc@stable", checksum=v1["checksum"])
        t_id = h.token(v1["id"])
        require(all([t_stable, t_latest, t_pinned, t_id]),
                "tokens for svc@stable, svc, a pinned one and an id")

        tap(run(h, "svc@stable", t_stable) == (200, "hi"),
            "svc@stable runs v1 (echo)")
        tap(run(h, "svc", t_latest) == (200, "1"),
            "svc (latest) runs v2 (counter)")
        st, _ = run(h, "svc", t_stable)
        tap(st == 403, "a token for svc@stable does not open svc", st)
        st, _ = run(h, "svc@stable", t_stable, pin=v2["checksum"])
        tap(st == 409, "a session's checksum pin keeps its 409", st)

        # Promote stable to 2: the alias token follows, the pinned does not.
        st, o = h.json("PUT", "/v1/functions/svc@stable/alias",
                       json.dumps({"version": v2["checksum"]}), h.admin)
        tap(st == 200 and o["number"] == 2, "stable promoted to 2", o)
        tap(run(h, "svc@stable", t_stable) == (200, "1"),
            "the token on stable follows the promotion")
        st, _ = run(h, "svc@stable", t_pinned)
        tap(st == 409, "the token pinned to v1's checksum does not", st)
        tap(run(h, v1["id"], t_id) == (200, "hi"),
            "an id token still runs the version it names")

        # Rollback.
        r = h.fnhost(["rollback", "-o", "json", "svc", "stable"],
                     token=h.admin)
        o = json.loads(r.stdout) if r.returncode == 0 else r.stderr
        tap(r.returncode == 0 and o["number"] == 1,
            "fnhost rollback svc stable: back to 1", o)
        tap(run(h, "svc@stable", t_stable) == (200, "hi"),
            "after the rollback the stable token runs v1 again")
        r = h.fnhost(["rollback", "svc", "stable"], token=h.admin)
        tap(r.returncode != 0 and "no older version" in r.stderr,
            "no rollback past the first version", r.stderr)
        r = h.fnhost(["rollback", "svc"], token=h.admin)
        tap(r.returncode == 0 and r.stdout.strip() == "svc@latest 1",
            "fnhost rollback svc moves latest", r.stdout + r.stderr)
        tap(run(h, "svc", t_latest) == (200, "hi"),
            "the latest token now runs v1")
        st, again = h.deploy(bundle(tmp, COUNTER, "b2"))
        tap(st == 201 and again["id"] == v2["id"] and
            versions(h)["versions"][1]["aliases"] == ["latest"],
            "deploying v2 again points latest at it, stores nothing", again)

        # Delete a version under a live session.
        st, o = h.json("POST", "/v1/functions/svc/sessions", token=t_latest)
        require(st == 201, "a session of v2 open", o)
        sid = o["session"]
        st, o = h.json("DELETE", "/v1/functions/svc@1", token=h.admin)
        tap(st == 409 and "stable" in o["error"]["message"],
            "v1 is not deleted while stable points at it", o)
        st = h.request("DELETE", "/v1/functions/svc@2", token=h.admin)[0]
        tap(st == 204, "v2 deleted while its session lives", st)
        st, out, _ = h.request("POST", "/v1/sessions/%s/invoke" % sid, "x",
                               t_latest)
        st2, out2, _ = h.request("POST", "/v1/sessions/%s/invoke" % sid, "x",
                                 t_latest)
        tap((st, out, st2, out2) == (200, b"1", 200, b"2"),
            "the live session of the deleted version finishes",
            (st, out, st2, out2))
        h.request("DELETE", "/v1/sessions/%s" % sid, token=t_latest)
        vs = versions(h)
        tap([x["number"] for x in vs["versions"]] == [1] and
            sorted(vs["versions"][0]["aliases"]) == ["latest", "stable"],
            "latest moved back to 1 when 2 went", vs)
        tap(run(h, "svc", t_latest) == (200, "hi"),
            "new sessions of svc run v1")

        # kill -9, then start again: everything written is there.
        st, v3 = h.deploy(bundle(tmp, COUNTER, "c"))
        tap(st == 201 and v3["number"] == 3,
            "a new bundle after the newest was deleted takes the next "
            "number, never the deleted one's", v3)
        st, _ = h.json("GET", "/v1/functions/svc@2", token=h.admin)
        tap(st == 404, "svc@2 names nothing after its deletion, not the "
            "new bundle", st)
        st, o = h.json("PUT", "/v1/functions/svc@highest/alias",
                       json.dumps({"version": 1}), h.admin)
        tap(st == 400 and "kept by the host" in o["error"]["message"],
            "the host's own 'highest' can not be set", o)
        h.json("PUT", "/v1/functions/svc@canary/alias",
               json.dumps({"version": 3}), h.admin)
        before = versions(h)
        h.kill()
        h.start()
        tap(versions(h) == before, "after kill -9 and a start: the same "
            "versions and aliases", (before, versions(h)))
        tap(run(h, "svc@stable", t_stable) == (200, "hi"),
            "and the stable token still runs v1")
        # A data dir with a version that latest is not on (a crash before
        # the store's journal, or a hand edit): a deploy of that bundle
        # again points latest at it.
        h.stop()
        with open(os.path.join(h.data, "aliases", "svc@latest.json")) as f:
            latest = json.load(f)
        latest["number"] = 1
        with open(os.path.join(h.data, "aliases", "svc@latest.json"),
                  "w") as f:
            f.write(json.dumps(latest, separators=(",", ":")) + "\n")
        h.start()
        st, again = h.deploy(bundle(tmp, COUNTER, "c2"))
        tap(st == 201 and again["id"] == v3["id"] and
            "latest" in versions(h)["versions"][1]["aliases"],
            "a deploy again of a version latest is not on moves latest",
            versions(h))

    migrated(tmp)


def migrated(tmp):
    """The fixture: made by the release before versions (fnhostd 0.1.0
    at 6ec3b74) with two deploys of the echo bundle as "old" (two
    records, one checksum: that release gave each deploy an id) and a
    token for the first id, in fixtures/datadir-v1/ids.json."""
    with open(os.path.join(FIXTURE, "ids.json")) as f:
        ids = json.load(f)
    d = os.path.join(tmp, "old")
    os.makedirs(d)
    shutil.copytree(os.path.join(FIXTURE, "data"), os.path.join(d, "data"),
                    symlinks=True)
    for root, dirs, files in os.walk(os.path.join(d, "data")):
        os.chmod(root, 0o700)
        for name in files:
            os.chmod(os.path.join(root, name), 0o600)
    # bundles/ is 0555/0444 in a live data dir; git keeps only +x.
    h = Daemon(d)
    with h:
        st, o = h.json("GET", "/v1/functions/old/versions", token=h.admin)
        # Deploy order is (created, id): both fell in one second here.
        tap(st == 200 and sorted(x["id"] for x in o["versions"]) ==
            sorted([ids["first"], ids["second"]]) and
            [x["number"] for x in o["versions"]] == [1, 2] and
            o["versions"][1]["aliases"] == ["latest"],
            "an old data dir: its records are versions 1 and 2 of their "
            "name, latest on the newest", o)
        tap(run(h, ids["first"], ids["token"]) == (200, "hi"),
            "a token the old release issued still runs its function")
        with open(os.path.join(h.data, "format")) as f:
            tap(f.read() == "2\n", "the data dir is marked migrated")
    h = Daemon(d)
    with h:
        st, o = h.json("GET", "/v1/functions/old", token=h.admin)
        tap(st == 200 and o["number"] == 2,
            "a second start reads the migrated dir", o)


if __name__ == "__main__":
    tmp = tempfile.mkdtemp(prefix="versions.")
    try:
        main(tmp)
    except Stop:
        pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(done())
