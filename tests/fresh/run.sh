#!/bin/sh
# make check-fresh: the README's first two commands on a fresh Debian 12.
#
# Builds a minbase bookworm root with debootstrap (plus make, which the
# README assumes) from the Debian mirror this machine's apt uses, puts
# the repository's HEAD (git archive: what is committed, not the work
# tree) in /root/fnhost and in a plain user's home, and inside it runs
# inside.sh: for root, then the plain user, `make run` and the README's
# walkthrough against it (walkthrough.sh), then `make check`; root also
# the README's plugin block after make install.  The log of each step
# is on stdout.  Exits 0 when all of that passed, 77 when it could not
# run here (not root, no debootstrap, no checkout, no mirror, the
# mirror unreachable, or out of time: what it needs, not a defect; the
# reason on stderr), 1 when a step failed.
#
# The root is entered in a mount and pid namespace of its own, with
# pivot_root rather than chroot alone: the kernel refuses a chrooted
# process new user namespaces (unshare(2), EPERM), which the sandbox
# makes as a plain user.  /proc, /sys and /dev are mounted in that
# namespace only and go with it, as does every process left inside.
#
# Needs root, debootstrap and the network to the mirror (and to npm for
# the tests that install JavaScript packages).  Environment:
#	FNHOST_FRESH_MIRROR	the mirror (default: apt's, for bookworm)
#	FNHOST_FRESH_TIMEOUT	seconds for all of it (default 5400)
#	FNHOST_FRESH_DIR	its work dir (default build/fresh): the
#				cached root and apt's downloads, the root
#	FNHOST_FRESH_KEEP=1	keep the root (its path is printed)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
PATH=$PATH:/usr/sbin:/sbin
limit=${FNHOST_FRESH_TIMEOUT:-5400}
suite=bookworm
user=fresh
start=$(date +%s)

die() {
	echo "check-fresh: $*" >&2
	exit 1
}
cannot() {	# it can not run here: what it needs is missing
	echo "check-fresh: can not run here: $*" >&2
	exit 77
}
step() {
	echo "== $(($(date +%s) - start))s: $*"
}
left() {	# seconds left of the budget, at least 1
	l=$((limit - ($(date +%s) - start)))
	[ $l -gt 0 ] && echo $l || echo 1
}

[ "$(id -u)" = 0 ] || cannot "needs root (debootstrap, namespaces, mounts)"
command -v debootstrap >/dev/null ||
	cannot "needs debootstrap (apt-get install debootstrap)"
if ! git -C "$top" rev-parse HEAD >/dev/null 2>&1; then
	cannot "needs git and a checkout: the root gets HEAD by git archive"
fi

# apt's sources as "URI SUITE" lines: one-line .list entries and deb822
# .sources stanzas (Types: deb, not Enabled: no), of the bookworm suites.
sources() {
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) while ($i !~ /\]$/) i++;
			if ($2 ~ /^\[/) i++; print $i, $(i + 1) }' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk 'function flush() { if (deb && on) for (u in U) for (s in S)
				print U[u], S[s]; deb = 0; on = 1; split("", U);
				split("", S) }
			BEGIN { on = 1 }
			/^[ \t]*$/ { flush(); next }
			/^#/ { next }
			tolower($1) == "types:" { for (i = 2; i <= NF; i++)
				if ($i == "deb") deb = 1 }
			tolower($1) == "enabled:" { on = tolower($2) != "no" }
			tolower($1) == "uris:" { for (i = 2; i <= NF; i++) U[i] = $i }
			tolower($1) == "suites:" { for (i = 2; i <= NF; i++) S[i] = $i }
			END { flush() }' "$f"
	done | awk -v s="$suite" '$2 == s || index($2, s "-") == 1' | sort -u
}
mirror=${FNHOST_FRESH_MIRROR:-$(sources | awk -v s="$suite" '$2 == s { print $1; exit }')}
[ -n "$mirror" ] || cannot "no $suite mirror in apt's sources (set FNHOST_FRESH_MIRROR)"

# Its work dir is the build dir's: make clean forgets it.  The
# minbase root debootstrap made is kept there as a tarball (with the
# mirror it came from), and apt's downloads and lists in a dir of their
# own that each run's root mounts: a second run downloads nothing that
# has not changed on the mirror, and still starts from a root that has
# never seen the project.
work=${FNHOST_FRESH_DIR:-$top/build/fresh}
mkdir -p "$work/apt/archives/partial" "$work/apt/lists/partial"
base=$work/base-$suite.tar
root=$work/root
[ -e "$root" ] && ! grep -q " ${root}[/ ]" /proc/self/mounts &&
	rm -rf "$root"
[ -e "$root" ] && die "$root is still mounted: another check-fresh?"
mkdir "$root"
chmod 755 "$root" # it is /, which the plain user must pass
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	# Nothing is mounted here on this side; refuse to remove it if
	# something is, rather than follow a mount into the host.
	if [ "${FNHOST_FRESH_KEEP:-}" = 1 ]; then
		echo "check-fresh: the root is kept in $root"
	elif grep -q " ${root}[/ ]" /proc/self/mounts; then
		echo "check-fresh: $root has mounts; left as it is" >&2
	else
		rm -rf "$root"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

if [ -f "$base" ] && [ "$(cat "$base.mirror" 2>/dev/null)" = "$mirror" ]; then
	step "the minbase $suite root of $(date -r "$base" +%F) into $root"
	tar -x -C "$root" -f "$base"
else
	step "debootstrap --variant=minbase $suite from $mirror into $root"
	rm -f "$base" "$base.mirror"
	timeout "$(left)" debootstrap --variant=minbase --include=make \
		--cache-dir="$work/apt/archives" "$suite" "$root" "$mirror" \
		>"$work/debootstrap.log" 2>&1 || {
		tail -20 "$work/debootstrap.log"
		cannot "debootstrap from $mirror failed (the log above)"
	}
	tar -c -C "$root" -f "$base.tmp" .
	mv "$base.tmp" "$base"
	echo "$mirror" >"$base.mirror"
fi

# The machine's apt sources for bookworm (updates and security too, as
# a fresh install has them), its resolver, and its CA certificates, so
# that a network behind a TLS-inspecting proxy reaches npm from inside
# as it does from here; the variables that point at them are passed in.
sources | awk '{ print "deb", $1, $2, "main" }' >"$root/etc/apt/sources.list"
[ -n "${FNHOST_FRESH_MIRROR:-}" ] &&
	echo "deb $mirror $suite main" >"$root/etc/apt/sources.list"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
mkdir -p "$root/etc/ssl/certs" "$root/usr/local/share/ca-certificates"
[ -f /etc/ssl/certs/ca-certificates.crt ] &&
	cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
cp -L /usr/local/share/ca-certificates/*.crt \
	"$root/usr/local/share/ca-certificates/" 2>/dev/null || :
pass=""
for v in SSL_CERT_FILE NODE_EXTRA_CA_CERTS http_proxy https_proxy no_proxy; do
	eval "val=\${$v:-}"
	[ -n "$val" ] || continue
	case $v in
	*_proxy) ;;
	*) [ -f "$val" ] || continue
		mkdir -p "$root$(dirname "$val")"
		[ -f "$root$val" ] || cp -L "$val" "$root$val" ;;
	esac
	pass="$pass $v=$val"
done

step "HEAD ($(git -C "$top" rev-parse --short HEAD)) into /root/fnhost and /home/$user/fnhost"
chroot "$root" useradd -m -s /bin/sh "$user"
for d in "$root/root/fnhost" "$root/home/$user/fnhost"; do
	mkdir -p "$d"
	git -C "$top" archive --format=tar HEAD | tar -x -C "$d"
done
chroot "$root" chown -R "$user:$user" "/home/$user/fnhost"
cp "$top/tests/fresh/inside.sh" "$top/tests/fresh/walkthrough.sh" "$root/"

# Into the namespace: mount, pivot, drop the old root, run inside.sh as
# its pid 1 with a clean environment.
step "inside: make run, its walkthrough, make check: as root, then as $user"
set +e
# shellcheck disable=SC2086,SC2016 # $pass is words of VAR=value; the
# script's variables are its own
timeout -k 30 "$(left)" unshare --mount --pid --kill-child \
	--propagation private sh -euc '
	r=$1 a=$2; shift 2
	mount --bind "$r" "$r"
	mount --bind "$a/archives" "$r/var/cache/apt/archives"
	mount --bind "$a/lists" "$r/var/lib/apt/lists"
	mount -t proc proc "$r/proc"
	mount --rbind /sys "$r/sys"
	mount --rbind /dev "$r/dev"
	mkdir -p "$r/.host"
	cd "$r"
	pivot_root . .host
	cd /
	umount -l /.host
	rmdir /.host
	exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 TERM=dumb "$@" /bin/sh /inside.sh
	' sh "$root" "$work/apt" $pass FNHOST_FRESH_USER="$user"
rc=$?
set -e
# timeout's own codes: out of time (TERM, then KILL after -k).
if [ $rc = 124 ] || [ $rc = 137 ]; then
	step "out of time after $(($(date +%s) - start))s of $limit"
	cannot "out of time (FNHOST_FRESH_TIMEOUT=$limit)"
fi
step "done: $([ $rc = 0 ] && echo passed || echo "FAILED (exit $rc)")"
exit $rc
