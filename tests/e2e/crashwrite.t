#!/usr/bin/python3
"""fnhostd killed with SIGKILL during each write of each admin operation,
then started again on the same data dir: the store must hold the state
from before the operation or the one after it, never a mix, and a
retry from "before" must give exactly what the operation gives without
a crash.

Each trial starts from a copy of one prepared data dir.  strace is
attached to every thread of fnhostd (not to its zygote or workers) and
kills the process at the Nth call of one of the system calls that
change files (rename, unlink, fsync, mkdir, ...), before that call runs;
N goes from 1 to the number of such calls the operation makes in a
traced run without a kill.  strace counts per thread: the calls of an
operation are made by the thread that serves it, so N counts them.
Needs root (strace -p).  TAP on stdout."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fnhd import BUILD, DEVPUB, Daemon, sign  # noqa: E402
from fnhtap import done, require, skip, tap  # noqa: E402

ECHO = os.path.join(BUILD, "tests/plugins/svc_echo/plugin.so")
COUNTER = os.path.join(BUILD, "tests/plugins/svc_counter/plugin.so")
SECRET = os.path.join(BUILD, "tests/plugins/svc_secret/plugin.so")
OTHER = os.path.join(BUILD, "tests/plugins/other_secret/plugin.so")

# The calls that change what is on disk.  A kill at a write() or an
# openat() leaves the same as one at the fsync() that follows it.
CALLS = ("rename,renameat,renameat2,unlink,unlinkat,rmdir,mkdir,mkdirat,"
         "fsync,fdatasync,link,linkat,fchmod,fchmodat")
# Kill points tried per operation at most (a deploy makes about 35):
# every one up to this, then evenly spread ones, for a bundle of many
# files.
MAX_POINTS = 48


def tids(pid):
    return sorted(int(t) for t in os.listdir("/proc/%d/task" % pid))


class Tracer:
    """strace on every thread of pid: kill=(call, n) kills at a thread's
    nth call of that one system call (strace counts per thread and per
    call), kill=None only records."""

    def __init__(self, pid, out, kill=None):
        argv = ["strace", "-qq", "-o", out, "-e", "trace=" + CALLS]
        if kill:
            argv += ["-e", "inject=%s:error=EIO:signal=KILL:when=%d" % kill]
        for t in tids(pid):
            argv += ["-p", str(t)]
        self.out = out
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not all(self._traced(pid, t) for t in tids(pid)):
            if time.monotonic() > deadline:
                raise RuntimeError("strace did not attach to %d" % pid)
            time.sleep(0.01)

    @staticmethod
    def _traced(pid, tid):
        try:
            with open("/proc/%d/task/%d/status" % (pid, tid)) as f:
                for line in f:
                    if line.startswith("TracerPid:"):
                        return int(line.split()[1]) != 0
        except OSError:
            return True  # gone
        return False

    def stop(self):
        """The calls seen, as (tid, name) in order."""
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(timeout=30)
        calls = []
        with open(self.out) as f:
            for line in f:
                tid, _, rest = line.partition(" ")
                name = rest.split("(", 1)[0].strip()
                if name in CALLS.split(",") and "resumed>" not in rest:
                    calls.append((tid, name))
        return calls


def kill_points(calls):
    """Each call of the thread that made the most, as (name, n): the nth
    call of that name on that thread."""
    per = {}
    for tid, name in calls:
        per.setdefault(tid, []).append(name)
    if not per:
        return []
    seq = max(per.values(), key=len)
    seen, out = {}, []
    for name in seq:
        seen[name] = seen.get(name, 0) + 1
        out.append((name, seen[name]))
    return out


def state(h):
    """What the admin API says is stored, without what is random per
    run (ids, jtis, times, keys): two runs of one operation compare
    equal."""
    s = {}
    for name in ("svc", "other"):
        st, o = h.json("GET", "/v1/functions/%s/versions" % name,
                       token=h.admin)
        s[name] = (sorted((v["number"], v["checksum"]) for v in o["versions"])
                   if st == 200 else st,
                   sorted((a["alias"], a["number"]) for a in o["aliases"])
                   if st == 200 else st)
    # Every record, also one no name reaches any more.
    st, o = h.json("GET", "/v1/functions", token=h.admin)
    s["records"] = sorted((f["name"], f["number"], f["checksum"])
                          for f in o) if st == 200 else st
    st, o = h.json("GET", "/v1/tokens", token=h.admin)
    s["tokens"] = sorted((t.get("sub") or t.get("function"),
                          bool(t.get("revoked"))) for t in o) \
        if st == 200 and isinstance(o, list) else (st, o)
    st, o = h.json("GET", "/v1/trust", token=h.admin)
    s["trust"] = sorted(json.dumps(k, sort_keys=True) for k in o) \
        if st == 200 else st
    r = h.fnhost(["secret", "list", "-o", "json", "svc"], token=h.admin)
    s["secrets"] = r.stdout.strip()
    return s


def servable(h, ctx):
    """Every version the prepared tokens name answers, and so does each
    name's latest: None, or what failed.  The tokens were issued before
    the copy (an issue here would change the state compared)."""
    for target, tok in sorted(ctx["check_tokens"].items()):
        st, out, _ = h.request("POST", "/v1/functions/%s/run" % target,
                               b"API_KEY", tok)
        gone = st == 404 and target != "svc"
        # The secret plugin fails (422) where its secret is not set.
        if st not in (200, 422) and not gone:
            return "%s: %s %r" % (target, st, out[:200])
    return None


def secret_value(h, ctx):
    """The API_KEY value as svc@2 (the secret plugin) reads it."""
    st, out, _ = h.request("POST", "/v1/functions/svc@2/run", b"API_KEY",
                           ctx["check_tokens"]["svc@2"])
    return out.decode(errors="replace") if st == 200 else None


def left_behind(data):
    """Temporaries and a journal a finished start left: it must leave
    none."""
    found = []
    for root, dirs, files in os.walk(data):
        for f in files + dirs:
            if f.startswith(".tmp-") or f == "journal":
                found.append(os.path.relpath(os.path.join(root, f), data))
    return found


def prepare(tmp):
    """The data dir every trial starts from, and what the operations
    need: svc 1 (echo), 2 (secret), stable on 1, a secret, two tokens;
    other 1 (its only version)."""
    os.chmod(tmp, 0o711)  # workers pass through to their scratch dirs
    os.mkdir(os.path.join(tmp, "base"))
    h = Daemon(os.path.join(tmp, "base"))
    ctx = {}
    with h:
        h.fnhost(["trust", "add", DEVPUB], token=h.admin, check=True)
        for tag, so in (("echo", ECHO), ("secret", SECRET),
                        ("counter", COUNTER), ("other", OTHER)):
            ctx[tag] = sign(os.path.join(tmp, "b-" + tag), so,
                            "other" if so == OTHER else "svc")
        sums = {}
        for tag in ("echo", "secret", "other"):
            st, o = h.deploy(ctx[tag])
            require(st == 201, "prepare: deploy " + tag, o)
            sums[tag] = o["checksum"]
        ctx["reads_secret"] = {sums["secret"], sums["other"]}
        st, o = h.json("PUT", "/v1/functions/svc@stable/alias",
                       json.dumps({"version": 1}), h.admin)
        require(st == 200, "prepare: stable on 1", o)
        h.fnhost(["secret", "set", "svc", "API_KEY", "before"],
                 token=h.admin, check=True)
        ctx["check_tokens"] = {t: h.token(t) for t in
                               ("svc", "svc@1", "svc@2", "other")}
        require(all(ctx["check_tokens"].values()),
                "prepare: tokens for the checks", ctx["check_tokens"])
        st, o = h.json("POST", "/v1/functions/svc/tokens", "{}", h.admin)
        ctx["jti"] = o["jti"] if st == 201 and "jti" in o else None
        require(ctx["jti"], "prepare: a token to revoke", o)
        ctx["admin"] = h.admin
        keydir = os.path.join(tmp, "pub2")
        os.mkdir(keydir)
        subprocess.run(["minisign", "-G", "-W", "-p",
                        os.path.join(keydir, "k.pub"), "-s",
                        os.path.join(keydir, "k.key")], check=True,
                       capture_output=True)
        with open(os.path.join(keydir, "k.pub")) as f:
            ctx["pub2"] = f.read()
        st, o = h.json("GET", "/v1/trust", token=h.admin)
        ctx["devkey"] = o[0]["key_id"]
        ctx["before"] = state(h)
    ctx["data"] = h.data
    return ctx


def ops(ctx):
    """(name, do(h) -> status): each admin write the store has."""
    def deploy(tag):
        return lambda h: h.deploy(ctx[tag])[0]

    def req(method, path, body=None):
        return lambda h: h.request(method, path, body, h.admin)[0]

    def cli(*args):
        return lambda h: h.fnhost(list(args), token=h.admin).returncode

    return [
        ("deploy of a new version", deploy("counter")),
        ("deploy of an old version again", deploy("echo")),
        ("alias set", req("PUT", "/v1/functions/svc@stable/alias",
                          json.dumps({"version": 2}))),
        ("rollback of latest", req("POST", "/v1/functions/svc/rollback")),
        ("alias delete", req("DELETE", "/v1/functions/svc@stable/alias")),
        ("delete of the latest version", lambda h: version_delete(h, "svc",
                                                                  2)),
        ("delete of a name's last version",
         lambda h: version_delete(h, "other", 1)),
        ("token issue", req("POST", "/v1/functions/svc/tokens", "{}")),
        ("token revoke", req("DELETE", "/v1/tokens/" + ctx["jti"])),
        ("trust add", req("POST", "/v1/trust", ctx["pub2"])),
        ("trust remove", req("DELETE", "/v1/trust/" + ctx["devkey"])),
        ("secret set", cli("secret", "set", "svc", "API_KEY", "after")),
        ("secret delete", cli("secret", "delete", "svc", "API_KEY")),
        ("key rotate", cli("key", "rotate")),
    ]


def version_delete(h, name, number):
    st, o = h.json("GET", "/v1/functions/%s/versions" % name, token=h.admin)
    ids = [v["id"] for v in o["versions"] if v["number"] == number] \
        if st == 200 else []
    if not ids:
        return 404
    return h.request("DELETE", "/v1/functions/" + ids[0], token=h.admin)[0]


class Trial:
    """A daemon on a fresh copy of the prepared data dir."""
    seq = 0

    def __init__(self, tmp, ctx):
        Trial.seq += 1
        self.dir = os.path.join(tmp, "t%d" % Trial.seq)
        os.mkdir(self.dir)
        self.h = Daemon(self.dir)
        shutil.copytree(ctx["data"], self.h.data, symlinks=True)
        self.h.start()

    # SIGKILL for every stop: what was answered is durable, and a
    # graceful stop waits for connections to drain.
    def restart(self):
        self.h.kill()
        self.h.start()

    def close(self):
        self.h.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def reference(tmp, ctx, name, do):
    """The operation without a crash: its status, the state after it,
    the secret's value after it, and how many calls it made."""
    t = Trial(tmp, ctx)
    try:
        tr = Tracer(t.h.pid, os.path.join(t.dir, "count.st"))
        st = do(t.h)
        calls = kill_points(tr.stop())
        t.restart()
        return st, state(t.h), secret_value(t.h, ctx), calls
    finally:
        t.close()


def sample(points):
    """All points, or MAX_POINTS of them spread evenly, the last one
    included."""
    if len(points) <= MAX_POINTS:
        return points
    step = len(points) / float(MAX_POINTS)
    keep = {int(i * step) for i in range(MAX_POINTS)} | {len(points) - 1}
    return [points[i] for i in sorted(keep)]


def trial(tmp, ctx, do, point, ref):
    """Kill at point, start again, check: None, or what went wrong."""
    ref_st, after, after_secret, _ = ref
    t = Trial(tmp, ctx)
    try:
        tr = Tracer(t.h.pid, os.path.join(t.dir, "kill.st"), kill=point)
        try:
            do(t.h)
        except Exception:  # noqa: BLE001 the host died under it
            pass
        try:
            t.h.proc.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            pass  # this run made fewer calls: not killed
        killed = t.h.proc.poll() is not None
        tr.stop()
        t.h.kill()
        if not killed:
            return "not killed there (the operation made other calls)"
        t.h.start()
        s = state(t.h)
        if s != ctx["before"] and s != after:
            return "neither before nor after: %r" % (s,)
        why = servable(t.h, ctx)
        if why:
            return "not servable after the start: " + why
        left = left_behind(t.h.data)
        if left:
            return "the start left %s" % left
        value = secret_value(t.h, ctx)
        if value not in ("before", after_secret):
            return "the secret reads %r" % value
        if s == ctx["before"]:
            st = do(t.h)
            if st != ref_st:
                return "the retry answered %s, not %s" % (st, ref_st)
            if state(t.h) != after:
                return "the retry left %r" % (state(t.h),)
        return None
    finally:
        t.close()


def main(tmp):
    ctx = prepare(tmp)
    for name, do in ops(ctx):
        ref = reference(tmp, ctx, name, do)
        if not ref[3]:
            tap(False, "%s: makes a call that writes" % name, ref)
            continue
        bad, tried = [], sample(ref[3])
        for point in tried:
            why = trial(tmp, ctx, do, point, ref)
            if why:
                bad.append("kill at %s #%d: %s" % (point + (why,)))
        tap(not bad, "%s: killed at %d of its %d writing calls, a start "
            "gives the state before or after" %
            (name, len(tried), len(ref[3])), "\n".join(bad[:6]))


if __name__ == "__main__":
    if os.geteuid() != 0 or shutil.which("strace") is None:
        skip("needs root and strace")
    with tempfile.TemporaryDirectory(prefix="fnhost-crash-") as tmp:
        try:
            main(tmp)
        except Exception:  # noqa: BLE001 say what broke, as TAP
            import traceback
            tap(False, "crashwrite ran", traceback.format_exc())
    done()
