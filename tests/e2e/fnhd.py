"""fnhd: one real fnhostd for an end-to-end test.

    d = Daemon(tmp, invoke_timeout="2s")   # fnhost.conf keys as keywords
    with d:                                # start(); stop() at the end
        st, body, hdrs = d.request("GET", "/healthz")
        st, obj = d.json("POST", "/v1/trust", pub, d.admin)
        st = d.trust_dev_key()                      # the same, for DEVPUB
        st, obj = d.deploy(sign(tmp, so, "echo"))   # multipart, with curl
        fid = d.deploy_cli(bundle)                  # or with fnhost deploy
        r = d.fnhost(["token", "create", fid], token=d.admin)
        d.stop(signal.SIGKILL)
        d.start()                          # same data dir, a new free port

start() waits until /healthz answers and reads the admin token; when
fnhostd exits or never serves it raises DaemonError with the end of the
log.  Leaving the with block stops fnhostd (SIGTERM, then kill -9) and,
when a test failed or an exception is on its way, prints the end of the
log as TAP comments.  stdout and stderr of every start go to one log
file, d.log."""
import base64
import http.client
import json
import os
import shutil
import signal
import subprocess
import time

from fnhtap import failed, free_port

BUILD = os.path.abspath(os.environ["FNHOST_BUILD"])
FNHOST = os.path.join(BUILD, "bin", "fnhost")
FNHOSTD = os.path.join(BUILD, "bin", "fnhostd")
DEVKEY = os.path.join(BUILD, "dev-publisher.key")
DEVPUB = os.path.join(BUILD, "dev-publisher.pub")
RELAXED = os.environ.get("FNHOST_SANDBOX_RELAXED") == "1"


class DaemonError(Exception):
    """fnhostd did not come up; the message ends with its log."""


def config_text(scratch, **conf):
    """An fnhost.conf: the scratch root, the keys given (a value of None
    leaves a key out), and the relaxed sandbox that sanitizer runtimes
    need."""
    lines = ["scratch_root = %s" % scratch]
    lines += ["%s = %s" % (k, v) for k, v in conf.items() if v is not None]
    if RELAXED:
        lines.append("sandbox_relaxed = yes")
    return "".join(line + "\n" for line in lines)


def sign(tmp, so, name, extra=None, key=DEVKEY, label=None):
    """A bundle tmp/bundles/<name> of so (as <name>.so) and extra's files
    ({name: bytes}), signed with key; returns its directory.  The
    signature names the plugin's descriptor's name and version, as the
    host requires, unless label is a (name, version) to sign instead."""
    d = os.path.join(tmp, "bundles", name)
    os.makedirs(d, exist_ok=True)
    shutil.copy(so, os.path.join(d, name + ".so"))
    for fname, content in (extra or {}).items():
        with open(os.path.join(d, fname), "wb") as f:
            f.write(content)
    argv = [FNHOST, "sign", "-s", key]
    if label:
        argv += ["-n", label[0], "-v", label[1]]
    subprocess.run(argv + [d], check=True, capture_output=True)
    return d


ED25519_SPKI = bytes.fromhex("302a300506032b6570032100")


def b64url(text):
    """The bytes of unpadded base64url text."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def copy_key_files(src, dst, names=None):
    """The operator's copy of key files (all of src's, or names): each
    written into dst under a temporary name, 0600, and renamed, as a
    secret tool would."""
    os.makedirs(dst, mode=0o700, exist_ok=True)
    for name in names or sorted(os.listdir(src)):
        tmp = os.path.join(dst, ".copy-" + name)
        with open(os.path.join(src, name), "rb") as f:
            data = f.read()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.rename(tmp, os.path.join(dst, name))


def attest_verifies(tmp, att_b64, hd):
    """Whether openssl's Ed25519 verifies an invoke's attestation headers
    hd with the public key att_b64 (base64url); files go in tmp."""
    pem = os.path.join(tmp, "att.pem")
    with open(pem, "w") as f:
        f.write("-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n"
                % base64.b64encode(ED25519_SPKI + b64url(att_b64)).decode())
    msg, sig = os.path.join(tmp, "msg"), os.path.join(tmp, "sig")
    with open(msg, "wb") as f:
        f.write(("fnhost-attest-v1\n%s\n%s\n%s" % (
            hd.get("fnhost-function-checksum"),
            hd.get("fnhost-input-sha256"),
            hd.get("fnhost-output-sha256"))).encode())
    with open(sig, "wb") as f:
        f.write(base64.b64decode(hd.get("fnhost-attestation", "")))
    r = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey",
                        pem, "-rawin", "-in", msg, "-sigfile", sig],
                       capture_output=True, text=True)
    return r.returncode == 0


def http_request(addr, port, method, path, body=None, token=None,
                 headers=None, timeout=30):
    """One HTTP request on a connection of its own; (status, body bytes,
    lower-case headers)."""
    c = http.client.HTTPConnection(addr, port, timeout=timeout)
    h = dict(headers or {})
    if token:
        h["Authorization"] = "Bearer " + token
    try:
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        return r.status, data, {k.lower(): v for k, v in r.getheaders()}
    finally:
        c.close()


def parse_metrics(text):
    """Prometheus text as a dict of sample name (labels included) to
    value."""
    m = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            k, _, v = line.rpartition(" ")
            m[k] = float(v)
    return m


class Daemon:
    def __init__(self, tmp, listen="127.0.0.1", **conf):
        # Workers may run as another user: they pass through tmp to their
        # scratch dirs, they can not list it.
        os.chmod(tmp, 0o711)
        self.tmp = tmp
        self.addr = listen
        self.port = None
        self.data = os.path.join(tmp, "data")
        self.scratch = os.path.join(tmp, "scratch")
        self.conf = os.path.join(tmp, "fnhost.conf")
        self.log = os.path.join(tmp, "fnhostd.log")
        self.proc = None
        self.admin = None
        # For a host in a network namespace (tests/cluster): a command
        # that fnhostd's argv follows ("ip netns exec NS"), a port fixed
        # in advance (its address is not the root namespace's, where
        # free_port looks), and Popen's extra keywords.
        self.wrap = []
        self.fixed_port = None
        self.popen = {}
        with open(self.conf, "w") as f:
            f.write(config_text(self.scratch, **conf))
        # The client sees only what the test gives it: no user config.
        self.env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(tmp, "xdg"),
                        HOME=tmp)
        self.env.pop("FNHOST_TOKEN", None)
        self._failed = failed()

    @property
    def url(self):
        return "http://%s:%d" % (self.addr, self.port)

    @property
    def pid(self):
        return self.proc.pid

    def start(self, timeout=30):
        """Start fnhostd on a new free port and wait until it serves."""
        self.port = self.fixed_port or free_port(addr=self.addr)
        self.env["FNHOST_URL"] = self.url
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                self.wrap + [FNHOSTD, "-f", "-c", self.conf, "-d", self.data,
                             "-l", "%s:%d" % (self.addr, self.port)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                **self.popen)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise DaemonError("fnhostd exited with %s; its log ends:\n%s"
                                  % (self.proc.returncode, self.log_tail()))
            try:
                if self.request("GET", "/healthz", timeout=5)[0] == 200:
                    break
            except (OSError, http.client.HTTPException):
                pass
            if time.monotonic() > deadline:
                self.stop(signal.SIGKILL)
                raise DaemonError("fnhostd did not serve in %d s; its log "
                                  "ends:\n%s" % (timeout, self.log_tail()))
            time.sleep(0.05)
        with open(os.path.join(self.data, "keys", "admin.token")) as f:
            self.admin = f.read().strip()
        return self

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Send sig and wait (kill -9 after timeout); the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def kill(self):
        return self.stop(signal.SIGKILL)

    def __enter__(self):
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, kind, value, tb):
        self.stop()
        if kind is not None or failed() > self._failed:
            print("# fnhostd's log ends:")
            for line in self.log_tail().splitlines():
                print("#   " + line[:300])
        return False

    def log_text(self):
        with open(self.log, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def log_tail(self, lines=20):
        return tail(self.log, lines)

    def request(self, method, path, body=None, token=None, headers=None,
                timeout=30):
        """One HTTP request; (status, body bytes, lower-case headers)."""
        return http_request(self.addr, self.port, method, path, body, token,
                            headers, timeout)

    def json(self, method, path, body=None, token=None, headers=None):
        """request() with the body parsed as JSON (the raw bytes when it
        is not JSON, None when empty)."""
        st, data, _ = self.request(method, path, body, token, headers)
        try:
            return st, json.loads(data) if data else None
        except ValueError:
            return st, data

    def metrics(self, token=None):
        _, text, _ = self.request("GET", "/metrics", token=token or self.admin)
        return parse_metrics(text.decode())

    def token(self, fid, **body):
        """A new token for function fid (body: the request's fields), or
        None when refused."""
        st, o = self.json("POST", "/v1/functions/%s/tokens" % fid,
                          json.dumps(body), self.admin)
        return o["token"] if st == 201 else None

    def trust_dev_key(self):
        """Trust the development publisher key (DEVPUB); the status."""
        with open(DEVPUB, "rb") as f:
            st, _ = self.json("POST", "/v1/trust", f.read(), self.admin)
        return st

    def deploy(self, bundle_dir, token=None):
        """POST a bundle with curl -F, one part per file; (status, the
        answer as JSON or text)."""
        argv = ["curl", "-sS", "-o", "-", "-w", "\n%{http_code}",
                "-H", "Authorization: Bearer " + (token or self.admin)]
        for name in sorted(os.listdir(bundle_dir)):
            argv += ["-F", "%s=@%s;filename=%s" %
                     (name, os.path.join(bundle_dir, name), name)]
        argv.append(self.url + "/v1/functions")
        out = subprocess.run(argv, capture_output=True, text=True).stdout
        body, _, code = out.rpartition("\n")
        try:
            return int(code), json.loads(body)
        except ValueError:
            return int(code or 0), body

    def fnhost(self, args, token=None, input=None, check=False, timeout=120):
        """Run the fnhost client against this host; a CompletedProcess
        with text output."""
        env = dict(self.env)
        if token:
            env["FNHOST_TOKEN"] = token
        return subprocess.run([FNHOST] + list(args), input=input, env=env,
                              capture_output=True, text=True,
                              errors="replace", check=check, timeout=timeout,
                              stdin=None if input is not None
                              else subprocess.DEVNULL)

    def deploy_cli(self, bundle_dir, *opts):
        """fnhost deploy with the admin token; the function's id."""
        out = self.fnhost(["deploy"] + list(opts) + [bundle_dir],
                          token=self.admin, check=True).stdout
        return [l.split()[1] for l in out.splitlines()
                if l.startswith("id ")][0]

    def children(self, zombies=True):
        """Pids of fnhostd's children: its zygote and every worker, the
        unreaped ones too unless zombies is False."""
        return children_of(self.proc.pid, zombies)

    def rss_kb(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def session_dirs(self):
        return sorted(e for e in os.listdir(self.scratch)
                      if e.startswith("session-"))


def tail(path, lines=20):
    """The last lines of a log file, as text."""
    with open(path, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    return "\n".join(text.splitlines()[-lines:])


def children_of(pid, zombies=True):
    """Pids of the children of pid, zombies too unless told not to."""
    out = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % p) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and (zombies or fields[0] != "Z"):
                out.append(int(p))
        except OSError:
            pass
    return out
