#!/usr/bin/env bash
# bench/jail.sh: jailclone create against what users would do instead, on
# a Debian 12 minbase tree (debootstrap, about 6,800 entries, 200 MB) on
# real filesystems.
#
# Cases (CASES, in this order by default):
#   xfs     20 jails from a directory template on XFS (reflink=1):
#           cp -a --reflink=always TMPL JAIL, once per jail  vs
#           jailclone create TMPL JAIL1 ... JAIL20; and the clone floor:
#           two processes, each making half the jails one after the other
#           with xcp -j1 -a --reflink=always (the same clones, nothing
#           compared, no manifest, no flush)
#   archive the same from a tar.zst of the template: tar -x into each jail
#           vs jailclone create (its store already filled: the unpacking
#           happens once, in the untimed warm-up)
#   btrfs   20 jails from a subvolume template on btrfs:
#           btrfs subvolume snapshot, once per jail  vs  jailclone create;
#           the table also gives milliseconds per jail
#
# Every command makes all 20 jails; they are removed, untimed, after each
# run.  The untimed first run of each command is checked: every jail holds
# what the template holds (same `xsync manifest` but for the strategy).
# The table gives medians of ROUNDS rounds (the order rotates every round),
# the ratio to the first command's median, and the peak RSS.
#
# Environment: BENCH_DIR (default /var/tmp/xcp-bench), ROUNDS (default 5),
# CASES, JAILS (default 20), JAILCLONE, XSYNC, XCP, MIRROR (for debootstrap),
# KEEP (keep the images).
#
# Usage: bench/jail.sh    (as root: it mounts loop filesystems)
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
JAILCLONE=${JAILCLONE:-$ROOT/bin/jailclone}
XSYNC=${XSYNC:-$ROOT/bin/xsync}
XCP=${XCP:-$ROOT/bin/xcp}
BENCH_DIR=${BENCH_DIR:-/var/tmp/xcp-bench}
ROUNDS=${ROUNDS:-5}
JAILS=${JAILS:-20}
CASES=${CASES:-xfs archive btrfs}
MINBASE=$BENCH_DIR/minbase
W=$BENCH_DIR/jail
OUT=/dev/null

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

[ "$(id -u)" -eq 0 ] || die "run as root: the cases mount loop filesystems"
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer"
[[ $JAILS =~ ^[1-9][0-9]*$ ]] || die "JAILS must be a positive integer"
need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v mkfs.xfs >/dev/null || need+=(xfsprogs)
command -v mkfs.btrfs >/dev/null || need+=(btrfs-progs)
command -v zstd >/dev/null || need+=(zstd)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
	echo "installing: ${need[*]}" >&2
	apt-get install -y "${need[@]}" >&2 || die "cannot install ${need[*]}"
fi
[ -x "$JAILCLONE" ] || die "no $JAILCLONE: build first (make -j2)"
[ -x "$XSYNC" ] || die "no $XSYNC: build first (make -j2)"
[ -x "$XCP" ] || die "no $XCP: build first (make -j2)"

mkdir -p "$BENCH_DIR" "$W"
bench_lock "$BENCH_DIR"
trap fs_cleanup EXIT

minbase_tree

# The jails' paths: DIR/PREFIX1 ... DIR/PREFIXn, as words.
jails() {
	local i
	for ((i = 1; i <= JAILS; i++)); do printf '%s ' "$1/$2$i"; done
}

# per_jail SCRIPT TMPL DIR PREFIX: a command running SCRIPT once per jail,
# with the template as $1 and the jail as $2.
per_jail() {
	# shellcheck disable=SC2046
	q bash -c "for j in \"\${@:2}\"; do $1; done" _ "$2" $(jails "$3" "$4")
}

# Each command's jails go, untimed, after its run (checked after the first).
after_run() {
	local d=${DIRS[$1]} j
	if [ "$CHECK" = 1 ]; then
		for j in "$d"/*; do
			same_tree "$TMPL" "$j"
		done
	fi
	if [ "$1" -eq 1 ]; then
		# shellcheck disable=SC2046
		"$JAILCLONE" destroy $(jails "$d" j) >/dev/null
	else
		for j in "$d"/*; do
			btrfs subvolume delete "$j" >/dev/null 2>&1 || rm -rf "$j"
		done
	fi
	[ "$FS" != btrfs ] || btrfs subvolume sync "$D" >/dev/null
	sync
}

echo "# jailclone against cp, tar and btrfs ($(date -u +%Y-%m-%dT%H:%MZ))"
echo
echo "Machine: $(machine). jailclone: $(revision "$JAILCLONE")."
echo "Template: Debian 12 minbase, $(find "$MINBASE" | wc -l) entries," \
    "$(du -sm "$MINBASE" | cut -f1) MB; $JAILS jails per run."
echo "Load average at the start: $(load)."
steal_start

for c in $CASES; do
	case $c in
	xfs | archive)
		FS=xfs
		fs xfs 8G
		;;
	btrfs)
		FS=btrfs
		fs btrfs 8G
		;;
	*)
		die "unknown case $c"
		;;
	esac
	D=$MNT
	TMPL=$D/tmpl
	if [ "$c" = btrfs ]; then
		btrfs subvolume create "$TMPL" >/dev/null
		cp -a "$MINBASE/." "$TMPL/"
	else
		cp -a "$MINBASE" "$TMPL"
	fi
	mkdir -p "$D/a" "$D/b" "$D/c"
	DIRS=("$D/a" "$D/b" "$D/c")
	sync
	CHECK=1
	case $c in
	xfs)
		# shellcheck disable=SC2016 # expanded by the inner shell
		CP=$(per_jail 'cp -a --reflink=always "$1" "$j"' "$TMPL" "$D/a" c)
		run "cp check" "$CP"
		after_run 0
		# shellcheck disable=SC2046
		run "jailclone check" "$(q "$JAILCLONE" create "$TMPL" $(jails "$D/b" j))"
		after_run 1
		# shellcheck disable=SC2016,SC2046 # expanded by the inner shell
		FLOOR=$(q bash -c 'h=$(( ($# - 1) / 2 + 1 ))
			for j in "${@:2:h-1}"; do "$0" -j1 -a --reflink=always "$1" "$j"; done &
			for j in "${@:h+1}"; do "$0" -j1 -a --reflink=always "$1" "$j"; done
			wait' "$XCP" "$TMPL" $(jails "$D/c" x))
		run "floor check" "$FLOOR"
		after_run 2
		CHECK=0
		bench "xfs: $JAILS jails from a directory on XFS" 0 \
		    "cp -a --reflink=always, per jail" "$CP" \
		    "jailclone create" "$(q "$JAILCLONE" create "$TMPL") $(jails "$D/b" j)" \
		    "xcp -j1 in two processes (clone floor)" "$FLOOR"
		;;
	archive)
		tar --numeric-owner --xattrs -C "$TMPL" -c . | zstd -q -o "$D/tmpl.tar.zst"
		STORE=$D/store
		# shellcheck disable=SC2016 # expanded by the inner shell
		TAR=$(per_jail 'mkdir "$j" && tar --numeric-owner --xattrs -xpf "$1" -C "$j"' "$D/tmpl.tar.zst" "$D/a" t)
		run "tar check" "$TAR"
		after_run 0
		# shellcheck disable=SC2046
		run "jailclone check" "$(q "$JAILCLONE" create --store "$STORE" "$D/tmpl.tar.zst") $(jails "$D/b" j)"
		after_run 1
		CHECK=0
		bench "archive: $JAILS jails from a tar.zst of it on XFS" 0 \
		    "tar -x, per jail" "$TAR" \
		    "jailclone create (store filled)" "$(q "$JAILCLONE" create --store "$STORE" "$D/tmpl.tar.zst") $(jails "$D/b" j)"
		;;
	btrfs)
		# shellcheck disable=SC2016 # expanded by the inner shell
		SNAP=$(per_jail 'btrfs subvolume snapshot "$1" "$j" >/dev/null' "$TMPL" "$D/a" s)
		run "snapshot check" "$SNAP"
		after_run 0
		run "jailclone check" "$(q "$JAILCLONE" create "$TMPL") $(jails "$D/b" j)"
		after_run 1
		CHECK=0
		bench "btrfs: $JAILS jails from a subvolume on btrfs" 0 \
		    "btrfs subvolume snapshot, per jail" "$SNAP" \
		    "jailclone create" "$(q "$JAILCLONE" create "$TMPL") $(jails "$D/b" j)"
		echo
		echo "Per jail: $(awk -v t="$BENCH_LAST_MEDIAN" -v n="$JAILS" 'BEGIN { printf "%.1f", 1000 * t / n }') ms (jailclone create, median)."
		;;
	esac
	echo
	echo "$ROUNDS rounds; load at the end $(load)."
	fs_cleanup
	MOUNTS=()
done
echo
steal_report
