/*
 * The planner: given one entry, what the filesystems can do and the user's
 * policy, decide what to do with it.  Pure functions: no system calls, so
 * the decisions are unit-tested without touching a disk.
 */
#ifndef PLAN_H
#define PLAN_H

#include <stdbool.h>
#include <sys/types.h>

#include "policy.h"

struct caps;

enum action {
	ACTION_SKIP,		/* nothing to do (e.g. -r not given) */
	ACTION_OMIT_DIR,	/* a directory without -r: report it */
	ACTION_MKDIR,
	ACTION_FILE,		/* a regular file: data through backends */
	ACTION_HARDLINK,	/* a later link of a group already copied */
	ACTION_SYMLINK,		/* recreate a symbolic link */
	ACTION_MKNOD,		/* recreate a FIFO, socket or device */
	ACTION_LINK,		/* -l: a hard link to the source */
	ACTION_SYMLINK_TO	/* -s: a symbolic link to the source */
};

struct plan_entry {
	mode_t		 mode;		/* st_mode of the entry as walked */
	bool		 seen_link;	/* its inode was copied already */
	bool		 multi_link;	/* st_nlink > 1 */
	bool		 shared;	/* LINK_SHARED: policy_shares() */
};

struct plan_data {
	off_t		 size;
	blkcnt_t	 blocks;	/* 512-byte units */
	bool		 pseudo;	/* a procfs/sysfs-like source */
};

#define PLAN_MAX	4

/* The action for one entry. */
enum action plan_entry(const struct policy *, const struct plan_entry *);

/*
 * The data strategies to try for a regular file, best first, into out
 * (at least PLAN_MAX slots).  Returns how many.
 */
int	plan_data(const struct policy *, const struct caps *,
	    const struct plan_data *, enum strategy *);

/* Whether a file with this size and block count has holes worth keeping. */
bool	plan_sparse(off_t, blkcnt_t);

#endif
