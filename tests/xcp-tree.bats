#!/usr/bin/env bats
# xcp-tree.bats: copying whole trees (and tree-related options) on the
# filesystem of the test's tmp dir, compared with GNU cp.
#
# Every test here must also pass with XCP=/bin/cp.

load helpers

setup() { setup_tmp; }
teardown() { teardown_tmp; }

# A small fixture with symlinks for the -P/-L/-H/-d tests, in $T/in.
make_link_fixture() {
	local d=$T/in
	mkdir -p "$d/dir/sub" "$d/tree" "$d/out"
	printf 'file\n' >"$d/f"
	printf 'g\n' >"$d/dir/g"
	printf 'h\n' >"$d/dir/sub/h"
	ln -s f "$d/l-f"
	ln -s dir "$d/l-dir"
	ln -s nowhere "$d/l-dangling"
	ln -s l-f "$d/l-l-f" # chain
	printf 'tree file\n' >"$d/tree/t"
	ln -s ../f "$d/tree/in-f"
	ln -s ../dir "$d/tree/in-dir"
	ln -s t "$d/tree/in-t"
	set_fixture_times "$d"
}

make_dangling_tree() {
	make_link_fixture
	ln -s nowhere "$T/in/tree/in-dangling"
	set_fixture_times "$T/in"
}

# ---------------------------------------------------------------------------
# -a on the full tree

@test "xcp -a: full tree identical to cp -a and to the source (atimes included)" {
	make_full_tree "$T/src"
	run timeout 60 "$CP_REF" -a "$T/src" "$T/dc"
	assert_success
	assert_output ''
	run timeout 60 "$XCP" -a "$T/src" "$T/dx"
	assert_success
	assert_output ''
	assert_same_tree "$T/dc" "$T/dx"
	assert_same_tree "$T/src" "$T/dx"
}

@test "xcp -a: full tree, explicit on-disk checks" {
	require_root "devices and foreign owners in the fixture"
	make_full_tree "$T/src"
	local s=$T/src d=$T/dx f
	run timeout 60 "$XCP" -a "$s" "$d"
	assert_success

	# sparse file stayed sparse (1 MiB + 64 KiB of data in 256 MiB)
	cmp "$s/sparse.img" "$d/sparse.img"
	assert_equal "$(stat -c %s "$d/sparse.img")" 268435456
	local sb db
	sb=$(blocks_of "$s/sparse.img")
	db=$(blocks_of "$d/sparse.img")
	(( db <= 2 * sb && db < 8192 )) ||
		fail "sparse.img not sparse in the copy: $db blocks (source $sb)"

	# hardlinks across three directories: one inode in DST, not the source's
	local i1 i2 i3
	i1=$(inode_of "$d/x1/multi")
	i2=$(inode_of "$d/x2/multi2")
	i3=$(inode_of "$d/x3/multi3")
	assert_equal "$i2" "$i1"
	assert_equal "$i3" "$i1"
	assert_equal "$(stat -c %h "$d/x1/multi")" 3
	assert_not_equal "$i1" "$(inode_of "$s/x1/multi")"
	assert_equal "$(inode_of "$d/hl/b")" "$(inode_of "$d/hl/a")"

	# ACLs
	run getfacl -cn "$d/acl/file"
	assert_success
	assert_line 'user:1234:rwx'
	assert_line 'group:5678:r--'
	run getfacl -cn "$d/acl/ddir"
	assert_line 'default:user:1234:r-x'
	assert_line 'user:4321:rwx'
	run getfacl -cn "$d/acl/ddir/inherited"
	assert_line --regexp '^user:1234:r-x'

	# xattrs
	run getfattr --absolute-names -n user.foo --only-values "$d/small.txt"
	assert_output 'bar'
	run getfattr --absolute-names -n user.dirattr --only-values "$d/xdir"
	assert_output 'directory value'

	# modes
	assert_equal "$(stat -c %a "$d/perms/suid")" 4755
	assert_equal "$(stat -c %a "$d/perms/sgid-file")" 2750
	assert_equal "$(stat -c %a "$d/perms/sgid-dir")" 2775
	assert_equal "$(stat -c %a "$d/perms/sticky")" 1777
	assert_equal "$(stat -c %a "$d/perms/ro-dir")" 555
	assert_equal "$(stat -c %a "$d/perms/zero")" 0
	cmp "$s/perms/zero" "$d/perms/zero"
	assert_file_exists "$d/perms/ro-dir/f1"

	# owners (file, directory, symlink itself)
	assert_equal "$(stat -c %u:%g "$d/owners/file")" 1234:5678
	assert_equal "$(stat -c %u:%g "$d/owners/dir")" 1234:5678
	assert_equal "$(stat -c %u:%g "$d/owners/link")" 2345:6789

	# special files
	[[ -p $d/special/fifo ]] || fail "fifo is not a FIFO"
	if [[ -S $s/special/sock ]]; then # (needs python3 to be made)
		[[ -S $d/special/sock ]] || fail "sock is not a socket"
	fi
	[[ -c $d/special/chardev ]] || fail "chardev is not a char device"
	[[ -b $d/special/blockdev ]] || fail "blockdev is not a block device"
	assert_equal "$(stat -c %t:%T "$d/special/chardev")" 1:3
	assert_equal "$(stat -c %t:%T "$d/special/blockdev")" 7:c8

	# symlinks
	assert_equal "$(readlink "$d/links/rel")" ../small.txt
	assert_equal "$(readlink "$d/links/abs")" /etc/hostname
	assert_equal "$(readlink "$d/links/dangling")" does-not-exist
	[[ -L $d/links/todir ]] || fail "links/todir is not a symlink"

	# nanosecond times (file, symlink, directory, deepest file)
	local deep=deep
	for (( f = 1; f <= 120; f++ )); do deep+=/lv$f; done
	for f in small.txt links/rel xdir perms/ro-dir "$deep" "$deep/bottom.txt" .; do
		assert_equal "$(stat -c '%y' "$d/$f")" "$(stat -c '%y' "$s/$f")"
	done
	[[ $(stat -c %y "$d/small.txt") == *.${FIX_MTIME_NS}\ * ]] ||
		fail "small.txt mtime lost its nanoseconds: $(stat -c %y "$d/small.txt")"
	[[ $(stat -c %y "$d/links/rel") == *.987654321\ * ]] ||
		fail "symlink mtime: $(stat -c %y "$d/links/rel")"
	assert_equal "$(stat -c '%x' "$d/random.bin")" "$(stat -c '%x' "$s/random.bin")"

	# names
	for f in "with space" $'tab\there' $'new\nline' $'\xff\xfe' -leading-dash '*' \
		"$(printf 'n%.0s' {1..255})"; do
		cmp "$s/names/$f" "$d/names/$f"
	done
	cmp "$s/$deep/bottom.txt" "$d/$deep/bottom.txt"
}

@test "xcp -a: a FIFO is copied as a FIFO without being opened" {
	mkdir -p "$T/src"
	mkfifo "$T/src/fifo"
	run timeout 20 "$XCP" -a "$T/src/fifo" "$T/f2"
	assert_success
	[[ -p $T/f2 ]] || fail "destination is not a FIFO"
	run timeout 20 "$XCP" -R "$T/src" "$T/d2"
	assert_success
	[[ -p $T/d2/fifo ]] || fail "destination is not a FIFO"
	run timeout 20 "$CP_REF" -R "$T/src" "$T/d3"
	assert_same_tree "$T/d3" "$T/d2"
}

@test "xcp -a copies hardlinks given as separate operands as hardlinks" {
	mkdir -p "$T/in/dst"
	printf 'x\n' >"$T/in/a"
	ln "$T/in/a" "$T/in/b"
	set_fixture_times "$T/in"
	cmp_with_cp -- -a a b dst
	assert_success
	assert_equal "$(inode_of "$W/dst/a")" "$(inode_of "$W/dst/b")"
}

@test "xcp -a onto an existing older copy (-T) updates it like cp" {
	make_link_fixture
	"$CP_REF" -a "$T/in/tree" "$T/in/old"
	printf 'changed and longer\n' >"$T/in/old/t"
	printf 'extra\n' >"$T/in/old/extra"
	chmod 600 "$T/in/old/t"
	set_fixture_times "$T/in"
	cmp_with_cp -- -a -T tree old
	assert_success
	cmp "$W/tree/t" "$W/old/t"
	assert_equal "$(stat -c %a "$W/old/t")" 644
	assert_file_exists "$W/old/extra"
}

# ---------------------------------------------------------------------------
# recursive copies without -a, -p and --preserve

@test "xcp -R (no -a) on the full tree matches cp -R" {
	make_full_tree "$T/in/src"
	cmp_with_cp -- -R src dst
	assert_success
	# not preserved: owner, times; kept: symlinks as symlinks, holes
	assert_equal "$(stat -c %u:%g "$W/dst/owners/file")" 0:0
	[[ -L $W/dst/links/rel ]] || fail "symlink not copied as symlink"
	(( $(blocks_of "$W/dst/sparse.img") < 8192 )) || fail "holes lost"
	assert_not_equal "$(inode_of "$W/dst/x1/multi")" "$(inode_of "$W/dst/x2/multi2")"
}

@test "xcp -r on a tree matches cp -r" {
	make_link_fixture
	cmp_with_cp -- -r tree dir out
	assert_success
	assert_file_exists "$W/out/tree/t"
	assert_file_exists "$W/out/dir/sub/h"
	[[ -L $W/out/tree/in-f ]] || fail "symlink not copied as symlink"
}

@test "xcp -p on single files matches cp -p" {
	require_root "foreign owners"
	make_full_tree "$T/in/src"
	mkdir "$T/in/out"
	cmp_with_cp -- -p src/perms/suid src/owners/file src/acl/ddir/inherited src/small.txt src/perms/zero out
	assert_success
	assert_equal "$(stat -c %a "$W/out/suid")" 4755
	assert_equal "$(stat -c %u:%g "$W/out/file")" 1234:5678
	assert_equal "$(stat -c %y "$W/out/small.txt")" "$(stat -c %y "$W/src/small.txt")"
	run getfacl -cn "$W/out/inherited"
	assert_line --regexp '^user:1234:r-x'
}

@test "xcp -pR on the full tree matches cp -pR" {
	make_full_tree "$T/in/src"
	cmp_with_cp -- -pR src dst
	assert_success
	assert_equal "$(stat -c %y "$W/dst/xdir")" "$(stat -c %y "$W/src/xdir")"
}

_preserve_test() {
	make_full_tree "$T/in/src"
	cmp_with_cp -- -R "$@" src dst
}

@test "xcp -R --preserve=mode matches cp" {
	_preserve_test --preserve=mode
	assert_success
	assert_equal "$(stat -c %a "$W/dst/perms/suid")" 4755
}

@test "xcp -R --preserve=ownership matches cp" {
	require_root "foreign owners"
	_preserve_test --preserve=ownership
	assert_success
	assert_equal "$(stat -c %u:%g "$W/dst/owners/file")" 1234:5678
}

@test "xcp -R --preserve=timestamps matches cp" {
	_preserve_test --preserve=timestamps
	assert_success
	assert_equal "$(stat -c %y "$W/dst/random.bin")" "$(stat -c %y "$W/src/random.bin")"
}

@test "xcp -R --preserve=links matches cp" {
	_preserve_test --preserve=links
	assert_success
	assert_equal "$(inode_of "$W/dst/x1/multi")" "$(inode_of "$W/dst/x3/multi3")"
}

@test "xcp -R --preserve=xattr matches cp" {
	_preserve_test --preserve=xattr
	assert_success
	run getfattr --absolute-names -n user.foo --only-values "$W/dst/small.txt"
	assert_output bar
}

@test "xcp -R --preserve=all matches cp" {
	_preserve_test --preserve=all
	assert_success
}

@test "xcp -R --preserve (no list) matches cp" {
	_preserve_test --preserve
	assert_success
}

@test "xcp -R --preserve=mode,timestamps matches cp" {
	_preserve_test --preserve=mode,timestamps
	assert_success
}

@test "xcp --preserve=context without SELinux fails like cp" {
	make_link_fixture
	cmp_with_cp -- --preserve=context f g
	assert_failure
}

@test "xcp -a --no-preserve=mode matches cp" {
	_preserve_test -a --no-preserve=mode
	assert_success
	assert_equal "$(stat -c %a "$W/dst/perms/zero")" "$(stat -c %a "$T/cp/dst/perms/zero")"
}

@test "xcp -a --no-preserve=ownership,timestamps matches cp" {
	_preserve_test -a --no-preserve=ownership,timestamps
	assert_success
}

# ---------------------------------------------------------------------------
# symlink handling: -d, -P, -L, -H

@test "xcp -d copies command-line symlinks as symlinks" {
	make_link_fixture
	cmp_with_cp -- -d l-f l-dangling l-dir out
	assert_success
	assert_equal "$(readlink "$W/out/l-f")" f
	assert_equal "$(readlink "$W/out/l-dangling")" nowhere
}

@test "xcp without -d/-R follows a command-line symlink" {
	make_link_fixture
	cmp_with_cp -- l-l-f copy
	assert_success
	[[ -f $W/copy && ! -L $W/copy ]] || fail "copy is not a regular file"
	cmp "$W/f" "$W/copy"
}

@test "xcp -P copies a command-line symlink as a symlink" {
	make_link_fixture
	cmp_with_cp -- -P l-l-f copy
	assert_success
	assert_equal "$(readlink "$W/copy")" l-f
}

@test "xcp -R copies a command-line symlink to a directory as a symlink" {
	make_link_fixture
	cmp_with_cp -- -R l-dir copy
	assert_success
	[[ -L $W/copy ]] || fail "copy is not a symlink"
}

@test "xcp -RH follows command-line symlinks only" {
	make_link_fixture
	ln -s tree "$T/in/l-tree"
	cmp_with_cp -- -RH l-tree copy
	assert_success
	[[ -d $W/copy && ! -L $W/copy ]] || fail "copy is not a directory"
	[[ -L $W/copy/in-f ]] || fail "inner symlink was followed"
}

@test "xcp -RL follows all symlinks" {
	make_link_fixture
	cmp_with_cp -- -RL tree copy
	assert_success
	[[ -f $W/copy/in-f && ! -L $W/copy/in-f ]] || fail "in-f not dereferenced"
	[[ -d $W/copy/in-dir && ! -L $W/copy/in-dir ]] || fail "in-dir not dereferenced"
	assert_file_exists "$W/copy/in-dir/sub/h"
}

@test "xcp -RP copies all symlinks as symlinks" {
	make_link_fixture
	cmp_with_cp -- -RP tree copy
	assert_success
	assert_equal "$(readlink "$W/copy/in-dir")" ../dir
}

@test "xcp -RL with a dangling symlink inside the tree reports it like cp" {
	make_dangling_tree
	cmp_with_cp -- -RL tree copy
	assert_failure 1
	assert_file_exists "$W/copy/t"
}

@test "xcp -L on a dangling command-line symlink fails like cp" {
	make_link_fixture
	cmp_with_cp -- -L l-dangling copy
	assert_failure 1
	assert_file_not_exists "$W/copy"
}

@test "xcp -a -L on the full tree matches cp" {
	make_full_tree "$T/in/src"
	# /etc/hostname's atime is not ours to keep stable; no dangling links
	rm "$T/in/src/links/dangling" "$T/in/src/links/abs"
	set_fixture_times "$T/in"
	cmp_with_cp -- -a -L src dst
	assert_success
	[[ ! -L $W/dst/links/todir && -d $W/dst/links/todir ]] || fail "todir not followed"
}

# ---------------------------------------------------------------------------
# destinations: --parents, -t, -T, trailing slashes, existing dirs

@test "xcp --parents recreates the source path" {
	mkdir -p "$T/in/a/b" "$T/in/dst"
	printf 'c\n' >"$T/in/a/b/c.txt"
	chmod 700 "$T/in/a"
	set_fixture_times "$T/in"
	cmp_with_cp -- --parents a/b/c.txt dst
	assert_success
	assert_file_exists "$W/dst/a/b/c.txt"
}

@test "xcp -a --parents preserves the parent directories' attributes" {
	mkdir -p "$T/in/a/b" "$T/in/dst"
	printf 'c\n' >"$T/in/a/b/c.txt"
	chmod 700 "$T/in/a"
	chmod 750 "$T/in/a/b"
	set_fixture_times "$T/in"
	cmp_with_cp -- -a --parents a/b/c.txt dst
	assert_success
	assert_equal "$(stat -c %a "$W/dst/a")" 700
	assert_equal "$(stat -c %a "$W/dst/a/b")" 750
	assert_equal "$(stat -c %y "$W/dst/a/b")" "$(stat -c %y "$W/a/b")"
}

@test "xcp --parents with a non-directory destination fails like cp" {
	make_link_fixture
	cmp_with_cp -- --parents f dir/g
	assert_failure 1
}

@test "xcp -t DIR copies several sources into DIR" {
	make_link_fixture
	cmp_with_cp -- -R -t out f dir l-f
	assert_success
	assert_file_exists "$W/out/f"
	assert_file_exists "$W/out/dir/g"
}

@test "xcp -T copies a directory's contents onto an existing directory" {
	make_link_fixture
	cmp_with_cp -- -R -T dir out
	assert_success
	assert_file_exists "$W/out/g"
	assert_file_exists "$W/out/sub/h"
	assert_file_not_exists "$W/out/dir"
}

@test "xcp -T onto an existing file replaces it" {
	make_link_fixture
	# replacing dir/g by rename changes dir's mtime (ATOMICITY in xcp(1))
	cmp_with_cp --dump -D -- -T f dir/g
	assert_success
	cmp "$W/f" "$W/dir/g"
}

@test "xcp -R DIR EXISTING copies into it, DIR NEW creates it" {
	make_link_fixture
	cmp_with_cp -- -R dir out
	assert_success
	assert_file_exists "$W/out/dir/sub/h"
	cmp_with_cp -- -R dir new
	assert_success
	assert_file_exists "$W/new/sub/h"
}

@test "xcp FILE EXISTING_DIR copies into it, FILE NEW creates NEW" {
	make_link_fixture
	cmp_with_cp -- f out
	assert_success
	assert_file_exists "$W/out/f"
	cmp_with_cp -- f newname
	assert_success
	cmp "$W/f" "$W/newname"
}

@test "xcp -R SRC/ with a trailing slash, new and existing destination" {
	make_link_fixture
	cmp_with_cp -- -R dir/ new/
	assert_success
	assert_file_exists "$W/new/g"
	cmp_with_cp -- -R dir/ out/
	assert_success
	assert_file_exists "$W/out/dir/g"
}

@test "xcp -R SRC/. copies the contents" {
	make_link_fixture
	cmp_with_cp -- -R dir/. out
	assert_success
	assert_file_exists "$W/out/g"
	assert_file_not_exists "$W/out/dir"
	cmp_with_cp -- -R dir/. brandnew
	assert_success
	assert_file_exists "$W/brandnew/sub/h"
}

@test "xcp FILE NONEXISTENT/ fails like cp" {
	make_link_fixture
	cmp_with_cp -- f new2/
	assert_failure 1
	assert_file_not_exists "$W/new2"
}

@test "xcp FILE/ (trailing slash on a file) fails like cp" {
	make_link_fixture
	cmp_with_cp -- f/ x
	assert_failure 1
	assert_file_not_exists "$W/x"
}

# ---------------------------------------------------------------------------
# --attributes-only, --sparse, -l, -s

@test "xcp --attributes-only to a new file creates it empty with the attributes" {
	make_full_tree "$T/in/src"
	cmp_with_cp -- -a --attributes-only src/small.txt src/perms/suid .
	assert_success
	assert_equal "$(stat -c %s "$W/small.txt")" 0
	assert_equal "$(stat -c %a "$W/suid")" 4755
	run getfattr --absolute-names -n user.foo --only-values "$W/small.txt"
	assert_output bar
}

@test "xcp --attributes-only onto an existing file keeps its data" {
	make_link_fixture
	chmod 640 "$T/in/f"
	set_fixture_times "$T/in"
	cmp_with_cp -- --attributes-only -p f dir/g
	assert_success
	assert_equal "$(cat "$W/dir/g")" g
	assert_equal "$(stat -c %a "$W/dir/g")" 640
}

@test "xcp --sparse=always turns a run of zeros into a hole" {
	mkdir -p "$T/in"
	{
		head -c 65536 /dev/urandom
		head -c 1048576 /dev/zero
		head -c 65536 /dev/urandom
	} >"$T/in/zeros"
	set_fixture_times "$T/in"
	cmp_with_cp -- --sparse=always zeros out
	assert_success
	cmp "$W/zeros" "$W/out"
	local sb db
	sb=$(blocks_of "$W/zeros")
	db=$(blocks_of "$W/out")
	(( db < sb / 2 )) || fail "no hole made: $db blocks vs source $sb"
	run "$TREEDUMP" "$W"
	assert_line --regexp '^out f .* data=0-[0-9]+,[0-9]+-1179648( |$)'
}

@test "xcp --sparse=never fills holes" {
	mkdir -p "$T/in"
	truncate -s 8M "$T/in/sp"
	printf 'middle' | dd of="$T/in/sp" bs=1 seek=4194304 conv=notrunc status=none
	set_fixture_times "$T/in"
	cmp_with_cp -- --sparse=never sp out
	assert_success
	cmp "$W/sp" "$W/out"
	(( $(blocks_of "$W/out") >= 16384 )) || fail "holes kept: $(blocks_of "$W/out") blocks"
}

@test "xcp (default --sparse=auto) keeps holes of a sparse file" {
	mkdir -p "$T/in"
	truncate -s 64M "$T/in/sp"
	printf 'middle' | dd of="$T/in/sp" bs=1 seek=33554432 conv=notrunc status=none
	set_fixture_times "$T/in"
	cmp_with_cp -- sp out
	assert_success
	(( $(blocks_of "$W/out") <= 64 )) || fail "holes lost: $(blocks_of "$W/out") blocks"
}

@test "xcp -l makes a hard link" {
	make_link_fixture
	cmp_with_cp -- -l f hl
	assert_success
	assert_equal "$(inode_of "$W/hl")" "$(inode_of "$W/f")"
}

@test "xcp -Rl on the full tree hard links every file" {
	make_full_tree "$T/in/src"
	rm "$T/in/src/links/abs" # /etc/hostname's atime is not stable
	set_fixture_times "$T/in"
	cmp_with_cp -- -Rl src dst
	# GNU cp -l dereferences symlinks (it links their targets), so the
	# dangling symlink gives "cannot stat 'src/links/dangling'" and status 1
	assert_failure 1
	[[ $stderr == *"cannot stat 'src/links/dangling': No such file or directory"* ]] ||
		fail "unexpected stderr: $stderr"
	assert_equal "$(inode_of "$W/dst/random.bin")" "$(inode_of "$W/src/random.bin")"
	assert_equal "$(inode_of "$W/dst/perms/zero")" "$(inode_of "$W/src/perms/zero")"
	[[ -d $W/dst/xdir ]] || fail "directory not created"
}

@test "xcp -s makes a symlink" {
	make_link_fixture
	cmp_with_cp -- -s f sl
	assert_success
	assert_equal "$(readlink "$W/sl")" f
	cmp_with_cp -- -s /etc/hostname dir/abs
	assert_success
	assert_equal "$(readlink "$W/dir/abs")" /etc/hostname
}

@test "xcp -s with a relative source outside the current directory fails like cp" {
	make_link_fixture
	cmp_with_cp -- -s f dir/sl
	assert_failure 1
	assert_file_not_exists "$W/dir/sl"
}

# ---------------------------------------------------------------------------
# -x, /proc, /sys

@test "xcp -ax does not descend into a mounted filesystem" {
	require_root "loop mounts"
	mkdir -p "$T/src/mnt"
	printf 'outside\n' >"$T/src/a.txt"
	mount_fs ext4 16M "$T/src/mnt"
	printf 'inside\n' >"$T/src/mnt/inside"
	mkdir "$T/src/mnt/sub"
	set_fixture_times "$T/src"
	run timeout 60 "$CP_REF" -ax "$T/src" "$T/dc"
	assert_success
	run timeout 60 "$XCP" -ax "$T/src" "$T/dx"
	assert_success
	assert_same_tree "$T/dc" "$T/dx"
	assert_file_exists "$T/dx/a.txt"
	[[ -d $T/dx/mnt ]] || fail "mount point directory not created"
	assert_equal "$(ls -A "$T/dx/mnt")" ''
	# and without -x the mounted filesystem is copied
	run timeout 60 "$XCP" -a "$T/src" "$T/dall"
	assert_success
	assert_file_exists "$T/dall/mnt/inside"
}

@test "xcp copies /proc files (st_size 0) with their content" {
	run "$XCP" /proc/self/status "$T/status"
	assert_success
	[[ -s $T/status ]] || fail "copy of /proc/self/status is empty"
	run grep -c -E '^(Name|Pid|Uid):' "$T/status"
	assert_output 3
	run "$XCP" /proc/version "$T/version"
	assert_success
	assert_equal "$(cat "$T/version")" "$(cat /proc/version)"
	"$CP_REF" /proc/version "$T/version.cp"
	cmp "$T/version.cp" "$T/version"
}

@test "xcp copies a sysfs file (st_size 4096) with its real content" {
	local f
	for f in /sys/kernel/mm/transparent_hugepage/enabled /sys/power/state \
		/sys/kernel/profiling /sys/devices/system/cpu/possible; do
		[[ -r $f ]] && break
	done
	[[ -r $f ]] || skip "no known sysfs file"
	run "$XCP" "$f" "$T/x"
	assert_success
	"$CP_REF" "$f" "$T/c"
	assert_equal "$(cat "$T/x")" "$(cat "$f")"
	cmp "$T/c" "$T/x"
}
