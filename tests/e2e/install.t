#!/bin/sh
# install.t: make install into a DESTDIR puts every file where fnhostd(8)
# and the unit say, the unit passes systemd-analyze, an operator's
# fnhost.conf survives a second install, and uninstall takes back the rest.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${FNHOST_BUILD:?}" && pwd)
case $(basename "$build") in
build-*) san=SANITIZER=${build##*/build-} ;;
*) san= ;;
esac
dest=$(mktemp -d)
trap 'rm -rf "$dest" "$dest.log"' EXIT
n=0
fails=0
ok() {	# ok STATUS NAME
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fails=$((fails + 1))
	fi
}
inst() {
	make -s -C "$top" $san DESTDIR="$dest" PREFIX=/usr "$@" \
		>"$dest.log" 2>&1
}

inst install
ok $? "make install DESTDIR=... PREFIX=/usr"
missing=
for f in usr/bin/fnhost usr/bin/fnhostd usr/bin/fnhost-node \
	usr/libexec/fnhost/fnhost-zygote \
	usr/share/man/man1/fnhost-node.1 usr/include/fnhost/plugin.h \
	usr/lib/pkgconfig/fnhost-plugin.pc \
	usr/lib/systemd/system/fnhostd.service etc/fnhost/fnhost.conf \
	usr/lib/systemd/system/fnhostd@.service \
	usr/share/bash-completion/completions/fnhost \
	usr/share/man/man1/fnhost.1 usr/share/man/man5/fnhost.conf.5 \
	usr/share/man/man8/fnhostd.8 usr/share/man/man3/fnhost-plugin.3; do
	[ -e "$dest/$f" ] || missing="$missing $f"
done
[ -z "$missing" ]
ok $? "every file is installed${missing:+ (missing:$missing)}"

unit=$dest/usr/lib/systemd/system/fnhostd.service
grep -q '^ExecStart=/usr/bin/fnhostd -f -c /etc/fnhost/fnhost.conf ' "$unit"
ok $? "the unit runs the installed fnhostd with the installed config"

if command -v systemd-analyze >/dev/null 2>&1; then
	# Only what is wrong with the unit itself: the DESTDIR is no
	# booted system, so missing targets and /bin/kill are expected.
	for u in fnhostd.service fnhostd@staging.service; do
		bad=$(systemd-analyze verify --man=no --root="$dest" \
			/usr/lib/systemd/system/$u 2>&1 |
			grep -v -e 'sysinit.target' -e '/bin/kill')
		[ -z "$bad" ]
		ok $? "systemd-analyze verify finds nothing wrong with $u"
		[ -z "$bad" ] || echo "$bad" | sed 's/^/#   /'
	done
else
	n=$((n + 2))
	echo "ok $((n - 1)) # SKIP systemd-analyze is not installed"
	echo "ok $n # SKIP systemd-analyze is not installed"
fi
unit=$dest/usr/lib/systemd/system/fnhostd@.service
grep -q '^ExecStart=/usr/bin/fnhostd -f -c /etc/fnhost/%i.conf -d /var/lib/fnhost-%i$' "$unit" &&
	grep -q '^StateDirectory=fnhost-%i$' "$unit"
ok $? "fnhostd@NAME has its own config and data dir"

# The example config, every key uncommented, is what the defaults are.
sed -n 's/^#\([a-z_]* = .\)/\1/p' "$dest/etc/fnhost/fnhost.conf" \
	>"$dest/all.conf"
[ "$(wc -l <"$dest/all.conf")" -ge 20 ] &&
	"$dest/usr/bin/fnhostd" -t -c "$dest/all.conf"
ok $? "fnhostd -t accepts the example config with every key set"

# The installed fnhost runs a function in the sandbox: it found the zygote
# under its own prefix.  A copy of it elsewhere, without that tree, says
# which zygote it lacks.
sandbox=${san:+FNHOST_SANDBOX_RELAXED=1}
out=$(env $sandbox "$dest/usr/bin/fnhost" test "$build/tests/plugins/echo" \
	installed 2>&1)
[ "$out" = installed ]
ok $? "the installed fnhost runs a function with the installed zygote"
[ "$out" = installed ] || echo "#   $out"
mkdir -p "$dest/elsewhere/bin"
cp "$dest/usr/bin/fnhost" "$dest/elsewhere/bin/"
out=$(env $sandbox "$dest/elsewhere/bin/fnhost" test \
	"$build/tests/plugins/echo" x 2>&1)
st=$?
rm -rf "$dest/elsewhere"
[ $st -ne 0 ] && [ "$out" = "fnhost test: zygote: cannot run \
$dest/elsewhere/libexec/fnhost/fnhost-zygote: No such file or directory" ]
ok $? "without it, fnhost says which zygote it lacks, on one line"
[ $st -ne 0 ] || echo "#   $out"

echo "listen = 127.0.0.1:9999" >"$dest/etc/fnhost/fnhost.conf"
inst install
grep -q 9999 "$dest/etc/fnhost/fnhost.conf"
ok $? "a second install keeps the operator's fnhost.conf"

inst uninstall
left=$(cd "$dest" && find . -type f ! -name '*.conf' ! -name '*.log')
[ -z "$left" ]
ok $? "make uninstall removes what install put there${left:+ (left: $left)}"

rm -f "$dest.log"
echo "1..$n"
[ $fails -eq 0 ]
