#!/bin/bash
# Run cppcheck and clang-tidy over lib/, bin/ and tests/tools/ and fail,
# listing the findings, on any.  Prints TAP.  A missing tool is a skip,
# except under CI=true where that is a failure.
#
# The sources are found from this script's directory, config.h in the
# build directory (the current one, or $top_builddir), so a VPATH build
# works.  clang-tidy reads ../.clang-tidy, cppcheck cppcheck.supp here;
# compile flags are given on the command line, not taken from a
# compile_commands.json.  STATIC_ANALYSIS_JOBS (2) files are checked at
# a time.  STATIC_ANALYSIS=no (CI's sanitizer build, whose sources are
# the normal build's) plans no test.
set -u
if [ "${STATIC_ANALYSIS:-}" = no ]; then
	echo "1..0 # SKIP the sources are analysed in the other build"
	exit 0
fi
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
top_builddir=$(cd "${top_builddir:-.}" && pwd)
jobs=${STATIC_ANALYSIS_JOBS:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0

echo "1..2"

# missing N NAME WHY: the TAP line for a tool that is not there.
missing() {
	if [ "${CI:-}" = true ]; then
		echo "not ok $1 - $2: $3"
		status=1
	else
		echo "ok $1 # skip $2: $3"
	fi
}

# report N NAME SECONDS FILE: ok, or not ok with each finding in FILE.
report() {
	local n
	n=$(grep -c . "$4")
	if [ "$n" -eq 0 ]; then
		echo "ok $1 - $2: no findings ($3 s)"
	else
		echo "not ok $1 - $2: $n findings ($3 s)"
		sed 's/^/# /' "$4"
		status=1
	fi
}

# tidy_one FILE FLAGS...: the findings in FILE, in $work/found/,
# or why clang-tidy failed when it did without any.  Run by xargs.
# shellcheck disable=SC2317
tidy_one() {
	local f=$1 name rc
	shift
	name=$(printf '%s' "$f" | tr / _)
	"$tidy" --quiet --config-file=.clang-tidy "$f" -- "$@" \
	    >"$work/log/$name" 2>&1
	rc=$?
	grep -E ': (warning|error): ' "$work/log/$name" \
	    >"$work/found/$name"
	if [ "$rc" -ne 0 ] && [ ! -s "$work/found/$name" ]; then
		echo "$f: $tidy exited with $rc:" \
		    "$(tail -1 "$work/log/$name")" >"$work/found/$name"
	fi
}

if [ ! -f "$top_builddir/config.h" ]; then
	for i in 1 2; do
		echo "not ok $i - no config.h in $top_builddir: run configure" \
		    "and make from there"
	done
	exit 1
fi

cd "$top_srcdir" || exit 1
# The biggest first, so that clang-tidy's jobs end together.
sources=$(ls -S lib/*/*.c bin/*.c tests/tools/*.c)

if ! command -v cppcheck >/dev/null; then
	missing 1 cppcheck "cppcheck is not installed"
else
	start=$SECONDS
	# shellcheck disable=SC2086 # no blanks in the source names
	cppcheck -q --std=c11 --library=posix --library=gnu \
	    --enable=warning,style,performance,portability \
	    --inline-suppr --suppressions-list=tests/cppcheck.supp \
	    --error-exitcode=1 \
	    --template='{file}:{line}: {severity}: {message} [{id}]' \
	    -I"$top_builddir" -Ilib -Ibin \
	    $sources >"$work/cppcheck.out" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ] && ! grep -q . "$work/cppcheck.out"; then
		echo "cppcheck exited with $rc" >"$work/cppcheck.out"
	fi
	report 1 cppcheck $((SECONDS - start)) "$work/cppcheck.out"
fi

tidy=${CLANG_TIDY:-}
if [ -z "$tidy" ]; then
	for t in clang-tidy-14 clang-tidy; do
		command -v "$t" >/dev/null && { tidy=$t; break; }
	done
fi
if [ -z "$tidy" ]; then
	missing 2 clang-tidy "clang-tidy is not installed"
else
	start=$SECONDS
	mkdir "$work/log" "$work/found"
	export -f tidy_one
	export tidy work
	# shellcheck disable=SC2046 # pkg-config's flags are words
	set -- -DHAVE_CONFIG_H -I"$top_builddir" -Ilib -Ibin \
	    -DLOCALEDIR='"/usr/local/share/locale"' \
	    $(pkg-config --cflags libarchive libxxhash 2>/dev/null) \
	    $(pkg-config --cflags fuse3 2>/dev/null)
	# shellcheck disable=SC2086 # no blanks in the source names
	printf '%s\n' $sources |
	    xargs -P "$jobs" -I{} bash -c 'tidy_one "$@"' _ {} "$@"
	# The findings (not the analyser's notes), once each: a header is
	# seen from every file that includes it.
	cat "$work"/found/* | sed "s|^$top_srcdir/||" | sort -u \
	    >"$work/tidy.out"
	report 2 "$tidy" $((SECONDS - start)) "$work/tidy.out"
fi
exit $status
