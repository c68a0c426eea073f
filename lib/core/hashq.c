/*
 * The ordered hashing queue: hashing jobs on the ordered pool.  Each item
 * is a job in a ring of the pool's size, reused once popped.  A file is
 * given either open, or by name in a directory the queue keeps open
 * itself, so that workers, not the scanning thread, open the files.
 */
#include "config.h"

#include <sys/resource.h>

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/digest.h"
#include "core/hashq.h"

/* A directory open for the items queued by name in it. */
struct hashq_dir {
	int		 fd;
	unsigned	 refs;		/* caller's thread only */
};

struct hashq_item {
	struct pool_job	 job;
	void		*data;
	int		 fd;		/* to hash; -1: none, or by name */
	struct hashq_dir *dir;		/* by name: name in dir */
	const char	*name;
	bool		 follow;
	int		 algo;
	off_t		 size;
	int		 err;
	unsigned char	 hash[HASHQ_MAX];
};

int
hashq_open(int dirfd, const char *name, bool follow)
{
	int fd, flags = O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC;

	if (!follow)
		flags |= O_NOFOLLOW;
	/* Reading for a manifest should not look like use. */
	fd = openat(dirfd, name, flags | O_NOATIME);
	if (fd == -1 && errno == EPERM)
		fd = openat(dirfd, name, flags);
	/*
	 * Something else put there since it was seen opens without blocking
	 * (O_NONBLOCK, O_NOCTTY) and is read no further than the size seen
	 * plus one byte (hash_fd), so it cannot hang the scan; its hash then
	 * differs.  That costs no fstat for every file.
	 */
	return fd;
}

/*
 * Hash the open file fd, or when fd is -1 the file name in dirfd (opened
 * here), and close it.  Returns 0 with the result in v, or an errno.
 */
static int
hash_file(int fd, int dirfd, const char *name, bool follow, int algo,
    off_t size, char *buf, unsigned char *v)
{
	int rc;

	if (fd == -1 && (fd = hashq_open(dirfd, name, follow)) == -1)
		return errno;
	if (buf == NULL) {
		rc = -1;
		errno = ENOMEM;
	} else if (algo == HASHQ_XXH128)
		rc = hash_fd(fd, v, buf, size);
	else
		rc = digest_fd((enum digest_type)algo, fd, v);
	rc = rc == -1 ? errno : 0;
	close(fd);
	return rc;
}

static void
dir_unref(struct hashq_dir *d)
{
	if (d == NULL || --d->refs > 0)
		return;
	if (d->fd >= 0)
		close(d->fd);
	free(d);
}

/* Hash an item's file on whichever thread runs it (ctx: its buffer). */
static void
hash_item(struct pool_job *job, void *buf)
{
	struct hashq_item *it = (struct hashq_item *)job;

	it->err = hash_file(it->fd, it->dir ? it->dir->fd : -1, it->name,
	    it->follow, it->algo, it->size, buf, it->hash);
	it->fd = -1;
}

/* A file nobody will pop is not worth hashing (the caller's thread). */
static void
drop_item(struct pool_job *job, void *buf)
{
	struct hashq_item *it = (struct hashq_item *)job;

	(void)buf;
	if (it->fd != -1)
		close(it->fd);
	it->fd = -1;
	it->err = ECANCELED;
}

int
hashq_init(struct hashq *q, unsigned threads, size_t depth)
{
	struct rlimit rl;
	unsigned i;
	int e;

	memset(q, 0, sizeof(*q));
	/* The caller's thread scans and helps: one CPU less. */
	if (threads == 0)
		threads = pool_cpus() > 1 ? pool_cpus() - 1 : 1;
	/*
	 * Enough files in flight to keep every worker busy, no more, and at
	 * most a quarter of what the process may open: the walk holds
	 * directory fds too.
	 */
	q->max_fds = 64 + 16 * (size_t)threads;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    q->max_fds > rl.rlim_cur / 4)
		q->max_fds = rl.rlim_cur / 4 > 0 ? rl.rlim_cur / 4 : 1;
	if ((q->bufs = calloc(threads + 1, sizeof(*q->bufs))) == NULL)
		return -1;
	/* A worker without a buffer reports ENOMEM for its files. */
	for (i = 0; i <= threads; i++)
		q->bufs[i] = malloc(HASH_FD_BUF);
	if (q->bufs[0] == NULL || pool_init(&q->pool, threads, depth,
	    q->bufs) == -1) {
		e = errno;
		for (i = 0; i <= threads; i++)
			free(q->bufs[i]);
		free(q->bufs);
		errno = e;
		return -1;
	}
	if (q->max_fds > q->pool.cap)
		q->max_fds = q->pool.cap;
	if ((q->items = calloc(q->pool.cap, sizeof(*q->items))) == NULL) {
		hashq_free(q);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

void
hashq_free(struct hashq *q)
{
	struct hashq_item *it;
	struct pool_job *job;
	unsigned i, n = q->pool.nthreads;

	if (q->bufs == NULL)
		return;
	if (q->items != NULL) {
		pool_drop(&q->pool, drop_item);
		/* What the workers were hashing: wait, and let go of dirs. */
		while ((job = pool_pop(&q->pool)) != NULL) {
			it = (struct hashq_item *)job;
			dir_unref(it->dir);
			it->dir = NULL;
		}
	}
	pool_free(&q->pool);
	dir_unref(q->dir);
	q->dir = NULL;
	for (i = 0; i <= n; i++)
		free(q->bufs[i]);
	free(q->bufs);
	free(q->items);
	q->bufs = NULL;
	q->items = NULL;
}

bool
hashq_full(struct hashq *q, bool has_fd)
{
	return pool_full(&q->pool) || (has_fd && pool_pending(&q->pool) >=
	    q->max_fds);
}

bool
hashq_empty(const struct hashq *q)
{
	return pool_empty(&q->pool);
}

bool
hashq_ready(struct hashq *q)
{
	return pool_ready(&q->pool);
}

/* The item the next push fills (its slot is free: the pool is not full). */
static struct hashq_item *
next_item(struct hashq *q, void *data)
{
	struct hashq_item *it;

	it = &q->items[atomic_load(&q->pool.tail) & (q->pool.cap - 1)];
	memset(it, 0, offsetof(struct hashq_item, hash));
	it->data = data;
	it->fd = -1;
	it->err = -1;
	return it;
}

int
hashq_push(struct hashq *q, void *data, int fd, int algo, off_t size)
{
	struct hashq_item *it;

	if (hashq_full(q, fd != -1)) {
		errno = EAGAIN;
		return -1;
	}
	it = next_item(q, data);
	it->job.run = fd == -1 ? NULL : hash_item;
	it->fd = fd;
	it->algo = algo;
	it->size = size;
	return pool_push(&q->pool, &it->job);
}

int
hashq_push_done(struct hashq *q, void *data, const unsigned char *hash,
    int err)
{
	struct hashq_item *it;

	if (hashq_full(q, false)) {
		errno = EAGAIN;
		return -1;
	}
	it = next_item(q, data);
	it->algo = HASHQ_XXH128;
	it->err = err;
	if (err == 0)
		memcpy(it->hash, hash, HASHQ_MAX);
	return pool_push(&q->pool, &it->job);
}

/* Make dirfd the directory of the items pushed next. */
static int
dir_switch(struct hashq *q, int dirfd, unsigned long id)
{
	struct hashq_dir *d;

	if ((d = malloc(sizeof(*d))) == NULL)
		return -1;
	d->fd = dirfd == AT_FDCWD ? AT_FDCWD : fcntl(dirfd, F_DUPFD_CLOEXEC,
	    0);
	if (d->fd == -1) {
		free(d);
		return -1;
	}
	d->refs = 1;	/* while it is the current one */
	dir_unref(q->dir);
	q->dir = d;
	q->dir_id = id;
	return 0;
}

int
hashq_push_at(struct hashq *q, void *data, int dirfd, unsigned long dir_id,
    const char *name, bool follow, int algo, off_t size)
{
	struct hashq_item *it;
	unsigned char v[HASHQ_MAX];

	if (hashq_full(q, true)) {
		errno = EAGAIN;
		return -1;
	}
	/*
	 * The workers have fallen behind when half the files they may hold
	 * wait for them: then the caller lends a hand, hashing a small file
	 * itself, instead of only queueing more.  So, too, when the queue
	 * cannot keep the directory open.
	 */
	if ((size >= 0 && size <= HASHQ_INLINE &&
	    pool_pending(&q->pool) >= q->max_fds / 2) ||
	    ((q->dir == NULL || q->dir_id != dir_id) &&
	    dir_switch(q, dirfd, dir_id) == -1)) {
		return hashq_push_done(q, data, v, hash_file(-1, dirfd, name,
		    follow, algo, size, q->bufs[0], v));
	}
	it = next_item(q, data);
	it->job.run = hash_item;
	it->dir = q->dir;
	it->dir->refs++;
	it->name = name;
	it->follow = follow;
	it->algo = algo;
	it->size = size;
	return pool_push(&q->pool, &it->job);
}

void *
hashq_pop(struct hashq *q, unsigned char *hash, int *err)
{
	struct hashq_item *it;
	struct pool_job *job;

	if ((job = pool_pop(&q->pool)) == NULL)
		return NULL;
	it = (struct hashq_item *)job;
	if (it->dir != NULL && (it->err == EMFILE || it->err == ENFILE)) {
		/* Out of descriptors then; fewer are open now. */
		it->err = hash_file(-1, it->dir->fd, it->name, it->follow,
		    it->algo, it->size, q->bufs[0], it->hash);
	}
	dir_unref(it->dir);
	it->dir = NULL;
	*err = it->err;
	if (it->err == 0)
		memcpy(hash, it->hash, HASHQ_MAX);
	return it->data;
}
