#!/usr/bin/env bats
# The progress line of the three commands, seen on a real terminal: each
# test types its command into a shell inside tmux (send-keys) and reads the
# screen back (capture-pane).  Slow copies are made slow with strace, which
# holds back every data-moving system call, so that a run lasts long enough
# for the line to be drawn.

load helpers

setup() {
	setup_all
	command -v tmux >/dev/null || skip_or_fail "tmux is not installed"
	command -v strace >/dev/null || skip_or_fail "strace is not installed"
	TM=(tmux -S "$T/tmux.sock")
	PS1='$ ' "${TM[@]}" new-session -d -x 200 -y 50 \
		"env PS1='\$ ' bash --norc --noprofile"
	mkdir "$T/src"
	for i in $(seq -w 1 20); do
		head -c 1048576 /dev/urandom >"$T/src/f$i"
	done
	mkdir "$T/src/sub"
	: >"$T/src/sub/empty"
	ln -s f01 "$T/src/link"
}

teardown() {
	"${TM[@]}" kill-server 2>/dev/null || true
	teardown_tmp
}

# $SLOW COMMAND: COMMAND with every data-moving call held back 250 ms (no
# leak check under strace: see traced in helpers.bash).
SLOW="env ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -o /dev/null -e trace=copy_file_range,sendfile,write,pwrite64 -e inject=copy_file_range,sendfile,write,pwrite64:delay_exit=250000"

# type_in COMMAND: type COMMAND into the terminal's shell, screen cleared.
type_in() {
	rm -f "$T/rc"
	"${TM[@]}" send-keys -t 0 "clear; $1; echo \$? >$T/rc" Enter
}

# finish: wait for the command typed in to end; $rc its status, $screen
# what the terminal shows.
finish() {
	local i
	for (( i = 0; i < 600; i++ )); do
		[[ -s $T/rc ]] && break
		sleep 0.1
	done
	[[ -s $T/rc ]] || fail "the command on the terminal did not end"
	rc=$(cat "$T/rc")
	screen=$("${TM[@]}" capture-pane -p -J -t 0)
}

# see REGEX: wait until a line of the screen matches REGEX (while the command
# runs); $line is that line.
see() {
	local i
	for (( i = 0; i < 200; i++ )); do
		line=$("${TM[@]}" capture-pane -p -J -t 0 | grep -E -m1 -- "$1") &&
			return 0
		[[ -s $T/rc ]] && break
		sleep 0.05
	done
	fail "no line matching '$1' on the terminal; it showed:
$("${TM[@]}" capture-pane -p -J -t 0)
(status: $(cat "$T/rc" 2>/dev/null))"
}

# The final line of --progress for the 22 files (all but the directories)
# and 20 MiB of src.
FINAL='^20\.0 MiB of 20\.0 MiB \(100%\), 22 of 22 files, [0-9.]+ [KMG]?i?B/s, [0-9]+:[0-9]{2} elapsed$'

# assert_no_progress_line: the screen shows no progress line (none was
# drawn, or it was erased).
assert_no_progress_line() {
	if grep -q 'files,' <<<"$screen"; then
		fail "a progress line on the terminal: $screen"
	fi
}

# assert_blank_screen: the screen shows nothing but the shell's prompt.
assert_blank_screen() {
	[[ -z $(grep -v '^\$ *$' <<<"$screen" | tr -d '[:space:]') ]] ||
		fail "the terminal shows: $screen"
}

assert_copied() {
	diff -r --no-dereference "$T/src" "$1" || fail "$1 differs from src"
}

@test "xcp --progress: the terminal shows the totals, and the last line stays" {
	type_in "$XCP -r --progress $T/src $T/dst"
	finish
	[[ $rc == 0 ]] || fail "xcp exited $rc: $screen"
	grep -Eq "$FINAL" <<<"$screen" || fail "no final progress line: $screen"
	assert_copied "$T/dst"
}

@test "xcp --progress: a pipe sees no progress line, and neither does a file" {
	run bash -c "$XCP -r --progress '$T/src' '$T/dst' 2>&1 | cat"
	assert_success
	assert_output ""
	assert_copied "$T/dst"
	$XCP -r --progress "$T/src" "$T/dst2" 2>"$T/err"
	[[ ! -s $T/err ]] || fail "progress written to a file: $(cat -A "$T/err")"
	assert_copied "$T/dst2"
}

@test "xcp: a slow copy shows the line by itself, bytes and files growing, then erases it" {
	type_in "$SLOW $XCP -r -j1 --reflink=never $T/src $T/dst"
	see '^[0-9.]+ [KMG]?i?B of 20\.0 MiB \([0-9]+%\), [0-9]+ of 22 files, .*/s, [0-9]+:[0-9]{2} left$'
	first=${line%%,*}
	# The bytes done grow while it runs.
	for (( i = 0; i < 100; i++ )); do
		see ' of 20\.0 MiB \('
		[[ ${line%%,*} != "$first" ]] && break
		sleep 0.1
	done
	[[ ${line%%,*} != "$first" ]] || fail "the line did not change: $line"
	finish
	[[ $rc == 0 ]] || fail "xcp exited $rc: $screen"
	# Erased: the screen holds nothing of it once the copy is over.
	assert_no_progress_line
	assert_copied "$T/dst"
}

@test "xcp --no-progress: nothing on the terminal, even for a slow copy" {
	type_in "$SLOW $XCP -r -j1 --reflink=never --no-progress $T/src $T/dst"
	finish
	[[ $rc == 0 ]] || fail "xcp exited $rc: $screen"
	assert_blank_screen
	assert_copied "$T/dst"
}

@test "xcp -v on a terminal: every -v line stays whole beside the progress line" {
	type_in "$SLOW $XCP -rv -j1 --reflink=never --progress $T/src $T/dst"
	finish
	[[ $rc == 0 ]] || fail "xcp exited $rc: $screen"
	# 22 files, 2 directories: 24 lines "'SRC' -> 'DST'", each whole.
	run grep -Ec "^'$T/src[^']*' -> '$T/dst[^']*'$" <<<"$screen"
	assert_output 24
	if grep -E "files,.*->|->.*files," <<<"$screen"; then
		fail "a -v line and the progress line ran together: $screen"
	fi
	grep -Eq "$FINAL" <<<"$screen" || fail "no final progress line: $screen"
}

@test "xcp: SIGUSR1 prints one status line to a stderr that is not a terminal" {
	$SLOW $XCP -r -j1 --reflink=never "$T/src" "$T/dst" 2>"$T/err" &
	tracer=$!
	pid=
	for (( i = 0; i < 100; i++ )); do
		pid=$(pgrep -f "^$XCP -r -j1 --reflink=never $T/src" || true)
		[[ -n $pid ]] && break
		sleep 0.05
	done
	[[ -n $pid ]] || fail "xcp did not start"
	sleep 0.5
	kill -USR1 "$pid"
	wait "$tracer"
	run cat "$T/err"
	# The totals are counted from the signal on: maybe not yet final.
	assert_output --regexp '^xcp: [0-9.]+ [KMG]?i?B of [0-9.]+ [KMG]?i?B(\+| \([0-9]+%\)), [0-9]+ of [0-9]+\+? files?, [0-9.]+ [KMG]?i?B/s(, counting|, [0-9]+:[0-9]{2} left)?$'
	assert_equal "$(wc -l <"$T/err")" 1
	if grep -q $'[\r\e]' "$T/err"; then
		fail "terminal control characters in a file: $(cat -A "$T/err")"
	fi
	assert_copied "$T/dst"
}

@test "xsync: a slow mirror shows the line by itself, totals less the excluded files" {
	type_in "$SLOW $XSYNC -a -j1 --exclude='f1[0-4]' $T/src/ $T/dst"
	# f10 to f14 excluded: 15 files of 1 MiB and 2 other entries left.
	see '^[0-9.]+ [KMG]?i?B of 15\.0 MiB \([0-9]+%\), [0-9]+ of 17 files, .*/s, [0-9]+:[0-9]{2} left$'
	finish
	[[ $rc == 0 ]] || fail "xsync exited $rc: $screen"
	assert_no_progress_line
	run ls "$T/dst"
	assert_output "$(printf 'f%02d\n' {1..9} {15..20}; printf 'link\nsub')"
	for f in f01 f09 f15 f20 sub/empty; do
		cmp "$T/src/$f" "$T/dst/$f"
	done
}

@test "xsync --progress keeps rsync's lines; --no-progress shows nothing" {
	type_in "$XSYNC -a --progress $T/src/ $T/dst"
	finish
	[[ $rc == 0 ]] || fail "xsync exited $rc: $screen"
	run grep -Ec '^ +1,048,576 100% \(xfr#[0-9]+\)$' <<<"$screen"
	assert_output 20
	assert_no_progress_line
	assert_copied "$T/dst"
	type_in "$SLOW $XSYNC -a -j1 --no-progress $T/src/ $T/dst2"
	finish
	[[ $rc == 0 ]] || fail "xsync exited $rc: $screen"
	assert_blank_screen
	assert_copied "$T/dst2"
}

@test "xsync snapshot: a slow snapshot shows the line on a terminal, a pipe sees none" {
	type_in "$SLOW $XSYNC snapshot -j1 $T/src $T/repo"
	see '^[0-9.]+ [KMG]?i?B of 20\.0 MiB \([0-9]+%\), [0-9]+ of 22 files, .*/s, [0-9]+:[0-9]{2} left$'
	finish
	[[ $rc == 0 ]] || fail "xsync snapshot exited $rc: $screen"
	run bash -c "$SLOW $XSYNC snapshot -j1 '$T/src' '$T/repo' 2>&1 | cat"
	assert_success
	assert_output ""
	run "$XSYNC" verify "$T/repo/latest"
	assert_success
	assert_copied "$T/repo/latest/"
}

@test "jailclone create --progress: files and bytes of every jail, counted across its worker processes" {
	type_in "$JAILCLONE create -m copy -j2 --progress $T/src $T/j1 $T/j2 $T/j3"
	finish
	[[ $rc == 0 ]] || fail "jailclone exited $rc: $screen"
	grep -Eq '^60\.0 MiB of 60\.0 MiB \(100%\), 66 of 66 files, .*/s, [0-9]+:[0-9]{2} elapsed$' <<<"$screen" ||
		fail "no final progress line: $screen"
	for j in j1 j2 j3; do
		assert_copied "$T/$j"
	done
	run bash -c "$JAILCLONE create -m copy --progress '$T/src' '$T/j4' 2>&1 | cat"
	assert_success
	assert_output ""
	assert_copied "$T/j4"
}

@test "jailclone create: a slow create shows the line by itself and erases it" {
	type_in "$SLOW $JAILCLONE create -m copy -j1 $T/src $T/j1 $T/j2"
	see '^[0-9.]+ [KMG]?i?B of 40\.0 MiB \([0-9]+%\), [0-9]+ of 44 files, .*/s, [0-9]+:[0-9]{2} left$'
	finish
	[[ $rc == 0 ]] || fail "jailclone exited $rc: $screen"
	assert_no_progress_line
	assert_copied "$T/j1"
	assert_copied "$T/j2"
}
