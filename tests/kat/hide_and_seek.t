#!/usr/bin/python3
"""Replay the seed's known answers (hide_and_seek.answers, made by
gen_hide_and_seek.py) through the real sandbox with `fnhost test -o json`.

Per session: the same number of results, each equal to the seed's byte
for byte, error texts and distances alike (geodesic.c computes geopy's
double; tests/kat/geodesic.t proves it on fresh pairs at every run).
"""
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DIST = re.compile(r"^(Getting closer! still|Not even close! still) "
                  r"(\S+) meters away$")


def load_answers():
    with open(os.path.join(HERE, "hide_and_seek.answers")) as f:
        return [json.loads(line) for line in f if line.strip()]


def input_bytes(i):
    if "text" in i:
        return i["text"].encode("utf-8", "surrogatepass")
    return bytes.fromhex(i["hex"])


def run(build, inputs):
    """fnhost test over one session; returns the result objects."""
    cmd = [os.path.join(build, "bin", "fnhost"), "test", "-o", "json",
           os.path.join(build, "plugins", "hide_and_seek")]
    stdin = b""
    if any(b"\0" in b or b == b"-" for b in inputs):
        # argv cannot hold NUL, and "-" means stdin: send the session
        # through stdin instead, one input per line.
        assert not any(b"\n" in b for b in inputs)
        cmd.append("-")
        stdin = b"".join(b + b"\n" for b in inputs)
    else:
        cmd.extend(os.fsdecode(b) for b in inputs)
    p = subprocess.run(cmd, input=stdin, capture_output=True, timeout=120)
    out = [json.loads(line) for line in p.stdout.decode().splitlines()]
    return out, p.stderr.decode(errors="replace")


def compare(want, got, stats):
    """None when got answers as want does, else why not."""
    if want["ok"] != got.get("ok"):
        return "ok-ness differs: want %r got %r" % (want, got)
    if not want["ok"]:
        if want["error"] != got.get("error"):
            return "error differs: want %r got %r" % (want["error"],
                                                      got.get("error"))
        return None
    w, g = want["output"], got.get("output")
    if w != g:
        return "output differs: want %r got %r" % (w, g)
    if DIST.match(w):
        stats["dist"] += 1
    return None


def main():
    build = os.environ.get("FNHOST_BUILD")
    sessions = load_answers()
    print("1..%d" % len(sessions))
    if not build:
        for n, s in enumerate(sessions, 1):
            print("ok %d - %s # SKIP FNHOST_BUILD not set" % (n, s["name"]))
        return 0
    if os.environ.get("FNHOST_SANITIZER"):
        # A sanitizer build's workers need the documented relaxed sandbox.
        os.environ["FNHOST_SANDBOX_RELAXED"] = "1"
    stats = {"dist": 0}
    failed = 0
    for n, s in enumerate(sessions, 1):
        inputs = [input_bytes(i) for i in s["inputs"]]
        got, err = run(build, inputs)
        why = None
        if len(got) != len(s["results"]):
            why = "%d results for %d inputs: %s" % (
                len(got), len(s["results"]), err.strip()[:300])
        else:
            for k, (w, g) in enumerate(zip(s["results"], got)):
                why = compare(w, g, stats)
                if why:
                    why = "input %d: %s" % (k, why)
                    break
        print("%s %d - %s" % ("not ok" if why else "ok", n, s["name"]))
        if why:
            failed += 1
            print("# " + why.replace("\n", "\n# "))
    print("# distances compared byte for byte: %d" % stats["dist"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
