#!/bin/sh
# make run: fnhostd in the foreground on 127.0.0.1:8080 with its state in
# ./var, the development publisher key trusted and the seed plugins
# deployed; prints what to try.  Ctrl-C stops it.
set -eu
b=${FNHOST_BUILD:?}
addr=${FNHOST_LISTEN:-127.0.0.1:8080}
url=http://$addr
var=${FNHOST_VAR:-var}
export FNHOST_URL=$url

mkdir -p "$var"
"$b/bin/fnhostd" -f -d "$var" -l "$addr" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid' INT TERM
i=0
until curl -fsS "$url/healthz" >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 $pid 2>/dev/null; then
		echo "make run: fnhostd did not start" >&2
		exit 1
	fi
	sleep 0.1
done
admin=$(cat "$var/keys/admin.token")

# Trust the development key, then deploy each seed plugin once: a
# function already deployed with the same checksum is reused.
curl -fsS -H "Authorization: Bearer $admin" --data-binary "@$b/dev-publisher.pub" \
	"$url/v1/trust" >/dev/null
deploy() {	# deploy NAME -> prints the function id
	dir=$b/plugins/$1
	sum=$(sha256sum "$dir/MANIFEST" | cut -d' ' -f1)
	id=$(curl -fsS -H "Authorization: Bearer $admin" "$url/v1/functions" |
		/usr/bin/python3 -c "import json,sys
for f in json.load(sys.stdin):
    if f['checksum'] == '$sum': print(f['id']); break")
	if [ -z "$id" ]; then
		set --
		for f in "$dir"/*; do
			set -- "$@" -F "$(basename "$f")=@$f;filename=$(basename "$f")"
		done
		id=$(curl -fsS -H "Authorization: Bearer $admin" "$@" \
			"$url/v1/functions" | /usr/bin/python3 -c \
			"import json,sys; print(json.load(sys.stdin)['id'])")
	fi
	echo "$id"
}
token() {	# token ID -> prints a one-day token pinned to the checksum
	curl -fsS -H "Authorization: Bearer $admin" -d '{"ttl": 86400}' \
		"$url/v1/functions/$1/tokens" |
		/usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['token'])"
}
hs=$(deploy hide_and_seek)
le=$(deploy leader_election)
hs_sum=$(sha256sum "$b/plugins/hide_and_seek/MANIFEST" | cut -d' ' -f1)
hs_tok=$(token "$hs")
le_tok=$(token "$le")

cat <<EOT

fnhostd is serving on $url (state in $var, admin token in $var/keys/admin.token)
  hide_and_seek   $hs
  leader_election $le

Play hide and seek: one session, the hider's position first, then a guess
  $b/bin/fnhost run -t $hs_tok -c $hs_sum $hs \\
      '{"latitude": 48.8584, "longitude": 2.2945}' '{"latitude": 48.8606, "longitude": 2.3376}'

The same with curl
  s=\$(curl -s -X POST -H "Authorization: Bearer $hs_tok" -H "Fnhost-Function-Checksum: $hs_sum" \\
      $url/v1/functions/$hs/sessions | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["session"])')
  curl -s -H "Authorization: Bearer $hs_tok" --data-binary '{"latitude": 48.8584, "longitude": 2.2945}' $url/v1/sessions/\$s/invoke
  curl -s -H "Authorization: Bearer $hs_tok" --data-binary '{"latitude": 48.8606, "longitude": 2.3376}' $url/v1/sessions/\$s/invoke; echo
  curl -s -X DELETE -H "Authorization: Bearer $hs_tok" $url/v1/sessions/\$s

Run an election
  $b/bin/fnhost run -t $le_tok $le '{"node_list": [5000, 5001, 5002]}'

Ctrl-C stops the host.
EOT
wait $pid
