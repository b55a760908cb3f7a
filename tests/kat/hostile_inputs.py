"""The pathological inputs of issue 17, built deterministically.

Shared by gen_hostile_json.py (which runs the seed's own code on them and
writes hostile_json.answers) and hostile_json.t (which replays them through
`fnhost test`), so that the answer file holds a recipe and a SHA-256 per
input instead of megabytes: build(recipe) -> bytes.

Every input fits fnhost.conf's default max_input (1 MiB, the limit
`fnhost test` runs under) and holds no newline, so it can go through
`fnhost test DIR -` one input per line (argv caps one argument at 128 KiB).

Recipes (dicts, "kind" plus parameters):

  flood     an object of n distinct 5-byte keys, every byte of every key
            = 1 (mod 8), so an unseeded FNV-1a (xor then multiply: the
            low k bits of the state depend only on the low k bits of the
            bytes) puts them all in one residue class mod 8 of any
            power-of-two table; with "tail" the JSON text appended after
            the keys (e.g. the coordinates, the node_list).  A full
            collision in a 2^17 table needs keys too long for 1 MiB:
            bench/hostile times that one, beyond max_input.
  dicts     {"node_list": [["b", D1, 1], ["b", D2, 0], ["c"]]}, D1 and
            D2 the same n keys in two orders (D2 a seeded shuffle of D1):
            sort() must find D1 == D2 and go on to compare 1 with 0; the
            largest, the message, is the short ['c'].  "differ" changes the
            value of one key in D2, so the dicts differ and the sort fails
            with Python's '<' between dicts.
  intfloat  {"node_list": [...]} of n items, 17-digit ints and floats
            within a few ulps of 1e300 and of 1e16, in a seeded order.
"""
import hashlib
import math
import random

# 12 printable ASCII bytes = 1 (mod 8), none of them '"' or '\\'.
FLOOD_ALPHABET = bytes(range(0x21, 0x7f, 8))
assert len(FLOOD_ALPHABET) == 12 and b'"' not in FLOOD_ALPHABET
assert b"\\" not in FLOOD_ALPHABET

# Keys of 1 to 3 bytes from 92 printable ASCII bytes: the n shortest keys.
DICT_ALPHABET = bytes(c for c in range(0x20, 0x7f) if c not in b'"\\')


def _flood(r):
    n = r["n"]
    keys = []
    for i in range(n):
        k = bytearray()
        for _ in range(5):
            k.append(FLOOD_ALPHABET[i % 12])
            i //= 12
        keys.append(b'"' + bytes(k) + b'":0')
    assert len(set(keys)) == n, "flood keys must be distinct"
    return b"{" + b",".join(keys) + r.get("tail", "").encode() + b"}"


def _dict_keys(n):
    out = []
    a = DICT_ALPHABET
    width = 1
    while len(out) < n:
        total = len(a) ** width
        for i in range(total):
            k = bytearray()
            for _ in range(width):
                k.append(a[i % len(a)])
                i //= len(a)
            out.append(bytes(k))
            if len(out) == n:
                break
        width += 1
    return out


def _dicts(r):
    rng = random.Random(r["seed"])
    keys = _dict_keys(r["n"])
    vals = {k: rng.randrange(10) for k in keys}
    other = list(keys)
    rng.shuffle(other)
    vals2 = dict(vals)
    if r.get("differ"):
        k = rng.choice(keys)
        vals2[k] = (vals2[k] + 1) % 10

    def obj(order, v):
        return b"{" + b",".join(b'"%s":%d' % (k, v[k])
                                for k in order) + b"}"

    return (b'{"node_list":[["b",' + obj(keys, vals) + b',1],["b",'
            + obj(other, vals2) + b',0],["c"]]}')


def _intfloat(r):
    rng = random.Random(r["seed"])
    items = []
    for _ in range(r["n"]):
        c = rng.random()
        if c < 0.4:
            items.append(b"%d" % rng.randrange(10 ** 16, 10 ** 17))
        elif c < 0.7:
            # 1e300 and its neighbours, a few ulps either side
            x = 1e300
            ulps = rng.randrange(-3, 4)
            for _ in range(abs(ulps)):
                x = math.nextafter(x, math.copysign(math.inf, ulps))
            items.append(repr(x).encode())
        elif c < 0.9:
            # floats that are 17-digit integers: equal to some ints above
            items.append(repr(float(rng.randrange(10 ** 16,
                                                  10 ** 17))).encode())
        else:
            items.append(b"-%d" % rng.randrange(10 ** 16, 10 ** 17))
    if r.get("big"):
        # ints one above and one below the largest float near 1e300,
        # exactly: only an exact comparison puts the larger one last
        top = 1e300
        for _ in range(3):
            top = math.nextafter(top, math.inf)
        for v in (int(top) - 1, int(top) + 1):
            items.insert(rng.randrange(len(items) + 1), b"%d" % v)
    return b'{"node_list":[' + b",".join(items) + b"]}"


BUILDERS = {"flood": _flood, "dicts": _dicts, "intfloat": _intfloat}


def build(recipe):
    """The input's bytes for one recipe."""
    data = BUILDERS[recipe["kind"]](recipe)
    assert b"\n" not in data and b"\0" not in data
    return data


def digest(data):
    return hashlib.sha256(data).hexdigest()
