/*
 * Files that appear whole or not at all: written to an unnamed O_TMPFILE
 * file (or, where that is not supported, a temporary name) beside the
 * final name, then flushed, fsync'd, given a temporary name, renamed into
 * place, and the directory fsync'd, so a crash leaves either the old file
 * or the new one.
 */
#ifndef AFILE_H
#define AFILE_H

#include <stdbool.h>
#include <stdio.h>

struct afile {
	FILE		*fp;		/* write here */
	char		*path;		/* the final name */
	char		*tmp;		/* its temporary name, if it has one */
	bool		 unnamed;	/* O_TMPFILE: named only at commit */
	bool		 nosync;	/* the caller flushes: no fsync */
};

/* The directory part of path ("." or "/" at the ends), or NULL. */
char	*afile_dir(const char *);

/* Open a temporary file beside path.  Returns 0 or -1 with errno. */
int	afile_create(struct afile *, const char *);

/*
 * Flush, fsync, close, rename into place and fsync the directory (no
 * fsync when nosync was set: the caller flushes the filesystem before
 * anything depends on the file).  Returns 0, or -1 with errno (EIO when
 * an earlier write to fp failed; the temporary file is removed).
 */
int	afile_commit(struct afile *);

/* Give up: close and remove the temporary file. */
void	afile_abort(struct afile *);

#endif
