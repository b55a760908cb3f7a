#!/bin/sh
# setup.sh WORKDIR: playwright-core (exactly as package-lock.json pins it;
# it drives Debian's /usr/bin/chromium and downloads no browser) installed
# into WORKDIR by `npm ci`, unless it is there and up to date.  Prints the
# reason and exits 1 on failure.
set -u
src=$(cd "$(dirname "$0")" && pwd)
work=${1:?usage: setup.sh WORKDIR}

if [ ! -x /usr/bin/chromium ]; then
	echo "chromium is not installed (Debian: chromium; mk/deps.sh test)"
	exit 1
fi
mkdir -p "$work" || exit 1
cp "$src/game.mjs" "$work/" || exit 1
if [ ! -d "$work/node_modules/playwright-core" ] ||
    ! cmp -s "$src/package-lock.json" "$work/package-lock.json"; then
	cp "$src/package.json" "$src/package-lock.json" "$work/" || exit 1
	if ! (cd "$work" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 300 \
	    npm ci --no-audit --no-fund --loglevel=error) >/dev/null 2>&1; then
		echo "npm ci of playwright-core failed: is the npm registry" \
		    "reachable?"
		exit 1
	fi
fi
