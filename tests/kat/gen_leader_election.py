#!/usr/bin/python3
"""Known answers for the leader_election plugin, computed by the seed itself.

Run from the top of the tree with Debian's /usr/bin/python3 (3.11, with
python3-pycryptodome):

    /usr/bin/python3 tests/kat/gen_leader_election.py \
        > tests/kat/leader_election.answers

It takes the leader-election app.py out of the seed (/work/shared/seed/*.txt,
an RSS feed whose HTML holds the code HTML-escaped), maps its `Crypto`
imports to `Cryptodome` (the name Debian ships pycryptodome under, same
API), and calls its cape_handler() in a temporary directory holding the
committed TEST-ONLY key pair tests/kat/leader_election-test-private.pem.
No copy of app.py is kept.

Output: one JSON object per line, one line per session:

    {"inputs": [IN, ...], "answers": [{"ok": true, "output": "..."} |
                                      {"ok": false, "error": "..."}, ...]}

Each IN is the input's bytes decoded as UTF-8 with "surrogateescape", the
way Python presents a command-line argument: encode it back the same way to
get the exact bytes.  An error is str() of the exception the seed raised.
Inputs holding a NUL byte (UTF-16, UTF-32) never hold a newline:
leader_election.t sends them on stdin, one per line.
"""
import glob
import html
import json
import os
import random
import re
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TEST_KEY = os.path.join(HERE, "leader_election-test-private.pem")
# pyjson refuses nesting deeper than this (plugins/common/pyjson.c).
MAX_DEPTH = 990
SEED_GLOB = os.environ.get("FNHOST_SEED", "/work/shared/seed/*.txt")


def seed_app_source():
    """The leader-election app.py, as plain Python text."""
    for path in sorted(glob.glob(SEED_GLOB)):
        with open(path, encoding="utf-8") as f:
            feed = html.unescape(f.read())
        start = feed.find("<title>Leader election in the enclave</title>")
        if start < 0:
            continue
        item = feed[start:]
        at = item.find("<strong>app.py</strong>")
        m = re.compile(r"<code>(.*?)</code>", re.S).search(item, at)
        if at < 0 or m is None:
            continue
        return html.unescape(m.group(1))
    sys.exit("gen_leader_election: no leader-election app.py in "
             + SEED_GLOB)


def load_handler():
    src = seed_app_source()
    src = re.sub(r"^from Crypto(\.| )", r"from Cryptodome\1", src,
                 flags=re.M)
    if "def cape_handler" not in src or "from Crypto " in src:
        sys.exit("gen_leader_election: unexpected app.py")
    ns = {"__name__": "seed_leader_election"}
    exec(compile(src, "seed/leader-election/app.py", "exec"), ns)
    return ns["cape_handler"]


def calibrate(handler):
    """Set the recursion limit so that, called through answer(), the seed
    parses MAX_DEPTH nested arrays and refuses one more, as pyjson does:
    CPython's own limit depends on the caller's stack depth."""
    for limit in range(MAX_DEPTH, MAX_DEPTH + 200):
        sys.setrecursionlimit(limit)
        ok = [answer(handler, b"[" * n + b"]" * n + b"x")["error"]
              .startswith("Extra data") for n in (MAX_DEPTH, MAX_DEPTH + 1)]
        if ok == [True, False]:
            return
    sys.exit("gen_leader_election: cannot calibrate the recursion limit")


def answer(handler, raw):
    try:
        out = handler(raw)
    except Exception as e:  # the seed's failure, as its text
        return {"ok": False, "error": str(e)}
    return {"ok": True, "output": out}


# ---- inputs --------------------------------------------------------------

def nl(items_json):
    return '{"node_list": %s}' % items_json


def fixed_sessions():
    """Hand-picked inputs, grouped loosely by theme."""
    big = "1" + "0" * 40
    s = []
    s.append([nl("[5000, 5001]"), nl("[5001, 5000, 4999]"), nl("[1]"),
              nl("[-3, -1, -2]"), nl("[0]"), nl("[-0]")])
    s.append([nl("[%s, %s1, -%s]" % (big, big, big)),
              nl("[18446744073709551616, 18446744073709551615]"),
              nl("[-9223372036854775809, -9223372036854775808]"),
              nl("[" + "9" * 4300 + "]"), nl("[" + "9" * 4301 + "]"),
              nl("[-" + "8" * 4300 + ", 1]")])
    # int against float, exactly
    s.append([nl("[9007199254740993, 9007199254740992.0]"),
              nl("[9007199254740992.0, 9007199254740993]"),
              nl("[9007199254740992, 9007199254740992.0]"),
              nl("[9007199254740992.0, 9007199254740992]"),
              nl("[9007199254740991, 9007199254740992.0, "
                 "9007199254740993, 9007199254740994.0]"),
              nl("[1e16, 10000000000000001, 9999999999999999]"),
              nl("[10000000000000001, 1e16]")])
    s.append([nl("[%s, Infinity]" % ("1" + "0" * 400)),
              nl("[Infinity, %s]" % ("1" + "0" * 400)),
              nl("[-Infinity, -%s]" % ("1" + "0" * 400)),
              nl("[1.7976931348623157e308, %s]" % ("1" + "0" * 308)),
              nl("[%s, 1.7976931348623157e308]" % ("1" + "0" * 309)),
              nl("[179769313486231570814527423731704356798070567525844996"
                 "598917476803157260780028538760589558632766878171540458"
                 "953514382464234321326889464182768467546703537516986049"
                 "910576551282076245490090389328944075868508455133942304"
                 "583236903222948165808559332123348274797826204144723168"
                 "738177180919299881250404026184124858368, "
                 "1.7976931348623157e308]"),
              nl("[123456789012345678901234567890, "
                 "1.2345678901234568e+29]"),
              nl("[1.2345678901234568e+29, "
                 "123456789012345678901234567890]")])
    s.append([nl("[1e16, 3.0, 2.5]"), nl("[2.5]"), nl("[-0.0]"),
              nl("[0.0, -0.0]"), nl("[-0.0, 0.0]"), nl("[0, -0.0]"),
              nl("[-0.0, 0]"), nl("[1e22, 1e-7, 0.0001]"),
              nl("[5e-324]"), nl("[1e400]"), nl("[-1e400]"),
              nl("[0.1, 0.2, 0.30000000000000004]"),
              nl("[1.5, 1]"), nl("[1, 1.0]"), nl("[1.0, 1]"),
              nl("[123456789.123456789]"), nl("[1e15, 1e16, 1e17]")])
    s.append([nl("[NaN]"), nl("[NaN, 1]"), nl("[1, NaN]"),
              nl("[3, NaN, 1, 2]"), nl("[NaN, 3, 2, 1]"),
              nl("[Infinity, NaN, -Infinity]"), nl("[Infinity]"),
              nl("[-Infinity]"), nl("[NaN, NaN]"),
              nl("[[NaN], [NaN]]"), nl("[[NaN, 2], [NaN, 1]]"),
              nl("[[NaN, 1], [NaN, 1, 0]]"), nl("[[1, NaN], [1, NaN]]")])
    s.append([nl("[true, false]"), nl("[true, 1]"), nl("[1, true]"),
              nl("[false, 0, 0.0]"), nl("[0.0, false, 0]"),
              nl("[true, 2, false, -1]"), nl("[true]"), nl("[false]"),
              nl("[true, 1.5]"), nl("[[true], [1]]"), nl("[[1], [true]]")])
    s.append([nl('["node-a", "node-b"]'), nl('["b", "a", "c"]'),
              nl('["abc", "ab", "abd"]'), nl('[""]'), nl('["", "a"]'),
              nl('["Z", "a", "\\u00e9", "e"]'),
              nl('["\\u00e9t\\u00e9", "caf\\u00e9"]'),
              nl('["\\ud83d\\ude00", "\\uffff", "\\ud7ff"]'),
              nl('["\U0001F600", "\uFFFD"]'),
              nl('["\\ud800"]'), nl('["\\ud800\\udbff", "a"]'),
              nl('["x\\udfffy"]'), nl('["\\ude00\\ud83d"]'),
              nl('["ab\\ud800c\\udc00d"]'),
              nl('["\\ud800", "\\ud83d\\ude00"]')])
    # repr of str inside containers: quotes and escapes
    s.append([nl('[["it\'s"]]'), nl('[["say \\"hi\\""]]'),
              nl('[["both \' and \\""]]'), nl('[["back\\\\slash"]]'),
              nl('[["tab\\tnl\\ncr\\r"]]'),
              nl('[["\\u0000\\u0001\\u001f\\u007f\\u0080\\u009f"]]'),
              nl('[["\\u00a0\\u00ad\\u00e9\\u0378\\u2028\\u2029"]]'),
              nl('[["\\u3000\\ue000\\ufeff\\ufffe"]]'),
              nl('[["\\ud800", "\\udfff"]]'),
              nl('[["\\ud83d\\ude00\\udb40\\udc01\\udbbf\\udffd"]]'),
              nl('[["\\b\\f"]]'), nl('[{"k\'": "v\\"", "x": [1, "y"]}]'),
              nl('["top \\"quoted\\" \\\\ \\b\\f\\n\\r\\t \\u0001 '
                 '\\u007f \\u2028"]')])
    s.append([nl("[[1, 2], [1, 3]]"), nl("[[1, 3], [1, 2]]"),
              nl("[[1, 2], [1, 2, 0]]"), nl("[[], [0]]"), nl("[[]]"),
              nl('[[1, "a"], [1, 2]]'), nl('[[1, 2], [1, "a"]]'),
              nl('[[1, "a"], [1, "a"]]'), nl('[["a", [1]], ["a", [2]]]'),
              nl('[[[1, [2, [3]]]], [[1, [2, [4]]]]]'),
              nl('[[{}], [{}]]'), nl('[[{}], [{}, 1]]'),
              nl('[[{"a": 1}], [{"a": 2}]]'),
              nl('[[{"a": 1}], [{"a": 1}, 0]]'),
              nl('[[{"a": [1, NaN]}], [{"a": [1, NaN]}, 0]]'),
              nl('[[{"a": 1, "b": 2}], [{"b": 2, "a": 1}, 0]]'),
              nl('[[null, 1], [null, 2]]'), nl('[[null], [null]]'),
              nl('[[null], [1]]'), nl('[[true, null], [1, null]]')])
    s.append([nl("[null]"), nl("[{}]"), nl('[{"a": 1}]'), nl("[[]]"),
              nl('[{"b": [2], "a": 1}]'), nl("[null, null]"),
              nl("[{}, {}]"), nl("[null, 1]"), nl("[1, null]"),
              nl('["a", 1]'), nl('[1, "a"]'), nl('[[1], 1]'),
              nl('[1, [1]]'), nl('[{}, 1]'), nl('[1.5, "x"]'),
              nl('[true, "x"]'), nl('["x", true]'), nl('[null, "x"]'),
              nl('[[], {}]'), nl('[{}, []]'), nl('[1, 2, 3, "x", 4]'),
              nl('["a", "b", "c", 1]')])
    s.append([nl("[]"), "{}", '{"nodes": [1]}', '{"node_list": null}',
              '{"node_list": 5}', '{"node_list": 1.5}',
              '{"node_list": true}', '{"node_list": "abc"}',
              '{"node_list": {}}', '{"node_list": {"a": 1}}',
              '{"Node_list": [1]}'])
    s.append(["5", "-1.5", "true", "null", '"abc"', '"node_list"',
              '"xx node_list yy"', '"node_lis"', '["node_list"]',
              '[1, "node_list", 2]', '["node_lis"]', "[1, 2]", "[]",
              "[[\"node_list\"]]", "NaN", "Infinity", "false"])
    s.append(['{"node_list": [1], "node_list": [2]}',
              '{"node_list": 5, "node_list": [3, 4]}',
              '{"node_list": [3, 4], "node_list": null}',
              '{"a": 1, "node_list": [7], "a": 2}',
              nl('[{"k": 1, "k": 2}]'), nl('[{"k": 1, "j": 0, "k": 2}]')])
    # what json.loads itself refuses, and what it accepts around the text
    s.append(["", " ", "{", '{"node_list": [1,]}', '{"node_list": [1]} x',
              "{'node_list': [1]}", '{"node_list": [01]}',
              '{"node_list": [1.]}', '{"node_list": [-]}',
              '{"node_list": [nan]}', '{"node_list": ["\\x"]}',
              '{"node_list": ["a\nb"]}', '{"node_list": ["\\ud83d\\u"]}',
              ' \t\n{"node_list" : [ 1 , 2 ] }\r\n ',
              "\ufeff" + nl("[1]"), nl("[1]") + "\n"])
    # Huge ints: CPython 3.11 refuses more than 4300 digits (ValueError),
    # whatever the sign and wherever the int is; floats have no such limit.
    s.append([nl("[1, " + "7" * 4301 + "]"), nl("[-" + "1" * 4301 + "]"),
              nl("[" + "1" * 4300 + ", 1e300]"),
              nl("[1e300, -" + "9" * 4300 + "]"),
              nl("[" + "1" * 5000 + ".5]"), nl("[" + "1" * 5000 + "e-4990]"),
              nl("[0." + "0" * 5000 + "1]"), nl("[" + "0" * 2 + "]"),
              nl("[" + "1" * 4300 + ", " + "1" * 4299 + "2]")])
    # Nesting up to the plugin's fixed limit and past it (the recursion
    # limit is calibrated in main() so Python stops where pyjson does).
    d = MAX_DEPTH - 1  # the object around node_list is one level
    s.append(['{"node_list": ' + "[" * d + "]" * d + "}",
              '{"node_list": ' + "[" * (d + 1) + "]" * (d + 1) + "}",
              '{"node_list": [1, ' + "[" * 5000, "[" * 100000,
              '{"a": ' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1)])
    # NaN, Infinity and -Infinity cost the scanner one more level (a call
    # of json's parse_constant): at the innermost level they fail.
    s.append(['{"node_list": ' + "[" * d + "NaN" + "]" * d + "}",
              '{"node_list": ' + "[" * (d - 1) + "NaN" + "]" * (d - 1) + "}",
              "[" * MAX_DEPTH + "-Infinity" + "]" * MAX_DEPTH,
              '{"a": ' * MAX_DEPTH + "Infinity" + "}" * MAX_DEPTH,
              '{"a": ' * MAX_DEPTH + "1" + "}" * MAX_DEPTH,
              "[" * (MAX_DEPTH - 1) + "Infinity" + "]" * (MAX_DEPTH - 1)])
    s.append([nl('["\\u00e9", "\u00e9"]'), nl('["\u4e2d\u6587", "z"]'),
              nl('[["\u00e9\u4e2d\U0001F600"]]'),
              nl('["\u0085", "\u00a0"]')])
    return s


def raw_sessions():
    """Inputs that are not UTF-8 text: still command-line safe (no NUL)."""
    return [[b'{"node_list": ["\xed\xa0\x80"]}',
             b'{"node_list": [["\xed\xb0\x80x"]]}',
             b'{"node_list": ["\xff"]}', b'\xff\xfe',
             b'{"node_list": ["\xc3"]}',
             b'\xef\xbb\xbf{"node_list": ["\xc3\xa9"]}'],
            # What json.loads(bytes) detects: BOMs, and UTF-16/32 without
            # one (these hold NUL bytes: leader_election.t sends them on
            # stdin).  Then BOMs that do not match, and BOMs alone.
            [b"\xef\xbb\xbf" + NL.encode("utf-8")]
            + [bom + NL.encode(enc) for bom, enc in (
                (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"),
                (b"\xff\xfe\x00\x00", "utf-32-le"),
                (b"\x00\x00\xfe\xff", "utf-32-be"),
                (b"", "utf-16-le"), (b"", "utf-16-be"),
                (b"", "utf-32-le"), (b"", "utf-32-be"),
                (b"\xfe\xff", "utf-16-le"), (b"\xef\xbb\xbf", "utf-16-be"),
                (b"\xff\xfe", "utf-32-le"))]
            + [b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff\x00",
               b"\x00\x00\xfe\xff", "\ufeff5".encode("utf-16-le"),
               NL.encode("utf-16-le")[:-1], NL.encode("utf-32-be")[:-2]],
            # Encoded surrogates: raw bytes (paired CESU-8, lone high,
            # lone low) and in UTF-16/32 code units; invalid UTF-8.
            [b'{"node_list": ["\xed\xa0\xbd\xed\xb8\x80"]}',
             b'{"node_list": ["\xed\xbf\xbf", "a"]}',
             b'{"node_list": [["\xed\xa0\xbd\xed\xb8\x80"], ["a"]]}',
             '{"node_list": ["\ud800"]}'.encode("utf-16-le",
                                                 "surrogatepass"),
             '{"node_list": ["\ud83d\ude00", "\udc00z"]}'.encode(
                 "utf-32-be", "surrogatepass"),
             '{"node_list": ["\U0001f600"]}'.encode("utf-16-be"),
             b'{"node_list": ["\xc0\xaf"]}',
             b'{"node_list": ["\xf4\x90\x80\x80"]}',
             b'{"node_list": ["\xf0\x9f\x98"]}',
             b'{"node_list": ["\xe2\x82\xac\x80"]}',
             b'{"node_list": ["a"]}\xff',
             b'{"node_list": [1, 2]} \xed\xa0\x80']]


NL = '{"node_list": ["n\u00e9-\U0001f600", 2, "b"]}'


def rand_float(r):
    c = r.random()
    if c < 0.1:
        return float("nan")
    if c < 0.15:
        return r.choice([float("inf"), -float("inf"), -0.0, 0.0])
    if c < 0.4:
        return float(r.randint(-20, 20)) + r.choice([0, 0.5, 0.25])
    if c < 0.6:
        return r.uniform(-1e6, 1e6)
    if c < 0.7:
        return float(2 ** 53 + r.randint(-4, 4))
    return r.choice([1e16, 3.0, 2.5, 1e-5, 1e300, -1e22, 5e-324])


def rand_int(r):
    c = r.random()
    if c < 0.5:
        return r.randint(-20, 20)
    if c < 0.7:
        return 2 ** 53 + r.randint(-4, 4)
    if c < 0.85:
        return r.randint(-10 ** 30, 10 ** 30)
    return r.choice([-1, 1]) * r.randint(0, 10 ** r.randint(1, 400))


def rand_str(r):
    pool = ["a", "b", "node-", "Z", "'", '"', "\\", "\n", "\t", "\x01",
            "\x7f", "\u00e9", "\u00ad", "\u2028", "\u4e2d", "\U0001F600",
            "\U000E0001", "\uFFFF", " ", "0", "9"]
    return "".join(r.choice(pool) for _ in range(r.randint(0, 6)))


def rand_number(r):
    c = r.random()
    if c < 0.45:
        return rand_int(r)
    if c < 0.9:
        return rand_float(r)
    return r.choice([True, False])


def rand_list(r, kind, n):
    if kind == "num":
        return [rand_number(r) for _ in range(n)]
    if kind == "int":
        return [r.randint(0, r.choice([3, 50, 10 ** 6])) for _ in range(n)]
    if kind == "runs":
        out = []
        while len(out) < n:
            seg = sorted(r.randint(0, r.choice([5, 100, 1000]))
                         for _ in range(r.randint(1, 60)))
            if r.random() < 0.4:
                seg.reverse()
            out += [x if r.random() > 0.03 else float("nan")
                    for x in seg]
        return out[:n]
    if kind == "str":
        return [rand_str(r) for _ in range(n)]
    if kind == "lists":
        return [[rand_number(r) for _ in range(r.randint(0, 3))]
                if r.random() > 0.05 else [r.randint(0, 2), "s"]
                for _ in range(n)]
    # "mixed": mostly numbers with the odd unorderable item somewhere
    out = [rand_number(r) for _ in range(n)]
    for _ in range(r.randint(1, 2)):
        out[r.randrange(n)] = r.choice(["x", None, {}, [1], {"a": 1}])
    return out


def dumps_input(r, obj):
    """JSON text for obj, spelled in one of several legal ways."""
    text = json.dumps(obj, ensure_ascii=r.random() < 0.5,
                      separators=r.choice([(",", ":"), (", ", ": ")]))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(obj)
    return text


def random_sessions(r, count):
    kinds = ["num", "int", "runs", "str", "lists", "mixed"]
    sessions = []
    for _ in range(count):
        inputs = []
        for _ in range(r.randint(1, 4)):
            kind = r.choice(kinds)
            n = r.choice([1, 2, r.randint(1, 20), r.randint(1, 200)])
            inputs.append(dumps_input(r, {"node_list":
                                          rand_list(r, kind, n)}))
        sessions.append(inputs)
    return sessions


def session_answers(handler, raws):
    """The answers of one session: called from main() so that answer()
    runs as many frames deep as calibrate() ran it, which the calibrated
    recursion limit depends on."""
    return [answer(handler, raw) for raw in raws]


def main():
    handler = load_handler()
    calibrate(handler)
    tmp = tempfile.mkdtemp(prefix="kat-le-")
    shutil.copy(TEST_KEY, os.path.join(tmp, "private.pem"))
    here = os.getcwd()
    r = random.Random(20221024)  # the seed post's date: fixed answers
    sessions = [[x.encode("utf-8") for x in s] for s in fixed_sessions()]
    sessions += raw_sessions()
    sessions += [[x.encode("utf-8") for x in s]
                 for s in random_sessions(r, 300)]
    os.chdir(tmp)
    try:
        for s in sessions:
            if any(b"\0" in raw for raw in s):
                assert not any(b"\n" in raw for raw in s)
            line = {"inputs": [raw.decode("utf-8", "surrogateescape")
                               for raw in s],
                    "answers": session_answers(handler, s)}
            sys.stdout.write(json.dumps(line) + "\n")
    finally:
        os.chdir(here)
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
