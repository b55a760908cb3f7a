#!/usr/bin/python3
"""TAP: hide_and_seek's geodesic is geopy's to the last digit.

1. Replays tests/kat/geodesic.answers (pairs and geopy's repr() texts,
   written by gen_geodesic.py --write) through build/tests/kat/geodiff.
2. Runs gen_geodesic.py live for 20,000 fresh pairs: geopy under Debian's
   /usr/bin/python3 against the C, every printed text equal.  The seed
   changes with each run (and is printed) so that runs add coverage; a
   failure names the seed and the pairs to repeat it with -s.
"""
import os
import random
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "gen_geodesic.py")


def run(n, desc, args):
    p = subprocess.run(["/usr/bin/python3", GEN] + args,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = p.stdout.decode()
    for line in out.splitlines():
        print("# " + line.lstrip("# "))
    print("%sok %d - %s" % ("" if p.returncode == 0 else "not ", n, desc))
    return p.returncode == 0


def main():
    print("1..2")
    ok = run(1, "the committed sample", [
        "--replay", os.path.join(HERE, "geodesic.answers")])
    seed = random.SystemRandom().randrange(1 << 30)
    ok &= run(2, "20000 live pairs against geopy, seed %d" % seed,
              ["-n", "20000", "-s", str(seed)])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
