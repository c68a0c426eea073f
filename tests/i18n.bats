#!/usr/bin/env bats
# Translations: the catalogues in po/ are valid and complete, and the three
# commands speak German and French with them.
#
# The programs read their catalogues from LOCALEDIR, fixed when they were
# built ($prefix/share/locale), where "make check" has installed nothing.
# Rather than give the programs a second place to look, each run here is
# made in a mount namespace of its own, in which the built catalogues
# (po/LL.gmo, named as "make install" names them) are laid over LOCALEDIR
# by a read-only overlay: the programs are the ones built, their locale
# directory the one they will have installed, and nothing outside the
# namespace sees the overlay.  That needs root, or an unprivileged user
# namespace that may mount overlayfs.

load helpers

PO=$BATS_TEST_DIRNAME/../po
DOMAIN=xcp-suite
NBSP=$'\xc2\xa0'	# French puts a no-break space before ":" and "?"

setup() {
	setup_all
	: "${LOCALEDIR:=$(strings "$XCP" | grep -m1 '/share/locale$')}"
	[[ $LOCALEDIR == /* ]] || fail "LOCALEDIR=$LOCALEDIR: not an absolute path"
}

teardown() {
	teardown_tmp
}

# The catalogues as "make install" would lay them out below LOCALEDIR,
# staged under $T/stage as seen from BASE, the deepest existing directory
# of LOCALEDIR (itself, once something is installed).
stage_catalogues() {
	local lang gmo
	BASE=$LOCALEDIR
	while [[ ! -d $BASE ]]; do
		BASE=${BASE%/*}
		BASE=${BASE:-/}
	done
	for lang in de fr; do
		gmo=$PO/$lang.gmo
		[[ -f $gmo ]] || fail "$gmo is missing: run make"
		[[ ! $PO/$lang.po -nt $gmo ]] ||
			fail "$gmo is older than $lang.po: run make -C po update-gmo"
		mkdir -p "$T/stage${LOCALEDIR#"$BASE"}/$lang/LC_MESSAGES"
		cp "$gmo" "$T/stage${LOCALEDIR#"$BASE"}/$lang/LC_MESSAGES/$DOMAIN.mo"
	done
	UNSHARE=(unshare --mount)
	[[ $EUID -eq 0 ]] || UNSHARE+=(--map-root-user)
	in_namespace true ||
		skip_or_fail "needs a mount namespace with overlayfs (root, or user namespaces)"
}

# in_namespace [NAME=VALUE]... COMMAND...: env(1) in a mount namespace in
# which the staged catalogues are laid over BASE.
in_namespace() {
	"${UNSHARE[@]}" sh -c '
		mount -t overlay overlay -o "lowerdir=$1:$2" "$2" || exit 125
		shift 2
		exec env "$@"' sh "$T/stage" "$BASE" "$@"
}

# in_lang LANGUAGE COMMAND...: COMMAND in LANGUAGE, the built catalogues in
# place, in a UTF-8 locale (GNU gettext ignores LANGUAGE in the C locale).
in_lang() {
	local lang=$1
	shift
	in_namespace LANGUAGE="$lang" LC_ALL=C.UTF-8 "$@"
}

# The long options a --help text names, one a line.
long_options() {
	grep -oE -- '--[a-z][a-z0-9-]+' <<<"$1" | sort -u
}

# Fail when a line of $output is wider than 80 characters.
assert_fits_80() {
	local LC_ALL=C.UTF-8 line
	while IFS= read -r line; do
		(( ${#line} <= 80 )) || fail "wider than 80 columns: $line"
	done <<<"$output"
}

@test "msgfmt --check passes on each catalogue, every message translated" {
	local po lang stats n=0
	command -v msgfmt >/dev/null || skip_or_fail "needs msgfmt (gettext)"
	[[ -f $PO/$DOMAIN.pot ]] || fail "$PO/$DOMAIN.pot is missing: run make"
	for po in "$PO"/*.po; do
		lang=${po##*/}
		lang=${lang%.po}
		run msgfmt --check --statistics -o /dev/null "$po"
		assert_success
		stats=$output
		[[ $stats =~ ^[0-9]+\ translated\ messages?\.$ ]] ||
			fail "$lang.po: $stats"
		# Each message of the template is there, translated and not fuzzy.
		run msgcmp "$po" "$PO/$DOMAIN.pot"
		assert_success
		grep -qwE "^[^#]*$lang" "$PO/LINGUAS" ||
			fail "$lang is not in po/LINGUAS: its catalogue is never built"
		n=$((n + 1))
	done
	(( n >= 2 )) || fail "expected the German and French catalogues, found $n"
}

@test "LANGUAGE=de xcp --help is German, option for option" {
	local english
	stage_catalogues
	run "$XCP" --help
	assert_success
	english=$output
	run in_lang de "$XCP" --help
	assert_success
	assert_line --index 0 "Aufruf: xcp [OPTION]... [-T] QUELLE ZIEL"
	assert_line "  -R, -r, --recursive          Verzeichnisse rekursiv kopieren"
	assert_line "      --help                   diese Hilfe anzeigen und beenden"
	refute_line --partial "Copy SOURCE to DEST"
	[[ $output != "$english" ]] || fail "the German help is the English one"
	assert_equal "$(long_options "$output")" "$(long_options "$english")"
	assert_fits_80
}

@test "LANGUAGE=fr xsync --help is French, option for option" {
	local english
	stage_catalogues
	run "$XSYNC" --help
	assert_success
	english=$output
	run in_lang fr "$XSYNC" --help
	assert_success
	assert_line --index 0 "Utilisation${NBSP}: xsync [OPTION]... SRC... DST"
	assert_line "  -n, --dry-run           montrer ce qui serait fait, ne rien modifier"
	assert_line "Commandes${NBSP}:"
	assert_line "  xsync snapshot [OPTION]... SRC DÉPÔT"
	refute_line --partial "Make DST a mirror"
	[[ $output != "$english" ]] || fail "the French help is the English one"
	assert_equal "$(long_options "$output")" "$(long_options "$english")"
	assert_fits_80
}

@test "LANGUAGE=de jailclone --help is German, its store path filled in" {
	local english
	stage_catalogues
	run "$JAILCLONE" --help
	assert_success
	english=$output
	run in_lang de "$JAILCLONE" --help
	assert_success
	assert_line --index 0 "Aufruf: jailclone BEFEHL [OPTION]... ARGUMENTE"
	assert_line "  jailclone create [OPTION]... VORLAGE JAIL..."
	assert_line "                        (Vorgabe: /var/lib/jailclone/store)"
	assert_line --partial "(%n: die Jail)"
	[[ $output != "$english" ]] || fail "the German help is the English one"
	assert_equal "$(long_options "$output")" "$(long_options "$english")"
	assert_fits_80
}

@test "every --help of every command fits in 80 columns in German and French" {
	local lang cmd
	local -A usage=([de]='^Aufruf: ' [fr]="^Utilisation${NBSP}: ")
	stage_catalogues
	for lang in de fr; do
		for cmd in "$XCP" "$XSYNC" "$JAILCLONE" "$XSYNC snapshot" \
		    "$XSYNC list" "$XSYNC prune" "$XSYNC diff" "$XSYNC verify"; do
			# shellcheck disable=SC2086 # a command and its subcommand
			run in_lang "$lang" $cmd --help
			assert_success
			assert_line --index 0 --regexp "${usage[$lang]}"
			assert_fits_80
		done
	done
}

# The program's own words are translated; strerror's are libc's, German
# and French when Debian's libc-l10n is installed (CI installs it).
@test "an error in German and in French: xcp of a missing file" {
	local libc_de='No such file or directory' libc_fr='No such file or directory'
	stage_catalogues
	[[ ! -f /usr/share/locale/de/LC_MESSAGES/libc.mo ]] ||
		libc_de='Datei oder Verzeichnis nicht gefunden'
	[[ ! -f /usr/share/locale/fr/LC_MESSAGES/libc.mo ]] ||
		libc_fr='Aucun fichier ou dossier de ce type'
	cd "$T"
	run in_lang de "$XCP" missing copy
	assert_failure 1
	assert_output "xcp: Aufruf von stat für 'missing' nicht möglich: $libc_de"
	run in_lang fr "$XCP" missing copy
	assert_failure 1
	assert_output "xcp: impossible d'évaluer 'missing': $libc_fr"
	assert_not_exist "$T/copy"
}

@test "a usage error in French and in German: the hint to --help too" {
	stage_catalogues
	run in_lang fr "$XSYNC"
	assert_failure 1
	assert_line --index 0 "xsync: opérande manquant"
	assert_line --index 1 "Saisissez «${NBSP}xsync --help${NBSP}» pour plus d'informations."
	run in_lang de "$JAILCLONE" frobnicate
	assert_failure 1
	assert_line --index 0 "jailclone: unbekannter Befehl ‘frobnicate’"
	assert_line --index 1 "Weitere Informationen mit „jailclone --help“."
}

@test "a library detail translated where it is printed: an invalid manifest" {
	stage_catalogues
	printf 'not a manifest\n' >"$T/bad.xcpm"
	mkdir "$T/dir"
	run in_lang de "$XSYNC" verify "$T/bad.xcpm" "$T/dir"
	assert_failure 3
	assert_output --partial "ungültiges Manifest: weder ein xcpm-Manifest noch eine mtree-Spezifikation"
}

@test "under LC_ALL=C, LANGUAGE changes nothing: cp's messages stay cp's" {
	stage_catalogues
	cd "$T"
	run "$XCP" missing copy
	local english=$output
	run in_namespace LANGUAGE=de LC_ALL=C "$XCP" missing copy
	assert_failure 1
	assert_output "$english"
	assert_output "xcp: cannot stat 'missing': No such file or directory"
}
