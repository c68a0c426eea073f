/*
 * An ordered pool of worker threads: the caller pushes jobs in order,
 * workers run them in any order and on any thread, and the caller pops
 * them back in the order it pushed them, each after it has run.  While the
 * caller waits for the oldest job it runs queued jobs itself.  The hashing
 * queue and the copying runner are built on it.
 */
#ifndef POOL_H
#define POOL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pool_job;

/* Run a job; ctx is the running thread's (see pool_init). */
typedef void	(*pool_fn)(struct pool_job *, void *);

/*
 * Embed in a job; run NULL: nothing to run, the job is done when pushed.
 * key: 0, or what the job works on that another thread had better not at
 * the same time (a lock they would queue for); a thread looking for work
 * passes over a job whose key is being worked on, for a few jobs ahead.
 */
struct pool_job {
	pool_fn		 run;
	uintptr_t	 key;
};

struct pool_slot;

/*
 * The ring's counters are atomics, so that pushing, popping and the
 * workers' claims take no lock; the mutex only guards going to sleep and
 * waking up.
 */
struct pool {
	pthread_mutex_t	 mu;
	pthread_cond_t	 work;		/* a job to run, or quit */
	pthread_cond_t	 done;		/* a job ran */
	struct pool_slot *ring;
	size_t		 cap;		/* slots, a power of two */
	size_t		 head;		/* oldest job not popped (caller) */
	_Atomic size_t	 next;		/* next job to claim */
	_Atomic size_t	 tail;		/* one past the newest job */
	_Atomic size_t	 pending;	/* jobs pushed to run, not yet run */
	pthread_t	*threads;
	unsigned	 nthreads;
	_Atomic unsigned idle;		/* workers asleep or going to sleep */
	_Atomic bool	 waiting;	/* the caller waits for the oldest */
	bool		 quit;		/* under mu */
	void		**ctx;		/* [0] the caller's, [1 + i] worker i's */
	_Atomic uintptr_t *busy;	/* the key each of them works on */
	unsigned	 nbusy;
};

/*
 * Start threads workers with a ring of at least depth jobs.  ctx holds
 * threads + 1 pointers handed to the jobs: ctx[0] when the caller runs a
 * job, ctx[1 + i] in worker i; it must live as long as the pool.  Returns
 * 0, or -1 with errno (ENOMEM, EAGAIN).
 */
int	pool_init(struct pool *, unsigned, size_t, void **);

/*
 * Drop the jobs nobody has started: drop is called on each instead of its
 * run function, and they count as done.  For a caller giving up.
 */
void	pool_drop(struct pool *, pool_fn);

/* Stop the workers.  Jobs not popped are left to the caller. */
void	pool_free(struct pool *);

/* Whether the ring is full: the caller must pop first. */
bool	pool_full(const struct pool *);

/* Whether nothing is queued. */
bool	pool_empty(const struct pool *);

/* Whether the oldest job can be popped without waiting. */
bool	pool_ready(const struct pool *);

/* Jobs pushed to run that have not run yet. */
size_t	pool_pending(const struct pool *);

/* Queue a job.  Returns 0, or -1 with errno EAGAIN when full. */
int	pool_push(struct pool *, struct pool_job *);

/*
 * The oldest job once it has run, running queued jobs on the caller's
 * thread while it waits; NULL when the pool is empty.
 */
struct pool_job *pool_pop(struct pool *);

/* One thread per online CPU, from 1 to 256. */
unsigned pool_cpus(void);

#endif
