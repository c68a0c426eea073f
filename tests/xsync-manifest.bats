#!/usr/bin/env bats
# xsync-manifest.bats: manifests written by xcp --manifest and xsync
# manifest, checked by xsync verify, exported for mtree(8), bsdtar and
# xxhsum, and invalid manifests rejected.  Every assertion is about what is
# on disk or what the other tools say about it.

load helpers

setup() {
	setup_tmp
	: "${XSYNC:=$BATS_TEST_DIRNAME/../bin/xsync}"
	[[ -x $XSYNC ]] || fail "XSYNC=$XSYNC is not an executable file"
}
teardown() { teardown_tmp; }

# A small tree with one entry of each kind and fixed times.
_small_tree() {
	local d=$1
	mkdir -p "$d/sub/deeper"
	for i in 1 2 3 4 5; do printf 'file %s\n' "$i" >"$d/f$i"; done
	printf 'deep\n' >"$d/sub/deeper/x"
	ln "$d/f1" "$d/sub/hard"
	ln -s f1 "$d/link"
	mkfifo "$d/fifo"
	head -c 70000 /dev/urandom >"$d/sub/random.bin"
	set_fixture_times "$d"
}

# The mtime of PATH as the manifest writes it.
_mtime() { stat -c %Y.%y "$1" | sed -E 's/^([0-9]+)\.[^.]*\.([0-9]{9}).*/\1.\2/'; }

# _fields M PATH: the record of PATH in manifest M, without the path.
# (The path is given as written in the manifest, escapes and all.)
_record() { P=$2 awk -F'\t' '$10 == ENVIRON["P"]' "$1"; }

@test "xcp -a --manifest: verify exits 0 and the manifest is the tree's (tmpfs)" {
	_small_tree "$T/src"
	run "$XCP" -a --manifest="$T/M" "$T/src" "$T/dst"
	assert_success
	assert_output ''
	run "$XSYNC" verify "$T/M" "$T/dst"
	assert_success
	assert_output ''
	# The same records as a fresh census of the copy, strategies aside.
	"$XSYNC" manifest "$T/dst" >"$T/census"
	diff <(cut -f1-7,9- "$T/M" | grep -v '^#end') \
		<(cut -f1-7,9- "$T/census" | grep -v '^#end')
	# Hashes are xxhsum's, times the files' own, to the nanosecond.
	run _record "$T/M" ./sub/random.bin
	assert_output --partial "$(xxhsum -H2 "$T/dst/sub/random.bin" | cut -d' ' -f1)"
	assert_output --partial "$(_mtime "$T/dst/sub/random.bin")"
	run _record "$T/M" ./sub/hard
	assert_output --regexp $'^h\t0644\t0\t0\t7\t[0-9.]+\t-\thardlink\t./f1\t./sub/hard$'
	run _record "$T/M" ./link
	assert_output --regexp $'^l\t0777\t0\t0\t2\t[0-9.]+\t-\tsymlink\tf1\t./link$'
	run _record "$T/M" .
	assert_output $'d\t0755\t0\t0\t0\t'"$(_mtime "$T/dst")"$'\t-\tmkdir\t-\t.'
	# Directory records carry the final times, set after their contents.
	run _record "$T/M" ./sub/deeper
	assert_output --partial "$(_mtime "$T/dst/sub/deeper")"
	tail -n1 "$T/M" | grep -Eq '^#end records=13 xxh128=[0-9a-f]{32}$'
}

@test "verify names exactly the five changes, with their fields, and exits 2" {
	_small_tree "$T/src"
	"$XCP" -a --manifest="$T/M" "$T/src" "$T/dst"
	local dirtime
	dirtime=$(stat -c %y "$T/dst")
	# same size and mtime, other bytes
	printf 'FILE 2\n' >"$T/new2"
	touch -r "$T/dst/f2" "$T/new2"
	cat "$T/new2" >"$T/dst/f2"
	touch -r "$T/new2" "$T/dst/f2"
	touch "$T/dst/f3"
	chmod 600 "$T/dst/f4"
	rm "$T/dst/f5"
	printf 'six\n' >"$T/dst/f6"
	run "$XSYNC" verify "$T/M" "$T/dst"
	assert_failure 2
	# Removing and adding changed the directory's mtime too.
	assert_output "changed mtime .
changed content ./f2
changed mtime ./f3
changed mode ./f4
missing ./f5
extra ./f6"
	touch -d "$dirtime" "$T/dst"
	run "$XSYNC" verify "$T/M" "$T/dst"
	assert_failure 2
	assert_output "changed content ./f2
changed mtime ./f3
changed mode ./f4
missing ./f5
extra ./f6"
	# The same, as JSON, with expected and actual values.
	run "$XSYNC" verify --json "$T/M" "$T/dst"
	assert_failure 2
	python3 - "$output" "$(xxhsum -H2 "$T/dst/f2" | cut -d' ' -f1)" <<'PY'
import json, sys
doc = json.loads(sys.argv[1])
got = [(d["status"], d["path"], d.get("fields")) for d in doc["differences"]]
assert got == [("changed", "./f2", ["content"]), ("changed", "./f3", ["mtime"]),
               ("changed", "./f4", ["mode"]), ("missing", "./f5", None),
               ("extra", "./f6", None)], got
assert doc["differences"][2]["expected"] == {"mode": "0644"}, doc
assert doc["differences"][2]["actual"] == {"mode": "0600"}, doc
assert doc["differences"][0]["actual"]["content"] == "xxh128:" + sys.argv[2]
assert (doc["result"], doc["status"], doc["entries"]) == ("differ", 2, 13), doc
assert (doc["missing"], doc["extra"], doc["changed"]) == (1, 1, 3), doc
PY
}

@test "verify names type, owner, size, target and hard link changes" {
	_small_tree "$T/src"
	mknod "$T/src/null" c 1 3
	touch -h -d "$FIX_LINK_TIME" "$T/src/null"
	touch -d "$FIX_DIR_TIME" "$T/src"
	"$XSYNC" manifest -o "$T/M" "$T/src"
	rm "$T/src/fifo" && mkdir "$T/src/fifo"
	rm "$T/src/sub/hard" && cp -p "$T/src/f1" "$T/src/sub/hard"
	chown 1234:5678 "$T/src/f1"
	touch -r "$T/src/f3" "$T/f3.time"
	printf 'longer than before\n' >"$T/src/f3"
	touch -r "$T/f3.time" "$T/src/f3"
	ln -sf f2 "$T/src/link"
	rm "$T/src/null" && mknod "$T/src/null" c 1 5
	touch -h -d "$FIX_LINK_TIME" "$T/src/link" "$T/src/null" "$T/src/fifo"
	touch -d "$FIX_DIR_TIME" "$T/src" "$T/src/sub"
	chmod 644 "$T/src/fifo"
	run "$XSYNC" verify "$T/M" "$T/src"
	assert_failure 2
	assert_output "changed uid,gid ./f1
changed size,content ./f3
changed type ./fifo
changed target ./link
changed target ./null
changed target ./sub/hard"
}

@test "the mtree export passes mtree -f and bsdtar @spec, and mtree sees a change" {
	command -v mtree >/dev/null || skip_or_fail "needs mtree (mtree-netbsd)"
	command -v bsdtar >/dev/null || skip_or_fail "needs bsdtar (libarchive-tools)"
	_small_tree "$T/src"
	"$XCP" -a --manifest="$T/M" "$T/src" "$T/dst"
	run "$XSYNC" export --format=mtree -o "$T/spec" "$T/M"
	assert_success
	head -n1 "$T/spec" | grep -qx '#mtree'
	grep -q "^./sub/random.bin type=file mode=0644 uid=0 gid=0 size=70000 time=$(_mtime "$T/dst/sub/random.bin") tags=xxh128:$(xxhsum -H2 "$T/dst/sub/random.bin" | cut -d' ' -f1)\$" "$T/spec"
	run mtree -f "$T/spec" -p "$T/dst"
	assert_success
	assert_output ''
	(cd "$T/dst" && bsdtar -cf "$T/x.tar" @"$T/spec")
	mkdir "$T/untar"
	bsdtar -xpf "$T/x.tar" -C "$T/untar"
	cmp "$T/dst/sub/random.bin" "$T/untar/sub/random.bin"
	[[ $(bsdtar -tf "$T/x.tar" | wc -l) -eq 13 ]]
	chmod 700 "$T/dst/sub"
	run mtree -f "$T/spec" -p "$T/dst"
	assert_failure
	assert_output --partial 'sub'
}

@test "the xxhsum export passes xxhsum -H2 -c, which fails after a change" {
	_small_tree "$T/src"
	"$XCP" -a --manifest="$T/M" "$T/src" "$T/dst"
	"$XSYNC" export --format=xxhsum "$T/M" >"$T/list"
	[[ $(wc -l <"$T/list") -eq 7 ]]
	run bash -c 'cd "$1" && xxhsum -H2 -c "$2"' _ "$T/dst" "$T/list"
	assert_success
	assert_output --partial './sub/random.bin: OK'
	printf 'x' | dd of="$T/dst/f4" bs=1 seek=0 conv=notrunc status=none
	run bash -c 'cd "$1" && xxhsum -H2 -c "$2"' _ "$T/dst" "$T/list"
	assert_failure
	assert_output --partial './f4: FAILED'
}

@test "a bsdtar mtree spec with sha256 verifies, and its digests are checked" {
	command -v bsdtar >/dev/null || skip_or_fail "needs bsdtar (libarchive-tools)"
	_small_tree "$T/src"
	(cd "$T/src" && bsdtar --format=mtree --options=mtree:sha256 -cf "$T/spec" .)
	grep -q sha256digest "$T/spec"
	run "$XSYNC" verify "$T/spec" "$T/src"
	assert_success
	assert_output ''
	cat "$T/spec" | "$XSYNC" verify - "$T/src"
	# Same size, same mtime, other bytes: only the digest can tell.
	printf 'FILE 3\n' >"$T/tmp3" && touch -r "$T/src/f3" "$T/tmp3"
	cat "$T/tmp3" >"$T/src/f3" && touch -r "$T/tmp3" "$T/src/f3"
	run "$XSYNC" verify --json "$T/spec" "$T/src"
	assert_failure 2
	python3 - "$output" "$(sha256sum "$T/src/f3" | cut -d' ' -f1)" <<'PY'
import json, sys
doc = json.loads(sys.argv[1])
[d] = doc["differences"]
assert (d["path"], d["fields"]) == ("./f3", ["content"]), d
assert d["actual"]["content"] == "sha256:" + sys.argv[2], d
PY
}

@test "invalid manifests: a clear error naming the line, status 3" {
	_small_tree "$T/src"
	"$XSYNC" manifest -o "$T/M" "$T/src"
	local n
	n=$(wc -l <"$T/M")
	head -n $(( n - 1 )) "$T/M" >"$T/no-end"
	run "$XSYNC" verify "$T/no-end" "$T/src"
	assert_failure 3
	assert_line --partial "no-end': line $(( n - 1 )): invalid manifest: no #end line"
	head -c $(( $(stat -c %s "$T/M") - 7 )) "$T/M" >"$T/cut"
	run "$XSYNC" verify "$T/cut" "$T/src"
	assert_failure 3
	assert_line --partial "cut': line $n: invalid manifest: last line cut short"
	sed 's/^\(#end records=[0-9]* xxh128=\)./\1z/' "$T/M" >"$T/badhex"
	run "$XSYNC" verify "$T/badhex" "$T/src"
	assert_failure 3
	assert_line --partial "line $n: invalid manifest: malformed #end line"
	sed 's/f\t0644/f\t0664/' "$T/M" >"$T/edited"
	run "$XSYNC" verify "$T/edited" "$T/src"
	assert_failure 3
	assert_line --partial "line $n: invalid manifest: checksum does not match the #end line"
	sed 's/records=[0-9]*/records=99/' "$T/M" >"$T/count"
	run "$XSYNC" verify "$T/count" "$T/src"
	assert_failure 3
	assert_line --partial "record count does not match"
	cp "$T/M" "$T/after" && echo extra >>"$T/after"
	run "$XSYNC" verify "$T/after" "$T/src"
	assert_failure 3
	assert_line --partial "data after the #end line"
	head -c 65536 /dev/urandom >"$T/random"
	run "$XSYNC" verify "$T/random" "$T/src"
	assert_failure 3
	assert_line --partial "random': line 1: invalid manifest: neither an xcpm manifest nor an mtree spec"
	: >"$T/empty"
	run "$XSYNC" verify "$T/empty" "$T/src"
	assert_failure 3
	assert_output --partial "empty manifest"
	run "$XSYNC" verify "$T/nonexistent" "$T/src"
	assert_failure 3
	assert_output "xsync: cannot open '$T/nonexistent': No such file or directory"
	run "$XSYNC" export --format=mtree "$T/random"
	assert_failure 3
	assert_output --partial "not an xcpm version 1 manifest"
	run "$XSYNC" export --format=xxhsum "$T/no-end"
	assert_failure 3
	assert_line --partial "no #end line"
}

@test "records out of walk order are rejected" {
	_small_tree "$T/src"
	"$XSYNC" manifest "$T/src" | grep -v '^#end' | awk 'NR <= 2 { print; next } { a[NR] = $0 } END { for (i = NR; i > 2; i--) print a[i] }' >"$T/body"
	python3 - "$T/body" >"$T/M" <<'PY'
import sys, subprocess
body = open(sys.argv[1], "rb").read()
out = subprocess.run(["xxhsum", "-H2", "-"], input=body, capture_output=True).stdout.split()[0].decode()
n = body.count(b"\n") - 2
sys.stdout.buffer.write(body + b"#end records=%d xxh128=%s\n" % (n, out.encode()))
PY
	run "$XSYNC" export --format=xxhsum "$T/M"
	assert_success
	run "$XSYNC" verify "$T/M" "$T/src"
	assert_failure 3
	assert_output --partial "line 4: invalid manifest: records are not in walk order"
}

@test "xsync manifest -o writes atomically, the same bytes as standard output" {
	_small_tree "$T/src"
	run "$XSYNC" manifest -o "$T/M" "$T/src"
	assert_success
	assert_output ''
	"$XSYNC" manifest -j 1 "$T/src" >"$T/stdout"
	cmp "$T/M" "$T/stdout"
	[[ $(find "$T" -maxdepth 1 -name '.M*' | wc -l) -eq 0 ]]
	run "$XSYNC" manifest -o "$T/M2" "$T/missing"
	assert_failure 3
	assert_output "xsync: cannot read '$T/missing': No such file or directory"
	assert_not_exists "$T/M2"
	[[ $(find "$T" -maxdepth 1 -name '.M2*' | wc -l) -eq 0 ]]
}

@test "unreadable entries: named on stderr, status 23" {
	_small_tree "$T/src"
	chmod -R a+rX "$T/src"
	"$XSYNC" manifest -o "$T/M" "$T/src"
	chmod 000 "$T/src/f2"
	run setpriv --reuid=65534 --regid=65534 --clear-groups -- "$XSYNC" verify "$T/M" "$T/src"
	assert_failure 23
	assert_output "xsync: cannot read '$T/src/f2': Permission denied"
	run setpriv --reuid=65534 --regid=65534 --clear-groups -- "$XSYNC" manifest "$T/src"
	assert_failure 23
	assert_line "xsync: cannot read '$T/src/f2': Permission denied"
	assert_line --regexp $'^f\t0000\t0\t0\t7\t[0-9.]+\t-\t-\t-\t./f2$'
}

@test "odd names, a deep tree and hard links round-trip through the manifest" {
	local d=$T/src p i
	mkdir -p "$d"
	printf 'a\n' >"$d/"$'new\nline'
	printf 'b\n' >"$d/"$'tab\there'
	printf 'c\n' >"$d/back\\slash #=*?["
	printf 'd\n' >"$d/-"
	mkdir "$d/a" && printf 'e\n' >"$d/a/b" && printf 'f\n' >"$d/a.txt"
	p=$d/deep
	for (( i = 0; i < 100; i++ )); do p=$p/level$i; done
	mkdir -p "$p" && printf 'bottom\n' >"$p/file"
	ln "$d/a/b" "$d/z-link"
	run "$XCP" -a --manifest="$T/M" "$d" "$T/dst"
	assert_success
	run "$XSYNC" verify "$T/M" "$T/dst"
	assert_success
	assert_output ''
	[[ -n $(_record "$T/M" './new\012line') ]]
	[[ -n $(_record "$T/M" './tab\011here') ]]
	[[ -n $(_record "$T/M" './back\134slash\040\043\075\052\077\133') ]]
	[[ -n $(_record "$T/M" './-') ]]
	# '/' sorts first: ./a and its contents come before ./a.txt
	[[ $(grep -n $'\t./a/b$' "$T/M" | cut -d: -f1) -lt $(grep -n $'\t./a.txt$' "$T/M" | cut -d: -f1) ]]
	grep -q $'^h\t.*\t./a/b\t./z-link$' "$T/M"
	grep -q '/level99/file$' "$T/M"
	rm "$T/dst/"$'new\nline'
	run "$XSYNC" verify "$T/M" "$T/dst"
	assert_failure 2
	assert_output --partial 'missing ./new\012line'
}

@test "xcp --manifest with several operands, --parents, and out of order" {
	_small_tree "$T/src"
	mkdir "$T/into"
	run "$XCP" -a --manifest="$T/M1" "$T/src/sub" "$T/src/f3" "$T/src/f1" "$T/into"
	assert_success
	run "$XSYNC" verify "$T/M1" "$T/into"
	assert_success
	cut -f10 "$T/M1" | grep -v '^#' | head -n3 | paste -sd' ' | grep -qx './f1 ./f3 ./sub'
	mkdir "$T/par"
	(cd "$T" && "$XCP" -a --parents --manifest="$T/M2" src/sub/deeper/x src/f2 par)
	run "$XSYNC" verify "$T/M2" "$T/par"
	assert_success
	grep -q $'^d\t0755\t0\t0\t0\t'"$(_mtime "$T/par/src")"$'\t-\tmkdir\t-\t./src$' "$T/M2"
}

@test "xcp --manifest hashes what bytecopy read, holes included" {
	mkdir "$T/src"
	truncate -s 8M "$T/src/sparse"
	printf 'head' | dd of="$T/src/sparse" conv=notrunc status=none
	printf 'tail' | dd of="$T/src/sparse" bs=1 seek=6000000 conv=notrunc status=none
	run "$XCP" -r --sparse=always --debug --manifest="$T/M" "$T/src" "$T/dst"
	assert_success
	assert_line --partial "sparse' (strategy: bytecopy)"
	_record "$T/M" ./sparse | grep -q $'\t'"$(xxhsum -H2 "$T/src/sparse" | cut -d' ' -f1)"$'\tbytecopy\t'
	"$XSYNC" verify "$T/M" "$T/dst"
}

@test "xcp -a --manifest on XFS: reflinks recorded, hashed through the page cache" {
	mount_fs xfs 512M >/dev/null
	local m=$MNT
	make_full_tree "$m/src"
	run "$XCP" -a --manifest="$m/M" "$m/src" "$m/dst"
	assert_success
	run "$XSYNC" verify "$m/M" "$m/dst"
	assert_success
	assert_output ''
	assert_shared "$m/dst/random.bin"
	_record "$m/M" ./random.bin | grep -q $'\t'"$(xxhsum -H2 "$m/dst/random.bin" | cut -d' ' -f1)"$'\treflink\t'
	_record "$m/M" ./sparse.img | grep -q $'\t'"$(xxhsum -H2 "$m/dst/sparse.img" | cut -d' ' -f1)"$'\treflink\t'
	"$XSYNC" manifest "$m/dst" >"$m/census"
	diff <(cut -f1-7,9- "$m/M" | grep -v '^#end') <(cut -f1-7,9- "$m/census" | grep -v '^#end')
	# A same-size rewrite in place is caught by the content hash.  The
	# byte at 1000 becomes another one (a fixed 'X' is already there in
	# one random file out of 256).
	local old
	old=$(od -An -tu1 -j1000 -N1 "$m/dst/random.bin" | tr -d ' ')
	printf "\\$(printf %03o $(((old + 1) % 256)))" |
		dd of="$m/dst/random.bin" bs=1 seek=1000 conv=notrunc status=none
	[[ $(od -An -tu1 -j1000 -N1 "$m/dst/random.bin" | tr -d ' ') -eq $(((old + 1) % 256)) ]]
	touch -r "$m/src/random.bin" "$m/dst/random.bin"
	run "$XSYNC" verify "$m/M" "$m/dst"
	assert_failure 2
	assert_output 'changed content ./random.bin'
}

@test "xcp -a --manifest from ext4 to btrfs: verify exits 0" {
	mount_fs ext4 512M >/dev/null
	local s=$MNT
	mount_fs btrfs 512M >/dev/null
	local d=$MNT
	make_full_tree "$s/src"
	run "$XCP" -a --manifest="$d/M" "$s/src" "$d/dst"
	assert_success
	run "$XSYNC" verify "$d/M" "$d/dst"
	assert_success
	assert_output ''
	run "$XSYNC" verify "$d/M" "$s/src"
	assert_success
}

@test "xsync usage errors exit 1" {
	run "$XSYNC"
	assert_failure 1
	assert_output --partial "missing operand"
	run "$XSYNC" frobnicate
	assert_failure 1
	run "$XSYNC" verify
	assert_failure 1
	assert_output --partial "missing operand"
	run "$XSYNC" verify onlyone
	assert_failure 3
	assert_output --partial "cannot verify 'onlyone'"
	run "$XSYNC" verify --format=mtree a b
	assert_failure 1
	run "$XSYNC" export --format=tar M
	assert_failure 1
	assert_output --partial "unknown format"
	run "$XSYNC" manifest -j 0 .
	assert_failure 1
	run "$XSYNC" --help
	assert_success
	assert_output --partial "Exit status"
}
