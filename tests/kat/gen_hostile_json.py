#!/usr/bin/python3
"""Known answers for the hostile inputs of issue 17, computed by the seed.

    nice /usr/bin/python3 tests/kat/gen_hostile_json.py > tests/kat/hostile_json.answers

Loads both seed handlers the way gen_hide_and_seek.py and
gen_leader_election.py do (from the seed file, at generation time), builds
each input from its recipe (hostile_inputs.py) and runs the seed's
cape_handler on it: hide_and_seek sessions in a fresh directory holding
an empty secret.json, leader_election in one holding the TEST-ONLY key.

Output, one JSON object per line:

    {"plugin": P, "name": N, "inputs": [{"recipe": {...}, "sha256": H}
                                        | {"text": T}, ...],
     "results": [{"ok": true, "output": O} | {"ok": false, "error": E}]}

The digest lets hostile_json.t tell a changed recipe builder from a plugin
that answers wrong.
"""
import importlib.util
import json
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import hostile_inputs  # noqa: E402


def load(name):
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(HERE, name + ".py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def pt(lat, lon):
    return {"text": json.dumps({"latitude": lat, "longitude": lon})}


COORDS = ',"latitude":48.8584,"longitude":2.2945'
FLOOD = {"kind": "flood", "n": 100000}
NODES = ',"node_list":[17,5,99]'


def sessions():
    """(plugin, name, inputs): an input is a recipe dict or a text."""
    return [
        # The secret is the flood itself (stored as json.dump writes it),
        # then a seek answers from it.
        ("hide_and_seek", "flood-secret",
         [dict(FLOOD, tail=COORDS), pt(48.8606, 2.3376), pt(48.8584, 2.2946)]),
        # The flood as a seek: answered, and the session still answers.
        ("hide_and_seek", "flood-seek",
         [pt(10, 20), dict(FLOOD, tail=',"latitude":10,"longitude":20.5'),
          pt(10, 21)]),
        # A flood without coordinates: the KeyError, then the next answer.
        ("hide_and_seek", "flood-no-key",
         [pt(10, 20), dict(FLOOD), pt(10, 20.01)]),
        ("leader_election", "flood-node-list",
         [dict(FLOOD, tail=NODES), {"text": '{"node_list": [1, 2]}'}]),
        ("leader_election", "flood-missing", [dict(FLOOD)]),
        ("leader_election", "dicts-equal",
         [{"kind": "dicts", "n": 64000, "seed": 17}]),
        ("leader_election", "dicts-differ",
         [{"kind": "dicts", "n": 64000, "seed": 18, "differ": True}]),
        ("leader_election", "intfloat",
         [{"kind": "intfloat", "n": 20000, "seed": 19},
          {"kind": "intfloat", "n": 20000, "seed": 20, "big": True},
          {"kind": "intfloat", "n": 3, "seed": 21}]),
    ]


def main():
    hs = load("gen_hide_and_seek")
    le = load("gen_leader_election")
    handlers = {
        "hide_and_seek": hs.load_seed(
            sys.argv[1] if len(sys.argv) > 1 else "/work/shared/seed"),
        "leader_election": le.load_handler(),
    }
    here = os.getcwd()
    for plugin, name, inputs in sessions():
        raws, described = [], []
        for i in inputs:
            if "text" in i:
                raws.append(i["text"].encode())
                described.append(i)
            else:
                raw = hostile_inputs.build(i)
                raws.append(raw)
                described.append({"recipe": i,
                                  "sha256": hostile_inputs.digest(raw)})
        d = tempfile.mkdtemp(prefix="kat-hostile-")
        try:
            if plugin == "hide_and_seek":
                open(os.path.join(d, "secret.json"), "w").close()
            else:
                shutil.copy(le.TEST_KEY, os.path.join(d, "private.pem"))
            os.chdir(d)
            results = [hs.call(handlers[plugin], raw) for raw in raws]
        finally:
            os.chdir(here)
            shutil.rmtree(d)
        sys.stdout.write(json.dumps({"plugin": plugin, "name": name,
                                     "inputs": described,
                                     "results": results}) + "\n")


if __name__ == "__main__":
    main()
