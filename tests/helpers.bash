# shellcheck shell=bash
# Shared helpers for the xcp behaviour tests (bats).
#
# Environment:
#   XCP       xcp binary under test  (default: $BATS_TEST_DIRNAME/../bin/xcp)
#   TREEDUMP  tree dumper            (default: $BATS_TEST_DIRNAME/tools/treedump,
#                                     compiled on the fly when missing)
#   CP_REF    reference GNU cp       (default: /bin/cp)
#   CI        "true": tests that need root/loop mounts fail instead of skipping
#
# Every test that compares xcp with cp also passes with XCP=/bin/cp; that is
# how the suite itself is validated:  XCP=/bin/cp bats tests/

load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load
load /usr/lib/bats/bats-file/load

# Deterministic messages and modes: the comparisons below are byte exact.
export LC_ALL=C
umask 022

: "${XCP:=$BATS_TEST_DIRNAME/../bin/xcp}"
: "${CP_REF:=/bin/cp}"
case $XCP in /*) ;; *) XCP=$PWD/$XCP ;; esac
XCP_NAME=${XCP##*/}
CP_NAME=${CP_REF##*/}
export XCP CP_REF

_ensure_treedump() {
	if [[ -n ${TREEDUMP:-} && -x $TREEDUMP ]]; then
		return 0
	fi
	# the default binary is used unless tools/treedump.c is newer than it
	if [[ -z ${TREEDUMP:-} && -x $BATS_TEST_DIRNAME/tools/treedump &&
		! $BATS_TEST_DIRNAME/tools/treedump.c -nt $BATS_TEST_DIRNAME/tools/treedump ]]; then
		TREEDUMP=$BATS_TEST_DIRNAME/tools/treedump
		return 0
	fi
	local built=$BATS_RUN_TMPDIR/treedump
	if [[ ! -x $built ]]; then
		local tmp
		tmp=$(mktemp "$BATS_RUN_TMPDIR/treedump.XXXXXX") || return 1
		if ! cc -O2 -o "$tmp" "$BATS_TEST_DIRNAME/tools/treedump.c"; then
			rm -f "$tmp"
			echo "helpers.bash: cannot compile tools/treedump.c" >&2
			return 1
		fi
		mv -f "$tmp" "$built"
	fi
	TREEDUMP=$built
}
_ensure_treedump
export TREEDUMP

# Fixed times used by the fixtures (all in the past, except the atime which
# is in the future: with relatime an atime is only left alone when reading
# a file if atime > mtime, atime > ctime and atime is not older than 24h;
# ctime is always "now" after touch, so only a future atime is stable).
FIX_MTIME_EPOCH=1614834367 # 2021-03-04 05:06:07 UTC (+1 s per file)
FIX_MTIME_NS=123456789
FIX_LINK_TIME='2019-05-06 07:08:09.987654321'
FIX_DIR_TIME='2018-07-08 09:10:11.555555555'
FIX_ATIME='2037-01-02 03:04:05.246813579'

# ---------------------------------------------------------------------------
# temporary directories and mounts

# setup_tmp: fresh $T (mode 755, under ${TMPDIR:-/tmp} so that an
# unprivileged user can be given access to parts of it).
setup_tmp() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/xcp-test.XXXXXX")
	chmod 755 "$T"
	TEST_START=$(( $(date +%s) - 2 ))
	_MOUNTS=()
	_LOOPS=()
	_IMAGES=()
	[[ -x $XCP ]] || fail "XCP=$XCP is not an executable file"
	[[ -x $TREEDUMP ]] || fail "TREEDUMP=$TREEDUMP is not an executable file"
}

# setup_all: setup_tmp, and XSYNC and JAILCLONE too (for the suites that
# run all three commands).
setup_all() {
	setup_tmp
	: "${XSYNC:=$BATS_TEST_DIRNAME/../bin/xsync}"
	: "${JAILCLONE:=$BATS_TEST_DIRNAME/../bin/jailclone}"
	[[ -x $XSYNC ]] || fail "XSYNC=$XSYNC is not an executable file"
	[[ -x $JAILCLONE ]] || fail "JAILCLONE=$JAILCLONE is not an executable file"
}

teardown_tmp() {
	local i m dev img
	cd / || true
	for (( i = ${#_MOUNTS[@]} - 1; i >= 0; i-- )); do
		m=${_MOUNTS[i]}
		if mountpoint -q "$m"; then
			umount "$m" 2>/dev/null || { sleep 0.5; umount "$m"; } ||
				umount -l "$m" || true
		fi
	done
	for (( i = 0; i < ${#_LOOPS[@]}; i++ )); do
		dev=${_LOOPS[i]}
		img=${_IMAGES[i]}
		# detach only if the device still belongs to our image
		if [[ -n $dev ]] && losetup -j "$img" 2>/dev/null | grep -q "^$dev:"; then
			losetup -d "$dev" 2>/dev/null || true
		fi
	done
	for img in "${_IMAGES[@]}"; do
		rm -f "$img"
	done
	for m in "${_MOUNTS[@]}"; do
		mountpoint -q "$m" || rmdir "$m" 2>/dev/null || true
	done
	if [[ -n ${T:-} && -d $T ]]; then
		# (no mounts without root: read-only directories must be opened)
		[[ $EUID -eq 0 ]] || chmod -R u+rwX "$T" 2>/dev/null
		rm -rf --one-file-system "$T"
	fi
}

# skip_or_fail MESSAGE: skip, or fail when CI=true (CI must run everything).
skip_or_fail() {
	if [[ ${CI:-} == true ]]; then
		fail "$1 (CI=true: this test must not be skipped)"
	fi
	skip "$1"
}

require_root() {
	[[ $EUID -eq 0 ]] || skip_or_fail "needs root: ${1:-this test}"
}

# mount_fs TYPE SIZE [MOUNTPOINT]
# Makes a loop filesystem (xfs with reflink, btrfs, ext4) of SIZE
# (truncate syntax), mounts it on MOUNTPOINT (default: a fresh mktemp -d)
# and sets MNT to the mount point (also echoed).  Do not call it in $(...):
# the teardown bookkeeping must happen in the test's shell.
mount_fs() {
	local type=$1 size=$2 mnt=${3:-} img dev out
	[[ $EUID -eq 0 ]] || skip_or_fail "needs root and loop mounts: not root"
	case $type in
	xfs | btrfs | ext4) ;;
	*) fail "mount_fs: unknown filesystem type $type" ;;
	esac
	command -v "mkfs.$type" >/dev/null ||
		skip_or_fail "needs root and loop mounts: mkfs.$type not installed"
	img=$(mktemp "${BATS_RUN_TMPDIR:-/tmp}/fs-$type.XXXXXX.img")
	_IMAGES+=("$img")
	_LOOPS+=("")
	truncate -s "$size" "$img"
	case $type in
	xfs) out=$(mkfs.xfs -q -f -m reflink=1 "$img" 2>&1) ;;
	btrfs) out=$(mkfs.btrfs -q -f "$img" 2>&1) ;;
	ext4) out=$(mkfs.ext4 -q -F "$img" 2>&1) ;;
	esac || skip_or_fail "needs root and loop mounts: mkfs.$type failed: $out"
	if [[ -z $mnt ]]; then
		mnt=$(mktemp -d "${TMPDIR:-/tmp}/xcp-mnt.XXXXXX")
	else
		mkdir -p "$mnt"
	fi
	out=$(mount -o loop "$img" "$mnt" 2>&1) || {
		rmdir "$mnt" 2>/dev/null
		skip_or_fail "needs root and loop mounts: mount -o loop ($type) failed: $out"
	}
	_MOUNTS+=("$mnt")
	dev=$(losetup -j "$img" | head -n1 | cut -d: -f1)
	_LOOPS[${#_LOOPS[@]} - 1]=$dev
	MNT=$mnt
	echo "$mnt"
}

# ---------------------------------------------------------------------------
# fixtures

# set_fixture_times DIR: stable, distinct, nanosecond times on everything
# below DIR (DIR included): regular files get one mtime each (in 2021) and a
# future atime, symlinks and special files a fixed time, directories are
# done last, deepest first.
set_fixture_times() {
	local dir=$1 i=0 f
	while IFS= read -r -d '' f; do
		touch -h -m -d "@$(( FIX_MTIME_EPOCH + i )).$FIX_MTIME_NS" "$f"
		i=$(( i + 1 ))
	done < <(find "$dir" -type f -print0 | sort -z)
	find "$dir" -type f -exec touch -h -a -d "$FIX_ATIME" {} +
	find "$dir" ! -type f ! -type d -exec touch -h -d "$FIX_LINK_TIME" {} +
	find "$dir" -depth -type d -exec touch -h -d "$FIX_DIR_TIME" {} +
}

# make_socket PATH (python3; returns 1 when python3 is missing)
make_socket() {
	local py
	py=$(command -v /usr/bin/python3 || command -v python3) || return 1
	(cd "$(dirname "$1")" && "$py" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
' "$(basename "$1")")
}

# make_full_tree DIR: the big fixture (see tests/xcp-tree.bats).
make_full_tree() {
	local d=$1 i deep name255
	# devices, foreign owners, mode-000 files that must be readable
	require_root "the full tree fixture"
	mkdir -p "$d"

	# regular files
	: >"$d/empty"
	printf 'hello world\n' >"$d/small.txt"
	head -c 1048576 /dev/urandom >"$d/random.bin"
	head -c 5000 /dev/urandom >"$d/odd-size.bin"
	# 256 MiB sparse file: 1 MiB of data in the middle, 64 KiB at the end
	truncate -s 256M "$d/sparse.img"
	dd if=/dev/urandom of="$d/sparse.img" bs=1M count=1 seek=128 \
		conv=notrunc status=none
	dd if=/dev/urandom of="$d/sparse.img" bs=64K count=1 seek=4095 \
		conv=notrunc status=none

	# hardlinks within one directory and across three directories
	mkdir -p "$d/hl" "$d/x1" "$d/x2" "$d/x3"
	printf 'linked\n' >"$d/hl/a"
	ln "$d/hl/a" "$d/hl/b"
	printf 'three links\n' >"$d/x1/multi"
	ln "$d/x1/multi" "$d/x2/multi2"
	ln "$d/x1/multi" "$d/x3/multi3"

	# symlinks
	mkdir -p "$d/links"
	ln -s ../small.txt "$d/links/rel"
	ln -s /etc/hostname "$d/links/abs"
	ln -s does-not-exist "$d/links/dangling"
	ln -s ../x1 "$d/links/todir"

	# special files
	mkdir -p "$d/special"
	mkfifo "$d/special/fifo"
	if [[ $EUID -eq 0 ]]; then
		mknod "$d/special/chardev" c 1 3
		mknod "$d/special/blockdev" b 7 200
	fi
	make_socket "$d/special/sock" || true

	# extended attributes and ACLs
	setfattr -n user.foo -v bar "$d/small.txt"
	setfattr -n user.bin -v 0x00ff01 "$d/small.txt"
	setfattr -n user.empty "$d/small.txt"
	mkdir -p "$d/xdir"
	setfattr -n user.dirattr -v 'directory value' "$d/xdir"
	mkdir -p "$d/acl/ddir"
	printf 'acl\n' >"$d/acl/file"
	setfacl -m u:1234:rwx,g:5678:r "$d/acl/file"
	setfacl -d -m u:1234:rx "$d/acl/ddir"
	setfacl -m u:4321:rwx "$d/acl/ddir"
	printf 'inherits\n' >"$d/acl/ddir/inherited" # gets an access ACL
	mkdir "$d/acl/ddir/subdir"                    # gets both ACLs

	# owners (before the mode bits: chown clears setuid/setgid)
	mkdir -p "$d/owners/dir"
	printf 'owned\n' >"$d/owners/file"
	ln -s file "$d/owners/link"
	printf 'in owned dir\n' >"$d/owners/dir/f"
	if [[ $EUID -eq 0 ]]; then
		chown 1234:5678 "$d/owners/file" "$d/owners/dir"
		chown -h 2345:6789 "$d/owners/link"
	fi

	# modes
	mkdir -p "$d/perms/sgid-dir" "$d/perms/ro-dir" "$d/perms/sticky"
	printf '#!/bin/sh\n' >"$d/perms/suid"
	chmod 4755 "$d/perms/suid"
	printf 'sgid\n' >"$d/perms/sgid-file"
	chmod 2750 "$d/perms/sgid-file"
	chmod 2775 "$d/perms/sgid-dir"
	printf 'in sgid dir\n' >"$d/perms/sgid-dir/f"
	printf 'secret\n' >"$d/perms/zero"
	chmod 000 "$d/perms/zero"
	: >"$d/perms/zero-empty"
	chmod 000 "$d/perms/zero-empty"
	printf 'ro1\n' >"$d/perms/ro-dir/f1"
	printf 'ro2\n' >"$d/perms/ro-dir/f2"
	chmod 555 "$d/perms/ro-dir"
	chmod 1777 "$d/perms/sticky"
	printf 'x\n' >"$d/perms/exec"
	chmod 711 "$d/perms/exec"

	# awkward names
	mkdir -p "$d/names"
	printf 'space\n' >"$d/names/with space"
	printf 'tab\n' >"$d/names/tab"$'\t'"here"
	printf 'newline\n' >"$d/names/new"$'\n'"line"
	printf 'bad utf8\n' >"$d/names/"$'\xff\xfe'
	printf 'dash\n' >"$d/names/-leading-dash"
	printf 'star\n' >"$d/names/*"
	name255=$(printf 'n%.0s' {1..255})
	printf 'long\n' >"$d/names/$name255"
	mkdir "$d/names/dir with space"
	printf 'x\n' >"$d/names/dir with space/f"

	# 120 levels of nesting, file at the bottom
	deep=$d/deep
	for (( i = 1; i <= 120; i++ )); do
		deep+=/lv$i
	done
	mkdir -p "$deep"
	printf 'bottom\n' >"$deep/bottom.txt"

	# times last (directories last and deepest first)
	set_fixture_times "$d"
}

# ---------------------------------------------------------------------------
# assertions

# treedump_of DIR [OPTS...]: dump with "now" times normalised to "new"
treedump_of() {
	local dir=$1
	shift
	"$TREEDUMP" -n "$TEST_START" "$@" "$dir"
}

# assert_same_tree A B [treedump options, e.g. -A -H -X]
assert_same_tree() {
	local a=$1 b=$2 da db diffout
	shift 2
	da=$("$TREEDUMP" -n "$TEST_START" "$@" "$a") ||
		fail "treedump $a failed (status $?): $da"
	db=$("$TREEDUMP" -n "$TEST_START" "$@" "$b") ||
		fail "treedump $b failed (status $?): $db"
	[[ -n $da ]] || fail "treedump $a printed nothing"
	if ! diffout=$(diff -u --label "$a" --label "$b" <(printf '%s\n' "$da") <(printf '%s\n' "$db")); then
		batslib_print_kv_single_or_multi 8 \
			'trees differ' "$a vs $b" \
			'diff' "$diffout" |
			batslib_decorate 'trees differ' |
			fail
	fi
}

# _filefrag FILE: filefrag -v output (the file is synced first)
_filefrag() {
	command -v filefrag >/dev/null || skip_or_fail "needs filefrag (e2fsprogs)"
	filefrag -s -v "$1"
}

# assert_shared FILE: every data extent of FILE is flagged "shared"
assert_shared() {
	local out ext
	out=$(_filefrag "$1") || fail "filefrag $1 failed: $out"
	ext=$(grep -E '^[[:space:]]*[0-9]+:' <<<"$out")
	[[ -n $ext ]] || fail "$1 has no extents: $out"
	if grep -Ev 'shared' <<<"$ext" | grep -q .; then
		fail "$1: not all extents are shared:"$'\n'"$out"
	fi
}

# refute_shared FILE: no data extent of FILE is flagged "shared"
refute_shared() {
	local out ext
	out=$(_filefrag "$1") || fail "filefrag $1 failed: $out"
	ext=$(grep -E '^[[:space:]]*[0-9]+:' <<<"$out")
	[[ -n $ext ]] || fail "$1 has no extents: $out"
	if grep -q 'shared' <<<"$ext"; then
		fail "$1: has shared extents:"$'\n'"$out"
	fi
}

# inode FILE
inode_of() { stat -c %i -- "$1"; }

# ---------------------------------------------------------------------------
# running cp and xcp

# _normalise TEXT: the program name in messages is argv[0]; make the xcp
# run's messages read as cp's.
_normalise() {
	local s=$1
	if [[ $XCP_NAME != "$CP_NAME" ]]; then
		s=${s//"$XCP: "/"$CP_NAME: "}
		s=${s//"'$XCP --help'"/"'$CP_NAME --help'"}
		s=${s//"$XCP_NAME: "/"$CP_NAME: "}
		s=${s//"'$XCP_NAME --help'"/"'$CP_NAME --help'"}
	fi
	printf '%s' "$s"
}

# _exec_prog DIR NAME PATH STDIN_FILE OUT ERR [--as-nobody] -- ARGS...
# Runs PATH with argv[0]=NAME in DIR; prints the exit status.
_exec_prog() {
	local dir=$1 name=$2 prog=$3 in=$4 out=$5 err=$6
	shift 6
	local -a pre=(timeout -k 5 120)
	if [[ $1 == --as-nobody ]]; then
		pre+=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
		shift
	fi
	[[ $1 == -- ]] && shift
	local rc=0
	"${pre[@]}" bash -c 'cd "$1" || exit 125; n=$2 p=$3; shift 3; exec -a "$n" "$p" "$@"' \
		_ "$dir" "$name" "$prog" "$@" <"$in" >"$out" 2>"$err" || rc=$?
	echo "$rc"
}

# nobody_prog PATH: a copy of PATH that user 65534 can execute (when the
# build tree is not reachable for it), printed on stdout.
_nobody_prog() {
	local p=$1
	if setpriv --reuid=65534 --regid=65534 --clear-groups -- test -x "$p" 2>/dev/null; then
		echo "$p"
		return
	fi
	mkdir -p "$T/.nobody-bin"
	chmod 755 "$T/.nobody-bin"
	cp "$p" "$T/.nobody-bin/${p##*/}"
	chmod 755 "$T/.nobody-bin/${p##*/}"
	echo "$T/.nobody-bin/${p##*/}"
}

# cmp_with_cp [--stdin TEXT] [--as-nobody] [--no-tree] [--unordered]
#             [--status-only] [--dump OPTS] -- ARGS...
#
# $T/in is the fixture (a directory).  It is copied (with cp -a) to $T/cp
# and $T/xcp; then "cp ARGS" runs in $T/cp and "xcp ARGS" in $T/xcp (as the
# current directory, so use relative paths), with argv[0] "cp" and "xcp"
# and TEXT on stdin (default: empty stdin).  Asserts equal exit status,
# stdout, stderr (program name normalised) and -- unless --no-tree --
# identical resulting trees (treedump, "now" times normalised).
# --unordered compares stdout and stderr as sorted lists of lines (for -v
# output of recursive copies, whose order follows the directory order);
# --status-only compares only the exit status (the test checks the output).
#
# Afterwards: status/output/stderr/lines are those of the xcp run, CP_STATUS,
# CP_OUT, CP_ERR those of cp, and W=$T/xcp is xcp's work directory.
cmp_with_cp() {
	local stdin_text='' nobody='' tree=1 dumpopts=() unordered= statusonly=
	while [[ $# -gt 0 ]]; do
		case $1 in
		--stdin) stdin_text=$2; shift 2 ;;
		--as-nobody) nobody=--as-nobody; shift ;;
		--no-tree) tree=''; shift ;;
		--unordered) unordered=1; shift ;;
		--status-only) statusonly=1; shift ;;
		--dump) read -r -a dumpopts <<<"$2"; shift 2 ;;
		--) shift; break ;;
		*) fail "cmp_with_cp: unknown option $1" ;;
		esac
	done
	[[ -d $T/in ]] || fail "cmp_with_cp: no fixture in \$T/in"
	rm -rf "$T/cp" "$T/xcp"
	"$CP_REF" -a "$T/in" "$T/cp" || fail "cannot copy the fixture"
	"$CP_REF" -a "$T/in" "$T/xcp" || fail "cannot copy the fixture"
	printf '%s' "$stdin_text" >"$T/.stdin"

	local cpprog=$CP_REF xcpprog=$XCP
	if [[ -n $nobody ]]; then
		require_root "running as an unprivileged user"
		setpriv --reuid=65534 --regid=65534 --clear-groups -- test -x "$T" ||
			skip_or_fail "user 65534 cannot reach $T (TMPDIR=${TMPDIR:-})"
		cpprog=$(_nobody_prog "$CP_REF")
		xcpprog=$(_nobody_prog "$XCP")
	fi

	CP_STATUS=$(_exec_prog "$T/cp" "$CP_NAME" "$cpprog" "$T/.stdin" \
		"$T/.cp.out" "$T/.cp.err" $nobody -- "$@")
	local xs
	xs=$(_exec_prog "$T/xcp" "$XCP_NAME" "$xcpprog" "$T/.stdin" \
		"$T/.xcp.out" "$T/.xcp.err" $nobody -- "$@")
	CP_OUT=$(<"$T/.cp.out")
	CP_ERR=$(<"$T/.cp.err")
	local xout xerr
	xout=$(<"$T/.xcp.out")
	xerr=$(<"$T/.xcp.err")
	W=$T/xcp

	# bats-assert view of the xcp run (trailing newlines stripped, as run does)
	status=$xs
	output=$xout
	stderr=$xerr
	mapfile -t lines <<<"$xout"
	mapfile -t stderr_lines <<<"$xerr"

	# shown by bats when the test fails
	printf '%s\n' "--- xcp $* (status $xs)" "stdout: $xout" "stderr: $xerr" \
		"--- cp (status $CP_STATUS)" "stdout: $CP_OUT" "stderr: $CP_ERR"

	# the comparison is on the exact bytes, trailing newlines included
	local nout nerr cout cerr
	cout=$(cat "$T/.cp.out"; printf x)
	cerr=$(cat "$T/.cp.err"; printf x)
	nout=$(cat "$T/.xcp.out"; printf x)
	nerr=$(cat "$T/.xcp.err"; printf x)
	nout=$(_normalise "$nout")
	nerr=$(_normalise "$nerr")
	if [[ -n $unordered ]]; then
		nout=$(sort <<<"${nout%x}"; printf x)
		nerr=$(sort <<<"${nerr%x}"; printf x)
		cout=$(sort <<<"${cout%x}"; printf x)
		cerr=$(sort <<<"${cerr%x}"; printf x)
	fi
	if [[ -n $statusonly ]]; then
		nout=$cout
		nerr=$cerr
	fi
	if [[ $xs != "$CP_STATUS" || $nout != "$cout" || $nerr != "$cerr" ]]; then
		batslib_print_kv_single_or_multi 16 \
			'command' "$*" \
			'cp status' "$CP_STATUS" \
			'xcp status' "$xs" \
			'cp stdout' "$CP_OUT" \
			'xcp stdout' "$xout" \
			'cp stderr' "$CP_ERR" \
			'xcp stderr' "$xerr" \
			'exact cp stdout' "$(printf '%q' "${cout%x}")" \
			'exact xcp stdout' "$(printf '%q' "${nout%x}")" \
			'exact cp stderr' "$(printf '%q' "${cerr%x}")" \
			'exact xcp stderr' "$(printf '%q' "${nerr%x}")" |
			batslib_decorate 'xcp and cp differ' |
			fail
	fi
	if [[ -n $tree ]]; then
		assert_same_tree "$T/cp" "$T/xcp" "${dumpopts[@]}"
	fi
}

# run_xcp ARGS...: run xcp with argv[0] = its basename (like cmp_with_cp)
run_xcp() {
	run bash -c 'n=$1 p=$2; shift 2; exec -a "$n" "$p" "$@"' _ "$XCP_NAME" "$XCP" "$@"
}

# run_cp ARGS...: the same with the reference cp
run_cp() {
	run bash -c 'n=$1 p=$2; shift 2; exec -a "$n" "$p" "$@"' _ "$CP_NAME" "$CP_REF" "$@"
}

# traced STRACE-ARGS...: strace STRACE-ARGS (as "run traced -f -o TRACE ...").
# LeakSanitizer looks for leaks at exit by attaching to the process's threads
# with ptrace, which fails when strace traces them already: an ASan build
# would die with "LeakSanitizer has encountered a fatal error".  So the traced
# command runs without leak checking (ASan and UBSan stay on; the same code
# runs untraced, leaks checked, in the other tests).  Without ASan the
# variable is ignored.
traced() {
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace "$@"
}

# blocks FILE: allocated 512-byte blocks
blocks_of() { stat -c %b -- "$1"; }
