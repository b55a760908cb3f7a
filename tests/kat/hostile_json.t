#!/usr/bin/python3
"""TAP: the hostile inputs of issue 17 get the seed's answers, in time.

Replays tests/kat/hostile_json.answers (made by gen_hostile_json.py from
the seed's own code) through the real sandbox: `fnhost test -o json DIR -`
with one input per line on stdin (each is up to 1 MiB, beyond what one
argv string may hold).  Each input is rebuilt from its recipe by
hostile_inputs.py and must have the recorded SHA-256 first, so a changed
builder fails as such, not as a wrong answer.  Then every result must be
the seed's, byte for byte: 100,000 object keys, two 64,000-key dicts in
different orders compared by the sort, 17-digit ints among floats near
1e300, and hide_and_seek's session answering after the key flood.

Every invoke runs under fnhost test's default 10 s timeout: a quadratic
dict or sort would not answer in time (the timings are in make bench).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import hostile_inputs  # noqa: E402

TEST_KEY = os.path.join(HERE, "leader_election-test-private.pem")


def main():
    build = os.environ.get("FNHOST_BUILD")
    with open(os.path.join(HERE, "hostile_json.answers")) as f:
        sessions = [json.loads(line) for line in f if line.strip()]
    print("1..%d" % len(sessions))
    if not build:
        print("Bail out! FNHOST_BUILD is not set")
        return 1
    if os.environ.get("FNHOST_SANITIZER"):
        os.environ["FNHOST_SANDBOX_RELAXED"] = "1"
    fnhost = os.path.join(build, "bin", "fnhost")
    tmp = tempfile.mkdtemp(prefix="kat-hostile-")
    try:
        le = os.path.join(tmp, "leader_election")
        os.mkdir(le)
        shutil.copy(os.path.join(build, "plugins", "leader_election",
                                 "leader_election.so"), le)
        shutil.copy(TEST_KEY, os.path.join(le, "private.pem"))
        bundles = {"leader_election": le,
                   "hide_and_seek": os.path.join(build, "plugins",
                                                 "hide_and_seek")}
        failed = 0
        for n, s in enumerate(sessions, 1):
            why = run_session(fnhost, bundles[s["plugin"]], s)
            print("%s %d - %s %s" % ("not ok" if why else "ok", n,
                                     s["plugin"], s["name"]))
            if why:
                failed += 1
                print("# " + why)
    finally:
        shutil.rmtree(tmp)
    return 1 if failed else 0


def run_session(fnhost, bundle, s):
    """None when the session answers as the seed did, else why not."""
    raws = []
    for i in s["inputs"]:
        if "text" in i:
            raws.append(i["text"].encode())
            continue
        raw = hostile_inputs.build(i["recipe"])
        if hostile_inputs.digest(raw) != i["sha256"]:
            return "recipe %r builds other bytes than the answers'" % (
                i["recipe"],)
        raws.append(raw)
    p = subprocess.run([fnhost, "test", "-o", "json", bundle, "-"],
                       input=b"".join(r + b"\n" for r in raws),
                       capture_output=True, timeout=300)
    got = [json.loads(line) for line in p.stdout.decode().splitlines()
           if line.strip()]
    if len(got) != len(s["results"]):
        return "%d results for %d inputs (exit %d): %s" % (
            len(got), len(s["results"]), p.returncode,
            p.stderr.decode(errors="replace").strip()[:300])
    for k, (want, have) in enumerate(zip(s["results"], got)):
        if want != have:
            return "input %d: want %s got %s" % (k, ascii(want)[:300],
                                                  ascii(have)[:300])
    return None


if __name__ == "__main__":
    sys.exit(main())
