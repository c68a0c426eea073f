/*
 * Walking trees through directory file descriptors: no chdir, no PATH_MAX
 * limit, any bytes in names.  The runner drives the recursion; this module
 * supplies the primitives it uses at every level.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/walk.h"

static void
from_statx(const struct statx *sx, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = makedev(sx->stx_dev_major, sx->stx_dev_minor);
	st->st_ino = sx->stx_ino;
	st->st_mode = sx->stx_mode;
	st->st_nlink = sx->stx_nlink;
	st->st_uid = sx->stx_uid;
	st->st_gid = sx->stx_gid;
	st->st_rdev = makedev(sx->stx_rdev_major, sx->stx_rdev_minor);
	st->st_size = (off_t)sx->stx_size;
	st->st_blksize = sx->stx_blksize;
	st->st_blocks = (blkcnt_t)sx->stx_blocks;
	st->st_atim.tv_sec = sx->stx_atime.tv_sec;
	st->st_atim.tv_nsec = sx->stx_atime.tv_nsec;
	st->st_mtim.tv_sec = sx->stx_mtime.tv_sec;
	st->st_mtim.tv_nsec = sx->stx_mtime.tv_nsec;
	st->st_ctim.tv_sec = sx->stx_ctime.tv_sec;
	st->st_ctim.tv_nsec = sx->stx_ctime.tv_nsec;
}

int
walk_stat(int dirfd, const char *name, bool follow, struct stat *st)
{
	struct statx sx;
	int flags = AT_STATX_SYNC_AS_STAT | (follow ? 0 : AT_SYMLINK_NOFOLLOW);

	if (statx(dirfd, name, flags, STATX_BASIC_STATS, &sx) == -1)
		return -1;
	from_statx(&sx, st);
	return 0;
}

int
walk_fstat_untimed(int fd, struct stat *st)
{
	struct statx sx;

	/*
	 * Asking for no time keeps a multigrain filesystem (XFS, btrfs, ext4
	 * since Linux 6.13) from taking the next change of the file for one
	 * that must be told apart: a clone into it would then log a new
	 * mtime of its own.
	 */
	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_SYNC_AS_STAT,
	    STATX_BASIC_STATS & ~(unsigned)(STATX_ATIME | STATX_MTIME |
	    STATX_CTIME), &sx) == -1)
		return -1;
	memset(&sx.stx_atime, 0, sizeof(sx.stx_atime));
	memset(&sx.stx_mtime, 0, sizeof(sx.stx_mtime));
	memset(&sx.stx_ctime, 0, sizeof(sx.stx_ctime));
	from_statx(&sx, st);
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
walk_list(int fd, struct walk_dir *d)
{
	char chunk[32768], *buf = NULL, *nb, **names;
	size_t len = 0, alloc = 0, n = 0, i, off;
	ssize_t r;
	long pos;
	struct dirent64 *de;

	d->names = NULL;
	d->n = 0;
	d->buf = NULL;
	if (lseek(fd, 0, SEEK_SET) == -1)
		return -1;
	/* First the names, packed one after another. */
	while ((r = getdents64(fd, chunk, sizeof(chunk))) > 0) {
		for (pos = 0; pos < r; pos += de->d_reclen) {
			de = (struct dirent64 *)(chunk + pos);
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			/* Its type, then its name. */
			off = strlen(de->d_name) + 2;
			if (len + off > alloc) {
				alloc = alloc ? alloc * 2 : 4096;
				while (len + off > alloc)
					alloc *= 2;
				if ((nb = realloc(buf, alloc)) == NULL)
					goto fail;
				buf = nb;
			}
			buf[len] = (char)de->d_type;
			memcpy(buf + len + 1, de->d_name, off - 1);
			len += off;
			n++;
		}
	}
	if (r == -1)
		goto fail;
	if ((names = calloc(n ? n : 1, sizeof(*names))) == NULL)
		goto fail;
	for (i = 0, off = 0; i < n; i++) {
		names[i] = buf + off + 1;
		off += strlen(buf + off + 1) + 2;
	}
	qsort(names, n, sizeof(*names), cmp_names);
	d->names = names;
	d->n = n;
	d->buf = buf;
	return 0;
fail:
	free(buf);
	if (errno == 0)
		errno = ENOMEM;
	return -1;
}

int
walk_type(const struct walk_dir *d, size_t i)
{
	return (unsigned char)d->names[i][-1];
}

void
walk_list_free(struct walk_dir *d)
{
	free(d->names);
	free(d->buf);
	d->names = NULL;
	d->buf = NULL;
	d->n = 0;
}

char *
walk_join(const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	char *p;

	if ((p = malloc(dl + nl + 2)) == NULL)
		return NULL;
	memcpy(p, dir, dl);
	if (dl > 0 && dir[dl - 1] != '/')
		p[dl++] = '/';
	memcpy(p + dl, name, nl + 1);
	return p;
}

int
walk_reopen_parent(int fd, dev_t dev, ino_t ino)
{
	struct stat st;
	int pfd;

	pfd = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (pfd == -1)
		return -1;
	if (fstat(pfd, &st) == -1) {
		close(pfd);
		return -1;
	}
	if (st.st_dev != dev || st.st_ino != ino) {
		close(pfd);
		errno = ESTALE;
		return -1;
	}
	return pfd;
}

char *
walk_readlink(int dirfd, const char *name, off_t hint)
{
	size_t len = hint > 0 && hint < 65536 ? (size_t)hint + 1 : 256;
	ssize_t n;
	char *buf, *nb;

	if ((buf = malloc(len)) == NULL)
		return NULL;
	for (;;) {
		n = readlinkat(dirfd, name, buf, len);
		if (n == -1) {
			free(buf);
			return NULL;
		}
		if ((size_t)n < len) {
			buf[n] = '\0';
			return buf;
		}
		len *= 2;
		if ((nb = realloc(buf, len)) == NULL) {
			free(buf);
			return NULL;
		}
		buf = nb;
	}
}

/*
 * A recursive walk spends a few hundred bytes of stack per level: the
 * 8 MiB of a main thread end near 10,000 levels.  A thread's stack is
 * only reserved address space until it is used.
 */
#define WALK_STACK	((size_t)1 << 30)

struct deep_call {
	int		(*fn)(void *);
	void		*arg;
	int		 ret;
	int		 err;
};

static void *
deep_main(void *p)
{
	struct deep_call *c = p;

	errno = 0;
	c->ret = c->fn(c->arg);
	c->err = errno;
	return NULL;
}

int
walk_deep(int (*fn)(void *), void *arg)
{
	struct deep_call c = { fn, arg, -1, 0 };
	pthread_attr_t a;
	pthread_t t;
	int rc;

	if (pthread_attr_init(&a) != 0)
		return fn(arg);
	rc = pthread_attr_setstacksize(&a, WALK_STACK);
	if (rc == 0)
		rc = pthread_create(&t, &a, deep_main, &c);
	pthread_attr_destroy(&a);
	if (rc != 0)
		return fn(arg);
	pthread_join(t, NULL);
	errno = c.err;
	return c.ret;
}
