#!/usr/bin/python3
"""The hide-and-seek page in a real browser against a real fnhostd.

fnhostd serves the page from app_dir (assembled by mk/app.mjs: the page,
the JavaScript client and the HPKE modules, nothing from a CDN).  Debian's
chromium, driven headless by playwright-core, plays the seed's game in two
browser contexts with emulated geolocations (tests/e2e/browser/game.mjs):
the hider's page encrypts its location and shows the text, the test
relays it, the seeker's page shows the answer with the attestation badge.
Asserts the seeker's page shows exactly what the function answers for
those two points, that the hider's coordinates are in none of the
seeker's page, the relayed text, the requests the pages made, or
fnhostd's log, and that the browser's text is refused (400) by another
function.  Screenshots of both pages go to $FNHOST_BUILD/screenshots.
TAP on stdout."""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fnhd import BUILD, DEVPUB, FNHOST, Daemon, sign  # noqa: E402
from fnhtap import done, tap  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
SDK = os.path.join(BUILD, "sdk-js")
WORK = os.path.join(BUILD, "browser")
SHOTS = os.path.join(BUILD, "screenshots")
HIDER = ("48.8584", "2.2945")   # the Eiffel tower
SEEKER = ("48.8606", "2.3376")  # the Louvre


def setup():
    for what, script, work in (("sdk/js", "sdk-js", SDK),
                               ("playwright-core", "browser", WORK)):
        r = subprocess.run(["sh", os.path.join(HERE, script, "setup.sh"),
                            work], capture_output=True, text=True)
        if not tap(r.returncode == 0, "%s installed in %s" % (what, work),
                   r.stdout + r.stderr):
            return None
    app = os.path.join(WORK, "app")
    r = subprocess.run(["node", os.path.join(TOP, "mk", "app.mjs"),
                        os.path.join(SDK, "node_modules"), app],
                       capture_output=True, text=True)
    if not tap(r.returncode == 0, "the app directory is assembled: " +
               r.stdout.strip(), r.stderr):
        return None
    return app


def deploy(h, bundle):
    r = h.fnhost(["deploy", bundle], token=h.admin)
    fid = [l.split()[1] for l in r.stdout.splitlines()
           if l.startswith("id ")][0]
    with open(os.path.join(bundle, "MANIFEST"), "rb") as f:
        sum_ = hashlib.sha256(f.read()).hexdigest()
    return fid, sum_, h.fnhost(["token", "create", fid],
                               token=h.admin).stdout.strip()


def expected():
    """What hide_and_seek answers for the two points, from fnhost test."""
    r = subprocess.run(
        [FNHOST, "test", os.path.join(BUILD, "plugins", "hide_and_seek"),
         '{"latitude": %s, "longitude": %s}' % HIDER,
         '{"latitude": %s, "longitude": %s}' % SEEKER],
        capture_output=True, text=True)
    return r.stdout.split("\n")[1]


def game(h, tmp, app):
    h.fnhost(["trust", "add", DEVPUB], token=h.admin)
    hs, hs_sum, hs_tok = deploy(h, os.path.join(BUILD, "plugins",
                                                "hide_and_seek"))
    echo, echo_sum, echo_tok = deploy(h, sign(tmp, os.path.join(
        BUILD, "tests", "plugins", "echo", "plugin.so"), "echo"))
    base = "http://%s:%d" % (h.addr, h.port)
    page = "%s/app/hide-and-seek/#f=%s&c=%s&t=%s" % (base, hs, hs_sum,
                                                     hs_tok)
    os.makedirs(SHOTS, exist_ok=True)
    r = subprocess.run(["node", os.path.join(WORK, "game.mjs"), page,
                        HIDER[0], HIDER[1], SEEKER[0], SEEKER[1], SHOTS],
                       capture_output=True, text=True, timeout=240)
    try:
        o = json.loads(r.stdout)
    except ValueError:
        tap(False, "the browser plays the game", r.stdout + r.stderr)
        return
    tap(not o["errors"], "the pages load and run without errors",
        o["errors"])
    text = o.get("text", "")
    tap(text.startswith("fnh2:"), "the hider's page shows an fnh2: text",
        (text, o.get("hideStatus")))
    want = expected()
    tap(want.startswith("Getting closer! still ") and
        want.endswith(" meters away") and o.get("answer") == want,
        "the seeker's page shows the seed's text: %s" % want,
        (o.get("answer"), o.get("seekStatus")))
    tap((o.get("badge") or "").startswith("✓ attestation verified") and
        hs_sum[:12] in o["badge"],
        "and a badge saying the answer's attestation verified",
        o.get("badge"))
    seen = o.get("seekerHtml", "") + " ".join(o.get("seekerValues", []))
    tap(HIDER[0] not in seen and HIDER[1] not in seen,
        "the hider's coordinates are nowhere in the seeker's page")
    relayed = text + json.dumps(o.get("requests", []))
    tap(HIDER[0] not in relayed and HIDER[1] not in relayed and
        any(q["url"].endswith("/invoke") for q in o.get("requests", [])),
        "nor in the text relayed, nor in any request the pages made")
    with open(h.log, "rb") as f:
        logged = f.read()
    tap(HIDER[0].encode() not in logged and HIDER[1].encode() not in logged,
        "nor in fnhostd's log")
    st, out, _ = h.request("POST", "/v1/functions/%s/run" % echo,
                           text.encode(), echo_tok)
    tap(st == 400 and echo_sum.encode() in out and
        HIDER[0].encode() not in out,
        "the browser's text for hide_and_seek is refused by echo (400)",
        (st, out))
    shots = [os.path.join(SHOTS, n) for n in ("hider.png", "seeker.png")]
    tap(all(os.path.getsize(p) > 1000 for p in shots if os.path.exists(p))
        and all(os.path.exists(p) for p in shots),
        "screenshots of both pages in %s" % SHOTS)


def main():
    app = setup()
    if app is None:
        return done()
    tmp = tempfile.mkdtemp(prefix="fnhost-browser-")
    os.chmod(tmp, 0o711)
    try:
        with Daemon(tmp, app_dir=app) as h:
            game(h, tmp, app)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return done()


if __name__ == "__main__":
    sys.exit(main())
