#!/bin/sh
# Run by tests/fresh/run.sh inside the fresh root, as pid 1 of its
# namespace: the README's scenario.  Root runs `make check` in
# /root/fnhost (installing what it needs); then the plain user
# $FNHOST_FRESH_USER, who can not install anything, runs `make` and
# `make run` in a checkout of their own, and /healthz must answer.
# Exits 0 when all three passed.
set -eu
user=${FNHOST_FRESH_USER:?}
home=/home/$user
start=$(date +%s)
step() {
	echo "== inside, $(($(date +%s) - start))s: $*"
}
as_user() {	# a login's environment, not root's
	setpriv --reuid="$user" --regid="$user" --init-groups \
		env -i HOME="$home" USER="$user" LOGNAME="$user" SHELL=/bin/sh \
		PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 TERM=dumb \
		${SSL_CERT_FILE:+SSL_CERT_FILE=$SSL_CERT_FILE} \
		${NODE_EXTRA_CA_CERTS:+NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS} \
		${http_proxy:+http_proxy=$http_proxy} \
		${https_proxy:+https_proxy=$https_proxy} \
		${no_proxy:+no_proxy=$no_proxy} "$@"
}

# A failed make check still leaves the packages installed: the plain
# user's steps run anyway, so one run tells about all three.
failed=""
step "root: make check in /root/fnhost"
cd /root/fnhost
make check || failed="$failed make-check"

step "$user: make in $home/fnhost"
as_user sh -c 'cd ~/fnhost && make' || {
	echo "fresh: make as $user failed" >&2
	exit 1
}

# A port of its own: the network is the machine's.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
step "$user: make run on 127.0.0.1:$port"
# setsid makes it a session and process group of its own, led by that
# sh, which says its pid: $! is only the subshell running as_user, in
# this script's group (and the group of what started it).
rm -f /tmp/run.pid
as_user setsid sh -c "echo \$\$ >/tmp/run.pid; cd ~/fnhost &&
	FNHOST_LISTEN=127.0.0.1:$port exec make run" \
	>/tmp/run.log 2>&1 &
run=$!
i=0
until curl -fsS "http://127.0.0.1:$port/healthz" >/tmp/healthz 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 600 ] || ! kill -0 $run 2>/dev/null; then
		echo "fresh: make run did not answer /healthz; its output:" >&2
		cat /tmp/run.log >&2
		exit 1
	fi
	sleep 0.5
done
echo "GET /healthz: $(head -c 300 /tmp/healthz)"
# Its walkthrough, whose last line is this, follows the seed deploys.
i=0
until grep -q "Ctrl-C stops the host" /tmp/run.log; do
	i=$((i + 1))
	if [ $i -gt 120 ] || ! kill -0 $run 2>/dev/null; then
		echo "fresh: make run printed no walkthrough:" >&2
		cat /tmp/run.log >&2
		exit 1
	fi
	sleep 0.5
done
# Stop all of make run's group.  TERM, not INT, which a background job
# of a script ignores (and can not trap then).  Never this script's own
# group.
pgid=$(cat /tmp/run.pid 2>/dev/null) || pgid=""
if [ -z "$pgid" ] || [ "$pgid" = "$(cut -d' ' -f5 /proc/$$/stat)" ]; then
	echo "fresh: make run's process group is not its own" >&2
	exit 1
fi
# (dash's kill takes no "--": "-PGID" right after the signal.)
kill -TERM "-$pgid"
i=0
while kill -0 "-$pgid" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 120 ]; then
		kill -KILL "-$pgid" 2>/dev/null
		echo "fresh: make run did not stop within 60 s of TERM" >&2
		exit 1
	fi
	sleep 0.5
done
wait $run 2>/dev/null || :
if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then
	echo "fresh: fnhostd still answers after make run was stopped" >&2
	exit 1
fi
if [ -n "$failed" ]; then
	step "FAILED:$failed"
	exit 1
fi
step "passed: root make check, $user make and make run"
