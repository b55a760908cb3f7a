#!/usr/bin/python3
"""An operator's first hour, end to end: fnhostd on a taken port fails
before it makes any state; a stopped data dir copied elsewhere serves
everything it served (backup and restore, fnhostd(8)).  TAP on stdout;
FNHOST_BUILD is the absolute build directory."""
import os
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fnhd import (BUILD, FNHOSTD, Daemon)  # noqa: E402
from fnhtap import done, tap  # noqa: E402


def taken_port(tmp):
    """A first start on a port another process listens on: refused, with
    the reason, and with no data dir made (no keys, no first_start)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    port = s.getsockname()[1]
    data = os.path.join(tmp, "taken")
    conf = os.path.join(tmp, "empty.conf")
    open(conf, "w").close()
    try:
        r = subprocess.run([FNHOSTD, "-f", "-d", data, "-l",
                            "127.0.0.1:%d" % port, "-c", conf],
                           capture_output=True, text=True, timeout=30)
    finally:
        s.close()
    tap(r.returncode != 0 and "cannot listen on 127.0.0.1:%d" % port
        in r.stderr and "first_start" not in r.stderr,
        "a taken port fails the start, naming it, before first_start",
        r.stderr)
    tap(not os.path.exists(data), "and leaves no data dir behind",
        os.listdir(data) if os.path.exists(data) else None)


def fnhostd(*args):
    return subprocess.run([FNHOSTD] + list(args), capture_output=True,
                          text=True, timeout=30)


def rotation(tmp):
    """fnhostd -R on a stopped host: a new admin token (the old one is
    refused, the new one served, and no first_start is logged), a new
    token key (every token issued before is refused and listed revoked);
    on a running host it is refused, the secrets unchanged."""
    os.makedirs(os.path.join(tmp, "rot"))
    d = Daemon(os.path.join(tmp, "rot"))
    with d:
        old_admin = d.admin
        d.trust_dev_key()
        st, f = d.deploy(os.path.join(BUILD, "plugins", "hide_and_seek"))
        tok = d.token(f["id"])
        r = fnhostd("-R", "admin-token", "-c", d.conf, "-d", d.data)
        tap(r.returncode != 0 and "in use by another fnhostd" in r.stderr,
            "-R admin-token on a running host is refused", r.stderr)
    r = fnhostd("-R", "admin-token", "-c", d.conf, "-d", d.data)
    tap(r.returncode == 0 and "new admin token" in r.stdout,
        "-R admin-token on the stopped host", r.stdout + r.stderr)
    r = fnhostd("-R", "token-key", "-c", d.conf, "-d", d.data)
    tap(r.returncode == 0 and "1 token(s)" in r.stdout,
        "-R token-key on the stopped host revokes the one token",
        r.stdout + r.stderr)
    with d.start():
        st, _ = d.json("GET", "/v1/functions", token=old_admin)
        tap(st in (401, 403) and d.admin != old_admin,
            "the old admin token is refused (%d)" % st)
        st, _ = d.json("GET", "/v1/functions", token=d.admin)
        tap(st == 200, "the new one is served (%d)" % st)
        st, _ = d.json("POST", "/v1/functions/%s/sessions" % f["id"], b"",
                       tok)
        tap(st == 401, "a token made with the old key is refused (%d)" % st)
    # The old way, deleting the file, still works; it is not a new host.
    os.unlink(os.path.join(d.data, "keys", "admin.token"))
    with d.start():
        st, _ = d.json("GET", "/v1/functions", token=d.admin)
        tap(st == 200, "a deleted admin.token is made anew (%d)" % st)
    tap("first_start" in d.log_text() and
        d.log_text().count("first_start") == 1 and
        "event=admin_token_made" in d.log_text(),
        "first_start is logged once, on the first start alone; a deleted "
        "admin.token logs admin_token_made", d.log_tail())


def restore(tmp):
    """Backup and restore as fnhostd(8) tells it: the data dir of a
    stopped host, copied with its modes to another path, serves the same
    functions, trust and tokens there."""
    os.makedirs(os.path.join(tmp, "a"))
    a = Daemon(os.path.join(tmp, "a"))
    with a:
        a.trust_dev_key()
        st, f = a.deploy(os.path.join(BUILD, "plugins", "hide_and_seek"))
        tok = a.token(f["id"])
    os.makedirs(os.path.join(tmp, "b"))
    b = Daemon(os.path.join(tmp, "b"))
    r = subprocess.run(["cp", "-a", a.data, b.data], capture_output=True,
                       text=True)
    tap(r.returncode == 0, "cp -a of the stopped data dir", r.stderr)
    with b:
        tap(b.admin == a.admin, "the restored host has the same admin token")
        st, fs = b.json("GET", "/v1/functions", token=b.admin)
        tap(st == 200 and [x["id"] for x in fs] == [f["id"]],
            "it lists the same function", fs)
        st, o = b.json("POST", "/v1/functions/%s/sessions" % f["id"], b"",
                       tok)
        sid = o.get("session") if st == 201 else None
        st, out = (b.request("POST", "/v1/sessions/%s/invoke" % sid,
                             b'{"latitude": 1, "longitude": 2}', tok)[:2]
                   if sid else (st, o))
        tap(st == 200, "a token issued before the backup opens a session "
            "and invokes there (%s)" % st, out)


def main():
    tmp = tempfile.mkdtemp(prefix="fnhost-operate-")
    os.chmod(tmp, 0o711)
    try:
        taken_port(tmp)
        rotation(tmp)
        restore(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return done()


if __name__ == "__main__":
    sys.exit(main())
