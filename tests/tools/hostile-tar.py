#!/usr/bin/env python3
"""hostile-tar.py OUT.tar: write a tar that tries to escape its destination.

Extracting it safely must leave nothing outside the destination directory:
absolute names, ".." names, names beneath a symbolic link planted by the
archive and hard links to files outside must all be refused, while the
ordinary entries (and their exact modes, numeric owners and nanosecond
mtimes) are made.  The symbolic link "./lnk" points to $HOSTILE_OUTSIDE
(default /tmp): point it at an empty scratch directory to check that it
stays empty.  Files outside are only ever named as link targets, never
written.

Entries, in order (pax format, mtimes with nanoseconds in pax headers):

  ./ok.txt              file "fine\\n", 0644
  ../escape.txt         file: refused (..)
  /abs-escape.txt       file: refused (absolute)
  ./a/../../escape2.txt file: refused (..)
  ./lnk                 symlink -> $HOSTILE_OUTSIDE
  ./lnk/pwned.txt       file: refused (parent is a symlink)
  ./up                  symlink -> ..
  ./up/pwned2.txt       file: refused (parent is a symlink)
  ./hl                  hard link -> ../../etc/passwd: refused
  ./hl2                 hard link -> /etc/passwd: refused
  ./hl3                 hard link -> ./lnk: refused (not a regular file)
  ./dev/null2           char device 1,3, 0666 (./dev is not in the archive)
  ./ro                  directory 0555
  ./ro/inner.txt        file "inner\\n", 0444
  ./suid                file, 04755, uid 0 gid 0
  ./owned               file, 0640, uid 1234 gid 5678, unknown user names
"""

import io
import os
import sys
import tarfile

MTIME = 1614834367  # 2021-03-04 05:06:07 UTC, +1 s per entry


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: hostile-tar.py OUT.tar\n")
        return 2
    outside = os.environ.get("HOSTILE_OUTSIDE", "/tmp")
    n = [0]

    def info(name, kind=tarfile.REGTYPE, mode=0o644, uid=0, gid=0,
             uname="root", gname="root"):
        n[0] += 1
        ti = tarfile.TarInfo(name)
        ti.type = kind
        ti.mode = mode
        ti.uid, ti.gid = uid, gid
        ti.uname, ti.gname = uname, gname
        ti.mtime = MTIME + n[0]
        # The pax header carries the nanoseconds exactly (a float would
        # round them).
        ti.pax_headers = {"mtime": "%d.%09d" % (MTIME + n[0], 123456789 + n[0])}
        return ti

    with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as tar:
        def file(name, data, **kw):
            ti = info(name, **kw)
            ti.size = len(data)
            tar.addfile(ti, io.BytesIO(data))

        def link(name, kind, target):
            ti = info(name, kind=kind, mode=0o777 if kind == tarfile.SYMTYPE
                      else 0o644)
            ti.linkname = target
            tar.addfile(ti)

        file("./ok.txt", b"fine\n")
        file("../escape.txt", b"escaped\n")
        file("/abs-escape.txt", b"escaped\n")
        file("./a/../../escape2.txt", b"escaped\n")
        link("./lnk", tarfile.SYMTYPE, outside)
        file("./lnk/pwned.txt", b"pwned\n")
        link("./up", tarfile.SYMTYPE, "..")
        file("./up/pwned2.txt", b"pwned\n")
        link("./hl", tarfile.LNKTYPE, "../../etc/passwd")
        link("./hl2", tarfile.LNKTYPE, "/etc/passwd")
        link("./hl3", tarfile.LNKTYPE, "./lnk")
        dev = info("./dev/null2", kind=tarfile.CHRTYPE, mode=0o666)
        dev.devmajor, dev.devminor = 1, 3
        tar.addfile(dev)
        tar.addfile(info("./ro", kind=tarfile.DIRTYPE, mode=0o555))
        file("./ro/inner.txt", b"inner\n", mode=0o444)
        file("./suid", b"#!/bin/sh\nexit 0\n", mode=0o4755)
        file("./owned", b"owned\n", mode=0o640, uid=1234, gid=5678,
             uname="no-such-user-1234", gname="no-such-group-5678")
    return 0


if __name__ == "__main__":
    sys.exit(main())
