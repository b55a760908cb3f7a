#!/usr/bin/python3
# descriptor.t: plugins the host must refuse to load.  Each malformed test
# plugin (tests/plugins/) gets `fnhost test DIR x`, which must exit 1 with
# nothing on stdout and exactly one line "fnhost test: <reason>" on stderr,
# the reason naming the bad field (magic, size, abi_major, handle,
# reserved, name, version, the missing fnh_plugin_v1), relaying init()'s
# fail() text, or the loader's own reason; in text and in JSON mode alike.
# TAP on stdout; FNHOST_BUILD is the absolute build directory.
import os
import subprocess
import sys

BUILD = os.environ.get("FNHOST_BUILD")
if not BUILD:
    print("Bail out! FNHOST_BUILD must name the build directory")
    sys.exit(1)
FNHOST = os.path.join(BUILD, "bin", "fnhost")
PLUGINS = os.path.join(BUILD, "tests", "plugins")

# plugin: words the refusal must hold (all of them)
CASES = [
    ("bad_magic", ["magic"]),
    ("bad_size", ["size"]),
    ("bad_abi", ["abi_major"]),
    ("null_handle", ["handle"]),
    ("bad_reserved", ["reserved"]),
    ("null_name", ["name"]),
    ("bad_name", ["name"]),
    ("null_version", ["version"]),
    ("no_symbol", ["fnh_plugin_v1"]),
    ("null_desc", ["fnh_plugin_v1", "NULL"]),
    ("init_fail", ["init_fail refuses: missing licence 42"]),
    ("static_tls", ["static TLS"]),
]

count = 0
failed = 0


def tap(passed, name, diag=""):
    global count, failed
    count += 1
    print("%s %d - %s" % ("ok" if passed else "not ok", count, name))
    if not passed:
        failed += 1
        for line in diag.splitlines()[:10]:
            print("#   " + line)


def main():
    for plugin, words in CASES:
        for mode in (["-o", "text"], ["-o", "json"]):
            p = subprocess.run([FNHOST, "test"] + mode +
                               [os.path.join(PLUGINS, plugin), "x"],
                               stdin=subprocess.DEVNULL, capture_output=True,
                               timeout=60)
            out = p.stdout.decode("utf-8", "replace")
            err = p.stderr.decode("utf-8", "replace")
            lines = err.splitlines()
            good = (p.returncode == 1 and out == "" and len(lines) == 1 and
                    lines[0].startswith("fnhost test: ") and
                    err.endswith("\n") and
                    all(w in lines[0] for w in words) and
                    "ESCAPED" not in err)
            tap(good, "%s (%s) refused naming %s" % (plugin, mode[1],
                                                    ", ".join(words)),
                "exit %d\nstdout: %s\nstderr: %s" % (p.returncode, out, err))
    print("1..%d" % count)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
