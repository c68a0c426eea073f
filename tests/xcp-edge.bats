#!/usr/bin/env bats
# xcp-edge.bats: destinations that are not plain files, sparse layouts,
# skipped hardlinks, unreadable sources in the middle of a run, inherited
# ACLs and deep trees through symlinks -- each compared with GNU cp and
# checked on disk.

load helpers

setup() { setup_tmp; }
teardown() { teardown_tmp; }

# sparse_at_zero FILE: data at offset 0, a 1 MiB hole, data at the end
sparse_at_zero() {
	head -c 1048576 /dev/urandom >"$1"
	truncate -s 2M "$1"
	head -c 1048576 /dev/urandom >>"$1"
}

@test "--sparse=always: a sparse file whose data starts at offset 0 is copied exactly" {
	mkdir -p "$T/in"
	sparse_at_zero "$T/in/sp"
	cmp_with_cp --dump -H -- --sparse=always sp d
	assert_success
	cmp "$W/sp" "$W/d"
	(( $(blocks_of "$W/d") < $(( 3 * 2048 )) )) || fail "the hole was filled"
}

@test "xfs to ext4 and --reflink=never on xfs: data at offset 0 survives" {
	local x e
	# not in $( ): teardown must see the mounts to undo them
	mount_fs xfs 512M >/dev/null
	x=$MNT
	mount_fs ext4 256M >/dev/null
	e=$MNT
	sparse_at_zero "$x/sp"
	run "$XCP" --debug "$x/sp" "$e/sp"
	assert_success
	cmp "$x/sp" "$e/sp"
	run "$XCP" --debug --reflink=never "$x/sp" "$x/copy"
	assert_success
	assert_output --partial 'strategy: bytecopy'
	cmp "$x/sp" "$x/copy"
	refute_shared "$x/copy"
}

@test "-an with an existing destination: a skipped file never becomes a link target" {
	mkdir -p "$T/in/s" "$T/in/d"
	printf 'new\n' >"$T/in/s/a"
	ln "$T/in/s/a" "$T/in/s/b"
	printf 'OLD\n' >"$T/in/d/a"
	set_fixture_times "$T/in"
	cmp_with_cp --dump -D -- -an s/. d/
	assert_success
	assert_equal "$(cat "$W/d/a")" OLD
	assert_equal "$(cat "$W/d/b")" new
	assert_equal "$(stat -c %h "$W/d/a")" 1
}

@test "-ai answered n for a hardlink group leaves no temporary file" {
	mkdir -p "$T/in/s"
	printf 'new\n' >"$T/in/s/a"
	ln "$T/in/s/a" "$T/in/s/b"
	cp -a "$T/in/s" "$T/in/d"
	printf 'changed\n' >"$T/in/s/a"
	set_fixture_times "$T/in"
	# cp asks in inode order, xcp in name order: answer both the same
	cmp_with_cp --status-only --dump -D --stdin $'n\nn\n' -- -ai s/. d/
	assert_success
	run ls -A "$W/d"
	assert_output $'a\nb'
	assert_equal "$(cat "$W/d/a")" new
	cmp_with_cp --status-only --dump -D --stdin $'y\ny\n' -- -ai s/. d/
	assert_success
	run ls -A "$W/d"
	assert_output $'a\nb'
	assert_equal "$(cat "$W/d/b")" changed
	assert_equal "$(stat -c %h "$W/d/a")" 2
}

@test "--attributes-only through a symlink keeps the target's data" {
	mkdir -p "$T/in"
	printf 'precious\n' >"$T/in/target"
	printf 'src\n' >"$T/in/s"
	ln -s target "$T/in/link"
	set_fixture_times "$T/in"
	cmp_with_cp --dump -D -- --attributes-only s link
	assert_success
	assert_equal "$(cat "$W/target")" precious
	[[ -L $W/link ]] || fail "the symlink was replaced"
}

@test "a trailing slash on an existing file is refused like cp" {
	mkdir -p "$T/in"
	printf 'src\n' >"$T/in/a"
	printf 'keep\n' >"$T/in/b"
	set_fixture_times "$T/in"
	cmp_with_cp -- a b/
	assert_failure 1
	assert_equal "$(cat "$W/b")" keep
}

@test "-T onto a symlink to a directory is refused like cp" {
	mkdir -p "$T/in/dir"
	printf 'src\n' >"$T/in/s"
	ln -s dir "$T/in/link"
	set_fixture_times "$T/in"
	cmp_with_cp -- -T s link
	assert_failure 1
	[[ -L $W/link ]] || fail "the symlink was replaced"
}

@test "a directory onto a symlink pointing outside writes nothing outside" {
	mkdir -p "$T/in/src/sub" "$T/in/dest" "$T/in/outside"
	printf 'f\n' >"$T/in/src/sub/f"
	ln -s ../outside "$T/in/dest/src"
	set_fixture_times "$T/in"
	cmp_with_cp -- -r src dest
	assert_failure 1
	run ls -A "$W/outside"
	assert_output ''
}

@test "a character device destination stays a device, written to like cp" {
	require_root "mknod"
	mkdir -p "$T/in"
	printf 'data\n' >"$T/in/f"
	mknod "$T/in/null" c 1 3
	chmod 666 "$T/in/null"
	set_fixture_times "$T/in"
	cmp_with_cp --dump -D -- f null
	assert_success
	[[ -c $W/null ]] || fail "the device was replaced"
}

@test "-u judges a symlink destination by its target's mtime" {
	mkdir -p "$T/in"
	printf 'src\n' >"$T/in/s"
	printf 'newer-dest\n' >"$T/in/target"
	ln -s target "$T/in/link"
	set_fixture_times "$T/in"
	touch -m -d '2030-01-01' "$T/in/target"
	touch -h -m -d '2019-01-01' "$T/in/link"
	touch -m -d '2025-01-01' "$T/in/s"
	cmp_with_cp -- -u s link
	assert_success
	assert_equal "$(cat "$W/target")" newer-dest
}

@test "an unreadable source in the middle does not stop the other operands" {
	mkdir -p "$T/in/d"
	printf '1\n' >"$T/in/f1"
	printf '2\n' >"$T/in/f2"
	set_fixture_times "$T/in"
	cmp_with_cp --status-only --no-tree -- /proc/self/mem f1 f2 d
	assert_failure 1
	assert_equal "$(cat "$W/d/f1")" 1
	assert_equal "$(cat "$W/d/f2")" 2
	[[ $stderr == *"error reading '/proc/self/mem'"* ]] ||
		fail "unexpected message: $stderr"
}

@test "new files and directories inherit the destination's default ACL like cp" {
	command -v setfacl >/dev/null || skip_or_fail "needs setfacl"
	mkdir -p "$T/in/src/sub" "$T/in/dst"
	printf 'f\n' >"$T/in/src/f"
	chmod 664 "$T/in/src/f"
	setfacl -d -m u:65534:rwx "$T/in/dst" ||
		skip_or_fail "no ACL support on $T"
	set_fixture_times "$T/in"
	cmp_with_cp -- -r src dst
	assert_success
	run getfacl -cn "$W/dst/src/f"
	assert_line --regexp '^user:65534:rwx'
	assert_line 'mask::rw-'
}

@test "an unprivileged overwrite of a setuid file drops the bit like cp" {
	require_root "setpriv to an unprivileged user"
	mkdir -p "$T/in"
	printf 'src\n' >"$T/in/s"
	printf 'old\n' >"$T/in/d"
	chmod 4755 "$T/in/d"
	chown 65534:65534 "$T/in" "$T/in/d"
	set_fixture_times "$T/in"
	cmp_with_cp --dump -D --as-nobody -- s d
	assert_success
	assert_equal "$(stat -c %a "$W/d")" 755
}

@test "-rL through a symlinked directory more than 64 levels deep" {
	local p i
	mkdir -p "$T/in/src"
	p=$T/in/src
	for (( i = 0; i < 66; i++ )); do p=$p/d; done
	mkdir -p "$p/real" "$p/zz"
	printf 'f\n' >"$p/real/f"
	printf 'g\n' >"$p/zz/g"
	ln -s real "$p/lnk"
	set_fixture_times "$T/in"
	cmp_with_cp -- -rL src dst
	assert_success
	assert_file_exists "$W/dst/$(printf 'd/%.0s' {1..66})zz/g"
}

@test "a socket without -R fails to open like cp" {
	mkdir -p "$T/in"
	make_socket "$T/in/sock" || skip_or_fail "cannot make a socket"
	cmp_with_cp --no-tree -- sock copy
	assert_failure 1
	assert_file_not_exists "$W/copy"
}

# wait_stage DIR: until a tree under a temporary name appears in DIR
wait_stage() {
	local i
	for i in $(seq 200); do
		compgen -G "$1/.xcp-*.tmp" >/dev/null && return 0
		sleep 0.05
	done
	fail "no .xcp-*.tmp directory appeared in $1"
}

@test "a new tree gets its name only when complete: kill -9 leaves none under it" {
	mkdir -p "$T/src/sub"
	mkfifo "$T/src/sub/pipe"
	# --copy-contents: the copy blocks reading the FIFO, mid-tree
	"$XCP" -a --copy-contents "$T/src" "$T/dst" &
	local pid=$! tmp
	wait_stage "$T"
	[[ ! -e $T/dst ]] || fail "the final name appeared before the tree was complete"
	tmp=$(compgen -G "$T/.xcp-*.tmp")
	kill -9 "$pid"
	wait "$pid" || true
	[[ ! -e $T/dst ]] || fail "the final name appeared after kill -9"
	# what was done is kept under the temporary name
	[[ -d $tmp/sub ]]
}

@test "a name taken while the tree was built: the copy stays, and the error names it" {
	mkdir -p "$T/src/sub"
	printf 'x\n' >"$T/src/a"
	mkfifo "$T/src/sub/pipe"
	"$XCP" -a --copy-contents "$T/src" "$T/dst" 2>"$T/err" &
	local pid=$! tmp st=0
	wait_stage "$T"
	tmp=$(compgen -G "$T/.xcp-*.tmp")
	mkdir "$T/dst"
	printf 'piped\n' >"$T/src/sub/pipe"
	wait "$pid" || st=$?
	assert_equal "$st" 1
	run cat "$T/err"
	assert_output "xcp: cannot rename '$tmp' to '$T/dst': File exists"
	# the directory made meanwhile is untouched; the copy is whole
	assert_equal "$(ls -A "$T/dst")" ""
	assert_equal "$(cat "$tmp/a")" x
	assert_equal "$(cat "$tmp/sub/pipe")" piped
	[[ -f $tmp/sub/pipe ]]
}

@test "hard links across new trees built side by side keep one inode, at -j1 and -j4" {
	local j
	mkdir -p "$T/in/s/x" "$T/in/s/y/deep" "$T/in/d"
	printf 'one\n' >"$T/in/s/x/a"
	ln "$T/in/s/x/a" "$T/in/s/y/b"
	ln "$T/in/s/x/a" "$T/in/s/y/deep/c"
	for i in $(seq 40); do printf '%s\n' "$i" >"$T/in/s/x/f$i"; done
	set_fixture_times "$T/in"
	cmp_with_cp --dump -H -- -a s/. d/
	assert_success
	for j in 1 4; do
		rm -rf "$T/j$j"
		mkdir "$T/j$j"
		run "$XCP" -a -j"$j" "$T/in/s/." "$T/j$j/"
		assert_success
		assert_equal "$(stat -c %i "$T/j$j/y/b")" "$(stat -c %i "$T/j$j/x/a")"
		assert_equal "$(stat -c %i "$T/j$j/y/deep/c")" "$(stat -c %i "$T/j$j/x/a")"
		assert_equal "$(stat -c %h "$T/j$j/x/a")" 3
		# across operands too: the first operand's tree is in place
		rm -rf "$T/k$j"
		mkdir "$T/k$j"
		run "$XCP" -a -j"$j" "$T/in/s/x" "$T/in/s/y" "$T/k$j/"
		assert_success
		assert_equal "$(stat -c %i "$T/k$j/y/b")" "$(stat -c %i "$T/k$j/x/a")"
		[[ -z $(compgen -G "$T/k$j/.xcp-*") && -z $(compgen -G "$T/j$j/.xcp-*") ]]
	done
}

@test "a new tree in a setgid directory under umask 077: groups and modes as cp's" {
	require_root "making files of another group"
	local opts
	mkdir -p "$T/in/s/sub" "$T/in/d"
	printf 'a\n' >"$T/in/s/a"
	printf 'b\n' >"$T/in/s/sub/b"
	chmod 0664 "$T/in/s/a"
	chmod 0640 "$T/in/s/sub/b"
	chgrp 65534 "$T/in/d"
	chmod 2775 "$T/in/d"
	set_fixture_times "$T/in"
	umask 077
	for opts in -a -R --preserve=mode; do
		cmp_with_cp --dump -H -- -R $opts s d/
		assert_success
	done
	# -a keeps the source's group; -R takes the directory's
	cmp_with_cp --dump -H -- -a s d/
	assert_equal "$(stat -c %g "$W/d/s/a")" 0
	assert_equal "$(stat -c %a "$W/d/s/a")" 664
	cmp_with_cp --dump -H -- -R s d/
	assert_equal "$(stat -c %g "$W/d/s/sub/b")" 65534
	assert_equal "$(stat -c %a "$W/d/s/sub/b")" 600
}
