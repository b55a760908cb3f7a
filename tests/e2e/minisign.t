#!/bin/sh
# minisign.t: interoperability with the real minisign(1), both ways.
# What fnhost signs, minisign verifies; what minisign signs (prehashed, with
# the trusted comment fnhost wants), fnhost verifies; each reads the
# other's public and secret keys, unencrypted and scrypt-encrypted.  A
# MANIFEST made with coreutils alone is accepted, which is the point of the
# format.  TAP on stdout; FNHOST_BUILD is the absolute build directory.
set -u

fnhost=${FNHOST_BUILD:?FNHOST_BUILD must name the build directory}/bin/fnhost
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
n=0

if ! command -v minisign >/dev/null 2>&1; then
	echo "1..0 # SKIP minisign(1) is not installed"
	exit 0
fi
# minisign must never touch the real ~/.minisign.
HOME=$tmp
export HOME

ok() {		# ok STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		[ -s "$tmp/err" ] && sed 's/^/# /' "$tmp/err"
	fi
	: >"$tmp/err"
}

# bundle DIR: a small bundle with a plugin and a resource file.
bundle() {
	mkdir "$1"
	printf '\177ELF pretend plugin\n' >"$1/fn.so"
	printf 'a resource\n' >"$1/private.pem"
}

# An fnhost key and bundle; minisign verifies the signature.
"$fnhost" keygen -p "$tmp/f.pub" -s "$tmp/f.key" >/dev/null 2>"$tmp/err"
ok $? "fnhost keygen"
bundle "$tmp/b1"
sum=$("$fnhost" sign -n fn -v 0 -s "$tmp/f.key" "$tmp/b1" 2>"$tmp/err")
ok $? "fnhost sign"
minisign -Vm "$tmp/b1/MANIFEST" -p "$tmp/f.pub" >"$tmp/out" 2>"$tmp/err"
ok $? "minisign -V verifies an fnhost signature with an fnhost public key"
grep -qx "Trusted comment: name=fn version=0 abi=1 sha256=$sum" "$tmp/out"
ok $? "minisign shows fnhost's trusted comment"

# A minisign key; a MANIFEST made by coreutils, signed by minisign -H.
minisign -G -W -p "$tmp/m.pub" -s "$tmp/m.key" </dev/null >/dev/null \
    2>"$tmp/err"
ok $? "minisign -G -W"
bundle "$tmp/b2"
(cd "$tmp/b2" && sha256sum -- * | LC_ALL=C sort -k2 >"$tmp/m") &&
    mv "$tmp/m" "$tmp/b2/MANIFEST"
sum=$(sha256sum "$tmp/b2/MANIFEST" | cut -d' ' -f1)
minisign -S -H -s "$tmp/m.key" -m "$tmp/b2/MANIFEST" \
    -t "name=fromminisign version=3 abi=1 sha256=$sum" >/dev/null 2>"$tmp/err"
ok $? "minisign -SH signs a coreutils MANIFEST"
"$fnhost" verify -p "$tmp/m.pub" "$tmp/b2" >"$tmp/out" 2>"$tmp/err" &&
    [ "$(sed -n 1p "$tmp/out")" = "$sum" ] &&
    grep -q "^name=fromminisign version=3 " "$tmp/out"
ok $? "fnhost verify accepts it with a minisign public key"

# Legacy signatures over the whole file (-l; minisign 0.11 prehashes by
# default) are refused by name.
minisign -S -l -s "$tmp/m.key" -m "$tmp/b2/MANIFEST" \
    -t "name=fromminisign version=3 abi=1 sha256=$sum" >/dev/null 2>&1
"$fnhost" verify -p "$tmp/m.pub" "$tmp/b2" >/dev/null 2>"$tmp/out"
[ $? -eq 1 ] && grep -q "legacy non-prehashed signature" "$tmp/out"
ok $? "fnhost refuses a legacy (not prehashed) minisign signature"

# minisign's default trusted comment is not a bundle's.
minisign -S -H -s "$tmp/m.key" -m "$tmp/b2/MANIFEST" >/dev/null 2>&1
"$fnhost" verify -p "$tmp/m.pub" "$tmp/b2" >/dev/null 2>"$tmp/out"
[ $? -eq 1 ] && grep -q "trusted comment 'timestamp:" "$tmp/out"
ok $? "fnhost refuses a signature without the bundle's trusted comment"

# Each reads the other's secret key.
bundle "$tmp/b3"
"$fnhost" sign -n fn -v 0 -s "$tmp/m.key" "$tmp/b3" >/dev/null 2>"$tmp/err" &&
    minisign -Vm "$tmp/b3/MANIFEST" -p "$tmp/m.pub" >/dev/null 2>"$tmp/err"
ok $? "fnhost signs with a minisign secret key"
echo data >"$tmp/file"
minisign -S -H -s "$tmp/f.key" -m "$tmp/file" </dev/null >/dev/null \
    2>"$tmp/err" &&
    minisign -Vm "$tmp/file" -p "$tmp/f.pub" >/dev/null 2>"$tmp/err"
ok $? "minisign signs with an fnhost secret key"

# Encrypted secret keys (scrypt), with the password from a file or stdin.
printf 'correct horse\n' >"$tmp/pw"
printf 'wrong horse\n' >"$tmp/badpw"
"$fnhost" keygen -P "$tmp/pw" -p "$tmp/fe.pub" -s "$tmp/fe.key" \
    >/dev/null 2>"$tmp/err"
ok $? "fnhost keygen -P makes an encrypted key"
minisign -S -H -s "$tmp/fe.key" -m "$tmp/file" -x "$tmp/file.sig" \
    <"$tmp/pw" >/dev/null 2>"$tmp/err" &&
    minisign -Vm "$tmp/file" -x "$tmp/file.sig" -p "$tmp/fe.pub" \
    >/dev/null 2>"$tmp/err"
ok $? "minisign decrypts and signs with an encrypted fnhost key"
printf 'correct horse\ncorrect horse\n' |
    minisign -G -p "$tmp/me.pub" -s "$tmp/me.key" >/dev/null 2>"$tmp/err"
ok $? "minisign -G makes an encrypted key"
bundle "$tmp/b4"
"$fnhost" sign -n fn -v 0 -P "$tmp/pw" -s "$tmp/me.key" "$tmp/b4" >/dev/null \
    2>"$tmp/err" &&
    "$fnhost" verify -p "$tmp/me.pub" "$tmp/b4" >/dev/null 2>"$tmp/err" &&
    minisign -Vm "$tmp/b4/MANIFEST" -p "$tmp/me.pub" >/dev/null 2>"$tmp/err"
ok $? "fnhost sign -P decrypts an encrypted minisign key"
"$fnhost" sign -n fn -v 0 -P "$tmp/badpw" -s "$tmp/me.key" "$tmp/b4" >/dev/null \
    2>"$tmp/out"
[ $? -eq 1 ] && grep -q "wrong password for that secret key" "$tmp/out"
ok $? "fnhost sign refuses a wrong password"
"$fnhost" sign -n fn -v 0 -s "$tmp/me.key" "$tmp/b4" >/dev/null 2>"$tmp/out"
[ $? -eq 1 ] && grep -q "secret key is encrypted; give its password" \
    "$tmp/out"
ok $? "fnhost sign asks for -P on an encrypted key"

echo "1..$n"
