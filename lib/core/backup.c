/*
 * Choosing backup names.  Numbered backups need the highest N among the
 * existing name.~N~ in the directory, which takes one listing.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/backup.h"
#include "core/walk.h"

/* The highest N of name.~N~ in dirfd, 0 when there is none, -1 on error. */
static long
highest(int dirfd, const char *name)
{
	struct walk_dir d;
	size_t i, nl = strlen(name);
	long best = 0, v;
	char *end;
	const char *s;
	int fd;

	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	if (walk_list(fd, &d) == -1) {
		close(fd);
		return -1;
	}
	close(fd);
	for (i = 0; i < d.n; i++) {
		s = d.names[i];
		if (strncmp(s, name, nl) != 0 || strncmp(s + nl, ".~", 2) != 0)
			continue;
		s += nl + 2;
		if (*s < '1' || *s > '9')
			continue;
		v = strtol(s, &end, 10);
		if (strcmp(end, "~") == 0 && v > best)
			best = v;
	}
	walk_list_free(&d);
	return best;
}

char *
backup_name(int dirfd, const char *name, enum backup_kind kind,
    const char *suffix)
{
	long n = 0;
	char *out;

	if (kind == BACKUP_NUMBERED || kind == BACKUP_EXISTING) {
		if ((n = highest(dirfd, name)) == -1)
			return NULL;
		if (kind == BACKUP_EXISTING && n == 0)
			kind = BACKUP_SIMPLE;
	}
	if (kind == BACKUP_SIMPLE) {
		if (asprintf(&out, "%s%s", name, suffix ? suffix : "~") == -1)
			return NULL;
	} else if (asprintf(&out, "%s.~%ld~", name, n + 1) == -1)
		return NULL;
	return out;
}
