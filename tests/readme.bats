#!/usr/bin/env bats
# readme.bats: the examples of README.md's "Three ways people use it" run as
# written.  Each example is a fenced block right after a line
# "<!-- readme-test: NAME -->" (an HTML comment: GitHub does not show it).
# The shell one-liners run in a directory of fixtures, line by line; the
# scripts read their paths from the environment and run on temporary
# directories; the systemd units go through systemd-analyze verify and the
# cron line through a field check, and both run the backup script the way
# they would.  What the examples say they do is then checked on disk.

bats_require_minimum_version 1.5.0

load helpers

# The marked blocks, all of which must be in README.md.
BLOCKS=(shell-xcp shell-xsync shell-jailclone provision-jails update-jails
	xsync-nightly crontab xsync-nightly.service xsync-nightly.timer)
# Where the README installs the backup script (the units and the cron line
# run it from there).
NIGHTLY_PATH=/usr/local/sbin/xsync-nightly

setup() {
	setup_all
	README=$BATS_TEST_DIRNAME/../README.md
	[[ -f $README ]] || fail "no README.md at $README"
	# the commands under test, by their own names, first on PATH
	mkdir "$T/bin" "$T/scripts"
	ln -s "$(realpath "$XCP")" "$T/bin/xcp"
	ln -s "$(realpath "$XSYNC")" "$T/bin/xsync"
	ln -s "$(realpath "$JAILCLONE")" "$T/bin/jailclone"
	PATH=$T/bin:$PATH
	export PATH
}
teardown() { teardown_tmp; }

# _block NAME: the text of the fenced block marked NAME (fails when there
# is no such mark, or when it is not directly followed by a fenced block).
_block() {
	awk -v name="$1" '
		$0 == "<!-- readme-test: " name " -->" { want = 1; next }
		want == 1 && /^```[a-z]*$/ { want = 2; next }
		want == 1 { exit }
		want == 2 && /^```$/ { found = 1; exit }
		want == 2 { print }
		END { if (!found) exit 1 }
	' "$README" || fail "README.md has no fenced block marked '$1'"
}

# _script NAME: the block NAME as an executable script $T/scripts/NAME
# (echoed).
_script() {
	local f=$T/scripts/$1
	_block "$1" >"$f"
	[[ $(head -n1 "$f") == '#!/bin/bash' ]] || fail "$1 does not start with #!/bin/bash"
	chmod 755 "$f"
	echo "$f"
}

# _need TOOL...: skip (or fail under CI) without them
_need() {
	local t
	for t; do
		command -v "$t" >/dev/null || skip_or_fail "needs $t"
	done
}

# _lines NAME: the command lines of a shell block (comments are kept: they
# are the explanations), one per line; a block must have no continuation
# lines, so that each line runs alone.
_lines() {
	local text
	text=$(_block "$1")
	if grep -q '\\$' <<<"$text"; then
		fail "$1: a line continues on the next one"
	fi
	grep -v '^[[:space:]]*\(#.*\)\?$' <<<"$text"
}

# _run_line LINE: run one command line of a shell block as bash would, in
# the current directory; it must succeed.
_run_line() {
	run --separate-stderr bash -c "$1"
	[[ $status -eq 0 ]] ||
		fail "'$1' exited $status: $output $stderr"
}

# _same_bytes A B: regular files A and B have the same bytes
_same_bytes() { cmp -s -- "$1" "$2" || fail "$2 differs from $1"; }

# _files DIR: the paths of the entries below DIR, sorted, with their types
_files() { (cd "$1" && find . -mindepth 1 -printf '%y %p\n' | LC_ALL=C sort); }

# ---------------------------------------------------------------------------
# fixtures

# _template DIR: a small root tree for jails
_template() {
	local d=$1
	mkdir -p "$d"/{etc,usr/bin,usr/lib,var/log,tmp}
	printf 'template\n' >"$d/etc/hostname"
	printf 'PRETTY_NAME="Template 1"\n' >"$d/etc/os-release"
	printf 'hosts: files dns\n' >"$d/etc/nsswitch.conf"
	head -c 70000 /dev/urandom >"$d/usr/bin/tool"
	chmod 755 "$d/usr/bin/tool"
	head -c 200000 /dev/urandom >"$d/usr/lib/libbig.so.1"
	ln -s libbig.so.1 "$d/usr/lib/libbig.so"
	printf 'old\n' >"$d/usr/lib/going-away"
	chmod 1777 "$d/tmp"
	set_fixture_times "$d"
}

# _assert_jail JAIL TEMPLATE HOSTNAME: JAIL holds TEMPLATE's entries with
# TEMPLATE's bytes, etc/hostname is HOSTNAME, and the overrides of
# provision-jails are in place.
_assert_jail() {
	local j=$1 t=$2 h=$3 f
	[[ -d $j ]] || fail "no jail $j"
	# the same entries, and etc/motd and etc/resolv.conf added
	diff <( (_files "$t"; printf '%s\n' 'f ./etc/motd' 'f ./etc/resolv.conf') |
		LC_ALL=C sort) <(_files "$j") ||
		fail "$j does not hold the template's entries"
	while IFS= read -r f; do
		[[ $f == ./etc/hostname ]] && continue
		_same_bytes "$t/$f" "$j/$f"
	done < <(cd "$t" && find . -type f)
	[[ $(readlink "$j/usr/lib/libbig.so") == libbig.so.1 ]]
	[[ $(cat "$j/etc/hostname") == "$h" ]] ||
		fail "$j/etc/hostname: $(cat "$j/etc/hostname"), not $h"
	[[ $(cat "$j/etc/motd") == "Welcome to ${j##*/}." ]] ||
		fail "$j/etc/motd: $(cat "$j/etc/motd")"
	_same_bytes "$RESOLV" "$j/etc/resolv.conf"
}

# _provision_env: the environment provision-jails and update-jails read
_provision_env() {
	_template "$T/template"
	printf 'nameserver 192.0.2.53\nsearch example.test\n' >"$T/resolv.conf"
	export TEMPLATE=$T/template JAILS=$T/jails STORE=$T/store COUNT=3
	export DOMAIN=example.test RESOLV=$T/resolv.conf
	PROVISION=$(_script provision-jails)
}

# _source DIR: a tree to back up
_source() {
	mkdir -p "$1/docs/deep"
	head -c 300000 /dev/urandom >"$1/big"
	head -c 5000 /dev/urandom >"$1/docs/deep/small.bin"
	printf 'notes\n' >"$1/docs/notes.txt"
	ln "$1/big" "$1/big.link"
	ln -s docs/notes.txt "$1/notes"
	setfattr -n user.tag -v one "$1/docs/notes.txt"
	set_fixture_times "$1"
}

# _snaps REPO: its complete snapshots, oldest first
_snaps() { "$XSYNC" list "$1" | awk 'NR > 1 { print $1 }'; }

# ---------------------------------------------------------------------------
# the marks

@test "every fenced block of README.md is marked, every mark is on a block, no name twice" {
	local n
	run awk '
		/^<!-- readme-test: / { marked = NR + 1; names[$3]++ }
		/^```/ {
			if (!open && NR != marked)
				print "line " NR ": a fenced block without a mark"
			open = !open
		}
		END {
			if (open) print "a fenced block is not closed"
			for (n in names) if (names[n] > 1) print n " marked twice"
		}' "$README"
	assert_success
	assert_output ''
	for n in "${BLOCKS[@]}"; do
		_block "$n" >/dev/null
	done
	# no mark this test does not know
	run sed -n 's/^<!-- readme-test: \(.*\) -->$/\1/p' "$README"
	assert_output "$(printf '%s\n' "${BLOCKS[@]}")"
}

# ---------------------------------------------------------------------------
# at the shell

@test "at the shell: the xcp lines copy, clone (XFS) and record as they say" {
	local -a L
	mount_fs xfs 300M
	mkdir "$MNT/w"
	cd "$MNT/w"
	mkdir -p site/img notes
	printf '<h1>hi</h1>\n' >site/index.html
	head -c 100000 /dev/urandom >site/img/logo.png
	ln -s index.html site/home.html
	ln site/index.html site/index.htm
	setfattr -n user.lang -v en site/index.html
	printf 'todo\n' >notes/todo.txt
	head -c 1048576 /dev/urandom >disk.img
	set_fixture_times site
	mapfile -t L < <(_lines shell-xcp)
	[[ ${#L[@]} -eq 5 ]] || fail "expected 5 lines: ${L[*]}"

	_run_line "${L[0]}" # xcp -a site/ site.bak
	assert_same_tree site site.bak -X -H
	_run_line "${L[1]}" # xcp -r notes/ notes.old
	_same_bytes notes/todo.txt notes.old/todo.txt
	_run_line "${L[2]}" # xcp --reflink=always disk.img disk.snap
	_same_bytes disk.img disk.snap
	assert_shared disk.snap
	_run_line "${L[3]}" # xcp -a --manifest=site.xcpm site/ site.2
	assert_same_tree site site.2 -X -H
	run "$XSYNC" verify site.xcpm site.2
	assert_success
	assert_output ''
	# not a terminal: the copy, and not a byte of progress
	_run_line "${L[4]}" # xcp -a --progress site/ site.3
	assert_output ''
	[[ -z $stderr ]] || fail "progress on a pipe: $stderr"
	assert_same_tree site site.3 -X -H
}

@test "at the shell: the xsync lines dry-run, mirror, record, verify and snapshot as they say" {
	local -a L
	local before snap
	mkdir "$T/w"
	cd "$T/w"
	mkdir -p site/img mirror/img
	printf '<h1>hi</h1>\n' >site/index.html
	head -c 100000 /dev/urandom >site/img/logo.png
	printf 'stale\n' >mirror/old.html
	printf 'outdated\n' >mirror/index.html
	set_fixture_times site
	mapfile -t L < <(_lines shell-xsync)
	[[ ${#L[@]} -eq 6 ]] || fail "expected 6 lines: ${L[*]}"

	before=$(treedump_of mirror)
	_run_line "${L[0]}" # the dry run
	assert_line '*deleting   old.html'
	assert_line --partial 'index.html'
	[[ $(treedump_of mirror) == "$before" ]] || fail "the dry run changed mirror/"
	_run_line "${L[1]}" # the mirror
	assert_line '*deleting   old.html'
	assert_same_tree site mirror
	_run_line "${L[2]}" # xsync manifest -o site.xcpm site/
	[[ $(head -n1 site.xcpm) == '#xcpm 1' ]]
	_run_line "${L[3]}" # xsync verify site.xcpm mirror/
	assert_output ''
	# and it would have said so if mirror/ differed
	printf 'x' >>mirror/index.html
	run bash -c "${L[3]}"
	assert_failure 2
	assert_output --partial './index.html'
	_run_line "${L[4]}" # xsync snapshot site/ site.snapshots
	snap=$(readlink site.snapshots/latest)
	assert_same_tree site "site.snapshots/$snap"
	_run_line "${L[5]}" # xsync list -h site.snapshots
	assert_line --regexp "^$snap "
	[[ ${#lines[@]} -eq 2 ]]
}

@test "at the shell: the jailclone lines create, list, measure and verify jails as they say" {
	local -a L
	local i
	mkdir "$T/w"
	cd "$T/w"
	_template template
	mapfile -t L < <(_lines shell-jailclone)
	[[ ${#L[@]} -eq 6 ]] || fail "expected 6 lines: ${L[*]}"
	_run_line "${L[0]}" # mkdir jails
	_run_line "${L[1]}" # jailclone create ... jails/web1
	_run_line "${L[2]}" # jailclone create ... jails/web2
	for i in 1 2; do
		[[ $(cat "jails/web$i/etc/hostname") == "web$i" ]]
		_same_bytes template/usr/bin/tool "jails/web$i/usr/bin/tool"
		_same_bytes template/usr/lib/libbig.so.1 "jails/web$i/usr/lib/libbig.so.1"
	done
	_run_line "${L[3]}" # jailclone list jails
	assert_line --regexp '^web1 +[a-z]+ +0 '
	assert_line --regexp '^web2 +[a-z]+ +0 '
	_run_line "${L[4]}" # jailclone du -h jails/*
	assert_line --regexp ' jails/web1$'
	assert_line --regexp ' jails/web2$'
	assert_line --partial 'total'
	_run_line "${L[5]}" # jailclone verify jails/web1
	assert_output 'override ./etc/hostname'
	printf 'x' >>jails/web1/etc/os-release
	run bash -c "${L[5]}"
	assert_failure 2
	assert_line --partial 'modified ./etc/os-release'
}

# ---------------------------------------------------------------------------
# the jail provisioning script

@test "provision-jails: makes the jails with the template's bytes, host names and overrides; a rerun changes nothing" {
	local i ino
	_need jq
	_provision_env
	run --separate-stderr "$PROVISION"
	assert_success
	for i in 1 2 3; do
		_assert_jail "$JAILS/web$i" "$TEMPLATE" "web$i.example.test"
		run "$JAILCLONE" verify "$JAILS/web$i"
		assert_success
	done
	[[ ! -e $JAILS/web4 ]]
	run "$JAILCLONE" list "$JAILS"
	[[ ${#lines[@]} -eq 4 ]] || fail "list: $output"
	ino=$(inode_of "$JAILS/web2")
	run --separate-stderr "$PROVISION"
	assert_success
	assert_output ''
	[[ -z $stderr ]] || fail "stderr: $stderr"
	[[ $(inode_of "$JAILS/web2") == "$ino" ]] || fail "web2 was made again"
}

@test "provision-jails: a jail that drifted is named with what changed, exit 2; REPAIR=yes remakes it" {
	local ino1 ino2
	_need jq
	_provision_env
	run "$PROVISION"
	assert_success
	printf 'tampered' >>"$JAILS/web2/usr/bin/tool"
	ino1=$(inode_of "$JAILS/web1")
	ino2=$(inode_of "$JAILS/web2")

	run --separate-stderr "$PROVISION"
	assert_failure 2
	[[ $stderr == *"provision-jails: $JAILS/web2 drifted from its template:"* ]] ||
		fail "stderr: $stderr"
	[[ $stderr == *'  modified ./usr/bin/tool'* ]] || fail "stderr: $stderr"
	[[ $stderr != *web1* && $stderr != *web3* ]] || fail "stderr: $stderr"
	[[ $stderr != *override* ]] || fail "overrides reported as drift: $stderr"
	# left as it is
	[[ $(tail -c 8 "$JAILS/web2/usr/bin/tool") == tampered ]]
	[[ $(inode_of "$JAILS/web2") == "$ino2" ]]

	REPAIR=yes run --separate-stderr "$PROVISION"
	assert_success
	# destroyed and made again (its inode number may well come back)
	assert_line --regexp "^destroyed '.*/web2'$"
	assert_line --regexp "^created '.*/web2' \\([a-z]+\\)$"
	[[ $(tail -c 8 "$JAILS/web2/usr/bin/tool") != tampered ]]
	[[ $(inode_of "$JAILS/web1") == "$ino1" ]] || fail "web1 was made again"
	_assert_jail "$JAILS/web2" "$TEMPLATE" web2.example.test
	run "$JAILCLONE" verify "$JAILS/web2"
	assert_success
	run "$PROVISION"
	assert_success
}

@test "provision-jails: a new jail that does not verify is destroyed, exit 3; the next run makes it" {
	_need jq
	_provision_env
	COUNT=2 run "$PROVISION"
	assert_success
	# a jailclone that changes FAULT_JAIL just before verifying it
	mkdir "$T/fault"
	cat >"$T/fault/jailclone" <<-EOF
		#!/bin/bash
		if [[ \$1 == verify && \${!#} == "$JAILS/web3" ]]; then
			printf x >>"$JAILS/web3/etc/os-release"
		fi
		exec "$T/bin/jailclone" "\$@"
	EOF
	chmod 755 "$T/fault/jailclone"
	PATH=$T/fault:$PATH run --separate-stderr "$PROVISION"
	assert_failure 3
	[[ $stderr == *"provision-jails: $JAILS/web3 does not verify: destroying it"* ]] ||
		fail "stderr: $stderr"
	[[ ! -e $JAILS/web3 ]] || fail "web3 was left"
	run "$JAILCLONE" list "$JAILS"
	refute_line --partial web3
	_assert_jail "$JAILS/web1" "$TEMPLATE" web1.example.test
	_assert_jail "$JAILS/web2" "$TEMPLATE" web2.example.test

	run "$PROVISION"
	assert_success
	_assert_jail "$JAILS/web3" "$TEMPLATE" web3.example.test
}

@test "provision-jails: an unusable template exits 4 and makes nothing; a path that is no jail exits 3" {
	_need jq
	_provision_env
	TEMPLATE=$T/missing run --separate-stderr "$PROVISION"
	assert_failure 4
	[[ $stderr == *"provision-jails: template $T/missing cannot be used: no jail made"* ]] ||
		fail "stderr: $stderr"
	run ls -A "$JAILS"
	refute_output --partial web

	mkdir -p "$JAILS/web2"
	run --separate-stderr "$PROVISION"
	assert_failure 3
	[[ $stderr == *"provision-jails: $JAILS/web2 cannot be checked"* ]] ||
		fail "stderr: $stderr"
	_assert_jail "$JAILS/web1" "$TEMPLATE" web1.example.test
	_assert_jail "$JAILS/web3" "$TEMPLATE" web3.example.test
	run ls -A "$JAILS/web2"
	assert_output ''
}

@test "update-jails: every jail follows the new template and keeps its own changes; a conflict exits 2" {
	local update new=$T/template-2 i
	_need jq
	_provision_env
	run "$PROVISION"
	assert_success
	update=$(_script update-jails)
	cp -a "$TEMPLATE" "$new"
	head -c 70000 /dev/urandom >"$new/usr/bin/tool"
	printf 'PRETTY_NAME="Template 2"\n' >"$new/etc/os-release"
	printf 'new\n' >"$new/usr/bin/tool2"
	rm "$new/usr/lib/going-away"
	# web1 changed what the new template changes too; web3 added a file
	printf 'PRETTY_NAME="Mine"\n' >"$JAILS/web1/etc/os-release"
	printf 'local\n' >"$JAILS/web3/etc/local.conf"

	NEW_TEMPLATE=$new run --separate-stderr "$update"
	assert_failure 2
	[[ $stderr == *'update-jails: conflicts (above)'* ]] || fail "stderr: $stderr"
	assert_line --partial "$JAILS/web1: conflict ./etc/os-release"
	for i in 1 2 3; do
		_same_bytes "$new/usr/bin/tool" "$JAILS/web$i/usr/bin/tool"
		_same_bytes "$new/usr/bin/tool2" "$JAILS/web$i/usr/bin/tool2"
		[[ ! -e $JAILS/web$i/usr/lib/going-away ]]
		[[ $(cat "$JAILS/web$i/etc/hostname") == "web$i.example.test" ]]
		[[ $(cat "$JAILS/web$i/etc/motd") == "Welcome to web$i." ]]
		_same_bytes "$RESOLV" "$JAILS/web$i/etc/resolv.conf"
	done
	_same_bytes "$new/etc/os-release" "$JAILS/web2/etc/os-release"
	[[ $(cat "$JAILS/web1/etc/os-release") == 'PRETTY_NAME="Mine"' ]]
	_same_bytes "$new/etc/os-release" "$JAILS/web1/etc/os-release.jailclone-new"
	_same_bytes "$TEMPLATE/etc/os-release" "$JAILS/web1/etc/os-release.jailclone-old"
	[[ $(cat "$JAILS/web3/etc/local.conf") == local ]]
	run "$JAILCLONE" list --json "$JAILS"
	[[ $(jq -r '[.jails[].template] | unique | .[]' <<<"$output") == "$new" ]] ||
		fail "templates: $output"

	# an unusable template: no jail changed
	NEW_TEMPLATE=$T/missing run --separate-stderr "$update"
	assert_failure 4
	[[ $stderr == *"update-jails: template $T/missing cannot be used: no jail changed"* ]] ||
		fail "stderr: $stderr"
	run "$JAILCLONE" list --json "$JAILS"
	[[ $(jq -r '[.jails[].template] | unique | .[]' <<<"$output") == "$new" ]]
}

# ---------------------------------------------------------------------------
# the nightly backup job

@test "xsync-nightly: a snapshot with the source's bytes, verified, pruned to 7 daily and 4 weekly" {
	local nightly one n d new
	nightly=$(_script xsync-nightly)
	_source "$T/src"
	export SRC=$T/src REPO=$T/repo
	# a month of nightly snapshots, dated as the repository dates them
	# (by name): copies of a real one, under chosen names in March 2025
	"$XSYNC" snapshot "$SRC" "$REPO"
	one=$(readlink "$REPO/latest")
	for d in $(seq -w 1 31) 31-late; do
		case $d in
		31-late) n=2025-03-31T150000Z ;;
		*) n=2025-03-${d}T031500Z ;;
		esac
		cp -al "$REPO/$one" "$REPO/$n"
		cp "$REPO/.xsync/$one.xcpm" "$REPO/.xsync/$n.xcpm"
	done
	rm -rf "${REPO:?}/$one" "$REPO/.xsync/$one.xcpm"
	[[ $(_snaps "$REPO" | wc -l) -eq 32 ]]

	run --separate-stderr "$nightly"
	assert_success
	new=$(readlink "$REPO/latest")
	[[ $new == 20[0-9][0-9]-*Z && $new > 2025-04 ]] || fail "latest: $new"
	[[ $stderr == *"xsync-nightly: snapshot $new made and verified"* ]] ||
		fail "stderr: $stderr"
	assert_same_tree "$SRC" "$REPO/$new" -X -H
	# daily: the new one and the newest of March 31, 30, 29, 28, 27 and
	# 26; weekly (ISO weeks, Monday first): the new one's week, and the
	# newest of the weeks of March 31, of March 24-30 and of March 17-23
	run _snaps "$REPO"
	assert_output "$(printf '%s\n' 2025-03-23T031500Z 2025-03-26T031500Z \
		2025-03-27T031500Z 2025-03-28T031500Z 2025-03-29T031500Z \
		2025-03-30T031500Z 2025-03-31T150000Z "$new")"
	[[ ! -e $REPO/2025-03-31T031500Z && ! -e $REPO/.xsync/2025-03-01T031500Z.xcpm ]]
	run "$XSYNC" verify "$REPO"
	assert_success
}

@test "xsync-nightly: a file changed inside the repository makes the next run exit 2, saying so, and prune nothing" {
	local nightly snap n
	nightly=$(_script xsync-nightly)
	_source "$T/src"
	export SRC=$T/src REPO=$T/repo
	run "$nightly"
	assert_success
	snap=$(readlink "$REPO/latest")
	_same_bytes "$SRC/big" "$REPO/$snap/big"
	# bit rot: other bytes, the same size and times
	touch -r "$REPO/$snap/big" "$T/times"
	printf 'XXXX' | dd of="$REPO/$snap/big" bs=1 seek=1000 conv=notrunc status=none
	touch -r "$T/times" "$REPO/$snap/big"
	n=$(_snaps "$REPO" | wc -l)

	KEEP_DAILY=1 KEEP_WEEKLY=1 run --separate-stderr "$nightly"
	assert_failure 2
	[[ $stderr == *'changed content ./big'* ]] || fail "stderr: $stderr"
	[[ $stderr == *"xsync-nightly: snapshot $(readlink "$REPO/latest") does not match its manifest (above): files in $REPO were changed; nothing pruned"* ]] ||
		fail "stderr: $stderr"
	[[ $(_snaps "$REPO" | wc -l) -eq $((n + 1)) ]] || fail "pruned: $(_snaps "$REPO")"
	run "$XSYNC" verify "$REPO/$snap"
	assert_failure 2
}

@test "xsync-nightly: a source that cannot be used exits 3 with no snapshot" {
	local nightly
	nightly=$(_script xsync-nightly)
	_source "$T/src"
	export SRC=$T/src REPO=$T/repo
	run "$nightly"
	assert_success
	SRC=$T/missing run --separate-stderr "$nightly"
	assert_failure 3
	[[ $stderr == *"xsync-nightly: $T/missing or $REPO cannot be used (above): no snapshot"* ]] ||
		fail "stderr: $stderr"
	[[ $(_snaps "$REPO" | wc -l) -eq 1 ]]
}

@test "the cron line: five valid fields, and its command logs the job's messages through logger" {
	local line cmd nightly
	_need python3
	line=$(_block crontab)
	[[ $(wc -l <<<"$line") -eq 1 ]] || fail "not one line: $line"
	run python3 - "$line" <<-'EOF'
		import re, sys
		fields = sys.argv[1].split(None, 5)
		if len(fields) < 6:
		    sys.exit("fewer than five fields and a command")
		names = {3: "jan feb mar apr may jun jul aug sep oct nov dec",
		         4: "sun mon tue wed thu fri sat"}
		ranges = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]
		for i, f in enumerate(fields[:5]):
		    lo, hi = ranges[i]
		    for part in f.split(","):
		        m = re.fullmatch(r"(\*|(\w+)(?:-(\w+))?)(?:/(\d+))?", part)
		        if not m:
		            sys.exit(f"field {i + 1}: bad item {part!r}")
		        for v in (m.group(2), m.group(3)):
		            if v is None:
		                continue
		            if i in names and v.lower() in names[i].split():
		                continue
		            if not v.isdigit() or not lo <= int(v) <= hi:
		                sys.exit(f"field {i + 1}: {v!r} not in {lo}-{hi}")
		        if m.group(4) is not None and int(m.group(4)) == 0:
		            sys.exit(f"field {i + 1}: step 0")
		print(fields[5])
	EOF
	assert_success
	cmd=$output
	[[ $cmd == "$NIGHTLY_PATH "* ]] || fail "the command does not run $NIGHTLY_PATH: $cmd"

	# run it as cron would (sh -c), with the script where the test put it
	# and a logger that records what it was given
	nightly=$(_script xsync-nightly)
	mkdir "$T/logbin"
	cat >"$T/logbin/logger" <<-EOF
		#!/bin/sh
		{ echo "args: \$*"; cat; } >>"$T/logged"
	EOF
	chmod 755 "$T/logbin/logger"
	_source "$T/src"
	SRC=$T/src REPO=$T/repo PATH=$T/logbin:$PATH \
		run sh -c "${cmd/"$NIGHTLY_PATH"/"$nightly"}"
	assert_success
	assert_output ''
	run cat "$T/logged"
	assert_line 'args: -t xsync-nightly'
	assert_line --regexp '^xsync-nightly: snapshot [0-9T-]+Z made and verified$'
	[[ -d $T/repo/$(readlink "$T/repo/latest") ]]
}

@test "the systemd units: the keys the README describes" {
	_need python3
	_block xsync-nightly.service >"$T/xsync-nightly.service"
	_block xsync-nightly.timer >"$T/xsync-nightly.timer"
	run python3 - "$T/xsync-nightly.service" "$T/xsync-nightly.timer" "$NIGHTLY_PATH" <<-'EOF'
		import configparser, sys
		def load(path):
		    c = configparser.ConfigParser(strict=True, interpolation=None)
		    c.optionxform = str
		    c.read_string(open(path).read())
		    return c
		service, timer = load(sys.argv[1]), load(sys.argv[2])
		want = [
		    (service, "Service", "Type", "oneshot"),
		    (service, "Service", "ExecStart", sys.argv[3]),
		    (service, "Service", "Nice", "19"),
		    (service, "Service", "IOSchedulingClass", "idle"),
		    (timer, "Timer", "Persistent", "true"),
		    (timer, "Timer", "OnCalendar", "*-*-* 03:15:00"),
		    (timer, "Install", "WantedBy", "timers.target"),
		]
		bad = [f"[{s}] {k}={c.get(s, k, fallback=None)!r}, not {v!r}"
		       for c, s, k, v in want if c.get(s, k, fallback=None) != v]
		if not timer.get("Timer", "RandomizedDelaySec", fallback=""):
		    bad.append("[Timer] RandomizedDelaySec missing")
		if bad:
		    sys.exit("\n".join(bad))
	EOF
	assert_success
}

@test "the systemd units pass systemd-analyze verify, and the service's command runs the job" {
	local nightly u
	_need systemd-analyze
	nightly=$(_script xsync-nightly)
	mkdir "$T/units"
	_block xsync-nightly.timer >"$T/units/xsync-nightly.timer"
	# ExecStart must name an executable that exists: the script, where the
	# test put it
	_block xsync-nightly.service |
		sed "s|^ExecStart=$NIGHTLY_PATH\$|ExecStart=$nightly|" \
			>"$T/units/xsync-nightly.service"
	grep -qx "ExecStart=$nightly" "$T/units/xsync-nightly.service" ||
		fail "no ExecStart=$NIGHTLY_PATH in the service"
	# --man=no: Documentation=man:xsync(1) is not installed here.  Unknown
	# keys and bad values are only warnings: any output fails the test.
	run systemd-analyze verify --man=no "$T/units/xsync-nightly.service" \
		"$T/units/xsync-nightly.timer"
	assert_success
	assert_output ''
	run systemd-analyze calendar "$(sed -n 's/^OnCalendar=//p' "$T/units/xsync-nightly.timer")"
	assert_success

	# the service's command, with its Environment= moved to the test's
	# directories, does the job
	u=$T/units/xsync-nightly.service
	grep -qx 'Environment=SRC=/home REPO=/backup/home' "$u" ||
		fail "the service no longer sets SRC and REPO as the test expects"
	_source "$T/src"
	SRC=$T/src REPO=$T/repo run --separate-stderr "$(sed -n 's/^ExecStart=//p' "$u")"
	assert_success
	assert_same_tree "$T/src" "$T/repo/$(readlink "$T/repo/latest")" -X -H
}
