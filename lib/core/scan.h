/*
 * Scanning an existing tree in manifest order: the root, then each
 * directory's entries sorted by byte order, each directory followed by its
 * contents (pre-order).  Entries are reached by name relative to an open
 * directory, so depth and name length have no limit.  Used to write the
 * manifest of a tree and to verify a tree against one.
 */
#ifndef SCAN_H
#define SCAN_H

#include <stdbool.h>
#include <sys/stat.h>

struct manifest_record;
struct inomap;

struct scan_entry {
	int		 dirfd;		/* directory holding name */
	unsigned long	 dirid;		/* differs for each directory fd */
	const char	*name;		/* the root: the path given */
	const char	*path;		/* "." or "./a/b", unescaped */
	const struct stat *st;		/* lstat (the root: see scan_tree) */
	int		 depth;
};

struct scan_ops {
	/* An entry: return 0 to go on, or -1 with errno to stop the scan. */
	int	(*entry)(void *, const struct scan_entry *);
	/* An entry that could not be stat'ed or a directory not listed. */
	void	(*error)(void *, const char *, int);
	void	*arg;
};

/*
 * Scan the tree at root, following root itself when it is a symlink and
 * follow is set.  Returns 0 (per-entry problems went to the error
 * callback), or -1 with errno when the root cannot be reached or the entry
 * callback stopped the scan.
 */
int	scan_tree(const char *, bool, const struct scan_ops *);

/*
 * Fill a manifest record (without hash or strategy) for an entry: its type
 * ('h' for a later link of an inode seen before under links, whose first
 * path becomes the target), mode, owner, size, mtime and target (symlink
 * text, or "major,minor" in buf).  *target holds a malloc'd symlink text
 * the caller frees.  Returns 0, or -1 with errno (readlink, ENOMEM).
 */
int	scan_record(const struct scan_entry *, struct inomap *,
	    struct manifest_record *, char **, char *, size_t);

/* Compare two manifest paths in walk order: <0, 0 or >0, like strcmp. */
int	scan_pathcmp(const char *, const char *);

#endif
