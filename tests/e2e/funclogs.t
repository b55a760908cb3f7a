#!/usr/bin/python3
"""Function logs, through a real fnhostd: GET /v1/functions/TARGET/logs
and `fnhost logs` give one function name's lines only (its plugin's log()
lines, escaped, and its sessions' events), a crash's cause appears, the
ring keeps function_log_lines and no more, never an input or an output,
and ?follow=1 streams a line logged after it started, then ends by
itself within client_timeout.  TAP on stdout."""
import http.client
import json
import os
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fnhd import BUILD, DEVPUB, RELAXED, Daemon, sign  # noqa: E402
from fnhtap import Stop, done, require, tap  # noqa: E402

CHATTY = os.path.join(BUILD, "tests/plugins/chatty/plugin.so")
ECHO = os.path.join(BUILD, "tests/plugins/echo/plugin.so")
SEGV = os.path.join(BUILD, "tests/hostile/segv/plugin.so")
CHANABUSE = os.path.join(BUILD, "tests/hostile/chanabuse/plugin.so")
RING = 20


def run(h, fid, text):
    tok = h.token(fid)
    st, out, _ = h.request("POST", "/v1/functions/%s/run" % fid,
                           text.encode(), tok)
    return st, out


def lines(h, target):
    st, body, hdr = h.request("GET", "/v1/functions/%s/logs" % target,
                              token=h.admin)
    if st != 200:
        return st, None, hdr
    return st, [json.loads(l) for l in body.decode().splitlines()], hdr


def main(tmp):
    h = Daemon(tmp, function_log_lines=RING, client_timeout="4s")
    with h:
        h.fnhost(["trust", "add", DEVPUB], token=h.admin, check=True)
        ids = {}
        for name, so in (("chatty", CHATTY), ("echo", ECHO),
                         ("segv", SEGV)):
            st, f = h.deploy(sign(tmp, so, name))
            require(st == 201, "deploy " + name, f)
            ids[name] = f["id"]

        st, out = run(h, ids["chatty"], "hello\x01\"")
        require(st == 200, "chatty runs", (st, out))
        run(h, ids["echo"], "echo-input-never-logged")
        st, ls, hdr = lines(h, "chatty")
        tap(st == 200 and hdr.get("content-type") == "application/x-ndjson",
            "logs are JSON lines", (st, hdr.get("content-type")))
        tap(ls and all(l["function"] == ids["chatty"] for l in ls),
            "the lines of one function only", ls)
        tap([l["event"] for l in ls] ==
            ["open", "log", "log", "log", "log", "close"],
            "its session's open, the plugin's lines, its close",
            [l["event"] for l in ls])
        tap(any(l["event"] == "log" and l["level"] == 6 and
                l["msg"] == "info hello\x01\"" for l in ls),
            "a plugin line with its level, its text kept as JSON escapes "
            "it", ls)
        st, el, _ = lines(h, "echo")
        tap(st == 200 and el and
            not any("echo-input-never-logged" in json.dumps(l) for l in el),
            "never an input or an output", el)
        seqs = [l["seq"] for l in ls]
        tap(seqs == sorted(seqs) and len(set(seqs)) == len(seqs),
            "seq counts up", seqs)

        st, out = run(h, ids["segv"], "")
        st, sl, _ = lines(h, "segv")
        crash = [l for l in (sl or []) if l["event"] == "crash"]
        # A sanitizer's SEGV handler turns the crash into an exit.
        tap(len(crash) == 1 and
            crash[0]["cause"] == ("exit" if RELAXED else "signal") and
            crash[0]["msg"],
            "a crash appears with its cause", sl)

        for i in range(5):
            run(h, ids["chatty"], "round%d" % i)
        st, ls, _ = lines(h, ids["chatty"])
        tap(st == 200 and len(ls) == RING and ls[-1]["seq"] == 36 and
            ls[0]["seq"] == 36 - RING + 1,
            "the ring keeps function_log_lines, the newest",
            (len(ls or []), ls and ls[0]["seq"], ls and ls[-1]["seq"]))
        st, _, _ = lines(h, "nosuch")
        tap(st == 404, "an unknown function: 404", st)
        st, _, _ = h.request("GET", "/v1/functions/chatty/logs")
        tap(st == 401, "logs take the admin token", st)

        r = h.fnhost(["logs", "chatty"], token=h.admin)
        out = r.stdout.splitlines()
        tap(r.returncode == 0 and len(out) == RING and
            out[-1].endswith(" close ") and "info round4" in r.stdout,
            "fnhost logs prints them", r.stdout[-300:])

        # Follow: a line logged after the answer started arrives on it.
        got = {}

        def follow():
            c = http.client.HTTPConnection(h.addr, h.port, timeout=30)
            c.request("GET", "/v1/functions/chatty/logs?follow=1",
                      headers={"Authorization": "Bearer " + h.admin})
            r = c.getresponse()
            start = time.monotonic()
            seen = b""
            while True:
                chunk = r.read1(65536)
                if not chunk:
                    break
                seen += chunk
                if b"info late" in seen and "late_at" not in got:
                    got["late_at"] = time.monotonic() - start
            got["ended_after"] = time.monotonic() - start
            got["body"] = seen
            c.close()

        t = threading.Thread(target=follow)
        t.start()
        time.sleep(1)
        run(h, ids["chatty"], "late")
        t.join(30)
        tap("late_at" in got and got["late_at"] >= 0.9,
            "follow sees a line logged after it started", got.get("late_at"))
        tap(not t.is_alive() and got.get("ended_after", 99) < 10,
            "a followed answer ends by itself within client_timeout",
            got.get("ended_after"))
        body = got.get("body", b"").decode(errors="replace").splitlines()
        tap(body and all(json.loads(l)["function"] == ids["chatty"]
                         for l in body),
            "followed lines are whole JSON lines of the function", body[-2:])

        # A plugin's bytes that are no UTF-8, and a valid line cut at the
        # ring's limit inside a character: the answers and the ring stay
        # UTF-8 (JSON), the bad bytes each one U+FFFD.
        st, f = h.deploy(sign(tmp, CHANABUSE, "chanabuse"))
        require(st == 201, "deploy chanabuse", f)
        st, out = run(h, f["id"], "badtext")
        try:
            msg = json.loads(out.decode("utf-8"))["error"]["message"]
        except (ValueError, KeyError) as e:
            msg = "undecodable: %s %r" % (e, out[:200])
        tap(st != 200 and msg == "bad \ufffd\ufffd \ufffd( \ufffd\ufffd"
            "\ufffd \ufffd\ufffd",
            "a fail() text that is no UTF-8 answers as UTF-8", (st, msg))
        run(h, f["id"], "cutlog")
        st, body, _ = h.request("GET", "/v1/functions/chanabuse/logs",
                                token=h.admin)
        try:
            got = [json.loads(l) for l in body.decode("utf-8").splitlines()]
        except ValueError as e:
            got = "undecodable: %s" % e
        logs = [l["msg"] for l in got if l.get("event") == "log"] \
            if isinstance(got, list) else []
        tap(st == 200 and len(logs) == 2 and
            logs[0] == "bad \ufffd\ufffd \ufffd( \ufffd\ufffd\ufffd "
            "\ufffd\ufffd\ufffd\ufffd\ufffd" and logs[1] == "a" * 1023,
            "log lines that are no UTF-8, or cut inside a character, are "
            "UTF-8 in the ring", (st, got))

        # Terminal controls in a plugin's lines: the ring keeps them as
        # JSON escapes them, fnhost logs shows none (C1 U+009B included).
        run(h, f["id"], "ansi")
        r = h.fnhost(["logs", "chanabuse"], token=h.admin)
        bad = [c for c in ("\x1b", "\x07", "\x9b", "\nplugin error")
               if c in r.stdout]
        tap(r.returncode == 0 and "FORGED" in r.stdout and not bad,
            "fnhost logs shows no terminal control of a plugin's line",
            (bad, r.stdout[-300:]))


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        try:
            main(tmp)
        except Stop:
            pass
    done()
