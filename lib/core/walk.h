/*
 * The walker's primitives: one statx per entry, directory listings read with
 * getdents64 from a directory fd and sorted by byte order, paths joined for
 * messages only.  Nothing here depends on PATH_MAX: entries are always
 * reached by name relative to an open directory.
 */
#ifndef WALK_H
#define WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

/* The names of one directory, sorted by strcmp. */
struct walk_dir {
	char		**names;
	size_t		  n;
	char		 *buf;
};

/*
 * Stat name relative to dirfd (AT_FDCWD and full paths work too), following
 * a final symlink when follow is set.  Returns 0 or -1 with errno.
 */
int	walk_stat(int, const char *, bool, struct stat *);
/* fstat without the times, which it leaves zero. */
int	walk_fstat_untimed(int, struct stat *);

/* List the directory open as fd.  Returns 0 or -1 with errno. */
int	walk_list(int, struct walk_dir *);
void	walk_list_free(struct walk_dir *);

/* The type getdents gave names[i]: DT_REG, DT_DIR..., DT_UNKNOWN. */
int	walk_type(const struct walk_dir *, size_t);

/*
 * The text of the symlink name in dirfd, of about hint bytes (st_size,
 * which pseudo filesystems report as 0).  Returns a malloc'd string, or
 * NULL with errno.
 */
char	*walk_readlink(int, const char *, off_t);

/* "dir/name" for messages, or NULL with errno ENOMEM. */
char	*walk_join(const char *, const char *);

/*
 * Open the parent of the directory fd and check that it is still the
 * directory (dev, ino) seen before.  Returns the fd, or -1 with errno
 * (ESTALE when the tree changed underneath).
 */
int	walk_reopen_parent(int, dev_t, ino_t);

/*
 * Call fn(arg) on a thread with a stack large enough for a recursive walk
 * of any depth the open-file limit allows (directly when no such thread can
 * be made).  Returns what fn returns, with its errno.
 */
int	walk_deep(int (*)(void *), void *);

#endif
