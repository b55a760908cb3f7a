#!/usr/bin/python3
"""Opening a session, answered two ways: from a ready session on the
event thread (an open by function id with one made ahead) or on a handler
thread (no ready session: warm_sessions = 0, more opens than are ready,
or a name, which may need the disk to resolve).  Both must give the same
answer: 201 with the same fields, a session that works, the log line;
the ready session is made again afterwards; a pin that does not match is
409 and leaves no session either way.  TAP on stdout."""
import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fnhd import BUILD, Daemon, sign  # noqa: E402
from fnhtap import Stop, done, require, tap  # noqa: E402

WRONG_PIN = "0" * 64


def open_session(d, target, tok, pin=None):
    h = {"Fnhost-Function-Checksum": pin} if pin else None
    return d.json("POST", "/v1/functions/%s/sessions" % target, b"", tok, h)


def shape(st, o, checksum):
    """Whether an open's answer is a 201 with exactly the fields an open
    gives, the session id 32 hex digits."""
    return (st == 201 and isinstance(o, dict) and
            sorted(o) == ["expires", "function_checksum", "session"] and
            re.fullmatch(r"[0-9a-f]{32}", o["session"]) is not None and
            o["function_checksum"] == checksum and
            o["expires"] > time.time())


def wait_ready(d, n, timeout=10):
    """Wait until n sessions are ready; the metrics last read."""
    deadline = time.monotonic() + timeout
    while True:
        m = d.metrics()
        if m["fnhost_sessions_ready"] >= n or time.monotonic() > deadline:
            return m
        time.sleep(0.05)


SCHED_IDLE = 5  # sched_setscheduler(2)'s policy number, <linux/sched.h>


def policies(pid):
    """The scheduling policy of each of pid's threads: field 41 of
    /proc/PID/task/TID/stat (proc(5)), counted from after the name."""
    out = []
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                rest = f.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue  # the thread ended meanwhile
        out.append(int(rest[41 - 3]))
    return out


def deploy_echo(d, tmp):
    st = d.trust_dev_key()
    require(st == 201, "trust the development key", st)
    so = os.path.join(BUILD, "tests", "plugins", "echo", "plugin.so")
    st, f = d.deploy(sign(tmp, so, "echo"))
    require(st == 201, "deploy echo", f)
    return f


def works(d, sid, tok, what):
    st, out, _ = d.request("POST", "/v1/sessions/%s/invoke" % sid, b"hi",
                           tok)
    tap(st == 200 and out == b"hi", "%s: the session invokes" % what,
        (st, out))
    st, _, _ = d.request("DELETE", "/v1/sessions/%s" % sid, None, tok)
    tap(st == 204, "%s: the session closes" % what, st)


def logged(d, sid):
    return ("event=session_open session=%s " % sid) in d.log_text()


def refused_pin(d, target, tok, what):
    """A wrong pin: 409, and no session opened, counted or left."""
    before = d.metrics()
    st, o = open_session(d, target, tok, WRONG_PIN)
    m = d.metrics()
    tap(st == 409 and o["error"]["code"] == "checksum_mismatch" and
        m["fnhost_sessions_open"] == before["fnhost_sessions_open"] and
        m["fnhost_sessions_total"] == before["fnhost_sessions_total"] and
        m["fnhost_sessions_ready_taken_total"] ==
        before["fnhost_sessions_ready_taken_total"],
        "%s: a wrong pin is 409 and opens nothing" % what, (st, o, m))


def with_ready(d, tmp):
    f = deploy_echo(d, tmp)
    tok = d.token(f["id"])
    # The first open of a function finds none ready and launches.
    st, first = open_session(d, f["id"], tok)
    tap(shape(st, first, f["checksum"]) and logged(d, first["session"]),
        "the first open (none ready) answers 201", (st, first))
    m = wait_ready(d, 1)
    require(m["fnhost_sessions_ready"] >= 1,
            "a session is made ahead after the first open", m)
    refused_pin(d, f["id"], tok, "with one ready")
    taken = m["fnhost_sessions_ready_taken_total"]
    st, o = open_session(d, f["id"], tok, f["checksum"])
    m = d.metrics()
    tap(shape(st, o, f["checksum"]) and logged(d, o["session"]) and
        m["fnhost_sessions_ready_taken_total"] == taken + 1,
        "an open by id with one ready takes it, and answers the same",
        (st, o, m))
    m = wait_ready(d, 1)
    tap(m["fnhost_sessions_ready"] >= 1,
        "the ready session taken is made again", m)
    pol = policies(d.pid)
    tap(pol.count(SCHED_IDLE) == 1 and len(pol) > 2,
        "the thread that makes sessions ahead runs as SCHED_IDLE, and no "
        "other of fnhostd's", pol)
    works(d, o["session"], tok, "taken ready")
    works(d, first["session"], tok, "launched")
    # More opens than are ready: those past them launch.
    wait_ready(d, 2)
    many = [open_session(d, f["id"], tok) for _ in range(3)]
    tap(all(shape(st, o, f["checksum"]) for st, o in many) and
        len({o["session"] for _, o in many}) == 3,
        "three opens with two ready answer alike", many)
    for _, o in many:
        works(d, o["session"], tok, "one of three")
    # A name resolves on a handler thread, ready session or not.
    wait_ready(d, 1)
    ntok = d.token(f["name"])
    st, o = open_session(d, f["name"], ntok)
    tap(shape(st, o, f["checksum"]) and logged(d, o["session"]),
        "an open by name answers the same", (st, o))
    works(d, o["session"], ntok, "by name")
    # A deleted function is not found, though its ready session was
    # there a moment before.
    wait_ready(d, 1)
    st, _, _ = d.request("DELETE", "/v1/functions/%s" % f["id"], None,
                         d.admin)
    st2, o = open_session(d, f["id"], tok)
    tap(st == 204 and st2 == 404, "a deleted function's open is 404",
        (st, st2, o))


def without_ready(d, tmp):
    f = deploy_echo(d, tmp)
    tok = d.token(f["id"])
    refused_pin(d, f["id"], tok, "none ready")
    for i in range(2):
        st, o = open_session(d, f["id"], tok, f["checksum"])
        tap(shape(st, o, f["checksum"]) and logged(d, o["session"]),
            "warm_sessions = 0: open %d answers the same" % (i + 1), (st, o))
        works(d, o["session"], tok, "warm_sessions = 0")
    m = d.metrics()
    tap(m["fnhost_sessions_ready"] == 0 and
        m["fnhost_sessions_ready_taken_total"] == 0,
        "warm_sessions = 0: nothing is made ahead", m)


def main():
    for warm, body in ((None, with_ready), (0, without_ready)):
        tmp = tempfile.mkdtemp(prefix="fnhost-open-")
        d = Daemon(tmp, warm_sessions=warm, session_idle="30s")
        try:
            with d:
                body(d, tmp)
        except Stop:
            pass
        finally:
            d.kill()
            shutil.rmtree(tmp, ignore_errors=True)
    return done()


if __name__ == "__main__":
    sys.exit(main())
