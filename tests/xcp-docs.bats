#!/usr/bin/env bats
# The manual page and the shell completions: lint-clean, and they name the
# options the program really has.

load helpers

setup() {
	setup_tmp
	SRCDIR=$BATS_TEST_DIRNAME/..
}

@test "man/xcp.1 passes mandoc -Tlint at warning level" {
	command -v mandoc >/dev/null || skip_or_fail "needs mandoc"
	run mandoc -Tlint -Wwarning "$SRCDIR/man/xcp.1"
	assert_success
	assert_output ''
}

@test "every long option of xcp --help is in the man page and the completions" {
	local opt missing=()
	run "$XCP" --help
	assert_success
	for opt in $(grep -oE -- '--[a-z][a-z-]+' <<<"$output" | sort -u); do
		grep -q -- "${opt#--}" "$SRCDIR/man/xcp.1" || missing+=("man:$opt")
		grep -q -- "$opt" "$SRCDIR/completions/xcp.bash" ||
			missing+=("bash:$opt")
		grep -q -- "${opt#--}" "$SRCDIR/completions/_xcp" ||
			missing+=("zsh:$opt")
		grep -q -- "-l ${opt#--}" "$SRCDIR/completions/xcp.fish" ||
			missing+=("fish:$opt")
	done
	(( ${#missing[@]} == 0 )) || fail "not documented: ${missing[*]}"
}

@test "the bash completion completes options and --reflink values" {
	run bash -c '
		source "$1"
		COMP_WORDS=(xcp --refl); COMP_CWORD=1; _xcp
		printf "%s\n" "${COMPREPLY[@]}"
		COMP_WORDS=(xcp --reflink=al); COMP_CWORD=1; _xcp
		printf "%s\n" "${COMPREPLY[@]}"' _ "$SRCDIR/completions/xcp.bash"
	assert_success
	assert_line --partial '--reflink'
	assert_line --partial 'always'
}

@test "man/jailclone.1 passes mandoc -Tlint at warning level" {
	command -v mandoc >/dev/null || skip_or_fail "needs mandoc"
	run mandoc -Tlint -Wwarning "$SRCDIR/man/jailclone.1"
	assert_success
	assert_output ''
}

@test "every long option of jailclone --help is in the man page and the completions" {
	local opt missing=()
	: "${JAILCLONE:=$SRCDIR/bin/jailclone}"
	run "$JAILCLONE" --help
	assert_success
	for opt in $(grep -oE -- '--[a-z][a-z-]+' <<<"$output" | sort -u); do
		grep -q -- "${opt#--}" "$SRCDIR/man/jailclone.1" ||
			missing+=("man:$opt")
		grep -q -- "$opt" "$SRCDIR/completions/jailclone.bash" ||
			missing+=("bash:$opt")
		grep -q -- "${opt#--}" "$SRCDIR/completions/_jailclone" ||
			missing+=("zsh:$opt")
		grep -q -- "-l ${opt#--}" "$SRCDIR/completions/jailclone.fish" ||
			missing+=("fish:$opt")
	done
	(( ${#missing[@]} == 0 )) || fail "not documented: ${missing[*]}"
}

@test "the jailclone bash completion completes commands and --mode values" {
	run bash -c '
		source "$1"
		COMP_WORDS=(jailclone cr); COMP_CWORD=1; _jailclone
		printf "%s\n" "${COMPREPLY[@]}"
		COMP_WORDS=(jailclone create --mode=ha); COMP_CWORD=2; _jailclone
		printf "%s\n" "${COMPREPLY[@]}"' _ "$SRCDIR/completions/jailclone.bash"
	assert_success
	assert_line 'create'
	assert_line --partial 'hardlink'
}

@test "the xsync bash completion completes commands, with the files that match, and --format values" {
	mkdir "$T/snaps"
	cd "$T"
	run bash -c '
		source "$1"
		COMP_WORDS=(xsync sn); COMP_CWORD=1; _xsync
		printf "%s\n" "${COMPREPLY[@]}"
		COMP_WORDS=(xsync export --format=x); COMP_CWORD=2; _xsync
		printf "%s\n" "${COMPREPLY[@]}"' _ "$SRCDIR/completions/xsync.bash"
	assert_success
	assert_output "$(printf '%s\n' snapshot snaps xxhsum)"
}

@test "man/xsync.1 passes mandoc -Tlint at warning level" {
	command -v mandoc >/dev/null || skip_or_fail "needs mandoc"
	run mandoc -Tlint -Wwarning "$SRCDIR/man/xsync.1"
	assert_success
	assert_output ''
}

@test "every long option of xsync --help and of its commands' --help is in the man page and the completions" {
	local opt cmd help='' missing=()
	: "${XSYNC:=$SRCDIR/bin/xsync}"
	for cmd in '' snapshot list prune diff verify; do
		# shellcheck disable=SC2086 # no command: the mirror's help
		run "$XSYNC" $cmd --help
		assert_success
		help+=$output$'\n'
	done
	for opt in $(grep -oE -- '--[a-z][a-z0-9-]+' <<<"$help" | sort -u); do
		grep -q -- "${opt#--}" "$SRCDIR/man/xsync.1" || missing+=("man:$opt")
		grep -q -- "$opt" "$SRCDIR/completions/xsync.bash" ||
			missing+=("bash:$opt")
		grep -q -- "${opt#--}" "$SRCDIR/completions/_xsync" ||
			missing+=("zsh:$opt")
		grep -q -- "-l ${opt#--}" "$SRCDIR/completions/xsync.fish" ||
			missing+=("fish:$opt")
	done
	(( ${#missing[@]} == 0 )) || fail "not documented: ${missing[*]}"
}

# _statuses PAGE: the numbers in the EXIT STATUS section of man/PAGE, one
# a line, sorted for comm(1); with -It, only those that begin an item
# (.It N).
_statuses() {
	local it=
	[[ $1 == -It ]] && { it=1; shift; }
	sed -n '/^\.Sh EXIT STATUS/,/^\.Sh /p' "$SRCDIR/man/$1" |
		if [[ -n $it ]]; then
			sed -n 's/^\.It \([0-9][0-9]*\)$/\1/p'
		else
			grep -v '^\.Xr' | grep -oE '\b[0-9]+\b'
		fi | sort -u
}

# _help_statuses TEXT: the numbers of the "Exit status:" paragraph of a
# --help text, one a line, sorted for comm(1).
_help_statuses() {
	sed -n '/^Exit status:/,/^$/p' <<<"$1" | grep -oE '\b[0-9]+\b' | sort -u
}

@test "each man page's EXIT STATUS names every status each --help names, and no other" {
	local page cmd cmds got all extra
	for page in xcp xsync jailclone; do
		case $page in
		xcp) cmds=("$XCP") ;;
		xsync) cmds=("$XSYNC" "$XSYNC snapshot" "$XSYNC list" \
			"$XSYNC prune" "$XSYNC diff" "$XSYNC verify") ;;
		jailclone) cmds=("$JAILCLONE") ;;
		esac
		all=
		for cmd in "${cmds[@]}"; do
			# shellcheck disable=SC2086 # a command and its subcommand
			run $cmd --help
			assert_success
			got=$(_help_statuses "$output")
			[[ -n $got ]] || fail "$cmd --help names no exit status"
			extra=$(comm -23 <(echo "$got") <(_statuses "$page.1"))
			[[ -z $extra ]] ||
				fail "$cmd --help: status $extra not in man/$page.1"
			all+=$got$'\n'
		done
		# each status the page lists is one some --help names
		extra=$(comm -23 <(_statuses -It "$page.1") \
			<(sort -u <<<"$all" | sed '/^$/d'))
		[[ -z $extra ]] ||
			fail "man/$page.1 lists $extra, which no --help names"
	done
}
