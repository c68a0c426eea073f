/*
 * Moving one regular file's data: ask the planner for the strategies to try
 * between the two filesystems, drive the backends in that order, fall back
 * only while nothing was written, and remember in the probe what did not
 * work.  Shared by the copier (run) and the mirror.
 */
#ifndef TRANSFER_H
#define TRANSFER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "core/hash.h"
#include "core/policy.h"

struct caps;

struct transfer {
	int		 src_fd;	/* both at offset 0 */
	int		 dst_fd;
	const struct stat *st;		/* the source */
	bool		 want_hash;	/* hash the data if it is read */
	/* Out: */
	enum strategy	 used;		/* STRATEGY_ATTRS: no data wanted */
	uint64_t	 bytes;		/* copied or shared */
	bool		 hashed;	/* hash holds the data's XXH3-128 */
	unsigned char	 hash[HASH_LEN];
	bool		 read_failed;	/* the error came from the source */
	bool		 clone_refused;	/* --reflink=always could not clone */
};

/*
 * Fill dst_fd with src_fd's data by the first strategy that works.
 * Returns 0, or -1 with errno (read_failed and clone_refused say which
 * message fits).
 */
int	transfer_data(const struct policy *, struct caps *, struct transfer *);

#endif
