#!/usr/bin/python3
# session.t: what one `fnhost test` session promises.  State in the
# scratch dir lasts across the invokes of a session and is gone in the next
# (counter: 1, 2, 3, then 1 again); bytes cross the worker boundary exactly
# (echo: empty input, quoting, UTF-8, raw bytes in text mode, 1 MiB through
# stdin "-"); an invoke that spins past --timeout fails naming the time
# limit and fnhost returns promptly.  TAP on stdout; FNHOST_BUILD is the
# absolute build directory.
import json
import os
import random
import string
import subprocess
import sys
import time

BUILD = os.environ.get("FNHOST_BUILD")
if not BUILD:
    print("Bail out! FNHOST_BUILD must name the build directory")
    sys.exit(1)
FNHOST = os.path.join(BUILD, "bin", "fnhost")
PLUGINS = os.path.join(BUILD, "tests", "plugins")

count = 0
failed = 0


def tap(passed, name, diag=""):
    global count, failed
    count += 1
    print("%s %d - %s" % ("ok" if passed else "not ok", count, name),
          flush=True)
    if not passed:
        failed += 1
        for line in str(diag).splitlines()[:10]:
            print("#   " + line[:300])


def fnhost_test(plugin, inputs, json_mode=True, stdin=b"", timeout=None):
    """Run one session; returns (exit status, stdout bytes, stderr text)."""
    argv = [FNHOST, "test"]
    if timeout is not None:
        argv += ["--timeout", str(timeout)]
    if json_mode:
        argv += ["-o", "json"]
    argv += [os.path.join(PLUGINS, plugin)] + list(inputs)
    p = subprocess.run(argv, input=stdin, capture_output=True, timeout=120)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def results(out):
    try:
        return [json.loads(line) for line in out.decode().splitlines()]
    except ValueError:
        return None


def outputs(res):
    return [r.get("output") if r.get("ok") else r for r in res or []]


def counter_tests():
    rc, out, err = fnhost_test("counter", ["a", "b", "c"])
    tap(rc == 0 and outputs(results(out)) == ["1", "2", "3"],
        "counter: 1, 2, 3 across three invokes of one session",
        "exit %d: %r %s" % (rc, out, err))
    rc, out, err = fnhost_test("counter", ["a"])
    tap(rc == 0 and outputs(results(out)) == ["1"],
        "counter: 1 again in the next session",
        "exit %d: %r %s" % (rc, out, err))


def echo_tests():
    texts = ["hello", "", " leading and trailing ", 'quote " and \\ back',
             "tab\there", "\x01\x1f\x7f control", "h\u00e9llo \u2713 \U0001f600",
             "{\"ok\":false,\"error\":\"forged\"}"]
    rc, out, err = fnhost_test("echo", texts)
    got = outputs(results(out))
    tap(rc == 0 and got == texts, "echo: JSON outputs equal the inputs",
        "exit %d: got %r" % (rc, got))

    raw = b"\xff\xfe raw \xc3 bytes"
    p = subprocess.run([FNHOST, "test", os.path.join(PLUGINS, "echo"),
                        os.fsdecode(raw), ""], capture_output=True,
                       timeout=60)
    tap(p.returncode == 0 and p.stdout == raw + b"\n\n",
        "echo: text mode passes raw bytes and an empty output through",
        "exit %d: %r" % (p.returncode, p.stdout))

    rng = random.Random(1)
    big = "".join(rng.choice(string.ascii_letters + string.digits + " ")
                  for _ in range(1 << 20))
    rc, out, err = fnhost_test("echo", ["-"], stdin=(big + "\n").encode())
    got = outputs(results(out))
    tap(rc == 0 and got == [big], "echo: a 1 MiB input through stdin '-'",
        "exit %d: %d results, first %r; %s" % (
            rc, len(got), (got[0] if got else None) and str(got[0])[:80],
            err))

    rc, out, err = fnhost_test("echo", ["-"], json_mode=False,
                               stdin=b"one\ntwo\n\nfour\n")
    tap(rc == 0 and out == b"one\ntwo\n\nfour\n",
        "echo: '-' makes one invoke per line, empty lines included",
        "exit %d: %r %s" % (rc, out, err))


def timeout_tests():
    start = time.monotonic()
    rc, out, err = fnhost_test("spin", ["x", "y"], timeout=1)
    took = time.monotonic() - start
    res = results(out) or []
    tap(rc == 1 and len(res) == 2 and res[0].get("ok") is False and
        "time limit" in res[0].get("error", ""),
        "spin: --timeout 1 fails the invoke naming the time limit",
        "exit %d: %r %s" % (rc, out, err))
    tap(len(res) == 2 and res[1].get("ok") is False,
        "spin: the session is gone after the time-out", repr(out))
    tap(took < 5, "spin: fnhost returned after %.1f s (limit 1 s)" % took)


def main():
    if not os.access(FNHOST, os.X_OK):
        print("Bail out! %s is not built" % FNHOST)
        return 1
    counter_tests()
    echo_tests()
    timeout_tests()
    print("1..%d" % count)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
