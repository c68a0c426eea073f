#!/usr/bin/env bash
# bench/copy.sh: how fast does xcp copy, side by side with GNU cp, on real
# filesystems?  Each case runs the two commands in pairs, A B A B, with an
# untimed cleanup (rm -rf of the copy, sync) before every run, and reports
# medians, min and max, the ratio of medians and the peak RSS.
#
# Cases (CASES, in this order by default):
#   kernel-xfs       the Linux 6.1 tree within one XFS (reflink=1):
#                    cp -a --reflink=always  vs  xcp -a
#   kernel-xfs-ext4  the same tree from that XFS to an ext4:
#                    cp -a  vs  xcp -a
#   small-tmpfs      SMALL_N (100,000) entries of SMALL_BYTES (1 KiB) files
#                    on tmpfs: cp -a  vs  xcp -a
#   minbase-btrfs    a Debian 12 minbase tree (debootstrap) within one btrfs:
#                    cp -a --reflink=always  vs  xcp -a
#   big-file         one BIG_SIZE (4 GiB) file of random bytes, XFS to ext4:
#                    cp  vs  xcp
#   tree-1m          TREE_N (1,000,000) entries of TREE_BYTES (64) byte files
#                    within one XFS: cp -a  vs  xcp -a, for the peak RSS
#
# Before the timed pairs, one untimed run of each command, whose results
# must be the same tree: the same `xsync manifest` but for the strategy
# column (or, for big-file, the same bytes).  Any command that does not
# exit 0, or a difference, stops the benchmark.
#
# Environment:
#   BENCH_DIR  work directory (default /var/tmp/xcp-bench): the kernel
#              tree, the minbase tree and the filesystem images live there
#   PAIRS      A B pairs per case (default 5); TREE_PAIRS for tree-1m
#   CASES      which cases, space-separated
#   XCP, XSYNC the binaries (default: this repository's bin/)
#   MIRROR     the Debian mirror for debootstrap (default: the first
#              deb.debian.org-like URL in the apt sources)
#   KEEP       if set, keep the filesystem images (they are sparse files)
#
# Usage: bench/copy.sh    (as root: it mounts loop filesystems and
#                          apt-get installs what is missing)
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
XCP=${XCP:-$ROOT/bin/xcp}
XSYNC=${XSYNC:-$ROOT/bin/xsync}
BENCH_DIR=${BENCH_DIR:-/var/tmp/xcp-bench}
PAIRS=${PAIRS:-5}
TREE_PAIRS=${TREE_PAIRS:-$PAIRS}
CASES=${CASES:-kernel-xfs kernel-xfs-ext4 small-tmpfs minbase-btrfs big-file tree-1m}
SMALL_N=${SMALL_N:-100000}
SMALL_BYTES=${SMALL_BYTES:-1024}
TREE_N=${TREE_N:-1000000}
TREE_BYTES=${TREE_BYTES:-64}
BIG_SIZE=${BIG_SIZE:-4G}
TARBALL=/usr/src/linux-source-6.1.tar.xz
KERNEL=$BENCH_DIR/linux-source-6.1
MINBASE=$BENCH_DIR/minbase
W=$BENCH_DIR/copy		# images, scratch
OUT=/dev/null
XSYNC_REV=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)
XSYNC_REV="$XSYNC_REV (xcp $XCP)"

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

[ "$(id -u)" -eq 0 ] || die "run as root: the cases mount loop filesystems"
[[ $PAIRS =~ ^[1-9][0-9]*$ && $TREE_PAIRS =~ ^[1-9][0-9]*$ ]] ||
	die "PAIRS and TREE_PAIRS must be positive integers"
need=()
[ -f "$TARBALL" ] || need+=(linux-source-6.1)
command -v mkfs.xfs >/dev/null || need+=(xfsprogs)
command -v mkfs.btrfs >/dev/null || need+=(btrfs-progs)
command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)
command -v debootstrap >/dev/null || need+=(debootstrap)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
	echo "installing: ${need[*]}" >&2
	apt-get install -y "${need[@]}" >&2 || die "cannot install ${need[*]}"
fi
if [ ! -x "$XCP" ] || [ ! -x "$XSYNC" ]; then
	die "no $XCP or $XSYNC: build first (make -j2)"
fi

mkdir -p "$BENCH_DIR" "$W"
bench_lock "$BENCH_DIR"

trap fs_cleanup EXIT

# need_xfs, need_ext4: the one XFS (XFS) and ext4 (EXT4) the cases share.
need_xfs() {
	[ -n "${XFS:-}" ] && return
	fs xfs 24G
	XFS=$MNT
}
need_ext4() {
	[ -n "${EXT4:-}" ] && return
	fs ext4 16G
	EXT4=$MNT
}

# --- corpora, made once and kept in BENCH_DIR ----------------------------
GEN=$W/manifest-bench
generator() {
	[ -x "$GEN" ] && [ "$GEN" -nt "$ROOT/bench/manifest-bench.c" ] && return
	local libs
	libs=$(pkg-config --libs libxxhash libarchive)
	# Splitting intended: the flags pkg-config gives.
	# shellcheck disable=SC2086
	(cd "$ROOT" && cc -O2 -I. -Ilib -DHAVE_CONFIG_H \
	    bench/manifest-bench.c "${LIBXCP:-lib/libxcp.a}" $libs -lpthread \
	    -o "$GEN") || die "cannot build bench/manifest-bench.c"
}

# --- pairs -----------------------------------------------------------------

# pairs TITLE DST COMPARE NAME_A CMD_A NAME_B CMD_B: DST is what each
# command makes (removed, untimed, before every run); COMPARE is tree or
# bytes.  Prints a table; ratios are to A.
pairs() {
	local title=$1 dst=$2 how=$3 na=$4 ca=$5 nb=$6 cb=$7 p
	local ta="" tb="" ra="" rb="" n base
	clean() { rm -rf "$dst"; sync; }
	echo "$title: untimed runs and comparison ..." >&2
	clean
	run "$na" "$ca"
	mv "$dst" "$dst.a"
	run "$nb" "$cb"
	if [ "$how" = bytes ]; then
		cmp "$dst.a" "$dst" || die "$na and $nb copied different bytes"
	else
		same_tree "$dst.a" "$dst"
	fi
	rm -rf "$dst.a"
	n=$PAIRS
	[ "$title" != tree-1m ] || n=$TREE_PAIRS
	for ((p = 1; p <= n; p++)); do
		clean
		run "$na" "$ca"
		ta+="$T "
		ra+="$RSS "
		printf 'pair %d: %-28s %s s %s KiB\n' "$p" "$na" "$T" "$RSS" >&2
		clean
		run "$nb" "$cb"
		tb+="$T "
		rb+="$RSS "
		printf 'pair %d: %-28s %s s %s KiB\n' "$p" "$nb" "$T" "$RSS" >&2
	done
	clean
	echo
	echo "### $title"
	echo
	echo "| command | median s | min s | max s | median / first | peak RSS MiB |"
	echo "|---|---:|---:|---:|---:|---:|"
	# Splitting intended: each holds numbers separated by spaces.
	# shellcheck disable=SC2086
	base=$(median $ta)
	# shellcheck disable=SC2086
	row "$na" $ta -- "$base" -- $ra
	# shellcheck disable=SC2086
	row "$nb" $tb -- "$base" -- $rb
	echo
	echo "$n pairs; load at the end $(load)."
}

# row NAME TIMES... -- BASE_MEDIAN -- RSS...
row() {
	local name=$1
	shift
	local -a t=() r=()
	local base
	while [ "$1" != -- ]; do t+=("$1"); shift; done
	shift
	base=$1
	shift 2
	r=("$@")
	awk -v n="$name" -v m="$(median "${t[@]}")" \
	    -v a="$(printf '%s\n' "${t[@]}" | sort -g | head -1)" \
	    -v b="$(printf '%s\n' "${t[@]}" | sort -g | tail -1)" \
	    -v bm="$base" -v rs="$(printf '%s\n' "${r[@]}" | sort -g | tail -1)" \
	    'BEGIN { gsub(/\|/, "\\|", n)
		printf "| `%s` | %.3f | %.3f | %.3f | %.2f | %.1f |\n",
		    n, m, a, b, m / bm, rs / 1024 }'
}

echo "# xcp against cp ($(date -u +%Y-%m-%dT%H:%MZ))"
echo
echo "Machine: $(machine). xcp: $XSYNC_REV."
echo "Load average at the start: $(load)."
steal_start

for c in $CASES; do
	case $c in
	kernel-xfs | kernel-xfs-ext4)
		kernel_tree "$TARBALL" "$BENCH_DIR"
		need_xfs
		[ -d "$XFS/kernel" ] || cp -a "$KERNEL" "$XFS/kernel"
		if [ "$c" = kernel-xfs ]; then
			pairs "$c" "$XFS/dst" tree \
			    "cp -a --reflink=always" "$(q cp -a --reflink=always "$XFS/kernel" "$XFS/dst")" \
			    "xcp -a" "$(q "$XCP" -a "$XFS/kernel" "$XFS/dst")"
		else
			need_ext4
			pairs "$c" "$EXT4/dst" tree \
			    "cp -a" "$(q cp -a "$XFS/kernel" "$EXT4/dst")" \
			    "xcp -a" "$(q "$XCP" -a "$XFS/kernel" "$EXT4/dst")"
		fi
		;;
	small-tmpfs)
		generator
		fs tmpfs 4G
		"$GEN" tree "$MNT/src" "$SMALL_N" "$SMALL_BYTES" >/dev/null
		pairs "$c" "$MNT/dst" tree \
		    "cp -a" "$(q cp -a "$MNT/src" "$MNT/dst")" \
		    "xcp -a" "$(q "$XCP" -a "$MNT/src" "$MNT/dst")"
		;;
	minbase-btrfs)
		minbase_tree
		fs btrfs 4G
		cp -a "$MINBASE" "$MNT/src"
		pairs "$c" "$MNT/dst" tree \
		    "cp -a --reflink=always" "$(q cp -a --reflink=always "$MNT/src" "$MNT/dst")" \
		    "xcp -a" "$(q "$XCP" -a "$MNT/src" "$MNT/dst")"
		;;
	big-file)
		need_xfs
		need_ext4
		[ -f "$XFS/big" ] || head -c "$BIG_SIZE" /dev/urandom >"$XFS/big"
		pairs "$c" "$EXT4/big" bytes \
		    "cp" "$(q cp "$XFS/big" "$EXT4/big")" \
		    "xcp" "$(q "$XCP" "$XFS/big" "$EXT4/big")"
		;;
	tree-1m)
		generator
		need_xfs
		[ -d "$XFS/tree" ] ||
			"$GEN" tree "$XFS/tree" "$TREE_N" "$TREE_BYTES" >/dev/null
		pairs "$c" "$XFS/tree-copy" tree \
		    "cp -a" "$(q cp -a "$XFS/tree" "$XFS/tree-copy")" \
		    "xcp -a" "$(q "$XCP" -a "$XFS/tree" "$XFS/tree-copy")"
		;;
	*) die "unknown case: $c" ;;
	esac
done

echo
echo "Load average at the end: $(load). $(steal_report)"
