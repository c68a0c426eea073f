# shellcheck shell=bash
# bench/lib.sh: timing helpers shared by the benchmark scripts (sourced).
#
# The caller sets W (a scratch directory) and OUT (where a command's
# standard output goes), and ROUNDS.  Commands are shell word lists (build
# them with q) run through eval in the current directory.

die() { echo "${0##*/}: $*" >&2; exit 1; }

# bench_lock DIR: one benchmark at a time on this machine (they share
# $BENCH_DIR and would time each other): wait for the lock on DIR/.lock.
bench_lock() {
	exec 9>"$1/.lock"
	if ! flock -n 9; then
		echo "waiting for another benchmark to finish ($1/.lock) ..." >&2
		flock 9
	fi
}

# kernel_tree TARBALL DIR: the Linux source tree TARBALL holds, extracted
# into DIR once (DIR/.linux-source-6.1.done says it is complete).
kernel_tree() {
	[ -f "$2/.linux-source-6.1.done" ] && return
	echo "extracting $1 into $2 ..." >&2
	rm -rf "$2/linux-source-6.1"
	tar -xJf "$1" -C "$2"
	[ -d "$2/linux-source-6.1" ] || die "$1 did not give $2/linux-source-6.1"
	touch "$2/.linux-source-6.1.done"
}

# q WORD...: the words quoted for eval.
q() { printf '%q ' "$@"; }

# run NAME CMD: one timed run; sets T (wall seconds, from EPOCHREALTIME
# around the command) and RSS (peak RSS in KiB of its largest process: the
# "Maximum resident set size" of /usr/bin/time -v).  Dies, showing the
# command's output, unless the command exits 0.
run() {
	local t0 t1 rc=0
	t0=$EPOCHREALTIME
	eval "/usr/bin/time -v -o \"\$W/rss\" $2" >"$OUT" 2>"$W/err" ||
		rc=$?
	t1=$EPOCHREALTIME
	if [ "$rc" -ne 0 ]; then
		echo "---- $1: exit status $rc; stderr:" >&2
		head -20 "$W/err" >&2
		if [ "$OUT" != /dev/null ]; then
			echo "---- stdout:" >&2
			head -20 "$OUT" >&2
		fi
		die "$1 failed: the benchmark is invalid"
	fi
	T=$(( ${t1/./} - ${t0/./} ))
	T=$(printf '%d.%06d' $((T / 1000000)) $((T % 1000000)))
	RSS=$(awk -F': *' '/Maximum resident set size/ { print $2 }' "$W/rss")
}

# median NUMBER...
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		if (NR % 2) print v[(NR + 1) / 2];
		else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# bench TITLE BASE NAME CMD [NAME CMD]...: one untimed warm-up run of every
# command, then ROUNDS rounds, each running every command once, starting
# one further along each round; then a markdown table of median, min and
# max wall time, the ratio of each median to the median of command number
# BASE (0-based), and the highest peak RSS seen.  A hook, if the function
# after_run is defined, is called after each run with the command's index
# (to check its output).
bench() {
	local title=$1 base=$2 k r i j bmed med mn mx rs
	shift 2
	local -a names=() cmds=() times=() rsss=()
	while [ $# -gt 0 ]; do names+=("$1"); cmds+=("$2"); shift 2; done
	k=${#names[@]}
	for ((i = 0; i < k; i++)); do
		echo "warm-up: ${names[i]}" >&2
		run "${names[i]}" "${cmds[i]}"
		! declare -F after_run >/dev/null || after_run "$i"
		times[i]=""
		rsss[i]=""
	done
	for ((r = 0; r < ROUNDS; r++)); do
		for ((j = 0; j < k; j++)); do
			i=$(( (r + j) % k ))
			run "${names[i]}" "${cmds[i]}"
			! declare -F after_run >/dev/null || after_run "$i"
			times[i]+="$T "
			rsss[i]+="$RSS "
			printf 'round %d: %-34s %s s %s KiB\n' $((r + 1)) \
			    "${names[i]}" "$T" "$RSS" >&2
		done
	done
	echo
	echo "### $title"
	echo
	echo "| command | median s | min s | max s | median / first | peak RSS MiB |"
	echo "|---|---:|---:|---:|---:|---:|"
	# shellcheck disable=SC2086
	bmed=$(median ${times[base]})
	for ((i = 0; i < k; i++)); do
		# Splitting intended: each holds numbers separated by spaces.
		# shellcheck disable=SC2086
		med=$(median ${times[i]})
		# shellcheck disable=SC2086
		mn=$(printf '%s\n' ${times[i]} | sort -g | head -1)
		# shellcheck disable=SC2086
		mx=$(printf '%s\n' ${times[i]} | sort -g | tail -1)
		# shellcheck disable=SC2086
		rs=$(printf '%s\n' ${rsss[i]} | sort -g | tail -1)
		awk -v n="${names[i]}" -v m="$med" -v a="$mn" -v b="$mx" \
		    -v bm="$bmed" -v r="$rs" 'BEGIN {
			gsub(/\|/, "\\|", n)
			printf "| `%s` | %.3f | %.3f | %.3f | %.2f | %.1f |\n",
			    n, m, a, b, m / bm, r / 1024 }'
	done
	# For the caller: the last command's median.
	# shellcheck disable=SC2034
	BENCH_LAST_MEDIAN=$med
}

# machine: one line describing where this runs.
machine() {
	echo "$(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo |
	    sed 's/.*: //')), $(awk '/MemTotal/ { printf "%.0f GiB RAM",
	    $2 / 1048576 }' /proc/meminfo), Linux $(uname -r)"
}

# revision: what xsync was built from: $XSYNC_REV when set (for an XSYNC
# built elsewhere), else the commit of this tree and whether it had
# uncommitted changes (the build is not checked against it).
revision() {
	local r bin=${1:-$XSYNC}
	if [ -n "${XSYNC_REV:-}" ]; then
		r=$XSYNC_REV
	else
		r=$(git -C "$ROOT" describe --always --dirty 2>/dev/null) ||
			r=unknown
	fi
	echo "$r, $bin ($(date -u -r "$bin" +'built %Y-%m-%dT%H:%MZ' 2>/dev/null))"
}

# load: the load averages, to tell a quiet machine from a busy one.
load() { cut -d' ' -f1-3 /proc/loadavg; }

# steal_start; ...; steal_report: the share of CPU time the hypervisor gave
# to others while the benchmark ran ("st" in vmstat).  On a shared virtual
# machine a high value means the absolute times are inflated and noisy;
# the rotating order keeps the ratios fairer than the times.
steal_start() { STEAL0=$(head -1 /proc/stat); }
steal_report() {
	printf '%s\n%s\n' "$STEAL0" "$(head -1 /proc/stat)" | awk '
		{ t = 0; for (i = 2; i <= 9; i++) t += $i; tot[NR] = t; st[NR] = $9 }
		END { d = tot[2] - tot[1]; p = d > 0 ? 100 * (st[2] - st[1]) / d : 0
		    printf "CPU steal during the run: %.0f%%.\n", p }'
}

# --- loop filesystems, each on a fresh mount point ----------------------
# fs_cleanup (the caller's EXIT trap) unmounts them and removes the images
# (unless KEEP is set).
MOUNTS=()
fs_cleanup() {
	local i
	for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
		umount "${MOUNTS[i]}" 2>/dev/null || umount -l "${MOUNTS[i]}" || true
		rmdir "${MOUNTS[i]}" 2>/dev/null || true
	done
	[ -n "${KEEP:-}" ] || rm -f "$W"/*.img
}

# fs TYPE SIZE: a new filesystem on a sparse image, mounted; sets MNT.
fs() {
	local img=$W/$1.img
	rm -f "$img"
	truncate -s "$2" "$img"
	case $1 in
	xfs) mkfs.xfs -q -f -m reflink=1 "$img" ;;
	btrfs) mkfs.btrfs -q -f "$img" >/dev/null ;;
	ext4) mkfs.ext4 -q -F "$img" ;;
	tmpfs) rm -f "$img" ;;
	esac
	MNT=$(mktemp -d "$W/mnt.$1.XXXXXX")
	MOUNTS+=("$MNT")
	if [ "$1" = tmpfs ]; then
		mount -t tmpfs -o "size=$2" tmpfs "$MNT"
	else
		mount -o loop "$img" "$MNT"
	fi
}

# same_tree A B: the two trees hold the same entries, modes, owners, sizes,
# mtimes, contents and link targets (xsync manifest from $XSYNC, strategy
# left out); dies showing the difference.
same_tree() {
	if ! cmp -s <("$XSYNC" manifest "$1" | cut -f1-7,9- | grep -v '^#end') \
	    <("$XSYNC" manifest "$2" | cut -f1-7,9- | grep -v '^#end'); then
		diff <("$XSYNC" manifest "$1" | cut -f1-7,9-) \
		    <("$XSYNC" manifest "$2" | cut -f1-7,9-) | head >&2
		die "$1 and $2 differ (above)"
	fi
}

# minbase_tree: a Debian 12 minbase tree (debootstrap) in $MINBASE, made
# once (BENCH_DIR/.minbase.done says it is complete); MIRROR overrides the
# mirror found in the apt sources.
minbase_tree() {
	local mirror=${MIRROR:-}
	[ -f "$BENCH_DIR/.minbase.done" ] && return
	if [ -z "$mirror" ]; then
		mirror=$(grep -rhE '^[[:space:]]*(URIs:|deb )' \
		    /etc/apt/sources.list /etc/apt/sources.list.d 2>/dev/null |
		    grep -oE 'https?://[^ ]+/debian/?( |$)' | head -1 || true)
		mirror=${mirror% }
		mirror=${mirror:-http://deb.debian.org/debian}
	fi
	echo "debootstrap --variant=minbase bookworm from $mirror ..." >&2
	rm -rf "$MINBASE"
	debootstrap --variant=minbase bookworm "$MINBASE" "$mirror" >&2 ||
		die "debootstrap failed"
	touch "$BENCH_DIR/.minbase.done"
}
