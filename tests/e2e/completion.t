#!/bin/sh
# completion.t: dist/fnhost.bash-completion, sourced in bash, completes
# fnhost's commands, a command's options and bundle directories, as
# fnhost itself names them.  TAP on stdout; FNHOST_BUILD is the build.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${FNHOST_BUILD:?}" && pwd)
n=0
fails=0
ok() {	# ok STATUS NAME [GOT]
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		echo "not ok $n - $2: got '${3:-}'" >&2
		echo "#   got: ${3:-}"
		fails=$((fails + 1))
	fi
}
# complete WORDS...: what completing the last word gives, one a line.
complete_() {
	PATH=$build/bin:$PATH bash --norc --noprofile -c '
		. "$0" || exit 1
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		_fnhost
		printf "%s\n" "${COMPREPLY[@]}"' \
		"$top/dist/fnhost.bash-completion" "$@"
}

got=$(complete_ fnhost de | sort | tr '\n' ' ')
[ "$got" = "delete deploy " ]
ok $? "fnhost de<TAB>: delete deploy" "$got"
got=$(complete_ fnhost run --enc | tr '\n' ' ')
[ "$got" = "--encrypt " ]
ok $? "fnhost run --enc<TAB>: --encrypt" "$got"
got=$(cd "$build" && complete_ fnhost test plugins/hide | tr '\n' ' ')
[ "$got" = "plugins/hide_and_seek " ]
ok $? "fnhost test plugins/hide<TAB>: the bundle dir" "$got"
got=$(complete_ fnhost token c | tr '\n' ' ')
[ "$got" = "create " ]
ok $? "fnhost token c<TAB>: create" "$got"
echo "1..$n"
[ "$fails" -eq 0 ]
