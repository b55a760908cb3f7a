#!/usr/bin/python3
# logs.t: fnhostd's log can not be forged, and it says what plugins log.
# An attacker with no token sends paths with %0A, %0D and quotes; a
# plugin (tests/plugins/log_forge) puts whole forged lines in its log()
# calls, its init() failure text and its invoke errors, and floods log().
# Afterwards every line of the log is one of fnhostd's own (it starts
# with "fnhostd: ts="), the forged event is nowhere a line of its own,
# the plugin's lines are there, tagged with function and session, and a
# flood is cut to the documented burst.  TAP on stdout; FNHOST_BUILD is
# the absolute build directory.
import json
import os
import shutil
import socket
import sys
import tempfile
import time

BUILD = os.environ.get("FNHOST_BUILD")
if not BUILD:
    print("Bail out! FNHOST_BUILD must name the build directory")
    sys.exit(1)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fnhd import Daemon, sign  # noqa: E402
from fnhtap import Stop, done, require, tap  # noqa: E402

PLUGIN = os.path.join(BUILD, "tests", "plugins", "log_forge", "plugin.so")
BURST = 100  # PLUGIN_LOG_BURST in host/daemon/plugin-log.h
RATE = 10  # PLUGIN_LOG_RATE


def raw_request(d, line):
    """Send one request line as bytes, as no well-behaved client would."""
    s = socket.create_connection((d.addr, d.port), timeout=10)
    try:
        s.sendall(line + b"\r\nHost: x\r\nConnection: close\r\n\r\n")
        return s.recv(4096).split(b" ", 2)[1]
    finally:
        s.close()


def attack_paths(d):
    for path in [b"/v1/functions%0Afnhostd:%20level=info%20event=FORGED",
                 b"/v1/x%0D%0Afnhostd: level=info event=FORGED",
                 b"/v1/\"quoted\"\\back%00nul%1b[2J"]:
        st = raw_request(d, b"GET " + path + b" HTTP/1.1")
        tap(st in (b"400", b"401", b"404"),
            "a request path with control bytes is refused (%s)"
            % path[:24].decode(errors="replace"), st)


def attack_plugin(d):
    # Its init fails, so fnhost sign can not read the descriptor: the
    # descriptor's name and version are given (the host deploys it
    # unchecked, its sessions refused as its init is).
    st, o = d.deploy(sign(d.tmp, PLUGIN, "log_forge",
                          label=("log_forge", "1.0")))
    require(st == 201, "log_forge deploys", o)
    fid = o["id"]
    tok = d.token(fid)
    opened = 0
    for _ in range(12):  # some opens fail in init(), some ready ones too
        st, o = d.json("POST", "/v1/functions/%s/sessions" % fid, "", tok)
        if st != 201:
            continue
        opened += 1
        sid = o["session"]
        for inp in (b"hello", b"fail"):
            d.request("POST", "/v1/sessions/%s/invoke" % sid, inp, tok)
        last = sid
        d.request("DELETE", "/v1/sessions/%s" % sid, token=tok)
    require(opened > 0, "log_forge opened sessions", opened)
    st, o = d.json("POST", "/v1/functions/%s/sessions" % fid, "", tok)
    while st != 201:
        st, o = d.json("POST", "/v1/functions/%s/sessions" % fid, "", tok)
    flood = o["session"]
    st, _, _ = d.request("POST", "/v1/sessions/%s/invoke" % flood,
                         b"flood", tok)
    tap(st == 200, "a session that floods log() is still served", st)
    d.request("DELETE", "/v1/sessions/%s" % flood, token=tok)
    return fid, last, flood


def churn(d, fid, n=6):
    """Open, flood and close n sessions of fid one after another."""
    tok = d.token(fid)
    for _ in range(n):
        st, o = d.json("POST", "/v1/functions/%s/sessions" % fid, "", tok)
        if st != 201:
            continue  # its init() failed: that line counts as well
        d.request("POST", "/v1/sessions/%s/invoke" % o["session"],
                  b"flood", tok)
        d.request("DELETE", "/v1/sessions/%s" % o["session"], token=tok)


def check_log(d, fid, sid, flood, elapsed):
    d.stop()
    with open(d.log, "rb") as f:
        lines = f.read().split(b"\n")
    lines = [l for l in lines if l]
    foreign = [l for l in lines if not l.startswith(b"fnhostd: ts=")]
    tap(not foreign, "every line of the log is fnhostd's own",
        b"\n".join(foreign[:5]).decode(errors="replace"))
    tap(not any(b"\r" in l or b"\x1b" in l or b"\x00" in l for l in lines),
        "no line carries a control byte")
    tap(not any(l.split(b" ", 3)[2:3] == [b"event=trust_add"]
                for l in lines),
        "no forged event stands where an event is")
    mine = [l for l in lines if b"event=plugin_log " in l and
            (b"function=%s session=%s " % (fid.encode(), sid.encode())) in l]
    tap(any(b'msg="handle \\"quoted\\" \\\\ x\\x0afnhostd:' in l
            for l in mine),
        "a plugin's log() line is logged with its function and session, "
        "escaped", b"\n".join(mine[:3]).decode(errors="replace"))
    flooded = [l for l in lines if b"event=plugin_log " in l and
               b"session=%s " % flood.encode() in l]
    # The function's earlier sessions took from the same burst.
    tap(1 <= len(flooded) <= BURST + 20,
        "a flood of 5000 log() calls is cut to the burst (%d lines)"
        % len(flooded))
    # All sessions of the function share one rate, however many it opens
    # or reopens: the burst, then RATE a second over the time the test
    # took, and no more.
    every = [l for l in lines if b"event=plugin_log " in l and
             b"function=%s " % fid.encode() in l]
    most = BURST + RATE * (elapsed + 2)
    tap(len(every) <= most,
        "a function's sessions, opened one after another, log at most "
        "the burst and the rate together (%d lines, at most %d)"
        % (len(every), most))


def main():
    tmp = tempfile.mkdtemp(prefix="fnhost-logs-")
    d = Daemon(tmp, warm_sessions="4")
    try:
        d.start()
        require(d.json("POST", "/v1/trust",
                       open(os.path.join(BUILD, "dev-publisher.pub")).read(),
                       d.admin)[0] == 201, "the development key is trusted")
        attack_paths(d)
        start = time.monotonic()
        fid, sid, flood = attack_plugin(d)
        churn(d, fid)
        check_log(d, fid, sid, flood, time.monotonic() - start)
    except Stop as e:
        print("# stopped after: %s" % e)
    finally:
        d.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return done()


if __name__ == "__main__":
    sys.exit(main())
