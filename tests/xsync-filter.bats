#!/usr/bin/env bats
# xsync-filter.bats: the include/exclude rules (lib/core/filter) let
# through exactly what the installed rsync lets through, rule set by rule
# set, on one tree: rsync -r --dry-run lists what it would copy, and
# tests/tools/filterwalk what the rules leave.

load helpers

setup() {
	setup_tmp
	: "${FILTERWALK:=$BATS_TEST_DIRNAME/tools/filterwalk}"
	command -v rsync >/dev/null || skip_or_fail "rsync is not installed"
	local s=$T/src
	mkdir -p "$s/a/b/c" "$s/tmp" "$s/x/tmp" "$s/build" "$s/dir/sub" \
		"$s/a/cache" "$s/sp ace" "$s/[br]"
	touch "$s/main.o" "$s/main.c" "$s/a/b/c/deep.o" "$s/a/b/c/deep.c" \
		"$s/a/foo" "$s/x/foo" "$s/tmp/t" "$s/x/tmp/t" "$s/build/out" \
		"$s/dir/sub/f" "$s/dirx" "$s/keep.o" "$s/a/b/cache" \
		"$s/a/cache/z" "$s/sp ace/f.o" "$s/[br]/q" "$s/x.tar.gz"
}
teardown() { teardown_tmp; }

# same_as_rsync RULE...: the two lists of paths are the same, and not all
# of the tree (the rules exclude something)
same_as_rsync() {
	local a=() r
	for r in "$@"; do a+=(--filter="$r"); done
	rsync -r --dry-run --out-format='%n' "${a[@]}" "$T/src/" "$T/dst/" |
		grep -v '^\./$' | sort >"$T/rsync.txt"
	"$FILTERWALK" "$T/src" "$@" | sort >"$T/ours.txt"
	find "$T/src" -mindepth 1 | wc -l >"$T/all"
	diff -u "$T/rsync.txt" "$T/ours.txt" || fail "differs from rsync for: $*"
	(( $(wc -l <"$T/ours.txt") < $(<"$T/all") )) ||
		fail "the rules excluded nothing: $*"
}

@test "no slash: the last component, at any depth" {
	same_as_rsync '- *.o'
	same_as_rsync '- foo'
	same_as_rsync '- *.tar.*'
}

@test "anchored, trailing slash, a slash inside" {
	same_as_rsync '- /tmp'
	same_as_rsync '- tmp/'
	same_as_rsync '- a/foo'
	same_as_rsync '- b/*/deep.?'
	same_as_rsync '- /a/b/'
}

@test "** and the slash-and-three-stars rule" {
	same_as_rsync '- **/cache'
	same_as_rsync '- a/**'
	same_as_rsync '- /dir/***'
	same_as_rsync '- /a/**/deep.c'
}

@test "first match wins, include before exclude" {
	same_as_rsync '+ */' '+ *.c' '- *'
	same_as_rsync '+ keep.o' '- *.o'
	same_as_rsync '- *.o' '+ keep.o'
	same_as_rsync '+ /a/' '+ /a/b/***' '- *'
}

@test "classes, escapes, spaces and the ! modifier" {
	same_as_rsync '- [bx]'
	same_as_rsync '- [!a-m]*'
	same_as_rsync '- \[br\]'
	same_as_rsync '- sp ace/'
	same_as_rsync '-! *.c'
	same_as_rsync 'exclude *.o' 'include *'
}
