#!/usr/bin/python3
"""firsthour.t: the stumbles of a newcomer's and an operator's first hour,
each driven as a user would meet it (issue 18).

- The admin token given to `fnhost run` is refused with what to do
  instead (`fnhost token create ID`), not "malformed token"; an admin
  route named with a function token, or with another host's admin token,
  says which of the two it is.
- `fnhost sign` with no -n or -v records the descriptor's name and
  version (read in a sandboxed worker, as `fnhost test` runs it), and the
  host lists them; -v still overrides.
- A dotfile in a bundle directory (an editor's) is left out by sign,
  verify, test and deploy alike.
- An invoke to a closed session counts as refused in /metrics.
- fnhost-node takes its token from -t @FILE or FNHOST_TOKEN, off its
  command line.
- Client options before the subcommand (`fnhost -t TOKEN list`).
- `fnhost test` prints plugin log lines with their level's name, each
  between the outputs of the invokes that logged it.
TAP on stdout; FNHOST_BUILD is the absolute build directory."""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fnhd import (BUILD, DEVKEY, DEVPUB, FNHOST, Daemon,  # noqa: E402
                  DaemonError, sign)
from fnhtap import done, free_port, require, tap, Stop  # noqa: E402

ECHO = os.path.join(BUILD, "tests", "plugins", "echo", "plugin.so")
CHATTY = os.path.join(BUILD, "tests", "plugins", "chatty", "plugin.so")
FOREIGN_ADMIN = "ab" * 32


def show(r):
    return "exit %d\nstdout: %s\nstderr: %s" % (r.returncode, r.stdout,
                                                 r.stderr)


def tokens(d, fid):
    """Item 1: which token, and what to do about it."""
    r = d.fnhost(["run", fid, "hello"], token=d.admin)
    tap(r.returncode != 0 and "an admin token is not a function token; "
        "issue one with `fnhost token create ID`" in r.stderr
        and "malformed" not in r.stderr,
        "fnhost run with the admin token says to create a function token",
        show(r))
    r = d.fnhost(["run", fid, "hello"], token=FOREIGN_ADMIN)
    tap(r.returncode != 0 and "an admin token (and not this host's) is "
        "not a function token" in r.stderr,
        "fnhost run with another host's admin token says so", show(r))
    r = d.fnhost(["list"], token=FOREIGN_ADMIN)
    tap(r.returncode != 0 and "not this host's admin token" in r.stderr,
        "fnhost list with another host's admin token: not this host's",
        show(r))
    tok = d.token(fid)
    require(tok is not None, "a function token is issued")
    r = d.fnhost(["list"], token=tok)
    tap(r.returncode != 0 and "a function token can not call this route"
        in r.stderr, "fnhost list with a function token says which it is",
        show(r))
    r = d.fnhost(["run", fid, "hello"], token=tok)
    tap(r.returncode == 0 and r.stdout == "hello\n",
        "fnhost run with the function token runs", show(r))
    return tok


def run(argv):
    return subprocess.run([FNHOST] + argv, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=120)


def chatty_bundle(tmp, name):
    """An unsigned bundle of the chatty plugin, with an editor's swap file
    next to it."""
    b = os.path.join(tmp, name)
    os.makedirs(b)
    shutil.copy(CHATTY, os.path.join(b, "fn.so"))
    with open(os.path.join(b, ".fn.c.swp"), "w") as f:
        f.write("an editor's\n")
    return b


def signing(d, tmp):
    """Item 2: the descriptor names the signed function; dotfiles are out
    for every reader of a bundle directory."""
    b = chatty_bundle(tmp, "chatty")
    r = run(["sign", "-s", DEVKEY, b])
    require(r.returncode == 0, "fnhost sign with neither -n nor -v",
            show(r))
    with open(os.path.join(b, "MANIFEST")) as f:
        manifest = f.read()
    tap(".fn.c.swp" not in manifest and manifest.endswith("  fn.so\n"),
        "sign leaves the dotfile out of MANIFEST", manifest)
    r = run(["verify", "-p", DEVPUB, b])
    tap(r.returncode == 0 and
        r.stdout.splitlines()[1:] == ["name=chatty version=2.5.1 "
                                      "plugin=fn.so files=1"],
        "verify: the descriptor's name and version, the dotfile left out",
        show(r))
    r = run(["test", b, "x"])
    tap(r.returncode == 0 and r.stdout == "x\n",
        "test accepts the same directory", show(r))
    r = d.fnhost(["-o", "json", "deploy", b], token=d.admin)
    try:
        f = json.loads(r.stdout)
    except ValueError:
        f = {}
    tap(r.returncode == 0 and f.get("name") == "chatty" and
        f.get("version") == "2.5.1",
        "deploy of it: the host lists name chatty, version 2.5.1", show(r))
    b2 = chatty_bundle(tmp, "chatty2")
    r = run(["sign", "-s", DEVKEY, "-v", "3.0", b2])
    r2 = run(["verify", "-p", DEVPUB, b2])
    tap(r.returncode == 0 and "name=chatty version=3.0 " in r2.stdout,
        "sign -v overrides the version, the name still the descriptor's",
        show(r) + show(r2))
    b3 = os.path.join(tmp, "notaplugin")
    os.makedirs(b3)
    with open(os.path.join(b3, "fn.so"), "w") as f:
        f.write("not ELF\n")
    r = run(["sign", "-s", DEVKEY, b3])
    tap(r.returncode == 1 and r.stderr.startswith("fnhost sign: cannot "
        "read the plugin's name and version: ") and
        "(or give both -n and -v)" in r.stderr and
        not os.path.exists(os.path.join(b3, "MANIFEST")),
        "sign of a .so that does not load says so, and writes nothing",
        show(r))


def log_levels(tmp):
    """Item 4: levels by name, as they come."""
    b = chatty_bundle(tmp, "chatty-log")
    p = subprocess.run([FNHOST, "test", b, "a", "b"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True,
                       stdin=subprocess.DEVNULL, timeout=120)
    want = []
    for x in ("a", "b"):
        want += ["plugin %s: %s %s" % (lv, lv, x)
                 for lv in ("debug", "info", "warning", "error")] + [x]
    tap(p.returncode == 0 and p.stdout.splitlines() == want,
        "fnhost test: log levels by name, each before its invoke's output",
        "exit %d\n%s" % (p.returncode, p.stdout))


def globals_first(d):
    """Item 4: client options before the subcommand mean what they mean
    after it."""
    r = d.fnhost(["-t", d.admin, "-o", "json", "list"])
    try:
        ok = isinstance(json.loads(r.stdout), (list, dict))
    except ValueError:
        ok = False
    tap(r.returncode == 0 and ok, "fnhost -t TOKEN -o json list", show(r))
    r = d.fnhost(["--token=" + d.admin, "token", "list"])
    tap(r.returncode == 0, "fnhost --token=TOKEN token list (a verb)",
        show(r))
    r = d.fnhost(["-t", "x", "test", "dir"])
    tap(r.returncode == 2 and "'test' talks to no host" in r.stderr,
        "a local command after client options says where they go", show(r))


def gone_session(d, fid, tok):
    """Item 4: an invoke to a session that is gone counts as refused."""
    key = 'fnhost_invokes_total{result="refused"}'
    before = d.metrics().get(key)
    st, o = d.json("POST", "/v1/functions/%s/sessions" % fid, token=tok)
    require(st == 201, "a session opens", (st, o))
    sid = o["session"]
    st, _, _ = d.request("DELETE", "/v1/sessions/" + sid, token=tok)
    require(st == 204, "and closes", st)
    codes = [d.request("POST", "/v1/sessions/%s/invoke" % sid, body=b"x",
                       token=tok)[0] for _ in range(3)]
    after = d.metrics().get(key)
    tap(codes == [404] * 3 and before is not None and
        after == before + 3,
        "3 invokes to a closed session: 404 each, refused counts 3",
        (codes, before, after))


def node_token(d, tmp):
    """Item 4: fnhost-node reads its token from -t @FILE or FNHOST_TOKEN,
    so that it is not in ps."""
    node = os.path.join(BUILD, "bin", "fnhost-node")
    pem = os.path.join(BUILD, "plugins", "leader_election", "public.pem")
    secret = "not-a-real-token-" + os.urandom(4).hex()
    path = os.path.join(tmp, "node.token")
    with open(path, "w") as f:
        f.write(secret + "\n")
    fid = "NoSuchFunction0000000x"
    for how, argv, env in (
            ("-t @FILE", ["-t", "@" + path], {}),
            ("FNHOST_TOKEN=@FILE", [], {"FNHOST_TOKEN": "@" + path})):
        e = dict(d.env, **env)
        mark = len(d.log_text())
        p = subprocess.Popen(
            [node, "-p", str(free_port(socket.SOCK_DGRAM)), "-n", "1",
             "-f", fid, "-c", "0" * 64, "-k", pem] + argv,
            env=e, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            asked = False
            for _ in range(100):
                if "/v1/functions/%s/" % fid in d.log_text()[mark:]:
                    asked = True
                    break
                time.sleep(0.05)
            with open("/proc/%d/cmdline" % p.pid, "rb") as f:
                cmdline = f.read()
        finally:
            p.kill()
            p.wait()
        line = [l for l in d.log_text()[mark:].splitlines()
                if "/v1/functions/%s/" % fid in l]
        tap(asked and secret.encode() not in cmdline and line and
            "status=401" in line[0],
            "fnhost-node %s: the token is sent (401: not one of ours) and "
            "is not in its command line" % how, (asked, cmdline, line))


def main():
    tmp = tempfile.mkdtemp(prefix="fnhost-firsthour-")
    d = Daemon(tmp)
    try:
        try:
            d.start()
            up, why = True, ""
        except DaemonError as e:
            up, why = False, str(e)
        with d:
            require(up, "fnhostd answers /healthz", why)
            d.fnhost(["trust", "add", DEVPUB], token=d.admin, check=True)
            fid = d.deploy_cli(sign(tmp, ECHO, "echo"))
            tok = tokens(d, fid)
            signing(d, tmp)
            log_levels(tmp)
            globals_first(d)
            gone_session(d, fid, tok)
            node_token(d, tmp)
    except Stop as e:
        print("# stopped after: %s" % e)
    finally:
        d.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return done()


if __name__ == "__main__":
    sys.exit(main())
