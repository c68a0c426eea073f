#!/bin/bash
# Run every libFuzzer target for a bounded time (FUZZ_TIME seconds each, 20
# by default) from its seed corpus, one TAP test per target.  FUZZ_TARGETS
# picks some of them ("filter path").  Without clang a target is skipped,
# except under CI=true where that is a failure.  On a finding, the end of
# the log and the input that caused it are printed.
set -u
srcdir=$(cd "$(dirname "$0")" && pwd)
time=${FUZZ_TIME:-20}

# name, corpus directory, what it fuzzes
targets=(
	"manifest corpus the manifest reader"
	"filter corpus-filter the filter rules"
	"path corpus-path the archive entry names"
)
if [ -n "${FUZZ_TARGETS:-}" ]; then
	picked=()
	for t in "${targets[@]}"; do
		case " $FUZZ_TARGETS " in
		*" ${t%% *} "*) picked+=("$t") ;;
		esac
	done
	targets=("${picked[@]}")
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
n=0
echo "1..${#targets[@]}"
for t in "${targets[@]}"; do
	read -r name corpus what <<<"$t"
	n=$((n + 1))
	fuzzer=tests/fuzz/$name-fuzz
	if [ ! -x "$fuzzer" ]; then
		if [ "${CI:-}" = true ]; then
			echo "not ok $n - fuzz $what: no fuzzer built (clang with libFuzzer missing)"
			status=1
		else
			echo "ok $n # skip no fuzzer built for $what: clang with libFuzzer not found by configure"
		fi
		continue
	fi
	dir=$work/$name
	mkdir -p "$dir/corpus"
	cp "$srcdir/fuzz/$corpus"/* "$dir/corpus/"
	log=$dir/fuzz.log
	if "$fuzzer" -max_total_time="$time" -timeout=10 -rss_limit_mb=1024 \
	    -print_final_stats=1 -artifact_prefix="$dir/" "$dir/corpus" \
	    >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		echo "ok $n - fuzzed $what for $time s: ${runs:-?} inputs, no crash, no leak"
	else
		echo "not ok $n - the $name fuzzer found a crash, a leak, a timeout or a broken invariant"
		sed 's/^/# /' "$log" | tail -60
		for a in "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* \
		    "$dir"/oom-* "$dir"/slow-unit-*; do
			[ -f "$a" ] && { echo "# input $a:"; od -c "$a" | head -20 | sed 's/^/# /'; }
		done
		status=1
	fi
done
exit $status
