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

char *
afile_dir(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash == NULL ? strdup(".") : slash == path ? strdup("/") :
	    strndup(path, (size_t)(slash - path));
}

int
afile_create(struct afile *f, const char *path)
{
	const char *slash = strrchr(path, '/');
	mode_t mask;
	char *dir;
	int fd, e;

	f->fp = NULL;
	f->tmp = NULL;
	f->unnamed = false;
	f->nosync = false;
	if ((f->path = strdup(path)) == NULL)
		return -1;
	/*
	 * An unnamed file first: nothing shows in the directory (not even to
	 * a scan of the tree the file describes) until it is complete.
	 */
	if ((dir = afile_dir(path)) == NULL)
		goto fail;
	fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
	free(dir);
	if (fd != -1) {
		if ((f->fp = fdopen(fd, "w")) == NULL) {
			close(fd);
			goto fail;
		}
		f->unnamed = true;
		return 0;
	}
	if (asprintf(&f->tmp, "%.*s.%s.XXXXXX",
	    slash ? (int)(slash - path + 1) : 0, path,
	    slash ? slash + 1 : path) == -1) {
		f->tmp = NULL;
		goto fail;
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
		errno = e;
		goto fail;
	}
	return 0;
fail:
	e = errno;
	free(f->tmp);
	free(f->path);
	f->tmp = f->path = NULL;
	errno = e;
	return -1;
}

/* Give the unnamed file a temporary name beside the final one. */
static int
name_it(struct afile *f)
{
	const char *slash = strrchr(f->path, '/');
	char proc[64];
	unsigned i;
	int fd = fileno(f->fp), rc;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	for (i = 0; i < 1000; i++) {
		free(f->tmp);
		if (asprintf(&f->tmp, "%.*s.%s.%ld.%u",
		    slash ? (int)(slash - f->path + 1) : 0, f->path,
		    slash ? slash + 1 : f->path, (long)getpid(), i) == -1) {
			f->tmp = NULL;
			return -1;
		}
		rc = linkat(fd, "", AT_FDCWD, f->tmp, AT_EMPTY_PATH);
		/* Without CAP_DAC_READ_SEARCH, the /proc route. */
		if (rc == -1 && (errno == ENOENT || errno == EPERM))
			rc = linkat(AT_FDCWD, proc, AT_FDCWD, f->tmp,
			    AT_SYMLINK_FOLLOW);
		if (rc == 0)
			return 0;
		if (errno != EEXIST)
			break;
	}
	free(f->tmp);
	f->tmp = NULL;
	return -1;
}

static int
fsync_dir(const char *path)
{
	char *dir;
	int fd, rc;

	if ((dir = afile_dir(path)) == NULL)
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

	if (fflush(f->fp) == EOF || (!f->nosync &&
	    fsync(fileno(f->fp)) == -1)) {
		rc = -1;
		e = errno;
	} else if (ferror(f->fp)) {
		/*
		 * An earlier write failed (callers need not check each
		 * fprintf): what it lost would leave the file short.  Its
		 * errno is gone by now.
		 */
		rc = -1;
		e = EIO;
	}
	if (rc == 0 && f->unnamed && name_it(f) == -1) {
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
	if (rc == 0 && !f->nosync && fsync_dir(f->path) == -1) {
		rc = -1;
		e = errno;
	}
	if (rc == -1 && f->tmp != NULL)
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
		(void)fclose(f->fp);
	if (f->tmp != NULL)
		unlink(f->tmp);
	free(f->tmp);
	free(f->path);
	f->fp = NULL;
	f->tmp = f->path = NULL;
}
