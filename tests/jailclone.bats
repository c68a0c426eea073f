#!/usr/bin/env bats
# jailclone.bats: jailclone create, verify, du, destroy and list on real
# filesystems.  Each jail must equal its template (bytes, modes, owners,
# nanosecond times, extended attributes, hard links), share its data with
# the template where the mode says so (extents on XFS and btrfs, inodes in
# hardlink mode), verify against its manifest, and no command may ever
# write, follow or remove anything outside the jail and its records.

bats_require_minimum_version 1.5.0

load helpers

setup() {
	setup_tmp
	: "${JAILCLONE:=$BATS_TEST_DIRNAME/../bin/jailclone}"
	[[ -x $JAILCLONE ]] || fail "JAILCLONE=$JAILCLONE is not an executable file"
	_SUBMOUNTS=()
	_FLAGGED=()
	_BG=()
}

teardown() {
	local i p
	# background helpers (lock holders, a killed create) first
	for p in "${_BG[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	# mounts made inside a jail before the filesystem holding it
	for (( i = ${#_SUBMOUNTS[@]} - 1; i >= 0; i-- )); do
		p=${_SUBMOUNTS[i]}
		if mountpoint -q "$p"; then
			umount "$p" 2>/dev/null || umount -l "$p" || true
		fi
	done
	# immutable and append-only files a failed test left behind
	for p in "${_FLAGGED[@]}"; do
		[[ -e $p ]] && chattr -i -a "$p" 2>/dev/null
	done
	teardown_tmp
}

# _template DIR: a small root tree: the usual top directories (tmp 1777,
# root 0700), libraries of a few sizes up to 300 KB, etc files, a setuid
# program, a hard link pair, relative and absolute symlinks, a FIFO, two
# character devices, a file and a directory owned 1234:5678, a user.*
# extended attribute, and the fixture's nanosecond times on everything.
_template() {
	local d=$1
	require_root "the template fixture (devices, foreign owners)"
	mkdir -p "$d"/{bin,etc,usr/lib,usr/share/doc,usr/bin,var/log,tmp,root,home/user,dev}
	head -c 300000 /dev/urandom >"$d/usr/lib/libbig.so.1"
	head -c 100000 /dev/urandom >"$d/usr/lib/x"
	head -c 65536 /dev/urandom >"$d/usr/lib/libc.so.6"
	head -c 5000 /dev/urandom >"$d/usr/lib/small.bin"
	: >"$d/usr/lib/empty"
	ln -s libbig.so.1 "$d/usr/lib/libbig.so"
	head -c 70000 /dev/urandom >"$d/bin/busybox"
	chmod 755 "$d/bin/busybox"
	printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1234:5678::/home/user:/bin/sh\n' \
		>"$d/etc/passwd"
	printf 'root:x:0:\nusers:x:5678:\n' >"$d/etc/group"
	printf 'template\n' >"$d/etc/hostname"
	printf 'README\n' >"$d/usr/share/doc/README"
	setfattr -n user.origin -v template "$d/usr/share/doc/README"
	head -c 20000 /dev/urandom >"$d/usr/bin/a"
	ln "$d/usr/bin/a" "$d/usr/bin/b"
	head -c 3000 /dev/urandom >"$d/usr/bin/plain"
	printf '#!/bin/sh\nexec id\n' >"$d/usr/bin/su-like"
	chmod 4755 "$d/usr/bin/su-like"
	ln -s usr/bin "$d/sbin"
	ln -s /lib "$d/lib64"
	mkfifo "$d/dev/initctl"
	mknod -m 666 "$d/dev/null" c 1 3
	mknod -m 666 "$d/dev/zero" c 1 5
	printf 'user data\n' >"$d/home/user/notes"
	chown 1234:5678 "$d/home/user" "$d/home/user/notes"
	chmod 700 "$d/home/user"
	printf 'log line\n' >"$d/var/log/messages"
	printf 'export PS1=#\n' >"$d/root/.profile"
	chmod 1777 "$d/tmp"
	chmod 700 "$d/root"
	set_fixture_times "$d"
}

# _records JAIL: the directory of the jail's records (DIR/.jailclone/NAME)
_records() { echo "$(dirname "$1")/.jailclone/$(basename "$1")"; }

# _rows MANIFEST: "type size strategy path" (tab-separated) per record
_rows() { awk -F'\t' '!/^#/ { print $1 "\t" $5 "\t" $8 "\t" $10 }' "$1"; }

# _file_bytes DIR: bytes of the distinct regular files below DIR
_file_bytes() {
	find "$1" -type f -printf '%i %s\n' | sort -u |
		awk '{ s += $2 } END { print s + 0 }'
}

# _nfiles DIR: distinct regular-file inodes below DIR (not following links)
_nfiles() { find "$1" -type f -printf '%i\n' | sort -u | wc -l; }

# _json PYTHON: run the Python statements with d = the JSON document in
# $output; fail (showing the document) when it does not parse or an
# assert fails.
_json() {
	python3 -c 'import json, sys
d = json.load(sys.stdin)
exec(sys.argv[1])' "$1" <<<"$output" ||
		fail "JSON check failed: $1"$'\n'"document: $output"
}

# _sorted TEXT: its lines sorted
_sorted() { LC_ALL=C sort <<<"$1"; }

# _conf JAIL KEY: the values of KEY in the jail's jail.conf
_conf() { sed -n "s/^$2=//p" "$(_records "$1")/jail.conf"; }

# _dump_except DIR PATH...: treedump of DIR without the lines of PATHs
_dump_except() {
	local dir=$1 p
	shift
	local -a ex=()
	for p in "$@"; do
		ex+=(-e "^${p//./\\.} ")
	done
	treedump_of "$dir" | grep -v "${ex[@]}"
}

@test "10 jails on XFS from a tarball: each identical to the template, cloned (at most 5% exclusive), verify clean, store reused" {
	mount_fs xfs 1G
	local tmpl=$MNT/tmpl store=$MNT/store jails=$MNT/jails
	_template "$tmpl"
	tar --xattrs --xattrs-include='user.*' --numeric-owner -C "$tmpl" \
		-cf "$T/tmpl.tar" .
	mkdir "$jails"
	local -a J=()
	local i
	for i in $(seq 1 10); do J+=("$jails/j$i"); done

	run --separate-stderr "$JAILCLONE" create -v --store "$store" "$T/tmpl.tar" "${J[@]}"
	assert_success
	[[ -z $stderr ]] || fail "stderr: $stderr"
	for i in "${J[@]}"; do
		assert_line "created '$i' (reflink)"
	done
	[[ ${#lines[@]} -eq 10 ]] || fail "$output"

	# the store: STORE/<xxh128 of the tar>/ and its manifest
	local hex
	hex=$(xxh128sum "$T/tmpl.tar" | cut -d' ' -f1)
	[[ -d $store/$hex && -f $store/$hex.xcpm ]] ||
		fail "no $store/$hex/ and .xcpm: $(ls -la "$store")"
	# the store holds the archive's tree (atimes aside: an unpacked
	# archive does not get them back)
	assert_same_tree "$tmpl" "$store/$hex" -A

	local tbytes nd
	tbytes=$(_file_bytes "$tmpl")
	nd=$(find "$tmpl" -type f -size +0c -printf '%i\n' | sort -u | wc -l)
	for i in "${J[@]}"; do
		# the template's tree, atimes aside; the store's, exactly
		assert_same_tree "$tmpl" "$i" -A
		assert_same_tree "$store/$hex" "$i"
		[[ $(getfattr --absolute-names --only-values -n user.origin "$i/usr/share/doc/README") == template ]]
		[[ $(stat -c '%a %u:%g' "$i/usr/bin/su-like") == '4755 0:0' ]]
		[[ $(stat -c '%a %u:%g' "$i/tmp") == '1777 0:0' ]]
		[[ $(stat -c '%a %u:%g' "$i/home/user/notes") == '644 1234:5678' ]]
		[[ $(stat -c '%F %t,%T' "$i/dev/null") == 'character special file 1,3' ]]
		[[ $(inode_of "$i/usr/bin/a") == $(inode_of "$i/usr/bin/b") ]]
		[[ $(inode_of "$i/usr/bin/a") != $(inode_of "$store/$hex/usr/bin/a") ]]
		# every file with data is a clone
		while IFS= read -r -d '' f; do
			assert_shared "$f"
		done < <(find "$i" -type f -size +0c -print0)
		# the records
		local r
		r=$(_records "$i")
		[[ -f $r/manifest.xcpm && -f $r/base.xcpm && -f $r/jail.conf ]] ||
			fail "records of $i: $(ls -la "$r")"
		[[ $(_conf "$i" kind) == archive ]]
		[[ $(_conf "$i" mode) == reflink ]]
		[[ $(_conf "$i" store) == "$hex" ]]
		[[ $(_conf "$i" template) == "$T/tmpl.tar" ]]
		# every regular file with data: "reflink"
		run awk -F'\t' '$1 == "f" && $5 > 0 && $8 != "reflink"' "$r/manifest.xcpm"
		[[ -z $output ]] || fail "not reflink in $r/manifest.xcpm: $output"
		[[ $(awk -F'\t' '$1 == "f" && $5 > 0' "$r/manifest.xcpm" | wc -l) -eq $nd ]] ||
			fail "$(_rows "$r/manifest.xcpm")"
	done
	[[ ! -e $jails/.jailclone/j1/partial ]]

	# du: next to nothing exclusive, and all of them together use about
	# what one template does
	run --separate-stderr "$JAILCLONE" du --json "${J[@]}"
	assert_success
	local nf
	nf=$(_nfiles "$tmpl")
	_json "
t = $tbytes
assert len(d['jails']) == 10, d
for k, j in enumerate(d['jails']):
    assert j['jail'] == '$jails/j%d' % (k + 1), j
    assert j['exclusive'] <= t * 5 // 100, (j, t)
    assert j['shared'] >= t, (j, t)
    assert j['files'] == $nf, j
assert t <= d['total'] <= t + $nf * 4096, (d['total'], t)
"
	run "$JAILCLONE" du "${J[@]}"
	assert_success
	assert_line --regexp '^[0-9]+ +total really used$'

	run --separate-stderr "$JAILCLONE" verify "${J[@]}"
	assert_success
	[[ -z $output && -z $stderr ]] || fail "stdout: $output"$'\n'"stderr: $stderr"

	# a second create from the same archive: the store as it was
	local ino mt
	ino=$(inode_of "$store/$hex")
	mt=$(stat -c %y "$store/$hex.xcpm")
	run --separate-stderr "$JAILCLONE" create --store "$store" "$T/tmpl.tar" "$jails/j11"
	assert_success
	[[ $(inode_of "$store/$hex") == "$ino" ]]
	[[ $(stat -c %y "$store/$hex.xcpm") == "$mt" ]]
	[[ $(find "$store" -mindepth 1 -maxdepth 1 ! -name .lock | wc -l) -eq 2 ]] ||
		fail "store: $(ls -la "$store")"
	assert_same_tree "$store/$hex" "$jails/j11"
	assert_shared "$jails/j11/usr/lib/libbig.so.1"
	run "$JAILCLONE" verify "$jails/j11"
	assert_success
	assert_output ''
}

@test "btrfs: a subvolume template gives snapshot jails" {
	command -v btrfs >/dev/null || skip_or_fail "needs btrfs-progs"
	mount_fs btrfs 1G
	local tmpl=$MNT/tmpl i
	btrfs -q subvolume create "$tmpl"
	_template "$tmpl"
	run --separate-stderr "$JAILCLONE" create -v "$tmpl" "$MNT/j1" "$MNT/j2" "$MNT/j3"
	assert_success
	[[ $(_sorted "$output") == "$(printf "created '$MNT/%s' (snapshot)\n" j1 j2 j3)" ]] ||
		fail "create -v printed: $output"
	for i in j1 j2 j3; do
		run btrfs subvolume show "$MNT/$i"
		assert_success
		assert_same_tree "$tmpl" "$MNT/$i"
		assert_shared "$MNT/$i/usr/lib/libbig.so.1"
		[[ $(_conf "$MNT/$i" mode) == snapshot ]]
		[[ $(_conf "$MNT/$i" kind) == subvolume ]]
		[[ $(_conf "$MNT/$i" template) == "$tmpl" ]]
		run awk -F'\t' '!/^#/ && $8 != "snapshot"' "$(_records "$MNT/$i")/manifest.xcpm"
		[[ -z $output ]] || fail "not snapshot: $output"
		# one record per entry of the template
		[[ $(grep -vc '^#' "$(_records "$MNT/$i")/manifest.xcpm") -eq \
			$(find "$tmpl" | wc -l) ]]
	done
	run --separate-stderr "$JAILCLONE" verify "$MNT/j1" "$MNT/j2" "$MNT/j3"
	assert_success
	[[ -z $output && -z $stderr ]] || fail "stdout: $output"$'\n'"stderr: $stderr"
	# snapshots are independent of the template
	echo changed >"$MNT/j1/etc/hostname"
	[[ $(cat "$tmpl/etc/hostname") == template ]]
}

@test "verify names exactly the modified, added and removed paths" {
	mount_fs xfs 400M
	local tmpl=$MNT/tmpl
	_template "$tmpl"
	run "$JAILCLONE" create "$tmpl" "$MNT/j1" "$MNT/j2"
	assert_success
	local j=$MNT/j1
	# new content, same size and mtime
	dd if=/dev/urandom of="$j/usr/lib/x" bs=1000 count=10 seek=20 \
		conv=notrunc status=none
	touch -m -r "$tmpl/usr/lib/x" "$j/usr/lib/x"
	cmp -s "$tmpl/usr/lib/x" "$j/usr/lib/x" && fail "usr/lib/x was not changed"
	chmod 600 "$j/etc/passwd"
	chown 4321 "$j/etc/group"
	# another symlink target of the same length, the link's and its
	# directory's times kept
	ln -sfn usr/lib "$j/sbin"
	touch -h -m -r "$tmpl/sbin" "$j/sbin"
	# a new file, its directory's mtime put back
	echo new >"$j/root/new"
	touch -m -r "$tmpl/root" "$j/root"
	touch -m -r "$tmpl" "$j"
	# a file removed, its directory's mtime changed by that
	rm "$j/usr/bin/plain"

	local expected
	expected=$(printf '%s\n' \
		'added ./root/new' \
		'modified ./etc/group (uid)' \
		'modified ./etc/passwd (mode)' \
		'modified ./sbin (target)' \
		'modified ./usr/bin (mtime)' \
		'modified ./usr/lib/x (content)' \
		'removed ./usr/bin/plain')

	run --separate-stderr "$JAILCLONE" verify "$j"
	[[ $status -eq 2 ]] || fail "status $status: $output $stderr"
	[[ $(_sorted "$output") == "$expected" ]] ||
		fail "verify printed:"$'\n'"$output"$'\n'"expected:"$'\n'"$expected"
	[[ -z $stderr ]] || fail "stderr: $stderr"

	# --fast: metadata only, so not the content
	run --separate-stderr "$JAILCLONE" verify --fast "$j"
	[[ $status -eq 2 ]] || fail "status $status: $output $stderr"
	[[ $(_sorted "$output") == "$(grep -v content <<<"$expected")" ]] ||
		fail "verify --fast printed:"$'\n'"$output"

	# --json: the same paths, kinds and fields
	run --separate-stderr "$JAILCLONE" verify --json "$j"
	[[ $status -eq 2 ]] || fail "status $status: $output $stderr"
	_json "
(r,) = d['jails']
assert r['jail'] == '$j', r
got = sorted((x['path'], x['kind'], tuple(x.get('fields', []))) for x in r['drift'])
want = sorted([('./root/new', 'added', ()),
    ('./etc/group', 'modified', ('uid',)),
    ('./etc/passwd', 'modified', ('mode',)),
    ('./sbin', 'modified', ('target',)),
    ('./usr/bin', 'modified', ('mtime',)),
    ('./usr/lib/x', 'modified', ('content',)),
    ('./usr/bin/plain', 'removed', ())])
assert got == want, got
assert (r['modified'], r['added'], r['removed'], r['overrides']) == (5, 1, 1, 0), r
assert r['ok'] is True, r
"

	# two jails in one call: each line names its jail, the untouched one
	# has none
	cd "$MNT"
	run --separate-stderr "$JAILCLONE" verify j1 j2
	[[ $status -eq 2 ]] || fail "status $status: $output $stderr"
	[[ $(_sorted "$output") == "$(sed 's/^/j1: /' <<<"$expected")" ]] ||
		fail "verify j1 j2 printed:"$'\n'"$output"
	run --separate-stderr "$JAILCLONE" verify --json j1 j2
	[[ $status -eq 2 ]] || fail "status $status: $output $stderr"
	_json "
a, b = d['jails']
assert a['jail'] == 'j1' and len(a['drift']) == 7, a
assert b['jail'] == 'j2' and b['drift'] == [] and b['ok'] is True, b
assert b['modified'] == b['added'] == b['removed'] == 0, b
assert b['entries'] == a['entries'] > 20, (a, b)
"
	run --separate-stderr "$JAILCLONE" verify j2
	assert_success
	[[ -z $output && -z $stderr ]] || fail "stdout: $output"$'\n'"stderr: $stderr"
	# verify looks, it does not touch
	[[ -e j1/root/new && ! -e j1/usr/bin/plain ]]
	[[ $(stat -c %a j1/etc/passwd) == 600 ]]
}

@test "overrides: --hostname, --set and --copy-in write exact root-owned files, the rest untouched, verify lists them" {
	mount_fs xfs 400M
	local tmpl=$MNT/tmpl j
	_template "$tmpl"
	printf 'extra line\n\0binary\n' >"$T/extra.src"
	local hmt
	hmt=$(stat -c %y "$tmpl/etc/hostname")
	run --separate-stderr "$JAILCLONE" create --hostname 'web-%n' \
		--set etc/motd=hello --copy-in "$T/extra.src:etc/extra" \
		"$tmpl" "$MNT/j1" "$MNT/j2"
	assert_success
	[[ -z $stderr ]] || fail "stderr: $stderr"
	for j in j1 j2; do
		cmp "$MNT/$j/etc/hostname" <(printf 'web-%s\n' "$j")
		cmp "$MNT/$j/etc/motd" <(printf hello)
		cmp "$MNT/$j/etc/extra" "$T/extra.src"
		[[ $(stat -c '%F %u:%g %a' "$MNT/$j/etc/hostname" "$MNT/$j/etc/motd" "$MNT/$j/etc/extra") == \
			"$(printf 'regular file 0:0 644\n%.0s' 1 2 3)" ]] ||
			fail "$(stat -c '%n %F %u:%g %a' "$MNT/$j"/etc/{hostname,motd,extra})"
		# nothing else changed, etc keeps the template's mtime (ns)
		diff -u <(_dump_except "$tmpl" etc/hostname) \
			<(_dump_except "$MNT/$j" etc/hostname etc/motd etc/extra)
		[[ $(stat -c %y "$MNT/$j/etc") == "$(stat -c %y "$tmpl/etc")" ]]
		# the records
		[[ $(_conf "$MNT/$j" hostname) == "web-$j" ]]
		[[ $(_conf "$MNT/$j" override | sort) == \
			"$(printf '%s\n' ./etc/extra ./etc/hostname ./etc/motd)" ]] ||
			fail "$(cat "$(_records "$MNT/$j")/jail.conf")"
		run _rows "$(_records "$MNT/$j")/manifest.xcpm"
		assert_line --regexp "^f	$(( ${#j} + 5 ))	[a-z_]+	\./etc/hostname$"
		assert_line --regexp '^f	5	[a-z_]+	\./etc/motd$'
		assert_line --regexp "^f	$(stat -c %s "$T/extra.src")	[a-z_]+	\./etc/extra$"
	done
	# the template's own file is as it was
	[[ $(cat "$tmpl/etc/hostname") == template ]]
	[[ $(stat -c %y "$tmpl/etc/hostname") == "$hmt" ]]
	[[ ! -e $tmpl/etc/motd && ! -e $tmpl/etc/extra ]]

	# overrides as written are not drift
	cd "$MNT"
	run --separate-stderr "$JAILCLONE" verify j1 j2
	assert_success
	[[ $(_sorted "$output") == "$(printf '%s\n' \
		'j1: override ./etc/extra' 'j1: override ./etc/hostname' 'j1: override ./etc/motd' \
		'j2: override ./etc/extra' 'j2: override ./etc/hostname' 'j2: override ./etc/motd')" ]] ||
		fail "verify printed: $output"
	run --separate-stderr "$JAILCLONE" verify --json j1
	assert_success
	_json "
(r,) = d['jails']
assert sorted((x['path'], x['kind']) for x in r['drift']) == [
    ('./etc/extra', 'override'), ('./etc/hostname', 'override'),
    ('./etc/motd', 'override')], r
assert r['overrides'] == 3 and r['modified'] == 0, r
"
	# an override changed afterwards is drift
	touch -m -r "$MNT/j2/etc/motd" "$T/motd.ref"
	echo other >"$MNT/j2/etc/motd"
	touch -m -r "$T/motd.ref" "$MNT/j2/etc/motd"
	run --separate-stderr "$JAILCLONE" verify j2
	[[ $status -eq 2 ]] || fail "status $status: $output $stderr"
	assert_line 'modified ./etc/motd (size, content)'

	# a template whose etc/hostname is a symlink to a file outside: the
	# jail gets a file in its place, the outside file is left alone
	cp -a "$tmpl" "$MNT/tmpl2"
	mkdir "$T/outside"
	printf 'victim\n' >"$T/outside/victim"
	touch -d '2020-02-03 04:05:06.123456789' "$T/outside/victim"
	local before
	before=$(treedump_of "$T/outside")
	rm "$MNT/tmpl2/etc/hostname"
	ln -s "$T/outside/victim" "$MNT/tmpl2/etc/hostname"
	touch -m -r "$tmpl/etc" "$MNT/tmpl2/etc"
	run --separate-stderr "$JAILCLONE" create --hostname h2 "$MNT/tmpl2" "$MNT/k1"
	assert_success
	[[ -f $MNT/k1/etc/hostname && ! -L $MNT/k1/etc/hostname ]]
	cmp "$MNT/k1/etc/hostname" <(printf 'h2\n')
	[[ $(treedump_of "$T/outside") == "$before" ]]
	[[ $(readlink "$MNT/tmpl2/etc/hostname") == "$T/outside/victim" ]]
	run --separate-stderr "$JAILCLONE" verify k1
	assert_success
	assert_output 'override ./etc/hostname'
}

@test "hardlink mode shares the declared paths and copies the private ones" {
	mount_fs ext4 400M
	local tmpl=$MNT/tmpl j=$MNT/j1 f rel
	_template "$tmpl"
	run --separate-stderr "$JAILCLONE" create -v --mode hardlink --shared usr \
		--shared etc "$tmpl" "$j"
	assert_success
	assert_output "created '$j' (hardlink)"
	assert_same_tree "$tmpl" "$j"
	[[ $(_conf "$j" mode) == hardlink ]]
	# usr: the template's inodes; etc (private by default) and the rest:
	# inodes of their own with the same bytes
	while IFS= read -r -d '' f; do
		rel=${f#"$tmpl"/}
		case $rel in
		usr/*)
			[[ $(inode_of "$j/$rel") == $(inode_of "$f") ]] ||
				fail "$rel is not a hard link to the template's"
			;;
		*)
			[[ $(inode_of "$j/$rel") != $(inode_of "$f") ]] ||
				fail "$rel is a hard link to the template's"
			cmp "$f" "$j/$rel"
			;;
		esac
	done < <(find "$tmpl" -type f -print0)
	# a private file written in the jail leaves the template alone
	echo changed >"$j/etc/passwd"
	grep -q '^root:x:0:0' "$tmpl/etc/passwd"

	local m
	m=$(_records "$j")/manifest.xcpm
	run awk -F'\t' '$1 == "f" && $10 ~ /^\.\/usr\// && $8 != "hardlink"' "$m"
	[[ -z $output ]] || fail "usr files not hardlink: $output"
	run awk -F'\t' '$1 == "f" && $10 !~ /^\.\/usr\// && $8 == "hardlink"' "$m"
	[[ -z $output ]] || fail "private files hardlink: $output"
	[[ $(awk -F'\t' '$1 == "f" && $10 ~ /^\.\/usr\// && $8 == "hardlink"' "$m" | wc -l) -eq \
		$(_nfiles "$tmpl/usr") ]] ||
		fail "$(_rows "$m")"

	# du: the usr bytes are shared (their other names are in the
	# template), the copies are the jail's own
	local ubytes obytes n
	ubytes=$(_file_bytes "$tmpl/usr")
	obytes=$(( $(_file_bytes "$j") - ubytes ))
	n=$(_nfiles "$j")
	run --separate-stderr "$JAILCLONE" du --json "$j"
	assert_success
	_json "
(r,) = d['jails']
assert $ubytes <= r['shared'] <= $ubytes + $n * 4096, (r, $ubytes)
assert $obytes <= r['exclusive'] <= $obytes + $n * 4096, (r, $obytes)
assert r['files'] == $n, r
"
}

@test "copy mode makes independent copies on XFS" {
	mount_fs xfs 400M
	local tmpl=$MNT/tmpl j=$MNT/j1 f rel
	_template "$tmpl"
	run --separate-stderr "$JAILCLONE" create -v --mode copy "$tmpl" "$j"
	assert_success
	assert_output "created '$j' (copy)"
	assert_same_tree "$tmpl" "$j"
	[[ $(_conf "$j" mode) == copy ]]
	while IFS= read -r -d '' f; do
		rel=${f#"$j"/}
		refute_shared "$f"
		refute_shared "$tmpl/$rel"
		[[ $(inode_of "$f") != $(inode_of "$tmpl/$rel") ]]
	done < <(find "$j" -type f -size +0c -print0)
	run awk -F'\t' '$1 == "f" && $5 > 0 && $8 != "bytecopy" && $8 != "copy_range"' \
		"$(_records "$j")/manifest.xcpm"
	[[ -z $output ]] || fail "not copied: $output"
	run --separate-stderr "$JAILCLONE" du --json "$j"
	assert_success
	_json "
(r,) = d['jails']
assert r['shared'] == 0 and r['exclusive'] >= $(_file_bytes "$tmpl"), r
"
	run "$JAILCLONE" verify "$j"
	assert_success
	assert_output ''
}

@test "a hostile archive writes nothing outside the store, and no jail is made from it" {
	require_root "devices and owners from an archive"
	local tool=$BATS_TEST_DIRNAME/tools/hostile-tar.py
	[[ -f $tool ]] || fail "missing $tool"
	local outside store=$T/store sum_before sum_after
	outside=$(mktemp -d "$T/outside.XXXXXX")
	HOSTILE_OUTSIDE=$outside python3 "$tool" "$T/hostile.tar"
	mkdir "$T/cwd" "$T/jails"
	sum_before=$(sha256sum /etc/passwd)
	[[ ! -e /abs-escape.txt && ! -e /escape.txt && ! -e /escape2.txt ]] ||
		fail "escape files in / before the test"

	cd "$T/cwd"
	run --separate-stderr "$JAILCLONE" create --store "$store" "$T/hostile.tar" "$T/jails/j1"
	# The template cannot be used: nothing is made from what was left.
	[[ $status -eq 4 ]] || fail "create: status $status (expected 4)"$'\n'"stderr: $stderr"
	[[ ! -e $T/jails/j1 ]] || fail "a jail was made from a hostile archive"
	[[ ! -e $T/jails/.jailclone/j1 ]] || fail "records left: $(ls -la "$T/jails/.jailclone")"

	# nothing outside
	sum_after=$(sha256sum /etc/passwd)
	[[ $sum_before == "$sum_after" ]]
	[[ -z $(ls -A "$outside") ]] || fail "outside: $(ls -la "$outside")"
	[[ ! -e /abs-escape.txt && ! -e /escape.txt && ! -e /escape2.txt ]]
	run find "$T" "$BATS_TEST_TMPDIR" \( -name 'escape*.txt' -o \
		-name 'abs-escape.txt' -o -name 'pwned*.txt' \) -print
	[[ -z $output ]] || fail "escaped: $output"
	# and nothing unpacked is kept in the store
	local hex
	hex=$(xxh128sum "$T/hostile.tar" | cut -d' ' -f1)
	[[ ! -e $store/$hex && ! -e $store/$hex.partial && ! -e $store/$hex.xcpm ]] ||
		fail "store: $(ls -la "$store")"

	# every refused entry is named on stderr, and why nothing was made
	local name
	for name in escape.txt abs-escape.txt escape2.txt lnk/pwned.txt \
		up/pwned2.txt hl hl2 hl3; do
		grep -Eq "(^|[^a-z0-9-])${name//./\\.}([^a-z0-9]|\$)" <<<"$stderr" ||
			fail "stderr does not name $name: $stderr"
	done
	[[ $(grep -c 'refused' <<<"$stderr") -ge 8 ]] || fail "stderr: $stderr"
	grep -q 'cannot be unpacked safely' <<<"$stderr" || fail "stderr: $stderr"
}

@test "a symlink planted in a jail does not lead verify, du or destroy outside" {
	mount_fs xfs 400M
	local tmpl=$MNT/tmpl j=$MNT/j1 out=$T/outside
	_template "$tmpl"
	mkdir "$out"
	printf 'victim data\n' >"$out/victim"
	printf 'other\n' >"$out/other"
	touch -d '2020-01-02 03:04:05.123456789' "$out/victim" "$out/other" "$out"
	run "$JAILCLONE" create "$tmpl" "$j"
	assert_success
	rm "$j/etc/hostname"
	ln -s "$out/victim" "$j/etc/hostname"
	ln -s / "$j/evil"
	ln -s "$out" "$j/evil2"
	touch -m -r "$tmpl/etc" "$j/etc"
	touch -m -r "$tmpl" "$j"
	local before tbefore vmt
	before=$(treedump_of "$out")
	tbefore=$(treedump_of "$tmpl")
	vmt=$(stat -c %y "$out/victim")

	run --separate-stderr "$JAILCLONE" verify "$j"
	[[ $status -eq 2 ]] || fail "status $status: $output $stderr"
	[[ $(_sorted "$output") == "$(printf '%s\n' 'added ./evil' 'added ./evil2' \
		'modified ./etc/hostname (type)')" ]] || fail "verify printed:"$'\n'"$output"
	[[ $(treedump_of "$out") == "$before" ]]

	run --separate-stderr "$JAILCLONE" du --json "$j"
	assert_success
	_json "
(r,) = d['jails']
assert r['files'] == $(_nfiles "$j"), r
assert r['exclusive'] + r['shared'] <= $(_file_bytes "$j") + $(_nfiles "$j") * 4096, r
"
	[[ $(treedump_of "$out") == "$before" ]]

	run --separate-stderr "$JAILCLONE" destroy "$j"
	assert_success
	[[ ! -e $j && ! -L $j ]]
	[[ ! -e $MNT/.jailclone/j1 ]]
	[[ $(treedump_of "$out") == "$before" ]]
	[[ $(cat "$out/victim") == 'victim data' ]]
	[[ $(stat -c %y "$out/victim") == "$vmt" ]]
	[[ $(treedump_of "$tmpl") == "$tbefore" ]]
	[[ -s /etc/passwd && -d /usr/bin ]]
}

@test "destroy refuses a jail with a mount inside and removes immutable and append-only files" {
	mount_fs xfs 400M
	local tmpl=$MNT/tmpl j=$MNT/j1
	_template "$tmpl"
	run "$JAILCLONE" create "$tmpl" "$j"
	assert_success
	_SUBMOUNTS+=("$j/tmp")
	mount -t tmpfs none "$j/tmp"
	echo inside >"$j/tmp/in-mount"
	local before rbefore
	before=$(treedump_of "$j")
	rbefore=$(treedump_of "$MNT/.jailclone")

	run --separate-stderr "$JAILCLONE" destroy "$j"
	[[ $status -eq 3 ]] || fail "status $status: $output $stderr"
	[[ $stderr == *"$j/tmp"*mounted* ]] || fail "stderr: $stderr"
	[[ $(treedump_of "$j") == "$before" ]]
	[[ $(treedump_of "$MNT/.jailclone") == "$rbefore" ]]
	[[ $(cat "$j/tmp/in-mount") == inside ]]

	umount "$j/tmp"
	chattr +i "$j/etc/passwd"
	chattr +a "$j/var/log/messages"
	chattr +i "$j/usr/share/doc"
	_FLAGGED+=("$j/etc/passwd" "$j/var/log/messages" "$j/usr/share/doc")
	[[ $(lsattr -d "$j/etc/passwd") == *i* ]]
	run --separate-stderr "$JAILCLONE" destroy -v "$j"
	assert_success
	assert_output --partial destroyed
	[[ ! -e $j && ! -e $MNT/.jailclone/j1 ]]
	# the template is as it was, flags and all
	[[ $(lsattr -d "$tmpl/etc/passwd" | cut -d' ' -f1) != *i* ]]
	grep -q '^root:' "$tmpl/etc/passwd"
	[[ $(cat "$tmpl/var/log/messages") == 'log line' ]]
}

@test "list shows each jail, its mode and drift" {
	mount_fs xfs 400M
	local tmpl=$MNT/tmpl d=$MNT/jails
	_template "$tmpl"
	mkdir "$d" "$d/not-a-jail"
	run "$JAILCLONE" create "$tmpl" "$d/j1" "$d/j2"
	assert_success
	chmod 600 "$d/j2/etc/passwd"
	echo new >"$d/j2/root/new"
	# drift: ./etc/passwd (mode), ./root (mtime), ./root/new (added)
	run "$JAILCLONE" verify --fast "$d/j2"
	[[ $status -eq 2 && ${#lines[@]} -eq 3 ]] || fail "status $status: $output"

	local now
	now=$(date -u +%s)
	run --separate-stderr "$JAILCLONE" list "$d"
	assert_success
	[[ ${#lines[@]} -eq 3 ]] || fail "$output"
	assert_line --index 0 --regexp '^NAME +MODE +DRIFT +CREATED +TEMPLATE$'
	assert_line --index 1 --regexp "^j1 +reflink +0 +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z +$tmpl\$"
	assert_line --index 2 --regexp "^j2 +reflink +3 +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z +$tmpl\$"
	local created
	created=$(awk 'NR == 2 { print $4 }' <<<"$output")
	(( $(date -u -d "$created" +%s) >= TEST_START && $(date -u -d "$created" +%s) <= now )) ||
		fail "created $created"

	run --separate-stderr "$JAILCLONE" list --json "$d"
	assert_success
	_json "
js = d['jails']
assert [j['name'] for j in js] == ['j1', 'j2'], js
for j in js:
    assert j['template'] == '$tmpl' and j['kind'] == 'dir', j
    assert j['mode'] == 'reflink' and j['complete'] is True, j
    assert j['hostname'] is None, j
    assert j['created'] == '$created', j
assert js[0]['drift'] == 0 and js[1]['drift'] == 3, js
"
	# list only looks
	[[ $(stat -c %a "$d/j2/etc/passwd") == 600 && -e $d/j2/root/new ]]
	# a listing lost to a full disk is an error, not success
	run bash -c '"$1" list --json "$2" >/dev/full' _ "$JAILCLONE" "$d"
	assert_failure 3
	assert_output "jailclone: write error: No space left on device"
	# the current directory by default
	cd "$d"
	run "$JAILCLONE" list
	assert_success
	[[ ${#lines[@]} -eq 3 ]] || fail "$output"
	assert_line --index 2 --regexp '^j2 +reflink +3 '
}

@test "a second command on a jail in use fails, or waits with --wait" {
	command -v flock >/dev/null || skip_or_fail "needs flock (util-linux)"
	mount_fs xfs 400M
	local tmpl=$MNT/tmpl j=$MNT/j1 t0 t1
	_template "$tmpl"
	run "$JAILCLONE" create "$tmpl" "$j"
	assert_success
	[[ -e $MNT/.jailclone/j1.lock ]]
	flock "$MNT/.jailclone/j1.lock" sleep 3 &
	local holder=$!
	_BG+=("$holder")
	sleep 0.5

	t0=$(date +%s%N)
	run --separate-stderr "$JAILCLONE" verify "$j"
	t1=$(date +%s%N)
	[[ $status -eq 3 ]] || fail "status $status: $output $stderr"
	[[ $stderr == *"in use"* ]] || fail "stderr: $stderr"
	(( (t1 - t0) / 1000000 < 1500 )) || fail "took $(( (t1 - t0) / 1000000 )) ms"
	# destroy fails the same way and leaves the jail alone
	run --separate-stderr "$JAILCLONE" destroy "$j"
	[[ $status -eq 3 ]] || fail "status $status: $output $stderr"
	[[ $stderr == *"in use"* ]] || fail "stderr: $stderr"
	assert_same_tree "$tmpl" "$j"

	# --wait: done once the holder has gone
	run --separate-stderr "$JAILCLONE" verify --wait "$j"
	assert_success
	assert_output ''
	! kill -0 "$holder" 2>/dev/null || fail "verify --wait returned while the lock was held"

	# the store lock: an archive is not unpacked while another run has it
	tar -C "$tmpl" -cf "$T/t.tar" .
	mkdir "$MNT/store"
	: >"$MNT/store/.lock"
	flock "$MNT/store/.lock" sleep 2 &
	holder=$!
	_BG+=("$holder")
	sleep 0.5
	run --separate-stderr "$JAILCLONE" create --store "$MNT/store" "$T/t.tar" "$MNT/a1"
	[[ $status -ne 0 ]] || fail "create succeeded with the store locked"
	[[ $stderr == *"in use"* ]] || fail "stderr: $stderr"
	[[ ! -e $MNT/a1 ]]
	run --separate-stderr "$JAILCLONE" create --wait --store "$MNT/store" "$T/t.tar" "$MNT/a1"
	assert_success
	! kill -0 "$holder" 2>/dev/null || fail "create --wait returned while the lock was held"
	run "$JAILCLONE" verify "$MNT/a1"
	assert_success
}

@test "kill -9 during create leaves no jail under its name, and a rerun makes it" {
	mount_fs xfs 1G
	local tmpl=$MNT/tmpl d=$MNT/jails i k
	_template "$tmpl"
	for i in $(seq 1 20); do
		mkdir "$tmpl/usr/share/d$i"
		head -c 1M /dev/urandom >"$tmpl/usr/share/d$i/blob"
		for k in $(seq 1 40); do echo "$i $k" >"$tmpl/usr/share/d$i/f$k"; done
	done
	set_fixture_times "$tmpl"
	mkdir "$d"
	local -a names=()
	for i in $(seq 1 12); do names+=("j$i"); done

	# copy mode: slow enough to be caught in the middle
	(cd "$d" && exec "$JAILCLONE" create --mode copy -j 2 "$tmpl" "${names[@]}") &
	local pid=$!
	_BG+=("$pid")
	for i in $(seq 1 400); do
		compgen -G "$d/.jailclone/*/partial/usr/share/d2" >/dev/null && break
		sleep 0.02
	done
	kill -9 "$pid"
	wait "$pid" || true
	compgen -G "$d/.jailclone/*/partial" >/dev/null ||
		skip_or_fail "the create ended before it could be killed"

	# every jail under its name is complete and verifies
	local made=0 missing=()
	for i in "${names[@]}"; do
		if [[ -e $d/$i ]]; then
			made=$(( made + 1 ))
			[[ -f $d/.jailclone/$i/manifest.xcpm && -f $d/.jailclone/$i/jail.conf &&
				-f $d/.jailclone/$i/base.xcpm ]] || fail "$i has no complete records"
			run --separate-stderr "$JAILCLONE" verify "$d/$i"
			assert_success
			assert_output ''
		else
			missing+=("$i")
		fi
	done
	[[ ${#missing[@]} -gt 0 ]] || fail "no jail missing after the kill"
	# list calls the interrupted ones partial (those begun), never
	# complete
	run "$JAILCLONE" list "$d"
	assert_success
	for i in "${missing[@]}"; do
		if [[ -d $d/.jailclone/$i/partial ]]; then
			assert_line --regexp "^$i +partial "
		else
			refute_line --regexp "^$i +(reflink|copy|snapshot|hardlink) "
		fi
	done
	[[ $(grep -Ec ' reflink | copy ' <<<"$output") -eq $made ]] || fail "$output"

	# the rerun: exactly the missing ones, the others are there already
	run --separate-stderr "$JAILCLONE" create --mode copy "$tmpl" "${missing[@]/#/$d/}"
	assert_success
	run --separate-stderr "$JAILCLONE" create --mode copy "$tmpl" "$d/j1"
	[[ $status -eq 3 ]] || fail "status $status: $stderr"
	for i in "${names[@]}"; do
		assert_same_tree "$tmpl" "$d/$i"
	done
	run --separate-stderr "$JAILCLONE" verify "${names[@]/#/$d/}"
	assert_success
	assert_output ''
	[[ -z $(find "$d/.jailclone" -name partial) ]]
	[[ -z $(find "$d" -path "$d/.jailclone" -prune -o -name '.jailclone-*' -print) ]]
	run "$JAILCLONE" list "$d"
	assert_success
	[[ ${#lines[@]} -eq 13 ]] || fail "$output"
	refute_output --partial partial
}

# _small_template DIR: a tiny tree (no root needed)
_small_template() {
	mkdir -p "$1/etc" "$1/usr/bin"
	echo hello >"$1/etc/hostname"
	head -c 10000 /dev/urandom >"$1/usr/bin/tool"
	set_fixture_times "$1"
}

@test "usage errors exit 1 and make nothing" {
	local tmpl=$T/tmpl d=$T/jails
	_small_template "$tmpl"
	mkdir "$d"
	run --separate-stderr "$JAILCLONE" frobnicate
	assert_failure 1
	[[ $stderr == *"unknown command"* ]] || fail "stderr: $stderr"
	run --separate-stderr "$JAILCLONE"
	assert_failure 1
	run --separate-stderr "$JAILCLONE" create "$tmpl"
	assert_failure 1
	run --separate-stderr "$JAILCLONE" verify --hostname x "$d/j1"
	assert_failure 1
	[[ $stderr == *"does not apply"* ]] || fail "stderr: $stderr"
	run --separate-stderr "$JAILCLONE" create --mode bogus "$tmpl" "$d/j4"
	assert_failure 1
	[[ $stderr == *bogus* ]] || fail "stderr: $stderr"
	[[ -z $(ls -A "$d") ]] || fail "made: $(ls -laR "$d")"
}

@test "an existing path is no jail: create leaves it alone (exit 3) and makes the others; verify and destroy refuse it" {
	local tmpl=$T/tmpl d=$T/jails before
	_small_template "$tmpl"
	mkdir -p "$d/j1" "$d/plain"
	echo mine >"$d/j1/file"
	echo mine too >"$d/plain/file"
	before=$(treedump_of "$d/j1")
	local pbefore
	pbefore=$(treedump_of "$d/plain")

	# a directory that never saw jailclone
	run --separate-stderr "$JAILCLONE" destroy "$d/plain"
	assert_failure 3
	[[ $stderr == *"not a jail"* ]] || fail "stderr: $stderr"
	[[ $(treedump_of "$d/plain") == "$pbefore" ]]

	run --separate-stderr "$JAILCLONE" create "$tmpl" "$d/j1" "$d/j2"
	assert_failure 3
	[[ $stderr == *"$d/j1"*exists* ]] || fail "stderr: $stderr"
	[[ $(treedump_of "$d/j1") == "$before" ]]
	[[ ! -e $d/.jailclone/j1/manifest.xcpm && ! -e $d/.jailclone/j1/jail.conf ]]
	assert_same_tree "$tmpl" "$d/j2"
	run "$JAILCLONE" verify "$d/j2"
	assert_success
	assert_output ''

	# j1 is still not a jail: verify and destroy refuse it, list omits it
	run --separate-stderr "$JAILCLONE" verify "$d/j1"
	assert_failure 3
	[[ $stderr == *"not a jail"* ]] || fail "stderr: $stderr"
	run --separate-stderr "$JAILCLONE" list "$d"
	assert_success
	[[ ${#lines[@]} -eq 2 ]] || fail "$output"
	assert_line --index 1 --regexp '^j2 '
	run --separate-stderr "$JAILCLONE" destroy "$d/j1"
	[[ $status -eq 3 ]] ||
		fail "destroy of a directory that is not a jail: status $status, it is $( [[ -e $d/j1 ]] && echo still there || echo gone)"
	[[ $(treedump_of "$d/j1") == "$before" ]]
}

@test "a template that cannot be used: exit 4 and nothing made" {
	local d=$T/jails
	mkdir "$d"
	run --separate-stderr "$JAILCLONE" create "$T/no-such-template" "$d/j3"
	assert_failure 4
	[[ $stderr == *no-such-template* ]] || fail "stderr: $stderr"
	[[ ! -e $d/j3 ]]
	echo 'not an archive' >"$T/junk.tar"
	run --separate-stderr "$JAILCLONE" create --store "$T/store" "$T/junk.tar" "$d/j4"
	assert_failure 4
	[[ $stderr == *junk.tar* ]] || fail "stderr: $stderr"
	[[ ! -e $d/j4 ]]
	[[ -z $(find "$T/store" -mindepth 1 ! -name .lock 2>/dev/null) ]] ||
		fail "store: $(ls -la "$T/store")"
	run "$JAILCLONE" list "$d"
	assert_success
	[[ ${#lines[@]} -eq 1 ]] || fail "$output"
	# no records left behind either (a later destroy of a directory of
	# that name must not take it for a jail)
	[[ ! -e $d/.jailclone/j3 && ! -e $d/.jailclone/j4 ]] ||
		fail "records left: $(find "$d/.jailclone")"
	mkdir "$d/j3"
	echo data >"$d/j3/file"
	run --separate-stderr "$JAILCLONE" destroy "$d/j3"
	assert_failure 3
	[[ $(cat "$d/j3/file") == data ]]
}

@test "update: what the jail never changed follows the new template, what it changed is kept, conflicts get both versions beside them" {
	mount_fs xfs 400M
	local t1=$MNT/t1 t2=$MNT/t2 a=$MNT/jails/a b=$MNT/jails/b
	_template "$t1"
	mkdir "$MNT/jails"
	run "$JAILCLONE" create "$t1" "$a" "$b"
	assert_success
	# The new template: one file changed, one added (in a new directory
	# too), one removed, and usr/lib/x changed as the jail a changes it.
	cp -a "$t1" "$t2"
	head -c 65536 /dev/urandom >"$t2/usr/lib/libc.so.6"
	head -c 100000 /dev/urandom >"$t2/usr/lib/x"
	printf 'new lib\n' >"$t2/usr/lib/libnew.so"
	mkdir -p "$t2/opt/app"
	printf 'app\n' >"$t2/opt/app/run"
	rm "$t2/usr/bin/plain"
	set_fixture_times "$t2"
	# The jail a changes usr/lib/x (a conflict) and etc/passwd (kept).
	local mine_x mine_pw
	printf 'local x\n' >"$a/usr/lib/x"
	printf 'root:x:0:0:root:/root:/bin/bash\n' >"$a/etc/passwd"
	mine_x=$(xxhsum -H2 <"$a/usr/lib/x" | cut -d' ' -f1)
	mine_pw=$(xxhsum -H2 <"$a/etc/passwd" | cut -d' ' -f1)

	run --separate-stderr "$JAILCLONE" update -v --template "$t2" "$a" "$b"
	assert_failure 2
	[[ -z $stderr ]] || fail "stderr: $stderr"
	assert_line "$a: conflict ./usr/lib/x (old template: ./usr/lib/x.jailclone-old, new template: ./usr/lib/x.jailclone-new)"
	assert_line "$a: kept ./etc/passwd"
	assert_line "$b: updated ./usr/lib/x"
	assert_line "$b: removed ./usr/bin/plain"
	assert_line "$b: added ./opt/app/run"
	refute_line --partial "$b: conflict"

	# b never changed: it is now the new template, exactly.
	assert_same_tree "$t2" "$b" -X
	run "$JAILCLONE" verify "$b"
	assert_success
	assert_output ''
	assert_shared "$b/usr/lib/libnew.so"
	assert_shared "$b/usr/lib/libc.so.6"

	# a: the template's changes where a did not change anything,
	cmp "$t2/usr/lib/libc.so.6" "$a/usr/lib/libc.so.6"
	cmp "$t2/usr/lib/libnew.so" "$a/usr/lib/libnew.so"
	cmp "$t2/opt/app/run" "$a/opt/app/run"
	[[ ! -e $a/usr/bin/plain ]] || fail "usr/bin/plain is still in $a"
	# its own changes kept, the two template versions beside the conflict
	[[ $(xxhsum -H2 <"$a/usr/lib/x" | cut -d' ' -f1) == "$mine_x" ]] ||
		fail "a's usr/lib/x was not kept"
	[[ $(xxhsum -H2 <"$a/etc/passwd" | cut -d' ' -f1) == "$mine_pw" ]] ||
		fail "a's etc/passwd was not kept"
	cmp "$t1/usr/lib/x" "$a/usr/lib/x.jailclone-old"
	cmp "$t2/usr/lib/x" "$a/usr/lib/x.jailclone-new"
	# and verify still shows a's own changes, against the new template
	run "$JAILCLONE" verify "$a"
	assert_failure 2
	assert_line --regexp '^modified \./usr/lib/x \(.*content.*\)$'
	assert_line --regexp '^modified \./etc/passwd \(.*content.*\)$'
	assert_line 'added ./usr/lib/x.jailclone-old'
	assert_line 'added ./usr/lib/x.jailclone-new'
	assert_equal "${#lines[@]}" 4
	# the records name the new template
	[[ $(_conf "$a" template) == "$t2" ]] || fail "jail.conf: $(cat "$(_records "$a")/jail.conf")"
	cmp "$(_records "$b")/base.xcpm" "$(_records "$a")/base.xcpm"
}

@test "update never writes through a symlink the jail planted" {
	mount_fs xfs 400M
	local t1=$MNT/t1 t2=$MNT/t2 j=$MNT/jails/j outside=$T/outside
	_template "$t1"
	mkdir "$MNT/jails" "$outside"
	printf 'victim\n' >"$outside/libc.so.6"
	touch -m -d @1600000000 "$outside/libc.so.6"
	run "$JAILCLONE" create "$t1" "$j"
	assert_success
	cp -a "$t1" "$t2"
	head -c 65536 /dev/urandom >"$t2/usr/lib/libc.so.6"
	printf 'added\n' >"$t2/usr/lib/added.so"
	# The jail swaps its usr/lib for a symlink to a directory outside.
	rm -rf "$j/usr/lib"
	ln -s "$outside" "$j/usr/lib"
	run "$JAILCLONE" update --template "$t2" "$j"
	[[ $status -eq 2 || $status -eq 3 ]] || fail "status $status: $output"
	# Nothing outside changed or appeared.
	[[ $(cat "$outside/libc.so.6") == victim ]] || fail "the outside file was written"
	[[ $(stat -c %Y "$outside/libc.so.6") == 1600000000 ]] || fail "the outside file was touched"
	[[ $(ls -A "$outside") == libc.so.6 ]] || fail "new files outside: $(ls -A "$outside")"
	# The jail keeps its symlink.
	[[ -L $j/usr/lib ]] || fail "the jail's usr/lib symlink was replaced"
}

@test "the same jail twice in one command is a usage error, and override paths are cleaned" {
	local tmpl=$T/tmpl
	mkdir -p "$tmpl/etc" "$T/jails"
	printf 'template\n' >"$tmpl/etc/motd"
	run "$JAILCLONE" create "$tmpl" "$T/jails/a" "$T/jails/../jails/a/"
	assert_failure 1
	assert_output --partial 'given twice'
	[[ ! -e $T/jails/a && ! -e $T/jails/.jailclone ]] || fail "something was made: $(ls -la "$T/jails")"
	run "$JAILCLONE" create --set '/etc//./motd=first' --set 'etc/motd=second' "$tmpl" "$T/jails/a"
	assert_success
	[[ $(cat "$T/jails/a/etc/motd") == second ]] || fail "motd: $(cat "$T/jails/a/etc/motd")"
	[[ $(grep -c '^override=' "$T/jails/.jailclone/a/jail.conf") -eq 1 ]]
	grep -qx 'override=./etc/motd' "$T/jails/.jailclone/a/jail.conf"
	run "$JAILCLONE" verify "$T/jails/a"
	assert_success
	assert_output 'override ./etc/motd'
	run "$JAILCLONE" create --set '../etc/motd=x' "$tmpl" "$T/jails/b"
	assert_failure 1
	[[ ! -e $T/jails/b ]]
}

@test "a directory put at a jail's name is not the jail: destroy, verify and update leave it alone" {
	local tmpl=$T/tmpl
	mkdir -p "$tmpl/etc" "$T/jails"
	printf 'template\n' >"$tmpl/etc/motd"
	run "$JAILCLONE" create "$tmpl" "$T/jails/a"
	assert_success
	mv "$T/jails/a" "$T/jails/a-old"
	mkdir "$T/jails/a"
	printf 'user data\n' >"$T/jails/a/file"
	run "$JAILCLONE" destroy "$T/jails/a"
	assert_failure 3
	assert_output --partial 'not a jail'
	run "$JAILCLONE" verify "$T/jails/a"
	assert_failure 3
	run "$JAILCLONE" update --template "$tmpl" "$T/jails/a"
	assert_failure 3
	[[ $(cat "$T/jails/a/file") == 'user data' ]] || fail "the directory was changed"
	[[ $(ls -A "$T/jails/a") == file ]] || fail "$(ls -A "$T/jails/a")"
	# put back, it is the jail again
	rm -rf "$T/jails/a"
	mv "$T/jails/a-old" "$T/jails/a"
	run "$JAILCLONE" verify "$T/jails/a"
	assert_success
	run "$JAILCLONE" destroy "$T/jails/a"
	assert_success
	[[ ! -e $T/jails/a && ! -e $T/jails/.jailclone/a ]]
}

@test "auto mode: a subvolume on another btrfs is copied, not snapshot" {
	mount_fs btrfs 300M
	local a=$MNT
	mount_fs btrfs 300M
	local b=$MNT
	btrfs subvolume create "$a/tmpl" >/dev/null
	mkdir -p "$a/tmpl/etc"
	printf 'template\n' >"$a/tmpl/etc/motd"
	head -c 100000 /dev/urandom >"$a/tmpl/etc/blob"
	run "$JAILCLONE" create -v "$a/tmpl" "$b/j1"
	assert_success
	assert_output "created '$b/j1' (copy)"
	[[ $(_conf "$b/j1" mode) == copy ]]
	cmp "$a/tmpl/etc/blob" "$b/j1/etc/blob"
	btrfs subvolume show "$b/j1" >/dev/null 2>&1 && fail "$b/j1 is a subvolume"
	run "$JAILCLONE" create -v "$a/tmpl" "$a/j2"
	assert_success
	assert_output "created '$a/j2' (snapshot)"
	run "$JAILCLONE" verify "$b/j1" "$a/j2"
	assert_success
}

@test "ENOSPC while jails are made: none gets its name, nothing half-made is left, and a rerun with room makes them" {
	mount_fs xfs 300M
	local tmpl=$T/tmpl i
	mkdir -p "$tmpl/usr/lib" "$tmpl/etc"
	for i in 1 2 3 4 5 6; do
		head -c 20000000 /dev/urandom >"$tmpl/usr/lib/big$i"
	done
	printf 'template\n' >"$tmpl/etc/motd"
	set_fixture_times "$tmpl"
	mkdir "$MNT/jails"
	# Copies (the template is on another filesystem): 120 MB per jail,
	# so the third jail cannot fit.
	run --separate-stderr "$JAILCLONE" create -j1 "$tmpl" "$MNT/jails/a" \
		"$MNT/jails/b" "$MNT/jails/c"
	assert_failure 3
	grep -q 'No space left on device' <<<"$stderr" || fail "stderr: $stderr"
	# What was made complete has its name and verifies; what was not has
	# neither a name nor a partial tree.
	local made=0 j
	for j in a b c; do
		if [[ -e $MNT/jails/$j ]]; then
			made=$((made + 1))
			run "$JAILCLONE" verify "$MNT/jails/$j"
			assert_success
		else
			[[ ! -e $MNT/jails/.jailclone/$j ]] ||
				fail "records of $j left: $(find "$MNT/jails/.jailclone/$j" | head)"
		fi
	done
	(( made < 3 )) || fail "all three jails fit: the test needs a smaller filesystem"
	[[ -z $(find "$MNT/jails" -name partial) ]] || fail "a partial tree is left"
	# Room again: the missing ones are made.
	for j in a b c; do
		[[ -e $MNT/jails/$j ]] && "$JAILCLONE" destroy "$MNT/jails/$j"
	done
	run "$JAILCLONE" create -j1 "$tmpl" "$MNT/jails/a"
	assert_success
	run "$JAILCLONE" verify "$MNT/jails/a"
	assert_success
	cmp "$tmpl/usr/lib/big6" "$MNT/jails/a/usr/lib/big6"
}

@test "btrfs: a template with a subvolume inside is cloned, not snapshot, so nothing is left out" {
	mount_fs btrfs 300M
	btrfs subvolume create "$MNT/tmpl" >/dev/null
	mkdir -p "$MNT/tmpl/etc"
	printf 'template\n' >"$MNT/tmpl/etc/motd"
	btrfs subvolume create "$MNT/tmpl/var" >/dev/null
	head -c 50000 /dev/urandom >"$MNT/tmpl/var/data"
	run "$JAILCLONE" create -v "$MNT/tmpl" "$MNT/j1"
	assert_success
	assert_output "created '$MNT/j1' (reflink)"
	cmp "$MNT/tmpl/var/data" "$MNT/j1/var/data"
	assert_shared "$MNT/j1/var/data"
	run "$JAILCLONE" verify "$MNT/j1"
	assert_success
	run "$JAILCLONE" create -m snapshot "$MNT/tmpl" "$MNT/j2"
	assert_failure 3
	assert_output --partial 'snapshot'
	[[ ! -e $MNT/j2 && ! -e $MNT/.jailclone/j2 ]]
}

@test "update of a hardlink-mode jail: shared files become links to the new template's, private ones copies" {
	mount_fs ext4 300M
	local t1=$MNT/t1 t2=$MNT/t2 j=$MNT/jails/j
	mkdir -p "$t1/usr/lib" "$t1/etc" "$MNT/jails"
	printf 'lib one\n' >"$t1/usr/lib/x"
	printf 'same\n' >"$t1/usr/lib/same"
	printf 'conf one\n' >"$t1/etc/conf"
	run "$JAILCLONE" create -m hardlink --shared usr "$t1" "$j"
	assert_success
	[[ $(inode_of "$j/usr/lib/x") == $(inode_of "$t1/usr/lib/x") ]]
	cp -a "$t1" "$t2"
	printf 'lib two\n' >"$t2/usr/lib/x.new" && mv "$t2/usr/lib/x.new" "$t2/usr/lib/x"
	printf 'conf two\n' >"$t2/etc/conf"
	run "$JAILCLONE" update -v --template "$t2" "$j"
	assert_success
	assert_line "$j: updated ./usr/lib/x"
	assert_line "$j: updated ./etc/conf"
	[[ $(inode_of "$j/usr/lib/x") == $(inode_of "$t2/usr/lib/x") ]] ||
		fail "usr/lib/x is not the new template's file"
	[[ $(inode_of "$j/etc/conf") != $(inode_of "$t2/etc/conf") ]] ||
		fail "etc/conf (private) is a hard link"
	[[ $(cat "$j/etc/conf") == 'conf two' ]]
	[[ $(inode_of "$j/usr/lib/same") == $(inode_of "$t1/usr/lib/same") ]] ||
		fail "an unchanged shared file was replaced"
	run "$JAILCLONE" verify "$j"
	assert_success
}

@test "destroy removes a tree thousands of levels deep with few descriptors, and the rest of the jail" {
	local tmpl=$T/tmpl
	mkdir -p "$tmpl/etc" "$T/jails"
	printf 'template\n' >"$tmpl/etc/motd"
	run "$JAILCLONE" create "$tmpl" "$T/jails/a"
	assert_success
	# 3,000 levels, a file at the bottom and one on the way, made through
	# directory descriptors (a shell's cd slows down past PATH_MAX)
	python3 -c '
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
for i in range(1, 3001):
    os.mkdir("d", dir_fd=fd)
    nfd = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
    os.close(fd)
    fd = nfd
    if i in (1500, 3000):
        f = os.open("f", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(f, b"data\n")
        os.close(f)
os.close(fd)
' "$T/jails/a" || fail "could not build the deep tree"
	run bash -c 'ulimit -n 32 && exec "$1" destroy "$2"' _ "$JAILCLONE" "$T/jails/a"
	assert_success
	[[ ! -e $T/jails/a && ! -e $T/jails/.jailclone/a ]] ||
		fail "left: $(ls -la "$T/jails" "$T/jails/.jailclone")"
}
