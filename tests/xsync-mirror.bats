#!/usr/bin/env bats
# xsync-mirror.bats: xsync SRC... DST, the rsync-style mirror.  What it
# leaves on disk is compared with the source (treedump: content, modes,
# owners, nanosecond times, xattrs and ACLs, hard links, holes), and what
# -i prints with what the installed rsync prints for the same change set.

load helpers

setup() {
	setup_tmp
	: "${XSYNC:=$BATS_TEST_DIRNAME/../bin/xsync}"
	[[ -x $XSYNC ]] || fail "XSYNC=$XSYNC is not an executable file"
}
teardown() { teardown_tmp; }

# _tree DIR: a small tree with every kind of entry rsync -a handles.
_tree() {
	mkdir -p "$1/b/c" "$1/a.d" "$1/keep"
	echo one >"$1/a"
	echo two >"$1/a.txt"
	echo three >"$1/b/x"
	echo four >"$1/b/c/y"
	echo zed >"$1/z"
	echo kept >"$1/keep/k"
	ln -s a "$1/l"
	mkfifo "$1/fifo"
	# whole seconds: rsync compares mtimes to the second
	find "$1" -exec touch -h -d '2021-03-04 05:06:07' {} +
}

# _change DIR: the change set: a new file, changed content, a changed
# mode, owner and mtime, a deleted file, a new directory, a new symlink
# target, a file replaced by a directory.
_change() {
	echo hello >"$1/new"
	mkdir "$1/nd" && echo q >"$1/nd/q"
	echo 'four, longer now' >"$1/b/c/y"
	chmod 600 "$1/a.txt"
	chown 1:1 "$1/a.d"
	touch -d '2020-01-01 00:00:00' "$1/z"
	rm "$1/b/x"
	ln -sfn a.txt "$1/l"
	rm "$1/a" && mkdir "$1/a" && echo in >"$1/a/in"
	touch -d '2022-01-01 00:00:00' "$1/nd/q" "$1/nd" "$1/new" "$1/b/c/y" \
		"$1/a/in" "$1/a"
	touch -h -d '2022-01-01 00:00:00' "$1/l"
	touch -d '2022-02-02 00:00:00' "$1" "$1/b" "$1/b/c"
}

# _rsync_pair: $T/s, and $T/r and $T/d made from it by rsync and by xsync,
# then the change set applied to $T/s, and an extra file in the copies.
_rsync_pair() {
	command -v rsync >/dev/null || skip_or_fail "rsync is not installed"
	_tree "$T/s"
	rsync -a "$T/s/" "$T/r/"
	"$XSYNC" -a "$T/s/" "$T/d/"
	_change "$T/s"
	for c in r d; do
		mkdir "$T/$c/b/extra" && echo e >"$T/$c/b/extra/e"
	done
}

@test "a first mirror equals the source, nanoseconds, holes, hard links, xattrs and ACLs included" {
	make_full_tree "$T/src"
	run "$XSYNC" -a -H -A -X "$T/src/" "$T/dst/"
	assert_success
	assert_same_tree "$T/src" "$T/dst"
}

@test "an update with --delete makes the trees equal again, and a second run changes nothing" {
	make_full_tree "$T/src"
	"$XSYNC" -a -H -A -X "$T/src/" "$T/dst/"
	_tree "$T/src/extra"
	_change "$T/src/extra"
	set_fixture_times "$T/src/extra"
	echo rewritten >>"$T/src/small.txt"
	chmod 640 "$T/src/small.txt"
	setfattr -n user.new -v value "$T/src/random.bin"
	setfattr -x user.comment "$T/src/random.bin" 2>/dev/null || true
	rm -rf "$T/src/hl"
	echo stray >"$T/dst/stray"
	run "$XSYNC" -a -H -A -X --delete "$T/src/" "$T/dst/"
	assert_success
	assert_same_tree "$T/src" "$T/dst"
	[[ ! -e $T/dst/stray ]]
	run "$XSYNC" -a -H -A -X --delete -i "$T/src/" "$T/dst/"
	assert_success
	assert_output ''
}

@test "one thread or four: the same trees, and the same lines in the same order" {
	local j i
	make_full_tree "$T/src"
	# more files in a directory than a worker takes at a time, and -H
	# groups across directories
	mkdir -p "$T/src/many/sub"
	for i in $(seq 1 300); do echo "$i" >"$T/src/many/f$i"; done
	for i in $(seq 1 40); do ln "$T/src/many/f$i" "$T/src/many/sub/l$i"; done
	for j in 1 4; do
		run "$XSYNC" -a -H -A -X -ii -j "$j" "$T/src/" "$T/d$j/"
		assert_success
		assert_same_tree "$T/src" "$T/d$j"
		printf '%s\n' "$output" | sed "s|$T/d$j|DST|" >"$T/out$j"
	done
	diff "$T/out1" "$T/out4"
	for i in $(seq 1 300 | awk 'NR % 7 == 0'); do echo more >>"$T/src/many/f$i"; done
	rm "$T/src/many/f2" "$T/src/many/sub/l3"
	for j in 1 4; do
		run "$XSYNC" -a -H -A -X -i --delete -j "$j" "$T/src/" "$T/d$j/"
		assert_success
		assert_same_tree "$T/src" "$T/d$j"
		printf '%s\n' "$output" >"$T/out$j"
	done
	diff "$T/out1" "$T/out4"
	[[ $(grep -c '^>f' "$T/out4") -eq 42 ]] || fail "$(cat "$T/out4")"
}

@test "-n -i prints what rsync -n -i prints for the change set, and changes nothing" {
	_rsync_pair
	local before
	before=$(treedump_of "$T/d")
	for opts in "-i" "-ii" "-i -c" "-ii --delete" "-i --delete -c"; do
		# shellcheck disable=SC2086
		rsync -a -n $opts "$T/s/" "$T/r/" | sort >"$T/want"
		# shellcheck disable=SC2086
		"$XSYNC" -a -n $opts "$T/s/" "$T/d/" | sort >"$T/got"
		diff -u "$T/want" "$T/got" || fail "itemize differs for $opts"
		[[ $opts != "-ii --delete" ]] || cp "$T/want" "$T/want.delete"
	done
	mv "$T/want.delete" "$T/want"
	grep -qx '\*deleting   b/x' "$T/want" || fail "no deletion: $(cat "$T/want")"
	grep -qx '>f+++++++++ new' "$T/want"
	grep -qx 'cd+++++++++ nd/' "$T/want"
	grep -qx '.f...p..... a.txt' "$T/want"
	grep -qx '.f          keep/k' "$T/want"
	grep -qx '.d....og... a.d/' "$T/want"
	grep -qx '>f..t...... z' "$T/want"
	grep -qx '>f.st...... b/c/y' "$T/want"
	grep -qx 'cLc.t...... l -> a.txt' "$T/want"
	[[ $(treedump_of "$T/d") == "$before" ]] || fail "-n changed the destination"
}

@test "-i prints what rsync -i prints when the changes are made, and both copies equal the source" {
	_rsync_pair
	rsync -a -i --delete "$T/s/" "$T/r/" | sort >"$T/want"
	"$XSYNC" -a -i --delete "$T/s/" "$T/d/" | sort >"$T/got"
	diff -u "$T/want" "$T/got"
	assert_same_tree "$T/s" "$T/d" -A
	# rsync leaves times that match to the second; compare the rest
	diff <(treedump_of "$T/s" -A | sed 's/mtime=[0-9]*\.[0-9]*//') \
		<(treedump_of "$T/r" -A | sed 's/mtime=[0-9]*\.[0-9]*//')
}

@test "a rewrite with the same size and the same mtime to the second is copied" {
	mkdir "$T/s"
	echo aaaa >"$T/s/f"
	touch -d '2021-01-01 00:00:00.100000000' "$T/s/f"
	"$XSYNC" -a "$T/s/" "$T/d/"
	echo bbbb >"$T/s/f"
	touch -d '2021-01-01 00:00:00.200000000' "$T/s/f"
	run "$XSYNC" -a -i "$T/s/" "$T/d/"
	assert_success
	assert_output '>f..t...... f'
	[[ $(cat "$T/d/f") == bbbb ]]
	[[ $(stat -c %y "$T/d/f") == *00:00:00.200000000* ]]
}

@test "-c finds a change that size and mtime hide, and copies only that file" {
	mkdir "$T/s"
	echo aaaa >"$T/s/f"
	echo same >"$T/s/g"
	touch -d '2021-01-01' "$T/s/f" "$T/s/g"
	"$XSYNC" -a "$T/s/" "$T/d/"
	local ino
	ino=$(inode_of "$T/d/g")
	echo bbbb >"$T/s/f"
	touch -d '2021-01-01' "$T/s/f"
	run "$XSYNC" -a -i "$T/s/" "$T/d/"
	assert_output ''
	[[ $(cat "$T/d/f") == aaaa ]]
	run "$XSYNC" -a -i -c "$T/s/" "$T/d/"
	assert_success
	assert_output '>fc........ f'
	[[ $(cat "$T/d/f") == bbbb ]]
	[[ $(inode_of "$T/d/g") == "$ino" ]]
}

@test "the trailing slash: SRC/ gives its contents, SRC itself as DST/SRC" {
	_tree "$T/s"
	run "$XSYNC" -a "$T/s" "$T/d1"
	assert_success
	assert_same_tree "$T/s" "$T/d1/s" -A
	[[ $(ls "$T/d1") == s ]]
	run "$XSYNC" -a "$T/s/" "$T/d2"
	assert_success
	assert_same_tree "$T/s" "$T/d2" -A
	echo f >"$T/file"
	run "$XSYNC" -a "$T/file" "$T/newname"
	assert_success
	[[ -f $T/newname && $(cat "$T/newname") == f ]]
	run "$XSYNC" -a "$T/file" "$T/s/a.txt" "$T/d3/"
	assert_success
	[[ $(ls "$T/d3" | tr '\n' ' ') == "a.txt file " ]]
}

@test "excluded files are neither copied nor deleted, unless --delete-excluded" {
	_tree "$T/s"
	echo o >"$T/s/b/main.o"
	"$XSYNC" -a "$T/s/" "$T/d/"
	echo mine >"$T/d/local.o"
	echo new >"$T/s/new.o"
	run "$XSYNC" -a -i --delete --exclude='*.o' --exclude=/keep/ "$T/s/" "$T/d/"
	assert_success
	[[ -f $T/d/local.o && -f $T/d/b/main.o && -d $T/d/keep && ! -e $T/d/new.o ]]
	run "$XSYNC" -a -i --delete-excluded --exclude='*.o' --exclude=/keep/ "$T/s/" "$T/d/"
	assert_success
	assert_line '*deleting   local.o'
	assert_line '*deleting   b/main.o'
	assert_line '*deleting   keep/k'
	[[ ! -e $T/d/local.o && ! -e $T/d/b/main.o && ! -e $T/d/keep ]]
	[[ -f $T/d/a.txt ]]
}

@test "--max-delete=N deletes N entries, says so and exits 25" {
	_tree "$T/s"
	"$XSYNC" -a "$T/s/" "$T/d/"
	rm "$T/s/a" "$T/s/a.txt" "$T/s/z"
	run "$XSYNC" -a --delete --max-delete=2 "$T/s/" "$T/d/"
	[[ $status -eq 25 ]] || fail "status $status: $output"
	assert_output --partial 'deletions stopped due to --max-delete limit (1 skipped)'
	[[ ! -e $T/d/a && ! -e $T/d/a.txt && -e $T/d/z ]]
}

@test "--link-dest links what is unchanged there and copies the rest" {
	_tree "$T/s"
	"$XSYNC" -a "$T/s/" "$T/prev/"
	echo changed >"$T/s/z"
	chmod 600 "$T/s/a.txt"
	run "$XSYNC" -a -i --link-dest="$T/prev" "$T/s/" "$T/d/"
	assert_success
	assert_same_tree "$T/s" "$T/d" -A
	[[ $(inode_of "$T/d/a") == $(inode_of "$T/prev/a") ]]
	[[ $(inode_of "$T/d/b/c/y") == $(inode_of "$T/prev/b/c/y") ]]
	[[ $(inode_of "$T/d/z") != $(inode_of "$T/prev/z") ]]
	[[ $(inode_of "$T/d/a.txt") != $(inode_of "$T/prev/a.txt") ]]
	[[ $(stat -c %a "$T/prev/a.txt") == 644 ]]
	# relative to the destination, as rsync's
	run "$XSYNC" -a --link-dest=../prev "$T/s/" "$T/d2/"
	assert_success
	[[ $(inode_of "$T/d2/a") == $(inode_of "$T/prev/a") ]]
	command -v rsync >/dev/null || skip_or_fail "rsync is not installed"
	diff <(rsync -a -i --link-dest="$T/prev" "$T/s/" "$T/r/" | grep -v '^created' | sort) \
		<("$XSYNC" -a -i --link-dest="$T/prev" "$T/s/" "$T/d3/" | grep -v '^created' | sort)
}

@test "--reflink-dest clones what is unchanged there (XFS: extents shared)" {
	mount_fs xfs 300M
	_tree "$MNT/s"
	head -c 1M /dev/urandom >"$MNT/s/big"
	touch -d 2021-01-01 "$MNT/s/big"
	cp -a --reflink=never "$MNT/s" "$MNT/prev"
	refute_shared "$MNT/prev/big"
	chmod 600 "$MNT/s/big"
	run "$XSYNC" -a -i --reflink-dest=../prev "$MNT/s/" "$MNT/d/"
	assert_success
	assert_line 'cf...p..... big'
	assert_same_tree "$MNT/s" "$MNT/d" -A
	assert_shared "$MNT/d/big"
	[[ $(inode_of "$MNT/d/big") != $(inode_of "$MNT/prev/big") ]]
	[[ $(stat -c %a "$MNT/prev/big") == 644 ]]
}

@test "-H keeps hard links and links a new name to its group" {
	mkdir "$T/s"
	echo x >"$T/s/a"
	ln "$T/s/a" "$T/s/b"
	"$XSYNC" -a -H "$T/s/" "$T/d/"
	[[ $(inode_of "$T/d/a") == $(inode_of "$T/d/b") ]]
	ln "$T/s/a" "$T/s/c"
	run "$XSYNC" -a -H -i "$T/s/" "$T/d/"
	assert_success
	assert_line 'hf+++++++++ c => a'
	[[ $(inode_of "$T/d/c") == $(inode_of "$T/d/a") ]]
}

@test "without -r a directory is skipped; a missing source is an error before anything is made" {
	mkdir -p "$T/s/dir"
	run "$XSYNC" "$T/s" "$T/d"
	assert_success
	assert_output --partial 'skipping directory'
	run "$XSYNC" -a "$T/nonesuch" "$T/s" "$T/d2"
	[[ $status -eq 3 ]] || fail "status $status: $output"
	assert_output --partial "nonesuch"
	[[ ! -e $T/d2 ]]
}

@test "an entry that cannot be written is reported, the rest is copied, exit 23" {
	require_root "chattr +i"
	mount_fs ext4 64M
	mkdir "$MNT/s"
	echo a >"$MNT/s/a"
	echo b >"$MNT/s/b"
	"$XSYNC" -a "$MNT/s/" "$MNT/d/"
	echo a2 >"$MNT/s/a"
	echo b2 >"$MNT/s/b"
	touch -d 2001-01-01 "$MNT/s/a" "$MNT/s/b"
	chattr +i "$MNT/d"
	mkdir "$MNT/d2"
	run "$XSYNC" -a "$MNT/s/" "$MNT/d/"
	chattr -i "$MNT/d"
	[[ $status -eq 23 ]] || fail "status $status: $output"
	assert_output --partial "$MNT/d"
	[[ $(cat "$MNT/d/a") == a && $(cat "$MNT/d/b") == b ]]
	[[ -z $(ls -A "$MNT/d" | grep -v '^[ab]$') ]] || fail "left: $(ls -A "$MNT/d")"
}

@test "--stats counts what was done" {
	_tree "$T/s"
	run "$XSYNC" -a --stats "$T/s/" "$T/d/"
	assert_success
	assert_line 'Number of files: 13 (reg: 6, dir: 5, link: 1, dev: 0, special: 1)'
	assert_line 'Number of regular files transferred: 6'
	assert_line 'Number of deleted files: 0'
}

@test "bare names in the current directory as SRC and DST, with and without --fsync" {
	cd "$T"
	echo one >a
	run "$XSYNC" a b
	assert_success
	assert_output ''
	[[ -f b && $(cat b) == one ]]
	echo 'two, longer' >a
	run "$XSYNC" --fsync a b
	assert_success
	assert_output ''
	[[ $(cat b) == 'two, longer' ]]
}

@test "--fsync flushes the destination's filesystem once the mirror is done, not without it" {
	command -v strace >/dev/null || skip_or_fail "needs strace"
	mkdir -p "$T/src/d"
	echo one >"$T/src/a"
	echo two >"$T/src/d/b"
	run traced -f -o "$T/trace1" -e trace=syncfs,fsync "$XSYNC" -a "$T/src/" "$T/dst/"
	assert_success
	run grep -c 'syncfs(' "$T/trace1"
	assert_output 0
	echo three >"$T/src/d/c"
	run traced -f -o "$T/trace2" -e trace=syncfs,fsync "$XSYNC" -a --fsync "$T/src/" "$T/dst/"
	assert_success
	run grep -c 'syncfs(.*= 0' "$T/trace2"
	assert_output 1
	assert_same_tree "$T/src" "$T/dst"
	# a dry run writes nothing and flushes nothing
	run traced -f -o "$T/trace3" -e trace=syncfs "$XSYNC" -a -n --fsync "$T/src/" "$T/dry/"
	assert_success
	run grep -c 'syncfs(' "$T/trace3"
	assert_output 0
	[[ ! -e $T/dry ]]
}
