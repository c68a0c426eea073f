#!/usr/bin/env bats
# faults.bats: what xcp, xsync and jailclone do when the system fails under
# them: I/O errors coming out of the kernel (a FUSE filesystem, errfs, whose
# chosen names fail with EIO), a full disk, a kill -9 at chosen system calls
# (strace's fault injection), files changing while they are copied, denied
# permissions and a read-only destination.  After each: the source is
# untouched, no half-written file is under a final name, and a rerun
# completes and verifies.  tests/README.md maps each fault to its test.

bats_require_minimum_version 1.5.0

load helpers

setup() {
	setup_all
	: "${ERRFS:=$BATS_TEST_DIRNAME/tools/errfs}"
}
teardown() { teardown_tmp; }

# _sums DIR: every regular file's path and SHA-256, sorted.
_sums() {
	(cd "$1" && find . -type f -print0 | sort -z | xargs -0r sha256sum)
}

# _whole SRC DST: every regular file under DST (records aside) has the
# bytes of the same path under SRC, and no temporary file is left.
_whole() {
	local f left
	while IFS= read -r -d '' f; do
		cmp -s "$1/$f" "$2/$f" ||
			fail "a file under its final name is not the source's: $2/${f#./}"
	done < <(cd "$2" && find . -path ./.jailclone -prune -o -path ./.xsync \
		-prune -o -type f -print0)
	left=$(find "$2" \( -name '.xcp-*.tmp' -o -name '.xsync-*.tmp' -o \
		-name '.jailclone-*.tmp' \) -print)
	[[ -z $left ]] || fail "temporary files left: $left"
}

# _errfs DIR: mount errfs showing DIR on a fresh mount point, set EMNT.
_errfs() {
	[[ $EUID -eq 0 ]] || skip_or_fail "needs root to mount FUSE: not root"
	[[ -x $ERRFS ]] || skip_or_fail "tests/tools/errfs not built (libfuse3-dev missing)"
	[[ -c /dev/fuse ]] || skip_or_fail "no /dev/fuse"
	EMNT=$(mktemp -d "${TMPDIR:-/tmp}/xcp-errfs.XXXXXX")
	"$ERRFS" "$1" "$EMNT" 2>"$T/errfs.log" &
	_MOUNTS+=("$EMNT")
	local i
	for i in $(seq 1 100); do
		mountpoint -q "$EMNT" && return 0
		sleep 0.05
	done
	fail "errfs did not mount: $(cat "$T/errfs.log")"
}

# _faulty DIR: a tree in which some names fail under errfs: a file that
# fails after 64 KiB, one that fails to open, a directory that fails to
# list; and good files around them.
_faulty() {
	mkdir -p "$1/sub" "$1/EIO-dir" "$1/z"
	head -c 300000 /dev/urandom >"$1/file-EIO-read"
	head -c 200000 /dev/urandom >"$1/good"
	echo x >"$1/EIO-dir/inside"
	echo y >"$1/sub/EIO-open"
	head -c 100000 /dev/urandom >"$1/sub/ok"
	echo last >"$1/z/last"
	set_fixture_times "$1"
}

# _heal DIR: the names of _faulty no longer fail.
_heal() {
	mv "$1/file-EIO-read" "$1/file-read"
	mv "$1/EIO-dir" "$1/dir"
	mv "$1/sub/EIO-open" "$1/sub/open"
}

# _kill_at SYSCALL[@NAME] N CMD...: run CMD, killed by SIGKILL when one of
# its threads enters its N-th SYSCALL (strace counts per thread), with NAME
# among the call's arguments if given; status 137 proves it was.
_kill_at() {
	local sc=$1 n=$2 only=()
	shift 2
	command -v strace >/dev/null || skip_or_fail "strace not installed"
	# SYSCALL@NAME: only the calls with NAME among their arguments
	if [[ $sc == *@* ]]; then
		only=(-P "${sc#*@}")
		sc=${sc%@*}
	fi
	traced -f -qq -o /dev/null "${only[@]}" -e trace="$sc" \
		-e inject="$sc:signal=KILL:when=$n" "$@"
}

# _tree DIR: 60 files of 40 KiB in 6 directories, a hard link, a symlink.
_tree() {
	local i
	mkdir -p "$1"
	for i in $(seq 1 60); do
		mkdir -p "$1/d$(( i % 6 ))"
		head -c 40000 /dev/urandom >"$1/d$(( i % 6 ))/f$i"
	done
	ln "$1/d1/f1" "$1/hard"
	ln -s d2/f2 "$1/sym"
	set_fixture_times "$1"
}

# ---------------------------------------------------------------------------
# EIO

@test "EIO reading: xcp names each failing source, copies the rest, and leaves nothing under a failed name" {
	_faulty "$T/src"
	_errfs "$T/src"
	local before
	before=$(_sums "$T/src")
	run --separate-stderr "$XCP" -a "$EMNT" "$T/dst"
	assert_failure 1
	[[ $stderr == *"error reading '$EMNT/file-EIO-read': Input/output error"* ]] || fail "$stderr"
	[[ $stderr == *"'$EMNT/sub/EIO-open'"*"Input/output error"* ]] || fail "$stderr"
	[[ $stderr == *"'$EMNT/EIO-dir'"*"Input/output error"* ]] || fail "$stderr"
	# the 64 KiB that could be read are not passed off as the file
	assert_file_not_exists "$T/dst/file-EIO-read"
	assert_file_not_exists "$T/dst/sub/EIO-open"
	cmp "$T/src/good" "$T/dst/good"
	cmp "$T/src/sub/ok" "$T/dst/sub/ok"
	cmp "$T/src/z/last" "$T/dst/z/last"
	_whole "$T/src" "$T/dst"
	assert_equal "$(_sums "$T/src")" "$before"
	# the fault goes away: a rerun completes and verifies (the directory
	# copied empty under its old name stays, as cp deletes nothing)
	_heal "$T/src"
	rmdir "$T/dst/EIO-dir"
	run --separate-stderr "$XCP" -aT --manifest="$T/m.xcpm" "$EMNT" "$T/dst"
	assert_success
	assert_same_tree "$T/src" "$T/dst" -A -D
	run "$XSYNC" verify "$T/m.xcpm" "$T/dst"
	assert_success
}

@test "EIO reading: xsync goes on (exit 23) and deletes nothing in a directory it could not list" {
	_faulty "$T/src"
	mkdir -p "$T/dst/EIO-dir"
	echo keep >"$T/dst/EIO-dir/only-here"
	_errfs "$T/src"
	local before
	before=$(_sums "$T/src")
	run --separate-stderr "$XSYNC" -a --delete "$EMNT/" "$T/dst/"
	assert_failure 23
	[[ $stderr == *"error reading '$EMNT/file-EIO-read': Input/output error"* ]] || fail "$stderr"
	[[ $stderr == *"cannot open directory '$EMNT/EIO-dir': Input/output error"* ]] || fail "$stderr"
	assert_file_not_exists "$T/dst/file-EIO-read"
	assert_equal "$(cat "$T/dst/EIO-dir/only-here")" keep
	rm "$T/dst/EIO-dir/only-here"
	cmp "$T/src/good" "$T/dst/good"
	cmp "$T/src/z/last" "$T/dst/z/last"
	_whole "$T/src" "$T/dst"
	assert_equal "$(_sums "$T/src")" "$before"
	_heal "$T/src"
	run --separate-stderr "$XSYNC" -a --delete "$EMNT/" "$T/dst/"
	assert_success
	assert_same_tree "$T/src" "$T/dst" -A
}

@test "EIO during a snapshot: exit 23, the snapshot holds the rest and verifies; once the fault is gone a rerun is complete" {
	_faulty "$T/src"
	_errfs "$T/src"
	local before
	before=$(_sums "$T/src")
	run --separate-stderr "$XSYNC" snapshot "$EMNT" "$T/repo"
	assert_failure 23
	[[ $stderr == *"'$EMNT/file-EIO-read': Input/output error"* ]] || fail "$stderr"
	assert_file_not_exists "$T/repo/latest/file-EIO-read"
	cmp "$T/src/good" "$T/repo/latest/good"
	run "$XSYNC" verify "$T/repo/latest"
	assert_success
	_whole "$T/src" "$T/repo/latest"
	# the fault goes away (the names no longer fail): a complete snapshot
	_heal "$T/src"
	run --separate-stderr "$XSYNC" snapshot "$EMNT" "$T/repo"
	assert_success
	assert_same_tree "$T/src" "$T/repo/latest" -A -D
	run "$XSYNC" verify "$T/repo"
	assert_success
	[[ $(_sums "$T/src" | sort) == $(sed -e 's/file-EIO-read/file-read/' \
		-e 's/EIO-dir/dir/' -e 's/EIO-open/open/' <<<"$before" | sort) ]]
}

@test "EIO in a template: jailclone makes no jail from it, leaves nothing half-made, and makes it once the fault is gone" {
	_faulty "$T/tpl"
	_errfs "$T/tpl"
	mkdir "$T/jails"
	run --separate-stderr "$JAILCLONE" create "$EMNT" "$T/jails/j1"
	[[ $status -eq 3 || $status -eq 4 ]] || fail "status $status: $stderr"
	[[ $stderr == *"Input/output error"* ]] || fail "$stderr"
	assert_file_not_exists "$T/jails/j1"
	[[ -z $(find "$T/jails" -name partial) ]] || fail "a partial jail is left"
	_heal "$T/tpl"
	run --separate-stderr "$JAILCLONE" create "$EMNT" "$T/jails/j1"
	assert_success
	assert_same_tree "$T/tpl" "$T/jails/j1" -A
	run "$JAILCLONE" verify "$T/jails/j1"
	assert_success
}

# ---------------------------------------------------------------------------
# ENOSPC

@test "ENOSPC: xsync stops (exit 11), leaves no half file and no temporary; with room again a rerun is complete" {
	mount_fs ext4 32M
	local i
	mkdir "$T/src"
	for i in $(seq 1 12); do head -c 2M /dev/urandom >"$T/src/f$i"; done
	set_fixture_times "$T/src"
	local before
	before=$(_sums "$T/src")
	# leave about 12 MiB free
	local free
	free=$(df -B1 --output=avail "$MNT" | tail -1)
	fallocate -l $(( free - 12 * 1024 * 1024 )) "$MNT/filler"
	run --separate-stderr "$XSYNC" -a "$T/src/" "$MNT/dst/"
	[[ $status -eq 11 ]] || fail "status $status: $stderr"
	[[ $stderr == *"No space left on device"* ]] || fail "$stderr"
	_whole "$T/src" "$MNT/dst"
	[[ $(find "$MNT/dst" -type f | wc -l) -lt 12 ]]
	rm "$MNT/filler"
	run "$XSYNC" -a "$T/src/" "$MNT/dst/"
	assert_success
	assert_same_tree "$T/src" "$MNT/dst" -A
	assert_equal "$(_sums "$T/src")" "$before"
}

@test "ENOSPC during a snapshot: no snapshot gets a name; with room again a rerun makes one that verifies" {
	mount_fs ext4 32M
	local i
	mkdir "$T/src"
	for i in $(seq 1 12); do head -c 2M /dev/urandom >"$T/src/f$i"; done
	set_fixture_times "$T/src"
	local free
	free=$(df -B1 --output=avail "$MNT" | tail -1)
	fallocate -l $(( free - 12 * 1024 * 1024 )) "$MNT/filler"
	run --separate-stderr "$XSYNC" snapshot "$T/src" "$MNT/repo"
	assert_failure 11
	[[ $stderr == *"No space left on device"* ]] || fail "$stderr"
	run "$XSYNC" list "$MNT/repo"
	[[ ${#lines[@]} -le 1 ]] || fail "a snapshot is listed: $output"
	[[ ! -e $MNT/repo/latest ]]
	rm "$MNT/filler"
	run --separate-stderr "$XSYNC" snapshot "$T/src" "$MNT/repo"
	assert_success
	assert_same_tree "$T/src" "$MNT/repo/latest" -A
	run "$XSYNC" verify "$MNT/repo"
	assert_success
	! compgen -G "$MNT/repo/*.partial" >/dev/null
}

# ---------------------------------------------------------------------------
# kill -9 at chosen points, then a rerun

@test "kill -9 in xcp at four points (a clone, the times, a subtree's rename, the tree's rename): nothing half under a final name, and a rerun verifies" {
	mount_fs xfs 400M
	_tree "$MNT/src"
	local before point sc n
	before=$(_sums "$MNT/src")
	for point in ioctl:6 utimensat:12 renameat2:1 renameat2:3; do
		sc=${point%:*} n=${point#*:}
		rm -rf "$MNT/dst" "$MNT"/.xcp-*.tmp
		# the third rename: into a destination that exists, where each
		# new subtree is built under a temporary name
		[[ $n -eq 3 ]] && mkdir "$MNT/dst"
		run _kill_at "$sc" "$n" "$XCP" -aT "$MNT/src" "$MNT/dst"
		[[ $status -eq 137 ]] || fail "$point: not killed (status $status): $output"
		# a new tree is all or nothing; what the kill leaves is named
		# .xcp-PID-*.tmp, and nothing is half under a final name
		if [[ $n -ne 3 ]]; then
			assert_file_not_exists "$MNT/dst"
		else
			[[ -d $MNT/dst/d0 && ! -e $MNT/dst/d2 ]] || fail "$point: $(ls "$MNT/dst")"
			rm -rf "$MNT"/dst/.xcp-*.tmp
			_whole "$MNT/src" "$MNT/dst"
		fi
		rm -rf "$MNT"/.xcp-*.tmp "$MNT"/dst/.xcp-*.tmp
		run --separate-stderr "$XCP" -aT --manifest="$T/m.xcpm" "$MNT/src" "$MNT/dst"
		assert_success
		assert_same_tree "$MNT/src" "$MNT/dst" -A
		run "$XSYNC" verify "$T/m.xcpm" "$MNT/dst"
		assert_success
		assert_shared "$MNT/src/d1/f1" "$MNT/dst/d1/f1"
	done
	assert_equal "$(_sums "$MNT/src")" "$before"
}

@test "kill -9 in a snapshot at five points (a clone, the manifest's sync, its rename, the tree's rename, latest): a rerun gives one complete snapshot" {
	mount_fs xfs 400M
	_tree "$MNT/src"
	local before point sc n left
	before=$(_sums "$MNT/src")
	for point in ioctl:6 fsync:1 rename:1 renameat:1 renameat:2; do
		sc=${point%:*} n=${point#*:}
		rm -rf "$MNT/repo"
		run _kill_at "$sc" "$n" "$XSYNC" snapshot "$MNT/src" "$MNT/repo"
		[[ $status -eq 137 ]] || fail "$point: not killed (status $status): $output"
		# only complete snapshots are listed, and latest is one of them
		run "$XSYNC" list "$MNT/repo"
		assert_success
		refute_output --partial partial
		if [[ -e $MNT/repo/latest ]]; then
			assert_same_tree "$MNT/src" "$MNT/repo/latest" -A
		fi
		run --separate-stderr "$XSYNC" snapshot "$MNT/src" "$MNT/repo"
		assert_success
		assert_same_tree "$MNT/src" "$MNT/repo/latest" -A
		run "$XSYNC" verify "$MNT/repo"
		assert_success
		! compgen -G "$MNT/repo/*.partial" >/dev/null ||
			fail "$point: a partial snapshot is left"
		left=$(find "$MNT/repo" -name '.xsync-*.tmp' -o -name '.latest-*')
		[[ -z $left ]] || fail "$point: left: $left"
	done
	assert_equal "$(_sums "$MNT/src")" "$before"
}

@test "kill -9 in jailclone create at four points (a clone, the tree's rename, the sync, the jail's rename): no jail under its name until complete, and a rerun verifies" {
	mount_fs xfs 400M
	_tree "$MNT/tpl"
	mkdir "$MNT/jails"
	local before point sc n on
	before=$(_sums "$MNT/tpl")
	for point in ioctl:6 renameat2:1 syncfs:1 renameat2@j1:1; do
		sc=${point%:*} n=${point#*:}
		run _kill_at "$sc" "$n" "$JAILCLONE" create -j1 "$MNT/tpl" "$MNT/jails/j1"
		[[ $status -eq 137 ]] || fail "$point: not killed (status $status): $output"
		assert_file_not_exists "$MNT/jails/j1"
		run --separate-stderr "$JAILCLONE" create "$MNT/tpl" "$MNT/jails/j1"
		assert_success
		assert_same_tree "$MNT/tpl" "$MNT/jails/j1" -A
		run "$JAILCLONE" verify "$MNT/jails/j1"
		assert_success
		[[ -z $(find "$MNT/jails/.jailclone" -name partial) ]]
		run "$JAILCLONE" destroy "$MNT/jails/j1"
		[[ $status -eq 0 ]] || fail "$point: destroy: $output"
		# the lock file stays (removing it would race another command)
		[[ $(ls -A "$MNT/jails/.jailclone") == j1.lock ]] ||
			fail "$point: records left: $(ls -A "$MNT/jails/.jailclone")"
	done
	assert_equal "$(_sums "$MNT/tpl")" "$before"
}

@test "kill -9 in an xsync mirror (a clone, a file's rename) and in jailclone update (an entry's rename): the rerun completes and removes what the kill left" {
	mount_fs xfs 400M
	_tree "$MNT/src"
	"$XSYNC" -a "$MNT/src/" "$MNT/dst/"
	cp -a "$MNT/src" "$MNT/v1"
	local i point sc n
	for i in $(seq 1 60); do echo "changed $i" >>"$MNT/src/d$(( i % 6 ))/f$i"; done
	for point in ioctl:4 renameat:3; do
		sc=${point%:*} n=${point#*:}
		rm -rf "$MNT/dst"
		"$XSYNC" -a "$MNT/v1/" "$MNT/dst/"
		run _kill_at "$sc" "$n" "$XSYNC" -a "$MNT/src/" "$MNT/dst/"
		[[ $status -eq 137 ]] || fail "$point: not killed (status $status): $output"
		# each file is the old one or the new one, whole
		while IFS= read -r -d '' f; do
			cmp -s "$MNT/src/$f" "$MNT/dst/$f" || cmp -s "$MNT/v1/$f" "$MNT/dst/$f" ||
				fail "$point: $f is neither version"
		done < <(cd "$MNT/dst" && find . -type f ! -name '.xsync-*' -print0)
		run "$XSYNC" -aH "$MNT/src/" "$MNT/dst/"
		assert_success
		assert_same_tree "$MNT/src" "$MNT/dst" -A
	done
	mkdir "$MNT/jails"
	run "$JAILCLONE" create "$MNT/v1" "$MNT/jails/j1"
	assert_success
	run _kill_at renameat 5 "$JAILCLONE" update --template "$MNT/src" "$MNT/jails/j1"
	[[ $status -eq 137 ]] || fail "update not killed (status $status): $output"
	[[ -n $(find "$MNT/jails/j1" -name '.jailclone-*.new') ]] ||
		fail "the kill came before any new entry was made"
	run --separate-stderr "$JAILCLONE" update --template "$MNT/src" "$MNT/jails/j1"
	assert_success
	[[ -z $(find "$MNT/jails/j1" -name '.jailclone-*') ]] || fail "left: $(find "$MNT/jails/j1" -name '.jailclone-*')"
	assert_same_tree "$MNT/src" "$MNT/jails/j1" -A -D
	run "$JAILCLONE" verify "$MNT/jails/j1"
	assert_success
	assert_output ''
}

# ---------------------------------------------------------------------------
# files changing while they are copied

# _during FILE ACTION CMD...: run CMD with its first read of FILE's data
# held back 2 s (strace delays it), and do ACTION to FILE meanwhile.
_during() {
	local file=$1 action=$2
	shift 2
	command -v strace >/dev/null || skip_or_fail "strace not installed"
	traced -f -qq -o /dev/null -P "$file" \
		-e trace=read,pread64,copy_file_range,sendfile,ioctl \
		-e inject=read,pread64,copy_file_range,sendfile,ioctl:delay_enter=2000000:when=1 \
		"$@" >"$T/during.out" 2>"$T/during.err" &
	local pid=$!
	sleep 1
	case $action in
	grow) head -c 100000 /dev/urandom >>"$file" ;;
	shrink) truncate -s 1000 "$file" ;;
	vanish) rm "$file" ;;
	replace) head -c 5000 /dev/urandom >"$file.new" && mv "$file.new" "$file" ;;
	esac
	DURING_STATUS=0
	wait "$pid" || DURING_STATUS=$?
}

@test "a file that grows, shrinks, vanishes or is replaced while xcp copies it: the copy is one the file had, and the manifest says what was written" {
	mount_fs ext4 200M
	local action
	for action in grow shrink vanish replace; do
		rm -rf "$T/src" "$MNT/dst"
		mkdir "$T/src"
		head -c 300000 /dev/urandom >"$T/src/moving"
		echo still >"$T/src/still"
		cp "$T/src/moving" "$T/old"
		_during "$T/src/moving" "$action" "$XCP" -a --manifest="$T/m.xcpm" "$T/src" "$MNT/dst"
		[[ $DURING_STATUS -le 1 ]] || fail "$action: status $DURING_STATUS: $(cat "$T/during.err")"
		cmp "$T/src/still" "$MNT/dst/still"
		# the copy is the old content, or the content now
		if ! cmp -s "$T/old" "$MNT/dst/moving"; then
			[[ -e $T/src/moving ]] && cmp "$T/src/moving" "$MNT/dst/moving" ||
				fail "$action: the copy is neither the old nor the new file"
		fi
		run "$XSYNC" verify "$T/m.xcpm" "$MNT/dst"
		assert_success
		# a rerun brings the copy up to date and verifies (cp semantics:
		# a file gone from the source stays in the copy)
		[[ $action != vanish ]] || rm "$MNT/dst/moving"
		run --separate-stderr "$XCP" -aT --manifest="$T/m2.xcpm" "$T/src" "$MNT/dst"
		assert_success
		[[ $action == vanish ]] || cmp "$T/src/moving" "$MNT/dst/moving"
		run "$XSYNC" verify "$T/m2.xcpm" "$MNT/dst"
		assert_success
	done
}

@test "a file that grows, shrinks, vanishes or is replaced during an xsync mirror: said (exit 24), each copy whole, the next run brings it up to date" {
	local action
	for action in grow shrink vanish replace; do
		rm -rf "$T/src" "$T/dst"
		mkdir "$T/src"
		head -c 300000 /dev/urandom >"$T/src/moving"
		echo still >"$T/src/still"
		cp "$T/src/moving" "$T/old"
		_during "$T/src/moving" "$action" "$XSYNC" -a "$T/src/" "$T/dst/"
		if [[ $action == vanish ]]; then
			[[ $DURING_STATUS -eq 0 || $DURING_STATUS -eq 24 ]] ||
				fail "$action: status $DURING_STATUS: $(cat "$T/during.err")"
		else
			[[ $DURING_STATUS -eq 24 ]] ||
				fail "$action: status $DURING_STATUS: $(cat "$T/during.err")"
		fi
		if ! cmp -s "$T/old" "$T/dst/moving"; then
			cmp "$T/src/moving" "$T/dst/moving" ||
				fail "$action: the copy is neither the old nor the new file"
		fi
		sleep 1.1
		run "$XSYNC" -a --delete "$T/src/" "$T/dst/"
		assert_success
		assert_same_tree "$T/src" "$T/dst" -A -D
	done
}

@test "a file that grows, shrinks, vanishes or is replaced during a snapshot: said (exit 24), the snapshot verifies, the next one has the file as it is" {
	mount_fs ext4 200M
	local action
	for action in grow shrink vanish replace; do
		rm -rf "$T/src" "$MNT/repo"
		mkdir "$T/src"
		head -c 300000 /dev/urandom >"$T/src/moving"
		echo still >"$T/src/still"
		set_fixture_times "$T/src"
		cp "$T/src/moving" "$T/old"
		_during "$T/src/moving" "$action" "$XSYNC" snapshot "$T/src" "$MNT/repo"
		[[ $DURING_STATUS -eq 24 || $DURING_STATUS -eq 0 ]] ||
			fail "$action: status $DURING_STATUS: $(cat "$T/during.err")"
		if [[ $action != vanish ]]; then
			assert_equal "$DURING_STATUS" 24
			grep -q "moving' changed while it was copied" "$T/during.err" ||
				fail "$action: $(cat "$T/during.err")"
		fi
		if ! cmp -s "$T/old" "$MNT/repo/latest/moving"; then
			cmp "$T/src/moving" "$MNT/repo/latest/moving" ||
				fail "$action: the copy is neither the old nor the new file"
		fi
		run "$XSYNC" verify "$MNT/repo"
		assert_success
		sleep 1.1
		run "$XSYNC" snapshot "$T/src" "$MNT/repo"
		assert_success
		assert_same_tree "$T/src" "$MNT/repo/latest" -A -D
		run "$XSYNC" verify "$MNT/repo"
		assert_success
	done
}

@test "a template file that changes while jailclone copies it: no jail is made (exit 3), and a rerun makes one that verifies" {
	mount_fs ext4 200M
	local action
	mkdir "$MNT/jails"
	for action in grow replace; do
		rm -rf "$T/tpl"
		mkdir -p "$T/tpl/etc"
		head -c 300000 /dev/urandom >"$T/tpl/etc/moving"
		echo still >"$T/tpl/etc/still"
		_during "$T/tpl/etc/moving" "$action" "$JAILCLONE" create "$T/tpl" "$MNT/jails/j1"
		[[ $DURING_STATUS -eq 3 ]] || fail "$action: status $DURING_STATUS: $(cat "$T/during.err")"
		grep -q "the template changed while it was made" "$T/during.err" ||
			fail "$action: $(cat "$T/during.err")"
		assert_file_not_exists "$MNT/jails/j1"
		run --separate-stderr "$JAILCLONE" create "$T/tpl" "$MNT/jails/j1"
		assert_success
		assert_same_tree "$T/tpl" "$MNT/jails/j1" -A
		run "$JAILCLONE" verify "$MNT/jails/j1"
		assert_success
		run "$JAILCLONE" destroy "$MNT/jails/j1"
		assert_success
	done
}

# ---------------------------------------------------------------------------
# permissions and a read-only destination

@test "permission denied as an unprivileged user: xsync names each, copies the rest, exit 23" {
	require_root "to switch to user nobody"
	mkdir -p "$T/src/closed" "$T/src/open" "$T/dst/locked"
	echo secret >"$T/src/closed/f"
	echo a >"$T/src/open/a"
	echo b >"$T/src/unreadable"
	echo c >"$T/src/c"
	mkdir -p "$T/src/locked"
	echo d >"$T/src/locked/d"
	chmod 000 "$T/src/closed" "$T/src/unreadable"
	chmod 555 "$T/dst/locked"
	chown -R 65534:65534 "$T/dst"
	chmod 755 "$T/dst"
	local xs
	xs=$(_nobody_prog "$XSYNC")
	run --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups -- \
		"$xs" -r "$T/src/" "$T/dst/"
	assert_failure 23
	[[ $stderr == *"'$T/src/closed'"*"Permission denied"* ]] || fail "$stderr"
	[[ $stderr == *"'$T/src/unreadable'"*"Permission denied"* ]] || fail "$stderr"
	[[ $stderr == *"'$T/dst/locked/"*"Permission denied"* ]] || fail "$stderr"
	assert_equal "$(cat "$T/dst/open/a")" a
	assert_equal "$(cat "$T/dst/c")" c
	assert_file_not_exists "$T/dst/unreadable"
	assert_file_not_exists "$T/dst/locked/d"
	_whole "$T/src" "$T/dst"
	# permissions given back: a rerun completes
	chmod 755 "$T/src/closed" "$T/dst/locked"
	chmod 644 "$T/src/unreadable"
	run --separate-stderr "$XSYNC" -a "$T/src/" "$T/dst/"
	assert_success
	assert_same_tree "$T/src" "$T/dst" -A
}

@test "a read-only destination: each command says so and makes nothing; read-write again, a rerun is complete" {
	mount_fs ext4 64M
	_tree "$T/src"
	mkdir "$MNT/jails"
	mount -o remount,ro "$MNT"
	run --separate-stderr "$XCP" -a "$T/src" "$MNT/dst"
	assert_failure 1
	[[ $stderr == *"'$MNT/dst'"*"Read-only file system"* ]] || fail "$stderr"
	run --separate-stderr "$XSYNC" -a "$T/src/" "$MNT/mirror/"
	assert_failure
	[[ $stderr == *"'$MNT/mirror"*"Read-only file system"* ]] || fail "$stderr"
	run --separate-stderr "$XSYNC" snapshot "$T/src" "$MNT/repo"
	assert_failure
	[[ $stderr == *"Read-only file system"* ]] || fail "$stderr"
	run --separate-stderr "$JAILCLONE" create "$T/src" "$MNT/jails/j1"
	assert_failure
	[[ $stderr == *"Read-only file system"* ]] || fail "$stderr"
	[[ -z $(ls -A "$MNT/jails") ]]
	[[ $(ls -A "$MNT" | sort | tr '\n' ' ') == "jails lost+found " ]] || fail "$(ls -A "$MNT")"
	mount -o remount,rw "$MNT"
	run "$XCP" -a "$T/src" "$MNT/dst"
	assert_success
	assert_same_tree "$T/src" "$MNT/dst" -A
	run "$XSYNC" -aH "$T/src/" "$MNT/mirror/"
	assert_success
	assert_same_tree "$T/src" "$MNT/mirror" -A
	run "$JAILCLONE" create "$T/src" "$MNT/jails/j1"
	assert_success
	run "$JAILCLONE" verify "$MNT/jails/j1"
	assert_success
	run "$XSYNC" snapshot "$T/src" "$MNT/repo"
	assert_success
	assert_same_tree "$T/src" "$MNT/repo/latest" -A
	run "$XSYNC" verify "$MNT/repo"
	assert_success
}
