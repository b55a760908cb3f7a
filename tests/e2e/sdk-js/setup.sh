#!/bin/sh
# setup.sh WORKDIR: sdk/js (its src/ and test/) copied into WORKDIR with
# its dependencies installed there by `npm ci`, exactly as
# sdk/js/package-lock.json pins them, unless they are there and up to
# date.  Node resolves the client's imports from where its files are,
# hence the copy.  Shared by sdk-js.t and browser.t.  Prints the reason
# and exits 1 on failure.
set -u
top=$(cd "$(dirname "$0")/../../.." && pwd)
js=$top/sdk/js
work=${1:?usage: setup.sh WORKDIR}

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1
then
	echo "node or npm is not installed (Debian: nodejs npm)"
	exit 1
fi
mkdir -p "$work" || exit 1
rm -rf "$work/src" "$work/test"
cp -r "$js/src" "$js/test" "$work/" || exit 1
if [ ! -d "$work/node_modules/@hpke/core" ] ||
    ! cmp -s "$js/package-lock.json" "$work/package-lock.json"; then
	cp "$js/package.json" "$js/package-lock.json" "$work/" || exit 1
	if ! (cd "$work" && timeout 300 npm ci --no-audit --no-fund \
	    --loglevel=error) >/dev/null 2>&1; then
		echo "npm ci of sdk/js's dependencies failed: is the npm" \
		    "registry reachable?"
		exit 1
	fi
fi
