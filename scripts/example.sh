#!/bin/bash
# The built-in example: build a small tree with every kind of entry, copy it
# with xcp -a --debug, and count the strategies used; verify the copy with
# xsync; make three jails of it with jailclone, measure and verify them.
# As root it does this on a fresh XFS loop filesystem (reflink=1), where
# files are cloned.  XCP, XSYNC and JAILCLONE name the programs (default:
# those of an in-tree build, in bin/).
set -euo pipefail
cd "$(dirname "$0")/.."
xcp=${XCP:-$PWD/bin/xcp}
xsync=${XSYNC:-$PWD/bin/xsync}
jailclone=${JAILCLONE:-$PWD/bin/jailclone}
work=$(mktemp -d)
img='' mnt='' loopdev=''
cleanup() {
	if [ -n "$mnt" ]; then
		umount "$mnt" 2>/dev/null || true
		rmdir "$mnt" 2>/dev/null || true
	fi
	if [ -n "$loopdev" ]; then losetup -d "$loopdev" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

base=$work
if [ "$(id -u)" = 0 ] && command -v mkfs.xfs >/dev/null; then
	img=$work/xfs.img
	truncate -s 512M "$img"
	mkfs.xfs -q -m reflink=1 "$img"
	mnt=$(mktemp -d)
	mount -o loop "$img" "$mnt"
	loopdev=$(losetup -j "$img" | cut -d: -f1)
	base=$mnt
	echo "example: copying on a fresh XFS filesystem (reflink=1) at $mnt"
else
	echo "example: not root, copying in $work (no reflink filesystem)"
fi

src=$base/template
mkdir -p "$src/etc" "$src/bin" "$src/var/log"
printf 'hostname=example\n' >"$src/etc/hosts.conf"
head -c 8M /dev/urandom >"$src/bin/tool"
chmod 4755 "$src/bin/tool"
truncate -s 64M "$src/var/log/sparse.db"
printf 'tail' | dd of="$src/var/log/sparse.db" bs=1 seek=$((32 << 20)) \
    conv=notrunc status=none
ln "$src/etc/hosts.conf" "$src/bin/hosts.link"
ln -s ../etc/hosts.conf "$src/bin/hosts.sym"
mkfifo "$src/var/log/pipe"
touch -d '2021-03-04 05:06:07.123456789' "$src/etc/hosts.conf"

"$xcp" -a --debug --manifest="$work/copy.xcpm" "$src" "$base/copy" |
    tee "$work/debug.txt"
echo
echo "strategies used:"
sed -n 's/.*(strategy: \([a-z_]*\)).*/\1/p' "$work/debug.txt" | sort |
    uniq -c
if [ -n "$mnt" ]; then
	printf 'shared extents of copy/bin/tool: '
	filefrag -v "$base/copy/bin/tool" | grep -c shared || true
fi
diff <(cd "$src" && find . -printf '%P %y %m %U %G %s %T@\n' | sort) \
    <(cd "$base/copy" && find . -printf '%P %y %m %U %G %s %T@\n' | sort) &&
    echo "the copy matches the source (names, types, modes, owners, sizes," \
    "ns mtimes)"
echo
echo "the manifest xcp wrote (xcpm(5)):"
cat "$work/copy.xcpm"
"$xsync" verify "$work/copy.xcpm" "$base/copy" &&
    echo "xsync verify: the copy holds exactly what the manifest says"
chmod 700 "$base/copy/bin/tool"
echo "after chmod 700 copy/bin/tool, xsync verify says:"
"$xsync" verify "$work/copy.xcpm" "$base/copy" || echo "(exit status $?)"

echo
echo "jailclone: three jails of the template, each with its host name:"
mkdir "$base/jails"
"$jailclone" create -v --store "$base/store" --hostname 'jail-%n' \
    "$src" "$base/jails/a" "$base/jails/b" "$base/jails/c"
"$jailclone" list "$base/jails"
echo "what they cost (exclusive bytes are their own, shared are the template's):"
"$jailclone" du -h "$base/jails/a" "$base/jails/b" "$base/jails/c"
printf 'local change\n' >>"$base/jails/b/etc/hosts.conf"
echo "after a change in jail b, jailclone verify says:"
"$jailclone" verify "$base/jails/a" "$base/jails/b" || echo "(exit status $?)"
"$jailclone" destroy -v "$base/jails/a" "$base/jails/b" "$base/jails/c"
