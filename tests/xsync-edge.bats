#!/usr/bin/env bats
# xsync-edge.bats: regression tests for bugs found in review of the
# manifest code (hashq, scan, census, verify, export, scribe).  Each test
# names the bug it covers and fails while the bug is there; every assertion
# is about what is on disk, the manifest's records, or the exact output and
# exit status.

load helpers

setup() {
	setup_tmp
	: "${XSYNC:=$BATS_TEST_DIRNAME/../bin/xsync}"
	[[ -x $XSYNC ]] || fail "XSYNC=$XSYNC is not an executable file"
}
teardown() { teardown_tmp; }

# _record M PATH: the record of PATH (as written, escapes and all) in M.
_record() { P=$2 awk -F'\t' '$10 == ENVIRON["P"]' "$1"; }

# _hash FILE: its XXH3-128 as the manifest writes it.
_hash() { xxhsum -H2 "$1" | cut -d' ' -f1; }

# _unhashed M: the regular-file records of M that have no hash.
_unhashed() { awk -F'\t' '$1 == "f" && $7 == "-"' "$1"; }

# _is_asan BINARY: built with AddressSanitizer (LeakSanitizer included).
_is_asan() { LC_ALL=C grep -qa '__asan_init' "$1"; }

# _leaks BINARY ARGS...: run under LeakSanitizer (ASan builds) or valgrind
# and set LEAKS to the report of definitely lost blocks ("" when none) and
# LEAK_STATUS to the command's exit status.
_leaks() {
	local log=$T/.leaks
	: >"$log"
	LEAK_STATUS=0
	if _is_asan "$1"; then
		ASAN_OPTIONS=detect_leaks=1:log_path="$log.asan" \
			LSAN_OPTIONS=exitcode=0 "$@" >"$T/.leaks.out" 2>&1 ||
			LEAK_STATUS=$?
		cat "$log".asan.* >"$log" 2>/dev/null || true
	else
		command -v valgrind >/dev/null ||
			skip_or_fail "needs valgrind (or an ASan build) to see leaks"
		valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
			--show-leak-kinds=definite --log-file="$log" \
			"$@" >"$T/.leaks.out" 2>&1 || LEAK_STATUS=$?
	fi
	LEAKS=$(grep -A12 -E 'definitely lost|Direct leak' "$log" || true)
}

# Bug: hash_fd() keeps a 1 MiB read buffer in a _Thread_local pointer
# (lib/core/hash.c) that nobody frees: every hashing worker thread leaks it
# when hashq_free() joins it.  LeakSanitizer then fails every xsync
# manifest/verify and xcp --manifest of an ASan build (exit status 23).
@test "hashing workers free their read buffers (no leak at exit)" {
	mkdir "$T/src"
	for i in 1 2 3 4 5 6; do head -c 3000 /dev/urandom >"$T/src/f$i"; done
	_leaks "$XSYNC" manifest -j 2 -o "$T/M" "$T/src"
	[[ $LEAK_STATUS -eq 0 ]] || fail "xsync manifest: status $LEAK_STATUS: $(cat "$T/.leaks.out")"
	[[ -z $LEAKS ]] || fail "xsync manifest leaks:"$'\n'"$LEAKS"
	_leaks "$XSYNC" verify -j 2 "$T/M" "$T/src"
	[[ $LEAK_STATUS -eq 0 ]] || fail "xsync verify: status $LEAK_STATUS: $(cat "$T/.leaks.out")"
	[[ -z $LEAKS ]] || fail "xsync verify leaks:"$'\n'"$LEAKS"
}

# Bug: the hashing queue keeps up to 64 + 16 * threads files open whatever
# RLIMIT_NOFILE is (lib/core/hashq.c hashq_init), and census/verify open
# the next file before making room in the queue (census.c entry(),
# verify.c entry()).  Under a low limit -- or with the default limit of
# 1024 on a machine with 60 or more CPUs -- files fail with EMFILE: no
# hash, "Too many open files", exit 23.
@test "a low open-file limit: every file is hashed, status 0" {
	mkdir "$T/src"
	head -c 262144 /dev/urandom >"$T/block"
	for i in $(seq 1 300); do cp "$T/block" "$T/src/f$i"; done
	run bash -c 'ulimit -n 64 && exec "$@"' _ "$XSYNC" manifest -j 1 -o "$T/M" "$T/src"
	assert_success
	assert_output ''
	run _unhashed "$T/M"
	assert_output ''
	run bash -c 'ulimit -n 64 && exec "$@"' _ "$XSYNC" verify -j 1 "$T/M" "$T/src"
	assert_success
	assert_output ''
}

# Bug: with --copy-contents a FIFO source is copied by bytecopy, but the
# inline hash is only taken for a regular source (run.c copy_data), so the
# scribe gets the FIFO's fd as data_fd (run.c copy_file) and pread() fails
# with ESPIPE: "cannot hash '.' for the manifest: Illegal seek" (naming
# the manifest path, not the file), exit 1, and a record without a hash.
@test "xcp --copy-contents --manifest from a FIFO: the data read is hashed" {
	mkfifo "$T/fifo"
	timeout 30 bash -c 'printf "data\n" >"$1"' _ "$T/fifo" &
	run timeout 30 "$XCP" --copy-contents --manifest="$T/M" "$T/fifo" "$T/out"
	wait
	assert_success
	assert_output ''
	[[ $(cat "$T/out") == data ]]
	run _record "$T/M" .
	assert_output --regexp $'^f\t[0-7]{4}\t0\t0\t5\t[0-9]+\\.[0-9]{9}\t'"$(_hash "$T/out")"$'\tbytecopy\t-\t\\.$'
	run "$XSYNC" verify "$T/M" "$T/out"
	assert_success
	assert_output ''
}

# Bug: when a later operand replaces a file of an earlier one (two
# directories merged into one destination), write_sorted() keeps the later
# record of the path but regroup() still joins the earlier operand's hard
# links to it by path (scribe.c), so ./sub/k stays an 'h' record of
# ./sub/f although they are separate inodes now, and k's data has no hash:
# the manifest fails verification of the tree xcp just wrote.
@test "xcp --manifest: a hard link whose first link a later operand replaced" {
	mkdir -p "$T/a/sub" "$T/b/sub" "$T/into"
	printf 'a1\n' >"$T/a/sub/f"
	ln "$T/a/sub/f" "$T/a/sub/k"
	printf 'b1-longer\n' >"$T/b/sub/f"
	run "$XCP" -a --manifest="$T/M" "$T/a/sub" "$T/b/sub" "$T/into"
	assert_success
	assert_output ''
	# as GNU cp leaves it: k keeps the first data, f is no longer its link
	[[ $(cat "$T/into/sub/k") == a1 && $(cat "$T/into/sub/f") == b1-longer ]]
	[[ $(stat -c %h "$T/into/sub/k") -eq 1 ]]
	run "$XSYNC" verify "$T/M" "$T/into"
	assert_success
	assert_output ''
	run _record "$T/M" ./sub/k
	assert_output --regexp $'^f\t0644\t0\t0\t3\t[0-9.]+\t'"$(_hash "$T/into/sub/k")"$'\t'
}

# Bug: verify_tree() returns the manifest's own read errors like errors of
# the tree, so xsync names the tree (bin/xsync.c cmd_verify): "cannot
# verify 'tree': Is a directory" for a manifest operand that is a
# directory.
@test "verify: a manifest that cannot be read is the one named" {
	mkdir "$T/mdir" "$T/tree"
	run "$XSYNC" verify "$T/mdir" "$T/tree"
	assert_failure 3
	assert_output "xsync: cannot read '$T/mdir': Is a directory"
}

# Bug: a failed write of the manifest to standard output is reported as
# "cannot read 'DIR': No space left on device" (census.c turns the write
# errno into a scan failure; bin/xsync.c cmd_manifest says "read").
@test "xsync manifest: a write error names the output, not the tree" {
	mkdir "$T/tree"
	for i in $(seq 1 200); do printf '%s\n' "$i" >"$T/tree/file-$i"; done
	run bash -c '"$1" manifest "$2" >/dev/full' _ "$XSYNC" "$T/tree"
	assert_failure 3
	assert_output "xsync: cannot write '-': No space left on device"
}

# Bug: the temporary file of a manifest written inside the tree it
# describes is scanned as part of the tree: the manifest lists
# ./.MANIFEST.XXXXXX (a file that never exists afterwards).  The same
# temporary file inside an xcp source is copied into the destination.
@test "a manifest written inside its own tree does not record its temporary file" {
	mkdir "$T/tree"
	printf 'a\n' >"$T/tree/a"
	run "$XSYNC" manifest -o "$T/tree/MANIFEST" "$T/tree"
	assert_success
	assert_output ''
	run bash -c 'grep -v "^#" "$1" | cut -f10' _ "$T/tree/MANIFEST"
	assert_output $'.\n./a'
	run "$XCP" -a --manifest="$T/tree/M2" "$T/tree" "$T/dst"
	assert_success
	run ls -A "$T/dst"
	assert_output $'MANIFEST\na'
}

# Bug: the root is followed by scan_tree() (stat) but opened for hashing
# with O_NOFOLLOW (census.c census_open), so the manifest of a symlink to
# a file fails: "cannot read 'lnk': Too many levels of symbolic links",
# exit 23, no hash.
@test "xsync manifest of a symlink to a file hashes the file" {
	printf 'hi\n' >"$T/f"
	ln -s f "$T/lnk"
	run "$XSYNC" manifest "$T/lnk"
	assert_success
	assert_line --regexp $'^f\t0644\t0\t0\t3\t[0-9.]+\t'"$(_hash "$T/f")"$'\t-\t-\t\\.$'
}

# Bug: xcp --manifest records a symlink destination as it is ('l' record
# for "."), but verify follows the root: "changed type ." (or "cannot
# verify" when the link dangles) for the tree xcp just wrote.
@test "xcp -P --manifest of a symlink: verify accepts the link it made" {
	printf 'hi\n' >"$T/f"
	ln -s f "$T/lnk"
	run "$XCP" -P --manifest="$T/M" "$T/lnk" "$T/out"
	assert_success
	[[ -L $T/out && $(readlink "$T/out") == f ]]
	run _record "$T/M" .
	assert_output --regexp $'^l\t0777\t0\t0\t1\t[0-9.]+\t-\tsymlink\tf\t\\.$'
	run "$XSYNC" verify "$T/M" "$T/out"
	assert_success
	assert_output ''
}

# Bug: for hard links (-l) the scribe reads the data back by the full
# destination path (scribe.c scribe_add open(rec->dst)), which fails with
# ENAMETOOLONG past PATH_MAX although the copy itself works through
# directory fds: "cannot hash ... File name too long", exit 1.
@test "xcp -rl --manifest on a tree deeper than PATH_MAX: every file hashed" {
	local name i
	name=$(printf 'd%.0s' {1..200})
	mkdir "$T/src"
	(
		cd "$T/src" || exit 1
		for (( i = 0; i < 25; i++ )); do
			mkdir "$name$i" && cd "$name$i" || exit 1
		done
		printf 'bottom\n' >f
	) || fail "cannot build the deep tree"
	run "$XCP" -rl --manifest="$T/M" "$T/src" "$T/dst"
	assert_success
	assert_output ''
	run _unhashed "$T/M"
	assert_output ''
	run "$XSYNC" verify "$T/M" "$T/dst"
	assert_success
	assert_output ''
}

# Bug: scribe_abort() -> release() -> hashq_free() drops the items still
# queued without freeing them (scribe.c): when writing the manifest fails
# (here: its directory is full) the records waiting for a hash leak.
@test "xcp --manifest: items still queued are freed when the manifest fails" {
	local name i
	require_root "a 4 KiB tmpfs for the manifest"
	mkdir -p "$T/full"
	mount -t tmpfs -o size=4k tmpfs "$T/full" ||
		skip_or_fail "cannot mount a tmpfs"
	_MOUNTS+=("$T/full")
	name=$(printf 'n%.0s' {1..240})
	mkdir "$T/src"
	# long names fill the spill file; the records that overflow it are of
	# big files, still being hashed when the write fails
	for (( i = 10; i < 18; i++ )); do printf '%s\n' "$i" >"$T/src/a$name$i"; done
	head -c 2M /dev/urandom >"$T/big"
	for (( i = 10; i < 34; i++ )); do cp "$T/big" "$T/src/b$name$i"; done
	_leaks "$XCP" -a --manifest="$T/full/M" "$T/src" "$T/dst"
	[[ $LEAK_STATUS -eq 1 ]] || fail "status $LEAK_STATUS, expected 1: $(cat "$T/.leaks.out")"
	assert_not_exists "$T/full/M"
	if grep -q 'scribe' <<<"$LEAKS"; then
		fail "queued manifest records leak:"$'\n'"$LEAKS"
	fi
}

# Bug: an mtree spec without entries leaves the list of wanted paths null,
# and load_mtree() (verify.c) hands it to qsort() all the same: undefined
# behaviour, which an UBSan build reports and dies of.
@test "verify: an mtree spec without entries checks an empty tree as such" {
	mkdir "$T/empty"
	printf '#mtree\n/set type=file\n' >"$T/spec"
	run "$XSYNC" verify "$T/spec" "$T/empty"
	assert_success
	assert_output ''
	: >"$T/empty/x"
	run "$XSYNC" verify "$T/spec" "$T/empty"
	assert_failure 2
	assert_output 'extra ./x'
}
