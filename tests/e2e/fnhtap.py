"""fnhtap: what the Python end-to-end tests share.

tap() prints one TAP test line (and, when it failed, the diagnosis as
comments, and on stderr too, which prove shows without -v, so that a
failure in make check names its reason) and returns whether it passed, require() is a tap() that raises
Stop when it fails (for a step the rest depends on), skip() prints a
skipped one, done() the plan, returning the exit status; free_port() finds
a TCP port nobody listens on.  fnhd.py starts fnhostd."""
import socket
import sys

_count = 0
_failures = 0


def tap(ok, name, diag=None):
    global _count, _failures
    _count += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", _count, name), flush=True)
    if not ok:
        _failures += 1
        print("not ok %d - %s" % (_count, name), file=sys.stderr)
        for line in str(diag or "").splitlines()[:40]:
            print("#   " + line, flush=True)
            print("#   " + line, file=sys.stderr, flush=True)
    return ok


class Stop(Exception):
    """A step the rest of the test depends on failed."""


def require(ok, name, diag=None):
    if not tap(ok, name, diag):
        raise Stop(name)


def skip(reason):
    global _count
    _count += 1
    print("ok %d # SKIP %s" % (_count, reason), flush=True)


def failed():
    return _failures


def done():
    print("1..%d" % _count, flush=True)
    return 1 if _failures else 0


def free_port(kind=socket.SOCK_STREAM, addr="127.0.0.1"):
    s = socket.socket(socket.AF_INET, kind)
    s.bind((addr, 0))
    port = s.getsockname()[1]
    s.close()
    return port
