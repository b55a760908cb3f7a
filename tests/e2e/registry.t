#!/usr/bin/python3
"""The shared registry (store = postgres), through a real PostgreSQL and
two real fnhostd with the same keys: what is written through one host is
served by the other, revocations and deletes reach it within a second,
two deploys at once get distinct numbers, a stopped PostgreSQL leaves
sessions running and writes refused with 503 until it is back, a host
started late catches up, a bundle tampered in the database is refused,
the schema is migrated once by two hosts starting at once, and a
bad day (a pull failing for the database, the counter's row deleted,
a restore from a backup) is weathered.

PostgreSQL runs from the test (initdb in a temp dir, a unix socket
there, as nobody when run as root).  TAP on stdout."""
import base64
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fnhd import BUILD, DEVPUB, Daemon, copy_key_files, sign  # noqa: E402
from fnhtap import Stop, done, require, skip, tap  # noqa: E402
from pgtest import PGBINS, Postgres  # noqa: E402

ECHO = os.path.join(BUILD, "tests/plugins/svc_echo/plugin.so")
COUNTER = os.path.join(BUILD, "tests/plugins/svc_counter/plugin.so")
SECRET = os.path.join(BUILD, "tests/plugins/svc_secret/plugin.so")


def host(tmp, name, pg, db="postgres", keys_from=None):
    """A host on the registry, not started; with keys_from's keys."""
    d = os.path.join(tmp, name)
    os.makedirs(d)
    h = Daemon(d, store="postgres", postgres_dsn=pg.dsn(db))
    if keys_from:
        copy_key_files(os.path.join(keys_from.data, "keys"),
                       os.path.join(h.data, "keys"))
    return h


def remove_store_dir(path):
    """rmtree of a store's directory as any user: its bundle dirs are
    read-only (0555), which root unlinks in and a plain user may not."""
    for root, dirs, _ in os.walk(path):
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o700)
    os.chmod(path, 0o700)
    shutil.rmtree(path)


def jti_of(token):
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))[
        "jti"]


def run(h, target, token, text="hi"):
    """A session of one invoke: (status, output)."""
    st, o = h.json("POST", "/v1/functions/%s/sessions" % target, token=token)
    if st != 201:
        return st, o
    st, out, _ = h.request("POST", "/v1/sessions/%s/invoke" % o["session"],
                           text, token)
    h.request("DELETE", "/v1/sessions/%s" % o["session"], token=token)
    return st, out.decode(errors="replace")


def oneshot(h, target, token, text="hi"):
    st, out, _ = h.request("POST", "/v1/functions/%s/run" % target, text,
                           token)
    return st, out.decode(errors="replace")


def knows(h, token):
    """Whether h has the record of token (replicated from the host that
    issued it)."""
    st, o = h.json("GET", "/v1/tokens", token=h.admin)
    return st == 200 and any(t.get("jti") == jti_of(token) for t in o)


def issued(a, target, *others):
    """A token for target issued on a, once every host of others knows
    it: a token is known elsewhere only once replicated (milliseconds,
    or longer on a loaded machine), and a host refuses one it does not
    know yet."""
    tok = a.token(target)
    if tok is not None:
        until(lambda: all(knows(h, tok) for h in others), 10)
    return tok


def until(cond, timeout=5.0):
    """Poll cond until it holds; the seconds it took, or None."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if cond():
            return time.monotonic() - t0
        time.sleep(0.02)
    return None


def numbers(h):
    st, o = h.json("GET", "/v1/functions/svc/versions", token=h.admin)
    return [v["number"] for v in o["versions"]] if st == 200 else []


def sealed_copy(pg):
    return pg.sql("SELECT encode(sealed, 'hex') FROM fnhost_secrets "
                  "WHERE name = 'svc' AND key = 'API_KEY'")


def rotation(pg, a, b, v3, t3):
    """A key rotation on a (keeping no old key), its new key copied to b
    alone and SIGHUP: the registry's copy of the secret is resealed, and
    b opens it still (the late host below, started with the new key
    alone, too)."""
    before = sealed_copy(pg)
    r = a.fnhost(["key", "rotate", "-o", "json"], token=a.admin)
    require(r.returncode == 0, "key rotate on a", r.stderr)
    tap(sealed_copy(pg) not in ("", before) and
        not os.path.exists(os.path.join(a.data, "keys", "encrypt.old")),
        "a rotation on a reseals the registry's copy of the secret, then "
        "drops the old key")
    copy_key_files(os.path.join(a.data, "keys"), os.path.join(b.data, "keys"),
                   ["encrypt.key"])
    reloads = b.log_text().count("event=reload_keys")
    b.proc.send_signal(signal.SIGHUP)
    until(lambda: b.log_text().count("event=reload_keys") > reloads, 10)
    # Twice: the first may be a session made ahead, before the reload.
    got = [oneshot(b, v3["id"], t3, "API_KEY") for _ in range(2)]
    tap(got == [(200, "s3cr3t-value")] * 2 and
        "event=secret_unopenable" not in b.log_text(),
        "b, given the new key alone and SIGHUP, opens the secret still", got)


def migration_race(tmp, pg):
    """Two fresh hosts started at once on an empty database."""
    pg.sql("CREATE DATABASE race")
    c, d = host(tmp, "c", pg, "race"), host(tmp, "d", pg, "race")
    errors = []

    def start(h):
        try:
            h.start()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(str(e))
    ts = [threading.Thread(target=start, args=(h,)) for h in (c, d)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    tap(not errors, "two hosts start at once on an empty registry", errors)
    rows = pg.sql("SELECT version FROM schema_version ORDER BY version",
                  "race")
    logged = sum(h.log_text().count("event=schema_migrated") for h in (c, d))
    tap(rows.split() == ["1", "2"] and logged == 2,
        "the schema's steps ran once each, by one of them", (rows, logged))
    c.stop()
    d.stop()


def bad_day(tmp, pg):
    """An operator's bad day, on its own database: a bundle that cannot
    be pulled for a while, the change counter's row gone, and the
    database put back from a backup (the counter lower than a host has
    applied).  The hosts stay up and end up holding what the database
    holds."""
    pg.sql("CREATE DATABASE badday")
    c = host(tmp, "bad-c", pg, "badday")
    c.start()
    d = host(tmp, "bad-d", pg, "badday", keys_from=c)
    try:
        d.start()
        c.fnhost(["trust", "add", DEVPUB], token=c.admin, check=True)

        # d catches up while the bundles cannot be read, then they can.
        d.proc.send_signal(signal.SIGSTOP)
        st, v1 = c.deploy(sign(os.path.join(tmp, "bd1"), ECHO, "svc"))
        pg.sql("ALTER TABLE fnhost_bundles RENAME TO fnhost_bundles_away",
               "badday")
        d.proc.send_signal(signal.SIGCONT)
        require(st == 201, "deploy through c", v1)
        until(lambda: "event=registry_bundle_refused" in d.log_text(), 5)
        pg.sql("ALTER TABLE fnhost_bundles_away RENAME TO fnhost_bundles",
               "badday")
        tap(until(lambda: numbers(d) == [1], 6) is not None,
            "a bundle pull that failed for a database error is retried",
            numbers(d))

        # The counter's row deleted: no crash, writes refused.
        t1 = issued(c, "svc", d)
        require(t1, "a token issued on c")
        pg.sql("DELETE FROM fnhost_state", "badday")
        time.sleep(2.5)
        st, o = c.json("POST", "/v1/functions/svc/tokens", "{}", c.admin)
        tap(c.proc.poll() is None and d.proc.poll() is None and st == 503,
            "with the counter's row gone the hosts stay up and refuse "
            "writes", (c.proc.poll(), d.proc.poll(), st, o))

        # Put back from a backup taken before t1 was issued.
        pg.sql("INSERT INTO fnhost_state (seq) VALUES (1); "
               "DELETE FROM fnhost_tokens", "badday")
        t2 = c.token("svc")
        require(t2, "a token issued on c after the restore")
        tap(until(lambda: knows(c, t2) and knows(d, t2), 6) is not None,
            "after a restore that lowered the counter, a write is seen by "
            "the host that made it and by the other")
        tap(oneshot(c, "svc", t2)[0] == 200 and
            until(lambda: oneshot(d, "svc", t1)[0] == 401, 3) is not None,
            "... and the token the restored database lacks is refused")
    finally:
        c.stop()
        d.stop()


def main(tmp, pg):
    a = host(tmp, "a", pg)
    a.start()
    b = host(tmp, "b", pg, keys_from=a)
    hosts = [a, b]
    try:
        b.start()
        tap(b.admin == a.admin, "both hosts have the operator's one key set")
        a.fnhost(["trust", "add", DEVPUB], token=a.admin, check=True)
        st, v1 = a.deploy(sign(os.path.join(tmp, "v1"), ECHO, "svc"))
        require(st == 201 and v1["number"] == 1, "deploy v1 through a", v1)
        tok = issued(a, "svc", b)
        require(tok, "a token issued on a")
        tap(until(lambda: numbers(b) == [1]) is not None,
            "b has version 1 (and pulled its bundle)", numbers(b))
        tap(run(a, "svc", tok) == (200, "hi") and
            run(b, "svc", tok) == (200, "hi"),
            "a session through a and through b give the same answer")
        tap(oneshot(b, "svc", tok) == (200, "hi"),
            "a one-shot run through b, with a's token")

        # The request path reads nothing from the database.
        pg.sql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        pg.sql("SELECT pg_stat_statements_reset()")
        for _ in range(20):
            run(b, "svc", tok)
            oneshot(b, "svc", tok)
        polls, others = pg.statements()
        print("# database statements during 20 session opens + invokes and "
              "20 one-shot runs on b: %d (besides %d of the replication "
              "threads' idle polls)" % (others, polls))
        time.sleep(2.5)
        print("# (pg_stat_statements sees the hosts: %d statements of "
              "their polls in the 2.5 s after)" % pg.statements()[0])

        # Revocation: refused on b within 1 s.
        tok2 = issued(a, "svc", b)
        require(oneshot(b, "svc", tok2)[0] == 200, "a second token works")
        st, _, _ = a.request("DELETE", "/v1/tokens/" + jti_of(tok2),
                             token=a.admin)
        require(st == 204, "revoke it on a", st)
        took = until(lambda: oneshot(b, "svc", tok2)[0] == 401, 5)
        tap(took is not None and took < 1.0,
            "b refuses the revoked token within 1 s", took)
        print("# revoke on a refused on b after %.3f s" % (took or -1))

        # Versions and aliases.
        st, v2 = a.deploy(sign(os.path.join(tmp, "v2"), COUNTER, "svc"))
        require(st == 201 and v2["number"] == 2, "deploy v2 through a", v2)
        tap(until(lambda: run(b, "svc", tok) == (200, "1")) is not None,
            "b runs v2 as latest")
        st, _ = a.json("PUT", "/v1/functions/svc@stable/alias",
                       json.dumps({"version": 1}), a.admin)
        require(st == 200, "alias stable set to 1 on a", st)
        tstable = issued(a, "svc@stable", b)
        tap(until(lambda: run(b, "svc@stable", tstable) == (200, "hi"))
            is not None, "b follows svc@stable to 1")
        st, _ = a.json("PUT", "/v1/functions/svc@stable/alias",
                       json.dumps({"version": 2}), a.admin)
        tap(until(lambda: run(b, "svc@stable", tstable) == (200, "1"))
            is not None, "an alias moved on a moves on b")
        tid = issued(a, v1["id"], b)
        require(oneshot(b, v1["id"], tid)[0] == 200, "v1 by id runs on b")
        st, _, _ = a.request("DELETE", "/v1/functions/" + v1["id"],
                             token=a.admin)
        require(st == 204, "delete v1 on a", st)
        took = until(lambda: oneshot(b, v1["id"], tid)[0] == 404, 5)
        tap(took is not None and took < 1.0,
            "b no longer runs the deleted version within 1 s", took)

        # Secrets.
        st, v3 = a.deploy(sign(os.path.join(tmp, "v3"), SECRET, "svc"))
        require(st == 201 and v3["number"] == 3, "deploy v3 (secret)", v3)
        r = a.fnhost(["secret", "set", "svc", "API_KEY", "s3cr3t-value"],
                     token=a.admin)
        require(r.returncode == 0, "secret set through a", r.stderr)
        t3 = issued(a, v3["id"], b)
        tap(until(lambda: oneshot(b, v3["id"], t3, "API_KEY") ==
                  (200, "s3cr3t-value")) is not None,
            "the function's worker on b reads the secret put on a")
        rotation(pg, a, b, v3, t3)

        # Two deploys of one name at once, one on each host.
        dirs = [sign(os.path.join(tmp, "r%d" % i), ECHO, "svc",
                     extra={"note.txt": b"race %d" % i}) for i in (0, 1)]
        got = [None, None]

        def dep(i, h):
            got[i] = h.deploy(dirs[i])
        ts = [threading.Thread(target=dep, args=(i, h))
              for i, h in enumerate((a, b))]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        nums = sorted(g[1]["number"] for g in got if g and g[0] == 201)
        tap(nums == [4, 5], "two deploys at once on a and b: 4 and 5", got)

        # PostgreSQL stopped: sessions go on, writes fail with 503.
        st, o = b.json("POST", "/v1/functions/svc/sessions", token=tok)
        require(st == 201, "a session open on b", o)
        sid_b = o["session"]
        st, o = a.json("POST", "/v1/functions/svc/sessions", token=tok)
        require(st == 201, "a session open on a", o)
        sid_a = o["session"]
        pg.stop()
        ok = all(h.request("POST", "/v1/sessions/%s/invoke" % s, "x",
                           tok)[0] == 200 for h, s in ((a, sid_a),
                                                       (b, sid_b)))
        tap(ok, "with PostgreSQL down, live sessions on both keep working")
        tap(run(b, "svc", tok)[0] == 200,
            "... and a new session opens (from the cache)")
        st, o = a.json("POST", "/v1/functions/svc/tokens", "{}", a.admin)
        tap(st == 503 and o["error"]["code"] == "registry_unavailable" and
            "\n" not in o["error"]["message"] and
            "registry is unavailable" in o["error"]["message"],
            "a write gets 503 registry_unavailable, one clear line", o)
        pg.start()
        tnew = None
        for _ in range(100):
            tnew = a.token("svc")
            if tnew:
                break
            time.sleep(0.1)
        tap(tnew is not None, "PostgreSQL back: a write succeeds")
        tap(until(lambda: oneshot(b, "svc", tnew)[0] == 200, 10) is not None,
            "... and its token works on b")
        st, _, _ = a.request("DELETE", "/v1/tokens/" + jti_of(tnew),
                             token=a.admin)
        took = until(lambda: oneshot(b, "svc", tnew)[0] == 401, 10)
        tap(st == 204 and took is not None,
            "a revoke after the restart reaches b", (st, took))

        # A host started after all that catches up.
        late = host(tmp, "late", pg, keys_from=a)
        hosts.append(late)
        late.start()
        tap(numbers(late) == numbers(a) and
            oneshot(late, "svc", tok) == oneshot(a, "svc", tok) and
            oneshot(late, v1["id"], tid)[0] == 404 and
            oneshot(late, "svc", tok2)[0] == 401,
            "a host started late serves what the registry holds",
            (numbers(late), numbers(a)))
        tap(oneshot(late, v3["id"], t3, "API_KEY") == (200, "s3cr3t-value"),
            "... and, with the rotated key alone, opens the secret set "
            "before the rotation")

        # A bundle tampered in the database is refused by the pulling host.
        st, v6 = a.deploy(sign(os.path.join(tmp, "v6"), ECHO, "svc",
                               extra={"note.txt": b"v6"}))
        require(st == 201, "deploy v6", v6)
        late.stop()
        pg.sql("UPDATE fnhost_bundles SET body = overlay(body PLACING "
               "'\\x58'::bytea FROM length(body) FOR 1) "
               "WHERE checksum = '%s'" % v6["checksum"])
        remove_store_dir(os.path.join(late.data, "bundles"))
        late.start()
        log = late.log_text()
        tap("event=registry_bundle_refused" in log and v6["checksum"] in log
            and v6["number"] not in numbers(late) and
            oneshot(late, "svc", tok)[0] != 200,
            "a host refuses a bundle tampered in the database, in one "
            "line", numbers(late))
        tap(oneshot(a, "svc", tok) == (200, "hi"),
            "the host that deployed it still runs it")
    finally:
        for h in hosts:
            h.stop()


if __name__ == "__main__":
    if not PGBINS:
        skip("PostgreSQL is not installed (/usr/lib/postgresql/*/bin)")
        sys.exit(done())
    tmp = tempfile.mkdtemp(prefix="fnhost-registry-")
    os.chmod(tmp, 0o711)
    pg = None
    try:
        pg = Postgres(os.path.join(tmp, "pg"))
        pg.start()
        migration_race(tmp, pg)
        bad_day(tmp, pg)
        main(tmp, pg)
    except Stop:
        pass
    finally:
        if pg:
            pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(done())
