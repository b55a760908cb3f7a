#!/usr/bin/python3
"""Differential test of hide_and_seek's geodesic against geopy itself.

For N random point pairs (seeded, so a run can be repeated), computes
repr(geopy.distance.geodesic(p1, p2).m) exactly as the seed's app.py does
(Debian's /usr/bin/python3 3.11, geopy 2.3.0, geographiclib 2.0) and the
same through build/tests/kat/geodiff (the plugin's pygeod_s12()),
and compares the printed texts.  Any difference fails.

The pairs mix uniform points with the classes where the algorithm
branches: near-antipodal (the astroid start and the bisection), polar
(the meridian path, latitudes at and next to +-90), equatorial (the
equator path), coincident, short lines (the short-line start), lines
within a metre of 100 m and 10 km (the seed's thresholds), same and
opposite meridians, integral degrees, tiny and subnormal offsets.

    gen_geodesic.py [-n N] [-s SEED] [--write FILE]   live: geopy against C
    gen_geodesic.py --replay FILE                     a committed sample, C only

--write also stores the pairs and geopy's answers (one line each: four
float.hex() inputs and the repr) so that --replay checks them on a
machine without geopy.  FNHOST_BUILD names the build directory.
"""
import argparse
import math
import os
import random
import subprocess
import sys

CHUNK = 50000


def build_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.environ.get("FNHOST_BUILD",
                          os.path.join(here, "..", "..", "build"))


def lat_clamp(x):
    return max(-90.0, min(90.0, x))


def lon_wrap(x):
    # Keep longitudes within [-180, 180]: geopy's Point leaves those alone.
    while x > 180:
        x -= 360
    while x < -180:
        x += 360
    return x


def destination(rng, lat, lon, metres):
    """A point about `metres` from (lat, lon), in a random direction."""
    from geographiclib.geodesic import Geodesic
    r = Geodesic.WGS84.Direct(lat, lon, rng.uniform(-180, 180), metres)
    return lat_clamp(r["lat2"]), lon_wrap(r["lon2"])


def tiny(rng):
    return rng.choice([0.0, 1e-300, 5e-324, 1e-15, 1e-12, 1e-9, 1e-6,
                       1e-3]) * rng.choice([-1, 1])


def pair(rng):
    """One (lat1, lon1, lat2, lon2), from a randomly chosen class."""
    u = rng.uniform
    k = rng.randrange(12)
    lat1, lon1 = u(-90, 90), u(-180, 180)
    if k <= 2:                                   # uniform
        return lat1, lon1, u(-90, 90), u(-180, 180)
    if k == 3:                                   # near-antipodal
        return (lat1, lon1, lat_clamp(-lat1 + u(-1, 1) * rng.choice(
            [1, 0.1, 1e-3, 1e-6, 0])),
            lon_wrap(lon1 + 180 + u(-1, 1) * rng.choice([1, 0.1, 1e-3, 0])))
    if k == 4:                                   # polar
        p = rng.choice([90.0, -90.0, 89.99999999, -89.99999999,
                        math.nextafter(90.0, 0), u(89, 90), u(-90, -89)])
        q = rng.choice([90.0, -90.0, u(-90, 90), -p, p])
        return p, lon1, q, rng.choice([lon1, u(-180, 180), lon_wrap(
            lon1 + 180)])
    if k == 5:                                   # equatorial
        return (tiny(rng), lon1, rng.choice([tiny(rng), u(-90, 90)]),
                rng.choice([u(-180, 180), lon_wrap(lon1 + 179.5 + u(0, 1)),
                            lon_wrap(lon1 + 180)]))
    if k == 6:                                   # coincident
        return lat1, lon1, lat1, lon1
    if k == 7:                                   # short lines
        return (lat1, lon1, lat_clamp(lat1 + tiny(rng) * 1e3),
                lon_wrap(lon1 + tiny(rng) * 1e3))
    if k == 8:                                   # near the thresholds
        lat2, lon2 = destination(rng, lat1, lon1, rng.choice(
            [100, 10000]) + u(-1, 1) * rng.choice([1, 1e-6, 1e-9]))
        return lat1, lon1, lat2, lon2
    if k == 9:                                   # meridians
        return lat1, lon1, u(-90, 90), rng.choice([lon1, lon_wrap(
            lon1 + 180), -lon1])
    if k == 10:                                  # integral degrees
        return (float(rng.randint(-90, 90)), float(rng.randint(-180, 180)),
                float(rng.randint(-90, 90)), float(rng.randint(-180, 180)))
    lat2, lon2 = destination(rng, lat1, lon1,    # any length
                             10 ** u(-3, 7.3))
    return lat1, lon1, lat2, lon2


def geopy_text(p):
    from geopy.distance import geodesic
    return repr(geodesic((p[0], p[1]), (p[2], p[3])).m)


def c_texts(pairs):
    exe = os.path.join(build_dir(), "tests", "kat", "geodiff")
    data = "".join("%s %s %s %s\n" % tuple(float.hex(x) for x in p)
                   for p in pairs)
    out = subprocess.run([exe], input=data.encode(), stdout=subprocess.PIPE,
                         check=True).stdout.decode()
    return out.split("\n")[:-1]


def compare(pairs, want):
    bad = 0
    got = c_texts(pairs)
    assert len(got) == len(pairs), "geodiff answered %d of %d" % (
        len(got), len(pairs))
    for p, w, g in zip(pairs, want, got):
        if w != g:
            bad += 1
            if bad <= 10:
                print("# differs: %r: geopy %s, C %s" % (p, w, g))
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=20000)
    ap.add_argument("-s", "--seed", type=int, default=17)
    ap.add_argument("--write")
    ap.add_argument("--replay")
    a = ap.parse_args()

    if a.replay:
        pairs, want = [], []
        with open(a.replay) as f:
            for line in f:
                w = line.split()
                pairs.append(tuple(float.fromhex(x) for x in w[:4]))
                want.append(w[4])
        bad = compare(pairs, want)
        print("%d pairs replayed, %d differences" % (len(pairs), bad))
        return 1 if bad else 0

    rng = random.Random(a.seed)
    total = bad = 0
    out = open(a.write, "w") if a.write else None
    while total < a.n:
        pairs = [pair(rng) for _ in range(min(CHUNK, a.n - total))]
        want = [geopy_text(p) for p in pairs]
        bad += compare(pairs, want)
        total += len(pairs)
        if out:
            for p, w in zip(pairs, want):
                out.write("%s %s %s %s %s\n" % (
                    tuple(float.hex(x) for x in p) + (w,)))
    if out:
        out.close()
    print("%d pairs (seed %d), %d differences" % (total, a.seed, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
