#!/bin/sh
# make run: fnhostd in the foreground on 127.0.0.1:8080 with its state in
# ./var, the development publisher key trusted and the seed plugins
# deployed; prints what to try.  Ctrl-C stops it.
#
# Everything here goes through the fnhost client, as an operator would.
# Running it again reuses the state in ./var: a seed plugin already
# deployed with the same checksum is not deployed twice.
set -eu
b=${FNHOST_BUILD:?}
addr=${FNHOST_LISTEN:-127.0.0.1:8080}
var=${FNHOST_VAR:-var}
fnhost=$b/bin/fnhost
export FNHOST_URL=http://$addr

mkdir -p "$var"
var=$(cd "$var" && pwd)
# The scratch root is fnhostd's default for this data dir: var/scratch,
# or /var/tmp/fnhost-HASH when workers under their own uids can not pass
# into ./var (a checkout under /root, mode 0700); never another
# fnhostd's.
: >"$var/fnhost.conf"
# The zygote loads the seed plugins' libraries once (libcrypto takes
# milliseconds to load at every session start otherwise).
printf 'worker_preload = %s\n' "$(objdump -p "$b"/plugins/*/*.so |
	awk '$1 == "NEEDED" && $2 !~ /^libc[.]/ { print $2 }' | sort -u |
	tr '\n' ' ')" >>"$var/fnhost.conf"
# Sanitizer builds need the relaxed sandbox (README.md, fnhost.conf(5)).
if [ "${FNHOST_SANDBOX_RELAXED:-}" = 1 ]; then
	echo 'sandbox_relaxed = yes' >>"$var/fnhost.conf"
fi
# The hide-and-seek page (GET /app/hide-and-seek/): the page, the
# JavaScript client and its HPKE modules (npm ci once, then offline).
app=""
if sh tests/e2e/sdk-js/setup.sh "$b/sdk-js" >"$var/app.log" 2>&1 &&
    node mk/app.mjs "$b/sdk-js/node_modules" "$b/app" >>"$var/app.log" 2>&1
then
	printf 'app_dir = %s/app\n' "$b" >>"$var/fnhost.conf"
	app=yes
else
	echo "make run: no hide-and-seek page (see $var/app.log)" >&2
fi
"$b/bin/fnhostd" -f -c "$var/fnhost.conf" -d "$var" -l "$addr" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid; exit $?' INT TERM
i=0
until curl -fsS "$FNHOST_URL/healthz" >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 $pid 2>/dev/null; then
		echo "make run: fnhostd did not start" >&2
		exit 1
	fi
	sleep 0.1
done
export FNHOST_TOKEN=@$var/keys/admin.token

"$fnhost" trust add "$b/dev-publisher.pub" >/dev/null

# deploy NAME: print the id of the function with NAME's checksum,
# deploying it first if the host has none.
deploy() {
	sum=$(sha256sum "$b/plugins/$1/MANIFEST" | cut -d' ' -f1)
	id=$("$fnhost" list | awk -v s="$sum" '$4 == s { print $1; exit }')
	if [ -z "$id" ]; then
		id=$("$fnhost" deploy "$b/plugins/$1" | awk '$1 == "id" { print $2 }')
	fi
	echo "$id"
}

hs=$(deploy hide_and_seek)
le=$(deploy leader_election)
hs_sum=$(sha256sum "$b/plugins/hide_and_seek/MANIFEST" | cut -d' ' -f1)
le_sum=$(sha256sum "$b/plugins/leader_election/MANIFEST" | cut -d' ' -f1)
hs_tok=$("$fnhost" token create --ttl 86400 --pin "$hs_sum" "$hs")
le_tok=$("$fnhost" token create --ttl 86400 --pin "$le_sum" "$le")

cat <<EOT

fnhostd is serving on $FNHOST_URL, its state in $var (admin token in
$var/keys/admin.token).  Paste these into another shell:

export PATH=$b/bin:\$PATH FNHOST_URL=$FNHOST_URL
export HS=$hs HS_SUM=$hs_sum
export HS_TOKEN=$hs_tok
export LE=$le LE_SUM=$le_sum LE_KEY=$b/plugins/leader_election/public.pem
export LE_TOKEN=$le_tok

${app:+Play hide and seek in a browser (two windows: hide in one, seek in the other):
$FNHOST_URL/app/hide-and-seek/#f=$hs&c=$hs_sum&t=$hs_tok

}Play hide and seek: one session, the hider's position, then a guess.
fnhost run -t "\$HS_TOKEN" -c "\$HS_SUM" "\$HS" '{"latitude": 48.8584, "longitude": 2.2945}' '{"latitude": 48.8606, "longitude": 2.3376}'

The same session with curl.
s=\$(curl -s -X POST -H "Authorization: Bearer \$HS_TOKEN" -H "Fnhost-Function-Checksum: \$HS_SUM" "\$FNHOST_URL/v1/functions/\$HS/sessions" | sed 's/.*"session":"\([0-9a-f]*\)".*/\1/')
curl -s -H "Authorization: Bearer \$HS_TOKEN" --data-binary '{"latitude": 48.8584, "longitude": 2.2945}' "\$FNHOST_URL/v1/sessions/\$s/invoke"
curl -s -H "Authorization: Bearer \$HS_TOKEN" --data-binary '{"latitude": 48.8606, "longitude": 2.3376}' "\$FNHOST_URL/v1/sessions/\$s/invoke"; echo
curl -s -X DELETE -H "Authorization: Bearer \$HS_TOKEN" "\$FNHOST_URL/v1/sessions/\$s"

Run an election.
fnhost run -t "\$LE_TOKEN" -c "\$LE_SUM" "\$LE" '{"node_list": [5000, 5001, 5002]}'

Ctrl-C stops the host.
EOT
wait $pid
