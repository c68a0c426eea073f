/*
 * The extract backend: unpack a template archive (tar, pax, cpio, a FreeBSD
 * base.txz: anything libarchive reads, compressed or not) into a directory
 * with our own writer instead of archive_write_disk.  Every entry is made
 * through directory file descriptors beneath the destination, one name at
 * a time and never through a symbolic link, so a hostile archive cannot
 * write outside it: absolute names, "..", parents that are symbolic links
 * and hard links to anything but a regular file inside the tree are
 * refused and reported, and the rest goes on.
 */
#ifndef EXTRACT_H
#define EXTRACT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/hash.h"

struct stat;

/* One entry as it was made. */
struct extract_entry {
	/* "./a/b" from the root, unescaped; "." for the root itself. */
	const char	*path;
	/*
	 * What was made: st_mode (type and permissions, with the setuid,
	 * setgid and sticky bits that were kept), st_uid, st_gid, st_size,
	 * st_mtim, st_atim, st_rdev, st_dev, st_ino, st_nlink.  A directory's
	 * mode and times are the ones it gets at the end.
	 */
	const struct stat *st;
	/*
	 * The symbolic link's text; for a hard link the "./path" of the name
	 * it links to (st is then that regular file); else NULL.
	 */
	const char	*target;
	/* Regular files and their hard links: XXH3-128 of the data. */
	bool		 has_hash;
	unsigned char	 hash[HASH_LEN];
};

struct extract_ops {
	/*
	 * Every entry made, in archive order; a hard link is its own entry.
	 * Directories made only because an entry needed them are not
	 * entries.  May be NULL.
	 */
	void	(*entry)(void *, const struct extract_entry *);
	/*
	 * An entry refused or failed (or made with some metadata missing);
	 * extraction goes on.  path is the name in the archive, why says
	 * what went wrong, err is the errno of the failed call, or 0 when
	 * the entry was refused by a rule.  May be NULL.
	 */
	void	(*problem)(void *, const char *path, const char *why, int err);
	void	*arg;
};

struct extract_opts {
	/* Make block and character devices (root only); else skip them. */
	bool	devices;
	/* chown to the archive's numeric uid and gid (never by name). */
	bool	owners;
};

/*
 * The name of an archive entry (or of a hard link's target) relative to
 * the root, as extract_archive() makes it: empty and "." components (so
 * any leading "./") and trailing slashes dropped.  An empty name, an
 * absolute one and one with a ".." component are refused.  Returns a
 * malloc'd "./a/b", or "." for the root itself; NULL with *why saying why
 * the name is refused, or NULL with *why NULL when out of memory.
 */
char	*extract_clean_path(const char *raw, const char **why);

/*
 * Extract the archive at path (NULL: standard input) into the directory
 * open as root_fd (opened O_RDONLY|O_DIRECTORY, not O_PATH), which should
 * be empty: what is in the way is replaced, as a later duplicate entry
 * replaces an earlier one.  Missing parent directories are made and get
 * mode 0755; a directory's own mode and times are set at the end, deepest
 * first.  Setuid and setgid bits are kept only on files whose owner or
 * group is the archive's.  opts and ops may be NULL.
 *
 * Returns 0 when every entry was made, 1 when some were refused or failed
 * (each reported through ops->problem), or -1 with errno on a fatal error:
 * the archive cannot be opened or is corrupt (its errno, or EILSEQ or
 * EINVAL), or ENOSPC, EDQUOT, EIO or ENOMEM, which stop everything
 * (directory modes and times are then left unset).  errbuf (errlen bytes)
 * gets a message for the fatal error: libarchive's when it has one, else
 * the entry's name and what failed.
 */
int	extract_archive(const char *path, int root_fd,
	    const struct extract_opts *opts, const struct extract_ops *ops,
	    char *errbuf, size_t errlen);

#endif
