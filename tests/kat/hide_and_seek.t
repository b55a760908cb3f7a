#!/usr/bin/python3
"""Replay the seed's known answers (hide_and_seek.answers, made by
gen_hide_and_seek.py) through the real sandbox with `fnhost test -o json`.

Per session: the same number of results, the same ok-ness, error texts
equal, outputs equal except the digits of a distance, which must agree
within 1e-8 relative (geopy's Python and PROJ's C may round the last bits
differently).  For the same reason a distance within 1e-8 relative of a
threshold (100 m, 10 km) may fall on either side of it.  Prints how many
distances were bit-exact.
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


def tie(a, b):
    """a is a distance message within 1e-8 relative of a threshold, and b
    its neighbour across it: "Congrats" for 100 m, or a message whose
    distance agrees with a's within 1e-8."""
    ma = DIST.match(a or "")
    if ma is None:
        return False
    da = float(ma.group(2))
    if not any(abs(da - t) <= 1e-8 * t for t in (100, 10000)):
        return False
    if b == "Congrats you found the treasure!":
        return abs(da - 100) <= 1e-8 * 100
    mb = DIST.match(b or "")
    return mb is not None and abs(float(mb.group(2)) - da) <= 1e-8 * da


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
    if w == g:
        if DIST.match(w):
            stats["exact"] += 1
            stats["dist"] += 1
        return None
    if tie(w, g) or tie(g, w):
        stats["ties"] += 1
        return None
    mw, mg = DIST.match(w), DIST.match(g or "")
    if not mw or not mg or mw.group(1) != mg.group(1):
        return "output differs: want %r got %r" % (w, g)
    a, b = float(mw.group(2)), float(mg.group(2))
    stats["dist"] += 1
    if abs(a - b) > 1e-8 * abs(a):
        return "distance differs: want %r got %r" % (w, g)
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
    stats = {"exact": 0, "dist": 0, "ties": 0}
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
    print("# distances bit-exact: %d of %d (threshold ties: %d)" %
          (stats["exact"], stats["dist"], stats["ties"]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
