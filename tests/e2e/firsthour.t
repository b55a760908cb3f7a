#!/usr/bin/python3
"""firsthour.t: the stumbles of a newcomer's and an operator's first hour,
each driven as a user would meet it (issue 18).

- The admin token given to `fnhost run` is refused with what to do
  instead (`fnhost token create ID`), not "malformed token"; an admin
  route named with a function token, or with another host's admin token,
  says which of the two it is.
TAP on stdout; FNHOST_BUILD is the absolute build directory."""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fnhd import BUILD, DEVPUB, Daemon, DaemonError, sign  # noqa: E402
from fnhtap import done, require, tap, Stop  # noqa: E402

ECHO = os.path.join(BUILD, "tests", "plugins", "echo", "plugin.so")
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
            tokens(d, fid)
    except Stop as e:
        print("# stopped after: %s" % e)
    finally:
        d.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return done()


if __name__ == "__main__":
    sys.exit(main())
