#!/usr/bin/python3
"""/healthz's per-session layers (private_root, scratch_tmpfs, freeze,
cpu_budget) through a real fnhostd, each held to what its workers show:
their mount table, their state between invokes, an invoke that burns its
CPU budget.  Then the same host with the mount namespace taken away
(FNHOST_TEST_NO_MOUNTNS, which makes the zygote behave as on a kernel
that refuses its workers one; see zygote.h): require_sandbox refuses to
start and names the layers, and with require_sandbox = no /healthz says
they are off and the workers indeed share fnhostd's mount namespace.
TAP on stdout."""
import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fnhd import BUILD, Daemon, DaemonError, sign  # noqa: E402
from fnhtap import done, skip, tap  # noqa: E402

PLUGINS = os.path.join(BUILD, "tests", "plugins")
NO_MOUNTNS = "FNHOST_TEST_NO_MOUNTNS"


def mnt_ns(pid):
    try:
        return os.readlink("/proc/%d/ns/mnt" % pid)
    except OSError:
        return None


def mounts(pid):
    """The (mount point, source) pairs of pid's mount table, or None when
    it can not be read."""
    try:
        with open("/proc/%d/mountinfo" % pid) as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    out = []
    for line in lines:
        fields = line.split()
        rest = fields[fields.index("-") + 1:]
        out.append((fields[4], rest[1]))
    return out


def state(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def workers(d):
    """fnhostd's children other than the zygote: those of a pid namespace
    of their own (the zygote shares fnhostd's).  A plain user may not read
    a worker's namespaces (it is not dumpable, so its /proc is root's),
    and that too makes it a worker: the zygote's are the user's own."""
    own = os.readlink("/proc/%d/ns/pid" % d.pid)
    out = []
    for pid in d.children(zombies=False):
        try:
            if os.readlink("/proc/%d/ns/pid" % pid) != own:
                out.append(pid)
        except PermissionError:
            out.append(pid)
        except OSError:
            pass
    return out


# What a plain user can not see of a worker: its mount table and
# namespaces (root's, as it is not dumpable); its state it can.
HIDDEN = ("a plain user can not read a worker's mount table or "
          "namespaces (it is not dumpable); root's run checks it")


def wait_for(pred, seconds=5):
    deadline = time.monotonic() + seconds
    while True:
        v = pred()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(0.05)


def deploy(d, tmp, name):
    st, f = d.deploy(sign(tmp, os.path.join(PLUGINS, name, "plugin.so"),
                          name))
    tap(st == 201, "deploy %s" % name, f)
    return f["id"]


def session(d, fid):
    tok = d.token(fid)
    st, o = d.json("POST", "/v1/functions/%s/sessions" % fid, b"", tok)
    tap(st == 201, "a session of %s opens" % fid, o)
    return o.get("session"), tok


def full_host(tmp):
    conf = dict(invoke_timeout="5s", invoke_cpu="1s", warm_workers="1",
                warm_sessions="0", shutdown_grace="1s")
    with Daemon(os.path.join(tmp, "full"), **conf) as d:
        st, h = d.json("GET", "/healthz")
        sb = h.get("sandbox", {})
        tap(st == 200 and all(isinstance(sb.get(k), bool) for k in
                              ("private_root", "scratch_tmpfs", "freeze",
                               "cpu_budget")),
            "healthz names private_root, scratch_tmpfs, freeze, cpu_budget",
            sb)
        mount = sb["namespaces"]["mount"]
        tap(sb["private_root"] == mount and sb["scratch_tmpfs"] == mount,
            "healthz: the private root and the scratch tmpfs are on exactly "
            "when the mount namespace is", sb)
        tap(sb["freeze"] and sb["cpu_budget"],
            "healthz: freeze and the CPU budget are on", sb)

        # The pooled worker has built its world before any session: its
        # root is the private tmpfs, the scratch root a tmpfs of its own.
        pool = wait_for(lambda: workers(d))
        tab = mounts(pool[0]) if pool else None
        if pool and tab is None and os.geteuid() != 0:
            skip(HIDDEN)
        elif mount:
            tap(tab is not None and ("/", "fnhost-root") in tab and
                (d.scratch, "fnhost-scratch") in tab,
                "healthz's private_root and scratch_tmpfs: the pooled "
                "worker's / is fnhost-root, %s is its own tmpfs" % d.scratch,
                tab)
        else:
            tap(pool and mnt_ns(pool[0]) == mnt_ns(d.pid),
                "without a mount namespace the worker has fnhostd's", pool)

        d.trust_dev_key()
        echo = deploy(d, tmp, "echo")
        sid, tok = session(d, echo)
        st, body, _ = d.request("POST", "/v1/sessions/%s/invoke" % sid,
                                b"hi", tok)
        tap(st == 200 and body == b"hi", "the echo session answers",
            (st, body))
        # Between invokes the session's worker is stopped; the pooled
        # one that replaced it waits on its channel, not stopped.
        stopped = wait_for(lambda: [p for p in workers(d)
                                    if state(p) == "T"])
        tap(len(stopped) == 1, "healthz's freeze: the session's worker is "
            "stopped between invokes, and only it",
            [(p, state(p)) for p in workers(d)])
        d.request("DELETE", "/v1/sessions/%s" % sid, None, tok)

        spin = deploy(d, tmp, "spin")
        sid, tok = session(d, spin)
        t0 = time.monotonic()
        st, body, _ = d.request("POST", "/v1/sessions/%s/invoke" % sid,
                                b"", tok)
        took = time.monotonic() - t0
        died = wait_for(lambda: re.search(
            rb"event=worker_died session=%s .*cause=cpu_time limit_ms=1000"
            % sid.encode(), open(d.log, "rb").read()))
        tap(st == 504 and died and took < 4.5,
            "healthz's cpu_budget: a spinning invoke ends at its 1 s CPU "
            "budget, well before its 5 s wall time",
            "%s %.2f s %r" % (st, took, body[:200]))


def without_mountns(tmp):
    # fnhostd inherits the test's own environment (fnhd.py).
    os.environ[NO_MOUNTNS] = "1"
    try:
        refuse_and_lax(tmp)
    finally:
        del os.environ[NO_MOUNTNS]


def refuse_and_lax(tmp):
    d = Daemon(os.path.join(tmp, "refuse"))
    try:
        d.start()
        refused, why = False, "it started"
    except DaemonError as e:
        refused, why = True, str(e)
    finally:
        d.kill()
    tap(refused and re.search(r"sandbox layers missing:.*mount-namespace "
                              r"private-root scratch-tmpfs; refusing to run",
                              why),
        "require_sandbox refuses to start without the mount namespace, "
        "naming the private root and the scratch tmpfs", why[-600:])

    with Daemon(os.path.join(tmp, "lax"), require_sandbox="no",
                warm_workers="1", shutdown_grace="1s") as d:
        st, h = d.json("GET", "/healthz")
        sb = h.get("sandbox", {})
        tap(st == 200 and sb.get("private_root") is False and
            sb.get("scratch_tmpfs") is False and
            sb["namespaces"]["mount"] is False and sb["namespaces"]["pid"],
            "require_sandbox = no: healthz says no private root, no "
            "scratch tmpfs, no mount namespace (the pid one stays)", sb)
        tap(re.search(r"sandbox layers missing: mount-namespace "
                      r"private-root scratch-tmpfs", d.log_text()),
            "the log names the missing layers once at start",
            d.log_tail(5))
        pool = wait_for(lambda: workers(d))
        if pool and os.geteuid() != 0 and mnt_ns(pool[0]) is None:
            skip(HIDDEN)
        else:
            tap(pool and all(mnt_ns(p) == mnt_ns(d.pid) for p in pool),
                "and it is true: the worker shares fnhostd's mount "
                "namespace", pool)
        d.trust_dev_key()
        echo = deploy(d, tmp, "echo")
        sid, tok = session(d, echo)
        st, body, _ = d.request("POST", "/v1/sessions/%s/invoke" % sid,
                                b"hi", tok)
        tap(st == 200 and body == b"hi",
            "a session still runs without the mount namespace", (st, body))


def main():
    tmp = tempfile.mkdtemp(prefix="fnhost-layers-")
    os.chmod(tmp, 0o711)
    for sub in ("full", "refuse", "lax"):
        os.mkdir(os.path.join(tmp, sub))
    try:
        full_host(tmp)
        without_mountns(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return done()


if __name__ == "__main__":
    sys.exit(main())
