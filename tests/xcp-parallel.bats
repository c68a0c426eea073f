#!/usr/bin/env bats
# xcp-parallel.bats: -j. Whatever the number of threads, the copy is the
# same tree, the manifest the same bytes, and messages and -v lines come
# out in the same order; on real filesystems too, with a full disk, and
# below the depth where the walk closes and reopens its parents.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	setup_tmp
	: "${XSYNC:=$BATS_TEST_DIRNAME/../bin/xsync}"
	[[ -x $XSYNC ]] || fail "XSYNC=$XSYNC is not an executable file"
}
teardown() { teardown_tmp; }

# _wide_tree DIR: many directories of many files (several chunks each),
# with links, symlinks and FIFOs between the files.
_wide_tree() {
	local d=$1 i j
	mkdir -p "$d"
	for i in $(seq 1 12); do
		mkdir -p "$d/dir$i/sub"
		for j in $(seq 1 150); do
			printf 'file %s/%s\n' "$i" "$j" >"$d/dir$i/f$j"
		done
		printf 'deep %s\n' "$i" >"$d/dir$i/sub/x"
		ln "$d/dir$i/f1" "$d/dir$i/hard"
		ln -s f2 "$d/dir$i/link"
		mkfifo "$d/dir$i/fifo"
		chmod 0751 "$d/dir$i/sub"
	done
	head -c 300000 /dev/urandom >"$d/dir3/random.bin"
	ln "$d/dir3/random.bin" "$d/dir7/random-again"
	set_fixture_times "$d"
}

# _copy_both ARGS...: xcp ARGS -j1 into $T/j1 and -j4 into $T/j4, each
# with its manifest ($T/M1, $T/M4) and its -v output ($T/v1, $T/v4).
_copy_both() {
	run "$XCP" -j 1 -v --manifest="$T/M1" "$@" "$T/j1"
	assert_success
	sed "s|$T/j1|DST|g" <<<"$output" >"$T/v1"
	run "$XCP" -j 4 -v --manifest="$T/M4" "$@" "$T/j4"
	assert_success
	sed "s|$T/j4|DST|g" <<<"$output" >"$T/v4"
}

@test "-j1 and -j4: the same tree, the same manifest bytes, the same -v lines" {
	_wide_tree "$T/src"
	_copy_both -a "$T/src"
	assert_same_tree "$T/j1" "$T/j4" -H
	assert_same_tree "$T/src" "$T/j4" -H
	cmp "$T/M1" "$T/M4"
	cmp "$T/v1" "$T/v4"
	[[ $(wc -l <"$T/v4") -gt 1800 ]] || fail "only $(wc -l <"$T/v4") -v lines"
	# hard links stay links, within a directory and across two
	[[ $(stat -c %i "$T/j4/dir3/random.bin") == $(stat -c %i "$T/j4/dir7/random-again") ]]
	[[ $(stat -c %i "$T/j4/dir5/f1") == $(stat -c %i "$T/j4/dir5/hard") ]]
	run "$XSYNC" verify "$T/M4" "$T/j4"
	assert_success
	assert_output ''
}

@test "-j1 and -j4 without -a: modes through the umask, new times, same trees" {
	_wide_tree "$T/src"
	run bash -c 'umask 027 && "$@"' _ "$XCP" -j 1 -r "$T/src" "$T/j1"
	assert_success
	run bash -c 'umask 027 && "$@"' _ "$XCP" -j 4 -r "$T/src" "$T/j4"
	assert_success
	assert_same_tree "$T/j1" "$T/j4"
	[[ $(stat -c %a "$T/j4/dir2/f9") == 640 ]]
	[[ $(stat -c %a "$T/j4/dir2/sub") == 750 ]]
}

@test "-j4: errors come out in walk order, as with -j1, and the rest is copied" {
	require_root "an unprivileged user's unreadable files"
	_wide_tree "$T/src"
	chmod 0755 "$T"/src/dir*/sub
	chmod 000 "$T/src/dir2/f7" "$T/src/dir9/f140" "$T/src/dir11"
	chmod 777 "$T" "$T/src"
	local j
	for j in 1 4; do
		run --separate-stderr setpriv --reuid=65534 --regid=65534 \
			--clear-groups -- "$XCP" -j "$j" -r "$T/src" "$T/out$j"
		assert_failure 1
		sed "s|$T/out$j|DST|g" <<<"$stderr" >"$T/err$j"
		[[ -z $output ]] || fail "stdout: $output"
	done
	cmp "$T/err1" "$T/err4"
	run cat "$T/err4"
	assert_line --index 0 --partial "dir11"
	assert_line --index 1 --partial "dir2/f7"
	assert_line --index 2 --partial "dir9/f140"
	cmp "$T/src/dir9/f139" "$T/out4/dir9/f139"
	cmp "$T/src/dir12/f150" "$T/out4/dir12/f150"
}

@test "-j4 below the depth where the walk reopens its parents: same as -j1" {
	local d=$T/src i
	mkdir -p "$d"
	d=$T/src
	for i in $(seq 1 80); do
		d=$d/level$i
		mkdir "$d"
		printf 'at %s\n' "$i" >"$d/file-a"
		printf 'at %s\n' "$i" >"$d/file-b"
	done
	set_fixture_times "$T/src"
	_copy_both -a "$T/src"
	assert_same_tree "$T/src" "$T/j4"
	cmp "$T/M1" "$T/M4"
	cmp "$T/v1" "$T/v4"
}

@test "-j4 on XFS: every file cloned, shared extents, the manifest as with -j1" {
	mount_fs xfs 512M >/dev/null
	local m=$MNT
	_wide_tree "$m/src"
	run "$XCP" -a -j 1 --manifest="$m/M1" "$m/src" "$m/j1"
	assert_success
	run "$XCP" -a -j 4 --debug --manifest="$m/M4" "$m/src" "$m/j4"
	assert_success
	cmp "$m/M1" "$m/M4"
	assert_same_tree "$m/src" "$m/j4" -H
	assert_shared "$m/j4/dir3/random.bin"
	[[ $(grep -c '(strategy: reflink)' <<<"$output") -ge 1800 ]] ||
		fail "not every file cloned: $(grep -c '(strategy: reflink)' <<<"$output")"
}

@test "-j4 from ext4 to btrfs: the same tree as -j1" {
	mount_fs ext4 256M >/dev/null
	local e=$MNT
	mount_fs btrfs 256M >/dev/null
	local b=$MNT
	_wide_tree "$e/src"
	run "$XCP" -a -j 1 --manifest="$b/M1" "$e/src" "$b/j1"
	assert_success
	run "$XCP" -a -j 4 --manifest="$b/M4" "$e/src" "$b/j4"
	assert_success
	cmp "$b/M1" "$b/M4"
	assert_same_tree "$e/src" "$b/j4" -H
}

@test "-j4 on a full disk: status 1, one message, no temporary file left" {
	mount_fs ext4 20M >/dev/null
	local i f
	mkdir -p "$T/src"
	for i in $(seq 1 40); do
		head -c 1048576 /dev/urandom >"$T/src/f$(printf %02d "$i")"
	done
	run --separate-stderr "$XCP" -j 4 -r "$T/src" "$MNT/dst"
	assert_failure 1
	[[ $stderr == *"No space left on device"* ]] || fail "stderr: $stderr"
	[[ $(grep -c . <<<"$stderr") -eq 1 ]] || fail "more than one message: $stderr"
	run find "$MNT/dst" -name '.xcp-*'
	assert_output ''
	# what was copied is whole
	for f in "$MNT"/dst/f*; do
		cmp "$f" "$T/src/${f##*/}" || fail "partial file ${f##*/}"
	done
}
