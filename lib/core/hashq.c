/*
 * The ordered hashing queue.  A ring of items under one mutex: workers take
 * the next unclaimed item that has a file, hash it without the lock, and
 * mark it done; the caller pops from the head, waiting only when the oldest
 * item is still being hashed.  One mutex is enough: each item costs a few
 * microseconds of hashing at least, far more than the lock.
 */
#include "config.h"

#include <sys/resource.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/digest.h"
#include "core/hashq.h"

/* Files queued before a sleeping worker is woken. */
#define WAKE_BATCH	8

struct hashq_item {
	void		*data;
	int		 fd;
	int		 algo;
	off_t		 size;
	int		 err;
	bool		 done;
	unsigned char	 hash[HASHQ_MAX];
};

static void *
worker(void *arg)
{
	struct hashq *q = arg;
	struct hashq_item *it;
	unsigned char v[HASHQ_MAX];
	int fd, algo, err, rc;
	off_t size;
	char *buf = malloc(HASH_FD_BUF);

	pthread_mutex_lock(&q->mu);
	for (;;) {
		while (q->next < q->tail &&
		    q->ring[q->next & (q->cap - 1)].fd == -1)
			q->next++;
		if (q->next == q->tail) {
			if (q->quit)
				break;
			q->idle++;
			pthread_cond_wait(&q->work, &q->mu);
			q->idle--;
			continue;
		}
		it = &q->ring[q->next++ & (q->cap - 1)];
		fd = it->fd;
		algo = it->algo;
		size = it->size;
		pthread_mutex_unlock(&q->mu);
		if (buf == NULL) {
			rc = -1;
			errno = ENOMEM;
		} else if (algo == HASHQ_XXH128)
			rc = hash_fd(fd, v, buf, size);
		else
			rc = digest_fd((enum digest_type)algo, fd, v);
		err = rc == -1 ? errno : 0;
		close(fd);
		pthread_mutex_lock(&q->mu);
		memcpy(it->hash, v, HASHQ_MAX);
		it->err = err;
		it->fd = -1;
		it->done = true;
		q->fds--;
		/*
		 * A waiting caller is woken once half the files are done, not
		 * for each one: it then pops them all in one go instead of
		 * trading places with the worker at every file.
		 */
		if (q->waiting && (q->fds <= q->max_fds / 2 ||
		    q->next == q->tail))
			pthread_cond_broadcast(&q->done);
	}
	pthread_mutex_unlock(&q->mu);
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
	if (q->ring == NULL || q->threads == NULL) {
		free(q->ring);
		free(q->threads);
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
	unsigned i;
	size_t k;

	if (q->ring == NULL)
		return;
	pthread_mutex_lock(&q->mu);
	/* Files nobody will pop are not worth hashing. */
	for (k = q->next; k < q->tail; k++) {
		if (q->ring[k & (q->cap - 1)].fd != -1) {
			close(q->ring[k & (q->cap - 1)].fd);
			q->ring[k & (q->cap - 1)].fd = -1;
		}
	}
	q->next = q->tail;
	q->quit = true;
	pthread_cond_broadcast(&q->work);
	pthread_mutex_unlock(&q->mu);
	for (i = 0; i < q->nthreads; i++)
		pthread_join(q->threads[i], NULL);
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
	bool full;

	pthread_mutex_lock(&q->mu);
	full = q->tail - q->head == q->cap || (has_fd &&
	    q->fds >= q->max_fds);
	pthread_mutex_unlock(&q->mu);
	return full;
}

bool
hashq_empty(const struct hashq *q)
{
	return q->tail == q->head;
}

bool
hashq_ready(struct hashq *q)
{
	bool ready;

	if (q->head == q->tail)
		return false;
	pthread_mutex_lock(&q->mu);
	ready = q->ring[q->head & (q->cap - 1)].done;
	pthread_mutex_unlock(&q->mu);
	return ready;
}

int
hashq_push(struct hashq *q, void *data, int fd, int algo, off_t size)
{
	struct hashq_item *it;

	pthread_mutex_lock(&q->mu);
	if (q->tail - q->head == q->cap || (fd != -1 &&
	    q->fds >= q->max_fds)) {
		pthread_mutex_unlock(&q->mu);
		errno = EAGAIN;
		return -1;
	}
	it = &q->ring[q->tail & (q->cap - 1)];
	it->data = data;
	it->fd = fd;
	it->algo = algo;
	it->size = size;
	it->err = -1;
	it->done = fd == -1;
	q->tail++;
	/*
	 * Wake a sleeping worker only once a few files wait: every wake is a
	 * system call and a context switch, dearer than a small file's hash.
	 * pop() wakes them before it waits, so nothing is left behind.
	 */
	if (fd != -1) {
		q->fds++;
		if (q->idle > 0 && q->fds >= WAKE_BATCH)
			pthread_cond_signal(&q->work);
	}
	pthread_mutex_unlock(&q->mu);
	return 0;
}

int
hashq_push_done(struct hashq *q, void *data, const unsigned char *hash,
    int err)
{
	struct hashq_item *it;

	pthread_mutex_lock(&q->mu);
	if (q->tail - q->head == q->cap) {
		pthread_mutex_unlock(&q->mu);
		errno = EAGAIN;
		return -1;
	}
	it = &q->ring[q->tail & (q->cap - 1)];
	it->data = data;
	it->fd = -1;
	it->algo = HASHQ_XXH128;
	it->err = err;
	if (err == 0)
		memcpy(it->hash, hash, HASHQ_MAX);
	it->done = true;
	q->tail++;
	pthread_mutex_unlock(&q->mu);
	return 0;
}

int
hashq_push_inline(struct hashq *q, void *data, int fd, int algo, off_t size,
    char *buf)
{
	unsigned char v[HASHQ_MAX];
	int rc;

	if (algo == HASHQ_XXH128)
		rc = hash_fd(fd, v, buf, size);
	else
		rc = digest_fd((enum digest_type)algo, fd, v);
	close(fd);
	return hashq_push_done(q, data, v, rc == -1 ? errno : 0);
}

void *
hashq_pop(struct hashq *q, unsigned char *hash, int *err)
{
	struct hashq_item *it;
	void *data;

	if (q->head == q->tail)
		return NULL;
	pthread_mutex_lock(&q->mu);
	it = &q->ring[q->head & (q->cap - 1)];
	while (!it->done) {
		if (q->idle > 0)
			pthread_cond_broadcast(&q->work);
		q->waiting = true;
		pthread_cond_wait(&q->done, &q->mu);
		q->waiting = false;
	}
	data = it->data;
	*err = it->err;
	if (it->err == 0)
		memcpy(hash, it->hash, HASHQ_MAX);
	q->head++;
	pthread_mutex_unlock(&q->mu);
	return data;
}
