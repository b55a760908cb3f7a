#!/bin/sh
# Run by tests/fresh/run.sh inside the fresh root, as pid 1 of its
# namespace: the README's two commands, in its order, for root in
# /root/fnhost and for the plain user $FNHOST_FRESH_USER in a checkout
# of their own, each make run followed by the README's walkthrough
# (walkthrough.sh):
#
#	root	make run (it must install the build's packages only), the
#		walkthrough, make check (installs the tests' packages,
#		runs every test as root), the README's plugin block
#	user	make run and the walkthrough, make check (every test
#		again, now as a plain user: the unprivileged sandbox)
#
# Every step runs even after one failed, so one run tells about all;
# exits 0 when all passed.
set -eu
user=${FNHOST_FRESH_USER:?}
home=/home/$user
start=$(date +%s)
failed=""
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
as() {	# as WHO COMMAND...: root's own environment, or the user's
	who=$1
	shift
	if [ "$who" = root ]; then
		"$@"
	else
		as_user "$@"
	fi
}

# free_port: a TCP port nothing listens on (the network is the
# machine's); no python3 yet before make check installs it.
free_port() {
	while :; do
		p=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 30000))
		h=$(printf ':%04X ' "$p")
		grep -q "$h" /proc/net/tcp /proc/net/tcp6 2>/dev/null ||
			break
	done
	echo "$p"
}

# run_walk WHO DIR: make run in DIR on a port of its own, until it
# prints its walkthrough; walkthrough.sh against it; then TERM to all
# of make run's process group, and the host must be gone.
run_walk() {
	who=$1 dir=$2 rc=0
	port=$(free_port)
	log=/tmp/run-$who.log
	step "$who: make run in $dir on 127.0.0.1:$port"
	# setsid makes it a session and process group of its own, led by
	# that sh, which says its pid: $! is only the subshell running as,
	# in this script's group.
	rm -f /tmp/run.pid
	as "$who" setsid sh -c "echo \$\$ >/tmp/run.pid; cd $dir &&
		FNHOST_LISTEN=127.0.0.1:$port exec make run" >"$log" 2>&1 &
	run=$!
	i=0
	until grep -q "^Ctrl-C stops the host" "$log"; do
		i=$((i + 1))
		if [ $i -gt 1200 ] || ! kill -0 $run 2>/dev/null; then
			echo "fresh: make run as $who printed no walkthrough:" >&2
			cat "$log" >&2
			rc=1
			break
		fi
		sleep 0.5
	done
	if [ $rc = 0 ]; then
		curl -fsS "http://127.0.0.1:$port/healthz" && echo
		step "$who: the README's walkthrough"
		as "$who" sh -c "cd $dir && sh /walkthrough.sh run $log" || rc=1
	fi
	# TERM, not INT, which a background job of a script ignores.  Never
	# this script's own group.  (dash's kill takes no "--".)
	pgid=$(cat /tmp/run.pid 2>/dev/null) || pgid=""
	if [ -z "$pgid" ] || [ "$pgid" = "$(cut -d' ' -f5 /proc/$$/stat)" ]; then
		echo "fresh: make run's process group is not its own" >&2
		return 1
	fi
	kill -TERM "-$pgid" 2>/dev/null || :
	i=0
	while kill -0 "-$pgid" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 120 ]; then
			kill -KILL "-$pgid" 2>/dev/null
			echo "fresh: make run did not stop within 60 s of TERM" >&2
			return 1
		fi
		sleep 0.5
	done
	wait $run 2>/dev/null || :
	if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then
		echo "fresh: fnhostd still answers after make run stopped" >&2
		return 1
	fi
	return $rc
}

run_walk root /root/fnhost || failed="$failed root-make-run"
# make run needs the build's packages, not the tests' (mk/deps.sh).
for p in nodejs libcmocka-dev chromium; do
	if dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q installed
	then
		echo "fresh: make run installed $p, a test-only package" >&2
		failed="$failed make-run-installs-tests"
	fi
done

step "root: make check in /root/fnhost"
(cd /root/fnhost && make check) || failed="$failed root-make-check"

step "root: the README's plugin block"
(cd /root/fnhost && sh /walkthrough.sh plugin) || failed="$failed root-plugin"

run_walk "$user" "$home/fnhost" || failed="$failed $user-make-run"

step "$user: make check in $home/fnhost"
as_user sh -c 'cd ~/fnhost && make check' || failed="$failed $user-make-check"

if [ -n "$failed" ]; then
	step "FAILED:$failed"
	exit 1
fi
step "passed: make run, the walkthrough and make check as root and as $user"
