/*
 * The xcpm manifest, version 1: one tab-separated line per entry, path
 * last, octal escapes, nanosecond mtimes, XXH3-128 content hashes, the
 * strategy actually used, and an "#end" trailer with the record count and
 * the hash of every byte before it.  See xcpm(5).  The writer is crash-safe
 * (temporary file, fsync, rename, directory fsync); the reader streams in
 * constant memory and rejects a file whose trailer is missing or wrong.
 */
#ifndef MANIFEST_H
#define MANIFEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "core/afile.h"
#include "core/hash.h"

struct manifest_record {
	char		 type;		/* f d l h p s c b */
	mode_t		 mode;		/* permission and set-id bits */
	uid_t		 uid;
	gid_t		 gid;
	uint64_t	 size;
	struct timespec	 mtime;
	bool		 has_hash;	/* regular files only */
	unsigned char	 hash[HASH_LEN];
	const char	*strategy;	/* "reflink", "bytecopy", ... */
	const char	*target;	/* symlink text, first link, "maj,min" */
	const char	*path;		/* "." or "./name/..." */
};

struct manifest_writer {
	FILE		*fp;
	struct afile	 out;		/* when written to a named file */
	bool		 to_file;
	struct hash	 h;
	uint64_t	 records;
	char		*buf;		/* records not yet written */
	size_t		 len;
	size_t		 cap;
};

/*
 * Start a manifest that will be named path once committed; it is written
 * to a temporary file beside it.  Returns 0 or -1 with errno.
 */
int	manifest_create(struct manifest_writer *, const char *);

/* Start a manifest written to an open stream (standard output). */
int	manifest_stream(struct manifest_writer *, FILE *);

/* Append one record.  Returns 0 or -1 with errno. */
int	manifest_add(struct manifest_writer *, const struct manifest_record *);

/*
 * Write the trailer, flush, fsync, rename into place and fsync the
 * directory.  Returns 0 or -1 with errno (the temporary file is removed).
 */
int	manifest_commit(struct manifest_writer *);

/* Give up: remove the temporary file. */
void	manifest_abort(struct manifest_writer *);

struct manifest_reader {
	FILE		*fp;
	struct hash	 h;
	uint64_t	 line;		/* number of the line last read */
	uint64_t	 records;
	const char	*why;		/* what was wrong, for messages */
	char		*buf;		/* what was read: unread bytes */
	size_t		 alloc;		/* are buf[pos..end) */
	size_t		 pos;
	size_t		 end;
	bool		 eof;
	char		*path;
	size_t		 path_alloc;
	char		*target;
	size_t		 target_alloc;
	char		 strategy[32];
	bool		 done;
};

/*
 * Start reading the manifest on fp: checks the "#xcpm 1" header.  Returns
 * 0, or -1 with errno EINVAL (not a manifest; why and line say more).
 */
int	manifest_open(struct manifest_reader *, FILE *);

/*
 * The same, when the caller has already read the first line (n bytes with
 * its newline) to tell the format.
 */
int	manifest_open_header(struct manifest_reader *, FILE *, const char *,
	    size_t);

/*
 * The next record, valid until the next call: returns 1, 0 at the end
 * once the trailer has been verified, or -1 with errno EINVAL (malformed
 * line, or trailer missing or not matching) and why/line set.
 */
int	manifest_next(struct manifest_reader *, struct manifest_record *);
void	manifest_close(struct manifest_reader *);

/*
 * Escape a path or target for a manifest (and for mtree, which decodes
 * the same \ooo escapes).  Returns a malloc'd string, or NULL.
 */
char	*manifest_escape(const char *);

/* Decode in place.  Returns 0, or -1 on a malformed escape. */
int	manifest_unescape(char *);

#endif
