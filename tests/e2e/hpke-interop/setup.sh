#!/bin/sh
# setup.sh WORKDIR: install the node side of the HPKE interop tests
# (@hpke/core and @hpke/chacha20poly1305, exactly as package-lock.json
# pins them) into WORKDIR, unless it is there and up to date.  Shared by
# hpke-interop.t and encrypt.t.  Prints the reason and exits 1 on failure.
set -u
src=$(cd "$(dirname "$0")" && pwd)
work=${1:?usage: setup.sh WORKDIR}

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1
then
	echo "node or npm is not installed (Debian: nodejs npm)"
	exit 1
fi
mkdir -p "$work" || exit 1
cp "$src/fnh-hpke.mjs" "$work/" || exit 1
if [ ! -d "$work/node_modules/@hpke/core" ] ||
    ! cmp -s "$src/package-lock.json" "$work/package-lock.json"; then
	cp "$src/package.json" "$src/package-lock.json" "$work/" || exit 1
	if ! (cd "$work" && timeout 300 npm ci --no-audit --no-fund \
	    --loglevel=error) >/dev/null 2>&1; then
		echo "npm ci of @hpke/core and @hpke/chacha20poly1305 failed:" \
		    "is the npm registry reachable?"
		exit 1
	fi
fi
