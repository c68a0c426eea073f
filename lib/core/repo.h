/*
 * The snapshot repository (xsync snapshot, list, prune, verify, diff).
 *
 *   REPO/<NAME>/              a complete snapshot: a full tree
 *   REPO/<NAME>.partial/      one being made (never listed)
 *   REPO/latest               symbolic link to the newest snapshot
 *   REPO/.xsync/<NAME>.xcpm   the manifest of each snapshot
 *   REPO/.xsync/lock          flock(2)ed by every run that changes REPO
 *
 * NAME is the UTC time the snapshot was started, 2026-11-24T150405Z, with
 * "-N" appended when that name is taken.  A snapshot is complete when its
 * tree has its final name; its manifest is committed just before that
 * rename, so a complete snapshot always has one.
 */
#ifndef REPO_H
#define REPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct filter;
struct mirror_ops;
struct mirror_stats;

#define REPO_NAME_MAX	64

struct repo_snap {
	char		 name[REPO_NAME_MAX];
	time_t		 when;
	unsigned	 seq;		/* the "-N" of the name */
};

struct repo {
	char		*path;
	int		 fd;
	int		 lock;		/* -1 when not locked */
	struct repo_snap *v;		/* complete snapshots, oldest first */
	size_t		 n;
};

/* repo_open flags */
#define REPO_CREATE	0x1	/* make REPO and REPO/.xsync when missing */
#define REPO_LOCK	0x2	/* take the lock, or fail with EWOULDBLOCK */
#define REPO_WAIT	0x4	/* take the lock, waiting for it */

/*
 * Open the repository at path and list its snapshots.  Returns 0, or -1
 * with errno (ENOTDIR: path is no repository; EWOULDBLOCK: locked).
 */
int	repo_open(struct repo *, const char *, unsigned);
void	repo_close(struct repo *);

/* The snapshot called name, or NULL. */
const struct repo_snap *repo_find(const struct repo *, const char *);

/* The path of a snapshot's tree or manifest (malloc'd), or NULL. */
char	*repo_tree_path(const struct repo *, const char *);
char	*repo_manifest_path(const struct repo *, const char *);

struct repo_snapshot_opts {
	bool		 link;		/* --link: hard links, never clones */
	bool		 checksum;	/* -c, against the stored hashes */
	bool		 one_file_system;
	const struct filter *filter;
	unsigned	 jobs;		/* threads hashing for the manifest */
	bool		 quiet_items;	/* items are not itemized (-i) */
	bool		 all_items;	/* see mirror_opts */
	time_t		 now;		/* 0: the current time */
	bool		 fsync;		/* on disk before it returns */
	struct progress	*progress;	/* see policy */
};

struct repo_result {
	char		 name[REPO_NAME_MAX];
	char		 prev[REPO_NAME_MAX]; /* what it shares with, or "" */
	bool		 subvolume;	/* made as a btrfs snapshot */
	bool		 resumed;	/* went on from an interrupted run */
	bool		 failed;	/* some entries were reported */
};

/*
 * Take a snapshot of the tree src into the locked repository: items and
 * problems go to ops (its record and stored_hash are the repository's
 * own).  The new snapshot is complete when this returns 0, even when
 * some entries failed (res->failed); -1 with errno when it could not be
 * completed (its partial tree is kept for the next run to go on from).
 */
int	repo_snapshot(struct repo *, const char *,
	    const struct repo_snapshot_opts *, const struct mirror_ops *,
	    struct mirror_stats *, struct repo_result *);

/* How many snapshots of each kind prune keeps (0: none of that kind). */
struct repo_keep {
	unsigned	 last;
	unsigned	 hourly;
	unsigned	 daily;
	unsigned	 weekly;
	unsigned	 monthly;
	unsigned	 yearly;
};

/* Why prune keeps a snapshot: REPO_KEEP_* bits, 0 when it goes. */
#define REPO_KEEP_LAST		0x01
#define REPO_KEEP_HOURLY	0x02
#define REPO_KEEP_DAILY		0x04
#define REPO_KEEP_WEEKLY	0x08
#define REPO_KEEP_MONTHLY	0x10
#define REPO_KEEP_YEARLY	0x20
#define REPO_KEEP_LATEST	0x40

/*
 * The policy applied to the snapshots v[0..n) (oldest first): into
 * why[i], the reasons to keep v[i].  Each kind keeps the newest snapshot
 * of each of its newest periods (hours, days, ISO weeks, months, years,
 * UTC) that have one; the latest snapshot is always kept.  Pure.
 */
void	repo_prune_plan(const struct repo_snap *, size_t,
	    const struct repo_keep *, unsigned *);

/*
 * Delete a snapshot: its manifest first (so it is no longer complete),
 * then its tree, renamed out of the way and removed (a subvolume is
 * destroyed whole).  Returns 0 or -1 with errno.
 */
int	repo_delete(struct repo *, const char *);

/* What list shows of a snapshot. */
struct repo_usage {
	uint64_t	 files;		/* entries */
	uint64_t	 bytes;		/* of regular files */
	uint64_t	 exclusive;	/* bytes no other snapshot shares */
};

/*
 * Count from the manifest, and measure the exclusive bytes in the tree:
 * data in extents that are not shared, of inodes that have no link
 * outside the snapshot.  Returns 0 or -1 with errno.
 */
int	repo_usage(const struct repo *, const char *, struct repo_usage *);

/* Format and parse snapshot names; parse returns 0 or -1. */
void	repo_name(time_t, unsigned, char *, size_t);
int	repo_parse_name(const char *, time_t *, unsigned *);

#endif
