#!/bin/sh
# make run: until fnhostd lands, the demo runs the seed plugins through
# `fnhost test`, one local sandboxed session each.
set -eu
b=${FNHOST_BUILD:?}
fnhost=$b/bin/fnhost

echo "== hide and seek: the hider's position, then two guesses =="
"$fnhost" test "$b/plugins/hide_and_seek" \
	'{"latitude": 48.8584, "longitude": 2.2945}' \
	'{"latitude": 48.8606, "longitude": 2.3376}' \
	'{"latitude": 48.85837, "longitude": 2.29448}'
echo
echo "== leader election: the function picks and signs the leader =="
"$fnhost" test "$b/plugins/leader_election" '{"node_list": [5000, 5001, 5002]}'
echo
cat <<EOT
Try it yourself:
  $fnhost test $b/plugins/hide_and_seek '{"latitude": 1, "longitude": 2}' '{"latitude": 1.0005, "longitude": 2}'
  $fnhost test -o json $b/plugins/leader_election '{"node_list": ["node-a", "node-b"]}'
  $fnhost verify -p $b/dev-publisher.pub $b/plugins/hide_and_seek
EOT
