/*
 * The hardlink backend: a new name for the same inode with linkat(2).  Used
 * by xcp -l, for the later links of a hardlink group under -a, and by
 * snapshots for unchanged files.
 */
#include "config.h"

#include <fcntl.h>
#include <stddef.h>
#include <unistd.h>

#include "backends/backend.h"

static int
hardlink_link(int srcdir, const char *srcname, int dstdir,
    const char *dstname, int flags)
{
	return linkat(srcdir, srcname, dstdir, dstname, flags);
}

const struct backend backend_hardlink = {
	.name = "hardlink",
	.strategy = STRATEGY_HARDLINK,
	.data = NULL,
	.link = hardlink_link,
};
