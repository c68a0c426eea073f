#!/usr/bin/env bats
# xsync-snapshot.bats: xsync snapshot, list, prune, verify and diff on real
# filesystems.  Each snapshot must equal the source at its time; what did
# not change must share extents (XFS, btrfs) or inodes (ext4) with the
# previous snapshot; the manifests must verify.

load helpers

setup() {
	setup_tmp
	: "${XSYNC:=$BATS_TEST_DIRNAME/../bin/xsync}"
	[[ -x $XSYNC ]] || fail "XSYNC=$XSYNC is not an executable file"
}
teardown() { teardown_tmp; }

# _source DIR: files with data worth sharing, a hard link, a symlink, an
# xattr, nanosecond times.
_source() {
	mkdir -p "$1/sub/deep"
	head -c 300000 /dev/urandom >"$1/big"
	head -c 200000 /dev/urandom >"$1/meta"
	head -c 100000 /dev/urandom >"$1/sub/changed"
	head -c 50000 /dev/urandom >"$1/sub/deep/same"
	echo small >"$1/small"
	ln "$1/big" "$1/big.link"
	ln -s sub/deep/same "$1/sym"
	setfattr -n user.tag -v one "$1/meta"
	setfattr -n user.old -v 1 "$1/sub/changed"
	set_fixture_times "$1"
}

# _snaps REPO: the names of its complete snapshots, oldest first
_snaps() { "$XSYNC" list "$1" | awk 'NR > 1 { print $1 }'; }

# _three FSTYPE: three snapshots of a source kept outside the filesystem
# (so that sharing can only come from the previous snapshot), with changes
# between them; checks what every filesystem must show.
_three() {
	mount_fs "$1" 400M
	R=$MNT/repo
	S=$T/src
	_source "$S"
	# Entries not changed since a snapshot began are taken from it
	# without a look: let the source be older than the first one.
	sleep 2.1
	run "$XSYNC" snapshot "$S" "$R"
	assert_success
	mapfile -t N < <(_snaps "$R")
	[[ ${#N[@]} -eq 1 ]] || fail "snapshots: ${N[*]}"
	assert_same_tree "$S" "$R/${N[0]}" -A
	[[ $(readlink "$R/latest") == "${N[0]}" ]]

	# metadata only, new content (and an attribute gone), a new file, a
	# deleted file
	chmod 600 "$S/meta"
	setfattr -n user.tag -v two "$S/meta"
	cp "$S/sub/changed" "$T/changed.0"
	head -c 100000 /dev/urandom >"$S/sub/changed"
	setfattr -x user.old "$S/sub/changed"
	echo new >"$S/sub/new"
	rm "$S/small"
	run "$XSYNC" snapshot -i "$S" "$R"
	assert_success
	assert_line --regexp '^[.c]f\.\.\.p\.\.\.\.x meta$'
	mapfile -t N < <(_snaps "$R")
	[[ ${#N[@]} -eq 2 ]] || fail "snapshots: ${N[*]}"
	assert_same_tree "$S" "$R/${N[1]}" -A
	[[ $(stat -c %a "$R/${N[0]}/meta") == 644 ]]
	[[ $(getfattr --absolute-names --only-values -n user.tag "$R/${N[0]}/meta") == one ]]
	[[ $(stat -c %a "$R/${N[1]}/meta") == 600 ]]
	# the new content, without the attribute; the previous one keeps both
	cmp "$S/sub/changed" "$R/${N[1]}/sub/changed"
	cmp "$T/changed.0" "$R/${N[0]}/sub/changed"
	[[ $(getfattr --absolute-names --only-values -n user.old "$R/${N[0]}/sub/changed") == 1 ]]
	run getfattr --absolute-names -d "$R/${N[1]}/sub/changed"
	refute_output --partial user.old

	# a rewrite with the same size and the same mtime to the second, an
	# extended attribute alone
	local t
	t=$(stat -c %Y "$S/sub/deep/same")
	head -c 50000 /dev/urandom >"$S/sub/deep/same"
	touch -d "@$t.5" "$S/sub/deep/same"
	setfattr -n user.only -v x "$S/meta"
	run "$XSYNC" snapshot "$S" "$R"
	assert_success
	mapfile -t N < <(_snaps "$R")
	[[ ${#N[@]} -eq 3 ]] || fail "snapshots: ${N[*]}"
	assert_same_tree "$S" "$R/${N[2]}" -A
	cmp "$S/sub/deep/same" "$R/${N[2]}/sub/deep/same"
	! cmp -s "$R/${N[1]}/sub/deep/same" "$R/${N[2]}/sub/deep/same"
	[[ $(getfattr --absolute-names --only-values -n user.only "$R/${N[2]}/meta") == x ]]

	run "$XSYNC" verify "$R"
	assert_success
	run "$XSYNC" diff "$R/${N[0]}" "$R/${N[1]}"
	assert_success
	assert_line '- ./small'
	assert_line '+ ./sub/new'
	assert_line 'M ./sub/changed (content, mtime)'
	assert_line 'M ./meta (mode)'
}

@test "three snapshots on XFS: each equals the source, unchanged data is cloned from the previous one" {
	_three xfs
	# cloned, not linked: own inodes, shared extents
	[[ $(inode_of "$R/${N[1]}/big") != $(inode_of "$R/${N[0]}/big") ]]
	assert_shared "$R/${N[1]}/big"
	assert_shared "$R/${N[2]}/sub/changed"
	# a metadata-only change shares the data too
	assert_shared "$R/${N[1]}/meta"
	refute_shared "$R/${N[2]}/sub/deep/same"
	[[ $(inode_of "$R/${N[2]}/big") == $(inode_of "$R/${N[2]}/big.link") ]]
}

@test "three snapshots on btrfs: subvolumes, each a snapshot of the previous one" {
	command -v btrfs >/dev/null || skip_or_fail "needs btrfs-progs"
	_three btrfs
	run btrfs subvolume list "$MNT"
	assert_success
	[[ $(grep -c 'path repo/' <<<"$output") -eq 3 ]] || fail "$output"
	assert_shared "$R/${N[1]}/big"
	assert_shared "$R/${N[1]}/meta"
	assert_shared "$R/${N[2]}/sub/changed"
}

@test "three snapshots on ext4: unchanged files are hard links to the previous snapshot" {
	_three ext4
	[[ $(inode_of "$R/${N[1]}/big") == $(inode_of "$R/${N[0]}/big") ]]
	[[ $(inode_of "$R/${N[2]}/sub/changed") == $(inode_of "$R/${N[1]}/sub/changed") ]]
	[[ $(inode_of "$R/${N[1]}/meta") != $(inode_of "$R/${N[0]}/meta") ]]
	[[ $(inode_of "$R/${N[1]}/sub/changed") != $(inode_of "$R/${N[0]}/sub/changed") ]]
	run "$XSYNC" list "$R"
	assert_success
	# meta, sub/changed and small live in the first snapshot only
	assert_line --regexp "^${N[0]} +10 +650006 +300006$"
	# meta (a new extended attribute) and sub/deep/same live in the last only
	assert_line --regexp "^${N[2]} +10 +650004 +250000$"
}

@test "--link hard links on XFS too" {
	mount_fs xfs 300M
	_source "$T/src"
	"$XSYNC" snapshot --link "$T/src" "$MNT/repo"
	echo more >>"$T/src/small"
	run "$XSYNC" snapshot --link "$T/src" "$MNT/repo"
	assert_success
	mapfile -t N < <(_snaps "$MNT/repo")
	[[ $(inode_of "$MNT/repo/${N[1]}/big") == $(inode_of "$MNT/repo/${N[0]}/big") ]]
	[[ $(inode_of "$MNT/repo/${N[1]}/small") != $(inode_of "$MNT/repo/${N[0]}/small") ]]
}

@test "-c finds a change that size and mtime hide, from the stored hash" {
	_source "$T/src"
	"$XSYNC" snapshot "$T/src" "$T/repo"
	cp -p "$T/src/small" "$T/keep"
	echo SMALL >"$T/src/small"
	touch -r "$T/keep" "$T/src/small"
	"$XSYNC" snapshot "$T/src" "$T/repo"
	mapfile -t N < <(_snaps "$T/repo")
	[[ $(cat "$T/repo/${N[1]}/small") == small ]]
	run "$XSYNC" snapshot -c -i "$T/src" "$T/repo"
	assert_success
	assert_line '>fc........ small'
	mapfile -t N < <(_snaps "$T/repo")
	[[ $(cat "$T/repo/${N[2]}/small") == SMALL ]]
	run "$XSYNC" verify "$T/repo/${N[2]}"
	assert_success
}

@test "kill -9 during a snapshot, then a rerun: one complete, verified snapshot and no partial" {
	local i
	mkdir -p "$T/src"
	for i in $(seq 1 40); do
		mkdir "$T/src/d$i"
		head -c 2M /dev/urandom >"$T/src/d$i/f"
		for j in $(seq 1 50); do echo "$i $j" >"$T/src/d$i/s$j"; done
	done
	"$XSYNC" snapshot "$T/src" "$T/repo" &
	local pid=$!
	for i in $(seq 1 200); do
		compgen -G "$T/repo/*.partial/d3" >/dev/null && break
		sleep 0.05
	done
	kill -9 "$pid"
	wait "$pid" || true
	compgen -G "$T/repo/*.partial" >/dev/null || skip_or_fail "the snapshot ended before it could be killed"
	run "$XSYNC" list "$T/repo"
	assert_success
	[[ ${#lines[@]} -eq 1 ]] || fail "a partial snapshot is listed: $output"
	[[ ! -e $T/repo/latest ]]
	run "$XSYNC" snapshot -v "$T/src" "$T/repo"
	assert_success
	assert_output --partial '(resumed)'
	mapfile -t N < <(_snaps "$T/repo")
	[[ ${#N[@]} -eq 1 ]] || fail "snapshots: ${N[*]}"
	! compgen -G "$T/repo/*.partial" >/dev/null
	[[ -z $(find "$T/repo/${N[0]}" -name '.xsync-*') ]]
	assert_same_tree "$T/src" "$T/repo/${N[0]}" -A
	run "$XSYNC" verify "$T/repo"
	assert_success
}

@test "a second run on a locked repository fails clearly, or waits with --wait" {
	command -v flock >/dev/null || skip_or_fail "needs flock (util-linux)"
	_source "$T/src"
	"$XSYNC" snapshot "$T/src" "$T/repo"
	flock "$T/repo/.xsync/lock" sleep 2 &
	sleep 0.5
	run "$XSYNC" snapshot "$T/src" "$T/repo"
	[[ $status -eq 3 ]] || fail "status $status: $output"
	assert_output --partial 'in use by another run'
	[[ $(_snaps "$T/repo" | wc -l) -eq 1 ]]
	run "$XSYNC" snapshot --wait "$T/src" "$T/repo"
	assert_success
	[[ $(_snaps "$T/repo" | wc -l) -eq 2 ]]
	wait
}

@test "prune keeps exactly the policy's set, never the latest, never a partial" {
	_source "$T/src"
	"$XSYNC" snapshot "$T/src" "$T/repo"
	local one n
	one=$(_snaps "$T/repo")
	# a history of snapshots under chosen times: copies of the real one
	for n in 2025-12-31T230000Z 2026-01-01T010000Z 2026-01-01T020000Z \
		2026-01-01T020500Z 2026-01-02T100000Z 2026-01-05T100000Z \
		2026-02-01T000000Z 2026-02-01T000000Z-1 2026-03-15T120000Z; do
		cp -al "$T/repo/$one" "$T/repo/$n"
		cp "$T/repo/.xsync/$one.xcpm" "$T/repo/.xsync/$n.xcpm"
	done
	rm -rf "$T/repo/$one" "$T/repo/.xsync/$one.xcpm"
	cp -al "$T/repo/2026-01-01T010000Z" "$T/repo/2026-03-16T000000Z.partial"
	run "$XSYNC" prune --keep-daily 3 --keep-monthly 2 -n "$T/repo"
	assert_success
	# daily: 03-15, 02-01 (the -1), 01-05; monthly: 03-15, 02-01-1
	assert_line 'keep   2026-03-15T120000Z (latest, daily, monthly)'
	assert_line 'keep   2026-02-01T000000Z-1 (daily, monthly)'
	assert_line 'keep   2026-01-05T100000Z (daily)'
	assert_line 'delete 2026-02-01T000000Z'
	[[ $(_snaps "$T/repo" | wc -l) -eq 9 ]]
	run "$XSYNC" prune --keep-daily 3 --keep-monthly 2 --keep-yearly 5 "$T/repo"
	assert_success
	run _snaps "$T/repo"
	assert_output "$(printf '%s\n' 2025-12-31T230000Z 2026-01-05T100000Z \
		2026-02-01T000000Z-1 2026-03-15T120000Z)"
	[[ -d $T/repo/2026-03-16T000000Z.partial ]]
	[[ ! -e $T/repo/.xsync/2026-01-02T100000Z.xcpm ]]
	run "$XSYNC" prune --keep-last 1 "$T/repo"
	assert_success
	run _snaps "$T/repo"
	assert_output 2026-03-15T120000Z
	run "$XSYNC" verify "$T/repo"
	assert_success
	run "$XSYNC" prune "$T/repo"
	assert_failure 1
}

# _order TRACE NAME: the strace lines, in order, of the sync calls and of
# the rename that names the snapshot NAME (as "sync", "fsync", "name").
_order() {
	awk -v n="\"$2\"" '
		/ syncfs\(/ { print "sync" }
		/ fsync\(/ && seen { print "fsync" }
		/renameat2?\(/ && index($0, ".partial\"") && index($0, n ")") {
			print "name"; seen = 1
		}' "$1"
}

@test "a snapshot is on disk before its name: synced when data was written or with --fsync, not for clones alone" {
	command -v strace >/dev/null || skip_or_fail "needs strace"
	mount_fs xfs 400M
	_source "$MNT/src"
	_source "$T/src"
	# clones of a source on the same filesystem: the journal orders them
	# before the rename
	run traced -f -o "$T/trace1" -e trace=syncfs,fsync,renameat,renameat2 \
		"$XSYNC" snapshot "$MNT/src" "$MNT/repo"
	assert_success
	mapfile -t N < <(_snaps "$MNT/repo")
	[[ $(_order "$T/trace1" "${N[0]}") == name ]] ||
		fail "clones alone: $(_order "$T/trace1" "${N[0]}")"
	assert_shared "$MNT/repo/${N[0]}/big"
	assert_same_tree "$MNT/src" "$MNT/repo/${N[0]}" -A
	# data copied from another filesystem is synced before the name
	run traced -f -o "$T/trace2" -e trace=syncfs,fsync,renameat,renameat2 \
		"$XSYNC" snapshot "$T/src" "$MNT/other"
	assert_success
	mapfile -t O < <(_snaps "$MNT/other")
	[[ $(_order "$T/trace2" "${O[0]}") == $'sync\nname' ]] ||
		fail "copied data: $(_order "$T/trace2" "${O[0]}")"
	# --fsync: synced before the name, and the name after it
	echo more >>"$MNT/src/small"
	run traced -f -o "$T/trace3" -e trace=syncfs,fsync,renameat,renameat2 \
		"$XSYNC" snapshot --fsync "$MNT/src" "$MNT/repo"
	assert_success
	mapfile -t N < <(_snaps "$MNT/repo")
	[[ $(_order "$T/trace3" "${N[1]}") == $'sync\nname\nfsync' ]] ||
		fail "--fsync: $(_order "$T/trace3" "${N[1]}")"
	run "$XSYNC" verify "$MNT/repo"
	assert_success
}

@test "a snapshot holds what the filter leaves of the source, also on btrfs where it starts as the previous one" {
	command -v btrfs >/dev/null || skip_or_fail "needs btrfs-progs"
	mount_fs btrfs 400M
	_source "$T/src"
	mkdir -p "$T/src/cache"
	echo tmp >"$T/src/cache/x"
	echo log >"$T/src/sub/run.log"
	run "$XSYNC" snapshot "$T/src" "$MNT/repo"
	assert_success
	# the filter changed: what it leaves out now is not in the new one
	run "$XSYNC" snapshot --exclude=cache/ --exclude='*.log' "$T/src" "$MNT/repo"
	assert_success
	mapfile -t N < <(_snaps "$MNT/repo")
	[[ ${#N[@]} -eq 2 ]] || fail "snapshots: ${N[*]}"
	[[ -e $MNT/repo/${N[0]}/cache/x && -e $MNT/repo/${N[0]}/sub/run.log ]]
	[[ ! -e $MNT/repo/${N[1]}/cache && ! -e $MNT/repo/${N[1]}/sub/run.log ]]
	cmp "$T/src/big" "$MNT/repo/${N[1]}/big"
	run "$XSYNC" verify "$MNT/repo"
	assert_success
}
