/*
 * The ordered hashing queue.  A ring of items: the caller publishes an item
 * by moving the tail, workers claim the next unclaimed item with a
 * compare-and-swap, hash its file without any lock and mark it done, and
 * the caller pops from the head.  Nothing on that path locks: at a hundred
 * thousand small files a second, a shared mutex made the caller and the
 * workers queue for it and sleep in the kernel.  The mutex and the two
 * conditions serve only to sleep when there is nothing to do and to be
 * woken; the counters are sequentially consistent, so that whoever goes to
 * sleep after checking the other side's counter cannot miss its wake-up.
 */
#include "config.h"

#include <sys/resource.h>

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/digest.h"
#include "core/hashq.h"

/* Files queued before a sleeping worker is woken. */
#define WAKE_BATCH	8

/* A directory open for the items queued by name in it. */
struct hashq_dir {
	int		 fd;
	unsigned	 refs;		/* caller's thread only */
};

struct hashq_item {
	void		*data;
	int		 fd;		/* to hash; -1: none, or by name */
	struct hashq_dir *dir;		/* by name: name in dir */
	const char	*name;
	bool		 follow;
	int		 algo;
	off_t		 size;
	int		 err;
	_Atomic size_t	 state;		/* its index << 1 | done */
	unsigned char	 hash[HASHQ_MAX];
};

#define SLOT(q, i)	(&(q)->ring[(i) & ((q)->cap - 1)])
#define DONE(i)		((i) << 1 | 1)
#define TODO(i)		((i) << 1)

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

static int
hash_one(int fd, int algo, off_t size, char *buf, unsigned char *v)
{
	if (algo == HASHQ_XXH128)
		return hash_fd(fd, v, buf, size);
	return digest_fd((enum digest_type)algo, fd, v);
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

/* Claim the next item for hashing: its index, or false when none is left. */
static bool
claim(struct hashq *q, size_t *i)
{
	size_t n = atomic_load(&q->next);

	while (n != atomic_load(&q->tail))
		if (atomic_compare_exchange_weak(&q->next, &n, n + 1)) {
			*i = n;
			return true;
		}
	return false;
}

/* Sleep until there is an item to claim; false when told to quit. */
static bool
await_work(struct hashq *q)
{
	bool go = true;

	pthread_mutex_lock(&q->mu);
	atomic_fetch_add(&q->idle, 1);
	while (atomic_load(&q->next) == atomic_load(&q->tail) && !q->quit)
		pthread_cond_wait(&q->work, &q->mu);
	if (atomic_load(&q->next) == atomic_load(&q->tail))
		go = false;
	atomic_fetch_sub(&q->idle, 1);
	pthread_mutex_unlock(&q->mu);
	return go;
}

static void *
worker(void *arg)
{
	struct hashq *q = arg;
	struct hashq_item *it;
	unsigned char v[HASHQ_MAX];
	char *buf = malloc(HASH_FD_BUF);
	size_t i, left;
	int rc;

	for (;;) {
		if (!claim(q, &i)) {
			if (!await_work(q))
				break;
			continue;
		}
		it = SLOT(q, i);
		/*
		 * An item done when pushed may be popped, and its slot reused,
		 * as soon as it is claimed: its index and its done bit, read
		 * in one word, tell whether this slot is still ours to hash.
		 */
		if (atomic_load(&it->state) != TODO(i))
			continue;
		if (it->dir != NULL)
			it->fd = hashq_open(it->dir->fd, it->name, it->follow);
		if (it->fd == -1)
			rc = -1;
		else if (buf == NULL) {
			rc = -1;
			errno = ENOMEM;
		} else
			rc = hash_one(it->fd, it->algo, it->size, buf, v);
		it->err = rc == -1 ? errno : 0;
		if (it->fd != -1)
			close(it->fd);
		it->fd = -1;
		memcpy(it->hash, v, HASHQ_MAX);
		atomic_store(&it->state, DONE(i));
		left = atomic_fetch_sub(&q->fds, 1) - 1;
		/*
		 * A waiting caller is woken once half the files are done, not
		 * for each one: it then pops them all in one go instead of
		 * trading places with the worker at every file.
		 */
		if (atomic_load(&q->waiting) && (left <= q->max_fds / 2 ||
		    atomic_load(&q->next) == atomic_load(&q->tail))) {
			pthread_mutex_lock(&q->mu);
			pthread_cond_broadcast(&q->done);
			pthread_mutex_unlock(&q->mu);
		}
	}
	free(buf);
	return NULL;
}

unsigned
hashq_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 256 ? 256 : (unsigned)n;
}

int
hashq_init(struct hashq *q, unsigned threads, size_t depth)
{
	struct rlimit rl;
	unsigned i;
	int e;

	memset(q, 0, sizeof(*q));
	/* The caller's thread scans and hashes small files: one CPU less. */
	if (threads == 0)
		threads = hashq_cpus() > 1 ? hashq_cpus() - 1 : 1;
	for (q->cap = 16; q->cap < depth; q->cap *= 2)
		;
	/*
	 * Enough files in flight to keep every worker busy, no more, and at
	 * most a quarter of what the process may open: the walk holds
	 * directory fds too.
	 */
	q->max_fds = 64 + 16 * (size_t)threads;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    q->max_fds > rl.rlim_cur / 4)
		q->max_fds = rl.rlim_cur / 4 > 0 ? rl.rlim_cur / 4 : 1;
	if (q->max_fds > q->cap)
		q->max_fds = q->cap;
	q->ring = calloc(q->cap, sizeof(*q->ring));
	q->threads = calloc(threads, sizeof(*q->threads));
	q->buf = malloc(HASH_FD_BUF);
	if (q->ring == NULL || q->threads == NULL || q->buf == NULL) {
		free(q->ring);
		free(q->threads);
		free(q->buf);
		errno = ENOMEM;
		return -1;
	}
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->work, NULL);
	pthread_cond_init(&q->done, NULL);
	for (i = 0; i < threads; i++) {
		if ((e = pthread_create(&q->threads[i], NULL, worker, q)) !=
		    0) {
			q->nthreads = i;
			hashq_free(q);
			errno = e;
			return -1;
		}
	}
	q->nthreads = threads;
	return 0;
}

void
hashq_free(struct hashq *q)
{
	struct hashq_item *it;
	unsigned i;
	size_t k;

	if (q->ring == NULL)
		return;
	/* Files nobody will pop are not worth hashing. */
	while (claim(q, &k)) {
		it = SLOT(q, k);
		if (atomic_load(&it->state) != TODO(k))
			continue;
		if (it->fd != -1) {
			close(it->fd);
			it->fd = -1;
		}
		dir_unref(it->dir);
		it->dir = NULL;
	}
	pthread_mutex_lock(&q->mu);
	q->quit = true;
	pthread_cond_broadcast(&q->work);
	pthread_mutex_unlock(&q->mu);
	for (i = 0; i < q->nthreads; i++)
		pthread_join(q->threads[i], NULL);
	/* Items the workers had claimed still hold their directory. */
	for (k = q->head; k != atomic_load(&q->tail); k++)
		dir_unref(SLOT(q, k)->dir);
	dir_unref(q->dir);
	free(q->buf);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->work);
	pthread_cond_destroy(&q->done);
	free(q->ring);
	free(q->threads);
	q->ring = NULL;
	q->threads = NULL;
}

bool
hashq_full(struct hashq *q, bool has_fd)
{
	return atomic_load(&q->tail) - q->head == q->cap || (has_fd &&
	    atomic_load(&q->fds) >= q->max_fds);
}

bool
hashq_empty(const struct hashq *q)
{
	return atomic_load(&q->tail) == q->head;
}

bool
hashq_ready(struct hashq *q)
{
	return q->head != atomic_load(&q->tail) &&
	    (atomic_load(&SLOT(q, q->head)->state) & 1);
}

/* Publish the item at the tail, with a file to hash or done already. */
static void
publish(struct hashq *q, bool file)
{
	size_t files = 0;

	if (file)
		files = atomic_fetch_add(&q->fds, 1) + 1;
	atomic_store(&q->tail, atomic_load(&q->tail) + 1);
	/*
	 * Wake a sleeping worker only once a few files wait: every wake is a
	 * system call and a context switch, dearer than a small file's hash.
	 * pop() wakes them before it waits, so nothing is left behind.
	 */
	if (file && files >= WAKE_BATCH && atomic_load(&q->idle) > 0) {
		pthread_mutex_lock(&q->mu);
		pthread_cond_signal(&q->work);
		pthread_mutex_unlock(&q->mu);
	}
}

int
hashq_push(struct hashq *q, void *data, int fd, int algo, off_t size)
{
	struct hashq_item *it;
	size_t i;

	if (hashq_full(q, fd != -1)) {
		errno = EAGAIN;
		return -1;
	}
	it = SLOT(q, atomic_load(&q->tail));
	it->data = data;
	it->fd = fd;
	it->dir = NULL;
	it->algo = algo;
	it->size = size;
	it->err = -1;
	i = atomic_load(&q->tail);
	atomic_store_explicit(&it->state, fd == -1 ? DONE(i) : TODO(i),
	    memory_order_relaxed);
	publish(q, fd != -1);
	return 0;
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
	it = SLOT(q, atomic_load(&q->tail));
	it->data = data;
	it->fd = -1;
	it->dir = NULL;
	it->algo = HASHQ_XXH128;
	it->err = err;
	if (err == 0)
		memcpy(it->hash, hash, HASHQ_MAX);
	atomic_store_explicit(&it->state, DONE(atomic_load(&q->tail)),
	    memory_order_relaxed);
	publish(q, false);
	return 0;
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
	int fd, rc;

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
	    atomic_load(&q->fds) >= q->max_fds / 2) ||
	    ((q->dir == NULL || q->dir_id != dir_id) &&
	    dir_switch(q, dirfd, dir_id) == -1)) {
		if ((fd = hashq_open(dirfd, name, follow)) == -1)
			rc = -1;
		else {
			rc = hash_one(fd, algo, size, q->buf, v);
			close(fd);
		}
		return hashq_push_done(q, data, v, rc == -1 ? errno : 0);
	}
	it = SLOT(q, atomic_load(&q->tail));
	it->data = data;
	it->fd = -1;
	it->dir = q->dir;
	it->dir->refs++;
	it->name = name;
	it->follow = follow;
	it->algo = algo;
	it->size = size;
	it->err = -1;
	atomic_store_explicit(&it->state, TODO(atomic_load(&q->tail)),
	    memory_order_relaxed);
	/* Counted as a file: each holds a directory open, and soon a file. */
	publish(q, true);
	return 0;
}

void *
hashq_pop(struct hashq *q, unsigned char *hash, int *err)
{
	struct hashq_item *it;
	void *data;
	int fd;

	if (q->head == atomic_load(&q->tail))
		return NULL;
	it = SLOT(q, q->head);
	if (!(atomic_load(&it->state) & 1)) {
		pthread_mutex_lock(&q->mu);
		if (atomic_load(&q->idle) > 0)
			pthread_cond_broadcast(&q->work);
		atomic_store(&q->waiting, true);
		while (!(atomic_load(&it->state) & 1))
			pthread_cond_wait(&q->done, &q->mu);
		atomic_store(&q->waiting, false);
		pthread_mutex_unlock(&q->mu);
	}
	if (it->dir != NULL && (it->err == EMFILE || it->err == ENFILE)) {
		/* Out of descriptors then; fewer are open now. */
		if ((fd = hashq_open(it->dir->fd, it->name, it->follow)) != -1) {
			it->err = hash_one(fd, it->algo, it->size, q->buf,
			    it->hash) == -1 ? errno : 0;
			close(fd);
		}
	}
	dir_unref(it->dir);
	it->dir = NULL;
	data = it->data;
	*err = it->err;
	if (it->err == 0)
		memcpy(hash, it->hash, HASHQ_MAX);
	q->head++;
	return data;
}
