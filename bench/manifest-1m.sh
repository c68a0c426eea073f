#!/usr/bin/env bash
# bench/manifest-1m.sh: manifests of a million entries.
#
# 1. The manifest library alone (lib/core/manifest.h): bench/manifest-bench
#    writes a 1,000,000-record xcpm manifest (manifest_create, manifest_add,
#    manifest_commit, so fsync and rename included) and, in a separate
#    process, parses it back (manifest_open, manifest_next, manifest_close)
#    checking the count.  Goal: each phase under 1 s and under 64 MiB peak
#    RSS (getrusage ru_maxrss of its own process).  "gen" is the driver's
#    own cost of making the records, included in "write".
# 2. A real tree of 1,000,000 entries (52,371 directories counting the
#    root, 947,629 empty files: the same layout) on each filesystem of $TREE_PARENTS:
#    `xsync manifest -o M TREE` and `xsync verify M TREE` (default threads
#    and -j1), `xxhsum -H2 -c` of the exported list, and `find TREE | wc -l`
#    for the cost of the walk alone.
#
# Warm cache: one untimed warm-up run of each command, then $ROUNDS rounds
# in rotating order; median wall time, min, max, ratio to the first row,
# peak RSS.
#
# Environment:
#   BENCH_DIR     work directory (default /var/tmp/xcp-bench); the
#                 manifests go in a temporary directory under it
#   MANIFEST_DIRS where part 1 writes its manifest, one table each ("work"
#                 is the temporary directory under $BENCH_DIR; default
#                 "work /dev/shm": the disk, fsync included, and tmpfs)
#   TREE_PARENTS  where to make the 1M-entry tree, one run per directory
#                 (default: "/dev/shm $BENCH_DIR", i.e. tmpfs and the disk)
#   N             entries (default 1000000)
#   ROUNDS        rounds (default 5)
#   XSYNC         the xsync binary (default: bin/xsync of this repository)
#   XSYNC_REV     what to call it in the report (default: git describe)
#   LIBXCP        the library the driver links (default: lib/libxcp.a)
#   KEEP          if set, keep the temporary directories and trees
#   SKIP_TREE     if set, only part 1
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
XSYNC=${XSYNC:-$ROOT/bin/xsync}
BENCH_DIR=${BENCH_DIR:-/var/tmp/xcp-bench}
TREE_PARENTS=${TREE_PARENTS:-/dev/shm $BENCH_DIR}
MANIFEST_DIRS=${MANIFEST_DIRS:-work /dev/shm}
LIBXCP=${LIBXCP:-$ROOT/lib/libxcp.a}
N=${N:-1000000}
ROUNDS=${ROUNDS:-5}

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

[ -x /usr/bin/time ] || apt-get install -y time >&2 || die "no /usr/bin/time"
command -v xxhsum >/dev/null || apt-get install -y xxhash >&2 ||
	die "no xxhsum"
[ -x "$XSYNC" ] || die "no $XSYNC: build the tree first (make -j2)"
[ -f "$LIBXCP" ] || die "no $LIBXCP: build the tree first"
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer"
[[ $N =~ ^[1-9][0-9]*$ ]] || die "N must be a positive integer"

mkdir -p "$BENCH_DIR"
bench_lock "$BENCH_DIR"
W=$(mktemp -d "$BENCH_DIR/manifest-1m.XXXXXX")
TREES=()
cleanup() {
	if [ -n "${KEEP:-}" ]; then
		echo "kept: $W ${TREES[*]}" >&2
		return
	fi
	rm -rf "$W" "${TREES[@]}"
}
trap cleanup EXIT

fstype() { df -PT "$1" | awk 'NR == 2 { print $2 }'; }

# --- the driver ------------------------------------------------------------
MB=$W/manifest-bench
# shellcheck disable=SC2046  # pkg-config gives several words
(cd "$ROOT" && cc -O2 -I"$ROOT" -I"$ROOT/lib" -DHAVE_CONFIG_H \
    bench/manifest-bench.c "$LIBXCP" \
    $(pkg-config --libs libxxhash libarchive) -lpthread -o "$MB") ||
	die "cannot build bench/manifest-bench.c"

echo "# Manifests of $N entries ($(date -u +%Y-%m-%dT%H:%MZ))"
echo
echo "Machine: $(machine). xsync: $(revision); driver linked with $LIBXCP."
echo "Load average at the start: $(load)."
steal_start

# --- 1. the library: write and parse, one process each ----------------------
# lib_bench DIR: ROUNDS rounds of gen, write, parse with the manifest in DIR.
lib_bench() {
	local d=$1 F r p line recs bytes w u s k
	local -A wall=() user=() sys=() rss=()
	local -a phases=(gen write parse)
	F=$(mktemp -u "$d/manifest-1m.XXXXXX.xcpm")
	TREES+=("$F")
	echo "library, manifest in $d: $ROUNDS rounds of gen, write, parse ..." >&2
	"$MB" write "$F" "$N" >/dev/null || die "manifest-bench write failed"
	for ((r = 0; r < ROUNDS; r++)); do
		for p in "${phases[@]}"; do
			line=$("$MB" "$p" "$F" "$N") ||
				die "manifest-bench $p failed"
			read -r _ recs bytes w u s k <<<"$line"
			wall[$p]+="$w "
			user[$p]+="$u "
			sys[$p]+="$s "
			rss[$p]+="$k "
			echo "round $((r + 1)): $line" >&2
		done
	done
	[ "$recs" -eq "$N" ] || die "parse read $recs records"
	echo
	echo "### The manifest library: $N records, $bytes bytes, on $(fstype "$d") ($d)"
	echo
	echo "| phase | median wall s | min s | max s | median user s | median sys s | peak RSS MiB | goal < 1 s, < 64 MiB |"
	echo "|---|---:|---:|---:|---:|---:|---:|---|"
	for p in "${phases[@]}"; do
		# shellcheck disable=SC2086
		awk -v p="$p" -v m="$(median ${wall[$p]})" \
		    -v a="$(printf '%s\n' ${wall[$p]} | sort -g | head -1)" \
		    -v b="$(printf '%s\n' ${wall[$p]} | sort -g | tail -1)" \
		    -v u="$(median ${user[$p]})" -v s="$(median ${sys[$p]})" \
		    -v k="$(printf '%s\n' ${rss[$p]} | sort -g | tail -1)" 'BEGIN {
			goal = p == "gen" ? "(driver only)" : \
			    (m < 1 && k / 1024 < 64) ? "met" : \
			    sprintf("**not met** (%s)", m >= 1 ? "time" : "memory")
			printf "| %s | %.3f | %.3f | %.3f | %.3f | %.3f | %.1f | %s |\n",
			    p, m, a, b, u, s, k / 1024, goal }'
	done
	rm -f "$F"
}

for d in $MANIFEST_DIRS; do
	[ "$d" = work ] && d=$W
	mkdir -p "$d"
	lib_bench "$d"
done

[ -z "${SKIP_TREE:-}" ] || { echo; echo "Load average at the end: $(load). $(steal_report)"; exit 0; }

# --- 2. a real tree ----------------------------------------------------------
n=0
for parent in $TREE_PARENTS; do
	n=$((n + 1))
	mkdir -p "$parent"
	TREE=$(mktemp -u "$parent/xcp-bench-1m.XXXXXX")
	TREES+=("$TREE")
	fs=$(fstype "$parent")
	echo "making $N entries in $TREE ($fs) ..." >&2
	line=$("$MB" tree "$TREE" "$N") || die "cannot make the tree"
	read -r _ _ _ made _ <<<"$line"
	M=$W/tree$n.xcpm
	M2=$W/tree$n-again.xcpm
	LIST=$W/tree$n.xxh128
	"$XSYNC" manifest -o "$M" "$TREE" || die "xsync manifest failed"
	"$XSYNC" export --format=xxhsum -o "$LIST" "$M" ||
		die "xsync export failed"
	got=$(grep -vc '^#' "$M")
	[ "$got" -eq "$N" ] || die "the manifest has $got records, not $N"
	OUT=$W/out
	# The walk reference must see every entry.
	after_run() {
		if [ "$1" -eq 0 ] && [ "$(cat "$OUT")" -ne "$N" ]; then
			die "find | wc -l gave $(cat "$OUT"), not $N"
		fi
	}
	cd "$TREE"
	echo
	echo "Tree: $TREE ($fs): $N entries, $(grep -c '^d' "$M") directories," \
	    "$(grep -c '^f' "$M") empty files (made in ${made} s by" \
	    "manifest-bench tree); manifests on $(fstype "$W") ($W)."
	bench "A tree of $N entries on $fs" 0 \
	    "find TREE | wc -l" "sh -c $(q "find $(q "$TREE") | wc -l")" \
	    "xsync manifest -o M TREE" "$(q "$XSYNC" manifest -o "$M2" "$TREE")" \
	    "xsync manifest -j1 -o M TREE" \
	    "$(q "$XSYNC" manifest -j 1 -o "$M2" "$TREE")" \
	    "xsync verify M TREE" "$(q "$XSYNC" verify "$M" "$TREE")" \
	    "xsync verify -j1 M TREE" "$(q "$XSYNC" verify -j 1 "$M" "$TREE")" \
	    "xxhsum -H2 -c LIST (in TREE)" "$(q xxhsum -q -H2 -c "$LIST")"
	unset -f after_run
	cd /
	if [ -z "${KEEP:-}" ]; then
		echo "removing $TREE ..." >&2
		rm -rf "$TREE"
	fi
done
echo
echo "Load average at the end: $(load). $(steal_report)"
