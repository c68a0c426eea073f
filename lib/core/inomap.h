/*
 * A map from (device, inode) to a path: which destination path holds the
 * first copy of a source inode with several links, so its other links
 * become hard links too.  Memory grows with the number of such inodes only.
 */
#ifndef INOMAP_H
#define INOMAP_H

#include <stddef.h>
#include <sys/types.h>

struct inomap_slot;

struct inomap {
	struct inomap_slot *v;
	size_t		 n;
	size_t		 alloc;		/* a power of two */
};

void	inomap_init(struct inomap *);
void	inomap_free(struct inomap *);

/* The path stored for (dev, ino), or NULL. */
const char *inomap_get(const struct inomap *, dev_t, ino_t);

/* Store a copy of path for (dev, ino).  Returns 0 or -1 with ENOMEM. */
int	inomap_put(struct inomap *, dev_t, ino_t, const char *);

#endif
