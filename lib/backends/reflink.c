/*
 * The reflink backend: ioctl(FICLONE) makes the destination share every
 * extent of the source, copy-on-write.  It costs metadata, not data, and
 * keeps holes as they are.  Works within one XFS (reflink=1), btrfs, OCFS2 or
 * bcachefs filesystem; anything else answers EXDEV, EOPNOTSUPP or EINVAL.
 */
#include "config.h"

#include <sys/ioctl.h>

#include <errno.h>
#include <stddef.h>
#include <linux/fs.h>

#include "backends/backend.h"
#include "core/progress.h"

static int
reflink_data(struct xfer *x)
{
	/* A pseudo-file has nothing to share. */
	if (x->pseudo) {
		errno = EOPNOTSUPP;
		return -1;
	}
	if (ioctl(x->dst_fd, FICLONE, x->src_fd) == -1)
		return -1;
	/* The clone is complete or nothing happened: it is all-or-nothing. */
	x->wrote = true;
	x->bytes = x->size > 0 ? (uint64_t)x->size : 0;
	progress_bytes(x->progress, x->bytes);
	return 0;
}

const struct backend backend_reflink = {
	.name = "reflink",
	.strategy = STRATEGY_REFLINK,
	.data = reflink_data,
	.link = NULL,
};
