#!/usr/bin/env bats
# make install and make uninstall from the build tree, into a DESTDIR under
# $T (never into the system): the programs, manual pages, completions and
# message catalogues land where the system's tools look for them under the
# configured prefix, the shells find the completions there, and uninstall
# takes every file away again.
#
# The build tree is $abs_top_builddir (set by make check; by hand, the
# source tree's top, an in-tree build); its Makefile says where it installs.

load helpers

COMMANDS=(xcp xsync jailclone)

setup() {
	setup_tmp
	SRCDIR=$BATS_TEST_DIRNAME/..
	BUILD=${abs_top_builddir:-$SRCDIR}
	[[ -f $BUILD/Makefile ]] ||
		fail "no Makefile in $BUILD (abs_top_builddir): configure first"
	install_dirs
}

teardown() {
	teardown_tmp
}

# build_make ARGS...: make ARGS in the build tree, as from a shell: not as
# part of the make that runs the tests (its flags, its job server).
build_make() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
		make -s --no-print-directory -C "$BUILD" "$@"
}

# install_dirs: prefix, bindir, datadir, mandir, localedir, bashcompdir,
# zshcompdir, fishcompdir and package (the catalogues' domain), as the
# build tree's Makefile has them.
install_dirs() {
	local out line
	out=$(build_make -f Makefile -f - print-install-dirs <<'EOF'
print-install-dirs:
	@printf '%s\n' 'prefix=$(prefix)' 'bindir=$(bindir)' \
	    'datadir=$(datadir)' 'mandir=$(mandir)' 'localedir=$(localedir)' \
	    'bashcompdir=$(bashcompdir)' 'zshcompdir=$(zshcompdir)' \
	    'fishcompdir=$(fishcompdir)' 'package=$(PACKAGE)'
EOF
	) || fail "cannot read the installation directories: $out"
	while IFS= read -r line; do
		[[ $line =~ ^(prefix|bindir|datadir|mandir|localedir|bashcompdir|zshcompdir|fishcompdir|package)= ]] &&
			printf -v "${line%%=*}" '%s' "${line#*=}"
	done <<<"$out"
	[[ $prefix == /* && -n $package ]] || fail "installation directories: $out"
}

# linguas: the languages of po/LINGUAS, one a line, sorted.
linguas() {
	sed 's/#.*//' "$SRCDIR/po/LINGUAS" | tr -s ' \t' '\n\n' | grep . | sort
}

# expected_files: every file make install puts in place, one a line,
# sorted, without DESTDIR.
expected_files() {
	local c lang
	{
		for c in "${COMMANDS[@]}"; do
			echo "$bindir/$c"
			echo "$mandir/man1/$c.1"
			[[ $bashcompdir == no ]] || echo "$bashcompdir/$c"
			[[ $zshcompdir == no ]] || echo "$zshcompdir/_$c"
			[[ $fishcompdir == no ]] || echo "$fishcompdir/$c.fish"
		done
		echo "$mandir/man5/xcpm.5"
		for lang in $(linguas); do
			echo "$localedir/$lang/LC_MESSAGES/$package.mo"
		done
	} | sort
}

# do_install ROOT: make install DESTDIR=ROOT, ROOT under $T.
do_install() {
	[[ $1 == "$T"/?* ]] || fail "do_install: $1 is not under $T"
	run build_make install DESTDIR="$1"
	assert_success
}

@test "configured with the default directories, everything goes where the system's tools look under the prefix" {
	local opts
	opts=$("$BUILD/config.status" --config)
	if [[ $opts =~ --(exec-prefix|bindir|datarootdir|datadir|mandir|localedir|with-[a-z]+-completion-dir|without-[a-z]+-completion-dir) ]]; then
		skip_or_fail "configured with other directories: $opts"
	fi
	assert_equal "$bindir" "$prefix/bin"
	assert_equal "$mandir" "$prefix/share/man"
	assert_equal "$localedir" "$prefix/share/locale"
	# read by bash-completion for commands under the prefix (it looks in
	# each of XDG_DATA_DIRS, /usr/local/share:/usr/share by default)
	assert_equal "$bashcompdir" "$prefix/share/bash-completion/completions"
	# in zsh's fpath for the prefix (/usr/local's in Debian's zsh)
	assert_equal "$zshcompdir" "$prefix/share/zsh/site-functions"
	# read by fish from each of XDG_DATA_DIRS
	assert_equal "$fishcompdir" "$prefix/share/fish/vendor_completions.d"
}

@test "make install DESTDIR: the programs, lint-clean manual pages, the completions and a catalogue for each language of po/LINGUAS, and nothing else" {
	local root=$T/root c f lang found
	touch -d '-2 seconds' "$T/start"
	do_install "$root"

	for c in "${COMMANDS[@]}"; do
		assert_file_executable "$root$bindir/$c"
		run "$root$bindir/$c" --version
		assert_success
	done

	command -v mandoc >/dev/null || skip_or_fail "needs mandoc"
	for f in man1/xcp.1 man1/xsync.1 man1/jailclone.1 man5/xcpm.5; do
		run mandoc -Tlint -Wwarning "$root$mandir/$f"
		assert_success
		assert_output ''
	done

	# the completions as they are in the source, bash's named after the
	# command (bash-completion loads completions/COMMAND on demand)
	for c in "${COMMANDS[@]}"; do
		[[ $bashcompdir == no ]] ||
			cmp "$SRCDIR/completions/$c.bash" "$root$bashcompdir/$c"
		[[ $zshcompdir == no ]] ||
			cmp "$SRCDIR/completions/_$c" "$root$zshcompdir/_$c"
		[[ $fishcompdir == no ]] ||
			cmp "$SRCDIR/completions/$c.fish" "$root$fishcompdir/$c.fish"
	done

	# one catalogue per language listed, each one a valid one, no other
	command -v msgunfmt >/dev/null || skip_or_fail "needs msgunfmt (gettext)"
	for lang in $(linguas); do
		f=$root$localedir/$lang/LC_MESSAGES/$package.mo
		assert_file_exists "$f"
		run msgunfmt "$f"
		assert_success
	done
	found=$(cd "$root$localedir" 2>/dev/null &&
		find . -name "$package.mo" | cut -d/ -f2 | sort) || true
	assert_equal "$found" "$(linguas)"

	# every file, and nothing else
	found=$(cd "$root" && find . ! -type d | sed 's/^\.//' | sort)
	assert_equal "$found" "$(expected_files)"
	# and nothing where DESTDIR would not have been
	while IFS= read -r f; do
		[[ ! $f -nt $T/start ]] || fail "installed outside DESTDIR: $f"
	done < <(expected_files)
}

@test "the shells find the installed completions: bash-completion loads them on demand, zsh's compinit and fish read them" {
	local root=$T/root c
	do_install "$root"
	mkdir -p "$T/home"

	if [[ $bashcompdir != no ]]; then
		[[ -f /usr/share/bash-completion/bash_completion ]] ||
			skip_or_fail "needs the bash-completion package"
		[[ $bashcompdir == */bash-completion/completions ]] ||
			fail "bash-completion reads DIR/bash-completion/completions, not $bashcompdir"
		for c in "${COMMANDS[@]}"; do
			run env HOME="$T/home" XDG_DATA_HOME="$T/home" \
				XDG_DATA_DIRS="$root${bashcompdir%/bash-completion/completions}" \
				bash --norc --noprofile -c '
				source /usr/share/bash-completion/bash_completion
				_completion_loader "$1"
				complete -p "$1"' _ "$c"
			assert_success
			assert_output "complete -F _$c $c"
		done
	fi

	if [[ $zshcompdir != no ]]; then
		command -v zsh >/dev/null || skip_or_fail "needs zsh"
		run env HOME="$T/home" zsh -f -c '
			fpath=("$1" $fpath)
			autoload -Uz compinit
			compinit -u -d "$2"
			print -r -- $_comps[xcp] $_comps[xsync] $_comps[jailclone]' \
			_ "$root$zshcompdir" "$T/zcompdump"
		assert_success
		assert_output '_xcp _xsync _jailclone'
	fi

	if [[ $fishcompdir != no ]]; then
		command -v fish >/dev/null || skip_or_fail "needs fish"
		[[ $fishcompdir == */fish/vendor_completions.d ]] ||
			fail "fish reads DIR/fish/vendor_completions.d, not $fishcompdir"
		# (fish loads the completion of a command it finds)
		run env PATH="$root$bindir:$PATH" HOME="$T/home" \
			XDG_CONFIG_HOME="$T/home" XDG_DATA_HOME="$T/home" \
			XDG_DATA_DIRS="$root${fishcompdir%/fish/vendor_completions.d}" \
			fish -c 'complete -C "xcp --refl"
				complete -C "xsync sn"
				complete -C "jailclone de"'
		assert_success
		assert_line --regexp $'^--reflink(\t|$)'
		assert_line --regexp $'^snapshot(\t|$)'
		assert_line --regexp $'^destroy(\t|$)'
	fi
}

@test "make uninstall DESTDIR: every file make install put there is gone" {
	local root=$T/root left
	do_install "$root"
	run build_make uninstall DESTDIR="$root"
	assert_success
	left=$(find "$root" ! -type d)
	[[ -z $left ]] || fail "left after make uninstall: $left"
}
