/*
 * The mirror: make a destination tree equal to a source tree, rsync's way
 * (xsync SRC... DST).  Source and destination directories are listed side
 * by side in byte order; an entry whose type, size and nanosecond mtime
 * match is unchanged and only its attributes are brought up to date;
 * anything else is written under a temporary name and renamed over the
 * old one, so no half file ever carries a final name.  Entries of the
 * destination that the source lacks are deleted (--delete) before the
 * directory's own entries are handled.  A missing file may instead be
 * hard linked (--link-dest) or cloned (--reflink-dest) from a reference
 * tree where it is unchanged.  Every entry is reported as an item, with
 * rsync's itemize codes; problems go to a callback.  Never prints.
 */
#ifndef MIRROR_H
#define MIRROR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "core/hash.h"
#include "core/policy.h"

struct filter;
struct record;

#define MIRROR_MAX_REFS	20

enum mirror_ref {
	MIRROR_REF_LINK,	/* --link-dest: hard link when all equal */
	MIRROR_REF_CLONE,	/* --reflink-dest: clone the data */
	MIRROR_REF_AUTO		/* snapshots: clone, else link if equal */
};

struct mirror_opts {
	bool		 recursive;	/* -r */
	bool		 links;		/* -l: symbolic links as links */
	bool		 perms;		/* -p */
	bool		 times;		/* -t */
	bool		 owner;		/* -o */
	bool		 group;		/* -g */
	bool		 devices;	/* --devices */
	bool		 specials;	/* --specials */
	bool		 hard_links;	/* -H */
	bool		 acls;		/* -A */
	bool		 xattrs;	/* -X */
	bool		 delete;	/* --delete */
	bool		 delete_excluded;
	long		 max_delete;	/* -1: no limit */
	bool		 dry_run;	/* -n */
	bool		 checksum;	/* -c */
	bool		 one_file_system; /* -x */
	const struct filter *filter;	/* NULL: everything */
	/* Reference trees, relative to the destination when relative. */
	const char	*refs[MIRROR_MAX_REFS];
	size_t		 nrefs;
	enum mirror_ref	 ref_kind;
	/* Moving data: reflink, sparse, ... (cp's defaults are right). */
	struct policy	 data;
	/* Records for a manifest (struct record, dst_st set) to ops.record. */
	bool		 records;
	/*
	 * Nobody looks at the destination until the run is over (a partial
	 * snapshot): new files are written under their final names.
	 */
	bool		 unpublished;
	/* Nobody reads the items' attribute columns: do not compare xattrs
	 * only to show them. */
	bool		 quiet_items;
	/* An item for every entry, unchanged ones too (-ii, progress);
	 * else only for what changed. */
	bool		 all_items;
};

/* The attribute columns of an itemized change, rsync's "cstpoguax". */
#define MI_CHECKSUM	0x001	/* c: content (files), target (links) */
#define MI_SIZE		0x002	/* s */
#define MI_TIME		0x004	/* t */
#define MI_PERMS	0x008	/* p */
#define MI_OWNER	0x010	/* o */
#define MI_GROUP	0x020	/* g */
#define MI_ACL		0x040	/* a */
#define MI_XATTR	0x080	/* x */
#define MI_NEW		0x100	/* "+++++++++" */
#define MI_DELETED	0x200	/* "*deleting" */

struct mirror_item {
	const char	*path;		/* from the transfer root, dirs end in / */
	char		 update;	/* > c h . or * */
	char		 type;		/* f d L D S */
	unsigned	 flags;		/* MI_* */
	const char	*link;		/* symlink target, or the first link */
	const struct stat *st;		/* the source, NULL for deletions */
	enum strategy	 strategy;	/* how the data came, if it did */
	uint64_t	 bytes;		/* data bytes written or shared */
};

enum mirror_err {
	ME_VANISHED,		/* file has vanished: SRC */
	ME_STAT,		/* cannot stat SRC */
	ME_OPEN_DIR,		/* cannot open directory SRC */
	ME_READ,		/* error reading SRC */
	ME_READLINK,		/* cannot read symbolic link SRC */
	ME_CREATE,		/* cannot create DST */
	ME_WRITE,		/* error writing DST */
	ME_RENAME,		/* cannot rename into place DST */
	ME_DELETE,		/* cannot delete DST */
	ME_NOT_EMPTY,		/* cannot delete non-empty directory DST */
	ME_META,		/* cannot set the attributes of DST */
	ME_CHANGED,		/* SRC changed while it was copied */
	ME_SKIP_DIR,		/* skipping directory SRC (no -r) */
	ME_SKIP_SPECIAL,	/* skipping non-regular file SRC */
	ME_OTHER_FS,		/* skipping SRC on another filesystem (-x) */
	ME_DEST_INSIDE,		/* skipping SRC: it is where DST goes */
	ME_REF			/* cannot open reference directory DST */
};

struct mirror_event {
	enum mirror_err	 kind;
	int		 err;		/* errno, 0 when none applies */
	const char	*path;		/* full path of the file at fault */
};

/*
 * A known entry.  A source entry of the same type, permissions, owner,
 * mtime and (a file) size, whose inode last changed before "before", is
 * taken to be held as it is, extended attributes too, and is not
 * compared; the hash is that of the data.
 */
struct mirror_known {
	char		 type;		/* 'f' or 'd' */
	mode_t		 mode;		/* 07777 bits */
	uid_t		 uid;
	gid_t		 gid;
	uint64_t	 size;
	struct timespec	 mtime;
	time_t		 before;	/* 0: nothing is taken on trust */
	bool		 has_hash;
	unsigned char	 hash[HASH_LEN];
};

struct mirror_ops {
	void		(*item)(void *, const struct mirror_item *);
	void		(*report)(void *, const struct mirror_event *);
	/* With mirror_opts.records; may be NULL. */
	void		(*record)(void *, const struct record *);
	/*
	 * -c: the XXH3-128 a manifest holds for the destination (or
	 * reference) copy of path, whose metadata is st; false when none
	 * is known and the copy must be read.  May be NULL.
	 */
	bool		(*stored_hash)(void *, const char *path,
			    const struct stat *st, unsigned char *out);
	/*
	 * What the destination or, where the destination lacks it, the
	 * first reference tree is known to hold at path (a snapshot's
	 * previous manifest): false when nothing is.  Asked by name, in walk
	 * order, on the caller's thread, for regular files and directories.
	 * May be NULL.
	 */
	bool		(*known)(void *, const char *path,
			    struct mirror_known *);
	void		*arg;
};

/* What --stats shows. */
struct mirror_stats {
	uint64_t	 files;		/* entries in the source */
	uint64_t	 regular;
	uint64_t	 dirs;
	uint64_t	 symlinks;
	uint64_t	 devices;
	uint64_t	 specials;
	uint64_t	 created;	/* new entries */
	uint64_t	 created_reg;
	uint64_t	 created_dir;
	uint64_t	 created_link;
	uint64_t	 deleted;
	uint64_t	 transferred;	/* regular files written */
	uint64_t	 total_size;	/* of the source's regular files */
	uint64_t	 transferred_size;
	uint64_t	 copied;	/* bytes copied */
	uint64_t	 shared;	/* bytes cloned or linked */
	uint64_t	 skipped_deletes; /* over --max-delete */
};

struct mirror;

/*
 * Start a mirror.  Returns it, or NULL with errno.
 */
struct mirror *mirror_new(const struct mirror_opts *,
	    const struct mirror_ops *);

/*
 * Mirror src into the directory dst: src's contents when contents is set
 * (rsync's "src/"), else src itself as dst/NAME.  dst is made when
 * missing (its parent must exist).  Returns 0, or -1 with errno 0 when
 * problems were reported, or with errno when dst or src cannot be used.
 */
int	mirror_run(struct mirror *, const char *src, const char *dst,
	    bool contents);

/*
 * The same for a source that is not a directory, to the file dst.
 */
int	mirror_file(struct mirror *, const char *src, const char *dst);

/*
 * Flush the filesystem that holds dst (a directory, or a file's) to disk
 * once the runs are over (--fsync): nothing for a dry run.  Returns 0, or
 * -1 with errno.
 */
int	mirror_sync(const struct mirror *, const char *dst);

const struct mirror_stats *mirror_stats(const struct mirror *);

/* Whether a terminal error (ENOSPC, EIO, EDQUOT, ENOMEM) stopped it. */
bool	mirror_stopped(const struct mirror *);

void	mirror_free(struct mirror *);

/*
 * rsync's itemize string of an item: 11 characters and a NUL into buf.
 */
void	mirror_itemize(const struct mirror_item *, char *);

/* Whether -i shows the item (-ii shows them all). */
bool	mirror_significant(const struct mirror_item *);

#endif
