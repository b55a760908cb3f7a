#!/usr/bin/python3
"""Differential fuzzer: the plugins against the seed's own Python.

Generates random and adversarial inputs for hide_and_seek and
leader_election, answers them with the seed's cape_handler (extracted at
run time by gen_hide_and_seek.py and gen_leader_election.py, with their
calibrated recursion limit) and with the built plugin through
`fnhost test -o json`, and prints every input whose answers differ.

Deterministic for a given seed; not part of `make check` (it runs long):

    make -j2 all
    FNHOST_BUILD=$PWD/build /usr/bin/python3 tests/kat/difffuzz.py \
        [--seed N] [--rounds N] [--only hide_and_seek|leader_election]

Exit status 1 when any mismatch was found.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_hide_and_seek as ghs  # noqa: E402
import gen_leader_election as gle  # noqa: E402

TEST_KEY = os.path.join(HERE, "leader_election-test-private.pem")

# ---- value generators ----------------------------------------------------

NUM_TEXTS = [
    "0", "-0", "0.0", "-0.0", "1", "-1", "1e309", "-1e309", "1E400",
    "1e-400", "-1e-400", "5e-324", "4.9e-324", "2.4703282292062327e-324",
    "2.4703282292062328e-324", "1.7976931348623157e308",
    "1.7976931348623158e308", "1.7976931348623159e308", "1e308", "1e22",
    "1e23", "9007199254740993", "9007199254740992.0", "0.1", "0.3",
    "123456789012345678", "9223372036854775807", "9223372036854775808",
    "-9223372036854775808", "-9223372036854775809",
    "18446744073709551615", "18446744073709551616", "1e16", "1e-7",
    "0.0001", "1e-5", "100", "1e2", "1.5e+1", "1E-0", "0e0", "-0e-0",
    "0.000000000000000000001", "2.5", "3.0", "1" + "0" * 309,
    "-1" + "0" * 309, "1" + "0" * 4299, "1" + "0" * 4300, "9" * 4300,
    "9" * 4301, "1." + "9" * 400, "0." + "0" * 400 + "1",
    "1" + "0" * 400 + "e-400", "NaN", "Infinity", "-Infinity", "-NaN",
    "+1", "01", "1.", ".5", "-", "1e", "1e+", "0x10", "nan", "inf",
    "infinity", "-infinity", "Inf", "1_0", "1.0e-1", "90", "-90", "90.0",
    "90.00000000000001", "-90.00000000000001", "180", "-180", "360",
    "89.99999999999999", "1e-300", "-5e-324", "2e-308", "2.2250738585072014e-308",
    "2.225073858507201e-308", "179.99999999999997", "1.0000000000000002",
    "0.30000000000000004", "1e15", "1e17", "123.456", "-0.5e1",
    "12345678901234567890.5", "4.35", "0.5", "1.25", "7e22", "8.5e-3",
    str(2 ** 1024 - 2 ** 970 - 1), str(2 ** 1024 - 2 ** 970),
    str(-(2 ** 1024 - 2 ** 970)), str(2 ** 1024), str(2 ** 1023),
    str(2 ** 53 + 1), str(-(2 ** 63)), str(2 ** 64 - 1),
    "179769313486231570000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000.0",
    "0.1e1", "10e-1", "1e-1", "-1e-7", "1.0E+2", "1e+308", "2e308",
]

KEY_SPELLINGS = {
    "latitude": ['"latitude"', '"\\u006catitude"', '"latitud\\u0065"',
                 '"\\u006c\\u0061titude"', '"Latitude"', '"latitude "',
                 '"latitude\\u0000"'],
    "longitude": ['"longitude"', '"\\u006congitude"',
                  '"longitud\\u0065"', '"LONGITUDE"'],
    "node_list": ['"node_list"', '"\\u006eode_list"', '"node\\u005flist"',
                  '"node_lis\\u0074"', '"node_list "', '"nodelist"'],
}


def key(r, name):
    if r.random() < 0.85:
        return '"%s"' % name
    return r.choice(KEY_SPELLINGS[name])


def rand_float_str(r):
    """A str for float(): pieces of what it accepts and refuses."""
    pieces = ["0", "1", "9", "5", "_", ".", "e", "E", "-", "+", " ", "\\t",
              "\\n", "\u00a0", "\u2003", "\u3000", "\u0661", "\u0665",
              "\uff11", "\U0001d7d9", "\u0e51", "inf", "nan", "Infinity",
              "i", "n", "x", "\\u0000", "\\u001c", "\\u000b", "\u0085",
              "\u200b", "\u2028", "\ufeff", "\u066b", "\u066c", ","]
    out = "".join(r.choice(pieces) for _ in range(r.randint(1, 8)))
    if r.random() < 0.5:
        out = r.choice(["", " ", "-", "+"]) + rand_number_text(r)[:30] + \
            r.choice(["", " ", "\u00a0", "_", "\\u0000"])
    return out

STR_FLOATS = [
    "1.5", " 1.5 ", "1_0", "1__0", "_1", "1_", "inf", "-inf", "+inf",
    "nan", "-nan", "NaN", "Infinity", "iNfInItY", "infinit", "1e400",
    "-1e400", "1e-400", "\u0661\u0662", "\uff11", "\u0967\u0966",
    "\U0001d7d9", "\u00a01\u3000", "\u20281", "1\u2029", "\u200b1",
    "1\\u0000", "\\u001c1\\u001d", "\\u001f1", "\\u000b1\\u000c",
    "\\t1\\n", "1\\r", "\u00851", "\u16801", "\u180e1", "\ufeff1", "",
    " ", "abc", "0x10", "0x1p3", "1e1_0", "1_e1", "1.5e+", ".", "-.5",
    "+.5e-3", "1,5", "\u0661.\u0665", "\u0663\u066b5", "1.5j", "00012",
    "-0", "+0", "-0.0", "90", "90.0000001", "-91", "1" * 500,
    "0." + "0" * 400 + "1", "1" + "0" * 400, "\\ud800", "\\udc00",
    "\\ud83d\\ude00", "\u00e9", "'", '\\"', "\\\\", "nan(1)", "in f",
    "1 2", "1e5 ", "\u0085 1", "\u001c1", "1\u001e", "\u2007" + "5",
    "\u202f5", "\u205f5", "\u30005", "\u0f20", "\u1d7ce", "\u0e51\u0e52",
    "\u06f1", "\u07c1", "\u09e7", "\uabf1", "\U000104a1", "\u2460",
    "\u00b2", "\u00bd", "\u2155", "\u0031\u0332", "\uff0e5", "\u22121",
    "\u2012" + "1", "\u00ad1", "\u0661e\u0662", "1E\u0662", "\u0665_\u0665",
    "1_000.000_1", "1_000e1_0", "0_0", "0_1", "00_1.5", "infinity_",
    "i_nf", "١٢٫٥", "+-1", "--1", "1e-0_1", "1.e1", "1e+01",
    "9" * 5000,
]

STRINGS = [
    "", "a", "node", "Z", "'", '"', "\\", "\n", "\t", "\x01", "\x7f",
    "\u00e9", "\u00ad", "\u2028", "\u4e2d", "\U0001F600", "\U000E0001",
    "\uFFFF", "\uFFFE", "\uFEFF", " ", "0", "\u0085", "\u00a0", "\u0378",
    "\ue000", "\U0010FFFF", "\U000F0000", "\u200b", "\u200e", "\u061c",
    "\u3000", "\u1680", "\u0300", "\U0001D7D9", "\U00020000",
    "\U0002A6DF", "\U000E0100", "\u0600", "\u08e2", "\u180e", "\u2066",
    "\ufff9", "\U00013430", "\U0001BCA0", "\U000E007F", "\u0890",
    "\u0891", "\u2000", "\u205f", "\U0001F1E6", "\u0f00", "\u1b4e",
    "\u1b7f", "\U0001e4d0", "\U0001e7e0", "\U0001f6dc", "\U00031350",
    "\U0002b739", "\U0001132f",
]
ESC_STRINGS = ["\\ud800", "\\udbff", "\\udc00", "\\udfff",
               "\\ud83d\\ude00", "\\ude00\\ud83d", "\\u0000", "\\u001f",
               "\\b\\f\\n\\r\\t", "\\/", "\\u00e9", "\\uDBFF\\uDFFF",
               "\\uFFFF", "\\ud800\\ud800", "\\u0041\\u030a"]


def rand_str_text(r):
    """A JSON string literal (with quotes), with raw and escaped parts."""
    parts = []
    for _ in range(r.choice([0, 1, 2, 3, 6, 20])):
        c = r.random()
        if c < 0.5:
            s = r.choice(STRINGS)
            if r.random() < 0.3:
                s = json.dumps(s)[1:-1]
            else:
                s = json.dumps(s, ensure_ascii=False)[1:-1]
            parts.append(s)
        elif c < 0.8:
            parts.append(r.choice(ESC_STRINGS))
        else:
            parts.append("\\u%04x" % r.randrange(0x10000))
    return '"' + "".join(parts) + '"'


def rand_float_repr(r):
    """Text of a float whose shortest repr is likely to be tricky."""
    c = r.random()
    if c < 0.3:
        x = r.uniform(-1, 1) * 10.0 ** r.randint(-320, 307)
    elif c < 0.5:
        import struct
        x = struct.unpack("<d", struct.pack("<Q", r.getrandbits(64)))[0]
        if x != x or x in (float("inf"), -float("inf")):
            x = 1.0
    elif c < 0.7:
        x = r.randint(-10 ** 17, 10 ** 17) / 10 ** r.randint(0, 20)
    else:
        x = r.uniform(-200, 200)
    s = repr(x)
    if r.random() < 0.2:
        s = "%.*e" % (r.randint(0, 25), x)
    elif r.random() < 0.1:
        s = "%.*f" % (r.randint(0, 30), x)
    return s


def rand_int_text(r):
    c = r.random()
    if c < 0.4:
        return str(r.randint(-1000, 1000))
    if c < 0.6:
        return str(r.choice([1, -1]) * (2 ** r.choice([53, 63, 64, 1023,
                                                       1024, 1025])
                                        + r.randint(-3, 3)))
    if c < 0.9:
        return str(r.randint(-10 ** 40, 10 ** 40))
    n = r.choice([r.randint(1, 400), r.randint(4290, 4310)])
    return r.choice(["", "-"]) + str(r.randint(1, 9)) + "".join(
        r.choice("0123456789") for _ in range(n - 1))


def rand_number_text(r):
    c = r.random()
    if c < 0.35:
        return r.choice(NUM_TEXTS)
    if c < 0.7:
        return rand_float_repr(r)
    return rand_int_text(r)


def rand_scalar(r):
    c = r.random()
    if c < 0.55:
        return rand_number_text(r)
    if c < 0.8:
        return rand_str_text(r)
    return r.choice(["true", "false", "null"])


def ws(r):
    if r.random() < 0.7:
        return r.choice(["", "", " "])
    return "".join(r.choice([" ", "\t", "\n", "\r"])
                   for _ in range(r.randint(1, 3)))


def rand_value(r, depth=0):
    c = r.random()
    if depth > 4 or c < 0.6:
        return rand_scalar(r)
    if c < 0.8:
        return ("[" + ws(r) + ("," + ws(r)).join(
            rand_value(r, depth + 1) for _ in range(r.randint(0, 4)))
            + ws(r) + "]")
    items = []
    for _ in range(r.randint(0, 4)):
        k = r.choice([rand_str_text(r), '"a"', '"latitude"',
                      '"node_list"', '"b"'])
        items.append(k + ws(r) + ":" + ws(r) + rand_value(r, depth + 1))
    return "{" + ws(r) + ("," + ws(r)).join(items) + ws(r) + "}"


def obj(pairs, r):
    sep = r.choice([(",", ":"), (", ", ": "), (" ,\n", " : ")])
    return "{" + sep[0].join(k + sep[1] + v for k, v in pairs) + "}"


def mutate(r, text):
    """Damage a valid text the ways json.loads might or might not accept."""
    b = mutate1(r, text)
    for _ in range(r.choice([0, 0, 1, 2])):
        i = r.randrange(len(b) + 1)
        c = r.random()
        if c < 0.3:
            b = b[:i] + bytes([r.randrange(256)]) + b[i:]
        elif c < 0.6:
            b = b[:i] + b[i + 1:]
        elif c < 0.8:
            b = b[:i] + r.choice([b"\x00", b"\xd8", b"\xdc", b"\xff",
                                  b"\x00\xd8", b"\x00\xdc", b"\x11",
                                  b"\x00\x00\x11\x00", b"\x00\xd8\x00\x00",
                                  b"\xed", b"\xf0\x90", b"\x80"]) + b[i:]
        else:
            b = b[:i] + b[i:i + r.randint(1, 4)] + b[i:]
    return b


def mutate1(r, text):
    b = text.encode("utf-8", "surrogatepass")
    c = r.random()
    if c < 0.1:
        return b + r.choice([b"x", b" x", b"\x0c", b"\xc2\xa0", b"\x00",
                             b"}", b" ", b"\n", b"\r\n", b",", b"\xff",
                             b"\t\n\r ", b"\x0b", b"//", b"\xed\xa0\x80"])
    if c < 0.2:
        return r.choice([b"\xef\xbb\xbf", b" ", b"\x0c", b"\xc2\xa0",
                         b"\xef\xbb\xbf\xef\xbb\xbf", b"\t", b"\x0b",
                         b"\xe3\x80\x80", b"\xff\xfe", b"\xfe\xff",
                         b"\x85"]) + b
    if c < 0.3 and b:
        i = r.randrange(len(b))
        return b[:i] + b[i + 1:]
    if c < 0.4 and b:
        i = r.randrange(len(b) + 1)
        return b[:i] + bytes([r.randrange(256)]) + b[i:]
    if c < 0.5 and b:
        return b[:r.randrange(len(b))]
    if c < 0.6:
        enc = r.choice(["utf-16", "utf-16-le", "utf-16-be", "utf-32",
                        "utf-32-le", "utf-32-be"])
        try:
            return text.encode(enc, "surrogatepass")
        except UnicodeError:
            return b
    if c < 0.7 and b:
        i = r.randrange(len(b))
        return b[:i] + r.choice([b"\x0c", b"\xc2\xa0", b"\x00", b"\\",
                                 b"\x1f", b"\x7f", b"\xed\xbf\xbf",
                                 b"\xf4\x90\x80\x80", b"\xc0\x80",
                                 b"\xe2\x80\xa8"]) + b[i:]
    return b


# ---- hide_and_seek inputs ------------------------------------------------

def hs_coord(r):
    c = r.random()
    if c < 0.35:
        return rand_number_text(r)
    if c < 0.5:
        return '"' + r.choice(STR_FLOATS) + '"'
    if c < 0.6:
        return '"' + rand_float_str(r) + '"'
    if c < 0.7:
        return "%r" % r.uniform(-90, 90)
    return rand_value(r)


def hs_input(r):
    c = r.random()
    lat, lon = hs_coord(r), hs_coord(r)
    if c < 0.55:
        pairs = [(key(r, "latitude"), lat), (key(r, "longitude"), lon)]
        if r.random() < 0.3:
            r.shuffle(pairs)
        if r.random() < 0.2:
            pairs.append((r.choice([key(r, "latitude"),
                                    key(r, "longitude"),
                                    rand_str_text(r)]), hs_coord(r)))
        if r.random() < 0.15:
            pairs.insert(r.randrange(len(pairs) + 1),
                         (rand_str_text(r), rand_value(r)))
        if r.random() < 0.1:
            pairs.pop(r.randrange(len(pairs)))
        text = obj(pairs, r)
    elif c < 0.65:
        text = obj([('"latitude"', "%r" % r.uniform(-90, 90)),
                    ('"longitude"', "%r" % r.uniform(-540, 540))], r)
    elif c < 0.75:
        text = rand_value(r)
    elif c < 0.78:
        text = r.choice(["null", "[]", "{}", "[null]", '""', "0",
                         '"latitude"', "NaN", "true"])
    elif c < 0.8:
        text = deep(r, r.randint(980, 992))
    else:
        text = obj([('"latitude"', lat), ('"longitude"', lon)], r)
        return mutate(r, text)
    if r.random() < 0.15:
        return mutate(r, text)
    return text.encode("utf-8", "surrogatepass")


def hs_session(r):
    n = r.choice([1, 2, 3, 5, 10])
    return [hs_input(r) for _ in range(n)]


# ---- leader_election inputs ---------------------------------------------

def le_item(r):
    c = r.random()
    if c < 0.5:
        return rand_number_text(r)
    if c < 0.7:
        return rand_str_text(r)
    if c < 0.8:
        return r.choice(["true", "false", "null", "NaN", "Infinity"])
    return rand_value(r)


EQUALS = ["0", "0.0", "-0.0", "false", "1", "1.0", "true", "NaN", "2",
          "2.0", "-0", "1e0", "Infinity", "1e400", "-Infinity", "0e5",
          "[]", "[1]", "[1.0]", "[true]", "[NaN]", "[NaN, 1]", "[1, NaN]",
          "9007199254740993", "9007199254740992.0", "9007199254740992"]


def deep(r, k):
    """A value nested k levels, or two of them in a list."""
    a = r.choice([("[" * k, "]" * k), ('{"a":' * k, "}" * k),
                  ("[{\"a\":" * (k // 2), "}]" * (k // 2))])
    leaf = r.choice(["", "1", "NaN", '"x"', "[]", "{}", "null"])
    if a[0].startswith("{") or a[0].endswith(":"):
        leaf = leaf or "1"
    return a[0] + leaf + a[1]


def le_long(r):
    """Long lists of equal but distinguishable items, NaN, runs: the
    timsort paths (runs, galloping, merges) and its stability."""
    n = r.choice([33, 64, 65, 100, 257, 1000, 3000])
    mode = r.random()
    if mode < 0.4:
        pool = r.sample(EQUALS, r.randint(2, 6))
        items = [r.choice(pool) for _ in range(n)]
    elif mode < 0.7:
        items = []
        while len(items) < n:
            seg = sorted(r.randint(0, r.choice([3, 30, 1000]))
                         for _ in range(r.randint(1, 80)))
            if r.random() < 0.5:
                seg.reverse()
            items += [str(x) if r.random() > 0.02 else
                      r.choice(["NaN", "1.0", "true", "-0.0"])
                      for x in seg]
        items = items[:n]
    else:
        items = [rand_number_text(r)[:40] for _ in range(n)]
    for _ in range(r.choice([0, 0, 1, 2])):
        items[r.randrange(n)] = r.choice(['"x"', "null", "{}", "[1]",
                                          '["a"]', "[]"])
    return "[" + ",".join(items) + "]"


def le_list(r):
    kind = r.random()
    if kind < 0.15:
        return le_long(r)
    if kind < 0.18:
        k = r.randint(970, 992)
        return "[" + ",".join(deep(r, k) for _ in range(r.randint(1, 2))) \
            + "]"
    kind = r.random()
    n = r.choice([0, 1, 2, 3, 5, 10, 40])
    if kind < 0.4:
        items = [rand_number_text(r) for _ in range(n)]
    elif kind < 0.55:
        items = [rand_str_text(r) for _ in range(n)]
    elif kind < 0.7:
        items = ["[" + ",".join(le_item(r) for _ in range(r.randint(0, 3)))
                 + "]" for _ in range(n)]
    elif kind < 0.8:
        items = [rand_value(r) for _ in range(n)]
    else:
        items = [le_item(r) for _ in range(n)]
    return "[" + ws(r) + ("," + ws(r)).join(items) + ws(r) + "]"


def le_input(r):
    c = r.random()
    if c < 0.7:
        pairs = [(key(r, "node_list"), le_list(r))]
        if r.random() < 0.2:
            pairs.insert(r.randrange(2), (rand_str_text(r), rand_value(r)))
        if r.random() < 0.1:
            pairs.append((key(r, "node_list"), le_list(r)))
        text = obj(pairs, r)
    elif c < 0.8:
        text = obj([('"node_list"', rand_value(r))], r)
    elif c < 0.87:
        text = rand_value(r)
    else:
        return mutate(r, obj([('"node_list"', le_list(r))], r))
    if r.random() < 0.1:
        return mutate(r, text)
    return text.encode("utf-8", "surrogatepass")


# ---- running -------------------------------------------------------------

def split_transport(inputs):
    """Groups of inputs each sendable in one fnhost test call: argv
    cannot hold NUL or long strings, stdin lines cannot hold newlines."""
    groups, cur, mode = [], [], None
    for b in inputs:
        if b"\0" in b or len(b) > 100000 or b == b"-":
            if b"\n" in b:
                continue  # neither way carries it
            m = "stdin"
        else:
            m = "argv" if b"\n" in b else "either"
        cur.append((b, m))
    if not cur:
        return groups
    if any(m == "stdin" for _, m in cur):
        cur = [(b, m) for b, m in cur if m != "argv"]
        return [[b for b, _ in cur]] if cur else []
    return [[b for b, _ in cur]]


def chunks(inputs, limit=1000000):
    """Stateless inputs in groups small enough for one argv."""
    out, cur, size = [], [], 0
    for b in inputs:
        if cur and size + len(b) + 1 > limit:
            out.append(cur)
            cur, size = [], 0
        cur.append(b)
        size += len(b) + 1
    return out + [cur] if cur else out


def fnhost_run(build, bundle, inputs):
    cmd = [os.path.join(build, "bin", "fnhost"), "test", "-o", "json",
           bundle]
    stdin = b""
    if any(b"\0" in b or len(b) > 100000 or b == b"-" for b in inputs):
        cmd.append("-")
        stdin = b"".join(b + b"\n" for b in inputs)
    else:
        cmd.extend(inputs)
    p = subprocess.run(cmd, input=stdin, capture_output=True, timeout=600)
    out = []
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            out.append({"unparsable": line})
    return out, p.stderr.decode("utf-8", "replace")


SAVE = None
def report(plugin, inputs, k, want, got, err):
    if SAVE is not None:
        SAVE.write(json.dumps({"plugin": plugin, "inputs": [
            b.hex() for b in inputs[:k + 1]]}) + "\n")
        SAVE.flush()
    print("MISMATCH %s input %d of %d" % (plugin, k, len(inputs)))
    for i, b in enumerate(inputs[:k + 1]):
        print("  in[%d] %s" % (i, ascii(b)[:600]))
    w, g = ascii(want), ascii(got)
    at = next((i for i, (x, y) in enumerate(zip(w, g)) if x != y), 0)
    at = max(0, at - 100)
    print("  python %s%s" % ("..." if at else "", w[at:at + 600]))
    print("  plugin %s%s" % ("..." if at else "", g[at:at + 600]))
    if err.strip():
        print("  stderr %s" % ascii(err.strip())[:300])
    sys.stdout.flush()


def replay_sessions(path):
    """Sessions saved by --save: [(plugin, [bytes, ...]), ...]."""
    with open(path) as f:
        return [(d["plugin"], [bytes.fromhex(h) for h in d["inputs"]])
                for d in map(json.loads, f) if d]


def fuzz(args, build):
    warnings.simplefilter("ignore")
    replay = replay_sessions(args.replay) if args.replay else None
    r = random.Random(args.seed)
    mismatches = 0
    counts = {}
    tmp = tempfile.mkdtemp(prefix="difffuzz-")
    le_bundle = os.path.join(tmp, "le")
    os.mkdir(le_bundle)
    shutil.copy(os.path.join(build, "plugins", "leader_election",
                             "leader_election.so"), le_bundle)
    shutil.copy(TEST_KEY, os.path.join(le_bundle, "private.pem"))
    le_dir = os.path.join(tmp, "le-py")
    os.mkdir(le_dir)
    shutil.copy(TEST_KEY, os.path.join(le_dir, "private.pem"))
    hs_bundle = os.path.join(build, "plugins", "hide_and_seek")
    hs = le = None
    if args.only in (None, "hide_and_seek"):
        hs = ghs.load_seed(args.seed_dir)
    if args.only in (None, "leader_election"):
        le = gle.load_handler()
    # Both calibrations and every answer are computed from this very
    # frame depth: the recursion limit found holds only at that depth.
    here = os.getcwd()
    for rnd in range(1 if replay else args.rounds):
        if hs is not None:
            ghs.calibrate(hs)
            todo = ([s for p, s in replay if p == "hide_and_seek"] if replay
                    else [hs_session(r) for _ in range(args.batch)])
            for sess in todo:
                for inputs in split_transport(sess):
                    want = ghs.run_session(hs, inputs)
                    got, err = fnhost_run(build, hs_bundle, inputs)
                    counts["hs"] = counts.get("hs", 0) + len(inputs)
                    for k, w in enumerate(want):
                        g = got[k] if k < len(got) else None
                        if w != g:
                            report("hide_and_seek", inputs, k, w, g, err)
                            mismatches += 1
                            break
        if le is not None:
            gle.calibrate(le)
            batch = ([s[0] for p, s in replay if p == "leader_election"]
                     if replay else
                     [le_input(r) for _ in range(args.batch * 5)])
            for inputs in [[b for b in batch if b"\0" not in b
                            and len(b) <= 100000 and b != b"-"],
                           [b for b in batch if (b"\0" in b or len(b) >
                                                 100000 or b == b"-")
                            and b"\n" not in b]]:
                if not inputs:
                    continue
                os.chdir(le_dir)
                try:
                    want = gle.session_answers(le, inputs)
                finally:
                    os.chdir(here)
                got, err = [], ""
                for part in chunks(inputs):
                    g, e = fnhost_run(build, le_bundle, part)
                    got += g + [None] * (len(part) - len(g))
                    err += e
                counts["le"] = counts.get("le", 0) + len(inputs)
                for k, w in enumerate(want):
                    g = got[k] if k < len(got) else None
                    if w != g:
                        report("leader_election", [inputs[k]], 0, w, g,
                               err)
                        mismatches += 1
        print("round %d: %s, %d mismatches" % (rnd, counts, mismatches))
        sys.stdout.flush()
    shutil.rmtree(tmp)
    return mismatches


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--only", choices=["hide_and_seek", "leader_election"])
    ap.add_argument("--seed-dir", default="/work/shared/seed")
    ap.add_argument("--save", help="append each mismatching session here")
    ap.add_argument("--replay", help="run the sessions of a --save file")
    args = ap.parse_args()
    global SAVE
    if args.save:
        SAVE = open(args.save, "a")
    build = os.environ.get("FNHOST_BUILD")
    if not build:
        sys.exit("difffuzz: set FNHOST_BUILD")
    return 1 if fuzz(args, build) else 0


if __name__ == "__main__":
    sys.exit(main())
