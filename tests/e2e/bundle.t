#!/bin/sh
# bundle.t: fnhost keygen, sign and verify from the command line.  A good
# bundle verifies and prints the checksum coreutils computes; every way of
# breaking it (wrong key, changed, missing or extra file, bad name, symlink,
# subdirectory, no signature, edited MANIFEST) is refused with exit status 1
# and one line naming what was wrong.  TAP on stdout; FNHOST_BUILD is the
# absolute build directory.
set -u

fnhost=${FNHOST_BUILD:?FNHOST_BUILD must name the build directory}/bin/fnhost
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
n=0

ok() {		# ok STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
	fi
}

diag() {
	sed 's/^/# /' "$@"
}

# refuses DIR WANT DESCRIPTION [KEY]: verify must exit 1 with exactly one
# line on stderr that holds WANT.
refuses() {
	"$fnhost" verify -p "${4:-$tmp/k1.pub}" "$1" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq 1 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
	    grep -qF -- "$2" "$tmp/err" && [ ! -s "$tmp/out" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		echo "# exit $rc, want 1 and '$2'; stderr:"
		diag "$tmp/err"
	fi
}

# broken NAME: a fresh copy of the good bundle to break.
broken() {
	rm -rf "${tmp:?}/$1"
	cp -a "$tmp/good" "$tmp/$1"
	echo "$tmp/$1"
}

"$fnhost" keygen -p "$tmp/k1.pub" -s "$tmp/k1.key" >/dev/null
ok $? "keygen makes a key pair"
[ "$(stat -c %a "$tmp/k1.key")" = 600 ]
ok $? "the secret key is mode 0600"
"$fnhost" keygen -p "$tmp/k2.pub" -s "$tmp/k2.key" >/dev/null
"$fnhost" keygen -p "$tmp/k1.pub" -s "$tmp/k1.key" 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "k1.pub exists; use -f to overwrite it" "$tmp/err"
ok $? "keygen refuses to overwrite a key without -f"
cp "$tmp/k2.pub" "$tmp/k3.pub"
"$fnhost" keygen -f -p "$tmp/k3.pub" -s "$tmp/k3.key" >/dev/null &&
    ! cmp -s "$tmp/k2.pub" "$tmp/k3.pub"
ok $? "keygen -f overwrites"

mkdir "$tmp/good"
printf '\177ELF pretend plugin\n' >"$tmp/good/fn.so"
printf 'a resource\n' >"$tmp/good/data.txt"
printf '' >"$tmp/good/with space"
"$fnhost" sign -s "$tmp/k1.key" "$tmp/good" 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "cannot read the plugin's name and version: .*(or give both -n and -v)" "$tmp/err"
ok $? "sign without -n and -v refuses a plugin it can not load"
sum=$("$fnhost" sign -s "$tmp/k1.key" -n fn -v 0 "$tmp/good")
ok $? "sign"
(cd "$tmp/good" && sha256sum -- data.txt fn.so "with space") >"$tmp/want"
cmp -s "$tmp/want" "$tmp/good/MANIFEST"
ok $? "MANIFEST is what sha256sum prints, sorted by name"
want=$(sha256sum "$tmp/good/MANIFEST" | cut -d' ' -f1)
[ "$sum" = "$want" ]
ok $? "sign prints the checksum, SHA-256 of MANIFEST"

"$fnhost" verify -p "$tmp/k1.pub" "$tmp/good" >"$tmp/out" 2>"$tmp/err"
ok $? "verify accepts the good bundle"
[ "$(sed -n 1p "$tmp/out")" = "$want" ]
ok $? "verify prints the same checksum as sha256sum MANIFEST"
[ "$(sed -n 2p "$tmp/out")" = "name=fn version=0 plugin=fn.so files=3" ]
ok $? "verify prints the signed name, version, plugin and file count"
"$fnhost" verify -p "$tmp/k2.pub" -p "$tmp/k1.pub" "$tmp/good" >/dev/null
ok $? "verify finds the signer among several -p keys"

d=$(broken named)
"$fnhost" sign -s "$tmp/k1.key" -n hello -v 1.2.3 "$d" >/dev/null &&
    "$fnhost" verify -p "$tmp/k1.pub" "$d" | grep -qx \
    "name=hello version=1.2.3 plugin=fn.so files=3"
ok $? "sign -n -v set the trusted name and version"

refuses "$tmp/good" "signature was made by key" "refuses a wrong key" \
    "$tmp/k2.pub"
d=$(broken changed); echo more >>"$d/data.txt"
refuses "$d" "file 'data.txt' does not match MANIFEST" \
    "refuses a changed file"
d=$(broken missing); rm "$d/data.txt"
refuses "$d" "file 'data.txt' named in MANIFEST is missing" \
    "refuses a missing file"
d=$(broken extra); echo x >"$d/extra"
refuses "$d" "file 'extra' is not in MANIFEST" "refuses an extra file"
d=$(broken hidden); echo x >"$d/.x"
"$fnhost" verify -p "$tmp/k1.pub" "$d" >/dev/null 2>"$tmp/err"
ok $? "verify leaves a dotfile out, as test and deploy do"
d=$(broken symlink); ln -s /etc/passwd "$d/link"
refuses "$d" "file 'link' is a symlink" "refuses a symlink"
d=$(broken symlinked); mv "$d/data.txt" "$tmp/data.txt"
ln -s "$tmp/data.txt" "$d/data.txt"
refuses "$d" "file 'data.txt' is a symlink" \
    "refuses a symlink in place of a MANIFEST file"
d=$(broken subdir); mkdir "$d/sub"
refuses "$d" "file 'sub' is a directory (bundles are flat)" \
    "refuses a subdirectory"
d=$(broken unsigned); rm "$d/MANIFEST.minisig"
refuses "$d" "file 'MANIFEST.minisig' is missing" "refuses an unsigned bundle"
d=$(broken edited)
printf '%064d  zz\n' 0 >>"$d/MANIFEST"
refuses "$d" "signature verification failed" "refuses an edited MANIFEST"

d=$(broken twoplugins); cp "$d/fn.so" "$d/gn.so"
"$fnhost" sign -s "$tmp/k1.key" -n fn -v 0 "$d" 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "bundle holds two .so files" "$tmp/err"
ok $? "sign refuses a bundle with two .so files"

for cmd in keygen sign verify; do
	"$fnhost" "$cmd" -h >"$tmp/out" 2>&1 &&
	    grep -q "^usage: fnhost $cmd " "$tmp/out"
	ok $? "$cmd -h prints its usage on stdout"
	"$fnhost" "$cmd" >/dev/null 2>&1
	[ $? -eq 2 ]
	ok $? "$cmd without arguments is a usage error"
done

echo "1..$n"
