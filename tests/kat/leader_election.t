#!/usr/bin/python3
"""TAP: the leader_election plugin answers what the seed's Python answers.

Replays every session of tests/kat/leader_election.answers (made by
gen_leader_election.py from the seed's own app.py) through the real
sandbox with `$FNHOST_BUILD/bin/fnhost test -o json DIR INPUT...`, on a
bundle holding the built plugin and the TEST-ONLY key
tests/kat/leader_election-test-private.pem, and compares every output
byte for byte and every error text exactly.  Then checks that a missing or
unusable key fails the invoke with the text Python would give.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ANSWERS = os.path.join(HERE, "leader_election.answers")
TEST_KEY = os.path.join(HERE, "leader_election-test-private.pem")
SO_NAME = "leader_election.so"


def bail(msg):
    print("Bail out! " + msg)
    sys.exit(1)


def run_session(fnhost, bundle, inputs):
    """One session: a list of parsed JSON results, one per input."""
    args = [fnhost, "test", "-o", "json", bundle]
    raws = [os.fsencode(i) for i in inputs]
    stdin = b""
    if any(b"\0" in r or r == b"-" for r in raws):
        # argv cannot hold NUL (UTF-16, UTF-32), and "-" means stdin: send
        # the session on stdin instead, one input per line.
        assert not any(b"\n" in r for r in raws)
        args.append("-")
        stdin = b"".join(r + b"\n" for r in raws)
    else:
        args += raws
    p = subprocess.run(args, input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    lines = p.stdout.decode("utf-8", "replace").splitlines()
    try:
        got = [json.loads(line) for line in lines if line.strip()]
    except ValueError as e:
        got = [{"unparsable stdout": str(e)}]
    return got, p


def compare(n, inputs, expected, got, proc):
    if got == expected:
        print("ok %d - session of %d input(s)" % (n, len(inputs)))
        return True
    print("not ok %d - session of %d input(s)" % (n, len(inputs)))
    for i, inp in enumerate(inputs):
        want = expected[i]
        have = got[i] if i < len(got) else None
        if want != have:
            print("# input    %s" % ascii(inp)[:400])
            print("# expected %s" % ascii(want)[:400])
            print("# got      %s" % ascii(have)[:400])
            break
    if len(got) != len(expected):
        print("# %d results for %d inputs; exit %d; stderr: %s"
              % (len(got), len(expected), proc.returncode,
                 proc.stderr.decode("utf-8", "replace")[:400]))
    return False


def python_key_errors():
    """What the seed raises without a key, and with a key it can't read."""
    out = {}
    d = tempfile.mkdtemp(prefix="kat-le-py-")
    cwd = os.getcwd()
    try:
        os.chdir(d)
        try:
            open("private.pem").read()
        except OSError as e:
            out["missing"] = str(e)
        try:
            from Cryptodome.PublicKey import RSA
            RSA.importKey("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n"
                          "-----END RSA PRIVATE KEY-----\n")
        except ImportError:
            pass
        except ValueError as e:
            out["bad"] = str(e)
    finally:
        os.chdir(cwd)
        shutil.rmtree(d)
    return out


def main():
    build = os.environ.get("FNHOST_BUILD")
    if not build:
        bail("FNHOST_BUILD is not set")
    fnhost = os.path.join(build, "bin", "fnhost")
    so = os.path.join(build, "plugins", "leader_election", SO_NAME)
    for path in (fnhost, so, ANSWERS, TEST_KEY):
        if not os.path.exists(path):
            bail("missing " + path)
    with open(ANSWERS, encoding="utf-8") as f:
        sessions = [json.loads(line) for line in f if line.strip()]
    key_errors = python_key_errors()
    if os.environ.get("FNHOST_SANITIZER"):
        # A sanitizer build's workers need the relaxed sandbox.
        os.environ["FNHOST_SANDBOX_RELAXED"] = "1"

    tmp = tempfile.mkdtemp(prefix="kat-le-")
    try:
        bundle = os.path.join(tmp, "bundle")
        os.mkdir(bundle)
        shutil.copy(so, os.path.join(bundle, SO_NAME))
        shutil.copy(TEST_KEY, os.path.join(bundle, "private.pem"))
        print("1..%d" % (len(sessions) + len(key_errors)))
        n = 0
        failed = 0
        for s in sessions:
            n += 1
            got, proc = run_session(fnhost, bundle, s["inputs"])
            if not compare(n, s["inputs"], s["answers"], got, proc):
                failed += 1

        probe = ['{"node_list": [5000, 5001]}']
        if "bad" in key_errors:
            with open(os.path.join(bundle, "private.pem"), "w") as f:
                f.write("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n"
                        "-----END RSA PRIVATE KEY-----\n")
            n += 1
            want = [{"ok": False, "error": key_errors["bad"]}]
            got, proc = run_session(fnhost, bundle, probe)
            if not compare(n, probe, want, got, proc):
                failed += 1
        if "missing" in key_errors:
            os.unlink(os.path.join(bundle, "private.pem"))
            n += 1
            want = [{"ok": False, "error": key_errors["missing"]}]
            got, proc = run_session(fnhost, bundle, probe)
            if not compare(n, probe, want, got, proc):
                failed += 1
    finally:
        shutil.rmtree(tmp)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
