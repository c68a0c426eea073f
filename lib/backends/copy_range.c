/*
 * The copy_range backend: copy_file_range(2) lets the kernel move the data,
 * server-side on NFS 4.2 and SMB, without a trip through user space.  On
 * XFS and btrfs it may clone instead of copying, which is why the planner
 * keeps it away from --reflink=never copies within such a filesystem.
 */
#include "config.h"

#include <errno.h>
#include <unistd.h>

#include "backends/backend.h"
#include "core/progress.h"

#define CHUNK	((size_t)1 << 30)

static int
copy_range_range(struct xfer *x, off_t start, off_t end, off_t *eof)
{
	loff_t in = start, out = start;
	ssize_t n;
	size_t want;

	while (end < 0 || in < end) {
		want = CHUNK;
		if (end >= 0 && (off_t)want > end - in)
			want = (size_t)(end - in);
		n = copy_file_range(x->src_fd, &in, x->dst_fd, &out, want, 0);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			/*
			 * Nothing at all on the first call: procfs, sysfs and
			 * friends report "no data" here even though read(2)
			 * has some.  Let the caller read it itself.
			 */
			if (!x->wrote) {
				errno = EOPNOTSUPP;
				return -1;
			}
			/* Short of st_size: let read(2) say why. */
			if (in < x->size && !x->pseudo)
				return xfer_read_range(x, in, end, eof);
			*eof = in;
			break;
		}
		x->wrote = true;
		x->bytes += (uint64_t)n;
		progress_bytes(x->progress, (uint64_t)n);
		/*
		 * As much as stat said, when reading to the end: taken as the
		 * whole file, which saves the call that would return 0.
		 */
		if (end < 0 && !x->pseudo && x->size > 0 && in == x->size) {
			*eof = in;
			break;
		}
	}
	return 0;
}

static int
copy_range_data(struct xfer *x)
{
	if (x->pseudo || x->size == 0) {
		errno = EOPNOTSUPP;
		return -1;
	}
	return xfer_segments(x, copy_range_range);
}

const struct backend backend_copy_range = {
	.name = "copy_range",
	.strategy = STRATEGY_COPY_RANGE,
	.data = copy_range_data,
	.link = NULL,
};
