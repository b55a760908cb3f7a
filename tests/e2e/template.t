#!/bin/sh
# template.t: what a new plugin author does, end to end.  Install fnhost
# under a temporary prefix, copy sdk/template, build it against the
# installed SDK through pkg-config, make a key pair, sign, verify (with
# fnhost and with minisign(1)) and run the plugin with `fnhost test`,
# checking its exact answers and the state it keeps between the invokes of
# one session.  TAP on stdout; FNHOST_BUILD is the absolute build directory.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
n=0
failed=0

ok() {		# ok STATUS DESCRIPTION: one TAP result
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}

diag() {	# diag FILE...: show files as TAP comments
	sed 's/^/# /' "$@" 2>/dev/null
}

# is GOT_FILE WANT_FILE DESCRIPTION: exact comparison, differences shown
is() {
	if cmp -s "$1" "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		echo "# got:"; diag "$1"
		echo "# want:"; diag "$2"
	fi
}

# bail REASON: the steps after this one can not run; end this script (as a
# failure) without stopping the other test scripts prove runs.
bail() {
	echo "# stopped: $*"
	[ $failed -gt 0 ] || ok 1 "$*"
	echo "1..$n"
	exit 1
}

[ -n "${FNHOST_BUILD:-}" ] || bail "FNHOST_BUILD is not set (run by make check)"
b=${FNHOST_BUILD##*/}
[ "$FNHOST_BUILD" = "$top/$b" ] ||
	bail "FNHOST_BUILD=$FNHOST_BUILD is not a build directory of $top"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fnhost-template.XXXXXX") ||
	bail "cannot make a temporary directory"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
prefix=$tmp/prefix
hello=$tmp/hello
bundle=$hello/bundle
fnhost=$prefix/bin/fnhost
# What the author's shell would have after installing under a prefix.
PATH=$prefix/bin:$PATH
PKG_CONFIG_PATH=$prefix/lib/pkgconfig
export PATH PKG_CONFIG_PATH
unset PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR
# Our makes are the author's, not parts of the one running the tests: drop
# what that one passes down (its jobserver, its command line variables).
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
# A sanitizer build of fnhost runs its workers in the relaxed sandbox.
if [ -n "${FNHOST_SANITIZER:-}" ]; then
	FNHOST_SANDBOX_RELAXED=1
	export FNHOST_SANDBOX_RELAXED
fi
# The tests bound every run of a plugin: a hang fails, never blocks prove.
limit="timeout -k 5 120"

# ---- install -------------------------------------------------------------
make -s -C "$top" install B="$b" \
	SANITIZER="${FNHOST_SANITIZER:-}" PREFIX="$prefix" \
	>"$tmp/install.out" 2>&1
st=$?
ok $st "make install PREFIX=<tmp>"
[ $st -eq 0 ] || { diag "$tmp/install.out"; bail "make install failed"; }

missing=
for f in bin/fnhost include/fnhost/plugin.h lib/pkgconfig/fnhost-plugin.pc \
    share/man/man1/fnhost.1 share/man/man3/fnhost-plugin.3; do
	[ -f "$prefix/$f" ] || missing="$missing $f"
done
[ -z "$missing" ]
ok $? "installed: fnhost, plugin.h, fnhost-plugin.pc, man pages"
[ -z "$missing" ] || echo "# missing:$missing"

# The .pc must point at this prefix, not at one an earlier build used.
pkg-config --cflags --libs fnhost-plugin >"$tmp/pc.out" 2>&1
printf '%s\n' "-I$prefix/include -fPIC -fvisibility=hidden -shared" \
	>"$tmp/pc.want"
sed 's/ *$//' "$tmp/pc.out" >"$tmp/pc.got"
is "$tmp/pc.got" "$tmp/pc.want" "pkg-config --cflags --libs fnhost-plugin"

# ---- build the template ----------------------------------------------------
cp -R "$top/sdk/template" "$hello" && rm -rf "$bundle"
make -s -C "$hello" >"$tmp/build.out" 2>&1
st=$?
ok $st "make in a copy of sdk/template"
[ $st -eq 0 ] || { diag "$tmp/build.out"; bail "the template does not build"; }

# Only the entry point may be visible.
nm -D --defined-only "$bundle/hello.so" 2>&1 |
	awk '$2 ~ /^[TDBRVW]$/ { print $3 }' >"$tmp/syms.got"
echo fnh_plugin_v1 >"$tmp/syms.want"
is "$tmp/syms.got" "$tmp/syms.want" "hello.so exports fnh_plugin_v1 only"

ls -A "$bundle" >"$tmp/ls.got"
echo hello.so >"$tmp/ls.want"
is "$tmp/ls.got" "$tmp/ls.want" "the bundle holds hello.so only"

# ---- keys ----------------------------------------------------------------
(umask 022 && fnhost keygen -p "$tmp/pub" -s "$tmp/key") \
	>"$tmp/keygen.out" 2>&1
ok $? "fnhost keygen"
diag "$tmp/keygen.out"

[ -f "$tmp/pub" ] && [ "$(stat -c %a "$tmp/key" 2>/dev/null)" = 600 ]
ok $? "keygen wrote the public key and a secret key of mode 0600"

fnhost keygen -p "$tmp/pub" -s "$tmp/key" >"$tmp/keygen2.out" 2>&1
st=$?
[ $st -eq 1 ] && [ "$(wc -l <"$tmp/keygen2.out")" -eq 1 ] &&
	grep -q '^fnhost keygen: ' "$tmp/keygen2.out"
ok $? "keygen refuses to overwrite a key without -f, in one line"
diag "$tmp/keygen2.out"

fnhost keygen -p "$tmp/other.pub" -s "$tmp/other.key" >/dev/null 2>&1
ok $? "fnhost keygen of a second key pair"

# ---- sign ----------------------------------------------------------------
make -s -C "$hello" sign KEY="$tmp/key" >"$tmp/sign.out" 2>"$tmp/sign.err"
ok $? "make sign (fnhost sign -s KEY bundle: name and version from the descriptor)"
diag "$tmp/sign.err"

(cd "$bundle" && sha256sum hello.so) >"$tmp/manifest.want"
is "$bundle/MANIFEST" "$tmp/manifest.want" "MANIFEST is sha256sum's output"

sum=$(cd "$bundle" && sha256sum MANIFEST | cut -d' ' -f1)
echo "$sum" >"$tmp/sum.want"
is "$tmp/sign.out" "$tmp/sum.want" "sign prints the checksum, sha256 of MANIFEST"

minisign -Vm "$bundle/MANIFEST" -p "$tmp/pub" >"$tmp/minisign.out" 2>&1
st=$?
ok $st "minisign -Vm MANIFEST verifies the signature"
[ $st -eq 0 ] || diag "$tmp/minisign.out"

grep '^Trusted comment: ' "$tmp/minisign.out" >"$tmp/tc.got"
echo "Trusted comment: name=hello version=1.0.0 abi=1 sha256=$sum" \
	>"$tmp/tc.want"
is "$tmp/tc.got" "$tmp/tc.want" "the trusted comment names the bundle"

# ---- verify --------------------------------------------------------------
fnhost verify -p "$tmp/pub" "$bundle" >"$tmp/verify.out" 2>&1
st=$?
ok $st "fnhost verify with the signer's key"
[ $st -eq 0 ] || diag "$tmp/verify.out"

fnhost verify -p "$tmp/other.pub" "$bundle" >"$tmp/verify2.out" 2>&1
st=$?
[ $st -eq 1 ] && [ "$(wc -l <"$tmp/verify2.out")" -eq 1 ] &&
	grep -q '^fnhost verify: ' "$tmp/verify2.out"
ok $? "fnhost verify with another key fails, in one line"
diag "$tmp/verify2.out"

# ---- test: one session per run, the count kept in its scratch dir --------
$limit fnhost test -o json "$bundle" world Ada >"$tmp/test1.out" 2>"$tmp/test1.err"
st=$?
ok $st "fnhost test -o json with two inputs exits 0"
diag "$tmp/test1.err"
cat >"$tmp/test1.want" <<'EOF'
{"ok":true,"output":"hello, world (invoke 1)"}
{"ok":true,"output":"hello, Ada (invoke 2)"}
EOF
is "$tmp/test1.out" "$tmp/test1.want" "the second invoke sees the first one's state"

# A new session starts with an empty scratch dir; a failed invoke is
# reported in place, counts, and leaves the session alive.
$limit fnhost test -o json "$bundle" "" "Grace Hopper" >"$tmp/test2.out" \
	2>"$tmp/test2.err"
[ $? -eq 1 ]
ok $? "fnhost test exits 1 when an invoke failed"
diag "$tmp/test2.err"
cat >"$tmp/test2.want" <<'EOF'
{"ok":false,"error":"input is empty: give a name"}
{"ok":true,"output":"hello, Grace Hopper (invoke 2)"}
EOF
is "$tmp/test2.out" "$tmp/test2.want" "a new session starts again; errors in place"

# The template's own target, in text mode, inputs from stdin.
printf 'world\nAda\n' |
	$limit make -s -C "$hello" test INPUT=- >"$tmp/test3.out" 2>"$tmp/test3.err"
ok $? "make test INPUT=- reads the inputs from stdin"
diag "$tmp/test3.err"
printf 'hello, world (invoke 1)\nhello, Ada (invoke 2)\n' >"$tmp/test3.want"
is "$tmp/test3.out" "$tmp/test3.want" "text mode prints one output per line"

echo "1..$n"
[ $failed -eq 0 ]
