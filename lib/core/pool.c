/*
 * The ordered pool.  A ring of job pointers: the caller publishes a job by
 * moving the tail, a worker (or the caller, while it waits) claims an
 * unclaimed job, the oldest whose key nobody works on among the next few,
 * with a compare-and-swap on its slot, runs it without any lock and marks
 * it done, and the caller pops from the head.  Nothing on that path locks:
 * at a hundred thousand small files a second, a shared mutex made the
 * caller and the workers queue for it and sleep in the kernel.  The mutex
 * and the two conditions serve only to sleep when there is nothing to do
 * and to be woken; the counters are sequentially consistent, so that
 * whoever goes to sleep after checking the other side's counter cannot
 * miss its wake-up.
 */
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/pool.h"

/* Jobs queued before a sleeping worker is woken. */
#define WAKE_BATCH	8
/* How many unclaimed jobs a thread looks over for a key nobody works on. */
#define LOOK_AHEAD	32

struct pool_slot {
	struct pool_job	*job;
	_Atomic size_t	 state;		/* index << 2 | claimed << 1 | done */
	/*
	 * The job's key, read by threads looking for one to claim: the job
	 * itself may be done and freed meanwhile (its claim then fails).
	 */
	_Atomic uintptr_t key;
};

/*
 * The index in the state word tells a slot's job from the one before it
 * in the same slot: a job done when pushed may be popped, and its slot
 * reused, before next passes it.
 */
#define SLOT(p, i)	(&(p)->ring[(i) & ((p)->cap - 1)])
#define TODO(i)		((i) << 2)
#define CLAIMED(i)	((i) << 2 | 2)
#define DONE(i)		((i) << 2 | 3)

struct worker {
	struct pool	*pool;
	unsigned	 id;
};

/* Whether a thread other than id works on key. */
static bool
busy(struct pool *p, unsigned id, uintptr_t key)
{
	unsigned t;

	if (key == 0)
		return false;
	for (t = 0; t < p->nbusy; t++)
		if (t != id && atomic_load(&p->busy[t]) == key)
			return true;
	return false;
}

/*
 * Claim a job to run for thread id: the oldest unclaimed one whose key no
 * other thread works on, among the next LOOK_AHEAD, else the oldest
 * unclaimed one (any: that one).  Its index, or false when none is left,
 * and then next has caught up with the tail.
 */
static bool
claim(struct pool *p, unsigned id, bool any, size_t *out)
{
	size_t n, t, i, want, first;
	struct pool_slot *s;

	for (;;) {
		/* Move next past the jobs claimed or done. */
		n = atomic_load(&p->next);
		t = atomic_load(&p->tail);
		while (n != t && atomic_load(&SLOT(p, n)->state) != TODO(n)) {
			if (atomic_compare_exchange_weak(&p->next, &n, n + 1))
				n++;
			t = atomic_load(&p->tail);
		}
		if (n == t)
			return false;
		first = t;
		for (i = n; i != t && i - n < LOOK_AHEAD; i++) {
			s = SLOT(p, i);
			if (atomic_load(&s->state) != TODO(i))
				continue;
			if (!any && busy(p, id, atomic_load(&s->key))) {
				if (first == t)
					first = i;
				continue;
			}
			want = TODO(i);
			if (atomic_compare_exchange_strong(&s->state, &want,
			    CLAIMED(i))) {
				*out = i;
				return true;
			}
		}
		if (first != t) {
			want = TODO(first);
			if (atomic_compare_exchange_strong(&SLOT(p, first)->state,
			    &want, CLAIMED(first))) {
				*out = first;
				return true;
			}
		}
		/* Others took them meanwhile: look again. */
	}
}

/* Run job i, claimed by thread id. */
static void
run_claimed(struct pool *p, size_t i, unsigned id, pool_fn fn)
{
	struct pool_slot *s = SLOT(p, i);
	struct pool_job *job = s->job;

	atomic_store(&p->busy[id], job->key);
	(fn != NULL ? fn : job->run)(job, p->ctx[id]);
	atomic_store(&p->busy[id], 0);
	atomic_store(&s->state, DONE(i));
	atomic_fetch_sub(&p->pending, 1);
	if (atomic_load(&p->waiting)) {
		pthread_mutex_lock(&p->mu);
		pthread_cond_broadcast(&p->done);
		pthread_mutex_unlock(&p->mu);
	}
}

/* Sleep until there is a job to claim; false when told to quit. */
static bool
await_work(struct pool *p)
{
	bool go = true;

	pthread_mutex_lock(&p->mu);
	atomic_fetch_add(&p->idle, 1);
	while (atomic_load(&p->next) == atomic_load(&p->tail) && !p->quit)
		pthread_cond_wait(&p->work, &p->mu);
	if (atomic_load(&p->next) == atomic_load(&p->tail))
		go = false;
	atomic_fetch_sub(&p->idle, 1);
	pthread_mutex_unlock(&p->mu);
	return go;
}

static void *
worker(void *arg)
{
	struct worker *w = arg;
	size_t i;

	for (;;) {
		if (claim(w->pool, w->id, false, &i))
			run_claimed(w->pool, i, w->id, NULL);
		else if (!await_work(w->pool))
			break;
	}
	free(w);
	return NULL;
}

unsigned
pool_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 256 ? 256 : (unsigned)n;
}

int
pool_init(struct pool *p, unsigned threads, size_t depth, void **ctx)
{
	struct worker *w;
	unsigned i;
	int e;

	memset(p, 0, sizeof(*p));
	for (p->cap = 16; p->cap < depth; p->cap *= 2)
		;
	p->ctx = ctx;
	p->ring = calloc(p->cap, sizeof(*p->ring));
	p->threads = calloc(threads > 0 ? threads : 1, sizeof(*p->threads));
	p->busy = calloc(threads + 1, sizeof(*p->busy));
	p->nbusy = threads + 1;
	if (p->ring == NULL || p->threads == NULL || p->busy == NULL) {
		free(p->ring);
		free(p->threads);
		free(p->busy);
		p->ring = NULL;
		errno = ENOMEM;
		return -1;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	for (i = 0; i < threads; i++) {
		e = ENOMEM;
		if ((w = malloc(sizeof(*w))) != NULL) {
			w->pool = p;
			w->id = 1 + i;
			e = pthread_create(&p->threads[i], NULL, worker, w);
		}
		if (e != 0) {
			free(w);
			p->nthreads = i;
			pool_free(p);
			errno = e;
			return -1;
		}
	}
	p->nthreads = threads;
	return 0;
}

void
pool_drop(struct pool *p, pool_fn drop)
{
	size_t i;

	while (claim(p, 0, true, &i))
		run_claimed(p, i, 0, drop);
}

void
pool_free(struct pool *p)
{
	unsigned i;

	if (p->ring == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->quit = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	free(p->ring);
	free(p->threads);
	free(p->busy);
	p->ring = NULL;
	p->threads = NULL;
	p->busy = NULL;
}

bool
pool_full(const struct pool *p)
{
	return atomic_load(&p->tail) - p->head == p->cap;
}

bool
pool_empty(const struct pool *p)
{
	return atomic_load(&p->tail) == p->head;
}

bool
pool_ready(const struct pool *p)
{
	return p->head != atomic_load(&p->tail) &&
	    (atomic_load(&SLOT(p, p->head)->state) & 1);
}

size_t
pool_pending(const struct pool *p)
{
	return atomic_load(&p->pending);
}

int
pool_push(struct pool *p, struct pool_job *job)
{
	size_t i = atomic_load(&p->tail), n = 0;
	struct pool_slot *s;

	if (i - p->head == p->cap) {
		errno = EAGAIN;
		return -1;
	}
	s = SLOT(p, i);
	s->job = job;
	atomic_store_explicit(&s->key, job->key, memory_order_relaxed);
	atomic_store_explicit(&s->state, job->run == NULL ? DONE(i) : TODO(i),
	    memory_order_relaxed);
	if (job->run != NULL)
		n = atomic_fetch_add(&p->pending, 1) + 1;
	atomic_store(&p->tail, i + 1);
	/*
	 * Wake a sleeping worker only once a few jobs wait: every wake is a
	 * system call and a context switch, dearer than a small job.  pop()
	 * wakes them before it waits, so nothing is left behind.
	 */
	if (n >= WAKE_BATCH && atomic_load(&p->idle) > 0) {
		pthread_mutex_lock(&p->mu);
		pthread_cond_signal(&p->work);
		pthread_mutex_unlock(&p->mu);
	}
	return 0;
}

struct pool_job *
pool_pop(struct pool *p)
{
	struct pool_slot *s;
	size_t i;

	if (p->head == atomic_load(&p->tail))
		return NULL;
	s = SLOT(p, p->head);
	if (!(atomic_load(&s->state) & 1) && atomic_load(&p->idle) > 0) {
		pthread_mutex_lock(&p->mu);
		pthread_cond_broadcast(&p->work);
		pthread_mutex_unlock(&p->mu);
	}
	/* Rather than wait, run what nobody has started. */
	while (!(atomic_load(&s->state) & 1) && claim(p, 0, false, &i))
		run_claimed(p, i, 0, NULL);
	if (!(atomic_load(&s->state) & 1)) {
		pthread_mutex_lock(&p->mu);
		atomic_store(&p->waiting, true);
		while (!(atomic_load(&s->state) & 1))
			pthread_cond_wait(&p->done, &p->mu);
		atomic_store(&p->waiting, false);
		pthread_mutex_unlock(&p->mu);
	}
	p->head++;
	return s->job;
}
