#!/bin/sh
# Make sure every library and tool the build uses is present, installing
# Debian packages (as root) for whatever is missing.  Prints nothing when
# all is there, so it is cheap to run on every make.
#
#	sh mk/deps.sh		what make, make run and make install need
#	sh mk/deps.sh test	and what make check needs besides
#	sh mk/deps.sh fuzz	and what make fuzz needs besides
set -eu

pkgs=""
need_pc() {	# need_pc MODULE PACKAGE
	pkg-config --exists "$1" 2>/dev/null || pkgs="$pkgs $2"
}
need_cmd() {	# need_cmd COMMAND PACKAGE; sbin counts for a plain user too
	PATH="$PATH:/usr/sbin:/sbin" command -v "$1" >/dev/null 2>&1 ||
		pkgs="$pkgs $2"
}
need_py() {	# need_py MODULE PACKAGE (Debian's python3, not another one)
	/usr/bin/python3 -c "import $1" >/dev/null 2>&1 || pkgs="$pkgs $2"
}

command -v pkg-config >/dev/null 2>&1 || pkgs="$pkgs pkg-config"
need_cmd cc gcc
need_pc libseccomp libseccomp-dev
need_pc openssl libssl-dev
need_pc json-c libjson-c-dev
need_pc libmicrohttpd libmicrohttpd-dev
need_pc libcurl libcurl4-openssl-dev
need_pc libjwt libjwt-dev
need_pc libpq libpq-dev
need_cmd openssl openssl
# make run waits for fnhostd's /healthz with it, and prints a curl session
need_cmd curl curl

# make check alone: the unit test framework and what the tests drive.
if [ "${1:-}" = test ]; then
	need_pc cmocka libcmocka-dev
	need_cmd minisign minisign
	need_cmd mandoc mandoc
	need_cmd prove perl
	need_cmd ip iproute2
	need_cmd tc iproute2
	# tests/cluster runs dist/haproxy.cfg in a real one
	need_cmd haproxy haproxy
	# crashwrite.t kills fnhostd at each writing system call with it
	need_cmd strace strace
	# registry.t and tests/cluster run a real PostgreSQL (store = postgres)
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 ||
		pkgs="$pkgs postgresql"
	need_cmd node nodejs
	need_cmd npm npm
	# the browser test drives Debian's chromium (never a downloaded one)
	need_cmd chromium chromium
	need_cmd clang-format clang-format
	# install.t verifies both systemd units with it
	need_cmd systemd-analyze systemd
	need_cmd /usr/bin/python3 python3
	need_py geopy python3-geopy
	need_py Cryptodome python3-pycryptodome
	# authhostile.t opens sealed answers with its own HPKE
	need_py cryptography python3-cryptography
fi

# make fuzz alone: clang with libFuzzer and its sanitizer runtimes.
if [ "${1:-}" = fuzz ]; then
	need_cmd clang clang
	ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a \
	    >/dev/null 2>&1 || pkgs="$pkgs libclang-rt-14-dev"
fi

[ -z "$pkgs" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "missing packages:$pkgs (run make as root, or apt-get install them)" >&2
	exit 1
fi
echo "installing:$pkgs" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# shellcheck disable=SC2086 # word splitting of the package list is wanted
apt-get install -y -qq --no-install-recommends $pkgs >&2
