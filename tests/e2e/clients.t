#!/usr/bin/python3
# clients.t: fnhostd against hostile clients, run as an attacker would.
# Nobody without a token costs the host more than a constant per
# connection, and a well-behaved client is served beside each attack:
#   slowloris   256 connections from 8 addresses, a byte of a request
#               head each second, are cut at request_head_timeout (2s)
#   idle        10,000 idle connections over 200 source addresses are
#               held (fnhostd has their descriptors) and a session still
#               opens, invokes and closes
#   bodies      250 half-sent 1 MiB invoke bodies with no token: RSS
#               stays within a constant, the descriptors come back
#   hoarding    sessions_per_token's 429 with Retry-After; the host's
#               reserve kept from one function for the others
#   log         the URL, a User-Agent and a garbage token can not forge
#               a line, and a token never reaches the log
#   workers     a worker that dies says why in the log: signal, seccomp,
#               abort, wall time, CPU budget
# Each attack prints the well-behaved client's latency under attack and
# unloaded as a "# latency" comment; only that it was served is tested.
# Loopback only; every attack is bounded in count and time.  TAP on
# stdout; FNHOST_BUILD is the absolute build directory.
import os
import re
import resource
import select
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
from fnhd import RELAXED, Daemon, sign  # noqa: E402
from fnhtap import Stop, done, require, skip, tap  # noqa: E402

ECHO = os.path.join(BUILD, "tests", "plugins", "echo", "plugin.so")
SPIN = os.path.join(BUILD, "tests", "plugins", "spin", "plugin.so")
HOSTILE = os.path.join(BUILD, "tests", "hostile")
DEVPUB = os.path.join(BUILD, "dev-publisher.pub")
MIB = 1 << 20


def addr(i):
    """The i-th client source address, 127.0.1.1 up, never 127.0.0.1
    (where the well-behaved client and the fixture connect from)."""
    return "127.%d.%d.%d" % (1 + i // 62500, (i // 250) % 250 + 1,
                             i % 250 + 1)


def connect_from(d, src, timeout=5):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, 0))
    s.settimeout(timeout)
    s.connect((d.addr, d.port))
    return s


def server_unread(d):
    """Bytes that arrived on fnhostd's side of its connections and that
    it has not read yet (rx_queue in /proc/net/tcp), and the number of
    those connections.  fnhostd listens on 127.0.0.1, where no attacker
    of this test binds."""
    total = n = 0
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            local, port = fields[1].split(":")
            if local == "0100007F" and int(port, 16) == d.port and \
                    fields[3] != "0A":  # not the listening socket
                total += int(fields[4].split(":")[1], 16)
                n += 1
    return total, n


def tcp_fd_count(pid):
    """How many of pid's descriptors are TCP sockets: its client
    connections and its listening socket.  The rest come and go with
    the warm pool and ready sessions (a spawning worker holds a pidfd
    and a channel socket), so a count of all of them depends on where
    a refill happens to be, not on what the clients did."""
    tcp = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                tcp.update(line.split()[9] for line in f)
        except OSError:
            pass
    n = 0
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue  # closed while we looked
        if link.startswith("socket:[") and link[8:-1] in tcp:
            n += 1
    return n


def is_closed(s):
    """True once the peer closed or reset s (non-blocking look)."""
    try:
        r, _, _ = select.select([s], [], [], 0)
        if not r:
            return False
        return s.recv(65536, socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


class Host:
    """A daemon with the echo function deployed and a token for it."""

    def __init__(self, name, **conf):
        self.tmp = tempfile.mkdtemp(prefix="fnhost-clients-%s-" % name)
        self.d = Daemon(self.tmp, **conf)

    def __enter__(self):
        d = self.d
        d.start()
        require(d.json("POST", "/v1/trust", open(DEVPUB).read(),
                       d.admin)[0] == 201, "the development key is trusted")
        self.fid = self.deploy(ECHO, "echo")
        self.tok = d.token(self.fid)
        return self

    def __exit__(self, *exc):
        r = self.d.__exit__(*exc)
        shutil.rmtree(self.tmp, ignore_errors=True)
        return r

    def deploy(self, so, name):
        st, o = self.d.deploy(sign(self.tmp, so, name))
        require(st == 201, "%s deploys" % name, o)
        return o["id"]

    def session(self):
        """One well-behaved session: open, invoke, close.  (served,
        seconds, what went wrong)."""
        d, t0 = self.d, time.monotonic()
        try:
            st, o = d.json("POST", "/v1/functions/%s/sessions" % self.fid,
                           "", self.tok)
            if st != 201:
                return False, 0, "open: %s %s" % (st, o)
            sid = o["session"]
            st, out, _ = d.request("POST", "/v1/sessions/%s/invoke" % sid,
                                   b"hello", self.tok)
            st2, _, _ = d.request("DELETE", "/v1/sessions/%s" % sid,
                                  token=self.tok)
            ok = st == 200 and out == b"hello" and st2 in (200, 204)
            return ok, time.monotonic() - t0, "invoke %s %r, close %s" % (
                st, out[:80], st2)
        except OSError as e:
            return False, 0, "%s" % e

    def baseline(self, n=5):
        """The unloaded session's median latency, in seconds."""
        times = sorted(self.session()[1] for _ in range(n))
        return times[n // 2]


def latency(what, base, under):
    print("# latency %s: %.1f ms under attack, %.1f ms unloaded (x%.1f)"
          % (what, under * 1000, base * 1000,
             under / base if base > 0 else 0), flush=True)


# ---- slowloris -------------------------------------------------------------

def slowloris():
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nUser-Agent: slow\r\n\r\n"
    with Host("slow", request_head_timeout="2s") as h:
        d = h.d
        base = h.baseline()
        conns = [connect_from(d, addr(i % 8)) for i in range(256)]
        for s in conns:
            s.setblocking(False)
        t0 = time.monotonic()
        cut = {}
        served = None
        sent = 0
        # A byte each second from each connection, for at most 8 s: a
        # head is never finished (it is longer than 8 bytes).
        while len(cut) < len(conns) and time.monotonic() - t0 < 8:
            for i, s in enumerate(conns):
                if i in cut:
                    continue
                if is_closed(s):
                    cut[i] = time.monotonic() - t0
                    continue
                try:
                    s.send(head[sent:sent + 1])
                except OSError:
                    cut[i] = time.monotonic() - t0
            sent += 1
            if served is None:
                served = h.session()
            time.sleep(max(0, t0 + sent - time.monotonic()))
        held = len(conns) - len(cut)
        for s in conns:
            s.close()
        tap(held == 0, "slowloris: all 256 slow heads are cut within 8 s "
            "(request_head_timeout 2s)", "%d still open" % held)
        if cut:
            ts = sorted(cut.values())
            print("# slowloris: cut after %.1f s (first) to %.1f s (last),"
                  " %d bytes sent on each" % (ts[0], ts[-1], sent))
            tap(ts[0] >= 1.5, "slowloris: none is cut before its deadline",
                "first cut after %.2f s" % ts[0])
        tap(served and served[0],
            "slowloris: a well-behaved session is served meanwhile",
            served and served[2])
        if served and served[0]:
            latency("slowloris", base, served[1])


# ---- 10,000 idle connections ----------------------------------------------

IDLE = 10000


def idle():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = IDLE + 512
    if hard != resource.RLIM_INFINITY and hard < want:
        skip("idle: the open-file hard limit %d is below %d" % (hard, want))
        return
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, want), hard))
    with Host("idle", max_connections="12000", request_head_timeout="60s",
              client_timeout="120") as h:
        d = h.d
        base = h.baseline()
        rss0 = d.rss_kb()
        conns, failed = [], None
        t0 = time.monotonic()
        try:
            for i in range(IDLE):  # 50 per address, under the 64 per IP
                conns.append(connect_from(d, addr(i // 50)))
        except OSError as e:
            failed = "connection %d: %s" % (len(conns), e)
        print("# idle: %d connections in %.1f s" %
              (len(conns), time.monotonic() - t0))
        # fnhostd accepts them as fast as it can; wait until it has them
        # all (its sockets, seen from /proc/net/tcp, and its descriptors).
        deadline = time.monotonic() + 20
        while server_unread(d)[1] < len(conns) and \
                time.monotonic() < deadline:
            time.sleep(0.2)
        held = server_unread(d)[1]
        print("# idle: fnhostd has %d connections and %d descriptors"
              % (held, tcp_fd_count(d.pid)))
        tap(failed is None and held >= IDLE,
            "idle: fnhostd holds all %d idle connections" % IDLE,
            "%s; fnhostd holds %d" % (failed, held))
        rss = d.rss_kb()
        served = h.session()
        tap(served[0], "idle: a session opens, invokes and closes beside "
            "them", served[2])
        if served[0]:
            latency("idle x%d" % IDLE, base, served[1])
        still = sum(1 for s in conns[:200] if not is_closed(s))
        tap(still == min(200, len(conns)),
            "idle: the idle connections are still open after the session",
            "%d of 200 looked at" % still)
        print("# idle: fnhostd's RSS %d KiB before, %d KiB with %d "
              "connections open (%.1f KiB a connection)" %
              (rss0, rss, len(conns), (rss - rss0) / max(1, len(conns))))
        for s in conns:
            s.close()
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


# ---- token-less bodies ----------------------------------------------------

BODIES = 250


def bodies():
    with Host("bodies") as h:
        d = h.d
        base = h.baseline()
        head = (b"POST /v1/sessions/%s/invoke HTTP/1.1\r\nHost: x\r\n"
                b"Content-Length: %d\r\n\r\n" % (b"0" * 32, MIB))
        fds0, rss0 = tcp_fd_count(d.pid), d.rss_kb()
        half = b"x" * (MIB // 2)
        conns = [connect_from(d, addr(i % 8)) for i in range(BODIES)]
        t0 = time.monotonic()
        left, closed = {}, 0
        for s in conns:
            s.sendall(head)
            s.setblocking(False)
            left[s] = memoryview(half)
        # Half of each body, for at most 20 s: a host that stopped
        # reading would fill the socket buffers and stop us here.
        while left and time.monotonic() - t0 < 20:
            _, w, _ = select.select([], list(left)[:500], [], 0.5)
            for s in w:
                try:
                    n = s.send(left[s][:256 * 1024])
                except OSError:
                    del left[s]  # refused and closed: nothing is held
                    closed += 1
                    continue
                left[s] = left[s][n:]
                if not left[s]:
                    del left[s]
        sent_s = time.monotonic() - t0
        print("# bodies: %d of %d closed by fnhostd before half was sent"
              % (closed, BODIES))
        time.sleep(0.5)
        unread, nconn = server_unread(d)
        print("# bodies: %d bytes unread by fnhostd on %d connections"
              % (unread, nconn))
        # The socket buffers alone could hold what was sent: what shows
        # that fnhostd reads and drops it is its empty receive queues.
        tap(unread < MIB, "bodies: fnhostd has read what was sent "
            "(%d bytes left in its receive queues)" % unread)
        rss1, fds1 = d.rss_kb(), tcp_fd_count(d.pid)
        served = h.session()
        print("# bodies: %d x 512 KiB sent in %.1f s; RSS %d KiB before, "
              "%d KiB with them open (+%d KiB, %.1f KiB a connection)"
              % (BODIES, sent_s, rss0, rss1, rss1 - rss0,
                 (rss1 - rss0) / BODIES))
        tap(not left, "bodies: every token-less body's first half is sent",
            "%d connections stalled" % len(left))
        # Storing them would be 125 MiB; a constant per connection
        # (libmicrohttpd's pool and ours) is well under 64 KiB.
        tap(rss1 - rss0 < 16 * 1024,
            "bodies: RSS stays within 16 MiB of where it was with %d "
            "half-sent 1 MiB bodies" % BODIES,
            "RSS %d -> %d KiB" % (rss0, rss1))
        tap(served[0], "bodies: a well-behaved session is served meanwhile",
            served[2])
        if served[0]:
            latency("bodies", base, served[1])
        for s in conns:
            s.close()
        deadline = time.monotonic() + 10
        while tcp_fd_count(d.pid) > fds0 and time.monotonic() < deadline:
            time.sleep(0.1)
        fds2, rss2 = tcp_fd_count(d.pid), d.rss_kb()
        print("# bodies: TCP descriptors %d before, %d open, %d after; RSS %d "
              "KiB after" % (fds0, fds1, fds2, rss2))
        tap(fds2 <= fds0,
            "bodies: the connections' descriptors come back after they "
            "close", "%d before, %d after" % (fds0, fds2))
        tap(rss2 - rss0 < 16 * 1024, "bodies: RSS returns within 16 MiB",
            "RSS %d -> %d KiB" % (rss0, rss2))


# ---- session hoarding -----------------------------------------------------

def hoarding():
    # 16 places, the last 2 (an eighth) kept for functions holding fewer.
    with Host("hoard", sessions_total="16", sessions_per_function="16",
              sessions_per_token="4", warm_sessions="0",
              shutdown_grace="1s") as h:
        d = h.d
        base = h.baseline()
        def open_(tok, fid=None):
            st, body, hdrs = d.request(
                "POST", "/v1/functions/%s/sessions" % (fid or h.fid), b"",
                tok)
            return st, body.decode(errors="replace"), hdrs
        a = d.token(h.fid)
        opened = [open_(a)[0] for _ in range(4)]
        tap(opened == [201] * 4, "hoarding: a token opens "
            "sessions_per_token (4) sessions", opened)
        st, body, hdrs = open_(a)
        tap(st == 429 and "sessions_per_token" in body,
            "hoarding: its fifth gets 429 naming sessions_per_token",
            "%s %s" % (st, body))
        ra = hdrs.get("retry-after", "")
        tap(ra.isdigit() and int(ra) > 0,
            "hoarding: with a Retry-After > 0 (%s)" % ra, hdrs)
        b = d.token(h.fid)
        tap(open_(b)[0] == 201, "hoarding: another token of the same "
            "function still opens")
        # Fill the host with this function through more tokens: it may
        # take 14 of the 16 places, the 15th is refused.
        toks = [b] + [d.token(h.fid) for _ in range(3)]
        n, last = 5, None
        for t in toks:
            for _ in range(4):
                st, body, _ = open_(t)
                if st == 429 and "sessions_per_token" in body:
                    break  # this token's share: on to the next
                if st != 201:
                    last = (st, body)
                    break
                n += 1
            if last:
                break
        tap(n == 14 and last and last[0] == 429 and
            "nearly full" in last[1],
            "hoarding: one function through several tokens fills the host "
            "up to the reserve, then gets 'nearly full'",
            "%d open, then %s" % (n, last))
        other = h.deploy(ECHO, "echo2")
        st, body, _ = open_(d.token(other), other)
        tap(st == 201, "hoarding: another function still opens at the "
            "reserve", "%s %s" % (st, body))
        # A well-behaved client of the other function: served.
        h.fid, h.tok = other, d.token(other)
        served = h.session()
        tap(served[0], "hoarding: its client's session is served",
            served[2])
        if served[0]:
            latency("hoarding", base, served[1])


# ---- log injection --------------------------------------------------------

def log_injection():
    garbage = 'eyJ"quoted\\back\\slash\'x"%s' % os.urandom(6).hex()
    with Host("log") as h:
        d = h.d
        base = h.baseline()
        forged = b"fnhostd: level=info event=FORGED"
        ua = (b'Mozilla "quoted" \\back %0A' + forged + b" " + b"u" * 4000)
        for path in [b"/v1/functions%0A" + forged.replace(b" ", b"%20"),
                     b"/v1/x%0D%0A" + forged.replace(b" ", b"%20"),
                     b"/v1/\"q\"\\b%1b[2J%00",
                     b"/v1/x%20status=200%20event=FORGED"]:
            s = connect_from(d, addr(1))
            s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n"
                      b"User-Agent: " + ua + b"\r\nConnection: close\r\n\r\n")
            s.recv(4096)
            s.close()
        # Raw control bytes in a header: libmicrohttpd refuses the head.
        s = connect_from(d, addr(1))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nUser-Agent: a\x1b"
                  b"[2J\x00b\r\nConnection: close\r\n\r\n")
        raw = s.recv(4096)
        s.close()
        print("# log: a header with raw ESC and NUL bytes got %r"
              % raw.split(b"\r\n", 1)[0])
        for path in ["/v1/functions/%s/sessions" % h.fid,
                     "/v1/sessions/%s/invoke" % ("0" * 32)]:
            st, _, _ = d.request("POST", path, b"x", garbage)
            tap(st == 401, "log: a garbage token is refused (%s)" % path, st)
        served = h.session()
        tap(served[0], "log: a well-behaved session is served", served[2])
        if served[0]:
            latency("log", base, served[1])
        tok = h.tok
        d.stop()
        lines = [l for l in open(d.log, "rb").read().split(b"\n") if l]
        log_checks(lines, garbage, tok)


def log_checks(lines, garbage, tok):
    tap(all(l.startswith(b"fnhostd: ts=") for l in lines),
        "log: every line is fnhostd's own",
        b"\n".join(l for l in lines
                   if not l.startswith(b"fnhostd: ts="))[:2000].decode(
                       errors="replace"))
    tap(not any(re.match(rb"fnhostd: level=|FORGED", l) for l in lines) and
        not any(b" event=FORGED" in l for l in lines),
        "log: the forged event is nowhere an event")
    tap(all(l.count(b" status=") <= 1 for l in lines) and
        any(b"path=/v1/x\\x20status=200\\x20event=FORGED " in l
            for l in lines),
        "log: a path's spaces add no field to its line",
        [l for l in lines if b"x status=" in l or b"x\\x20" in l])
    text = b"\n".join(lines)
    tap(b"Mozilla" not in text and b"uuuuuuuu" not in text,
        "log: the User-Agent does not reach the log")
    tap(garbage.encode() not in text and b"quoted\\\\back" not in text and
        b"eyJ" not in text,
        "log: the garbage token is nowhere in the log")
    tap(tok.encode() not in text and tok.split(".")[-1].encode() not in text,
        "log: the real token is nowhere in the log")


# ---- a worker that dies says why ------------------------------------------

def workers():
    conf = dict(invoke_timeout="3s", invoke_cpu="1s", warm_sessions="0")
    with Host("died", **conf) as h:
        d = h.d
        cases = [
            # A sanitizer's SEGV handler turns the crash into an exit.
            ("segv", os.path.join(HOSTILE, "segv", "plugin.so"), b"",
             502, r"cause=exit exit_status=1" if RELAXED
             else r"cause=signal signal=SIGSEGV"),
            ("abort", os.path.join(HOSTILE, "abort", "plugin.so"), b"",
             502, r"cause=abort "),
            ("kernel", os.path.join(HOSTILE, "kernel", "plugin.so"),
             b"io_uring", 502, r"cause=seccomp signal=SIGSYS"),
            ("spin", SPIN, b"", 504, r"cause=cpu_time limit_ms=1000"),
            ("sleep", os.path.join(HOSTILE, "sleep", "plugin.so"), b"",
             504, r"cause=wall_time limit_ms=3000"),
        ]
        for name, so, inp, want, cause in cases:
            fid = h.deploy(so, "died_" + name)
            tok = d.token(fid)
            st, o = d.json("POST", "/v1/functions/%s/sessions" % fid, "",
                           tok)
            if not tap(st == 201, "workers: %s opens" % name, o):
                continue
            sid = o["session"]
            st, body, _ = d.request("POST", "/v1/sessions/%s/invoke" % sid,
                                    inp, tok)
            tap(st == want, "workers: %s's invoke answers %d" % (name, want),
                "%s %r" % (st, body[:200]))
            pat = re.compile(
                (r"event=worker_died session=%s function=%s pid=\d+ %s" %
                 (sid, fid, cause)).encode())
            line = None
            for _ in range(20):
                line = next((l for l in open(d.log, "rb").read().split(b"\n")
                             if pat.search(l)), None)
                if line:
                    break
                time.sleep(0.1)
            tap(line is not None, "workers: the log says why %s's worker "
                "died (%s)" % (name, cause),
                b"\n".join(l for l in open(d.log, "rb").read().split(b"\n")
                           if b"worker_died" in l).decode(errors="replace"))
            if line:
                print("#   " + line.decode(errors="replace")[:300])
        served = h.session()
        tap(served[0], "workers: a well-behaved session is served after "
            "them", served[2])


def main():
    attacks = [slowloris, idle, bodies, hoarding, log_injection, workers]
    only = os.environ.get("CLIENTS_ONLY")
    for attack in attacks:
        if only and attack.__name__ not in only.split(","):
            continue
        t0 = time.monotonic()
        try:
            attack()
        except Stop as e:
            print("# stopped after: %s" % e)
        print("# %s took %.1f s" % (attack.__name__, time.monotonic() - t0),
              flush=True)
    return done()


if __name__ == "__main__":
    sys.exit(main())
