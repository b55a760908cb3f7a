#!/bin/sh
# replay.t: every fuzz target's committed corpus, regression inputs
# included, through the target built without libFuzzer (replay.c), so
# that what fuzzing once found stays fixed on every make check.
set -u
build=${FNHOST_BUILD:?}
dir=$(cd "$(dirname "$0")" && pwd)
n=0
failed=0
for src in "$dir"/fuzz_*.c; do
	name=$(basename "$src" .c)
	name=${name#fuzz_}
	n=$((n + 1))
	if out=$("$build/tests/fuzz/replay_$name" "$dir/corpus/$name" 2>&1); then
		echo "ok $n - $name: $out"
	else
		echo "not ok $n - $name"
		echo "$out" | tail -20 | sed 's/^/# /'
		failed=1
	fi
done
echo "1..$n"
exit $failed
