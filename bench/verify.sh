#!/usr/bin/env bash
# bench/verify.sh: how fast does `xsync verify` check a real tree, side by
# side with `xxhsum -H2 -c` and `b3sum --check` checking the same regular
# files?  Also `xsync manifest` against creating the lists with xxhsum and
# b3sum.  The tree is the Linux source from Debian's linux-source-6.1,
# extracted once into $BENCH_DIR and reused.
#
# Warm cache: one untimed warm-up pass of every command, then $ROUNDS
# rounds; each round runs every contender once, the starting contender
# rotating from round to round.  Reported: median wall time (bash
# EPOCHREALTIME around the command), min and max, the ratio of each median
# to xsync's, and peak RSS (/usr/bin/time -f %M, the largest process of the
# command).  Any contender that does not exit 0 stops the benchmark.
#
# Environment:
#   BENCH_DIR  work directory (default /var/tmp/xcp-bench); the extracted
#              tree is kept there for the next run
#   ROUNDS     rounds (default 5)
#   XSYNC      the xsync binary (default: bin/xsync of this repository)
#   XSYNC_REV  what to call it in the report (default: git describe)
#   JOBS       if set, passed as -j to the "xsync" contenders (default:
#              xsync's own default, one thread per CPU)
#
# Usage: bench/verify.sh            (from anywhere; run as root to let it
#                                    apt-get install what is missing)
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
XSYNC=${XSYNC:-$ROOT/bin/xsync}
BENCH_DIR=${BENCH_DIR:-/var/tmp/xcp-bench}
ROUNDS=${ROUNDS:-5}
TARBALL=/usr/src/linux-source-6.1.tar.xz
TREE=$BENCH_DIR/linux-source-6.1
W=$BENCH_DIR/verify		# manifests, lists, per-run scratch

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

# --- what the benchmark needs ------------------------------------------
need=()
[ -f "$TARBALL" ] || need+=(linux-source-6.1)
command -v b3sum >/dev/null || need+=(b3sum)
command -v xxhsum >/dev/null || need+=(xxhash)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
	echo "installing: ${need[*]}" >&2
	apt-get install -y "${need[@]}" >&2 || die "cannot install ${need[*]}"
fi
[ -x "$XSYNC" ] || die "no $XSYNC: build the tree first (make -j2)"
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer"
jopt=()
[ -n "${JOBS:-}" ] && jopt=(-j "$JOBS")

# --- the tree, extracted once ------------------------------------------
mkdir -p "$BENCH_DIR" "$W"
bench_lock "$BENCH_DIR"
kernel_tree "$TARBALL" "$BENCH_DIR"

# --- preflight: the same list pipelines on awkward names -----------------
# The kernel tree has no such names; this proves the lists would still
# hold.  A newline in a name is left out: xxhsum 0.8.1 cannot list it
# (xsync export skips it with a warning and exit 23); b3sum escapes it.
P=$W/names
rm -rf "$P"
mkdir -p "$P/t/a dir"
printf 1 >"$P/t/a dir/with space.c"
printf 2 >"$P/t/back\\slash"
printf 3 >"$P/t/tab	x"
printf 4 >"$P/t/quote'd"
printf 5 >"$P/t/-"
printf 6 >"$P/t/#hash=*?["
ln -s "a dir" "$P/t/link"
"$XSYNC" manifest -o "$P/m" "$P/t" || die "preflight: xsync manifest"
"$XSYNC" export --format=xxhsum -o "$P/l" "$P/m" || die "preflight: export"
(cd "$P/t" && find . -type f -print0 | sort -z | xargs -0 b3sum) >"$P/l3" ||
	die "preflight: b3sum"
if [ "$(wc -l <"$P/l")" -ne 6 ] || [ "$(wc -l <"$P/l3")" -ne 6 ]; then
	die "preflight: the lists do not have 6 files each"
fi
"$XSYNC" verify "$P/m" "$P/t" || die "preflight: xsync verify"
(cd "$P/t" && xxhsum -q -H2 -c "$P/l") || die "preflight: xxhsum -c"
(cd "$P/t" && b3sum --check --quiet "$P/l3") || die "preflight: b3sum --check"
rm -rf "$P"

# --- untimed setup: the manifest and the three lists --------------------
M=$W/tree.xcpm
LIST=$W/list.xxh128		# xsync export --format=xxhsum M
LISTX=$W/list.xxhsum		# xxhsum -H2 itself, for the cross-check
LIST3=$W/list.b3		# b3sum over the same files
FILES=$W/files.nul		# the regular files, NUL-separated, ./ paths

echo "setup: manifest and lists ..." >&2
"$XSYNC" manifest "${jopt[@]}" -o "$M" "$TREE" ||
	die "xsync manifest failed (status $?)"
"$XSYNC" export --format=xxhsum -o "$LIST" "$M" ||
	die "xsync export failed (status $?)"
(cd "$TREE" && find . -type f -print0 | sort -z) >"$FILES"
(cd "$TREE" && xargs -0 -a "$FILES" xxhsum -q -H2) >"$LISTX" ||
	die "xxhsum -H2 failed"
# b3sum escapes a name holding a backslash or a newline itself (a leading
# backslash on the line, \\ and \n in the name), the form --check reads;
# NUL-separated names keep spaces and tabs whole.
(cd "$TREE" && xargs -0 -a "$FILES" b3sum) >"$LIST3" || die "b3sum failed"

nfiles=$(tr -dc '\0' <"$FILES" | wc -c)
nlist=$(wc -l <"$LIST")
nlistx=$(wc -l <"$LISTX")
nlist3=$(wc -l <"$LIST3")
entries=$(grep -vc '^#' "$M")
bytes=$(awk -F'\t' '!/^#/ && $1 == "f" { s += $5 } END { printf "%.0f", s }' "$M")
echo "regular files: find $nfiles, xsync export $nlist, xxhsum $nlistx," \
    "b3sum $nlist3; manifest entries $entries" >&2
[ "$nlist" -eq "$nlistx" ] ||
	die "xsync export lists $nlist files, xxhsum -H2 over find -type f $nlistx"
[ "$nlist3" -eq "$nfiles" ] || die "b3sum lists $nlist3 files, find $nfiles"
[ "$nlistx" -eq "$nfiles" ] || die "xxhsum lists $nlistx files, find $nfiles"
# Stronger than the count: the same hash for the same name.
if ! cmp -s <(sort "$LIST") <(sort "$LISTX"); then
	diff <(sort "$LIST") <(sort "$LISTX") | head >&2
	die "xsync export and xxhsum -H2 disagree (above)"
fi

cd "$TREE"
OUT=$W/out
echo "# xsync verify on linux-source-6.1 ($(date -u +%Y-%m-%dT%H:%MZ))"
echo
echo "Tree: $TREE ($(df -PT "$TREE" | awk 'NR == 2 { print $2 }')), $entries entries," \
    "$nfiles regular files, $bytes bytes; warm cache; $ROUNDS rounds," \
    "rotating order; xsync -j ${JOBS:-default ($(( $(nproc) > 1 ? $(nproc) - 1 : 1 )) workers)}."
echo "Machine: $(machine). xsync: $(revision)."
echo "Load average at the start: $(load)."
steal_start
echo "xxhsum: $(xxhsum --version 2>&1 | head -1 | sed 's/ by .*//');" \
    "b3sum: $(b3sum --version)."

bench "Verification (all exit 0: every file matches)" 0 \
    "xsync verify M TREE" "$(q "$XSYNC" verify "${jopt[@]}" "$M" "$TREE")" \
    "xsync verify -j1 M TREE" "$(q "$XSYNC" verify -j 1 "$M" "$TREE")" \
    "xxhsum -H2 -c LIST" "$(q xxhsum -H2 -c -q "$LIST")" \
    "b3sum --check LIST3" "$(q b3sum --check --quiet "$LIST3")"

# shellcheck disable=SC2034  # read by run() in lib.sh
OUT=/dev/null
bench "Creating the manifest / the checksum lists" 0 \
    "xsync manifest TREE" "$(q "$XSYNC" manifest "${jopt[@]}" "$TREE")" \
    "xsync manifest -j1 TREE" "$(q "$XSYNC" manifest -j 1 "$TREE")" \
    "find -type f | xargs xxhsum -H2" \
    "sh -c 'find . -type f -print0 | xargs -0 xxhsum -q -H2'" \
    "find -type f | xargs b3sum" \
    "sh -c 'find . -type f -print0 | xargs -0 b3sum'"

echo
echo "Verification output goes to a file in $W (nothing is printed on success"
echo "by xsync verify or by the --quiet checkers); creation output goes to"
echo "/dev/null.  RSS of a pipeline is its largest process."
echo
echo "Load average at the end: $(load). $(steal_report)"
