/*
 * The capability probe: what works between one source filesystem and one
 * destination filesystem.  Asked once per (source device, destination device)
 * pair and cached, so a copy of a million files pays for at most one failing
 * FICLONE or copy_file_range per pair.
 */
#ifndef PROBE_H
#define PROBE_H

#include <stdbool.h>
#include <sys/types.h>

#include "policy.h"

enum cap {
	CAP_UNKNOWN,
	CAP_YES,
	CAP_NO
};

struct caps {
	dev_t		 src_dev;
	dev_t		 dst_dev;
	long		 src_magic;	/* statfs f_type */
	long		 dst_magic;
	enum cap	 reflink;
	enum cap	 copy_range;
};

struct probe {
	struct caps	*v;
	size_t		 n;
	size_t		 alloc;
};

void	probe_init(struct probe *);
void	probe_free(struct probe *);

/*
 * The capabilities of the pair (src_fd's filesystem, dst_fd's filesystem),
 * from the cache or newly looked up.  Returns NULL with errno on failure.
 */
struct caps *probe_get(struct probe *, int, dev_t, int, dev_t);

/*
 * Note the outcome of trying strategy s on the pair: err 0 for success, else
 * the errno.  Only "not supported here" answers mark the pair as unable.
 */
void	probe_note(struct caps *, enum strategy, int);

/* Whether a filesystem type reads like procfs/sysfs (sizes are fiction). */
bool	probe_pseudo_fs(long);

/*
 * Whether a filesystem type is a local disk's, whose inode times come
 * from this machine's clock (not a server's, as over NFS or FUSE).
 */
bool	probe_local_times(long);

/*
 * Whether files are better written into this filesystem type one at a time
 * unless asked otherwise (btrfs: threads creating files fight over the
 * locks of the subvolume's one b-tree, and take longer than one thread).
 */
bool	probe_serial_fs(long);

/*
 * Of the filesystem type magic that fd is on: by how many bits an inode
 * number is shifted right to give its allocation group, where the group
 * of a directory is where its files go and what creating them locks (XFS);
 * or -1.
 */
int	probe_group_shift(long, int);

/*
 * Whether names in this filesystem type are exact (case-sensitive) and
 * local, so that a directory just made holds nothing but what this process
 * puts there, unless it folds case (casefold, asked per directory).  Only
 * types known so say yes.
 */
bool	probe_exact_names(long, bool *);

/*
 * Whether this filesystem type journals its metadata in the order the
 * changes were made, so that after a crash a change is there only with
 * every change made before it: XFS's log, btrfs's transactions (tmpfs
 * keeps nothing across one).  Data written to files is not metadata.
 * ext4 shares its magic with ext2, which has no journal: no.
 */
bool	probe_ordered_metadata(long);

/* Whether copy_file_range within this filesystem type may share extents. */
bool	probe_may_clone(long);

#endif
