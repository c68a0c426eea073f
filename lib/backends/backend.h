/*
 * A backend is one way to move a file's data: a const table of function
 * pointers that the runner tries in the planner's order.  A data backend
 * fills an open destination from an open source; a link backend makes a new
 * name for an existing file.  Backends never print and never exit.
 */
#ifndef BACKEND_H
#define BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/policy.h"

struct hash;
struct progress;

/* One data transfer from src_fd to dst_fd, both positioned at offset 0. */
struct xfer {
	int		 src_fd;
	int		 dst_fd;
	off_t		 size;		/* st_size: a hint, never trusted */
	bool		 sparse;	/* st_blocks suggest holes */
	bool		 pseudo;	/* procfs/sysfs-like: size means nothing */
	enum sparse_when sparse_mode;
	struct hash	*hash;		/* bytecopy: hash what is read */
	struct progress	*progress;	/* given every byte added to bytes */
	off_t		 hashed;	/* how far the hash has got */
	/* Out: */
	bool		 wrote;		/* something reached dst: no fallback */
	bool		 read_failed;	/* the error came from reading src */
	uint64_t	 bytes;		/* bytes copied or shared */
};

struct backend {
	const char	*name;
	enum strategy	 strategy;
	/*
	 * Move the data.  Returns 0, or -1 with errno set; xfer->wrote tells
	 * whether the caller may still fall back to another backend.
	 */
	int		(*data)(struct xfer *);
	/*
	 * Make dstname in dstdir name the file srcname in srcdir (flags as
	 * linkat(2)).  Returns 0, or -1 with errno set.
	 */
	int		(*link)(int srcdir, const char *srcname, int dstdir,
			    const char *dstname, int flags);
};

extern const struct backend backend_reflink;
extern const struct backend backend_copy_range;
extern const struct backend backend_bytecopy;
extern const struct backend backend_hardlink;

/*
 * Whole trees as subvolumes (btrfs).  Names are single components in the
 * directory dirfd.  Each returns 0, or -1 with errno.
 */
struct subvolume_backend {
	const char	*name;
	/* Whether the filesystem of dirfd has subvolumes. */
	bool		(*supported)(int dirfd);
	/* Whether the directory open as fd is the root of a subvolume. */
	bool		(*is_subvolume)(int fd);
	/* A new, empty subvolume. */
	int		(*create)(int dirfd, const char *name);
	/* A writable snapshot of the subvolume open as srcfd. */
	int		(*snapshot)(int srcfd, int dirfd, const char *name);
	/* Delete a subvolume and everything in it. */
	int		(*destroy)(int dirfd, const char *name);
};

extern const struct subvolume_backend backend_subvolume;

/* The backend for a strategy, or NULL. */
const struct backend *backend_for(enum strategy);

/*
 * Whether errno from a backend means "not supported here" (try the next
 * one, provided nothing was written) rather than a real failure.
 */
bool	backend_unsupported(int);

/* Whether errno must stop the whole run (ENOSPC, EIO, EDQUOT, ENOMEM). */
bool	backend_fatal(int);

/*
 * Shared by the data backends: copy [start, end) of the source (end -1: up
 * to end of file) with one backend's primitive; set *eof to the offset where
 * the source ended early, or leave it -1.  Returns 0 or -1 with errno.
 */
typedef int (*xfer_range_fn)(struct xfer *, off_t, off_t, off_t *);

/*
 * Drive a range function over the source's data segments (SEEK_DATA and
 * SEEK_HOLE when the source looks sparse, else the whole file) and give the
 * destination its final size, so that holes stay holes.  Returns 0 or -1.
 */
int	xfer_segments(struct xfer *, xfer_range_fn);

/*
 * Copy [start, end) with read(2) and write(2): what a kernel copy call
 * leaves when it reports the end of the file before st_size.  FUSE, for
 * one, turns a read error into 0 bytes there; read(2) tells the truth
 * (the error, or that the file did shrink).  Returns 0 or -1 with errno.
 */
int	xfer_read_range(struct xfer *, off_t, off_t, off_t *);

#endif
