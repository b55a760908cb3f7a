#!/bin/sh
# hpke-interop.t: fnhost's HPKE (host/formats/hpke.c) against an independent
# implementation, the npm packages @hpke/core and @hpke/chacha20poly1305
# (exact versions in hpke-interop/package-lock.json), both ways:
#   - fnh2 texts: node encrypts, C decrypts, and C encrypts, node decrypts,
#     with keys made by either side; C refuses a flipped bit, a truncated
#     text, the wrong key, the wrong info, another function's checksum and
#     an fnh1 text; node refuses C's altered text; both sides make the
#     exact texts of tests/kat/hpke/fnh2.txt.
#   - encrypted invokes (RFC 9458-style): node's request opens in C and C's
#     response opens in node, and the other way round; altered ones and
#     ones for another function fail.
# The C side is the unit-test binary's interop mode (see the top of
# tests/unit/test_hpke.c).  The packages are installed with `npm ci` into
# $FNHOST_BUILD/hpke-interop when missing or out of date; without npm or
# the registry the test fails, naming what is missing (CI has both).
# TAP on stdout; FNHOST_BUILD is the absolute build directory.
set -u

build=${FNHOST_BUILD:?FNHOST_BUILD must name the build directory}
src=$(cd "$(dirname "$0")" && pwd)/hpke-interop
c=$build/tests/unit/test_hpke
work=$build/hpke-interop
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
n=0
failed=0

ok() {		# ok STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=1
		[ -s "$tmp/err" ] && sed 's/^/# /' "$tmp/err"
		why "not ok $n - $2"
	fi
	: >"$tmp/err"
}

# why LINE: a failure again on stderr, which prove shows without -v, so
# that make check names the reason rather than only "Dubious".
why() {
	echo "$1" >&2
	[ -s "$tmp/err" ] && sed 's/^/# /' "$tmp/err" >&2
	return 0
}

# bail REASON...: a setup step failed; nothing after it can run.
bail() {
	echo "not ok $((n + 1)) - $*"
	[ -s "$tmp/err" ] && sed 's/^/# /' "$tmp/err"
	why "not ok $((n + 1)) - $*"
	echo "1..$((n + 1))"
	exit 1
}

node_() {	# node_ ARGS...: the node side
	node "$work/fnh-hpke.mjs" "$@"
}

# flip FILE OFFSET: XOR one bit into the byte at OFFSET.
flip() {
	perl -e 'open(my $f, "+<", $ARGV[0]) or die "$ARGV[0]: $!";
		binmode $f; seek($f, $ARGV[1], 0); read($f, my $c, 1);
		seek($f, $ARGV[1], 0); print $f chr(ord($c) ^ 1);
		close($f) or die' "$1" "$2"
}

# other_char TEXT POS: TEXT with the base64url character at POS (0-based)
# replaced by another one, so the bytes differ and it stays base64url.
other_char() {
	printf '%s' "$1" | perl -ne '$p = '"$2"'; $c = substr($_, $p, 1);
		substr($_, $p, 1) = $c eq "A" ? "Q" : "A"; print'
}

: >"$tmp/err"
[ -x "$c" ] || bail "the C side $c is not built (make \$B/tests/unit/test_hpke)"
sh "$src/setup.sh" "$work" >"$tmp/err" 2>&1 ||
    bail "the node side can not be installed in $work"
ok 0 "npm packages installed in $work"

# Key pairs made by each side.
set -- $("$c" --interop-keygen 2>"$tmp/err")
skc=${1:-} pkc=${2:-}
[ ${#skc} -eq 64 ] && [ ${#pkc} -eq 64 ]
ok $? "C makes a key pair"
set -- $(node_ keygen 2>"$tmp/err")
skn=${1:-} pkn=${2:-}
[ ${#skn} -eq 64 ] && [ ${#pkn} -eq 64 ]
ok $? "node makes a key pair"

msg='{"latitude": 52.516, "longitude": 13.378, "note": "Grüße"}'
sum=6b6d1c8b21f896269554cf633da084b25b49706a8efb41463687f353e0395171
other=0000000000000000000000000000000000000000000000000000000000000001

# ---- fnh2 texts -------------------------------------------------------------
for keys in "$pkc $skc C" "$pkn $skn node"; do
	set -- $keys
	text=$(node_ encrypt "$1" "$sum" "$msg" 2>"$tmp/err")
	got=$("$c" --interop-decrypt "$2" "$sum" "$text" 2>>"$tmp/err")
	[ "$got" = "$msg" ]
	ok $? "node encrypts, C decrypts (key pair made by $3)"
	text=$("$c" --interop-encrypt "$1" "$sum" "$msg" 2>"$tmp/err")
	got=$(node_ decrypt "$2" "$sum" "$text" 2>>"$tmp/err")
	[ "$got" = "$msg" ]
	ok $? "C encrypts, node decrypts (key pair made by $3)"
done

text=$(node_ encrypt "$pkc" "$sum" "" 2>"$tmp/err") &&
    got=$("$c" --interop-decrypt "$skc" "$sum" "$text" 2>>"$tmp/err") &&
    [ -z "$got" ] && [ ${#text} -eq $((5 + 64)) ]
ok $? "the empty message, node to C"

# C's refusals of node's texts: each one names the reason.
refused() {	# refused TEXT SK REASON DESCRIPTION [SUM]
	"$c" --interop-decrypt "$2" "${5:-$sum}" "$1" >"$tmp/out" 2>"$tmp/msg"
	rc=$?
	[ $rc -eq 1 ] && [ ! -s "$tmp/out" ] && grep -q "$3" "$tmp/msg"
	st=$?
	[ $st -eq 0 ] || { echo "exit $rc"; cat "$tmp/out" "$tmp/msg"; } \
	    >"$tmp/err"
	ok $st "$4"
}
text=$(node_ encrypt "$pkc" "$sum" "$msg" 2>"$tmp/err")
len=${#text}
refused "$(other_char "$text" 20)" "$skc" "on this host, or altered" \
    "C refuses node's text with enc altered"
refused "$(other_char "$text" $((len - 10)))" "$skc" "on this host, or altered" \
    "C refuses node's text with the tag altered"
refused "$(other_char "$text" 60)" "$skc" "on this host, or altered" \
    "C refuses node's text with the ciphertext altered"
refused "$(printf '%s' "$text" | cut -c1-$((len - 4)))" "$skc" \
    "on this host, or altered" "C refuses node's text truncated"
refused "$(printf '%s' "$text" | cut -c1-41)" "$skc" "too short" \
    "C refuses node's text cut inside enc"
refused "$text" "$skn" "on this host, or altered" \
    "C refuses node's text with the wrong key"
refused "$(node_ encrypt "$pkc" "$sum" "$msg" "fnhost encrypt v0")" "$skc" \
    "not made for function" "C refuses node's text made with another info"
refused "$text" "$skc" "not made for function $other" \
    "C refuses node's text for another function's checksum" "$other"
refused "$(node_ encrypt-v1 "$pkc" "$msg")" "$skc" \
    "fnh1: texts name no function.*fnhost encrypt -f ID" \
    "C refuses an fnh1 text, saying how to re-encrypt"
refused "$text=" "$skc" "bad base64url" "C refuses padding"

# node's refusals of C's texts.
text=$("$c" --interop-encrypt "$pkn" "$sum" "$msg" 2>"$tmp/err")
len=${#text}
! node_ decrypt "$skn" "$sum" "$(other_char "$text" $((len - 10)))" \
    >/dev/null 2>&1
ok $? "node refuses C's text with the tag altered"
! node_ decrypt "$skc" "$sum" "$text" >/dev/null 2>&1
ok $? "node refuses C's text with the wrong key"
! node_ decrypt "$skn" "$sum" "$text" "fnhost encrypt v0" >/dev/null 2>&1
ok $? "node refuses C's text under another info"
! node_ decrypt "$skn" "$other" "$text" >/dev/null 2>&1
ok $? "node refuses C's text under another function's checksum"

# ---- known answers ------------------------------------------------------------
kat=$(cd "$src/../../.." && pwd)/tests/kat/hpke/fnh2.txt
got=$(node_ kat "$kat" 2>"$tmp/err") && [ "$got" = "ok 2" ]
ok $? "@hpke/core makes the exact texts of tests/kat/hpke/fnh2.txt"

# ---- encrypted invokes ------------------------------------------------------
node_ ohttp-request 9 "$pkc" "$sum" "$msg" "$tmp/req" "$tmp/st.json" \
    2>"$tmp/err" &&
    got=$("$c" --interop-ohttp-serve 9 "$skc" "$sum" "$tmp/req" "$tmp/resp" \
    "the answer" 2>>"$tmp/err") && [ "$got" = "$msg" ]
ok $? "node's encrypted request opens in C"
got=$(node_ ohttp-response "$tmp/st.json" "$tmp/resp" 2>"$tmp/err") &&
    [ "$got" = "the answer" ]
ok $? "C's encrypted response opens in node"

"$c" --interop-ohttp-request 3 "$pkn" "$sum" "$msg" "$tmp/req2" "$tmp/st2" \
    2>"$tmp/err" &&
    got=$(node_ ohttp-serve 3 "$skn" "$sum" "$tmp/req2" "$tmp/resp2" "réponse" \
    2>>"$tmp/err") && [ "$got" = "$msg" ]
ok $? "C's encrypted request opens in node"
got=$("$c" --interop-ohttp-response "$tmp/st2" "$tmp/resp2" 2>"$tmp/err") &&
    [ "$got" = "réponse" ]
ok $? "node's encrypted response opens in C"

cp "$tmp/req" "$tmp/req.bad" && flip "$tmp/req.bad" 50
! "$c" --interop-ohttp-serve 9 "$skc" "$sum" "$tmp/req.bad" "$tmp/resp.bad" x \
    >/dev/null 2>"$tmp/msg" && grep -q "cannot decrypt request" "$tmp/msg"
ok $? "C refuses node's request with a bit flipped"
! "$c" --interop-ohttp-serve 8 "$skc" "$sum" "$tmp/req" "$tmp/resp.bad" x \
    >/dev/null 2>"$tmp/msg" && grep -q "unknown key id 9" "$tmp/msg"
ok $? "C refuses node's request for another key id"
! "$c" --interop-ohttp-serve 9 "$skc" "$other" "$tmp/req" "$tmp/resp.bad" x \
    >/dev/null 2>"$tmp/msg" && grep -q "not made for function $other" "$tmp/msg"
ok $? "C refuses node's request made for another function"
cp "$tmp/resp" "$tmp/resp.bad" && flip "$tmp/resp.bad" 40
! node_ ohttp-response "$tmp/st.json" "$tmp/resp.bad" >/dev/null 2>&1
ok $? "node refuses C's response with a bit flipped"
cp "$tmp/resp2" "$tmp/resp2.bad" && flip "$tmp/resp2.bad" 3
! "$c" --interop-ohttp-response "$tmp/st2" "$tmp/resp2.bad" >/dev/null \
    2>"$tmp/msg" && grep -q "cannot decrypt response" "$tmp/msg"
ok $? "C refuses node's response with its nonce altered"

echo "1..$n"
exit $failed
