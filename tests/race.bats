#!/usr/bin/env bats
# race.bats: while a command writes into a directory, another process keeps
# swapping the destination's subdirectories for symlinks to a directory
# outside (as a hostile jail or user sharing the destination would).
# Whatever the timing, nothing may be written outside the destination.
# Each test runs the command many times against a swapper that never rests.

bats_require_minimum_version 1.5.0

load helpers

setup() {
	setup_all
	command -v python3 >/dev/null || skip_or_fail "python3 not installed"
	OUT=$T/outside
	mkdir "$OUT"
	touch -d '2001-01-01' "$OUT"
	SWAPPER=
}

teardown() {
	[[ -n $SWAPPER ]] && kill "$SWAPPER" 2>/dev/null
	[[ -n $SWAPPER ]] && wait "$SWAPPER" 2>/dev/null
	teardown_tmp
}

# _swapper PARENT NAME...: until told to stop (SIGTERM), swap each
# PARENT/NAME that is a directory for a symlink to $OUT and back, as fast
# as it can; counts the swaps in $T/swaps.
_swapper() {
	python3 - "$OUT" "$T/swaps" "$@" <<'EOF' &
import os, sys, signal
out, count, parent, names = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
n = 0
stopping = False
def stop(*_):
    global stopping
    stopping = True
signal.signal(signal.SIGTERM, stop)
# a swap is always undone before the next one or the end
while not stopping:
    for name in names:
        d = os.path.join(parent, name)
        aside = d + ".aside"
        try:
            os.rename(d, aside)
        except OSError:
            continue
        try:
            os.symlink(out, d)
            n += 1
            os.unlink(d)
        except OSError:
            pass
        try:
            os.rename(aside, d)
        except OSError:
            pass
with open(count, "w") as f:
    f.write(str(n))
EOF
	SWAPPER=$!
}

_stop_swapper() {
	kill -TERM "$SWAPPER"
	wait "$SWAPPER" || true
	SWAPPER=
	SWAPS=$(cat "$T/swaps" 2>/dev/null || echo 0)
}

# _outside_untouched: $OUT is empty and was never written in.
_outside_untouched() {
	[[ -z $(ls -A "$OUT") ]] || fail "written outside the destination: $(ls -A "$OUT")"
	assert_equal "$(stat -c %Y "$OUT")" "$(date -d '2001-01-01' +%s)"
}

# _src DIR: 8 directories of 25 small files and one subdirectory each.
_src() {
	local i j
	for i in $(seq 1 8); do
		mkdir -p "$1/d$i/sub"
		for j in $(seq 1 25); do echo "$i $j" >"$1/d$i/f$j"; done
		echo "$i" >"$1/d$i/sub/g"
	done
}

@test "xcp -a into a destination whose subdirectories are swapped for symlinks: 60 runs, nothing written outside" {
	_src "$T/src"
	mkdir "$T/dst"
	_src "$T/dst"
	local names=(d1 d2 d3 d4 d5 d6 d7 d8) i
	_swapper "$T/dst" "${names[@]}"
	for i in $(seq 1 60); do
		"$XCP" -aT "$T/src" "$T/dst" 2>>"$T/err" || true
	done
	_stop_swapper
	[[ $SWAPS -gt 100 ]] || fail "only $SWAPS swaps: no race was run"
	_outside_untouched
	# a directory missing for a moment is made anew under a temporary
	# name, which is kept (and named in an error) when the name comes back
	rm -rf "$T"/dst/*.aside "$T"/dst/.xcp-*.tmp
	run "$XCP" -aT "$T/src" "$T/dst"
	assert_success
	assert_same_tree "$T/src" "$T/dst" -A -D
}

@test "xsync -a --delete into a destination whose subdirectories are swapped for symlinks: 60 runs, nothing written or deleted outside" {
	_src "$T/src"
	mkdir "$T/dst"
	_src "$T/dst"
	echo precious >"$OUT/.keep"
	touch -d '2001-01-01' "$OUT"
	local names=(d1 d2 d3 d4 d5 d6 d7 d8) i
	# the source changes between runs, so that every run writes
	_swapper "$T/dst" "${names[@]}"
	for i in $(seq 1 60); do
		echo "$i" >"$T/src/d$(( i % 8 + 1 ))/f1"
		"$XSYNC" -a --delete "$T/src/" "$T/dst/" 2>>"$T/err" || true
	done
	_stop_swapper
	[[ $SWAPS -gt 100 ]] || fail "only $SWAPS swaps: no race was run"
	assert_equal "$(ls -A "$OUT")" .keep
	assert_equal "$(cat "$OUT/.keep")" precious
	assert_equal "$(stat -c %Y "$OUT")" "$(date -d '2001-01-01' +%s)"
	rm -rf "$T"/dst/*.aside
	run "$XSYNC" -a --delete "$T/src/" "$T/dst/"
	assert_success
	assert_same_tree "$T/src" "$T/dst" -A
}

@test "jailclone update while the jail swaps its directories for symlinks: 30 updates, nothing written outside" {
	_src "$T/v1"
	cp -a "$T/v1" "$T/v2"
	local i j
	for i in $(seq 1 8); do
		for j in $(seq 1 10); do echo "new $i $j" >"$T/v2/d$i/n$j"; done
		echo changed >"$T/v2/d$i/sub/g"
	done
	mkdir "$T/jails"
	run "$JAILCLONE" create "$T/v1" "$T/jails/j1"
	assert_success
	local names=(d1 d2 d3 d4 d5 d6 d7 d8 d1/sub d2/sub d3/sub)
	_swapper "$T/jails/j1" "${names[@]}"
	for i in $(seq 1 30); do
		if (( i % 2 )); then
			"$JAILCLONE" update --template "$T/v2" "$T/jails/j1" 2>>"$T/err" || true
		else
			"$JAILCLONE" update --template "$T/v1" "$T/jails/j1" 2>>"$T/err" || true
		fi
	done
	_stop_swapper
	[[ $SWAPS -gt 50 ]] || fail "only $SWAPS swaps: no race was run"
	_outside_untouched
}
