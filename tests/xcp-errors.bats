#!/usr/bin/env bats
# xcp-errors.bats: failures, compared with GNU cp (messages and statuses)
# and checked on disk.
#
# All tests pass with XCP=/bin/cp except the ones in the section
# "xcp only" at the end (GNU cp leaves a partial file on ENOSPC).

load helpers

setup() { setup_tmp; }
teardown() { teardown_tmp; }

make_err_fixture() {
	local d=$T/in
	mkdir -p "$d/d/sub" "$d/e"
	printf 'content of a\n' >"$d/a"
	printf 'x\n' >"$d/d/x"
	ln "$d/a" "$d/hl"
	ln -s a "$d/sl"
	set_fixture_times "$d"
}

# Copying d into COPY inside itself, cp reads the entries of d in inode
# order and stops at the entry that leads to the copy.  The fixture is
# copied once for cp and once for xcp, and tmpfs hands out inode numbers
# from per-CPU batches, so the two copies may order d's entries
# differently: check each tool's tree against its own order.  Each NAME
# given is a direct entry of d that is copied exactly when it comes before
# the entry that leads to COPY.
check_own_order() {
	local copy=$1 dir stop name
	shift
	stop=${copy#d/}
	stop=${stop%%/*}
	for dir in "$T/cp" "$T/xcp"; do
		[[ -d $dir/$copy ]] || fail "$dir: $copy not created"
		for name in "$@"; do
			if (($(stat -c %i "$dir/d/$name") < $(stat -c %i "$dir/d/$stop"))); then
				[[ -e $dir/$copy/$name ]] ||
					fail "$dir: d/$name comes first but was not copied"
			else
				[[ ! -e $dir/$copy/$name ]] ||
					fail "$dir: d/$name copied after the copy met itself"
			fi
		done
	done
}

@test "missing source: cannot stat, status 1" {
	make_err_fixture
	cmp_with_cp -- nothere b
	assert_failure 1
	assert_equal "$stderr" "$XCP_NAME: cannot stat 'nothere': No such file or directory"
	assert_file_not_exists "$W/b"
}

@test "missing source among others: the others are copied, status 1" {
	make_err_fixture
	cmp_with_cp -- a nothere d/x e
	assert_failure 1
	cmp "$W/a" "$W/e/a"
	cmp "$W/d/x" "$W/e/x"
}

@test "missing source with awkward name: quoted like cp" {
	make_err_fixture
	cmp_with_cp -- $'no\nsuch' b
	assert_failure 1
	cmp_with_cp -- $'\xff\x01 it\'s' b
	assert_failure 1
}

@test "unreadable file as an unprivileged user: cannot open, status 1" {
	require_root "setpriv to an unprivileged user"
	make_err_fixture
	printf 'secret\n' >"$T/in/secret"
	chmod 600 "$T/in/secret"
	chown 65534:65534 "$T/in/e"
	set_fixture_times "$T/in"
	cmp_with_cp --as-nobody -- secret a e
	assert_failure 1
	[[ $stderr == *"cannot open 'secret' for reading: Permission denied"* ]] ||
		fail "unexpected message: $stderr"
	assert_file_not_exists "$W/e/secret"
	cmp "$W/a" "$W/e/a"
}

@test "unreadable directory as an unprivileged user: status 1, rest copied" {
	require_root "setpriv to an unprivileged user"
	make_err_fixture
	mkdir -p "$T/in/tree/closed" "$T/in/tree/open"
	printf 'c\n' >"$T/in/tree/closed/c"
	printf 'o\n' >"$T/in/tree/open/o"
	chmod 700 "$T/in/tree/closed"
	chown 65534:65534 "$T/in/e"
	set_fixture_times "$T/in"
	cmp_with_cp --as-nobody -- -R tree e
	assert_failure 1
	assert_file_exists "$W/e/tree/open/o"
	assert_file_not_exists "$W/e/tree/closed/c"
}

@test "directory into itself: message and status like cp" {
	make_err_fixture
	cmp_with_cp --no-tree -- -r d d/newsub
	assert_failure 1
	[[ $stderr == *"cannot copy a directory, 'd', into itself, 'd/newsub'"* ]] ||
		fail "unexpected message: $stderr"
	# GNU cp has created d/newsub and copied what it could before that
	[[ -d $W/d/newsub ]] || fail "d/newsub not created (cp creates it)"
	check_own_order d/newsub x sub
}

@test "directory into an existing subdirectory of itself" {
	make_err_fixture
	cmp_with_cp --no-tree -- -r d d/sub
	assert_failure 1
	[[ $stderr == *"cannot copy a directory, 'd', into itself, 'd/sub/d'"* ]] ||
		fail "unexpected message: $stderr"
	check_own_order d/sub/d x
}

@test "directory into itself with -a, through a new name" {
	make_err_fixture
	# The fixture is copied once for cp and once for xcp, and tmpfs hands
	# out inode numbers from per-CPU batches, so the two copies may order
	# d/x and d/sub differently: compare each tool with its own tree.
	cmp_with_cp --no-tree -- -a d d/sub/new
	assert_failure 1
	check_own_order d/sub/new x
	local dir
	for dir in "$T/cp" "$T/xcp"; do
		assert_equal "$(stat -c %a.%Y "$dir/d/sub/new")" \
			"$(stat -c %a.%Y "$dir/d")"
	done
}

@test "same file: xcp a a" {
	make_err_fixture
	cmp_with_cp -- a a
	assert_failure 1
	assert_equal "$stderr" "$XCP_NAME: 'a' and 'a' are the same file"
	assert_equal "$(cat "$W/a")" 'content of a'
}

@test "same file through a hardlink: xcp a hl" {
	make_err_fixture
	cmp_with_cp -- a hl
	assert_failure 1
	assert_equal "$stderr" "$XCP_NAME: 'a' and 'hl' are the same file"
	assert_equal "$(cat "$W/a")" 'content of a'
}

@test "same file through a symlink: xcp a sl" {
	make_err_fixture
	cmp_with_cp -- a sl
	assert_failure 1
	assert_equal "$(cat "$W/a")" 'content of a'
	[[ -L $W/sl ]] || fail "sl was replaced"
}

@test "same file with -a; but --remove-destination onto a hardlink succeeds" {
	make_err_fixture
	cmp_with_cp -- -a a hl
	assert_failure 1
	assert_equal "$(cat "$W/a")" 'content of a'
	assert_equal "$(inode_of "$W/a")" "$(inode_of "$W/hl")"
	# GNU cp 9.1: with --remove-destination, 'a' onto its own hardlink 'hl'
	# is not an error: hl is unlinked and recreated as a separate copy
	cmp_with_cp -- --remove-destination a hl
	assert_success
	assert_equal "$(cat "$W/a")" 'content of a'
	assert_equal "$(cat "$W/hl")" 'content of a'
	assert_not_equal "$(inode_of "$W/a")" "$(inode_of "$W/hl")"
}

@test "nonexistent destination directory: cannot create regular file" {
	make_err_fixture
	cmp_with_cp -- a nodir/b
	assert_failure 1
	assert_equal "$stderr" "$XCP_NAME: cannot create regular file 'nodir/b': No such file or directory"
	assert_file_not_exists "$W/nodir"
}

@test "destination below a regular file: Not a directory" {
	make_err_fixture
	cmp_with_cp -- d/x a/b
	assert_failure 1
	assert_equal "$(cat "$W/a")" 'content of a'
}

@test "unwritable destination directory as an unprivileged user" {
	require_root "setpriv to an unprivileged user"
	make_err_fixture
	chmod 755 "$T/in/e"
	set_fixture_times "$T/in"
	cmp_with_cp --as-nobody -- a e/
	assert_failure 1
	[[ $stderr == *"cannot create regular file 'e/a': Permission denied"* ]] ||
		fail "unexpected message: $stderr"
	assert_file_not_exists "$W/e/a"
}

@test "unwritable destination directory, recursive copy, as an unprivileged user" {
	require_root "setpriv to an unprivileged user"
	make_err_fixture
	cmp_with_cp --as-nobody -- -R d e
	assert_failure 1
	assert_file_not_exists "$W/e/d"
}

@test "cannot overwrite a directory with a non-directory" {
	make_err_fixture
	cmp_with_cp -- -T a e
	assert_failure 1
	[[ -d $W/e ]] || fail "e is no longer a directory"
}

@test "cannot overwrite a non-directory with a directory" {
	make_err_fixture
	cmp_with_cp -- -R d a
	assert_failure 1
	assert_equal "$(cat "$W/a")" 'content of a'
}

# ---------------------------------------------------------------------------
# ENOSPC

# _enospc_setup: 20 MiB ext4 on $MNT with an empty directory dst, and a
# 40 MiB random source file $T/big (on the tmp filesystem).
_enospc_setup() {
	mount_fs ext4 20M
	mkdir "$MNT/dst"
	head -c 41943040 /dev/urandom >"$T/big"
	SUM_BEFORE=$(sha256sum <"$T/big")
}

@test "ENOSPC: status 1 and 'No space left on device' like cp" {
	_enospc_setup
	run_cp "$T/big" "$MNT/dst/big"
	local cp_status=$status cp_out=$output
	rm -f "$MNT/dst/big"
	sync
	run_xcp "$T/big" "$MNT/dst/big"
	assert_failure "$cp_status"
	assert_output --partial 'No space left on device'
	# same message up to the first quote ("cp: error writing '...")
	local xmsg
	xmsg=$(_normalise "$output")
	assert_equal "${xmsg%%\'*}" "${cp_out%%\'*}"
	[[ $output == *"'$MNT/dst/big'"* ]] || fail "message does not name the destination: $output"
	assert_equal "$(sha256sum <"$T/big")" "$SUM_BEFORE"
}

# ---------------------------------------------------------------------------
# xcp only: stronger guarantees than GNU cp

@test "xcp only: ENOSPC leaves neither the destination nor a temporary file" {
	_enospc_setup
	run_xcp "$T/big" "$MNT/dst/big"
	assert_failure 1
	assert_output --partial 'No space left on device'
	assert_file_not_exists "$MNT/dst/big"
	assert_equal "$(ls -A "$MNT/dst")" ''
	assert_equal "$(sha256sum <"$T/big")" "$SUM_BEFORE"
	# and the space is given back: a small file fits again
	printf 'fits\n' >"$MNT/dst/small"
	sync
	assert_equal "$(cat "$MNT/dst/small")" fits
}

@test "setuid and setgid bits are dropped when the owner cannot be kept, like cp -p" {
	require_root "setpriv to an unprivileged user"
	mkdir -p "$T/in"
	printf 'tool\n' >"$T/in/s"
	chmod 6755 "$T/in/s"
	chown 65534:65534 "$T/in"
	cmp_with_cp --as-nobody -- -p s c
	assert_success
	assert_equal "$(stat -c '%a %u' "$W/c")" '755 65534'
	assert_equal "$(stat -c '%a %u' "$W/s")" '6755 0'
}
