#!/usr/bin/env bats
# scripts.bats: the output for scripts.  Every --json report is parsed as
# JSON and its values checked against the files on disk (names with a
# space, a newline, a backslash and bytes that are not UTF-8; sizes from
# stat); every -0 list is split on NUL and compared with the names
# expected, which arrive as they are.  xsync's -0/--from0 reads its pattern
# files NUL-separated wherever it is given, as rsync's -0 does.

bats_require_minimum_version 1.5.0

load helpers

setup() {
	setup_all
	command -v python3 >/dev/null || skip_or_fail "python3 not installed"
}

teardown() {
	teardown_tmp
}

# The checks are Python, given the files as arguments (A, as bytes).  A
# JSON report must be ASCII: paths are escaped as in xcpm(5), \ooo for a
# byte, which unesc() undoes.
PYLIB='
import datetime, json, os, re, stat, sys
A = [os.fsencode(a) for a in sys.argv[1:]]

def unesc(s):
    return re.sub(rb"\\([0-7]{3})",
                  lambda m: bytes([int(m.group(1), 8)]), s.encode("ascii"))

def doc(path):
    with open(path, "rb") as f:
        data = f.read()
    return json.loads(data.decode("ascii"))

def records(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data == b"" or data.endswith(b"\0"), data[-60:]
    return data.split(b"\0")[:-1]

def tree(root):
    """Every entry below root, relative, a directory with a slash."""
    out = {}
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(d, n)
            st = os.lstat(p)
            rel = os.path.relpath(p, root)
            out[rel + (b"/" if stat.S_ISDIR(st.st_mode) else b"")] = st
    return out

def regular(t):
    return [st for st in t.values() if stat.S_ISREG(st.st_mode)]
'

# _py CODE ARG...: CODE after PYLIB, with ARG... as A.
_py() {
	python3 -c "$PYLIB$1" "${@:2}"
}

# _out FILE COMMAND...: COMMAND with its standard output in FILE and its
# standard error in $T/err; sets status.
_out() {
	local f=$1
	shift
	status=0
	"$@" >"$f" 2>"$T/err" || status=$?
}

# _names DIR: files of several sizes under hard names, a directory with a
# space, a symbolic link.
_names() {
	local d=$1
	mkdir -p "$d/sub dir"
	printf 'a' >"$d/plain"
	head -c 1000 /dev/urandom >"$d/with space"
	head -c 2000 /dev/urandom >"$d/new"$'\n'"line"
	head -c 3000 /dev/urandom >"$d/"$'\xff\xfe'
	printf 'back\n' >"$d/back\\slash"
	printf 'dash\n' >"$d/-"
	head -c 4321 /dev/urandom >"$d/sub dir/tab"$'\t'"x"
	ln -s plain "$d/link"
}

@test "xsync --json -i: each entry made, and counts and sizes those on disk" {
	_names "$T/src"
	_out "$T/out" "$XSYNC" -a --json -i "$T/src/" "$T/dst"
	[[ $status -eq 0 ]] || fail "status $status: $(cat "$T/err")"
	assert_same_tree "$T/src" "$T/dst"
	_py '
d = doc(A[0])
t = tree(A[1])
got = {unesc(c["path"]): c for c in d["changes"]}
assert set(got) == set(t) | {b"./"}, set(got) ^ (set(t) | {b"./"})
for p, c in got.items():
    assert c["new"] is True and c["deleted"] is False, c
    assert c["attributes"] == [], c
    if p == b"./":
        continue
    m = t[p].st_mode
    if stat.S_ISREG(m):
        assert (c["type"], c["item"], c["data"]) == ("f", ">f+++++++++", True), c
        assert c["link"] is None, c
    elif stat.S_ISDIR(m):
        assert (c["type"], c["item"], c["data"]) == ("d", "cd+++++++++", False), c
    else:
        assert (c["type"], c["item"]) == ("L", "cL+++++++++"), c
        assert unesc(c["link"]) == os.readlink(os.path.join(A[1], p)), c
s = d["stats"]
regs = regular(t)
size = sum(st.st_size for st in regs)
assert (s["files"], s["regular"], s["dirs"], s["symlinks"]) == \
    (len(t) + 1, len(regs), 2, 1), s
assert (s["created"], s["created_regular"], s["created_dirs"],
        s["created_symlinks"]) == (len(t) + 1, len(regs), 2, 1), s
assert (s["transferred"], s["total_size"], s["transferred_size"]) == \
    (len(regs), size, size), s
assert s["copied"] + s["shared"] == size and s["deleted"] == 0, s
assert (d["dry_run"], d["status"]) == (False, 0), d
' "$T/out" "$T/src"
}

@test "xsync --json -v: what changed, deletions too; without -i or -v no changes; -n changes nothing" {
	_names "$T/src"
	"$XSYNC" -a "$T/src/" "$T/dst"
	head -c 5555 /dev/urandom >"$T/src/with space"
	rm "$T/src/-"
	chmod 600 "$T/src/plain"
	# a dry run first: the same document, and nothing done
	_out "$T/dry" "$XSYNC" -a --delete -n --json -v "$T/src/" "$T/dst"
	[[ $status -eq 0 ]] || fail "status $status: $(cat "$T/err")"
	[[ -e $T/dst/- ]] || fail "the dry run deleted"
	_out "$T/out" "$XSYNC" -a --delete --json -v "$T/src/" "$T/dst"
	[[ $status -eq 0 ]] || fail "status $status: $(cat "$T/err")"
	assert_same_tree "$T/src" "$T/dst"
	_py '
for path, dry in ((A[0], True), (A[1], False)):
    d = doc(path)
    assert d["dry_run"] is dry and d["status"] == 0, d
    got = {unesc(c["path"]): c for c in d["changes"]}
    assert set(got) == {b"./", b"with space", b"-", b"plain"}, set(got)
    w, gone, p = got[b"with space"], got[b"-"], got[b"plain"]
    assert w["data"] is True and "size" in w["attributes"], w
    assert w["new"] is False and w["item"].startswith(">f"), w
    assert gone["deleted"] is True and gone["item"] == "*deleting  ", gone
    assert gone["type"] is None and gone["data"] is False, gone
    assert p["attributes"] == ["perms"] and p["data"] is False, p
    s = d["stats"]
    size = os.lstat(os.path.join(A[2], b"with space")).st_size
    assert size == 5555
    assert (s["deleted"], s["transferred"], s["transferred_size"]) == \
        (1, 1, size), s
    assert s["total_size"] == sum(st.st_size for st in regular(tree(A[2])))
' "$T/dry" "$T/out" "$T/src"
	# without -i or -v: the counts alone, and only the document
	_out "$T/plain" "$XSYNC" -a --delete --json --stats "$T/src/" "$T/dst"
	[[ $status -eq 0 ]] || fail "status $status: $(cat "$T/err")"
	_py '
d = doc(A[0])
assert d["changes"] is None and d["stats"]["transferred"] == 0, d
' "$T/plain"
}

@test "xsync --null -v and -i: the names as they are, each ended by a NUL" {
	_names "$T/src"
	_out "$T/v" "$XSYNC" -a --null -v "$T/src/" "$T/v.dst"
	[[ $status -eq 0 ]] || fail "status $status: $(cat "$T/err")"
	_out "$T/i" "$XSYNC" -a --null -i "$T/src/" "$T/i.dst"
	[[ $status -eq 0 ]] || fail "status $status: $(cat "$T/err")"
	_py '
want = set(tree(A[2])) | {b"./"}
v = records(A[0])
assert len(v) == len(want) and set(v) == want, set(v) ^ want
i = records(A[1])
assert len(i) == len(want), i
for r in i:
    assert r[11:12] == b" " and r[1:11] in (b"f+++++++++", b"d+++++++++",
        b"L+++++++++"), r
assert {r[12:] for r in i} == want
assert b">f+++++++++ new\nline" in i and b"cL+++++++++ link" in i, i
' "$T/v" "$T/i" "$T/src"
	# deletions are names too
	rm "$T/src/new"$'\n'"line"
	_out "$T/del" "$XSYNC" -a --delete --null -v "$T/src/" "$T/v.dst"
	[[ $status -eq 0 ]] || fail "status $status: $(cat "$T/err")"
	_py 'assert sorted(records(A[0])) == [b"./", b"new\nline"], records(A[0])' \
		"$T/del"
	[[ ! -e $T/v.dst/new$'\n'line ]] || fail "not deleted"
}

@test "xsync -0/--from0: pattern files are NUL-separated, wherever -0 is" {
	_names "$T/src"
	# a pattern with a newline, and one with a space
	printf 'new\nline\0/sub dir/\0' >"$T/ex0"
	"$XSYNC" -a -0 --exclude-from="$T/ex0" "$T/src/" "$T/a"
	"$XSYNC" -a --exclude-from="$T/ex0" --from0 "$T/src/" "$T/b"
	for d in "$T/a" "$T/b"; do
		[[ ! -e $d/new$'\n'line && ! -e "$d/sub dir" ]] ||
			fail "$d: excluded entries copied"
		cmp "$T/src/with space" "$d/with space"
		cmp "$T/src/"$'\xff\xfe' "$d/"$'\xff\xfe'
	done
	# read as lines, the same file excludes neither
	"$XSYNC" -a --exclude-from="$T/ex0" "$T/src/" "$T/c"
	[[ -e $T/c/new$'\n'line && -e "$T/c/sub dir/tab"$'\t'x ]] ||
		fail "without -0 the patterns were read whole"
	# the snapshot reads them the same way
	run --separate-stderr "$XSYNC" snapshot --exclude-from="$T/ex0" -0 \
		"$T/src" "$T/repo"
	assert_success
	[[ ! -e $T/repo/latest/new$'\n'line && ! -e "$T/repo/latest/sub dir" &&
		-e "$T/repo/latest/with space" ]] || fail "snapshot -0"
}

@test "xsync snapshot, list, prune and diff --json: names, times, counts and sizes those on disk" {
	_names "$T/src"
	_out "$T/s1" "$XSYNC" snapshot --json -i "$T/src" "$T/repo"
	[[ $status -eq 0 ]] || fail "status $status: $(cat "$T/err")"
	# changes: what is added, removed, changed in mode and in content
	printf 'two\n' >"$T/src/new"$'\n'"file2"
	rm "$T/src/-"
	chmod 600 "$T/src/plain"
	head -c 1000 /dev/urandom >"$T/src/with space"
	_out "$T/s2" "$XSYNC" snapshot --json "$T/src" "$T/repo"
	[[ $status -eq 0 ]] || fail "status $status: $(cat "$T/err")"
	_out "$T/s3" "$XSYNC" snapshot --json -v "$T/src" "$T/repo"
	[[ $status -eq 0 ]] || fail "status $status: $(cat "$T/err")"
	_py '
s1, s2, s3 = doc(A[0]), doc(A[1]), doc(A[2])
repo = A[3]
latest = os.readlink(os.path.join(repo, b"latest")).decode()
assert s3["snapshot"] == latest, (s3, latest)
assert s1["previous"] is None and s2["previous"] == s1["snapshot"], (s1, s2)
assert s3["previous"] == s2["snapshot"], s3
for s in (s1, s2, s3):
    assert (s["complete"], s["resumed"], s["status"]) == (True, False, 0), s
    assert unesc(s["repository"]) == repo, s
    t = tree(os.path.join(repo, s["snapshot"].encode()))
    regs = regular(t)
    assert s["stats"]["files"] == len(t) + 1, s
    assert s["stats"]["total_size"] == sum(st.st_size for st in regs), s
first = set(tree(os.path.join(repo, s1["snapshot"].encode())))
assert {unesc(c["path"]) for c in s1["changes"]} == first | {b"./"}, s1
assert s2["changes"] is None, s2
# nothing changed: only the root of the new snapshot is made
assert [c["path"] for c in s3["changes"]] == ["./"], s3
assert s3["stats"]["transferred"] == s3["stats"]["copied"] == 0, s3
' "$T/s1" "$T/s2" "$T/s3" "$T/repo"

	_out "$T/list" "$XSYNC" list --json "$T/repo"
	[[ $status -eq 0 ]] || fail "status $status: $(cat "$T/err")"
	_out "$T/list0" "$XSYNC" list -0 "$T/repo"
	[[ $status -eq 0 ]] || fail "status $status: $(cat "$T/err")"
	_py '
d = doc(A[0])
repo = A[2]
names = sorted(n for n in os.listdir(repo) if not n.startswith(b".") and n != b"latest")
assert [unesc(s["name"]) for s in d["snapshots"]] == names, (d, names)
assert records(A[1]) == names, records(A[1])
assert unesc(d["repository"]) == repo and d["status"] == 0, d
for s in d["snapshots"]:
    t = tree(os.path.join(repo, s["name"].encode()))
    assert s["entries"] == len(t) + 1, s
    assert s["bytes"] == sum(st.st_size for st in regular(t)), s
    assert 0 <= s["exclusive"] <= s["bytes"], s
    when = datetime.datetime.strptime(s["name"][:18], "%Y-%m-%dT%H%M%SZ")
    assert s["time"] == int(when.replace(tzinfo=datetime.timezone.utc).timestamp()), s
' "$T/list" "$T/list0" "$T/repo"

	# diff of the first two: the same as lines, NUL records and JSON
	local a b
	a=$T/repo/$(_py 'print(doc(A[0])["snapshot"])' "$T/s1")
	b=$T/repo/$(_py 'print(doc(A[0])["snapshot"])' "$T/s2")
	run --separate-stderr "$XSYNC" diff "$a" "$b"
	assert_success
	assert_output "- ./-
+ ./new\\012file2
M ./plain (mode)
M ./with\\040space (content, mtime)"
	_out "$T/d0" "$XSYNC" diff -0 "$a" "$b"
	[[ $status -eq 0 ]] || fail "status $status: $(cat "$T/err")"
	_out "$T/dj" "$XSYNC" diff --json "$a" "$b"
	[[ $status -eq 0 ]] || fail "status $status: $(cat "$T/err")"
	_py '
assert records(A[0]) == [b"- ./-", b"+ ./new\nfile2", b"M mode ./plain",
                         b"M content,mtime ./with space"], records(A[0])
d = doc(A[1])
got = [(x["status"], unesc(x["path"]), x.get("fields")) for x in d["differences"]]
assert got == [("removed", b"./-", None), ("added", b"./new\nfile2", None),
               ("changed", b"./plain", ["mode"]),
               ("changed", b"./with space", ["content", "mtime"])], got
assert (d["added"], d["removed"], d["changed"], d["status"]) == (1, 1, 2, 0), d
' "$T/d0" "$T/dj"

	# prune: dry, as JSON; then for real, the names deleted
	_out "$T/p" "$XSYNC" prune --keep-last=1 -n --json "$T/repo"
	[[ $status -eq 0 ]] || fail "status $status: $(cat "$T/err")"
	_py '
d = doc(A[0])
n = [doc(p)["snapshot"] for p in A[1:4]]
assert d["dry_run"] is True and d["status"] == 0, d
assert d["kept"] == [{"name": n[2], "reasons": ["latest", "last"]}], d
assert d["deleted"] == n[:2] and d["failed"] == [], d
for x in n:
    assert os.path.isdir(os.path.join(A[4], x.encode())), x
' "$T/p" "$T/s1" "$T/s2" "$T/s3" "$T/repo"
	_out "$T/p0" "$XSYNC" prune --keep-last=2 -0 "$T/repo"
	[[ $status -eq 0 ]] || fail "status $status: $(cat "$T/err")"
	_py '
n = [doc(p)["snapshot"].encode() for p in A[1:4]]
assert records(A[0]) == [n[0]], records(A[0])
assert not os.path.exists(os.path.join(A[4], n[0]))
assert os.path.isdir(os.path.join(A[4], n[1])), n
' "$T/p0" "$T/s1" "$T/s2" "$T/s3" "$T/repo"
}

@test "xsync verify -0 and --json: the paths in the tree as they are; a repository makes one document" {
	_names "$T/src"
	"$XSYNC" snapshot "$T/src" "$T/repo"
	printf 'more\n' >>"$T/src/with space"
	"$XSYNC" snapshot "$T/src" "$T/repo"
	local b
	b=$(readlink "$T/repo/latest")
	# the file that changed was written anew: it is the second's alone
	printf 'x' >>"$T/repo/$b/with space"
	printf 'x' >"$T/repo/$b/x"$'\n'"y"
	_out "$T/v0" "$XSYNC" verify -0 "$T/repo/latest"
	[[ $status -eq 2 ]] || fail "status $status: $(cat "$T/err")"
	_out "$T/vj" "$XSYNC" verify --json "$T/repo"
	[[ $status -eq 2 ]] || fail "status $status: $(cat "$T/err")"
	_py '
root = os.path.realpath(os.path.join(A[2], b"latest"))
assert records(A[0]) == [b"changed mtime " + root,
    b"changed size,mtime,content " + root + b"/with space",
    b"extra " + root + b"/x\ny"], records(A[0])
d = doc(A[1])
name = os.path.basename(root).decode()
assert {x["snapshot"] for x in d["differences"]} == {name}, d
got = [(x["status"], unesc(x["path"])) for x in d["differences"]]
assert got == [("changed", b"."), ("changed", b"./with space"),
               ("extra", b"./x\ny")], got
# the records of both manifests, the tree given among them
both = sum(len(tree(os.path.join(A[2], n))) + 1
           for n in os.listdir(A[2]) if n[0:1] != b"." and n != b"latest")
assert d["entries"] == both - 1, (d, both)
assert (d["missing"], d["extra"], d["changed"], d["unreadable"]) == (0, 1, 2, 0), d
assert (d["result"], d["status"]) == ("differ", 2), d
' "$T/v0" "$T/vj" "$T/repo"
	# a manifest and a tree
	"$XSYNC" manifest -o "$T/m" "$T/src"
	rm "$T/src/new"$'\n'"line"
	_out "$T/m0" "$XSYNC" verify -0 "$T/m" "$T/src/"
	[[ $status -eq 2 ]] || fail "status $status: $(cat "$T/err")"
	_py '
assert records(A[0]) == [b"changed mtime " + A[1] + b"/",
    b"missing " + A[1] + b"/new\nline"], records(A[0])
' "$T/m0" "$T/src"
}

# _jails: a template and three jails in $T/jails, one with a space and one
# with a newline in its name.
_jails() {
	mkdir -p "$T/tmpl/etc" "$T/jails"
	printf 'motd\n' >"$T/tmpl/etc/motd"
	printf 'x\n' >"$T/tmpl/etc/x"
	printf 'odd\n' >"$T/tmpl/etc/"$'\xff'
	J1=$T/jails/j1 J2="$T/jails/j 2" J3=$T/jails/j$'\n'3
	"$JAILCLONE" create "$T/tmpl" "$J1" "$J2" "$J3"
}

@test "jailclone list -0 and verify -0: names and the jails' paths as they are" {
	_jails
	_out "$T/l0" "$JAILCLONE" list -0 "$T/jails"
	[[ $status -eq 0 ]] || fail "status $status: $(cat "$T/err")"
	printf 'mine\n' >>"$J1/etc/motd"
	printf 'n\n' >"$J3/new"$'\n'"file"
	_out "$T/v0" "$JAILCLONE" verify -0 "$J1" "$J2" "$J3"
	[[ $status -eq 2 ]] || fail "status $status: $(cat "$T/err")"
	_py '
assert sorted(records(A[0])) == sorted([b"j1", b"j 2", b"j\n3"]), records(A[0])
j1, j3 = A[2], A[3]
assert records(A[1]) == [b"modified size,mtime,content " + j1 + b"/etc/motd",
    b"modified mtime " + j3, b"added " + j3 + b"/new\nfile"], records(A[1])
' "$T/l0" "$T/v0" "$J1" "$J3"
}

@test "jailclone update --json: each jail's changes and conflicts, the files put beside them, a jail that fails" {
	_jails
	cp -a "$T/tmpl" "$T/tmpl2"
	printf 'motd2\n' >"$T/tmpl2/etc/motd"
	printf 'x2\n' >"$T/tmpl2/etc/x"
	printf 'new\n' >"$T/tmpl2/etc/added"$'\n'"name"
	printf 'mine\n' >>"$J1/etc/motd"
	mkdir "$T/jails/notajail"
	_out "$T/u" "$JAILCLONE" update --json --template="$T/tmpl2" "$J1" "$J2" \
		"$T/jails/notajail"
	[[ $status -eq 3 ]] || fail "status $status: $(cat "$T/err")"
	grep -q notajail "$T/err" || fail "no message: $(cat "$T/err")"
	_py '
d = doc(A[0])
j1, j2, bad = d["jails"]
assert [unesc(j["jail"]) for j in d["jails"]] == [A[1], A[2], A[3]], d
assert d["status"] == 3, d
def changes(j):
    return {unesc(c["path"]): c for c in j["changes"]}
c1, c2 = changes(j1), changes(j2)
assert set(c1) == set(c2) == {b"./etc/motd", b"./etc/x", b"./etc/added\nname"}
assert {p: c["change"] for p, c in c2.items()} == {b"./etc/motd": "updated",
    b"./etc/x": "updated", b"./etc/added\nname": "added"}, c2
assert c1[b"./etc/motd"]["change"] == "conflict", c1
assert (j1["conflicts"], j2["conflicts"], j1["ok"], j2["ok"]) == (1, 0, True, True)
assert (bad["changes"], bad["conflicts"], bad["ok"]) == ([], 0, False), bad
# the versions put beside the conflict are where the document says
m = c1[b"./etc/motd"]
with open(os.path.join(A[1], unesc(m["new"])), "rb") as f:
    assert f.read() == b"motd2\n"
with open(os.path.join(A[1], unesc(m["old"])), "rb") as f:
    assert f.read() == b"motd\n"
with open(os.path.join(A[1], b"etc/motd"), "rb") as f:
    assert f.read() == b"motd\nmine\n"
for p in (b"etc/x", b"etc/added\nname"):
    for j in (A[1], A[2]):
        with open(os.path.join(j, p), "rb") as f, \
             open(os.path.join(A[4], p), "rb") as g:
            assert f.read() == g.read(), (j, p)
' "$T/u" "$J1" "$J2" "$T/jails/notajail" "$T/tmpl2"

	# back to the first template: -0 names the conflicts alone, -0 -v
	# every path changed, joined to its jail
	_out "$T/c0" "$JAILCLONE" update -0 --template="$T/tmpl" "$J1"
	[[ $status -eq 2 ]] || fail "status $status: $(cat "$T/err")"
	_out "$T/v0" "$JAILCLONE" update -0 -v --template="$T/tmpl" "$J2"
	[[ $status -eq 0 ]] || fail "status $status: $(cat "$T/err")"
	_py '
assert records(A[0]) == [b"conflict " + A[2] + b"/etc/motd"], records(A[0])
assert sorted(records(A[1])) == sorted([b"updated " + A[3] + b"/etc/motd",
    b"updated " + A[3] + b"/etc/x",
    b"removed " + A[3] + b"/etc/added\nname"]), records(A[1])
' "$T/c0" "$T/v0" "$J1" "$J2"
	[[ ! -e "$J2/etc/added"$'\n'"name" ]] || fail "not removed"
}

@test "--json with --null is a usage error, and nothing is printed" {
	_names "$T/src"
	local cmd
	for cmd in "$XSYNC -a --json --null $T/src/ $T/dst" \
	    "$XSYNC snapshot --json --null $T/src $T/repo" \
	    "$XSYNC list --json -0 $T/repo" \
	    "$XSYNC prune --keep-last=1 --json -0 $T/repo" \
	    "$XSYNC diff --json -0 $T/a $T/b" \
	    "$XSYNC verify --json -0 $T/m $T/src" \
	    "$JAILCLONE verify --json -0 $T/j" \
	    "$JAILCLONE update --template=$T/src --json -0 $T/j" \
	    "$JAILCLONE list --json -0 $T"; do
		# shellcheck disable=SC2086 # the words of a command line
		run --separate-stderr $cmd
		[[ $status -eq 1 ]] || fail "$cmd: status $status"
		[[ -z $output ]] || fail "$cmd: printed $output"
		[[ $stderr == *"--json and --null do not mix"* ]] ||
			fail "$cmd: $stderr"
	done
	[[ ! -e $T/dst && ! -e $T/repo ]] || fail "something was made"
	# -0 is --from0 for the mirror and the snapshot, not --null
	run --separate-stderr "$XSYNC" -a --json -0 "$T/src/" "$T/dst"
	assert_success
	_py 'json.loads(A[0])' "$output"
}
