#!/usr/bin/python3
"""Known answers for pyfloat_repr(): repr(float) by Debian's Python 3.11.

Writes tests/kat/pyfloat_repr.table, one double per line as
"<16 hex digits of its IEEE-754 bits> <repr>", read by
tests/unit/test_pyfloat.c.  The doubles: every power of two (where the
shortest-digits search meets lopsided rounding intervals), their
neighbours, decimal boundary values around the switch to exponent form,
and random bit patterns, random decimals and random magnitudes.

    /usr/bin/python3 tests/kat/gen_pyfloat_table.py > \
        tests/kat/pyfloat_repr.table
"""
import math
import random
import struct
import sys


def bits(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def main():
    rng = random.Random(3112)
    xs = [0.0, -0.0, math.inf, -math.inf, math.nan, 5e-324, 1e-323,
          2.2250738585072014e-308, 2.225073858507201e-308,
          1.7976931348623157e308, 0.1, 0.2, 0.3, 1 / 3, 2 / 3, 100.0,
          9007199254740993.0, 123456789012345678.0, 1e22, 1e23]
    for e in range(-1074, 1024):
        p = math.ldexp(1.0, e)
        xs += [p, math.nextafter(p, 0), math.nextafter(p, math.inf)]
    for e in range(-30, 31):
        p = 10.0 ** e
        xs += [p, math.nextafter(p, 0), math.nextafter(p, math.inf),
               -p, 9.999999999999999 * p, 1.5 * p]
    for _ in range(2500):
        xs.append(struct.unpack("<d", struct.pack(
            "<Q", rng.getrandbits(64)))[0])
        xs.append(round(rng.uniform(-1e7, 1e7), rng.randint(0, 10)))
        xs.append(rng.uniform(0, 20037508.0))
        xs.append(rng.uniform(-1, 1) * 10.0 ** rng.randint(-320, 308))
    out = sys.stdout
    for x in xs:
        out.write("%016x %s\n" % (bits(x), repr(x)))


if __name__ == "__main__":
    main()
