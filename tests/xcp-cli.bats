#!/usr/bin/env bats
# xcp-cli.bats: options, prompts and messages, compared with GNU cp.
#
# Every test runs the same command line with cp and with xcp on identical
# copies of a fixture (cmp_with_cp) and compares exit status, stdout,
# stderr (program name normalised) and the resulting trees; then asserts
# what is on disk.  Every test here must also pass with XCP=/bin/cp.

load helpers

setup() { setup_tmp; }
teardown() { teardown_tmp; }

# $T/in: a, b (older than a), new (newer than a), d/ (with d/x), e/
make_cli_fixture() {
	local d=$T/in
	mkdir -p "$d/d" "$d/e"
	printf 'content of a\n' >"$d/a"
	printf 'old b\n' >"$d/b"
	printf 'newer\n' >"$d/new"
	printf 'x\n' >"$d/d/x"
	set_fixture_times "$d"
	touch -h -m -d '2020-01-01 00:00:00.5' "$d/b"
	touch -h -m -d '2030-01-01 00:00:00.5' "$d/new"
	touch -h -d "$FIX_DIR_TIME" "$d"
}

# ---------------------------------------------------------------------------
# --help, --version

@test "xcp --help exits 0 and documents every cp option" {
	run_xcp --help
	assert_success
	assert_output --partial 'Usage:'
	local opt missing=()
	while read -r opt; do
		[[ $output == *"$opt"* ]] || missing+=("$opt")
	done < <("$CP_REF" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u)
	(( ${#missing[@]} == 0 )) || fail "--help does not mention: ${missing[*]}"
	run bash -c '"$0" --help 2>&1 >/dev/null' "$XCP"
	assert_output ''
}

@test "xcp --version exits 0 and names the program" {
	run_xcp --version
	assert_success
	[[ ${lines[0]} == *"$XCP_NAME"* ]] || fail "first line does not name $XCP_NAME: ${lines[0]}"
	run bash -c '"$0" --version 2>&1 >/dev/null' "$XCP"
	assert_output ''
}

# ---------------------------------------------------------------------------
# -n, -u, -i, -f

@test "xcp -n does not overwrite an existing file" {
	make_cli_fixture
	cmp_with_cp -- -n -v a b
	assert_success
	assert_output ''
	assert_equal "$(cat "$W/b")" 'old b'
}

@test "xcp -n copies to a missing destination" {
	make_cli_fixture
	cmp_with_cp -- -n a fresh
	assert_success
	cmp "$W/a" "$W/fresh"
}

@test "xcp -u replaces an older destination" {
	make_cli_fixture
	# xcp replaces an existing destination by renaming a complete file over
	# it (see ATOMICITY in xcp(1)), so the parent directory's mtime changes
	# where cp's in-place rewrite leaves it: directory mtimes are not compared
	cmp_with_cp --dump -D -- -u -v a b
	assert_success
	assert_output "'a' -> 'b'"
	cmp "$W/a" "$W/b"
}

@test "xcp -u keeps a newer destination" {
	make_cli_fixture
	cmp_with_cp -- -u -v a new
	assert_success
	assert_output ''
	assert_equal "$(cat "$W/new")" newer
}

@test "xcp -u keeps a destination with the same mtime" {
	make_cli_fixture
	"$CP_REF" -p "$T/in/new" "$T/in/same"
	printf 'same time, other data\n' >"$T/in/same"
	touch -r "$T/in/new" "$T/in/same"
	cmp_with_cp -- -u new same
	assert_success
	assert_equal "$(cat "$W/same")" 'same time, other data'
}

@test "xcp -i answered y overwrites" {
	make_cli_fixture
	# xcp replaces an existing destination by renaming a complete file over
	# it (see ATOMICITY in xcp(1)), so the parent directory's mtime changes
	# where cp's in-place rewrite leaves it: directory mtimes are not compared
	cmp_with_cp --dump -D --stdin $'y\n' -- -i a b
	assert_success
	assert_equal "$stderr" "$XCP_NAME: overwrite 'b'? "
	cmp "$W/a" "$W/b"
}

@test "xcp -i answered n keeps the destination" {
	make_cli_fixture
	cmp_with_cp --stdin $'n\n' -- -i a b
	assert_success
	assert_equal "$stderr" "$XCP_NAME: overwrite 'b'? "
	assert_equal "$(cat "$W/b")" 'old b'
}

@test "xcp -i at end of input keeps the destination" {
	make_cli_fixture
	cmp_with_cp -- -i -v a b
	assert_success
	assert_equal "$(cat "$W/b")" 'old b'
}

@test "xcp -i does not prompt for a new destination" {
	make_cli_fixture
	cmp_with_cp --stdin $'n\n' -- -i a fresh
	assert_success
	assert_equal "$stderr" ''
	cmp "$W/a" "$W/fresh"
}

@test "xcp -i -R prompts per file and obeys each answer" {
	make_cli_fixture
	mkdir "$T/in/dst"
	printf 'new x\n' >"$T/in/d/x"
	printf 'new y\n' >"$T/in/d/y"
	mkdir "$T/in/dst/d"
	printf 'old x\n' >"$T/in/dst/d/x"
	printf 'old y\n' >"$T/in/dst/d/y"
	set_fixture_times "$T/in"
	# the order of the prompts follows the directory order, which xcp
	# need not share with cp: no tree comparison, the answers are checked
	# against the order of xcp's own prompts
	cmp_with_cp --no-tree --status-only --stdin $'y\nn\n' -- -i -R d dst
	assert_success
	local first second
	[[ $stderr =~ ^$XCP_NAME:\ overwrite\ \'dst/d/(x|y)\'\?\ $XCP_NAME:\ overwrite\ \'dst/d/(x|y)\'\?\ $ ]] ||
		fail "unexpected prompts: $stderr"
	first=${BASH_REMATCH[1]}
	second=${BASH_REMATCH[2]}
	assert_not_equal "$first" "$second"
	assert_equal "$(cat "$W/dst/d/$first")" "new $first"
	assert_equal "$(cat "$W/dst/d/$second")" "old $second"
}

@test "xcp -n -i and -i -n: the last one wins like cp" {
	make_cli_fixture
	# xcp replaces an existing destination by renaming a complete file over
	# it (see ATOMICITY in xcp(1)), so the parent directory's mtime changes
	# where cp's in-place rewrite leaves it: directory mtimes are not compared
	cmp_with_cp --dump -D --stdin $'y\n' -- -n -i a b
	assert_success
	cmp_with_cp --stdin $'y\n' -- -i -n a b
	assert_success
	assert_equal "$(cat "$W/b")" 'old b'
}

@test "xcp -f replaces a destination it cannot open (as an unprivileged user)" {
	require_root "setpriv to an unprivileged user"
	make_cli_fixture
	chown 65534:65534 "$T/in"
	chown 65534:65534 "$T/in/b"
	chmod 444 "$T/in/b"
	touch -h -d "$FIX_DIR_TIME" "$T/in"
	cmp_with_cp --as-nobody -- -f a b
	assert_success
	cmp "$W/a" "$W/b"
	assert_equal "$(stat -c %u "$W/b")" 65534
}

@test "xcp without -f cannot replace a destination it cannot open" {
	require_root "setpriv to an unprivileged user"
	make_cli_fixture
	chown 65534:65534 "$T/in"
	chmod 444 "$T/in/b"
	touch -h -d "$FIX_DIR_TIME" "$T/in"
	cmp_with_cp --as-nobody -- a b
	assert_failure 1
	assert_equal "$(cat "$W/b")" 'old b'
}

@test "xcp -f as root overwrites a read-only destination in place" {
	make_cli_fixture
	chmod 444 "$T/in/b"
	# xcp replaces an existing destination by renaming a complete file over
	# it (see ATOMICITY in xcp(1)), so the parent directory's mtime changes
	# where cp's in-place rewrite leaves it: directory mtimes are not compared
	cmp_with_cp --dump -D -- -f a b
	assert_success
	cmp "$W/a" "$W/b"
}

# ---------------------------------------------------------------------------
# backups

@test "xcp -b makes a simple backup" {
	make_cli_fixture
	cmp_with_cp -- -b -v a b
	assert_success
	assert_output "'a' -> 'b' (backup: 'b~')"
	assert_equal "$(cat "$W/b~")" 'old b'
	cmp "$W/a" "$W/b"
}

@test "xcp --backup=numbered twice gives ~1~ and ~2~" {
	make_cli_fixture
	cmp_with_cp -- --backup=numbered a b
	assert_success
	# second run on the result of the first
	rm -rf "$T/in"
	mv "$T/xcp" "$T/in"
	cmp_with_cp -- --backup=numbered -v new b
	assert_success
	assert_output "'new' -> 'b' (backup: 'b.~2~')"
	assert_equal "$(cat "$W/b.~1~")" 'old b'
	assert_equal "$(cat "$W/b.~2~")" 'content of a'
	assert_equal "$(cat "$W/b")" newer
}

@test "xcp --backup=existing uses numbered backups only when some exist" {
	make_cli_fixture
	printf 'older backup\n' >"$T/in/b.~1~"
	printf 'simple\n' >"$T/in/new~"
	set_fixture_times "$T/in"
	cmp_with_cp -- --backup=existing -v a b
	assert_success
	assert_file_exists "$W/b.~2~"
	cmp_with_cp -- --backup=existing -v a new
	assert_success
	assert_equal "$(cat "$W/new~")" newer
}

@test "xcp -b honours VERSION_CONTROL" {
	make_cli_fixture
	VERSION_CONTROL=numbered cmp_with_cp -- -b -v a b
	assert_success
	assert_equal "$(cat "$W/b.~1~")" 'old b'
}

@test "xcp -b -S .bak and -S alone" {
	make_cli_fixture
	cmp_with_cp -- -b -S .bak -v a b
	assert_success
	assert_equal "$(cat "$W/b.bak")" 'old b'
	cmp_with_cp -- -S .orig -v a b
	assert_success
	assert_equal "$(cat "$W/b.orig")" 'old b'
}

@test "xcp -b -R backs up files inside directories" {
	make_cli_fixture
	mkdir "$T/in/dst"
	"$CP_REF" -a "$T/in/d" "$T/in/dst/d"
	printf 'changed\n' >"$T/in/d/x"
	set_fixture_times "$T/in"
	cmp_with_cp -- -b -R d dst
	assert_success
	assert_equal "$(cat "$W/dst/d/x~")" x
}

@test "xcp --backup=bogus fails like cp" {
	make_cli_fixture
	cmp_with_cp -- --backup=bogus a b
	assert_failure 1
}

@test "xcp --backup with -n is rejected like cp" {
	make_cli_fixture
	cmp_with_cp -- --backup=numbered -n a b
	assert_failure 1
	assert_equal "$(cat "$W/b")" 'old b'
}

# ---------------------------------------------------------------------------
# -v, --remove-destination, --strip-trailing-slashes

@test "xcp -v prints one line per file" {
	make_cli_fixture
	cmp_with_cp -- -v a b e
	assert_success
	assert_line --index 0 "'a' -> 'e/a'"
	assert_line --index 1 "'b' -> 'e/b'"
	assert_equal "${#lines[@]}" 2
}

@test "xcp -Rv prints directories and files" {
	make_cli_fixture
	cmp_with_cp --unordered -- -R -v d copy
	assert_success
	assert_line "'d' -> 'copy'"
	assert_line "'d/x' -> 'copy/x'"
}

@test "xcp -v quotes awkward names like cp" {
	make_cli_fixture
	printf 'q\n' >"$T/in/it's"
	printf 'n\n' >"$T/in/new"$'\n'"line"
	set_fixture_times "$T/in"
	cmp_with_cp -- -v "it's" $'new\nline' e
	assert_success
	cmp_with_cp -- -v a $'\xff\tx'
	assert_success
	assert_file_exists "$W/"$'\xff\tx'
}

@test "xcp --remove-destination replaces a symlink instead of writing through it" {
	make_cli_fixture
	ln -s b "$T/in/link"
	cmp_with_cp -- -v --remove-destination a link
	assert_success
	assert_line --index 0 "removed 'link'"
	[[ -f $W/link && ! -L $W/link ]] || fail "link was not replaced by a file"
	assert_equal "$(cat "$W/b")" 'old b'
	cmp "$W/a" "$W/link"
}

@test "xcp --remove-destination gives a hardlinked destination a new inode" {
	make_cli_fixture
	ln "$T/in/b" "$T/in/b2"
	cmp_with_cp -- --remove-destination a b
	assert_success
	assert_not_equal "$(inode_of "$W/b")" "$(inode_of "$W/b2")"
	assert_equal "$(cat "$W/b2")" 'old b'
}

@test "xcp --strip-trailing-slashes" {
	make_cli_fixture
	cmp_with_cp -- -R -v --strip-trailing-slashes d/ e/
	assert_success
	assert_output "'d' -> 'e/d'"$'\n'"'d/x' -> 'e/d/x'"
	assert_file_exists "$W/e/d/x"
	cmp_with_cp -- -v --strip-trailing-slashes a/ e
	assert_success
	assert_output "'a' -> 'e/a'"
	cmp "$W/a" "$W/e/a"
	# GNU cp 9.1 strips only when copying into a directory: with a plain
	# destination name the source keeps its slash ("cannot stat 'a/'")
	cmp_with_cp -- --strip-trailing-slashes a/ fresh
	assert_failure 1
	assert_file_not_exists "$W/fresh"
}

# ---------------------------------------------------------------------------
# writing onto existing destinations

@test "xcp onto a symlink to an existing file writes through it" {
	make_cli_fixture
	ln -s b "$T/in/link"
	cmp_with_cp -- a link
	assert_success
	[[ -L $W/link ]] || fail "link is no longer a symlink"
	assert_equal "$(readlink "$W/link")" b
	cmp "$W/a" "$W/b"
}

@test "xcp onto a dangling symlink refuses like cp" {
	make_cli_fixture
	ln -s nowhere "$T/in/dang"
	cmp_with_cp -- a dang
	assert_failure 1
	assert_file_not_exists "$W/nowhere"
}

@test "xcp only: onto a hardlinked destination it replaces the name, other links keep the old data" {
	# A documented difference from cp (ATOMICITY in xcp(1)): cp rewrites
	# the destination inode in place, so every link of it changes; xcp
	# renames a complete new file over the name, so a crash never leaves a
	# half-written file, and the other links keep the data they had.
	make_cli_fixture
	ln "$T/in/b" "$T/in/b2"
	cp -a "$T/in" "$T/w"
	cd "$T/w"
	run "$XCP" a b
	assert_success
	cmp a b
	assert_equal "$(cat b2)" 'old b'
	assert_equal "$(stat -c %h b)" 1
	assert_equal "$(stat -c %h b2)" 1
}

@test "xcp onto an existing file keeps its mode, owner, ACL and xattrs (no -p)" {
	make_cli_fixture
	chmod 640 "$T/in/b"
	chown 1234:5678 "$T/in/b" 2>/dev/null || true
	setfattr -n user.keep -v me "$T/in/b"
	setfacl -m u:4321:r "$T/in/b"
	setfattr -n user.src -v src "$T/in/a"
	set_fixture_times "$T/in"
	# xcp replaces an existing destination by renaming a complete file over
	# it (see ATOMICITY in xcp(1)), so the parent directory's mtime changes
	# where cp's in-place rewrite leaves it: directory mtimes are not compared
	cmp_with_cp --dump -D -- a b
	assert_success
	cmp "$W/a" "$W/b"
	run getfattr --absolute-names -n user.keep --only-values "$W/b"
	assert_output me
	run getfacl -cn "$W/b"
	assert_line 'user:4321:r--'
}

@test "xcp onto a longer existing file truncates it" {
	make_cli_fixture
	head -c 100000 /dev/urandom >"$T/in/big"
	set_fixture_times "$T/in"
	# xcp replaces an existing destination by renaming a complete file over
	# it (see ATOMICITY in xcp(1)), so the parent directory's mtime changes
	# where cp's in-place rewrite leaves it: directory mtimes are not compared
	cmp_with_cp --dump -D -- a big
	assert_success
	cmp "$W/a" "$W/big"
}

@test "xcp will not overwrite a just-created file with a second source" {
	make_cli_fixture
	mkdir -p "$T/in/s1" "$T/in/s2"
	printf 'one\n' >"$T/in/s1/f"
	printf 'two\n' >"$T/in/s2/f"
	set_fixture_times "$T/in"
	cmp_with_cp -- s1/f s2/f e
	assert_failure 1
	assert_equal "$(cat "$W/e/f")" one
}

@test "xcp warns about a source given twice" {
	make_cli_fixture
	cmp_with_cp -- a a e
	assert_success
	cmp "$W/a" "$W/e/a"
}

@test "xcp -- copies a file whose name starts with a dash" {
	make_cli_fixture
	printf 'dash\n' >"$T/in/-x"
	set_fixture_times "$T/in"
	cmp_with_cp -- -- -x -y
	assert_success
	cmp "$W/-x" "$W/-y"
}

@test "xcp -R --copy-contents reads a character device" {
	require_root "mknod"
	make_cli_fixture
	mkdir "$T/in/devs"
	mknod "$T/in/devs/null" c 1 3
	set_fixture_times "$T/in"
	cmp_with_cp -- -R --copy-contents devs out
	assert_success
	[[ -f $W/out/null && ! -s $W/out/null ]] || fail "out/null is not an empty regular file"
}

# ---------------------------------------------------------------------------
# usage errors

@test "xcp with no operand: missing file operand" {
	make_cli_fixture
	cmp_with_cp --
	assert_failure 1
	assert_equal "${stderr_lines[1]}" "Try '$XCP_NAME --help' for more information."
}

@test "xcp with one operand: missing destination file operand" {
	make_cli_fixture
	cmp_with_cp -- a
	assert_failure 1
	[[ $stderr == *"missing destination file operand after 'a'"* ]] || fail "$stderr"
}

@test "xcp -t with a non-directory fails like cp" {
	make_cli_fixture
	cmp_with_cp -- -t b a
	assert_failure 1
	assert_equal "$(cat "$W/b")" 'old b'
}

@test "xcp with several sources and a non-directory target fails like cp" {
	make_cli_fixture
	cmp_with_cp -- a new b
	assert_failure 1
	assert_equal "$(cat "$W/b")" 'old b'
}

@test "xcp with several sources and a missing target fails like cp" {
	make_cli_fixture
	cmp_with_cp -- a new nothere
	assert_failure 1
	assert_file_not_exists "$W/nothere"
}

@test "xcp -t and -T together fail like cp" {
	make_cli_fixture
	cmp_with_cp -- -t e -T a b
	assert_failure 1
}

@test "xcp -l -s together fail like cp" {
	make_cli_fixture
	cmp_with_cp -- -l -s a fresh
	assert_failure 1
	assert_file_not_exists "$W/fresh"
}

@test "xcp with an unknown long option exits 1 like cp" {
	make_cli_fixture
	cmp_with_cp -- --bogus a fresh
	assert_failure 1
	assert_file_not_exists "$W/fresh"
}

@test "xcp with an unknown short option exits 1 like cp" {
	make_cli_fixture
	cmp_with_cp -- -J a fresh
	assert_failure 1
	assert_file_not_exists "$W/fresh"
}

@test "xcp --reflink=bogus fails like cp" {
	make_cli_fixture
	cmp_with_cp -- --reflink=bogus a fresh
	assert_failure 1
	assert_file_not_exists "$W/fresh"
}

@test "xcp --reflink=bogus in a UTF-8 locale quotes like cp" {
	make_cli_fixture
	LC_ALL=C.UTF-8 cmp_with_cp -- --reflink=bogus a fresh
	assert_failure 1
}

@test "xcp --sparse=bogus and --preserve=bogus fail like cp" {
	make_cli_fixture
	cmp_with_cp -- --sparse=bogus a fresh
	assert_failure 1
	cmp_with_cp -- --preserve=bogus a fresh
	assert_failure 1
	cmp_with_cp -- -a --no-preserve=bogus a fresh
	assert_failure 1
}

@test "xcp --reflink=auto and --reflink=never copy like cp" {
	make_cli_fixture
	cmp_with_cp -- --reflink=auto a r1
	assert_success
	cmp_with_cp -- --reflink=never a r2
	assert_success
	cmp "$W/a" "$W/r2"
}

@test "xcp without -r omits a directory" {
	make_cli_fixture
	cmp_with_cp -- d a e
	assert_failure 1
	assert_file_exists "$W/e/a"
	assert_file_not_exists "$W/e/d"
}
