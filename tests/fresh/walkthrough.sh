#!/bin/sh
# The README's walkthrough, word for word, in a checkout:
#
#	sh walkthrough.sh run RUNLOG	against a running make run
#	sh walkthrough.sh plugin	"Write, sign and test a plugin" (root)
#
# run: RUNLOG is make run's output.  Runs the lines make run printed to
# paste (the exports, the hide-and-seek session with fnhost run and with
# curl, the election), then the code blocks of README.md's "Play hide
# and seek" and "Run an election" sections as they are written there.
# plugin: that section's block, make install first, as root can.  Each
# under sh -e, checking what it printed; exits 0 when all of it did what
# the README says.
set -eu
usage="usage: walkthrough.sh run RUNLOG | plugin"
mode=${1:?$usage}
out=$(mktemp)
trap 'rm -f "$out" pasted.sh readme.sh' EXIT

fail() {
	echo "walkthrough: $*" >&2
	echo "--- its output:" >&2
	cat "$out" >&2
	exit 1
}
# expect N PATTERN WHAT: the output has PATTERN on at least N lines
expect() {
	n=$(grep -c -- "$2" "$out") || n=0
	[ "$n" -ge "$1" ] || fail "$3: '$2' $n times, not $1"
	echo "walkthrough: ok: $3"
}

# README.md's blocks: the indented lines of a section, until the next
# section of the same level; a line ending in \ goes on, as in sh.
readme_blocks() {	# readme_blocks HEADING
	awk -v h="$1" '/^## / { on = ($0 == h); next }
		on && /^    / { print substr($0, 5) }' README.md
}

if [ "$mode" = plugin ]; then
	readme_blocks "## Write, sign and test a plugin" >readme.sh
	[ -s readme.sh ] || fail "README.md has no plugin block"
	echo "walkthrough: README.md's plugin block, $(wc -l <readme.sh) lines"
	sh -eu readme.sh >"$out" 2>&1 || fail "README.md's plugin block failed"
	cat "$out"
	# The template's hello answers each input; the signed MANIFEST
	# names the template's version.
	expect 1 'hello, second input (invoke 2)' \
		"fnhost test on the signed template bundle"
	grep -q 'version=1[.]0[.]0' myfn/bundle/MANIFEST.minisig ||
		fail "the signature does not record the template's 1.0.0"
	echo "walkthrough: ok: signed as hello 1.0.0"
	echo "walkthrough: passed"
	exit 0
fi
[ "$mode" = run ] || { echo "$usage" >&2; exit 2; }
log=${2:?$usage}

# What make run printed to paste, from its "Paste these" to "Ctrl-C":
# the shell lines only (exports, commands), not its prose or the URL.
awk '/Paste these into another shell/ { on = 1; next }
	/^Ctrl-C stops the host/ { on = 0 }
	on && /^(export |fnhost |curl |s=)/' "$log" >pasted.sh
[ -s pasted.sh ] || fail "make run printed nothing to paste"
echo "walkthrough: pasting $(wc -l <pasted.sh) lines of make run's"
sh -eu pasted.sh >"$out" 2>&1 || fail "a line make run printed failed"
cat "$out"
# Two sessions (fnhost run, then curl) each answer the guess with a
# distance; the election answers with a signed leader.
expect 2 'meters away' "hide and seek through fnhost run and curl"
expect 1 '"message": *"5002"' "the election through fnhost run"

# The pasted exports put build/bin on PATH and name the functions.
{
	grep '^export ' pasted.sh
	readme_blocks "## Play hide and seek"
	readme_blocks "## Run an election"
} >readme.sh
echo "walkthrough: README.md's blocks, $(wc -l <readme.sh) lines"
sh -eu readme.sh >"$out" 2>&1 || fail "a README.md block failed"
cat "$out"
rm -f host-key.json
# fnhost run in clear, then with a sealed hider's position and --verify,
# then fnhost test locally: each answers its guess with a distance.
expect 3 'meters away' "hide and seek: in clear, sealed and verified, local"
expect 1 '"message": *"5001"' "the local election"
echo "walkthrough: passed"
