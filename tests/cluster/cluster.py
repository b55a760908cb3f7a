"""cluster: fnhost as a cluster on one machine, for tests/cluster and
bench/cluster.

    with Cluster(tmp, ["a", "b", "c"]) as cl:  # namespaces, links
        cl.start_hosts()                       # a first, its keys/ to b, c
        cl.start_haproxy()                     # dist/haproxy.cfg, readdressed
        fn = cl.deploy_everywhere(bundle_dir)["name"]
        tok = cl.token(fn)                     # valid on every host
        st, obj = cl.json("POST", "/v1/functions/counter/sessions", None, tok)
        cl.hosts["b"].kill()                   # kill -9, its whole group

Each host is a real fnhostd with "node = NAME" in its own network
namespace, fnhc<pid>-NAME, reached from the root namespace over a veth
pair with a /30 of its own (10.213.X.1 on the root's end, .2 on the
host's); HAProxy runs in the root namespace on a free loopback port,
with dist/haproxy.cfg whose listen address and server addresses alone
are replaced, so that the shipped file is what runs.  Leaving the with
block (or stop()) ends HAProxy and every host by process group and
deletes the links and namespaces, whatever failed.

The hosts share one registry (store = postgres): a real PostgreSQL
started by the cluster (tests/e2e/pgtest.py: initdb in tmp, a unix
socket there, which every namespace reaches through the file system),
stopped with it.  A deploy and a token go through one host; the
others serve them once their replication has applied them, which
deploy_everywhere() and token() wait for.  They share keys/ (the token
secret, the host keys), which never go into the database."""
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from fnhd import BUILD as BUILD_DIR, DEVPUB, Daemon, DaemonError  # noqa: E402,F401
from fnhd import b64url, copy_key_files, http_request  # noqa: E402
from fnhtap import free_port  # noqa: E402
from pgtest import PGBINS, Postgres  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
HAPROXY_CFG = os.path.join(ROOT, "dist", "haproxy.cfg")
PORT = 8080  # each host's, inside its own namespace


class Unavailable(Exception):
    """This machine can not run a cluster (no root, no namespaces, no
    HAProxy); the message says what is missing."""


def sh(*argv, check=True):
    return subprocess.run(list(argv), capture_output=True, text=True,
                          check=check)


def host_config(name, dsn):
    """The fnhost.conf keys of host name: its node label, and the shared
    registry, the same for every host."""
    return {"node": name, "store": "postgres", "postgres_dsn": dsn}


def haproxy_config(text, listen, servers):
    """dist/haproxy.cfg's text for this machine: its bind address replaced
    by listen ("127.0.0.1:PORT") and each server's address by
    servers[name] ("10.213.X.2:8080"); nothing else changes.  Raises
    ValueError when the file has no such line to replace, so that a
    change of the shipped file fails the test rather than being run
    half-readdressed."""
    out, n = re.subn(r"(?m)^(\tbind )\S+$", r"\g<1>" + listen, text)
    if n != 1:
        raise ValueError("dist/haproxy.cfg: %d bind lines, not 1" % n)
    seen = set()

    def server(m):
        name = m.group(2)
        if name not in servers:
            raise ValueError("dist/haproxy.cfg names server %s, which "
                             "this cluster does not have" % name)
        seen.add(name)
        return m.group(1) + servers[name]

    out = re.sub(r"(?m)^(\tserver (\S+) )\S+", server, out)
    if seen != set(servers):
        raise ValueError("dist/haproxy.cfg has servers %s, not %s"
                         % (sorted(seen), sorted(servers)))
    return out


class Host(Daemon):
    """One fnhostd in its own namespace, in its own process group so
    that a kill ends its zygote and workers with it, as a host's death
    does."""

    def __init__(self, tmp, name, ns, addr, dsn):
        os.makedirs(tmp, exist_ok=True)
        super().__init__(tmp, listen=addr, **host_config(name, dsn))
        self.name = name
        self.ns = ns
        self.wrap = ["ip", "netns", "exec", ns]
        self.fixed_port = PORT
        self.popen = {"start_new_session": True}

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc is None:
            return None
        pgid = self.proc.pid
        if sig == signal.SIGKILL and self.proc.poll() is None:
            os.killpg(pgid, signal.SIGKILL)
        rc = super().stop(sig, timeout)
        try:
            os.killpg(pgid, signal.SIGKILL)  # whatever it left behind
        except ProcessLookupError:
            pass
        return rc


class Cluster:
    def __init__(self, tmp, names):
        if os.geteuid() != 0:
            raise Unavailable("network namespaces need root")
        if not shutil.which("haproxy") and \
                not os.path.exists("/usr/sbin/haproxy"):
            raise Unavailable("no haproxy (apt-get install haproxy)")
        if not PGBINS:
            raise Unavailable("no PostgreSQL (apt-get install postgresql)")
        self.tmp = tmp
        self.names = list(names)
        self.tag = "%d" % (os.getpid() % 100000)
        self.made = []
        self.addrs = {}
        self.hosts = {}
        self.haproxy = None
        self.hport = None
        self.hlog = os.path.join(tmp, "haproxy.log")
        self.hcfg = os.path.join(tmp, "haproxy.cfg")
        self.pg = None
        try:
            self.pg = Postgres(os.path.join(tmp, "pg"))
            self.pg.start()
        except (subprocess.CalledProcessError, OSError) as e:
            self.stop()
            raise DaemonError("PostgreSQL does not start: %s"
                              % (getattr(e, "stderr", None) or
                                 str(e)).strip()[:300])
        try:
            self._links()
        except (subprocess.CalledProcessError, OSError) as e:
            self.stop()
            raise Unavailable("network namespaces can not be made here: %s"
                              % (getattr(e, "stderr", None) or
                                 str(e)).strip()[:120])

    def _subnet(self):
        """A third octet X for 10.213.X.0/24 whose /30s no address of
        this machine uses: each run takes its own, from its pid."""
        used = sh("ip", "-4", "-o", "addr").stdout
        base = os.getpid() % 80 * 3
        for k in range(80):
            x = (base + 3 * k) % 240
            if not any("10.213.%d." % (x + i) in used
                       for i in range(len(self.names))):
                return x
        raise OSError("no free 10.213.X.0/30 for the cluster's links")

    def _links(self):
        x = self._subnet()
        for i, name in enumerate(self.names):
            ns = "fnhc%s-%s" % (self.tag, name)
            root_end, ns_end = "fc%s%s" % (self.tag, name), "fh%s" % name
            net = "10.213.%d" % (x + i)
            sh("ip", "netns", "add", ns)
            self.made.append(("netns", ns))
            sh("ip", "link", "add", root_end, "type", "veth", "peer", "name",
               ns_end, "netns", ns)
            self.made.append(("link", root_end))
            sh("ip", "addr", "add", net + ".1/30", "dev", root_end)
            sh("ip", "link", "set", root_end, "up")
            for argv in (["ip", "addr", "add", net + ".2/30", "dev", ns_end],
                         ["ip", "link", "set", ns_end, "up"],
                         ["ip", "link", "set", "lo", "up"]):
                sh("ip", "netns", "exec", ns, *argv)
            self.addrs[name] = net + ".2"
            self.hosts[name] = Host(os.path.join(self.tmp, name), name, ns,
                                    net + ".2", self.pg.dsn())

    # ---- hosts -----------------------------------------------------------
    def start_hosts(self, names=None):
        """Start the hosts named (all by default): the first of the
        cluster makes the keys, and every other starts on a copy of its
        keys/ (admin token, token secret, encryption and attestation
        keys), so that all answer with one identity."""
        first = self.hosts[self.names[0]]
        for name in names or self.names:
            h = self.hosts[name]
            if h is not first:
                if first.proc is None:
                    first.start()
                keys = os.path.join(h.data, "keys")
                if not os.path.isdir(keys):
                    os.makedirs(h.data, mode=0o711, exist_ok=True)
                    copy_key_files(os.path.join(first.data, "keys"), keys)
            if h.proc is None or h.proc.poll() is not None:
                h.start()

    def deploy_everywhere(self, bundle_dir, timeout=30):
        """Trust the development key and deploy bundle_dir through the
        first running host, once, into the shared registry; return when
        every running host serves it (lists its checksum among the
        name's versions).  The deploy's answer ({"id", "name", "number",
        "checksum", ...}), the same on every host."""
        first = self.running()[0]
        # --insecure: plain http off loopback, on this cluster's own
        # links only.
        first.fnhost(["trust", "add", "--insecure", DEVPUB],
                     token=first.admin, check=True)
        st, o = first.deploy(bundle_dir)
        if st != 201:
            raise DaemonError("deploy through host %s: %s %s"
                              % (first.name, st, o))
        for h in self.running():
            self._wait(h, "/v1/functions/%s/versions" % o["name"],
                       lambda v: any(x["checksum"] == o["checksum"]
                                     for x in v["versions"]), timeout,
                       "version %s of %s" % (o["number"], o["name"]))
        return o

    def token(self, target, ttl=3600, timeout=30):
        """A function token for target (an id, or a name: its latest),
        issued through the first host into the shared registry; return
        when every running host holds its record (what revocation
        reads)."""
        first = self.hosts[self.names[0]]
        st, o = first.json("POST", "/v1/functions/%s/tokens" % target,
                           json.dumps({"ttl": ttl}), first.admin)
        if st != 201:
            raise DaemonError("token for %s: %s %s" % (target, st, o))
        jti = self.jti(o["token"])
        for h in self.running():
            self._wait(h, "/v1/tokens",
                       lambda v: any(t.get("jti") == jti for t in v),
                       timeout, "token %s" % jti)
        return o["token"]

    @staticmethod
    def jti(token):
        return json.loads(b64url(token.split(".")[1]))["jti"]

    def _wait(self, h, path, pred, timeout, what):
        """Poll h's admin GET path until pred(its JSON) holds."""
        deadline = time.monotonic() + timeout
        while True:
            st, o = h.json("GET", path, token=h.admin)
            if st == 200 and pred(o):
                return
            if time.monotonic() > deadline:
                raise DaemonError("host %s does not have %s after %d s: "
                                  "%s %s" % (h.name, what, timeout, st, o))
            time.sleep(0.05)

    def running(self):
        return [h for h in self.hosts.values()
                if h.proc is not None and h.proc.poll() is None]

    # ---- HAProxy -------------------------------------------------------
    def start_haproxy(self, timeout=20):
        """HAProxy on a free loopback port with dist/haproxy.cfg
        readdressed, checked with haproxy -c first; waits until it
        answers /healthz through a host."""
        with open(HAPROXY_CFG) as f:
            text = f.read()
        self.hport = free_port()
        cfg = haproxy_config(text, "127.0.0.1:%d" % self.hport,
                             {n: "%s:%d" % (a, PORT)
                              for n, a in self.addrs.items()})
        with open(self.hcfg, "w") as f:
            f.write(cfg)
        r = sh("haproxy", "-c", "-f", self.hcfg, check=False)
        if r.returncode != 0:
            raise DaemonError("haproxy -c refuses the readdressed "
                              "dist/haproxy.cfg:\n" + r.stdout + r.stderr)
        with open(self.hlog, "ab") as log:
            self.haproxy = subprocess.Popen(
                ["haproxy", "-db", "-f", self.hcfg],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.haproxy.poll() is not None:
                raise DaemonError("haproxy exited: " + self.haproxy_log())
            try:
                if self.request("GET", "/healthz", timeout=5)[0] == 200:
                    return
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.1)
        raise DaemonError("haproxy did not serve: " + self.haproxy_log())

    def haproxy_log(self, lines=20):
        with open(self.hlog, "rb") as f:
            text = f.read().decode("utf-8", "replace")
        return "\n".join(text.splitlines()[-lines:])

    def request(self, method, path, body=None, token=None, headers=None,
                timeout=30):
        """One request through HAProxy; (status, body, headers)."""
        return http_request("127.0.0.1", self.hport, method, path, body,
                            token, headers, timeout)

    def json(self, method, path, body=None, token=None, headers=None):
        st, data, _ = self.request(method, path, body, token, headers)
        try:
            return st, json.loads(data) if data else None
        except ValueError:
            return st, data

    # ---- the end -------------------------------------------------------
    def stop(self):
        """End HAProxy and every host, delete the links and namespaces;
        never raises.  A SIGTERM meanwhile waits until it is done, so
        that a test stopped while it cleans up leaves nothing behind."""
        try:
            term = signal.signal(signal.SIGTERM, signal.SIG_IGN)
        except ValueError:  # not the main thread: nothing to hold off
            term = None
        try:
            self._stop()
        finally:
            if term is not None:
                signal.signal(signal.SIGTERM, term)

    def _stop(self):
        if self.haproxy is not None:
            try:
                os.killpg(self.haproxy.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.haproxy.wait()
            self.haproxy = None
        for h in self.hosts.values():
            try:
                h.stop()
            except OSError:
                pass
        if self.pg is not None:
            self.pg.stop()
            self.pg = None
        for kind, name in reversed(self.made):
            if kind == "netns":
                sh("ip", "netns", "del", name, check=False)
            else:
                sh("ip", "link", "del", name, check=False)
        self.made = []

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        self.stop()
        return False
