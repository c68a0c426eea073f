/*
 * How far a long copy has got: counters the engines (run, mirror, the
 * backends) bump as they go and a front end reads to draw a progress line,
 * and a scan on a thread of its own that counts what there is to do.  The
 * totals grow while the scan runs and are final once it is over.  What the
 * engines call (progress_bytes, progress_entry) takes NULL for "nobody is
 * watching" and then does nothing, so they call it unconditionally.
 */
#ifndef PROGRESS_H
#define PROGRESS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct progress_scanner;

struct progress {
	_Atomic uint64_t bytes_done;	/* data copied, shared or skipped */
	_Atomic uint64_t files_done;	/* entries other than directories */
	_Atomic uint64_t bytes_total;
	_Atomic uint64_t files_total;
	_Atomic int	 scan;		/* enum progress_scan_state */
	struct progress_scanner *scanner;
};

enum progress_scan_state {
	PROGRESS_UNCOUNTED,		/* no scan started: totals unknown */
	PROGRESS_COUNTING,		/* the totals are still growing */
	PROGRESS_COUNTED		/* the totals are final */
};

/* What the scan counts: the trees the job will copy. */
struct progress_scan {
	const char *const *paths;
	size_t		 npaths;
	bool		 follow_top;	/* follow a symlink given as a path */
	bool		 follow;	/* follow every symlink (-L) */
	bool		 one_fs;	/* stay on each path's filesystem */
	/*
	 * Whether the entry rel below paths[which] (dir: a directory) is
	 * part of the job, e.g. not excluded.  NULL: everything is.
	 */
	bool		(*keep)(void *, size_t which, const char *rel,
			    bool dir);
	void		*arg;
	unsigned	 times;		/* each entry is copied this often */
};

/*
 * New counters, in memory that processes forked from here share (jails
 * made by worker processes count too).  Returns NULL with errno.
 */
struct progress *progress_new(void);

/* Stop a scan still running and free the counters (NULL: nothing). */
void	progress_delete(struct progress *);

/* Counters in memory of the caller's (threads only). */
void	progress_init(struct progress *);

/*
 * Start counting scan's trees on a thread (scan and what it points to must
 * live until progress_free); the totals grow from now on.  A second call
 * does nothing.  Returns 0, or -1 with errno when no thread can be made
 * (the totals stay unknown).
 */
int	progress_count(struct progress *, const struct progress_scan *);

/* Stop a scan still running and free it. */
void	progress_free(struct progress *);

/* Data moved for a file still being copied. */
void	progress_bytes(struct progress *, uint64_t);

/*
 * An entry done: a directory adds nothing; any other entry counts as a
 * file, and its size, less the moved bytes already given to
 * progress_bytes, is added to the bytes done.
 */
void	progress_entry(struct progress *, bool dir, uint64_t size,
	    uint64_t moved);

/* A consistent enough copy of the counters. */
struct progress_view {
	uint64_t	 bytes_done;
	uint64_t	 files_done;
	uint64_t	 bytes_total;
	uint64_t	 files_total;
	enum progress_scan_state scan;
};

void	progress_read(struct progress *, struct progress_view *);

#endif
