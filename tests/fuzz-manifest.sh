#!/bin/bash
# Run the libFuzzer target of the xcpm reader for a bounded time (FUZZ_TIME
# seconds, 30 by default) from the seed corpus.  Prints TAP.  Without clang
# the test is skipped, except under CI=true where that is a failure.
set -u
fuzzer=${FUZZER:-tests/fuzz/manifest-fuzz}
corpus=$(cd "$(dirname "$0")" && pwd)/fuzz/corpus
echo "1..1"
if [ ! -x "$fuzzer" ]; then
	if [ "${CI:-}" = true ]; then
		echo "not ok 1 - fuzz the manifest reader: no fuzzer built (clang with libFuzzer missing)"
		exit 1
	fi
	echo "ok 1 # skip no fuzzer built: clang with libFuzzer not found by configure"
	exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$corpus"/* "$work"/
log=$work/fuzz.log
if "$fuzzer" -max_total_time="${FUZZ_TIME:-30}" -timeout=10 -rss_limit_mb=1024 \
    -print_final_stats=1 -artifact_prefix="$work/" "$work" >"$log" 2>&1; then
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	echo "ok 1 - fuzzed the manifest reader for ${FUZZ_TIME:-30} s: ${runs:-?} inputs, no crash, no leak"
else
	echo "not ok 1 - the manifest fuzzer found a crash"
	sed 's/^/# /' "$log" | tail -60
	for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-*; do
		[ -f "$a" ] && { echo "# input $a:"; od -c "$a" | head -20 | sed 's/^/# /'; }
	done
	exit 1
fi
