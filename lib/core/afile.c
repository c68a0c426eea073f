/*
 * Atomic replacement of a file by name.  The temporary name is the final
 * one with a leading dot and a random suffix, in the same directory, so the
 * rename never crosses filesystems.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/afile.h"

int
afile_create(struct afile *f, const char *path)
{
	const char *slash = strrchr(path, '/');
	mode_t mask;
	int fd, e;

	f->fp = NULL;
	f->tmp = NULL;
	if ((f->path = strdup(path)) == NULL)
		return -1;
	if (asprintf(&f->tmp, "%.*s.%s.XXXXXX",
	    slash ? (int)(slash - path + 1) : 0, path,
	    slash ? slash + 1 : path) == -1) {
		free(f->path);
		f->path = NULL;
		return -1;
	}
	fd = mkostemp(f->tmp, O_CLOEXEC);
	/* The mode a new file would get, not mkostemp's 0600. */
	if (fd != -1) {
		mask = umask(0);
		umask(mask);
		(void)fchmod(fd, 0666 & ~mask);
	}
	if (fd == -1 || (f->fp = fdopen(fd, "w")) == NULL) {
		e = errno;
		if (fd != -1) {
			close(fd);
			unlink(f->tmp);
		}
		free(f->tmp);
		free(f->path);
		f->tmp = f->path = NULL;
		errno = e;
		return -1;
	}
	return 0;
}

static int
fsync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd, rc;

	dir = slash == NULL ? strdup(".") : slash == path ? strdup("/") :
	    strndup(path, (size_t)(slash - path));
	if (dir == NULL)
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
afile_commit(struct afile *f)
{
	int e = 0, rc = 0;

	if (fflush(f->fp) == EOF || fsync(fileno(f->fp)) == -1) {
		rc = -1;
		e = errno;
	}
	if (fclose(f->fp) == EOF && rc == 0) {
		rc = -1;
		e = errno;
	}
	f->fp = NULL;
	if (rc == 0 && rename(f->tmp, f->path) == -1) {
		rc = -1;
		e = errno;
	}
	if (rc == 0 && fsync_dir(f->path) == -1) {
		rc = -1;
		e = errno;
	}
	if (rc == -1)
		unlink(f->tmp);
	free(f->tmp);
	free(f->path);
	f->tmp = f->path = NULL;
	errno = e;
	return rc;
}

void
afile_abort(struct afile *f)
{
	if (f->fp != NULL)
		fclose(f->fp);
	if (f->tmp != NULL)
		unlink(f->tmp);
	free(f->tmp);
	free(f->path);
	f->fp = NULL;
	f->tmp = f->path = NULL;
}
