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
