#!/usr/bin/env bats
# badinput.bats: input that a copy tool meets in the wild, given to xcp,
# xsync and jailclone: missing paths, a destination inside its source, the
# same file twice, symlink loops, paths longer than PATH_MAX, a tree 10,000
# levels deep under a low descriptor limit, a directory of 1,000,000
# entries, names with every byte from 1 to 255, /proc and /sys files,
# FIFOs and sockets.  tests/README.md maps each to its test.

bats_require_minimum_version 1.5.0

load helpers

setup() { setup_all; }
teardown() { teardown_tmp; }

# _py SCRIPT ARGS...: python3 (needed for trees bash cannot build).
_py() {
	command -v python3 >/dev/null || skip_or_fail "python3 not installed"
	python3 -c "$@"
}

# _chain ROOT DEPTH NAME: ROOT/NAME/NAME/... DEPTH levels, built through
# directory descriptors, with a file "leaf" at the bottom.
_chain() {
	_py '
import os, sys
root, depth, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(root, exist_ok=True)
fd = os.open(root, os.O_DIRECTORY)
for i in range(depth):
    os.mkdir(name, dir_fd=fd)
    nfd = os.open(name, os.O_DIRECTORY, dir_fd=fd)
    os.close(fd)
    fd = nfd
f = os.open("leaf", os.O_WRONLY | os.O_CREAT, 0o640, dir_fd=fd)
os.write(f, b"at the bottom\n")
os.close(f)
os.symlink("../" + name, "up", dir_fd=fd)
' "$@"
}

# _chain_same A B: the two chains have the same depth, names, leaf bytes,
# leaf mode and symlink, walked through descriptors.
_chain_same() {
	_py '
import os, sys, stat
def walk(root):
    out, fd, depth = [], os.open(root, os.O_DIRECTORY), 0
    while True:
        names = sorted(os.listdir(fd))
        out.append(names)
        if "leaf" in names:
            f = os.open("leaf", os.O_RDONLY, dir_fd=fd)
            out.append(os.read(f, 100))
            out.append(stat.S_IMODE(os.fstat(f).st_mode))
            os.close(f)
            out.append(os.readlink("up", dir_fd=fd))
            return depth, out
        sub = [n for n in names if n != "up"][0]
        nfd = os.open(sub, os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
        os.close(fd)
        fd, depth = nfd, depth + 1
a, b = walk(sys.argv[1]), walk(sys.argv[2])
if a != b:
    sys.exit("chains differ: depth %d and %d" % (a[0], b[0]))
print(a[0])
' "$1" "$2"
}

# ---------------------------------------------------------------------------

@test "missing paths: each command names the path and exits with its documented status, making nothing" {
	mkdir "$T/dst" "$T/jails"
	run --separate-stderr "$XCP" -a "$T/nope" "$T/dst/x"
	assert_failure 1
	assert_equal "$stderr" "xcp: cannot stat '$T/nope': No such file or directory"
	run --separate-stderr "$XSYNC" -a "$T/nope/" "$T/dst/y/"
	assert_failure 3
	[[ $stderr == *"'$T/nope/'"*"No such file or directory"* ]] || fail "$stderr"
	run --separate-stderr "$XSYNC" snapshot "$T/nope" "$T/repo"
	assert_failure 3
	[[ $stderr == *"'$T/nope'"*"No such file or directory"* ]] || fail "$stderr"
	run --separate-stderr "$XSYNC" verify "$T/nope.xcpm" "$T/dst"
	assert_failure 3
	[[ $stderr == *"'$T/nope.xcpm'"* ]] || fail "$stderr"
	run --separate-stderr "$JAILCLONE" create "$T/nope" "$T/jails/j1"
	assert_failure 4
	[[ $stderr == *"'$T/nope'"*"No such file or directory"* ]] || fail "$stderr"
	run --separate-stderr "$JAILCLONE" create "$T/dst" "$T/nodir/j1"
	assert_failure 3
	assert_equal "$stderr" "jailclone: cannot read '$T/nodir': No such file or directory"
	run --separate-stderr "$JAILCLONE" verify "$T/jails/none"
	assert_failure 3
	[[ -z $(ls -A "$T/dst") && ! -e $T/repo && ! -e $T/nodir ]]
	[[ -z $(ls -A "$T/jails" | grep -v '^\.jailclone$') ]]
}

@test "a destination inside its source: xcp refuses as cp does, xsync copies the source as it was (not itself), jailclone refuses" {
	mkdir -p "$T/src/sub/deeper"
	echo a >"$T/src/a"
	echo b >"$T/src/sub/deeper/b"
	run --separate-stderr "$XCP" -r "$T/src" "$T/src/sub/copy"
	assert_failure 1
	[[ $stderr == *"cannot copy a directory, '$T/src', into itself"* ]] || fail "$stderr"
	# as GNU cp: what was copied before the copy itself was met may
	# stay, but the copy never goes on into itself
	[[ -z $(find "$T/src/sub/copy" -mindepth 2 \( -name copy -o \
		-name '.xcp-*' \) -print) ]] || fail "$(find "$T/src/sub/copy")"
	rm -rf "$T/src/sub/copy"
	# rsync's result: the copy holds what the source held, its own
	# directory empty
	run --separate-stderr timeout 60 "$XSYNC" -a "$T/src/" "$T/src/sub/"
	assert_success
	[[ $stderr == *"skipping '$T/src/sub': the destination is there"* ]] || fail "$stderr"
	assert_equal "$(cd "$T/src" && find . | sort | tr '\n' ' ')" \
		". ./a ./sub ./sub/a ./sub/deeper ./sub/deeper/b ./sub/sub "
	run --separate-stderr timeout 60 "$XSYNC" -a "$T/src" "$T/src/sub/"
	assert_success
	[[ $(cd "$T/src/sub/src" && find . | sort | tr '\n' ' ') == \
		". ./a ./sub ./sub/a ./sub/deeper ./sub/deeper/b ./sub/src ./sub/sub " ]] ||
		fail "$(cd "$T/src/sub/src" && find . | sort)"
	[[ -z $(ls -A "$T/src/sub/src/sub/src") ]]
	# a repository inside the source: the snapshot under way is not in it
	mkdir "$T/src/repo"
	run --separate-stderr timeout 60 "$XSYNC" snapshot "$T/src" "$T/src/repo"
	assert_success
	[[ -z $(ls -A "$T/src/repo/latest/repo/"*.partial) ]]
	run "$XSYNC" verify "$T/src/repo"
	assert_success
	mkdir "$T/src/jails"
	run --separate-stderr "$JAILCLONE" create "$T/src" "$T/src/jails/j1"
	assert_failure 4
	assert_equal "$stderr" "jailclone: cannot use template '$T/src': a jail would be inside it"
	[[ -z $(ls -A "$T/src/jails") ]]
}

@test "the same file or tree as source and destination: xcp refuses, xsync leaves it as it is" {
	mkdir "$T/d"
	echo data >"$T/d/f"
	touch -d '2020-01-02 03:04:05.123456789' "$T/d/f"
	local before
	before=$(stat -c '%i %s %y' "$T/d/f")
	run --separate-stderr "$XCP" -a "$T/d/f" "$T/d/f"
	assert_failure 1
	assert_equal "$stderr" "xcp: '$T/d/f' and '$T/d/f' are the same file"
	run "$XSYNC" -a "$T/d/" "$T/d/"
	assert_success
	run "$XSYNC" -a "$T/d/f" "$T/d/f"
	assert_success
	assert_equal "$(stat -c '%i %s %y' "$T/d/f")" "$before"
	assert_equal "$(cat "$T/d/f")" data
}

@test "symlink loops: copied as links; followed (-L, -rL), each is named as an error (a cycle as cp names it) and the rest is copied" {
	mkdir -p "$T/src/dir"
	ln -s loop2 "$T/src/loop1"
	ln -s loop1 "$T/src/loop2"
	ln -s . "$T/src/dir/self"
	echo f >"$T/src/dir/f"
	run --separate-stderr timeout 60 "$XCP" -a "$T/src" "$T/a"
	assert_success
	assert_equal "$(readlink "$T/a/loop1")" loop2
	assert_equal "$(readlink "$T/a/dir/self")" .
	run --separate-stderr timeout 60 "$XCP" -rL "$T/src" "$T/b"
	assert_failure 1
	[[ $stderr == *"cannot stat '$T/src/loop1': Too many levels of symbolic links"* ]] || fail "$stderr"
	[[ $stderr == *"cannot stat '$T/src/loop2': Too many levels of symbolic links"* ]] || fail "$stderr"
	# as GNU cp: a link back up the tree is not followed round and round
	[[ $stderr == *"cannot copy cyclic symbolic link '$T/src/dir/self'"* ]] || fail "$stderr"
	assert_file_not_exists "$T/b/dir/self"
	assert_equal "$(cat "$T/b/dir/f")" f
	run --separate-stderr timeout 60 "$XSYNC" -a "$T/src/" "$T/c/"
	assert_success
	assert_same_tree "$T/src" "$T/c" -A
	mkdir "$T/jails"
	run --separate-stderr timeout 60 "$JAILCLONE" create "$T/src" "$T/jails/j1"
	assert_success
	assert_same_tree "$T/src" "$T/jails/j1" -A
	run "$JAILCLONE" verify "$T/jails/j1"
	assert_success
}

@test "paths longer than PATH_MAX: every command copies, verifies and removes them" {
	# 30 levels of 250-byte names: paths of 7,500 bytes
	local name
	name=$(printf 'n%.0s' $(seq 1 250))
	_chain "$T/src" 30 "$name"
	run --separate-stderr "$XCP" -a --manifest="$T/m.xcpm" "$T/src" "$T/a"
	assert_success
	run _chain_same "$T/src" "$T/a"
	assert_success
	assert_output 30
	run "$XSYNC" verify "$T/m.xcpm" "$T/a"
	assert_success
	run --separate-stderr "$XSYNC" -a "$T/src/" "$T/b/"
	assert_success
	run _chain_same "$T/src" "$T/b"
	assert_success
	run --separate-stderr "$XSYNC" snapshot "$T/src" "$T/repo"
	assert_success
	run "$XSYNC" verify "$T/repo"
	assert_success
	mkdir "$T/jails"
	run --separate-stderr "$JAILCLONE" create "$T/src" "$T/jails/j1"
	assert_success
	run _chain_same "$T/src" "$T/jails/j1"
	assert_success
	run "$JAILCLONE" verify "$T/jails/j1"
	assert_success
	run "$JAILCLONE" du "$T/jails/j1"
	assert_success
	run "$JAILCLONE" destroy "$T/jails/j1"
	assert_success
	assert_file_not_exists "$T/jails/j1"
}

@test "a tree 10,000 levels deep under ulimit -n 256: copied, mirrored, snapshot, verified, jailed, measured, updated and destroyed" {
	mount_fs xfs 1G
	_chain "$MNT/src" 10000 d
	mkdir "$MNT/jails"
	# a low limit that neither the soft nor the hard one can be raised
	# past: the commands must walk with a bounded number of descriptors
	(
		ulimit -n 256
		set -e
		"$XCP" -a --manifest="$T/m.xcpm" "$MNT/src" "$MNT/a" 2>"$T/err"
		"$XSYNC" verify "$T/m.xcpm" "$MNT/a" 2>>"$T/err"
		"$XSYNC" -a "$MNT/src/" "$MNT/b/" 2>>"$T/err"
		"$XSYNC" -a --delete "$MNT/src/" "$MNT/b/" 2>>"$T/err"
		"$XSYNC" snapshot "$MNT/src" "$MNT/repo" 2>>"$T/err"
		"$XSYNC" verify "$MNT/repo" 2>>"$T/err"
		"$JAILCLONE" create "$MNT/src" "$MNT/jails/j1" 2>>"$T/err"
		"$JAILCLONE" verify "$MNT/jails/j1" 2>>"$T/err"
		"$JAILCLONE" du --json "$MNT/jails/j1" >"$T/du.json" 2>>"$T/err"
		"$JAILCLONE" update --template "$MNT/src" "$MNT/jails/j1" 2>>"$T/err"
	) || fail "status $?: $(cut -c1-300 "$T/err")"
	[[ ! -s $T/err ]] || fail "$(cut -c1-300 "$T/err")"
	local t
	for t in a b jails/j1; do
		run _chain_same "$MNT/src" "$MNT/$t"
		assert_success
		assert_output 10000
	done
	run _chain_same "$MNT/src" "$MNT/repo/latest"
	assert_success
	# du counts the leaf at the bottom
	grep -q '"files": *1[,}]' "$T/du.json" || fail "$(cat "$T/du.json")"
	(ulimit -n 256 && "$JAILCLONE" destroy "$MNT/jails/j1") || fail "destroy failed"
	assert_file_not_exists "$MNT/jails/j1"
}

@test "a directory of 1,000,000 entries: xcp and xsync copy every name" {
	require_root "to mount a tmpfs with enough inodes"
	local m
	m=$(mktemp -d "${TMPDIR:-/tmp}/xcp-tmpfs.XXXXXX")
	mount -t tmpfs -o size=3G,nr_inodes=4M tmpfs "$m" || {
		rmdir "$m"
		skip_or_fail "cannot mount a tmpfs"
	}
	_MOUNTS+=("$m")
	_py '
import os, sys
d = sys.argv[1]
os.mkdir(d)
fd = os.open(d, os.O_DIRECTORY)
for i in range(1000000):
    os.close(os.open("f%07d" % i, os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=fd))
f = os.open("f0999999", os.O_WRONLY, dir_fd=fd)
os.write(f, b"last\n")
os.close(f)
' "$m/big"
	run --separate-stderr "$XCP" -a "$m/big" "$m/a"
	assert_success
	run --separate-stderr "$XSYNC" -a "$m/big/" "$m/b/"
	assert_success
	local want
	want=$(ls -f "$m/big" | LC_ALL=C sort | sha256sum)
	assert_equal "$(ls -f "$m/a" | LC_ALL=C sort | sha256sum)" "$want"
	assert_equal "$(ls -f "$m/b" | LC_ALL=C sort | sha256sum)" "$want"
	assert_equal "$(cat "$m/a/f0999999")" last
	assert_equal "$(cat "$m/b/f0999999")" last
	# a second mirror finds nothing to do
	run --separate-stderr "$XSYNC" -ai "$m/big/" "$m/b/"
	assert_success
	assert_output ''
}

@test "names with every byte from 1 to 255: copied, mirrored, snapshot and jailed byte for byte; manifests and JSON reports carry them" {
	_py '
import os, sys
d = os.fsencode(sys.argv[1])
os.mkdir(d)
for b in range(1, 256):
    if b == 0x2f:
        continue
    with open(os.path.join(d, b"n" + bytes([b])), "wb") as f:
        f.write(bytes([b]))
every = bytes(b for b in range(1, 256) if b != 0x2f)
os.mkdir(os.path.join(d, every))
with open(os.path.join(d, every, every), "wb") as f:
    f.write(every)
os.symlink(every, os.path.join(d, b"link"))
' "$T/src"
	[[ $(ls -A "$T/src" | wc -l) -ge 256 ]]
	run --separate-stderr "$XCP" -a --manifest="$T/m.xcpm" "$T/src" "$T/a"
	assert_success
	assert_same_tree "$T/src" "$T/a" -A
	run "$XSYNC" verify "$T/m.xcpm" "$T/a"
	assert_success
	run --separate-stderr "$XSYNC" -a "$T/src/" "$T/b/"
	assert_success
	assert_same_tree "$T/src" "$T/b" -A
	run --separate-stderr "$XSYNC" snapshot "$T/src" "$T/repo"
	assert_success
	assert_same_tree "$T/src" "$T/repo/latest" -A
	mkdir "$T/jails"
	run --separate-stderr "$JAILCLONE" create "$T/src" "$T/jails/j1"
	assert_success
	assert_same_tree "$T/src" "$T/jails/j1" -A
	# a change under the hardest names is found and reported in JSON
	# that a JSON parser reads
	printf x >>"$T/repo/latest/n"$'\x01'
	printf y >>"$T/jails/j1/n"$'\xff'
	run --separate-stderr "$XSYNC" verify --json "$T/repo"
	assert_failure 2
	_py 'import json, sys; d = json.loads(sys.argv[1]); assert d["changed"] == 1, d' "$output"
	run --separate-stderr "$JAILCLONE" verify --json "$T/jails/j1"
	assert_failure 2
	_py '
import json, sys
d = json.loads(sys.argv[1])
assert [x["path"] for x in d["jails"][0]["drift"]] == ["./n\\377"], d
' "$output"
}

@test "/proc and /sys files: the bytes read, not the size stat gives" {
	[[ -r /proc/version && -r /sys/kernel/mm/transparent_hugepage/enabled ]] ||
		skip_or_fail "no /proc/version or /sys/kernel/mm/transparent_hugepage/enabled"
	local f=/sys/kernel/mm/transparent_hugepage/enabled
	run "$XCP" /proc/version "$T/version"
	assert_success
	cmp /proc/version "$T/version"
	[[ $(stat -c %s "$T/version") -gt 0 ]]
	run "$XCP" --manifest="$T/m.xcpm" "$f" "$T/thp"
	assert_success
	cmp "$f" "$T/thp"
	run "$XSYNC" verify "$T/m.xcpm" "$T/thp"
	assert_success
	run "$XSYNC" /proc/version "$T/version2"
	assert_success
	cmp /proc/version "$T/version2"
	run "$XSYNC" "$f" "$T/thp2"
	assert_success
	cmp "$f" "$T/thp2"
	run --separate-stderr timeout 60 "$XCP" -r /proc/sys/kernel/random "$T/random"
	assert_success
	cmp /proc/sys/kernel/random/poolsize "$T/random/poolsize"
}

@test "FIFOs and sockets: recreated, skipped or read as cp and rsync do, never a hang" {
	mkdir -p "$T/src"
	echo f >"$T/src/file"
	mkfifo "$T/src/fifo"
	make_socket "$T/src/sock" || skip_or_fail "python3 needed to make a socket"
	set_fixture_times "$T/src"
	run --separate-stderr timeout 60 "$XCP" -a "$T/src" "$T/a"
	assert_success
	[[ -p $T/a/fifo && -S $T/a/sock ]]
	assert_same_tree "$T/src" "$T/a" -A
	run --separate-stderr timeout 60 "$XCP" -r --manifest="$T/m.xcpm" "$T/src" "$T/b"
	assert_success
	[[ -p $T/b/fifo && -S $T/b/sock ]]
	run timeout 60 "$XSYNC" verify "$T/m.xcpm" "$T/b"
	assert_success
	# a FIFO named alone is read, as cp reads it
	(printf 'through the pipe\n' >"$T/src/fifo") &
	run --separate-stderr timeout 60 "$XCP" "$T/src/fifo" "$T/from-fifo"
	assert_success
	assert_equal "$(cat "$T/from-fifo")" 'through the pipe'
	# rsync's -r without -D skips them, -a recreates them
	run --separate-stderr timeout 60 "$XSYNC" -r "$T/src/" "$T/c/"
	assert_success
	[[ $stderr == *"skipping non-regular file '$T/src/fifo'"* ]] || fail "$stderr"
	[[ ! -e $T/c/fifo && ! -e $T/c/sock && -f $T/c/file ]]
	run --separate-stderr timeout 60 "$XSYNC" -a "$T/src/" "$T/d/"
	assert_success
	assert_same_tree "$T/src" "$T/d" -A
	run --separate-stderr timeout 60 "$XSYNC" snapshot "$T/src" "$T/repo"
	assert_success
	[[ -p $T/repo/latest/fifo && -S $T/repo/latest/sock ]]
	run timeout 60 "$XSYNC" verify "$T/repo"
	assert_success
	mkdir "$T/jails"
	run --separate-stderr timeout 60 "$JAILCLONE" create "$T/src" "$T/jails/j1"
	assert_success
	[[ -p $T/jails/j1/fifo && -S $T/jails/j1/sock ]]
	run timeout 60 "$JAILCLONE" verify "$T/jails/j1"
	assert_success
}
