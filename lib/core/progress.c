/*
 * Progress counters and the scan that fills in the totals.  The engines only
 * ever add, with relaxed atomics: a reader wants a recent value, not an
 * exact one, and copying threads must not wait for it.  The scan is nftw(3)
 * on a thread of its own: nftw reopens directories by path once it runs out
 * of the descriptors it may keep, so a very deep tree costs it nothing but
 * an undercount past PATH_MAX, which a progress line can live with.
 */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "core/progress.h"

struct progress_scanner {
	struct progress	*p;
	struct progress_scan scan;
	pthread_t	 thread;
	atomic_bool	 stop;
	size_t		 which;		/* the path being walked */
	size_t		 base;		/* its length in nftw's paths */
};

/* nftw passes no argument to its callback: the scan of this thread. */
static _Thread_local struct progress_scanner *scanning;

void
progress_init(struct progress *p)
{
	memset(p, 0, sizeof(*p));
	atomic_init(&p->bytes_done, 0);
	atomic_init(&p->files_done, 0);
	atomic_init(&p->bytes_total, 0);
	atomic_init(&p->files_total, 0);
	atomic_init(&p->scan, PROGRESS_UNCOUNTED);
}

struct progress *
progress_new(void)
{
	struct progress *p;

	p = mmap(NULL, sizeof(*p), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	progress_init(p);
	return p;
}

void
progress_delete(struct progress *p)
{
	if (p == NULL)
		return;
	progress_free(p);
	(void)munmap(p, sizeof(*p));
}

static int
visit(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	struct progress_scanner *s = scanning;
	const struct progress_scan *o = &s->scan;
	bool dir = flag == FTW_D || flag == FTW_DNR;
	unsigned times = o->times > 0 ? o->times : 1;
	const char *rel;

	if (atomic_load_explicit(&s->stop, memory_order_relaxed))
		return FTW_STOP;
	if (flag == FTW_NS)
		return FTW_CONTINUE;
	if (ftw->level > 0 && o->keep != NULL) {
		rel = path + s->base;
		while (*rel == '/')
			rel++;
		if (!o->keep(o->arg, s->which, rel, dir))
			return dir ? FTW_SKIP_SUBTREE : FTW_CONTINUE;
	}
	if (dir)
		return FTW_CONTINUE;
	atomic_fetch_add_explicit(&s->p->files_total, times,
	    memory_order_relaxed);
	if (S_ISREG(st->st_mode) && st->st_size > 0)
		atomic_fetch_add_explicit(&s->p->bytes_total,
		    (uint64_t)st->st_size * times, memory_order_relaxed);
	return FTW_CONTINUE;
}

static void *
count(void *arg)
{
	struct progress_scanner *s = arg;
	const struct progress_scan *o = &s->scan;
	struct stat st;
	char *root;
	size_t i, n;
	int flags;

	scanning = s;
	for (i = 0; i < o->npaths; i++) {
		if (atomic_load_explicit(&s->stop, memory_order_relaxed))
			break;
		flags = FTW_ACTIONRETVAL;
		if (!o->follow)
			flags |= FTW_PHYS;
		if (o->one_fs)
			flags |= FTW_MOUNT;
		n = strlen(o->paths[i]);
		if ((root = malloc(n + 2)) == NULL)
			break;
		memcpy(root, o->paths[i], n + 1);
		/* A trailing slash makes nftw follow a symlink to a directory. */
		if (o->follow_top && !o->follow && n > 0 &&
		    root[n - 1] != '/' && lstat(root, &st) == 0 &&
		    S_ISLNK(st.st_mode) && stat(root, &st) == 0 &&
		    S_ISDIR(st.st_mode)) {
			root[n++] = '/';
			root[n] = '\0';
		}
		s->which = i;
		s->base = n;
		(void)nftw(root, visit, 16, flags);
		free(root);
	}
	atomic_store_explicit(&s->p->scan, PROGRESS_COUNTED,
	    memory_order_release);
	return NULL;
}

int
progress_count(struct progress *p, const struct progress_scan *scan)
{
	struct progress_scanner *s;
	int err;

	if (p == NULL || p->scanner != NULL)
		return 0;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -1;
	s->p = p;
	s->scan = *scan;
	atomic_init(&s->stop, false);
	atomic_store_explicit(&p->scan, PROGRESS_COUNTING,
	    memory_order_relaxed);
	if ((err = pthread_create(&s->thread, NULL, count, s)) != 0) {
		atomic_store_explicit(&p->scan, PROGRESS_UNCOUNTED,
		    memory_order_relaxed);
		free(s);
		errno = err;
		return -1;
	}
	p->scanner = s;
	return 0;
}

void
progress_free(struct progress *p)
{
	if (p == NULL || p->scanner == NULL)
		return;
	atomic_store_explicit(&p->scanner->stop, true, memory_order_relaxed);
	(void)pthread_join(p->scanner->thread, NULL);
	free(p->scanner);
	p->scanner = NULL;
}

void
progress_bytes(struct progress *p, uint64_t n)
{
	if (p != NULL)
		atomic_fetch_add_explicit(&p->bytes_done, n,
		    memory_order_relaxed);
}

void
progress_entry(struct progress *p, bool dir, uint64_t size, uint64_t moved)
{
	if (p == NULL || dir)
		return;
	atomic_fetch_add_explicit(&p->files_done, 1, memory_order_relaxed);
	if (size > moved)
		atomic_fetch_add_explicit(&p->bytes_done, size - moved,
		    memory_order_relaxed);
}

void
progress_read(struct progress *p, struct progress_view *v)
{
	/* The state first: totals read after "counted" are final. */
	v->scan = (enum progress_scan_state)atomic_load_explicit(&p->scan,
	    memory_order_acquire);
	v->bytes_total = atomic_load_explicit(&p->bytes_total,
	    memory_order_relaxed);
	v->files_total = atomic_load_explicit(&p->files_total,
	    memory_order_relaxed);
	v->bytes_done = atomic_load_explicit(&p->bytes_done,
	    memory_order_relaxed);
	v->files_done = atomic_load_explicit(&p->files_done,
	    memory_order_relaxed);
}
