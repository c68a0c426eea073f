#!/usr/bin/env bash
# bench/sync.sh: xsync's mirror and snapshots side by side with rsync, on
# the Linux 6.1 source tree (about 80,000 entries) on real filesystems.
#
# Cases (CASES, in this order by default):
#   noop-xfs     nothing changed since the last mirror:
#                rsync -a SRC/ DST/  vs  xsync -a SRC/ DST2/
#   snap-xfs     a snapshot after 1% of the files changed, source and
#                backups on one XFS (reflink=1):
#                rsync -a --link-dest=PREV SRC/ NEW/  vs  xsync snapshot
#   snap-xfs-link  the same with xsync snapshot --link
#   snap-btrfs   the same on btrfs (xsync: subvolume snapshots)
#
# The XFS snapshot cases also time `xcp -a --reflink=always` of the first
# snapshot into a new directory: the clone floor, what making the tree's
# 80,000 clones costs on this filesystem with nothing compared and no
# manifest written.  A snapshot cannot be cheaper than that.
#
# For the snapshot cases both tools start from a copy made before the
# change (rsync: a plain copy PREV; xsync: its first snapshot), then every
# timed run makes one new backup from the changed source against that
# copy; the backup a run made is removed, untimed, after it, so that each
# run sees the same 1% of changes.  Each command runs once untimed first;
# its result must equal the source (same `xsync manifest` but for the
# strategy column).  The table gives medians of ROUNDS rounds (the order
# rotates every round), the ratio to rsync's median, and the peak RSS.
#
# Environment: BENCH_DIR (default /var/tmp/xcp-bench), ROUNDS (default 5),
# CASES, XSYNC, XCP, KEEP (keep the images).
#
# Usage: bench/sync.sh    (as root: it mounts loop filesystems)
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
XSYNC=${XSYNC:-$ROOT/bin/xsync}
XCP=${XCP:-$ROOT/bin/xcp}
BENCH_DIR=${BENCH_DIR:-/var/tmp/xcp-bench}
ROUNDS=${ROUNDS:-5}
CASES=${CASES:-noop-xfs snap-xfs snap-xfs-link snap-btrfs}
TARBALL=/usr/src/linux-source-6.1.tar.xz
KERNEL=$BENCH_DIR/linux-source-6.1
W=$BENCH_DIR/sync
OUT=/dev/null

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

[ "$(id -u)" -eq 0 ] || die "run as root: the cases mount loop filesystems"
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer"
need=()
[ -f "$TARBALL" ] || need+=(linux-source-6.1)
command -v rsync >/dev/null || need+=(rsync)
command -v mkfs.xfs >/dev/null || need+=(xfsprogs)
command -v mkfs.btrfs >/dev/null || need+=(btrfs-progs)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
	echo "installing: ${need[*]}" >&2
	apt-get install -y "${need[@]}" >&2 || die "cannot install ${need[*]}"
fi
[ -x "$XSYNC" ] || die "no $XSYNC: build first (make -j2)"
[ -x "$XCP" ] || die "no $XCP: build first (make -j2)"

mkdir -p "$BENCH_DIR" "$W"
bench_lock "$BENCH_DIR"
trap fs_cleanup EXIT

kernel_tree "$TARBALL" "$BENCH_DIR"

# same_as_source TREE: TREE holds what $SRC holds.
same_as_source() { same_tree "$SRC" "$1"; }

# change_one_percent DIR: append to every 100th regular file.
change_one_percent() {
	find "$1" -type f | sort | awk 'NR % 100 == 0' |
		while IFS= read -r f; do echo changed >>"$f"; done
}

# newest REPO: the newest snapshot's name
newest() { "$XSYNC" list "$1" | awk 'END { print $1 }'; }

# The backup each timed run made goes, untimed, after it.
after_run() {
	case $1 in
	0)
		[ -n "$RSYNC_NEW" ] || return 0
		[ "$SAME_CHECK" != 1 ] || same_as_source "$RSYNC_NEW"
		rm -rf "$RSYNC_NEW"
		;;
	1)
		[ -n "$REPO" ] || return 0
		local n
		n=$(newest "$REPO")
		[ "$n" != "$FIRST" ] || die "xsync made no snapshot"
		if [ "$SAME_CHECK" = 1 ]; then
			same_as_source "$REPO/$n"
			"$XSYNC" verify "$REPO/$n" || die "verify $REPO/$n failed"
		fi
		# A deleted subvolume is cleaned in the background: wait for
		# it, or it competes with the next timed run.
		if btrfs subvolume delete "$REPO/$n" >/dev/null 2>&1; then
			btrfs subvolume sync "$REPO" >/dev/null
		else
			rm -rf "${REPO:?}/$n"
		fi
		rm -f "$REPO/.xsync/$n.xcpm"
		ln -sfn "$FIRST" "$REPO/latest"
		;;
	2)
		[ -n "$FLOOR_NEW" ] || return 0
		rm -rf "$FLOOR_NEW"
		;;
	esac
	sync
}

echo "# xsync against rsync ($(date -u +%Y-%m-%dT%H:%MZ))"
echo
echo "Machine: $(machine). xsync: $(revision)."
echo "rsync: $(rsync --version | head -1)."
echo "Load average at the start: $(load)."
steal_start

for c in $CASES; do
	RSYNC_NEW="" REPO="" FIRST="" FLOOR_NEW="" SAME_CHECK=0
	case $c in
	noop-xfs)
		[ -n "${XFS:-}" ] || { fs xfs 8G; XFS=$MNT; }
		SRC=$XFS/noop-src
		rm -rf "$SRC" "$XFS/noop-r" "$XFS/noop-x"
		cp -a "$KERNEL" "$SRC"
		rsync -a "$SRC/" "$XFS/noop-r/"
		"$XSYNC" -a "$SRC/" "$XFS/noop-x/"
		same_as_source "$XFS/noop-x"
		sync
		bench "$c: a mirror with nothing to do" 0 \
		    "rsync -a" "$(q rsync -a "$SRC/" "$XFS/noop-r/")" \
		    "xsync -a" "$(q "$XSYNC" -a "$SRC/" "$XFS/noop-x/")"
		;;
	snap-xfs | snap-xfs-link | snap-btrfs)
		if [ "$c" = snap-btrfs ]; then
			fs btrfs 8G
			D=$MNT
		else
			[ -n "${XFS:-}" ] || { fs xfs 8G; XFS=$MNT; }
			D=$XFS
		fi
		SRC=$D/$c-src
		REPO=$D/$c-repo
		rm -rf "$SRC" "$D/$c-rsync"
		rm -rf "$REPO" 2>/dev/null || true
		cp -a "$KERNEL" "$SRC"
		mkdir -p "$D/$c-rsync"
		rsync -a "$SRC/" "$D/$c-rsync/prev/"
		"$XSYNC" snapshot "$SRC" "$REPO"
		FIRST=$(newest "$REPO")
		change_one_percent "$SRC"
		sync
		RSYNC_NEW=$D/$c-rsync/new
		opt=()
		[ "$c" != snap-xfs-link ] || opt=(--link)
		# The untimed first runs are checked against the source.
		SAME_CHECK=1
		run "rsync check" "$(q rsync -a --link-dest=../prev "$SRC/" "$RSYNC_NEW/")"
		after_run 0
		run "xsync check" "$(q "$XSYNC" snapshot "${opt[@]}" "$SRC" "$REPO")"
		after_run 1
		SAME_CHECK=0
		floor=()
		if [ "$c" = snap-xfs ]; then
			FLOOR_NEW=$D/$c-floor
			floor=("xcp -a --reflink=always (clone floor)"
			    "$(q "$XCP" -a --reflink=always "$REPO/$FIRST/" "$FLOOR_NEW/")")
		fi
		bench "$c: a backup after 1% of the files changed" 0 \
		    "rsync -a --link-dest" "$(q rsync -a --link-dest=../prev "$SRC/" "$RSYNC_NEW/")" \
		    "xsync snapshot${opt:+ ${opt[*]}}" "$(q "$XSYNC" snapshot "${opt[@]}" "$SRC" "$REPO")" \
		    "${floor[@]}"
		;;
	*)
		die "unknown case $c"
		;;
	esac
	echo
	echo "$ROUNDS rounds; load at the end $(load)."
	# The XFS image holds every case's trees: room for the next one.
	case $c in
	noop-xfs) rm -rf "$SRC" "$XFS/noop-r" "$XFS/noop-x" ;;
	*)
		rm -rf "$SRC" "$D/$c-rsync"
		rm -rf "$REPO" 2>/dev/null || true
		;;
	esac
done
echo
steal_report
