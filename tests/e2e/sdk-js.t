#!/usr/bin/python3
"""sdk/js, the JavaScript client: its unit tests (node --test, against a
fake host and the known answers of tests/kat/hpke/fnh2.txt), then its
live tests against a real fnhostd with hide_and_seek and echo deployed:
the seed's game with every answer's attestation verified, a text for
hide_and_seek refused by echo, a wrong pin refused.  TAP on stdout."""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fnhd import BUILD, DEVPUB, Daemon, sign  # noqa: E402
from fnhtap import done, tap  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
WORK = os.path.join(BUILD, "sdk-js")


def node_test(name, env):
    r = subprocess.run(["node", "--test", "--test-reporter=tap",
                        os.path.join(WORK, "test", name)],
                       capture_output=True, text=True, env=env, timeout=300)
    passed = [l for l in r.stdout.splitlines() if l.startswith("# pass ")]
    tap(r.returncode == 0 and passed and passed[0] != "# pass 0",
        "node --test sdk/js/test/%s (%s)" % (
            name, passed[0][2:] if passed else "no result"),
        r.stdout[-3000:] + r.stderr[-2000:])


def deploy(h, bundle):
    r = h.fnhost(["deploy", bundle], token=h.admin)
    fid = [l.split()[1] for l in r.stdout.splitlines()
           if l.startswith("id ")][0]
    with open(os.path.join(bundle, "MANIFEST"), "rb") as f:
        sum_ = hashlib.sha256(f.read()).hexdigest()
    tok = h.fnhost(["token", "create", fid], token=h.admin).stdout.strip()
    return fid, sum_, tok


def main():
    r = subprocess.run(["sh", os.path.join(HERE, "sdk-js", "setup.sh"),
                        WORK], capture_output=True, text=True)
    if not tap(r.returncode == 0, "sdk/js's dependencies installed",
               r.stdout + r.stderr):
        return done()
    env = dict(os.environ, FNHOST_KAT=os.path.join(
        TOP, "tests", "kat", "hpke", "fnh2.txt"))
    node_test("fnhost.test.mjs", env)
    tmp = tempfile.mkdtemp(prefix="fnhost-sdkjs-")
    os.chmod(tmp, 0o711)
    try:
        with Daemon(tmp) as h:
            h.fnhost(["trust", "add", DEVPUB], token=h.admin)
            hs, hs_sum, hs_tok = deploy(
                h, os.path.join(BUILD, "plugins", "hide_and_seek"))
            echo, echo_sum, echo_tok = deploy(h, sign(tmp, os.path.join(
                BUILD, "tests", "plugins", "echo", "plugin.so"), "echo"))
            env.update(FNHOST_TEST_URL="http://%s:%d" % (h.addr, h.port),
                       FNHOST_TEST_HS=hs, FNHOST_TEST_HS_SUM=hs_sum,
                       FNHOST_TEST_HS_TOKEN=hs_tok, FNHOST_TEST_ECHO=echo,
                       FNHOST_TEST_ECHO_SUM=echo_sum,
                       FNHOST_TEST_ECHO_TOKEN=echo_tok)
            node_test("live.test.mjs", env)
            with open(h.log, "rb") as f:
                logged = f.read()
            tap(b"48.8584" not in logged,
                "the hidden position is not in fnhostd's log")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return done()


if __name__ == "__main__":
    sys.exit(main())
