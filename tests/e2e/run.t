#!/usr/bin/python3
"""make run, as README.md gives it: mk/run.sh starts fnhostd with the seed
plugins, and every command it prints is pasted into a shell and must
answer what the seed answers.  TAP on stdout."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fnhd import BUILD, FNHOST, tail  # noqa: E402
from fnhtap import done, failed, free_port, tap  # noqa: E402

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def start(var, port, log):
    """Start mk/run.sh; return it and the walkthrough it printed."""
    env = dict(os.environ, FNHOST_BUILD=BUILD, FNHOST_VAR=var,
               FNHOST_LISTEN="127.0.0.1:%d" % port)
    p = subprocess.Popen(["sh", os.path.join(TOP, "mk", "run.sh")],
                         env=env, stdout=subprocess.PIPE, stderr=log,
                         text=True, start_new_session=True)
    lines = []
    deadline = time.monotonic() + 60
    for line in p.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith("Ctrl-C stops the host.") or \
                time.monotonic() > deadline:
            break
    return p, lines


def stop(p):
    os.killpg(p.pid, signal.SIGINT)
    try:
        return p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        return p.wait()


def readme_block(after):
    """The first indented block of README.md after a line starting with
    after, continuation lines joined."""
    with open(os.path.join(TOP, "README.md")) as f:
        lines = f.read().split("\n")
    i = next(n for n, l in enumerate(lines) if l.startswith(after))
    while not lines[i].startswith("    "):
        i += 1
    block = []
    while i < len(lines) and lines[i].startswith("    "):
        block.append(lines[i][4:])
        i += 1
    return "\n".join(block).replace("\\\n", " ")


def pasted(lines):
    """The commands of the walkthrough: every line a shell would run."""
    starts = ("export ", "fnhost ", "s=$(", "curl ")
    return [l for l in lines if l.startswith(starts)]


def election(tmp, cmds):
    """README.md's local election: its three fnhost-node lines, each in a
    shell of its own after make run's exports; stop 5002 and the other
    two follow 5001."""
    block = readme_block("`fnhost-node` is one peer").split("\n")
    setup = "\n".join(c for c in cmds if c.startswith("export "))
    setup += "\ncd %s\n" % TOP
    nodes = []
    for line in block[0:3]:
        out = os.path.join(tmp, "node-%d.out" % len(nodes))
        nodes.append((subprocess.Popen(
            ["sh", "-c", setup + "exec " + line], stdout=open(out, "w"),
            stderr=subprocess.DEVNULL), out))

    def leaders():
        got = []
        for _, out in nodes:
            with open(out) as f:
                lines = [l.split()[1] for l in f
                         if l.startswith("leader ") and "verified\n" in l]
            got.append(lines[-1] if lines else None)
        return got

    def wait(want, which):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if [leaders()[i] for i in which] == [want] * len(which):
                return True
            time.sleep(0.1)
        return False
    try:
        ok = wait("5002", [0, 1, 2])
        deadline = time.monotonic() + 5
        while True:  # its second line follows the first
            with open(nodes[2][1]) as f:
                me = "I AM THE LEADER" in f.read()
            if me or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        with open(nodes[2][1]) as f:
            said = f.read()
        tap(ok and me, "README's three nodes elect 5002, which says so",
            (leaders(), said))
        nodes[2][0].send_signal(signal.SIGINT)
        nodes[2][0].wait()
        tap(wait("5001", [0, 1]), "stop 5002: the other two follow 5001",
            leaders())
    finally:
        for proc, _ in nodes:
            proc.kill()
            proc.wait()


def main():
    tmp = tempfile.mkdtemp(prefix="fnhost-run-")
    # Like a checkout under /root: workers can not pass into it, and make
    # run's scratch root is outside it (/var/tmp/fnhost-HASH).
    os.chmod(tmp, 0o700)
    var = os.path.join(tmp, "var")
    log = open(os.path.join(tmp, "run.log"), "w")
    try:
        p, lines = start(var, free_port(), log)
        cmds = pasted(lines)
        tap(len(cmds) == 11, "make run prints the walkthrough (%d commands)"
            % len(cmds), "\n".join(lines))
        script = "set -e\n" + "\n".join(cmds) + "\n"
        r = subprocess.run(["sh", "-c", script], capture_output=True,
                           text=True, timeout=60)
        out = r.stdout.split("\n")
        tap(r.returncode == 0, "every printed command succeeds",
            r.stdout + r.stderr)
        tap(len(out) >= 4 and out[0] == "" and
            out[1].startswith("Getting closer! still 3172.01") and
            out[2].startswith("Getting closer! still 3172.01") and
            out[1] == out[2] and out[3].startswith('{"message": "5002"'),
            "fnhost run and curl give the seed's answers", r.stdout)

        # README.md's encrypted game, pasted after the same exports.
        game = readme_block("The real game")
        r = subprocess.run(["sh", "-c", "set -e\ncd %s\n%s\n%s\n" % (
            tmp, "\n".join(c for c in cmds if c.startswith("export ")),
            game)], capture_output=True, text=True, timeout=60)
        out = r.stdout.split("\n")
        tap(r.returncode == 0 and len(out) >= 2 and out[0] == "" and
            out[1].startswith("Getting closer! still 3172.01"),
            "README's encrypted hide and seek prints the distance",
            game + "\n" + r.stdout + r.stderr)
        election(tmp, cmds)
        tap(stop(p) == 0, "Ctrl-C stops the host cleanly")

        # Again on the same ./var: nothing is deployed twice.
        p, lines = start(var, free_port(), log)
        ids = [l for l in lines if l.startswith("export HS=")]
        r = subprocess.run(
            [FNHOST, "list", "-u",
             [l for l in lines if "FNHOST_URL=" in l][0]
             .split("FNHOST_URL=")[1], "-t",
             "@" + os.path.join(var, "keys", "admin.token")],
            capture_output=True, text=True)
        tap(len(r.stdout.splitlines()) == 2 and
            ids and ids[0].split()[1].split("=")[1] in r.stdout,
            "a second make run reuses the deployed seed plugins", r.stdout)
        tap(stop(p) == 0, "and stops cleanly again")
    finally:
        log.close()
        if failed():
            for line in tail(os.path.join(tmp, "run.log")).splitlines():
                print("# " + line)
        shutil.rmtree(tmp, ignore_errors=True)
    return done()


if __name__ == "__main__":
    sys.exit(main())
