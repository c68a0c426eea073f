#!/usr/bin/env bats
# The bash completions as a user gets them: with the bash-completion
# package loaded (_init_completion, _filedir), each command's completion
# function called on a command line split into words as readline splits
# it.  (xcp-docs.bats tries them without bash-completion.)

load helpers

BASH_COMPLETION=/usr/share/bash-completion/bash_completion

setup() {
	setup_tmp
	SRCDIR=$BATS_TEST_DIRNAME/..
	[[ -f $BASH_COMPLETION ]] ||
		skip_or_fail "needs the bash-completion package ($BASH_COMPLETION)"
	# what the paths complete to, and an empty current directory (the
	# first word of xsync completes to files too)
	mkdir -p "$T/d/sub" "$T/cwd"
	echo x >"$T/d/file.txt"
	cd "$T/cwd" || fail "cannot cd to $T/cwd"
}

teardown() {
	teardown_tmp
}

# comp_line LINE: the replies, sorted, one a line, of the bash completion of
# LINE's first word, the cursor at the end of LINE: bash-completion and
# completions/COMMAND.bash are sourced in a fresh non-interactive bash in
# the current directory, COMP_* set, and _COMMAND called as bash calls it.  LINE is split
# into COMP_WORDS as readline splits it: at blanks, each run of '=' and ':'
# (word breaks) a word of its own, an empty word after a final blank.  LINE
# has no quotes and no backslashes.
comp_line() {
	local cmd=${1%% *}
	run bash --norc --noprofile -c '
		set -f
		source "$1" && source "$2" || exit 99
		declare -F _init_completion _filedir >/dev/null || exit 97
		COMP_LINE=$3 COMP_POINT=${#3} COMP_WORDS=()
		for tok in $COMP_LINE; do
			while [[ $tok == *[=:]* ]]; do
				pre=${tok%%[=:]*}
				[[ -n $pre ]] && COMP_WORDS+=("$pre")
				tok=${tok#"$pre"}
				brk=${tok%%[!=:]*}
				COMP_WORDS+=("$brk")
				tok=${tok#"$brk"}
			done
			[[ -n $tok ]] && COMP_WORDS+=("$tok")
		done
		[[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		"_$4" "$4" "${COMP_WORDS[COMP_CWORD]}" \
		    "${COMP_WORDS[COMP_CWORD - 1]}" || exit 98
		((${#COMPREPLY[@]} == 0)) || printf "%s\n" "${COMPREPLY[@]}" | sort
	' _ "$BASH_COMPLETION" "$SRCDIR/completions/$cmd.bash" "$1" "$cmd" \
		<<<"" 2>&1
	assert_success
}

# replies REPLY...: the replies of the last comp_line, sorted, are REPLY...
replies() {
	assert_output "$(printf '%s\n' "$@")"
}

@test "bash-completion: xcp completes its long options and their values" {
	comp_line 'xcp --ref'
	replies --reflink --reflink=
	comp_line 'xcp --no-'
	replies --no-clobber --no-dereference --no-preserve= --no-progress \
		--no-target-directory
	comp_line 'xcp --reflink=al'
	replies always
	comp_line 'xcp --sparse '
	replies always auto never
	comp_line 'xcp --backup=nu'
	replies numbered
	# a list of attributes: the ones not given yet
	comp_line 'xcp --preserve=mode,ti'
	replies mode,timestamps
	comp_line 'xcp -a'
	replies -a
}

@test "bash-completion: xsync completes its commands, each command's options and their values, and the mirror's options" {
	comp_line 'xsync sn'
	replies snapshot
	comp_line 'xsync '
	replies diff export list manifest prune snapshot verify
	comp_line 'xsync snapshot --exc'
	replies --exclude-from= --exclude=
	comp_line 'xsync prune --keep-d'
	replies --keep-daily=
	comp_line 'xsync export --format='
	replies mtree xxhsum
	comp_line 'xsync export --format m'
	replies mtree
	# no command: rsync's options
	comp_line 'xsync --del'
	replies --delete --delete-during --delete-excluded
	comp_line 'xsync -a --info='
	replies progress2 stats
}

@test "bash-completion: jailclone completes its commands, each command's options and --mode's values" {
	comp_line 'jailclone de'
	replies destroy
	comp_line 'jailclone '
	replies create destroy du list update verify
	comp_line 'jailclone create --mode=ha'
	replies hardlink
	comp_line 'jailclone create -m '
	replies auto copy hardlink reflink snapshot
	comp_line 'jailclone update --te'
	replies --template=
	comp_line 'jailclone verify --'
	replies --fast --help --jobs= --json --null --wait
}

@test "bash-completion: paths complete to files and directories, to directories alone where only a directory will do" {
	local d=$T/d
	comp_line "xcp $d/f"
	replies "$d/file.txt"
	comp_line "xcp -a $d/"
	replies "$d/file.txt" "$d/sub"
	comp_line "xcp -t $d/"
	replies "$d/sub"
	comp_line "xcp --target-directory=$d/"
	replies "$d/sub"
	comp_line "xcp --manifest=$d/f"
	replies "$d/file.txt"
	comp_line "xsync -a $d/"
	replies "$d/file.txt" "$d/sub"
	comp_line "xsync snapshot $d/"
	replies "$d/sub"
	comp_line "xsync verify $d/"
	replies "$d/file.txt" "$d/sub"
	comp_line "jailclone create $d/"
	replies "$d/file.txt" "$d/sub"
	comp_line "jailclone destroy $d/"
	replies "$d/sub"
	# the first word of xsync: its commands and the files that match
	mkdir "$T/cwd/snaps"
	comp_line 'xsync sn'
	replies snaps snapshot
}
