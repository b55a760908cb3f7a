#!/usr/bin/python3
"""Known answers for plugins/hide_and_seek, computed by the seed itself.

Extracts the hide-and-seek app.py from the seed (/work/shared/seed/*.txt,
an HTML-escaped RSS feed; the source is read at generation time and never
copied into the repository), then plays sessions through its cape_handler
with Debian's /usr/bin/python3 3.11 and geopy 2.3.0 / geographiclib 2.0:
each session in a fresh temporary directory holding an empty secret.json,
as the seed's deployment ships one.

Writes tests/kat/hide_and_seek.answers: one JSON object per line,
  {"name": ..., "inputs": [...], "results": [...]}
where an input is {"text": str} or, for bytes that are not NUL-free UTF-8,
{"hex": str}, and a result is {"ok": true, "output": str} (None returned
by the seed is "") or {"ok": false, "error": str(exception)}.

    /usr/bin/python3 tests/kat/gen_hide_and_seek.py [SEED_DIR] > \
        tests/kat/hide_and_seek.answers
"""
import glob
import html
import json
import os
import random
import re
import sys
import tempfile
import warnings

from geographiclib.geodesic import Geodesic

# pyjson refuses nesting deeper than this (plugins/common/pyjson.c).
MAX_DEPTH = 990


def load_seed(seed_dir):
    """The seed's hide-and-seek app.py as a module namespace."""
    for path in sorted(glob.glob(os.path.join(seed_dir, "*.txt"))):
        # HTML inside RSS: unescape the feed, drop the tags, then unescape
        # the code's own entities ("distance &lt; 100").
        text = open(path, encoding="utf-8").read()
        text = html.unescape(re.sub(r"<[^>]+>", "", html.unescape(text)))
        m = re.search(r"import math\n.*?return ret\n", text, re.S)
        if m and "def cape_handler" in m.group(0):
            ns = {"__name__": "seed_app"}
            exec(compile(m.group(0), "app.py", "exec"), ns)
            return ns["cape_handler"]
    sys.exit("gen_hide_and_seek: no hide-and-seek app.py in " + seed_dir)


def call(handler, arg):
    """One invoke: the seed's answer as a result object."""
    try:
        ret = handler(arg)
    except Exception as e:  # noqa: BLE001 - any exception is an answer
        return {"ok": False, "error": str(e)}
    return {"ok": True, "output": "" if ret is None else ret}


def calibrate(handler):
    """Set the recursion limit so that, called through call(), the seed
    parses MAX_DEPTH nested arrays and refuses one more, as pyjson does:
    CPython's own limit depends on the caller's stack depth."""
    for limit in range(MAX_DEPTH, MAX_DEPTH + 200):
        sys.setrecursionlimit(limit)
        # Trailing junk: the parse fails after the nesting either way.
        ok = [call(handler, b"[" * n + b"]" * n + b"x")["error"]
              .startswith("Extra data") for n in (MAX_DEPTH, MAX_DEPTH + 1)]
        if ok == [True, False]:
            return
    sys.exit("gen_hide_and_seek: cannot calibrate the recursion limit")


def run_session(handler, inputs):
    old = os.getcwd()
    with tempfile.TemporaryDirectory() as d:
        os.chdir(d)
        try:
            open("secret.json", "w").close()
            return [call(handler, arg) for arg in inputs]
        finally:
            os.chdir(old)


def enc_input(b):
    try:
        t = b.decode("utf-8")
    except UnicodeDecodeError:
        t = None
    if t is not None and "\0" not in t:
        return {"text": t}
    return {"hex": b.hex()}


def pt(lat, lon):
    return json.dumps({"latitude": lat, "longitude": lon}).encode()


def rand_point(rng):
    return rng.uniform(-90, 90), rng.uniform(-180, 180)


def sessions(rng):
    geod = Geodesic.WGS84
    out = []

    def add(name, *inputs):
        out.append((name, [i if isinstance(i, bytes) else i.encode()
                           for i in inputs]))

    # Random points anywhere, several seeks per session.
    for i in range(150):
        seeks = [pt(*rand_point(rng)) for _ in range(rng.randint(1, 3))]
        add("random-%d" % i, pt(*rand_point(rng)), *seeks)
    # Nearby points: distances from centimetres to hundreds of km.
    for i in range(120):
        lat, lon = rand_point(rng)
        s = 10 ** rng.uniform(-2, 6)
        r = geod.Direct(lat, lon, rng.uniform(-180, 180), s)
        add("near-%d" % i, pt(lat, lon), pt(r["lat2"], r["lon2"]))
    # Either side of the 100 m and 10 km thresholds.
    for i, (base, off) in enumerate((b, o) for b in (100, 10000)
                                    for o in (-1, -1e-3, -1e-6, 1e-6,
                                              1e-3, 1, 0)):
        for k in range(3):
            lat, lon = rand_point(rng)
            r = geod.Direct(lat, lon, rng.uniform(-180, 180), base + off)
            add("threshold-%d-%g-%d" % (base, off, k), pt(lat, lon),
                pt(r["lat2"], r["lon2"]))
    # Antipodal and nearly antipodal points, where the algorithm works
    # hardest.
    for i in range(40):
        lat, lon = rand_point(rng)
        eps = rng.choice([0, 0, 1e-9, 1e-6, 1e-3, 0.1, 1])
        add("antipodal-%d" % i, pt(lat, lon),
            pt(-lat + rng.uniform(-eps, eps),
               lon + 180 + rng.uniform(-eps, eps)))
    add("antipodal-equator", pt(0, 0), pt(0, 180), pt(0, 179.5),
        pt(0.5, 179.7))
    add("antipodal-meridian", pt(30, 0), pt(-30, 180))
    # Poles.
    add("poles", pt(90, 0), pt(-90, 0), pt(90, 123.4), pt(89.99999, -45),
        pt(-89.999, 10))
    add("south-pole", pt(-90, 77), pt(-90, -77), pt(-89.9, 0))
    # Longitudes beyond +-180: geopy normalises them.
    add("lon-wrap", pt(10, 190), pt(10, -170), pt(10, 540), pt(10, -540),
        pt(10, 180), pt(10, -180), pt(10, 360), pt(10, 720.5),
        pt(10, 1e10), pt(10, -1e300), pt(10, 179.99999999999997))
    add("lon-wrap-secret", pt(-33.9, 511.2), pt(-33.9, 151.2),
        pt(-33.9, -208.8))
    # What float() accepts in a str, and what it refuses.
    add("float-strings",
        b'{"latitude": "  1.5 ", "longitude": "1_0"}',
        b'{"latitude": "1.5", "longitude": "10"}',
        '{"latitude": "\u0661\u0662", "longitude": "\u00a03.25\u3000"}',
        b'{"latitude": "1e1", "longitude": ".5"}',
        b'{"latitude": "-0", "longitude": "+10."}',
        b'{"latitude": "inf", "longitude": "1"}',
        b'{"latitude": "1", "longitude": "-nan"}',
        b'{"latitude": "-Infinity", "longitude": "1"}',
        b'{"latitude": "1__0", "longitude": "1"}',
        b'{"latitude": "_1", "longitude": "1"}',
        b'{"latitude": "1_", "longitude": "1"}',
        b'{"latitude": "0x10", "longitude": "1"}',
        b'{"latitude": "", "longitude": "1"}',
        b'{"latitude": "abc", "longitude": "1"}',
        b'{"latitude": "it\'s", "longitude": "1"}',
        b'{"latitude": "a\\"b\'c", "longitude": "1"}',
        b'{"latitude": "\\u0000", "longitude": "1"}',
        b'{"latitude": "\\ud800", "longitude": "1"}',
        b'{"latitude": "\\u00e9\\u200b\\n\\t\\u0085", "longitude": "1"}',
        '{"latitude": "\U0001f600 \u0378", "longitude": "1"}',
        b'{"latitude": "\\x1c1", "longitude": "1"}'.replace(b"\\x1c",
                                                           b"\\u001c"),
        b'{"latitude": "1\\u0085", "longitude": "\\u20281"}',
        '{"latitude": "\U0001d7d9", "longitude": "\u0967\u0966"}')
    # More of what float() accepts and refuses (issue 17's classes).
    fs = ["  1_000.5 ", "\u0661\u0662\u0663", "inf", "nAn", "iNfInItY",
          "-iNF", "+nan", "1e-400", "-1e-400", "1e400", "0x1p3", "0x10",
          "1_000", "1__000", "1e1_0", "1_e10", "1.5e+", "1e", "e1", ".",
          "+.5e-3", "\uff11\uff12", "\u0661.\u0665", "\u0663\u066b5",
          "1,5", "\\t\\n 7\\u000b\\u000c", "\\u001c7\\u001d", "00012",
          "nan(1)", "1.5j", "\u0661_\u0662", "\u00a0\u2003-8\u3000",
          "\u200b1", "1\\u0000", "0.0000000000000000000001e20",
          "1" + "0" * 400, "1" * 5000, "infinit", "infinityy"]
    add("float-strings-2", pt(0, 0),
        *[b'{"latitude": 1, "longitude": "%s"}' % f.encode() for f in fs])
    # Error texts longer than a log line: float()'s repeats the string.
    add("long-error", pt(0, 0),
        b'{"latitude": 1, "longitude": "%s"}' % ("\u00e9" * 3000).encode(),
        b'{"latitude": "%s", "longitude": 1}' % (b"x" * 20000),
        b'{"latitude": 1, "longitude": "%s"}' % (b"\\u00e9" * 2000))
    # A BOM with the other byte order, and what is no BOM at all.
    add("bom-be", b"\xfe\xff" + pt(3, 4).decode().encode("utf-16-be"),
        b"\x00\x00\xfe\xff" + pt(3, 4.5).decode().encode("utf-32-be"),
        b"\xff\xfe" + pt(3, 5).decode().encode("utf-16-le"),
        b"\xff\xfe\x00\x00" + pt(3, 5.5).decode().encode("utf-32-le"),
        b"\xfe\xff" + pt(3, 6).decode().encode("utf-16-le"),
        b"\xef\xbb\xbf" + pt(3, 6).decode().encode("utf-16-le"),
        b"\xef\xbb", b"\xfe\xff", b"\xff\xfe\x00\x00",
        b"\x00\x00\xfe\xff", "\ufeff5".encode("utf-16-le"))
    # Encoded surrogates: raw (CESU-8) in UTF-8, lone in UTF-16/32.
    add("surrogate-bytes", pt(1, 2),
        b'{"latitude": 1, "longitude": 2, "x": "\xed\xa0\xbd\xed\xb8\x80"}',
        b'{"latitude": 1, "longitude": 2, "x": "\xed\xbf\xbf"}',
        '{"latitude": 1, "longitude": 2, "x": "\ud800"}'
        .encode("utf-16-le", "surrogatepass"),
        '{"latitude": 1, "longitude": 2, "x": "\udc00"}'
        .encode("utf-32-be", "surrogatepass"),
        b'{"latitude": 1, "longitude": 2, "x": "\xc0\xaf"}',
        b'{"latitude": 1, "longitude": 2, "x": "\xf4\x90\x80\x80"}',
        b'{"latitude": 1, "longitude": "\xed\xa0\x80"}')
    add("surrogate-bytes-secret",
        b'{"latitude": 1, "longitude": 2, "x": "\xed\xa0\xbd\xed\xb8\x80"}',
        pt(1, 2), pt(1, 2.5))
    add("secret-strings", b'{"latitude": " 45 ", "longitude": "-0.5e1"}',
        pt(45, -5), pt(45.0001, -5))
    # bool, int, huge int, null and containers as coordinates.
    add("coord-types", pt(0, 0),
        b'{"latitude": true, "longitude": false}',
        b'{"latitude": 1, "longitude": -1}',
        b'{"latitude": 10000000000000000000000, "longitude": 1}',
        b'{"latitude": 1, "longitude": 1' + b'0' * 400 + b'}',
        b'{"latitude": -1' + b'0' * 310 + b', "longitude": 1}',
        b'{"latitude": 1, "longitude": 179769313486231580793728971405303'
        b'41545171153220474116899840}',
        b'{"latitude": null, "longitude": 1}',
        b'{"latitude": [1], "longitude": 1}',
        b'{"latitude": {"a": 1}, "longitude": 1}',
        b'{"latitude": 1, "longitude": NaN}',
        b'{"latitude": Infinity, "longitude": 1}',
        b'{"latitude": 1, "longitude": -Infinity}',
        b'{"latitude": 1e400, "longitude": 1}',
        b'{"latitude": -0.0, "longitude": -0.0}',
        b'{"latitude": 5e-324, "longitude": 1e-300}',
        b'{"latitude": 1' + b'0' * 4300 + b', "longitude": 1}',
        b'{"latitude": 1, "longitude": 1' + b'0' * 4299 + b'}')
    # Latitude out of range, in the secret and in the seek.
    add("lat-range", pt(12, 34), pt(90.0000001, 0), pt(-91, 0), pt(90, 0),
        pt(-90, 0), b'{"latitude": "100", "longitude": 0}')
    add("lat-range-secret", pt(95, 0), pt(0, 0), pt(0, 1e400))
    add("lat-range-both", b'{"latitude": -95, "longitude": 1e999}',
        pt(91, 0))
    # Bad inputs: not JSON, wrong shapes, missing keys.
    add("bad-json", b"", b"nope", b"{", b'{"latitude": 1,}', b"[1,]",
        b'{"latitude" 1}', b"1 2", b'"abc', b'"\\x"', b'"\\u12"',
        b'"a\x01b"', b"\xff", b"\xc3", b"\xe2\x82", b'"\xed\xa0"',
        b"01", b"1.e5", b"\t\n\r {} \n", b"\x0b{}")
    # Inputs holding NUL reach fnhost test through stdin, one per line:
    # keep them in sessions without newlines.
    # So do inputs that are just "-", which fnhost test reads as "stdin".
    add("nul-byte", b"\x00", b"{}\x00", pt(1, 2), b"\x00\x00", b"-")
    add("bad-then-good", b"nope", pt(1, 2), b"[", pt(1, 2.001))
    add("shapes", pt(1, 2), b"[1, 2]", b'"latitude"', b"5", b"2.5",
        b"true", b"null", b"{}", b'{"latitude": 1}', b'{"longitude": 1}',
        b'{"Latitude": 1, "longitude": 1}', b"NaN", b"[]")
    # Duplicate keys: the last value wins.
    add("dup-keys", b'{"latitude": 95, "longitude": 1, "latitude": 10}',
        b'{"latitude": 10, "longitude": 1, "longitude": 1.001}')
    # Extra keys and nesting in the secret are stored and ignored.
    add("extra-keys", b'{"name": "x", "latitude": 1, "nest": [1, {"a": '
        b'[true, null, 1.5e300, "\\u00e9\\ud83d\\ude00"]}], '
        b'"longitude": 2, "e": [], "o": {}}', pt(1, 2.5))
    # Non-object secrets: stored, then subscripted.
    for name, first in (("list", b"[1, 2]"), ("str", b'"hello"'),
                        ("int", b"42"), ("float", b"1.5"),
                        ("bool", b"true"), ("false", b"false"),
                        ("nan", b"NaN"), ("empty-dict", b"{}"),
                        ("inf", b"-Infinity"), ("zero", b"0"),
                        ("empty-list", b"[]"), ("empty-str", b'""')):
        add("secret-" + name, first, pt(1, 2), pt(3, 4))
    # A null secret is no secret: the next input is stored instead.
    add("null-first", b"null", pt(1, 2), pt(1, 2.5), b"null", pt(5, 5))
    add("null-first-twice", b"null", b"null", b"[null]", pt(0, 0))
    # A lone surrogate cannot be written as UTF-8: nothing is stored.
    add("surrogate-secret", b'{"latitude": 1, "longitude": 2, '
        b'"n": "ab\\ud800"}', pt(1, 2), pt(1, 3))
    add("surrogate-secret-2", b'["x\\n\\t\\u0001\\ud800\\udc01\\udfff"]',
        b'{"k\\udc00": 1}', b'{"a": ["\\ud83d", 1]}', b'"\\ud800"',
        b'["a", "\xed\xa0\x80"]', pt(1, 1), pt(2, 2))
    add("surrogate-seek", pt(1, 2),
        b'{"latitude": 1, "longitude": 2, "x": "\\ud800"}')
    # Encodings json.loads detects: BOM, UTF-16, UTF-32.
    add("utf8-bom", b"\xef\xbb\xbf" + pt(10, 20),
        b"\xef\xbb\xbf" + pt(10, 20.5), b"\xef\xbb\xbf\xef\xbb\xbf{}")
    for enc in ("utf-16", "utf-16-le", "utf-16-be", "utf-32",
                "utf-32-le", "utf-32-be"):
        add("encoding-" + enc, pt(-10, -20).decode().encode(enc),
            pt(-10.5, -20).decode().encode(enc),
            pt(-10, -20.25).decode().encode(enc)[:-1])
    add("utf16-unicode", '{"latitude": "\u0661", "longitude": "\u00e9"}'
        .encode("utf-16-le"), pt(1, 1))
    # Unicode in stored strings, written raw (ensure_ascii=False).
    add("unicode-secret", '{"latitude": 1, "longitude": 2, "who": '
        '"J\u00fcrgen \U0001f600 \u2028 \\u0007"}'.encode(), pt(1, 2.01))
    # Deep nesting: parsed up to MAX_DEPTH, refused beyond.
    n = MAX_DEPTH
    add("deep", pt(1, 1), b"[" * n + b"]" * n,
        b"[" * (n + 1) + b"]" * (n + 1),
        b'{"a":' * (n + 1) + b"1" + b"}" * (n + 1),
        b"[" * 5000, b"[" * 100 + b"]" * 100)
    # A secret is read back by json.load() inside open_secret(), two
    # frames deeper than the handler's json.loads(): stored up to
    # MAX_DEPTH, it reads back only up to MAX_DEPTH - 2, and past that it
    # is no secret and the next input is stored.
    for k in (2, 1, 0):
        add("deep-first-%d" % k, b"[" * (n - k) + b"]" * (n - k), pt(1, 1),
            pt(1, 1))
        add("deep-first-obj-%d" % k, b'{"a":' * (n - k - 1) + b"[]" +
            b"}" * (n - k - 1), pt(1, 1), pt(1, 1))
    # NaN, Infinity and -Infinity cost the scanner one more level (it
    # calls json's parse_constant): at the innermost level they fail.
    add("deep-constant", b"[" * n + b"NaN" + b"]" * n,
        b"[" * (n - 1) + b"-Infinity" + b"]" * (n - 1), pt(1, 1))
    for k in (2, 3):
        add("deep-constant-secret-%d" % k,
            b'{"a":' * (n - k) + b"Infinity" + b"}" * (n - k), pt(1, 1),
            pt(1, 1))
    add("deep-secret", b'{"latitude": 1, "longitude": 2, "d": ' +
        b"[" * 100 + b"]" * 100 + b"}", pt(1, 2))
    # Whitespace and number forms.
    add("number-forms", b' {"latitude":1E1,"longitude":-2.50e-1}\n\r\t',
        b'{"latitude": 1.0e+1, "longitude": -0.25}',
        b'{"latitude": 0.000001, "longitude": 123456789.123456789}',
        b'{"latitude": 1e-400, "longitude": -1e-400}')
    return out


def main():
    seed_dir = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/seed"
    warnings.simplefilter("ignore")
    handler = load_seed(seed_dir)
    calibrate(handler)
    rng = random.Random(20221124)
    for name, inputs in sessions(rng):
        results = run_session(handler, inputs)
        sys.stdout.write(json.dumps({
            "name": name,
            "inputs": [enc_input(b) for b in inputs],
            "results": results,
        }, ensure_ascii=True) + "\n")


if __name__ == "__main__":
    main()
