#!/usr/bin/python3
"""fnhost as a cluster on one machine: three fnhostd (node = a, b, c),
each in its own network namespace with its own data dir and one shared
keys/ and one registry in a real PostgreSQL (store = postgres), behind a
real HAProxy running dist/haproxy.cfg with only its addresses replaced
(tests/cluster/cluster.py).  Functions are deployed and tokens issued
through host a alone; a token revoked on a is refused on b and c within
a second.

Through HAProxy, opens and one-shot runs reach all three hosts and a
session's invokes stay on its own (the counter plugin counts up).  The
three publish one encryption and one attestation key: a text sealed
with the key read from a opens in a session on c, and what b signs
verifies with a's key.  A key rotated on a, copied to b and c and
reloaded by SIGHUP is what all three publish.  An id of a node that
does not exist is fnhostd's 421 wrong_node.  Under load from a few
client threads one host is killed with -9: the others' sessions go on
counting, new sessions succeed once HAProxy's check has seen it, and
its own sessions get HAProxy's session_gone error, never a 404; started
again, it is back in rotation.  Under the same load PostgreSQL is
stopped (pg_ctl stop -m fast): sessions opened before go on counting,
new ones open and one-shot runs answer from each host's cache, a token
issue through a and an alias set through c get 503 registry_unavailable
in one line and change nothing; started again, writes succeed (polled),
replicate, and a revoke is refused on b and c within 1 s; no load
session gets a wrong answer or a failed open.  Every wait is bounded; no
time is asserted but the 1 s of a revoke.  Skipped, saying why, without
root, namespaces or HAProxy.
TAP on stdout."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import BUILD_DIR, Cluster, Unavailable  # noqa: E402
from fnhd import DaemonError, attest_verifies, b64url, copy_key_files, sign  # noqa: E402,E501
from fnhtap import Stop, done, require, skip, tap  # noqa: E402

SID = re.compile(r"([a-z0-9][a-z0-9-]{0,15})\.[0-9a-f]{32}")
LOAD_THREADS = 4
INVOKES = 4  # a load session's invokes, each checked to count up
WAIT = 30  # the bound of every wait for HAProxy's checks, in seconds


def node_of(sid):
    m = SID.fullmatch(sid or "")
    return m.group(1) if m else None


def open_session(via, tok, fn="counter"):
    """(status, session id or the answer) of an open through via (the
    cluster: HAProxy, or one host)."""
    st, o = via.json("POST", "/v1/functions/%s/sessions" % fn, None, tok)
    return st, (o["session"] if st == 201 else o)


def invoke(via, sid, tok, data=b""):
    st, body, hd = via.request("POST", "/v1/sessions/%s/invoke" % sid, data,
                               tok)
    return st, body, hd


def close(via, sid, tok):
    via.request("DELETE", "/v1/sessions/%s" % sid, None, tok)


def error_code(body):
    try:
        return json.loads(body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


def host_key(h):
    st, o = h.json("GET", "/v1/key")
    return o if st == 200 else None


def routing(cl, tok):
    """Opens and runs through HAProxy reach every host; invokes stay."""
    opens = [open_session(cl, tok) for _ in range(9)]
    require(all(st == 201 for st, _ in opens),
            "9 sessions open through HAProxy", opens)
    sids, counts = [sid for _, sid in opens], []
    nodes = {node_of(s) for s in sids}
    tap(nodes == set(cl.names),
        "9 opens through HAProxy reach all three hosts (ids carry a, b, c)",
        sids)
    for sid in sids:
        counts.append([invoke(cl, sid, tok)[1] for _ in range(3)])
        close(cl, sid, tok)
    tap(all(c == [b"1", b"2", b"3"] for c in counts),
        "each session's invokes through HAProxy reach its own host: its "
        "counter counts 1, 2, 3", counts)

    before = open(cl.hlog).read().count("/run HTTP")
    outs = [cl.request("POST", "/v1/functions/counter/run", b"", tok)[:2]
            for _ in range(6)]
    lines = [l for l in open(cl.hlog).read().splitlines()
             if "/run HTTP" in l][before:]
    served = {m.group(1) for m in (re.search(r" hosts/(\S+) ", l)
                                   for l in lines) if m}
    tap(all(o == (200, b"1") for o in outs) and served == set(cl.names),
        "6 one-shot runs through HAProxy answer and are spread over all "
        "three hosts (HAProxy's log)", (outs, served))


def identity(tmp, cl, tok_echo, echo_sum):
    """One encryption key, one attestation key, and a rotation."""
    keys = {n: host_key(h) for n, h in cl.hosts.items()}
    ka = keys["a"]
    tap(ka is not None and all(k == ka for k in keys.values()),
        "GET /v1/key on each host directly: one encryption key and one "
        "attestation key", keys)
    a, b, c = cl.hosts["a"], cl.hosts["b"], cl.hosts["c"]

    secret = "the seeker is in the garden"
    r = a.fnhost(["encrypt", "-u", a.url, "-c", echo_sum, secret])
    text = r.stdout.strip()
    st, sid = open_session(c, tok_echo, "echo")
    out = invoke(c, sid, tok_echo, text.encode())[:2] if st == 201 else st
    if st == 201:
        close(c, sid, tok_echo)
    tap(text.startswith("fnh2:") and out == (200, secret.encode()),
        "a text sealed with the key read from host a opens in a session "
        "on host c", (r.stderr, out))

    st, sid = open_session(b, tok_echo, "echo")
    sst, body, hd = invoke(b, sid, tok_echo, b"signed by b")
    close(b, sid, tok_echo)
    att = ka["attestation"]["public_key"] if ka else ""
    tap(sst == 200 and attest_verifies(tmp, att, hd),
        "a result signed by host b verifies with the key read from host a",
        (st, sst, body))
    bad = dict(hd, **{"fnhost-output-sha256": "0" * 64})
    tap(not attest_verifies(tmp, att, bad), "and not over another output")

    # A rotation: made on a, its two files copied, b and c reloaded.
    r = a.fnhost(["key", "rotate", "-u", a.url, "--insecure", "--keep", "1h",
                  "-o", "json"], token=a.admin)
    try:
        new = json.loads(r.stdout)["encryption"]["public_key"]
    except (ValueError, KeyError):
        new = None
    require(new is not None and new != ka["encryption"]["public_key"],
            "fnhost key rotate on host a makes a new encryption key",
            r.stdout + r.stderr)
    lines = {}
    for h in (b, c):
        copy_key_files(os.path.join(a.data, "keys"), os.path.join(h.data, "keys"),
                   ["encrypt.old", "encrypt.key"])
        lines[h.name] = reload(h)
    keys = {n: host_key(h) for n, h in cl.hosts.items()}
    tap(all("changed=yes" in l for l in lines.values()) and
        all(k and k["encryption"]["public_key"] == new and
            k["attestation"] == ka["attestation"] for k in keys.values()),
        "after the copy of a's two encryption key files and SIGHUP to b "
        "and c, all three publish the new key", (lines, keys))
    ok = True
    for sealed_by, opener in ((a, c), (c, b)):
        text2 = sealed_by.fnhost(["encrypt", "-u", sealed_by.url, "-c",
                                  echo_sum, secret]).stdout.strip()
        for t in (text, text2):
            st, sid = open_session(opener, tok_echo, "echo")
            o = invoke(opener, sid, tok_echo, t.encode())[:2]
            close(opener, sid, tok_echo)
            ok = ok and o == (200, secret.encode())
    tap(ok, "texts sealed to the new key (read from a, from c) and to the "
        "previous one open on the other hosts")


def reload(h):
    """SIGHUP h and wait for its next reload_keys line; that line."""
    seen = h.log_text().count("event=reload_keys")
    h.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        lines = [l for l in h.log_text().splitlines()
                 if "event=reload_keys" in l]
        if len(lines) > seen:
            return lines[seen]
        time.sleep(0.05)
    return ""


class Load:
    """Client threads running counter sessions through HAProxy, each
    session opened, invoked INVOKES times and closed; every answer
    recorded with its time.  Each thread has its own token: a host
    holds a token to sessions_per_token open sessions."""

    def __init__(self, cl):
        self.cl = cl
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.sessions = []  # (node, [(t, status, body)])
        # (began, ended, status, answer) of the failed opens
        self.opens = []
        self.threads = [threading.Thread(target=self.run,
                                         args=(cl.token("counter"),),
                                         daemon=True)
                        for _ in range(LOAD_THREADS)]

    def run(self, tok):
        while not self.stop.is_set():
            t = time.monotonic()
            try:
                st, sid = open_session(self.cl, tok)
            except OSError as e:
                st, sid = 0, str(e)
            if st != 201:
                with self.lock:
                    self.opens.append((t, time.monotonic(), st, sid))
                time.sleep(0.05)
                continue
            answers = []
            for _ in range(INVOKES):
                t = time.monotonic()
                try:
                    st, body, _ = invoke(self.cl, sid, tok)
                except OSError as e:
                    st, body = 0, str(e).encode()
                answers.append((t, st, body))
                if st != 200:
                    break
            try:
                close(self.cl, sid, tok)
            except OSError:
                pass
            with self.lock:
                self.sessions.append((node_of(sid), answers))

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(60)
        return False


def until(pred, bound=WAIT):
    """Poll pred until it is true or bound seconds pass; its last value."""
    deadline = time.monotonic() + bound
    while True:
        v = pred()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(0.2)


def refused_after(tok, hosts):
    """Poll hosts with one-shot runs of echo until each refuses tok (401),
    at most WAIT seconds; {host name: seconds until it did}."""
    t0 = time.monotonic()
    took = {}
    while len(took) < len(hosts) and time.monotonic() - t0 < WAIT:
        for h in hosts:
            if h.name not in took and h.request(
                    "POST", "/v1/functions/echo/run", b"x", tok)[0] == 401:
                took[h.name] = time.monotonic() - t0
        time.sleep(0.02)
    return took


def revoke_everywhere(cl, when=""):
    """A token revoked through a is refused by b and c within 1 s."""
    tok = cl.token("echo")
    others = [cl.hosts[n] for n in ("b", "c")]
    require(all(h.request("POST", "/v1/functions/echo/run", b"x", tok)[0]
                == 200 for h in others),
            "a token issued through a%s runs on b and on c" % when)
    a = cl.hosts["a"]
    st = a.request("DELETE", "/v1/tokens/" + cl.jti(tok), token=a.admin)[0]
    took = refused_after(tok, others)
    print("# revoked on a%s, refused after: %s" %
          (when, ", ".join("%s %.3f s" % kv for kv in sorted(took.items()))))
    tap(st == 204 and len(took) == 2 and max(took.values()) < 1.0,
        "a revoke on a%s is refused on b and c within 1 s" % when,
        (st, took))


def keep_one_each(cl, tok):
    """{node: the id of a session open on it, invoked once}, found by
    opening through HAProxy until each host has one."""
    kept = {}
    for _ in range(30):
        st, sid = open_session(cl, tok)
        if st != 201:
            continue
        if node_of(sid) in kept:
            close(cl, sid, tok)
        else:
            kept[node_of(sid)] = sid
            invoke(cl, sid, tok)
        if len(kept) == 3:
            break
    require(set(kept) == set(cl.names), "a kept session on each host",
            kept)
    return kept


def kill_one(cl, tok):
    """kill -9 host b under load; then bring it back."""
    victim = cl.hosts["b"]
    # Sessions opened before, kept open across the kill.
    kept = keep_one_each(cl, tok)

    fresh = cl.token("counter")
    with Load(cl) as load:
        time.sleep(2)
        t_kill = time.monotonic()
        victim.kill()
        # New sessions: once HAProxy's check has seen b down, every open
        # succeeds on a or c.
        streak = []

        def one_open():
            st, sid = open_session(cl, fresh)
            if st == 201:
                close(cl, sid, fresh)
            return st, sid

        def settled():
            st, sid = one_open()
            streak.append(st == 201 and node_of(sid) != "b")
            return len(streak) >= 5 and all(streak[-5:])

        ok = until(settled)
        t_settled = time.monotonic()
        after = [one_open() for _ in range(9)]
        tap(ok and all(st == 201 and node_of(sid) in ("a", "c")
                       for st, sid in after),
            "after host b is killed, new sessions through HAProxy succeed "
            "on a and c once its check has seen b down (bounded wait)",
            (streak[-10:], after))
        time.sleep(1)
    print("# load: %d sessions, %d failed opens (%s); 5 opens in a row "
          "missed b %.1f s after the kill"
          % (len(load.sessions), len(load.opens),
             sorted({st for _, _, st, _ in load.opens}), t_settled - t_kill),
          flush=True)

    others = [(n, a) for n, a in load.sessions if n != "b"]
    bad = [(n, a) for n, a in others
           if [(st, body) for _, st, body in a] !=
           [(200, str(i + 1).encode()) for i in range(INVOKES)]]
    tap(others and not bad,
        "under load, every session of a and c (%d) answered all its invokes, "
        "counting 1..%d" % (len(others), INVOKES), bad[:5])
    mine = [a for n, a in load.sessions if n == "b"]
    after_kill = [(st, body) for a in mine for t, st, body in a
                  if st != 200]
    wrong = [(st, body) for st, body in after_kill
             if st not in (502, 503) or error_code(body) != "session_gone"]
    tap(not wrong,
        "b's sessions under load (%d) either answered before the kill or "
        "failed with HAProxy's session_gone (502/503), never a 404 "
        "(%d such failures)" % (len(mine), len(after_kill)), wrong[:5])
    # In flight as b died: ended after the kill, begun before it or not.
    opens_wrong = [o for o in load.opens if o[1] < t_kill or
                   o[2] not in (502, 503)]
    tap(not opens_wrong,
        "the only opens that failed under load (%d) were in flight to b "
        "as it died (502/503)" % len(load.opens), opens_wrong[:5])

    outs = {n: invoke(cl, sid, tok) for n, sid in kept.items()}
    tap(all(outs[n][:2] == (200, b"2") for n in ("a", "c")),
        "the sessions kept open on a and c go on counting", outs)
    st, body, hd = outs["b"]
    tap(st == 503 and error_code(body) == "session_gone" and
        hd.get("content-type") == "application/json" and
        kept["b"] in body.decode("utf-8", "replace"),
        "the one kept on b gets 503 session_gone as JSON, naming the "
        "session", (st, body, hd.get("content-type")))
    st, body, _ = cl.request("DELETE", "/v1/sessions/%s" % kept["b"], None,
                             tok)
    tap(st == 503 and error_code(body) == "session_gone",
        "and so does its close", (st, body))
    for n in ("a", "c"):
        close(cl, kept[n], tok)

    victim.start()

    def lands_on_b():
        st, sid = open_session(cl, tok)
        if st == 201:
            close(cl, sid, tok)
        return node_of(sid) == "b" if st == 201 else False

    back = until(lands_on_b)
    runs = []
    for _ in range(6):
        st, sid = open_session(cl, tok)
        counts = [invoke(cl, sid, tok)[1] for _ in range(2)] \
            if st == 201 else st
        if st == 201:
            close(cl, sid, tok)
        runs.append((node_of(sid) if st == 201 else None, counts))
    tap(back and "b" in {n for n, _ in runs} and
        all(c == [b"1", b"2"] for _, c in runs),
        "host b started again is back in rotation: opens through HAProxy "
        "reach it again and every session counts up", runs)


def unavailable(st, o):
    """Whether an answer is a registry write's refusal: 503
    registry_unavailable with a message of one line."""
    try:
        e = o["error"]
        return (st == 503 and e["code"] == "registry_unavailable" and
                e["message"] != "" and "\n" not in e["message"])
    except (TypeError, KeyError):
        return False


def jtis(h):
    st, o = h.json("GET", "/v1/tokens", token=h.admin)
    return sorted(t.get("jti") for t in o) if st == 200 else st


def pg_restart(cl, tok):
    """PostgreSQL stopped under load and started again: the hosts serve
    from their caches meanwhile and refuse writes; writes work again and
    replicate once it is back."""
    a, c = cl.hosts["a"], cl.hosts["c"]
    kept = keep_one_each(cl, tok)
    logged = {h.name: h.log_text().count("event=registry_up")
              for h in cl.hosts.values()}
    with Load(cl) as load:
        before = jtis(a)  # the load's tokens among them

        def whole_since(t0, t1=None):
            """Load sessions whose first invoke was at t0 or later (and
            before t1)."""
            with load.lock:
                return sum(1 for _, ans in load.sessions
                           if ans and ans[0][0] >= t0 and
                           (t1 is None or ans[-1][0] < t1))
        require(until(lambda: whole_since(0) >= LOAD_THREADS),
                "the load runs its sessions")
        t_stop = time.monotonic()
        cl.pg.stop()
        require(cl.pg.cmd(["pg_ctl", "-D", cl.pg.data, "status"],
                          check=False).returncode == 3,
                "PostgreSQL is stopped (pg_ctl stop -m fast)")

        outs = {n: invoke(cl, sid, tok)[:2] for n, sid in kept.items()}
        tap(all(o == (200, b"2") for o in outs.values()),
            "with PostgreSQL stopped, the session kept open on each host "
            "answers its next invoke (counts 2)", outs)
        for sid in kept.values():
            close(cl, sid, tok)
        opened = []
        for via in [cl] * 6 + [cl.hosts[n] for n in cl.names]:
            st, sid = open_session(via, tok)
            counts = [invoke(via, sid, tok)[:2] for _ in range(2)] \
                if st == 201 else sid
            if st == 201:
                close(via, sid, tok)
            opened.append((node_of(sid) if st == 201 else st, counts))
        tap([n for n, _ in opened[6:]] == cl.names and
            all(cnt == [(200, b"1"), (200, b"2")] for _, cnt in opened),
            "... new sessions open, 6 through HAProxy and one directly on "
            "each host, and count 1, 2", opened)
        runs = [cl.request("POST", "/v1/functions/counter/run", b"", tok)[:2]
                for _ in range(6)]
        tap(all(r == (200, b"1") for r in runs),
            "... one-shot runs through HAProxy answer", runs)

        st, o = a.json("POST", "/v1/functions/counter/tokens",
                       json.dumps({"ttl": 600}), a.admin)
        tap(unavailable(st, o),
            "... a token issue through a gets 503 registry_unavailable "
            "with a one-line message", (st, o))
        print("# %s" % (o["error"]["message"] if unavailable(st, o) else o))
        st, o = c.json("PUT", "/v1/functions/counter@stable/alias",
                       json.dumps({"version": 1}), c.admin)
        tap(unavailable(st, o),
            "... and so does an alias set through c", (st, o))
        now, alias = jtis(a), c.json("GET", "/v1/functions/counter@stable",
                                     token=c.admin)
        tap(now == before and alias[0] == 404,
            "... and neither changed that host's cache", (before, now,
                                                         alias))
        require(until(lambda: whole_since(t_stop) >= 2 * LOAD_THREADS),
                "the load runs sessions while PostgreSQL is stopped")

        t_start = time.monotonic()
        try:
            cl.pg.start()
        except subprocess.CalledProcessError as e:
            require(False, "PostgreSQL starts again", e.stderr)
        during = whole_since(t_stop, t_start)
        got = {}

        def issued():
            st, o = a.json("POST", "/v1/functions/counter/tokens",
                           json.dumps({"ttl": 600}), a.admin)
            got["answer"] = (st, o)
            return st == 201
        ok = until(issued)
        t_write = time.monotonic()
        tap(ok, "PostgreSQL started again: a token issue through a "
            "succeeds within %d s" % WAIT, got.get("answer"))
        ok = until(lambda: c.json("PUT", "/v1/functions/counter@stable/alias",
                                  json.dumps({"version": 1}),
                                  c.admin)[0] == 200)
        tap(ok and until(lambda: a.json("GET", "/v1/functions/counter@stable",
                                        token=a.admin)[0] == 200),
            "... an alias set through c succeeds and reaches a")
        require(until(lambda: whole_since(t_write) >= LOAD_THREADS),
                "the load runs sessions after the restart")
    print("# load: %d sessions, %d while PostgreSQL was stopped; the first "
          "write after its start succeeded after %.1f s"
          % (len(load.sessions), during, t_write - t_start), flush=True)
    bad = [(n, ans) for n, ans in load.sessions
           if [(st, body) for _, st, body in ans] !=
           [(200, str(i + 1).encode()) for i in range(INVOKES)]]
    tap(load.sessions and not bad and not load.opens,
        "under load across PostgreSQL's stop and start, every session "
        "(%d) opened and answered all its invokes, counting 1..%d: no "
        "wrong answers" % (len(load.sessions), INVOKES),
        (bad[:5], load.opens[:5]))
    tap(until(lambda: all(h.log_text().count("event=registry_up") > n
                          for n, h in ((logged[k], v) for k, v in
                                       cl.hosts.items()))),
        "every host logged event=registry_up after the restart")
    revoke_everywhere(cl, " after PostgreSQL's restart")


def main():
    # A SIGTERM (prove's or make's) unwinds like an error, so that the
    # hosts, HAProxy and the namespaces go with the test.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    tmp = tempfile.mkdtemp(prefix="fnhost-cluster-")
    os.chmod(tmp, 0o711)
    try:
        try:
            cl = Cluster(tmp, ["a", "b", "c"])
        except Unavailable as e:
            skip(str(e))
            return done()
        with cl:
            try:
                run(tmp, cl)
            except (Stop, DaemonError) as e:
                tap(False, "the cluster test ran to its end", e)
                for h in cl.hosts.values():
                    if h.proc is not None and os.path.exists(h.log):
                        print("# host %s's log ends:" % h.name)
                        for line in h.log_tail(10).splitlines():
                            print("#   " + line[:300])
                print("# HAProxy's log ends:")
                for line in cl.haproxy_log(10).splitlines():
                    print("#   " + line[:300])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return done()


def run(tmp, cl):
    cl.start_hosts()
    admins = {h.admin for h in cl.hosts.values()}
    tap(len(admins) == 1, "b and c start on a copy of a's keys/")
    cl.start_haproxy()
    tap(True, "HAProxy runs dist/haproxy.cfg readdressed, which haproxy "
        "-c accepts")
    plug = os.path.join(BUILD_DIR, "tests", "plugins")
    cl.deploy_everywhere(sign(tmp, os.path.join(plug, "counter", "plugin.so"),
                              "counter"))
    echo = cl.deploy_everywhere(sign(tmp, os.path.join(plug, "echo",
                                                       "plugin.so"), "echo"))
    tok, tok_echo = cl.token("counter"), cl.token("echo")

    routing(cl, tok)
    revoke_everywhere(cl)
    identity(tmp, cl, tok_echo, echo["checksum"])

    st, o = cl.json("POST", "/v1/sessions/z.%s/invoke" % ("0" * 32), b"x",
                    tok)
    tap(st == 421 and isinstance(o, dict) and
        o["error"]["code"] == "wrong_node",
        "through HAProxy, a session id of a node that does not exist gets "
        "fnhostd's 421 wrong_node", (st, o))

    kill_one(cl, tok)
    pg_restart(cl, tok)


if __name__ == "__main__":
    sys.exit(main())
