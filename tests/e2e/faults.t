#!/usr/bin/python3
"""Clients and crashes that try to hurt fnhostd, and what is left after.

A client that hangs up in the middle of an invoke; sessions opened and
never closed; a body sent a byte at a time, and one that stops; 100 MB
bodies to an invoke and to a deploy; fnhostd killed with SIGKILL while
clients keep it busy, then started again.  After each, a good session
still works, and nothing is left: no worker, no scratch directory, no
growth of fnhostd's memory.  No timing is asserted.  TAP on stdout."""
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fnhd import (BUILD, DEVPUB, FNHOSTD, RELAXED, Daemon,  # noqa: E402
                  config_text, sign)
from fnhtap import done, free_port, tap  # noqa: E402


def leftovers(conf):
    """Processes whose command line names this test's config: fnhostd, its
    zygote and its workers are all copies of the same command line."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                if conf.encode() in f.read():
                    with open("/proc/%s/stat" % pid) as g:
                        state = g.read().rsplit(")", 1)[1].split()[0]
                    if state != "Z":
                        found.append(int(pid))
        except OSError:
            pass
    return found


def deploy(h, tmp, name, so):
    fid = h.deploy_cli(sign(tmp, so, name))
    return fid, h.token(fid)


def echo_works(h):
    fid, tok = h.echo
    st, o = h.json("POST", "/v1/functions/%s/sessions" % fid, b"", tok)
    if st != 201:
        return False
    st, out, _ = h.request("POST", "/v1/sessions/%s/invoke" % o["session"],
                           b"still here", tok)
    h.request("DELETE", "/v1/sessions/%s" % o["session"], None, tok)
    return st == 200 and out == b"still here"


def raw(h, head, body=b""):
    s = socket.create_connection(("127.0.0.1", h.port), timeout=10)
    s.sendall(head + body)
    return s


def main():
    tmp = tempfile.mkdtemp(prefix="fnhost-faults-")
    h = Daemon(tmp, invoke_timeout="3s", session_idle="2s",
               client_timeout="2s", max_input="1M", max_bundle="4M",
               sessions_per_token=8)
    try:
        with h:
            h.fnhost(["trust", "add", DEVPUB], token=h.admin, check=True)
            h.echo = deploy(h, tmp, "echo", os.path.join(
                BUILD, "tests/plugins/echo/plugin.so"))
            h.sleeper = deploy(h, tmp, "sleep", os.path.join(
                BUILD, "tests/hostile/sleep/plugin.so"))
            tap(echo_works(h), "a good session works to begin with")
            hang_up(h)
            never_closed(h)
            slow_bodies(h)
            huge_bodies(h)
            killed_under_load(h, tmp)
            detached(h, tmp)
    finally:
        h.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return done()


def settle(h, what, want, limit=15):
    """Poll what() until it equals want or limit seconds pass."""
    deadline = time.monotonic() + limit
    got = what()
    while got != want and time.monotonic() < deadline:
        time.sleep(0.1)
        got = what()
    return got


def workers(h):
    """fnhostd's children but its zygote, warm workers and ready
    sessions: the workers of open sessions."""
    kids = len(h.children(zombies=False))
    m = h.metrics()
    return kids - 1 - 2 - int(m["fnhost_sessions_ready"])


def hang_up(h):
    fid, tok = h.sleeper
    st, o = h.json("POST", "/v1/functions/%s/sessions" % fid, b"", tok)
    s = raw(h, ("POST /v1/sessions/%s/invoke HTTP/1.1\r\nHost: x\r\n"
                "Authorization: Bearer %s\r\nContent-Length: 1\r\n\r\n"
                % (o["session"], tok)).encode(), b"x")
    time.sleep(0.5)
    s.close()  # gone in the middle of the invoke
    tap(echo_works(h), "a client hanging up mid-invoke: others are served")
    left = settle(h, lambda: workers(h), 0)
    tap(left == 0 and settle(h, lambda: h.metrics()["fnhost_sessions_open"],
                             0) == 0,
        "its sleeping worker is killed at the time limit, its session gone",
        left)


def never_closed(h):
    fid, tok = h.echo
    for _ in range(5):
        h.json("POST", "/v1/functions/%s/sessions" % fid, b"", tok)
    opened = h.metrics()["fnhost_sessions_open"]
    left = settle(h, lambda: h.metrics()["fnhost_sessions_open"], 0)
    # The only dirs left are the ready sessions', counted at each poll:
    # those too are dropped once idle, maybe between two reads.
    extra = settle(h, lambda: len(h.session_dirs()) -
                   h.metrics()["fnhost_sessions_ready"], 0)
    tap(opened == 5 and left == 0 and extra == 0,
        "sessions never closed are closed when idle, their dirs wiped",
        (opened, left, extra, h.session_dirs()))


def slow_bodies(h):
    fid, tok = h.echo
    st, o = h.json("POST", "/v1/functions/%s/sessions" % fid, b"", tok)
    head = ("POST /v1/sessions/%s/invoke HTTP/1.1\r\nHost: x\r\n"
            "Authorization: Bearer %s\r\nContent-Length: 8\r\n\r\n"
            % (o["session"], tok)).encode()
    s = raw(h, head)
    for b in b"slowbody":
        s.sendall(bytes([b]))
        time.sleep(0.3)
        if b == ord("w"):
            ok = echo_works(h)
    reply = s.recv(4096)
    s.close()
    tap(ok and reply.startswith(b"HTTP/1.1 200") and
        reply.endswith(b"slowbody"),
        "a body sent a byte at a time: served, and others meanwhile",
        reply)
    h.request("DELETE", "/v1/sessions/%s" % o["session"], None, tok)

    s = raw(h, ("POST /v1/functions/%s/run HTTP/1.1\r\nHost: x\r\n"
                "Authorization: Bearer %s\r\nContent-Length: 100\r\n\r\n"
                % (fid, tok)).encode(), b"only some")
    s.settimeout(15)
    try:
        got = s.recv(4096)  # nothing more comes: the host hangs up
    except OSError as e:
        got = str(e).encode()
    s.close()
    tap(not got.startswith(b"HTTP/1.1 200") and echo_works(h),
        "a body that stops: the connection is closed, nothing ran",
        got)


def huge(h, path, tok, extra=""):
    """Send 100 MB to path; return what came back (or the error)."""
    s = socket.create_connection(("127.0.0.1", h.port), timeout=30)
    size = 100 << 20
    s.sendall(("POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
               "%sContent-Length: %d\r\n\r\n" % (path, tok, extra,
                                                  size)).encode())
    chunk = b"\0" * (1 << 20)
    got = b""
    try:
        for _ in range(100):
            s.sendall(chunk)
    except OSError:
        pass
    try:
        got = s.recv(4096)
    except OSError as e:
        got = str(e).encode()
    s.close()
    return got


def huge_bodies(h):
    fid, tok = h.echo
    st, o = h.json("POST", "/v1/functions/%s/sessions" % fid, b"", tok)
    refused = 'fnhost_deploys_total{result="refused"}'
    refused0 = h.metrics()[refused]
    rss0 = h.rss_kb()
    got = huge(h, "/v1/sessions/%s/invoke" % o["session"], tok)
    got2 = huge(h, "/v1/functions", h.admin,
                "Content-Type: multipart/form-data; boundary=fnhostb0undary\r\n")
    rss1 = h.rss_kb()
    tap((got.startswith(b"HTTP/1.1 413") or not got.startswith(b"HTTP")) and
        (got2.startswith(b"HTTP/1.1 413") or not got2.startswith(b"HTTP")),
        "100 MB bodies to an invoke and a deploy: refused, not read",
        (got[:80], got2[:80]))
    tap(rss1 - rss0 < 16 * 1024 or RELAXED,
        "fnhostd's memory stays put (%d -> %d KiB)" % (rss0, rss1))
    tap(h.metrics()[refused] == refused0 + 1,
        "the deploy refused by its Content-Length counts as refused",
        (refused0, h.metrics()[refused]))
    st, out, _ = h.request("POST", "/v1/sessions/%s/invoke" % o["session"],
                           b"after", tok)
    tap(st == 200 and out == b"after" and
        not os.listdir(os.path.join(h.data, "tmp")),
        "the session goes on, and no deploy was staged", (st, out))
    h.request("DELETE", "/v1/sessions/%s" % o["session"], None, tok)


def killed_under_load(h, tmp):
    stop = threading.Event()
    fid, tok = h.echo

    def client():
        while not stop.is_set():
            try:
                st, o = h.json("POST", "/v1/functions/%s/sessions" % fid,
                               b"", tok)
                if st != 201:
                    continue
                h.request("POST", "/v1/sessions/%s/invoke" % o["session"],
                          b"load", tok)
                if int(time.monotonic() * 10) % 2:
                    h.request("DELETE", "/v1/sessions/%s" % o["session"],
                              None, tok)
            except (OSError, ValueError, http.client.HTTPException):
                pass
    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    h.kill()
    stop.set()
    for t in threads:
        t.join()
    left = settle(h, lambda: leftovers(h.conf), [])
    tap(left == [], "after kill -9 under load no zygote or worker is left",
        left)
    stale = len(h.session_dirs())
    h.start()
    ready = settle(h, lambda: len(h.session_dirs()),
                   h.metrics()["fnhost_sessions_ready"], 5)
    tap(stale > 0 and ready == h.metrics()["fnhost_sessions_ready"],
        "the restart wipes the %d scratch dirs the crash left" % stale,
        (stale, h.session_dirs()))
    st, lst = h.json("GET", "/v1/functions", token=h.admin)
    tap(st == 200 and len(lst) == 2 and echo_works(h),
        "and serves every function again", lst)


def detached(h, tmp):
    """Without -f fnhostd goes to the background only once it serves; one
    that can not start says why and exits 1."""
    port = free_port()
    conf = os.path.join(tmp, "bg.conf")
    with open(conf, "w") as f:
        f.write(config_text(os.path.join(tmp, "bg-scratch")))
    argv = [FNHOSTD, "-c", conf, "-d", os.path.join(tmp, "bg-data"), "-l",
            "127.0.0.1:%d" % port]
    # Files, not pipes: what stays of the daemon must not hold them.
    err = os.path.join(tmp, "bg.err")
    r = subprocess.run(argv, stdout=subprocess.DEVNULL,
                       stderr=open(err, "w"), timeout=30)
    st = None
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/healthz")
        st = c.getresponse().status
        c.close()
    except OSError:
        pass
    tap(r.returncode == 0 and st == 200,
        "fnhostd without -f exits 0 once it serves", (r, st))
    r2 = subprocess.run(argv[:-1] + ["127.0.0.1:%d" % free_port()],
                        stdout=subprocess.DEVNULL, stderr=open(err, "w"),
                        timeout=30)
    with open(err) as f:
        said = f.read()
    tap(r2.returncode == 1 and "in use by another fnhostd" in said,
        "a second one on the same scratch root says why and exits 1", said)
    for pid in leftovers(conf):
        os.kill(pid, signal.SIGTERM)
    settle(h, lambda: leftovers(conf), [])


if __name__ == "__main__":
    sys.exit(main())
