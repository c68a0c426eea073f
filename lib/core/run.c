/*
 * The runner.  One operand at a time, depth first through directory fds:
 * each entry is stat'ed once, planned, created under a name that is final
 * only when it is complete (an O_TMPFILE inode linked into place, or a
 * temporary name renamed over the old file), and given its metadata before
 * it appears.  Directories get theirs after their children, so that their
 * times and read-only modes survive the copy.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/xattr.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/fs.h>

#include "backends/backend.h"
#include "core/backup.h"
#include "core/hash.h"
#include "core/meta.h"
#include "core/plan.h"
#include "core/pool.h"
#include "core/progress.h"
#include "core/record.h"
#include "core/run.h"
#include "core/transfer.h"
#include "core/walk.h"

/* Past this depth a level closes its parent's fds and reopens them by "..". */
#define FD_DEPTH	64

/* How a directory is recorded: already there, or its final metadata. */
#define EMIT_QUIET	0x01
#define EMIT_POST	0x02

/* Open fds of one directory level: source and destination. */
struct level {
	int		 sfd;
	int		 dfd;
	dev_t		 sdev;
	ino_t		 sino;
	dev_t		 ddev;
	ino_t		 dino;
};

/* One entry to copy. */
struct node {
	int		 sdir;		/* where sname is, or AT_FDCWD */
	const char	*sname;
	const char	*spath;		/* for messages */
	int		 ddir;
	const char	*dname;
	const char	*dpath;
	dev_t		 ddev;		/* device of ddir */
	ino_t		 dino;		/* inode of ddir (below the top) */
	struct stat	 st;		/* the source */
	int		 depth;
	bool		 dst_slash;	/* the operand ended in '/' */
	bool		 fresh;		/* ddir was just made: nothing is there */
	bool		 staged;	/* ddir is in a tree built under a
					   temporary name: create by name */
	bool		 plain;		/* and no default ACL there: a new
					   file's mode is the umask's */
	gid_t		 new_gid;	/* a new file's group in ddir */
};

/*
 * A new tree being built under a temporary name: dpath final is at tmp
 * until it is renamed.  Hard links into it go by the tmp path meanwhile.
 */
struct stage {
	struct stage	*next;
	char		*final;		/* without trailing slashes */
	size_t		 flen;
	char		*tmp;
	char		 name[64];	/* tmp's last component */
};

static int	copy_node(struct run *, struct node *, struct level *);
static long	dst_magic(struct run *, int, dev_t);
static char	*staged_path(const struct run *, const char *);
static void	sort_by_inode(int, struct walk_dir *);
static int	pool_start(struct run *);
static void	pool_stop(struct run *);
struct dir_state;
static void	dir_finish(struct run *, struct dir_state *);
static void	flush(struct run *);
static void	push_batch(struct run *, struct batch *);

int
run_init(struct run *r, const struct policy *pol, const struct run_ops *ops)
{
	memset(r, 0, sizeof(*r));
	r->pol = pol;
	r->ops = *ops;
	probe_init(&r->probe);
	inomap_init(&r->links);
	inomap_init(&r->created);
	r->umask = umask(0);
	umask(r->umask);
	r->emit_fd = -1;
	r->euid = geteuid();
	r->egid = getegid();
	r->privileged = r->euid == 0;
	if (pool_start(r) == -1) {
		run_free(r);
		return -1;
	}
	return 0;
}

void
run_free(struct run *r)
{
	struct stage *st;

	pool_stop(r);
	while ((st = r->stages) != NULL) {
		r->stages = st->next;
		free(st->final);
		free(st->tmp);
		free(st);
	}
	free(r->up);
	probe_free(&r->probe);
	inomap_free(&r->links);
	inomap_free(&r->created);
}

bool
run_stopped(const struct run *r)
{
	return r->stopped;
}

static void
count_error(struct run *r, enum run_err kind, int err)
{
	r->errors++;
	/*
	 * A full or failing destination stops the run; a source that cannot
	 * be read is one file's problem, as in cp.
	 */
	if (backend_fatal(err) && kind != RE_READ && kind != RE_OPEN_READ &&
	    kind != RE_OPEN_DIR && kind != RE_STAT && kind != RE_READLINK)
		r->stopped = true;
}

static void
report(struct run *r, enum run_err kind, int err, const char *src,
    const char *dst)
{
	struct run_event ev;

	count_error(r, kind, err);
	ev.kind = kind;
	ev.err = err;
	ev.src = src;
	ev.dst = dst;
	r->ops.report(r->ops.arg, &ev);
}

static void
emit_full(struct run *r, const struct node *n, enum strategy s,
    const char *target, const char *backup, uint64_t bytes, int flags,
    int dfd)
{
	struct record rec;
	struct stat st;

	progress_entry(r->pol->progress, S_ISDIR(n->st.st_mode),
	    S_ISREG(n->st.st_mode) && n->st.st_size > 0 ?
	    (uint64_t)n->st.st_size : 0, bytes);
	if (r->ops.record == NULL)
		goto out;
	memset(&rec, 0, sizeof(rec));
	rec.data_fd = -1;
	if (r->pol->manifest) {
		/* What the manifest records is the destination as left. */
		if ((dfd != -1 ? fstat(dfd, &st) : fstatat(n->dname ?
		    n->ddir : AT_FDCWD, n->dname ? n->dname : n->dpath, &st,
		    AT_SYMLINK_NOFOLLOW)) == 0)
			rec.dst_st = &st;
		rec.hash = r->emit_hashed ? r->emit_hash : NULL;
		rec.data_fd = r->emit_fd;
		rec.first = r->emit_first;
		rec.quiet = flags & EMIT_QUIET;
		rec.post = flags & EMIT_POST;
	}
	rec.src = n->spath;
	rec.dst = n->dpath;
	rec.backup = backup;
	rec.target = target;
	rec.st = &n->st;
	rec.strategy = s;
	rec.bytes = bytes;
	rec.depth = n->depth;
	r->ops.record(r->ops.arg, &rec);
out:
	r->emit_fd = -1;
	r->emit_first = NULL;
	r->emit_hashed = false;
}

static void
emit(struct run *r, const struct node *n, enum strategy s,
    const char *target, const char *backup, uint64_t bytes)
{
	emit_full(r, n, s, target, backup, bytes, 0, -1);
}

/*
 * Several threads.  The caller's thread walks the tree and does everything
 * but copy regular files: a regular file with one link becomes a job on the
 * ordered pool, run by a worker (or by the caller while it waits) with its
 * own copy of the run.  Whatever a thread reports goes into a batch, and
 * batches are handed to the front end in the order they were pushed, so
 * messages and records come out in walk order whatever the number of
 * threads.  A directory is finished (its metadata, its fds) only once all
 * jobs pushed before are done.
 */
enum out_kind { OUT_EVENT, OUT_RECORD, OUT_REMOVED };

struct out {
	enum out_kind	 kind;
	bool		 counted;	/* an event the run has counted already */
	struct run_event ev;
	struct record	 rec;		/* st, dst_st, hash: set when replayed */
	bool		 has_st;
	bool		 has_dst_st;
	bool		 has_hash;
	struct stat	 st;
	struct stat	 dst_st;
	unsigned char	 hash[16];
	char		*str[5];	/* the strings ev and rec point to */
};

/* A directory whose metadata is applied once its entries are done. */
struct dir_state {
	struct node	 n;
	char		*spath;		/* n's, owned */
	char		*dpath;
	struct level	 me;
	struct level	*parent;
	struct walk_dir	 d;		/* names the files in flight use */
	struct stat	 dst;
	mode_t		 want;
	bool		 made;
	struct stage	*stage;		/* when built under a temporary name */
	char		*name;		/* then its final name */
};

/* A file of a chunk; its paths are kept in the chunk's strs. */
struct chunk_file {
	struct node	 n;
	size_t		 spath;		/* offsets in the batch's strs */
	size_t		 dpath;
};

/*
 * A job: files of one directory to copy on a worker (job.run set), what
 * the caller's thread reported, or a directory to finish (dir).
 */
struct batch {
	struct pool_job	 job;
	struct chunk_file *f;
	size_t		 nf;
	size_t		 falloc;
	char		*strs;
	size_t		 slen;
	size_t		 salloc;
	struct dir_state *dir;
	struct out	*v;
	size_t		 nv;
	size_t		 alloc;
};

/*
 * Files of one directory per job, up to CHUNK of them: one thread per
 * directory at a time, as far as the tree allows, so that threads do not
 * queue for the same directory lock or, on XFS, the same allocation
 * group's buffers (a directory's files are allocated in its group).  At
 * most FILES_QUEUED files wait in the pool, whatever the tree's shape.
 */
#define CHUNK		1024
#define FILES_QUEUED	8192

struct run_pool {
	struct pool	 pool;
	struct run	*copies;	/* [0] the caller's, [1 + i] worker i's */
	void		**ctx;
	unsigned	 ncopies;
	struct batch	*chunk;		/* files being gathered */
	size_t		 chunk_max;
	size_t		 files;		/* in the queued chunks */
	_Atomic bool	 halt;		/* a terminal error: start no more */
};

/* A new output in the thread's batch, or NULL (out of memory). */
static struct out *
out_new(struct run *r)
{
	struct batch *b;
	struct out *v;
	size_t n;

	/* Files gathered before what the caller's thread reports now. */
	if (r->main == NULL && r->pool->chunk != NULL) {
		b = r->pool->chunk;
		r->pool->chunk = NULL;
		push_batch(r, b);
	}
	if (r->batch == NULL && (r->batch = calloc(1, sizeof(*r->batch))) ==
	    NULL)
		return NULL;
	b = r->batch;
	if (b->nv == b->alloc) {
		n = b->alloc ? 2 * b->alloc : 4;
		if ((v = reallocarray(b->v, n, sizeof(*v))) == NULL)
			return NULL;
		b->v = v;
		b->alloc = n;
	}
	v = &b->v[b->nv++];
	memset(v, 0, sizeof(*v));
	v->rec.data_fd = -1;
	return v;
}

static const char *
keep(struct out *o, int i, const char *s)
{
	return s == NULL ? NULL : (o->str[i] = strdup(s));
}

/*
 * The ops of a thread that reports into batches.  Out of memory, a message
 * or record is lost, not the error count.
 */
static void
cap_report(void *arg, const struct run_event *ev)
{
	struct run *r = arg;
	struct out *o;

	if ((o = out_new(r)) == NULL)
		return;
	o->kind = OUT_EVENT;
	o->counted = r->main == NULL;
	o->ev = *ev;
	o->ev.src = keep(o, 0, ev->src);
	o->ev.dst = keep(o, 1, ev->dst);
}

static void
cap_record(void *arg, const struct record *rec)
{
	struct run *r = arg;
	struct out *o;

	if ((o = out_new(r)) == NULL)
		return;
	o->kind = OUT_RECORD;
	o->rec = *rec;
	o->rec.src = keep(o, 0, rec->src);
	o->rec.dst = keep(o, 1, rec->dst);
	o->rec.backup = keep(o, 2, rec->backup);
	o->rec.target = keep(o, 3, rec->target);
	o->rec.first = keep(o, 4, rec->first);
	if ((o->has_st = rec->st != NULL))
		o->st = *rec->st;
	if ((o->has_dst_st = rec->dst_st != NULL))
		o->dst_st = *rec->dst_st;
	if ((o->has_hash = rec->hash != NULL))
		memcpy(o->hash, rec->hash, sizeof(o->hash));
	/* The source is closed when the copy is done: keep a descriptor. */
	o->rec.data_fd = rec->data_fd == -1 ? -1 : fcntl(rec->data_fd,
	    F_DUPFD_CLOEXEC, 0);
}

static void
cap_removed(void *arg, const char *path)
{
	struct run *r = arg;
	struct out *o;

	if ((o = out_new(r)) == NULL)
		return;
	o->kind = OUT_REMOVED;
	keep(o, 0, path);
}

static void
batch_free(struct batch *b)
{
	size_t i;
	int k;

	if (b == NULL)
		return;
	for (i = 0; i < b->nv; i++) {
		for (k = 0; k < 5; k++)
			free(b->v[i].str[k]);
		if (b->v[i].rec.data_fd != -1)
			close(b->v[i].rec.data_fd);
	}
	free(b->strs);
	free(b->f);
	free(b->v);
	free(b);
}

/*
 * Hand a batch to the front end.  A worker's file that ran after a
 * terminal error elsewhere is not reported: cp would not have tried it.
 */
static void
replay(struct run *r, struct batch *b)
{
	bool late = b->job.run != NULL && r->stopped;
	struct run_ops saved;
	struct out *o;
	size_t i;

	for (i = 0; i < b->nv; i++) {
		o = &b->v[i];
		switch (o->kind) {
		case OUT_EVENT:
			if (late)
				break;
			if (!o->counted)
				count_error(r, o->ev.kind, o->ev.err);
			r->out.report(r->out.arg, &o->ev);
			break;
		case OUT_RECORD:
			o->rec.st = o->has_st ? &o->st : NULL;
			o->rec.dst_st = o->has_dst_st ? &o->dst_st : NULL;
			o->rec.hash = o->has_hash ? o->hash : NULL;
			if (r->out.record != NULL)
				r->out.record(r->out.arg, &o->rec);
			break;
		case OUT_REMOVED:
			if (r->out.removed != NULL && o->str[0] != NULL)
				r->out.removed(r->out.arg, o->str[0]);
			break;
		}
	}
	if (b->dir != NULL) {
		/* In its turn: what it reports goes out now. */
		saved = r->ops;
		r->ops = r->out;
		dir_finish(r, b->dir);
		r->ops = saved;
		b->dir = NULL;
	}
}

static void
drain_one(struct run *r)
{
	struct batch *b;

	if ((b = (struct batch *)pool_pop(&r->pool->pool)) == NULL)
		return;
	r->pool->files -= b->nf;
	replay(r, b);
	batch_free(b);
}

/* Wait for every job pushed, and hand over everything reported so far. */
static void
drain_all(struct run *r)
{
	if (r->pool == NULL)
		return;
	flush(r);
	while (!pool_empty(&r->pool->pool))
		drain_one(r);
}

/* Whether to stop: a terminal error here, or in a worker. */
static bool
halted(const struct run *r)
{
	return r->stopped || (r->pool != NULL && atomic_load(&r->pool->halt));
}

/*
 * Whether the destination name of n is taken (its stat in *old): 1, 0, or
 * -1 after reporting.  In a directory this run has just made, a file's
 * name is free without a stat; should it be taken all the same (another
 * process), the new file replaces it whole when linked in (link_tmpfile).
 */
static int
dst_exists(struct run *r, const struct node *n, bool file, struct stat *old)
{
	if (n->fresh && file)
		return 0;
	if (fstatat(n->ddir, n->dname, old, AT_SYMLINK_NOFOLLOW) == 0)
		return 1;
	if (errno == ENOENT)
		return 0;
	report(r, RE_STAT, errno, n->dpath, n->dpath);
	return -1;
}

static int	copy_file(struct run *, struct node *, bool, struct stat *);

/* Copy a chunk's files on a worker (ctx: the worker's copy of the run). */
static void
chunk_job(struct pool_job *job, void *ctx)
{
	struct batch *b = (struct batch *)job;
	struct run *w = ctx;
	struct node *n;
	struct stat old;
	size_t i;
	int exists;

	w->batch = b;
	for (i = 0; i < b->nf && !atomic_load(&w->main->pool->halt); i++) {
		n = &b->f[i].n;
		n->spath = b->strs + b->f[i].spath;
		n->dpath = b->strs + b->f[i].dpath;
		if ((exists = dst_exists(w, n, true, &old)) != -1)
			(void)copy_file(w, n, exists, &old);
		if (w->stopped) {
			atomic_store(&w->main->pool->halt, true);
			w->stopped = false;
		}
	}
	w->batch = NULL;
}

/* Push a batch, popping first while the pool is full. */
static void
push_batch(struct run *r, struct batch *b)
{
	while (pool_full(&r->pool->pool) ||
	    (b->nf > 0 && r->pool->files > FILES_QUEUED - b->nf))
		drain_one(r);
	r->pool->files += b->nf;
	(void)pool_push(&r->pool->pool, &b->job);
}

/*
 * Push what this thread has kept: the chunk of files being filled, or
 * what it reported (only one of them holds anything at a time).
 */
static void
flush(struct run *r)
{
	struct batch *b;

	if (r->pool == NULL)
		return;
	if ((b = r->pool->chunk) != NULL) {
		r->pool->chunk = NULL;
		push_batch(r, b);
	}
	if ((b = r->batch) != NULL) {
		r->batch = NULL;
		push_batch(r, b);
	}
}

/*
 * What creating files in n's directory locks, for the pool to keep threads
 * apart: on XFS its allocation group (files go to their directory's), else
 * the directory itself (its lock).
 */
static uintptr_t
chunk_key(struct run *r, const struct node *n)
{
	if (!r->group_known || r->group_dev != n->ddev) {
		r->group_shift = probe_group_shift(dst_magic(r, n->ddir,
		    n->ddev), n->ddir);
		r->group_dev = n->ddev;
		r->group_known = true;
	}
	if (r->group_shift > 0 && r->group_shift < 64)
		return (uintptr_t)(n->dino >> r->group_shift) + 1;
	return (uintptr_t)n->dino + 1;
}

/*
 * Queue the regular file n to be copied by a worker, in the chunk of its
 * directory.  Its names in the directory (sname, dname) and the directory
 * fds stay valid until the directory is finished.  Returns 0, or 1 when it
 * must be copied here.
 */
static int
defer_file(struct run *r, const struct node *n)
{
	struct batch *b = r->pool->chunk;
	struct chunk_file *f;
	size_t want, sl, dl;
	char *s;

	if (b == NULL || b->nf == r->pool->chunk_max ||
	    b->f[0].n.sdir != n->sdir) {
		/* The chunk so far, or what this thread reported, goes first. */
		flush(r);
		if ((b = calloc(1, sizeof(*b))) == NULL)
			return 1;
		b->job.run = chunk_job;
		b->job.key = chunk_key(r, n);
		r->pool->chunk = b;
	}
	if (b->nf == b->falloc) {
		want = b->falloc ? 4 * b->falloc : 16;
		if (want > r->pool->chunk_max)
			want = r->pool->chunk_max;
		if ((f = reallocarray(b->f, want, sizeof(*f))) == NULL)
			return 1;
		b->f = f;
		b->falloc = want;
	}
	sl = strlen(n->spath) + 1;
	dl = strlen(n->dpath) + 1;
	if (b->strs == NULL || b->salloc - b->slen < sl + dl) {
		want = b->salloc ? 2 * b->salloc : 4096;
		while (want - b->slen < sl + dl)
			want *= 2;
		if ((s = realloc(b->strs, want)) == NULL)
			return 1;
		b->strs = s;
		b->salloc = want;
	}
	f = &b->f[b->nf];
	f->n = *n;
	f->spath = b->slen;
	memcpy(b->strs + b->slen, n->spath, sl);
	f->dpath = b->slen + sl;
	memcpy(b->strs + b->slen + sl, n->dpath, dl);
	b->slen += sl + dl;
	b->nf++;
	return 0;
}

/* Start the threads: policy.jobs in all, the caller's among them. */
static int
pool_start(struct run *r)
{
	struct run_pool *p;
	struct rlimit rl;
	size_t depth = 256;
	unsigned jobs = r->pol->jobs ? r->pol->jobs : pool_cpus(), i;

	/* -i asks questions: one file at a time. */
	if (jobs < 2 || r->pol->overwrite == OVERWRITE_ASK)
		return 0;
	/* A manifest keeps a source fd per file in flight. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    depth > rl.rlim_cur / 4)
		depth = rl.rlim_cur / 4 > 16 ? rl.rlim_cur / 4 : 16;
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->copies = calloc(jobs, sizeof(*p->copies))) == NULL ||
	    (p->ctx = calloc(jobs, sizeof(*p->ctx))) == NULL) {
		if (p != NULL)
			free(p->copies);
		free(p);
		return -1;
	}
	p->ncopies = jobs;
	/*
	 * Each directory in the queue holds two fds, and with a manifest each
	 * file done a dup of its source until it is written out.
	 */
	p->chunk_max = r->pol->manifest ? 8 : CHUNK;
	if (depth > 64 && r->pol->manifest)
		depth = 64;
	r->out = r->ops;
	r->ops.report = cap_report;
	r->ops.record = r->out.record ? cap_record : NULL;
	r->ops.removed = r->out.removed ? cap_removed : NULL;
	r->ops.arg = r;
	for (i = 0; i < jobs; i++) {
		p->copies[i] = *r;
		p->copies[i].ops.arg = &p->copies[i];
		p->copies[i].main = r;
		p->copies[i].worker = i + 1;
		probe_init(&p->copies[i].probe);
		inomap_init(&p->copies[i].links);
		inomap_init(&p->copies[i].created);
		p->ctx[i] = &p->copies[i];
	}
	if (pool_init(&p->pool, jobs - 1, depth, p->ctx) == -1) {
		for (i = 0; i < jobs; i++)
			probe_free(&p->copies[i].probe);
		free(p->ctx);
		free(p->copies);
		free(p);
		r->ops = r->out;
		return -1;
	}
	r->pool = p;
	return 0;
}

static void
pool_stop(struct run *r)
{
	struct run_pool *p = r->pool;
	unsigned i;

	if (p == NULL)
		return;
	drain_all(r);
	pool_free(&p->pool);
	for (i = 0; i < p->ncopies; i++)
		probe_free(&p->copies[i].probe);
	free(p->ctx);
	free(p->copies);
	free(p);
	r->pool = NULL;
	r->ops = r->out;
}

/* The "cannot create" message that fits the kind of entry. */
static enum run_err
create_err(const struct node *n)
{
	if (S_ISDIR(n->st.st_mode))
		return RE_MKDIR;
	if (S_ISLNK(n->st.st_mode))
		return RE_SYMLINK;
	if (S_ISFIFO(n->st.st_mode))
		return RE_MKFIFO;
	if (S_ISCHR(n->st.st_mode) || S_ISBLK(n->st.st_mode) ||
	    S_ISSOCK(n->st.st_mode))
		return RE_MKNOD;
	return RE_CREATE;
}

/* A fresh temporary name in the destination directory. */
static void
tmp_name(struct run *r, char *buf, size_t len)
{
	snprintf(buf, len, ".xcp-%ld-%u-%u.tmp", (long)getpid(), r->worker,
	    ++r->tmp_seq);
}

static int
timespec_cmp(struct timespec a, struct timespec b)
{
	if (a.tv_sec != b.tv_sec)
		return a.tv_sec < b.tv_sec ? -1 : 1;
	if (a.tv_nsec != b.tv_nsec)
		return a.tv_nsec < b.tv_nsec ? -1 : 1;
	return 0;
}

static bool
follow_entry(const struct run *r, const struct node *n)
{
	if (r->pol->deref == DEREF_ALWAYS)
		return true;
	return r->pol->deref == DEREF_CMDLINE && n->depth == 0;
}

/*
 * An existing non-directory destination is in the way: apply -n, -u, -i,
 * the same-file rule, backups and --remove-destination.  Returns 1 to go
 * on (with *exists cleared when the old file is gone), 0 to skip quietly,
 * -1 after reporting an error.
 */
static int
prepare_replace(struct run *r, struct node *n, bool *exists,
    struct stat *old, char **backup)
{
	const struct policy *pol = r->pol;
	struct stat tst;
	char *name;
	bool same;

	*backup = NULL;
	if (!*exists)
		return 1;
	if (S_ISDIR(old->st_mode)) {
		report(r, RE_OVER_DIR, 0, n->spath, n->dpath);
		return -1;
	}
	if (n->depth == 0 &&
	    inomap_get(&r->created, old->st_dev, old->st_ino) != NULL) {
		report(r, RE_JUST_CREATED, 0, n->spath, n->dpath);
		return -1;
	}
	same = old->st_dev == n->st.st_dev && old->st_ino == n->st.st_ino;
	if (!same && S_ISLNK(old->st_mode) && !S_ISLNK(n->st.st_mode) &&
	    fstatat(n->ddir, n->dname, &tst, 0) == 0)
		same = tst.st_dev == n->st.st_dev && tst.st_ino == n->st.st_ino;
	if (same) {
		if (pol->link == LINK_HARD)
			return 0;
		/* Another name of the source goes away first: no clash. */
		if (pol->remove_destination && n->st.st_nlink > 1 &&
		    !S_ISLNK(old->st_mode))
			same = false;
	}
	if (same) {
		report(r, RE_SAME_FILE, 0, n->spath, n->dpath);
		return -1;
	}
	if (pol->overwrite == OVERWRITE_NEVER)
		return 0;
	if (pol->update && timespec_cmp(old->st_mtim, n->st.st_mtim) >= 0)
		return 0;
	if (pol->overwrite == OVERWRITE_ASK &&
	    (r->ops.ask == NULL || !r->ops.ask(r->ops.arg, n->dpath)))
		return 0;
	if (pol->backup != BACKUP_NONE) {
		name = backup_name(n->ddir, n->dname, pol->backup,
		    pol->backup_suffix);
		if (name == NULL ||
		    renameat(n->ddir, n->dname, n->ddir, name) == -1) {
			report(r, RE_BACKUP, errno, n->spath, n->dpath);
			free(name);
			return -1;
		}
		*backup = name;
		*exists = false;
	} else if (pol->remove_destination) {
		if (unlinkat(n->ddir, n->dname, 0) == -1) {
			report(r, RE_REMOVE, errno, n->spath, n->dpath);
			return -1;
		}
		if (r->ops.removed != NULL)
			r->ops.removed(r->ops.arg, n->dpath);
		*exists = false;
	}
	return 1;
}

/* Report the metadata steps that failed. */
static void
report_meta(struct run *r, const struct node *n, const struct meta_result *m)
{
	const struct policy *pol = r->pol;

	if (m->failed & (1u << META_TIMES))
		report(r, RE_TIMES, m->err[META_TIMES], n->spath, n->dpath);
	if (m->failed & (1u << META_OWNER))
		report(r, RE_OWNER, m->err[META_OWNER], n->spath, n->dpath);
	if ((m->failed & (1u << META_XATTR)) && (pol->require & PRESERVE_XATTR))
		report(r, RE_XATTR, m->err[META_XATTR], n->spath, n->dpath);
	if ((m->failed & (1u << META_ACL)) && (pol->require & PRESERVE_MODE))
		report(r, RE_PERMS, m->err[META_ACL], n->spath, n->dpath);
	if (m->failed & (1u << META_MODE))
		report(r, RE_PERMS, m->err[META_MODE], n->spath, n->dpath);
}

/*
 * What metadata to give a new entry.  old is the destination being
 * replaced (its mode and owner stay, as cp keeps them), or NULL.  ost is
 * storage for a stat mixing the two.
 */
static void
meta_for(const struct run *r, const struct node *n, int src_fd,
    const struct stat *old, struct stat *ost, struct meta_req *q)
{
	const struct policy *pol = r->pol;

	memset(q, 0, sizeof(*q));
	q->st = &n->st;
	q->src_fd = src_fd;
	q->times = (pol->preserve & PRESERVE_TIMES) != 0;
	q->owner = (pol->preserve & PRESERVE_OWNER) != 0;
	q->xattr = (pol->preserve & PRESERVE_XATTR) != 0;
	q->acl = (pol->preserve & PRESERVE_MODE) != 0;
	q->context = (pol->preserve & PRESERVE_CONTEXT) != 0;
	q->privileged = r->privileged;
	q->set_mode = true;
	if (pol->preserve & PRESERVE_MODE)
		q->mode = n->st.st_mode & 07777;
	else if (old != NULL)
		/* Writing would clear set-id bits of an ordinary user's file. */
		q->mode = old->st_mode & (r->privileged ? 07777 : 0777);
	else if (pol->default_mode && (S_ISREG(n->st.st_mode) ||
	    S_ISDIR(n->st.st_mode)))
		q->mode = S_ISDIR(n->st.st_mode) ? (n->st.st_mode & S_ISVTX) |
		    (0777 & ~r->umask) : 0666 & ~r->umask;
	else if (S_ISDIR(n->st.st_mode))
		/* As mkdir(2) would: the sticky bit stays, set-id bits go. */
		q->mode = n->st.st_mode & 01777 & ~r->umask;
	else
		q->mode = n->st.st_mode & 0777 & ~r->umask;
	if (old != NULL && !q->owner && r->privileged) {
		*ost = n->st;
		ost->st_uid = old->st_uid;
		ost->st_gid = old->st_gid;
		q->st = ost;
		q->owner = true;
	}
}

/*
 * The mode to create a new file with when its mode is not preserved: the
 * source's permission bits (0666 under --no-preserve=mode), so that the
 * kernel applies the umask or the directory's default ACL just as it does
 * for cp.  Preserved modes are set later; start private, unless nobody
 * else can open the file (O_TMPFILE, or inside a new tree that is still
 * private: built under a temporary name in a 0700 directory), when its
 * final permission bits save a chmod whenever the umask leaves them be.
 */
static mode_t
create_mode(const struct run *r, const struct node *n, bool replaced,
    bool hidden)
{
	if (hidden && (r->pol->preserve & PRESERVE_MODE))
		return n->st.st_mode & 0777;
	if (replaced || (r->pol->preserve & PRESERVE_MODE))
		return 0600;
	if (r->pol->default_mode)
		return 0666;
	return n->st.st_mode & 0777;
}

/* Move the data of sfd into dfd; returns the strategy used or NONE. */
static enum strategy
copy_data(struct run *r, struct node *n, int sfd, int dfd, struct caps *c,
    uint64_t *bytes)
{
	struct transfer t;

	memset(&t, 0, sizeof(t));
	t.src_fd = sfd;
	t.dst_fd = dfd;
	t.st = &n->st;
	t.want_hash = r->pol->manifest;
	if (transfer_data(r->pol, c, &t) == 0) {
		*bytes = t.bytes;
		if (t.hashed) {
			memcpy(r->emit_hash, t.hash, sizeof(r->emit_hash));
			r->emit_hashed = true;
		}
		return t.used;
	}
	if (t.clone_refused)
		report(r, RE_CLONE, errno, n->spath, n->dpath);
	else if (t.read_failed)
		report(r, RE_READ, errno, n->spath, n->dpath);
	else
		report(r, RE_WRITE, errno, n->spath, n->dpath);
	return STRATEGY_NONE;
}

/*
 * cp rewrites an existing destination in place, so its access time stays;
 * the new inode that replaces it takes the old one's.
 */
static void
keep_atime(int fd, const struct stat *old)
{
	struct timespec ts[2];

	ts[0] = old->st_atim;
	ts[1].tv_sec = 0;
	ts[1].tv_nsec = UTIME_OMIT;
	(void)futimens(fd, ts);
}

/*
 * Likewise the ACL and extended attributes of the file being replaced stay,
 * unless the source's are to be preserved instead.
 */
static void
keep_xattrs(struct run *r, const struct node *n, int dfd)
{
	bool acl = !(r->pol->preserve & PRESERVE_MODE);
	bool xattr = !(r->pol->preserve & PRESERVE_XATTR);
	int fd;

	if (!acl && !xattr)
		return;
	fd = openat(n->ddir, n->dname, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1)
		return;
	(void)meta_copy_xattrs(fd, dfd, acl, xattr);
	close(fd);
}

/*
 * Link the finished O_TMPFILE inode dfd to its final name.  An existing
 * file is replaced by linking to a temporary name and renaming over it, so
 * the name always refers to a complete file and a killed run leaves no
 * temporary file behind until the very last moment.
 */
static int
link_tmpfile(struct run *r, struct node *n, int dfd, bool replace)
{
	char proc[64], tmp[64];

	if (!replace &&
	    linkat(dfd, "", n->ddir, n->dname, AT_EMPTY_PATH) == 0)
		return 0;
	if (replace || errno == EEXIST) {
		/* Someone made the name meanwhile: replace it whole. */
		tmp_name(r, tmp, sizeof(tmp));
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", dfd);
		if (linkat(dfd, "", n->ddir, tmp, AT_EMPTY_PATH) == -1 &&
		    ((errno != ENOENT && errno != EPERM) ||
		    linkat(AT_FDCWD, proc, n->ddir, tmp, AT_SYMLINK_FOLLOW) ==
		    -1))
			return -1;
		if (renameat(n->ddir, tmp, n->ddir, n->dname) == -1) {
			int e = errno;

			unlinkat(n->ddir, tmp, 0);
			errno = e;
			return -1;
		}
		return 0;
	}
	if (errno != ENOENT && errno != EPERM)
		return -1;
	/* Without CAP_DAC_READ_SEARCH some kernels refuse AT_EMPTY_PATH. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", dfd);
	return linkat(AT_FDCWD, proc, n->ddir, n->dname, AT_SYMLINK_FOLLOW);
}

static int
copy_file(struct run *r, struct node *n, bool exists, struct stat *old)
{
	const struct policy *pol = r->pol;
	struct meta_req q;
	struct meta_result m;
	struct stat fst, ost, tst, cur;
	struct caps *c;
	enum strategy s;
	uint64_t bytes = 0;
	char tmp[64], *backup = NULL;
	int sfd = -1, dfd = -1, flags, ret = -1, rc;
	bool named = false, in_place = false, replaced, made_mode = false;
	bool direct = false;

	if (exists && S_ISLNK(old->st_mode) && !pol->remove_destination &&
	    pol->backup == BACKUP_NONE) {
		/*
		 * cp writes through a symlink to an existing file, and judges
		 * -u, -n and the same-file rule by what it points to.
		 */
		if (fstatat(n->ddir, n->dname, &tst, 0) == -1) {
			report(r, RE_DANGLING, 0, n->spath, n->dpath);
			return -1;
		}
		*old = tst;
		in_place = !S_ISDIR(tst.st_mode);
	} else if (exists && (S_ISCHR(old->st_mode) || S_ISBLK(old->st_mode) ||
	    S_ISFIFO(old->st_mode)) && !pol->remove_destination &&
	    pol->backup == BACKUP_NONE)
		/* Data goes into an existing device or FIFO, as with cp. */
		in_place = true;
	rc = prepare_replace(r, n, &exists, old, &backup);
	if (rc <= 0)
		return rc < 0 ? -1 : 1;
	replaced = exists;
	if (exists && !in_place && S_ISREG(old->st_mode) &&
	    faccessat(n->ddir, n->dname, W_OK, AT_EACCESS) == -1 &&
	    errno == EACCES) {
		/* cp could not open it; with -f it removes it first. */
		if (!pol->force) {
			report(r, RE_CREATE, EACCES, n->spath, n->dpath);
			goto out;
		}
		replaced = false;
	}
	flags = O_RDONLY | O_NOCTTY | O_CLOEXEC;
	if (S_ISREG(n->st.st_mode))
		flags |= O_NONBLOCK;
	if (!follow_entry(r, n))
		flags |= O_NOFOLLOW;
	if ((sfd = openat(n->sdir, n->sname, flags)) == -1) {
		report(r, RE_OPEN_READ, errno, n->spath, n->dpath);
		goto out;
	}
	if (fstat(sfd, &fst) == -1) {
		report(r, RE_OPEN_READ, errno, n->spath, n->dpath);
		goto out;
	}
	if ((fst.st_mode & S_IFMT) != (n->st.st_mode & S_IFMT)) {
		report(r, RE_CHANGED, 0, n->spath, n->dpath);
		goto out;
	}
	n->st = fst;
	if ((c = probe_get(&r->probe, sfd, fst.st_dev, n->ddir, n->ddev)) ==
	    NULL) {
		report(r, RE_NOMEM, ENOMEM, n->spath, n->dpath);
		goto out;
	}
	if (in_place)
		dfd = openat(n->ddir, n->dname, pol->attributes_only ?
		    O_RDONLY | O_CLOEXEC : O_WRONLY | O_TRUNC | O_CLOEXEC);
	else if (pol->attributes_only && exists && S_ISREG(old->st_mode)) {
		/* Only the attributes change; the data stays. */
		dfd = openat(n->ddir, n->dname,
		    O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		in_place = true;
	} else {
		/*
		 * In a tree built under a temporary name the final name is
		 * no promise yet: create by it, one transaction instead of
		 * the two of O_TMPFILE and linkat.  Should the name be taken
		 * all the same (another process), the hidden way replaces it.
		 */
		if (n->staged && !exists) {
			dfd = openat(n->ddir, n->dname, O_WRONLY | O_CREAT |
			    O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    create_mode(r, n, false, true));
			direct = made_mode = dfd != -1;
		}
		if (dfd == -1 && !r->no_tmpfile) {
			dfd = openat(n->ddir, ".", O_TMPFILE | O_WRONLY |
			    O_CLOEXEC, create_mode(r, n, replaced, true));
			made_mode = dfd != -1;
			if (dfd == -1 && (errno == EOPNOTSUPP ||
			    errno == EISDIR || errno == EINVAL))
				r->no_tmpfile = true;
		}
		if (dfd == -1 && (exists || r->no_tmpfile)) {
			do {
				tmp_name(r, tmp, sizeof(tmp));
				dfd = openat(n->ddir, tmp, O_WRONLY | O_CREAT |
				    O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
			} while (dfd == -1 && errno == EEXIST);
			named = dfd != -1;
		}
	}
	if (dfd == -1) {
		report(r, RE_CREATE, errno, n->spath, n->dpath);
		goto out;
	}
	s = copy_data(r, n, sfd, dfd, c, &bytes);
	if (s == STRATEGY_NONE)
		goto out;
	if (replaced && !in_place)
		keep_xattrs(r, n, dfd);
	meta_for(r, n, sfd, replaced ? old : NULL, &ost, &q);
	if (in_place && !(pol->preserve & PRESERVE_MODE))
		q.set_mode = false;
	/* The kernel gave it the mode (umask or default ACL), as to cp's. */
	if (made_mode && !replaced && !(pol->preserve & PRESERVE_MODE))
		q.set_mode = false;
	if (in_place && !(pol->preserve & PRESERVE_OWNER))
		q.owner = false;
	/*
	 * A new file's owner and mode are known for the price of one fstat,
	 * which saves the chown and the chmod when they would change nothing;
	 * in a new tree without default ACLs, for nothing.
	 */
	if (direct && n->plain) {
		memset(&cur, 0, sizeof(cur));
		cur.st_uid = r->euid;
		cur.st_gid = n->new_gid;
		cur.st_mode = S_IFREG | (create_mode(r, n, false, true) &
		    ~r->umask);
		q.cur = &cur;
	} else if (made_mode && (q.owner || q.set_mode) &&
	    fstat(dfd, &cur) == 0)
		q.cur = &cur;
	if (meta_apply_fd(dfd, &q, &m) == -1)
		report_meta(r, n, &m);
	if (replaced && !in_place && !q.times)
		keep_atime(dfd, old);
	if (named) {
		if (renameat(n->ddir, tmp, n->ddir, n->dname) == -1) {
			report(r, RE_CREATE, errno, n->spath, n->dpath);
			goto out;
		}
		named = false;
	} else if (!in_place && !direct &&
	    link_tmpfile(r, n, dfd, exists) == -1) {
		report(r, RE_CREATE, errno, n->spath, n->dpath);
		goto out;
	}
	if (n->depth == 0 && fstat(dfd, &tst) == 0)
		(void)inomap_put(&r->created, tst.st_dev, tst.st_ino, n->dpath);
	/* Where the data can be read back for a manifest's hash. */
	if (s != STRATEGY_ATTRS && S_ISREG(n->st.st_mode))
		r->emit_fd = sfd;
	else if (in_place && pol->attributes_only)
		r->emit_fd = dfd;
	emit_full(r, n, s, NULL, backup, bytes, 0, in_place ? -1 : dfd);
	ret = 0;
out:
	if (named)
		unlinkat(n->ddir, tmp, 0);
	if (direct && ret != 0)
		unlinkat(n->ddir, n->dname, 0);
	if (dfd != -1)
		close(dfd);
	if (sfd != -1)
		close(sfd);
	free(backup);
	return ret;
}

/*
 * The name to create a symlink, FIFO, device or hard link under: the final
 * one, or a temporary one to rename over it when it is taken.
 */
static const char *
place(struct run *r, bool exists, const struct node *n, char *tmp,
    size_t len)
{
	if (!exists)
		return n->dname;
	tmp_name(r, tmp, len);
	return tmp;
}

static int
finish_place(struct node *n, bool exists, const char *tmp)
{
	int e;

	if (!exists)
		return 0;
	if (renameat(n->ddir, tmp, n->ddir, n->dname) == -1) {
		e = errno;
		unlinkat(n->ddir, tmp, 0);
		errno = e;
		return -1;
	}
	/* Two names of one inode: rename(2) did nothing, drop the spare. */
	(void)unlinkat(n->ddir, tmp, 0);
	return 0;
}

static int
copy_symlink(struct run *r, struct node *n, bool exists, struct stat *old)
{
	struct meta_req q;
	struct meta_result m;
	struct stat ost;
	char tmp[64], *target, *backup = NULL;
	const char *name;
	int rc;

	if ((target = walk_readlink(n->sdir, n->sname, n->st.st_size)) == NULL) {
		report(r, RE_READLINK, errno, n->spath, n->dpath);
		return -1;
	}
	rc = prepare_replace(r, n, &exists, old, &backup);
	if (rc <= 0) {
		rc = rc < 0 ? -1 : 1;
		goto done;
	}
	name = place(r, exists, n, tmp, sizeof(tmp));
	if (symlinkat(target, n->ddir, name) == -1) {
		report(r, RE_SYMLINK, errno, target, n->dpath);
		rc = -1;
		goto done;
	}
	meta_for(r, n, -1, NULL, &ost, &q);
	q.set_mode = false;
	if (meta_apply_at(n->ddir, name, true, &q, &m) == -1)
		report_meta(r, n, &m);
	if (finish_place(n, exists, tmp) == -1) {
		report(r, RE_SYMLINK, errno, target, n->dpath);
		rc = -1;
		goto done;
	}
	emit(r, n, STRATEGY_SYMLINK, target, backup, 0);
	rc = 0;
done:
	free(target);
	free(backup);
	return rc;
}

static int
copy_special(struct run *r, struct node *n, bool exists, struct stat *old)
{
	struct meta_req q;
	struct meta_result m;
	struct stat ost;
	char tmp[64], *backup = NULL;
	const char *name;
	int rc;

	rc = prepare_replace(r, n, &exists, old, &backup);
	if (rc <= 0)
		return rc < 0 ? -1 : 1;
	name = place(r, exists, n, tmp, sizeof(tmp));
	if (mknodat(n->ddir, name, (n->st.st_mode & S_IFMT) |
	    ((r->pol->preserve & PRESERVE_MODE) ? 0600 : n->st.st_mode & 0777),
	    n->st.st_rdev) == -1) {
		report(r, create_err(n), errno, n->spath, n->dpath);
		free(backup);
		return -1;
	}
	meta_for(r, n, -1, NULL, &ost, &q);
	/* mknod(2) applied the umask or default ACL already. */
	if (!(r->pol->preserve & PRESERVE_MODE))
		q.set_mode = false;
	if (meta_apply_at(n->ddir, name, false, &q, &m) == -1)
		report_meta(r, n, &m);
	if (finish_place(n, exists, tmp) == -1) {
		report(r, create_err(n), errno, n->spath, n->dpath);
		free(backup);
		return -1;
	}
	emit(r, n, STRATEGY_MKNOD, NULL, backup, 0);
	free(backup);
	return 0;
}

/* A later link of a hardlink group: link to the first copy. */
static int
copy_hardlink(struct run *r, struct node *n, bool exists, struct stat *old)
{
	const char *target;
	char tmp[64], *backup = NULL, *real;
	const char *name;
	int rc;

	target = inomap_get(&r->links, n->st.st_dev, n->st.st_ino);
	rc = prepare_replace(r, n, &exists, old, &backup);
	if (rc <= 0)
		return rc < 0 ? -1 : 1;
	name = place(r, exists, n, tmp, sizeof(tmp));
	/* The first link may be in a new tree still under a temporary name. */
	real = staged_path(r, target);
	if (backend_hardlink.link(AT_FDCWD, real != NULL ? real : target,
	    n->ddir, name, 0) == -1 || finish_place(n, exists, tmp) == -1) {
		report(r, RE_LINK, errno, target, n->dpath);
		free(real);
		free(backup);
		return -1;
	}
	free(real);
	r->emit_first = target;
	emit(r, n, STRATEGY_HARDLINK, target, backup, 0);
	free(backup);
	return 0;
}

/* Whether the directory of path is the current directory. */
static bool
in_cwd(const char *path)
{
	struct stat a, b;
	const char *slash = strrchr(path, '/');
	char *dir;
	bool same;

	if (slash == NULL)
		return true;
	if ((dir = strndup(path, (size_t)(slash - path) + 1)) == NULL)
		return false;
	same = stat(dir, &a) == 0 && stat(".", &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
	free(dir);
	return same;
}

/* -l and -s: a new name for the source itself. */
static int
make_link(struct run *r, struct node *n, bool exists, struct stat *old,
    bool symbolic)
{
	const struct policy *pol = r->pol;
	struct stat st;
	char *backup = NULL;
	int rc, fd;

	if (symbolic && n->spath[0] != '/' && !in_cwd(n->dpath)) {
		report(r, RE_RELATIVE_SYMLINK, 0, n->spath, n->dpath);
		return -1;
	}
	rc = prepare_replace(r, n, &exists, old, &backup);
	if (rc <= 0)
		return rc < 0 ? -1 : 1;
	if (exists) {
		if (!pol->force) {
			report(r, symbolic ? RE_SYMLINK : RE_LINK, EEXIST,
			    n->spath, n->dpath);
			free(backup);
			return -1;
		}
		if (unlinkat(n->ddir, n->dname, 0) == -1) {
			report(r, RE_REMOVE, errno, n->spath, n->dpath);
			free(backup);
			return -1;
		}
	}
	if (symbolic)
		rc = symlinkat(n->spath, n->ddir, n->dname);
	else
		rc = backend_hardlink.link(n->sdir, n->sname, n->ddir,
		    n->dname, follow_entry(r, n) ? AT_SYMLINK_FOLLOW : 0);
	if (rc == -1) {
		report(r, symbolic ? RE_SYMLINK : RE_LINK, errno, n->spath,
		    n->dpath);
		free(backup);
		return -1;
	}
	/* A manifest hashes the data by fd: the path may be too long. */
	fd = -1;
	if (pol->manifest && !symbolic)
		fd = openat(n->ddir, n->dname, O_RDONLY | O_NOFOLLOW |
		    O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd != -1 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		r->emit_fd = fd;
	emit(r, n, symbolic ? STRATEGY_SYMLINK : STRATEGY_HARDLINK, n->spath,
	    backup, 0);
	if (fd != -1)
		close(fd);
	free(backup);
	return 0;
}

/* The filesystem type of dfd on dev (cached per device), or 0. */
static long
dst_magic(struct run *r, int dfd, dev_t dev)
{
	struct statfs sfs;

	if (!r->magic_known || r->magic_dev != dev) {
		r->magic = fstatfs(dfd, &sfs) == 0 ? (long)sfs.f_type : 0;
		r->magic_dev = dev;
		r->magic_known = true;
	}
	return r->magic;
}

/*
 * Whether the directory dfd, just made, certainly holds no name but those
 * this run puts there: names are exact on its filesystem, and the options
 * would do nothing else with a name found taken than replace it.
 */
static bool
fresh_dir(struct run *r, int dfd, dev_t dev)
{
	const struct policy *pol = r->pol;
	unsigned flags;
	bool casefold;

	if (pol->overwrite != OVERWRITE_YES || pol->update ||
	    pol->backup != BACKUP_NONE || pol->remove_destination ||
	    pol->attributes_only || pol->link != LINK_COPY ||
	    !probe_exact_names(dst_magic(r, dfd, dev), &casefold))
		return false;
	/* A folding directory passes it on to the ones made in it. */
	return !casefold || (ioctl(dfd, FS_IOC_GETFLAGS, &flags) == 0 &&
	    !(flags & FS_CASEFOLD_FL));
}

/*
 * Make the new directory n under a fresh temporary name in its parent, and
 * start its stage.  NULL when that cannot be done: then make it under its
 * name, which says what is wrong if anything is.
 */
static struct stage *
stage_dir(struct run *r, const struct node *n, mode_t mode)
{
	struct stage *st;
	size_t len, dir;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	for (;;) {
		tmp_name(r, st->name, sizeof(st->name));
		if (mkdirat(n->ddir, st->name, mode) == 0)
			break;
		if (errno != EEXIST) {
			free(st);
			return NULL;
		}
	}
	len = strlen(n->dpath);
	while (len > 1 && n->dpath[len - 1] == '/')
		len--;
	for (dir = len; dir > 0 && n->dpath[dir - 1] != '/'; dir--)
		;
	st->final = strndup(n->dpath, len);
	st->flen = len;
	if (st->final == NULL ||
	    (st->tmp = malloc(dir + strlen(st->name) + 1)) == NULL) {
		(void)unlinkat(n->ddir, st->name, AT_REMOVEDIR);
		free(st->final);
		free(st);
		return NULL;
	}
	memcpy(st->tmp, n->dpath, dir);
	strcpy(st->tmp + dir, st->name);
	st->next = r->stages;
	r->stages = st;
	return st;
}

/*
 * Give the directory of stage st, complete, its name in n's parent: only
 * now does it appear.  Returns 0, or -1 after reporting (the tree stays
 * under the temporary name, which the message gives).
 */
static int
unstage(struct run *r, const struct node *n, struct stage *st,
    const char *name)
{
	struct stage **pp;
	struct stat sb;
	int e;

#ifdef HAVE_RENAMEAT2
	if (renameat2(n->ddir, st->name, n->ddir, name, RENAME_NOREPLACE) == 0)
		e = 0;
	else
		e = errno;
	if (e == EINVAL || e == ENOSYS)
#endif
	{
		/* No RENAME_NOREPLACE here: rename only onto no name. */
		if (fstatat(n->ddir, name, &sb, AT_SYMLINK_NOFOLLOW) == 0)
			e = EEXIST;
		else if (errno != ENOENT)
			e = errno;
		else
			e = renameat(n->ddir, st->name, n->ddir, name) == 0 ? 0 :
			    errno;
	}
	if (e != 0) {
		report(r, RE_UNSTAGE, e, st->tmp, n->dpath);
		return -1;
	}
	for (pp = &r->stages; *pp != st; pp = &(*pp)->next)
		;
	*pp = st->next;
	free(st->final);
	free(st->tmp);
	free(st);
	return 0;
}

/* Where the destination path p is now (malloc'd), if in a stage; or NULL. */
static char *
staged_path(const struct run *r, const char *p)
{
	const struct stage *st;
	char *s;

	for (st = r->stages; st != NULL; st = st->next) {
		if (strncmp(p, st->final, st->flen) != 0 ||
		    (p[st->flen] != '/' && p[st->flen] != '\0'))
			continue;
		if ((s = malloc(strlen(st->tmp) + strlen(p + st->flen) + 1)) !=
		    NULL) {
			strcpy(s, st->tmp);
			strcat(s, p + st->flen);
		}
		return s;
	}
	return NULL;
}

static int
copy_dir(struct run *r, struct node *n, struct level *parent, bool exists,
    struct stat *old)
{
	const struct policy *pol = r->pol;
	struct level me;
	struct walk_dir d = { NULL, 0, NULL };
	struct node child;
	struct stat dst;
	struct dir_state *ds;
	struct batch *b;
	mode_t want;
	struct stage *stg = NULL;
	char *sp, *dp;
	const char *name = n->dname;
	size_t i;
	int flags, ret = 0;
	bool made = false, fresh, plain;
	gid_t new_gid;

	if (exists && !S_ISDIR(old->st_mode)) {
		report(r, RE_OVER_NONDIR, 0, n->spath, n->dpath);
		return -1;
	}
	if (exists && old->st_dev == n->st.st_dev &&
	    old->st_ino == n->st.st_ino) {
		report(r, RE_INTO_SELF, 0, r->top_src, r->top_dst);
		return -1;
	}
	/* Like cp, make the directory even when the source is unreadable. */
	/*
	 * Unless the mode is preserved, let the kernel apply the umask or
	 * the parent's default ACL to the source's bits, as for cp; the owner
	 * needs rwx while the children are made.
	 */
	if (pol->preserve & PRESERVE_MODE)
		want = 0700;
	else if (pol->default_mode)
		want = 0777 | (n->st.st_mode & S_ISVTX);
	else
		want = n->st.st_mode & 01777;
	if (!exists) {
		/*
		 * A new tree is built under a temporary name and renamed
		 * when complete: no half-copied file or directory ever has
		 * its final name, and inside it files are created by name,
		 * one transaction each.  Not where the walk closes and
		 * reopens parent fds (FD_DEPTH).
		 */
		if (!n->staged && n->depth + 1 < FD_DEPTH &&
		    (stg = stage_dir(r, n, want | S_IRWXU)) != NULL)
			name = stg->name;
		else if (mkdirat(n->ddir, n->dname, want | S_IRWXU) == -1) {
			report(r, RE_MKDIR, errno, n->spath, n->dpath);
			return -1;
		}
		made = true;
	}
	flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
	if (!follow_entry(r, n))
		flags |= O_NOFOLLOW;
	if ((me.sfd = openat(n->sdir, n->sname, flags)) == -1) {
		report(r, RE_OPEN_DIR, errno, n->spath, n->dpath);
		if (stg != NULL)
			(void)unstage(r, n, stg, n->dname);
		return -1;
	}
	me.dfd = openat(n->ddir, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW);
	if (me.dfd == -1 || fstat(me.dfd, &dst) == -1) {
		report(r, RE_MKDIR, errno, n->spath, n->dpath);
		if (me.dfd != -1)
			close(me.dfd);
		close(me.sfd);
		if (stg != NULL)
			(void)unstage(r, n, stg, n->dname);
		return -1;
	}
	me.sdev = n->st.st_dev;
	me.sino = n->st.st_ino;
	me.ddev = dst.st_dev;
	me.dino = dst.st_ino;
	if (n->depth == 0) {
		r->self_dev = dst.st_dev;
		r->self_ino = dst.st_ino;
		r->self_set = true;
	}
	if (made || pol->manifest)
		emit_full(r, n, STRATEGY_MKDIR, NULL, NULL, 0,
		    made ? 0 : EMIT_QUIET, me.dfd);
	/* Deep trees: keep a bounded number of fds open. */
	/*
	 * ".." leads back only when no symlink was followed on the way down,
	 * so under -L every level keeps its fds.
	 */
	if (parent != NULL && n->depth >= FD_DEPTH && parent->sfd != -1 &&
	    pol->deref != DEREF_ALWAYS) {
		drain_all(r);	/* the parent's files are copied through them */
		close(parent->sfd);
		close(parent->dfd);
		parent->sfd = parent->dfd = -1;
	}
	if (!pol->one_file_system || n->st.st_dev == r->top_dev ||
	    n->depth == 0) {
		if (walk_list(me.sfd, &d) == -1) {
			report(r, RE_OPEN_DIR, errno, n->spath, n->dpath);
			ret = -1;
		} else if (r->inode_order)
			sort_by_inode(me.sfd, &d);
	}
	fresh = made && fresh_dir(r, me.dfd, me.ddev);
	/*
	 * A new tree inherits no default ACL unless its top does (the
	 * source's are set on each directory only after its entries).
	 */
	plain = stg != NULL ? fgetxattr(me.dfd, "system.posix_acl_default",
	    NULL, 0) == -1 && (errno == ENODATA || errno == EOPNOTSUPP) :
	    n->staged && n->plain;
	new_gid = (dst.st_mode & S_ISGID) ? dst.st_gid : r->egid;
	for (i = 0; i < d.n && !halted(r) && !r->into_self; i++) {
		memset(&child, 0, sizeof(child));
		child.fresh = fresh;
		child.staged = n->staged || stg != NULL;
		child.plain = plain;
		child.new_gid = new_gid;
		child.sdir = me.sfd;
		child.sname = d.names[i];
		child.ddir = me.dfd;
		child.dname = d.names[i];
		child.ddev = me.ddev;
		child.dino = me.dino;
		child.depth = n->depth + 1;
		sp = walk_join(n->spath, d.names[i]);
		dp = walk_join(n->dpath, d.names[i]);
		if (sp == NULL || dp == NULL) {
			report(r, RE_NOMEM, ENOMEM, n->spath, n->dpath);
			free(sp);
			free(dp);
			ret = -1;
			break;
		}
		child.spath = sp;
		child.dpath = dp;
		if (walk_stat(me.sfd, d.names[i], pol->deref == DEREF_ALWAYS,
		    &child.st) == -1) {
			report(r, RE_STAT, errno, sp, dp);
			ret = -1;
		} else if (S_ISDIR(child.st.st_mode) && r->self_set &&
		    child.st.st_dev == r->self_dev &&
		    child.st.st_ino == r->self_ino) {
			/*
			 * The copy itself, made inside the source: going on
			 * would only copy the copy, so stop this operand.
			 */
			report(r, RE_INTO_SELF, 0, r->top_src, r->top_dst);
			r->into_self = true;
			ret = -1;
		} else if (copy_node(r, &child, &me) == -1)
			ret = -1;
		free(sp);
		free(dp);
	}
	/*
	 * The directory's metadata waits for its entries.  With threads, it
	 * waits in the queue behind them, and the walk goes on meanwhile;
	 * not near FD_DEPTH, where levels close and reopen their parents'
	 * fds.
	 */
	if ((ds = calloc(1, sizeof(*ds))) == NULL ||
	    (ds->spath = strdup(n->spath)) == NULL ||
	    (ds->dpath = strdup(n->dpath)) == NULL ||
	    (stg != NULL && (ds->name = strdup(n->dname)) == NULL)) {
		drain_all(r);
		report(r, RE_NOMEM, ENOMEM, n->spath, n->dpath);
		if (ds != NULL) {
			free(ds->spath);
			free(ds->dpath);
			free(ds);
		}
		walk_list_free(&d);
		close(me.sfd);
		close(me.dfd);
		if (stg != NULL)
			(void)unstage(r, n, stg, n->dname);
		return -1;
	}
	ds->stage = stg;
	ds->n = *n;
	ds->n.spath = ds->spath;
	ds->n.dpath = ds->dpath;
	ds->n.sname = ds->n.dname = NULL;
	ds->me = me;
	ds->d = d;
	ds->dst = dst;
	ds->want = want;
	ds->made = made;
	if (r->pool != NULL && n->depth + 1 < FD_DEPTH && (b = calloc(1,
	    sizeof(*b))) != NULL) {
		b->dir = ds;
		flush(r);
		push_batch(r, b);
		return ret;
	}
	/* The files queued hold names in d and need the fds: finish them. */
	drain_all(r);
	ds->parent = parent;
	dir_finish(r, ds);
	return ret;
}

/* Apply a directory's metadata once its entries are done, and close it. */
static void
dir_finish(struct run *r, struct dir_state *ds)
{
	const struct policy *pol = r->pol;
	struct level *parent = ds->parent;
	struct node *n = &ds->n;
	struct meta_req q;
	struct meta_result m;
	struct stat ost;

	walk_list_free(&ds->d);
	meta_for(r, n, ds->me.sfd, NULL, &ost, &q);
	/* As with cp, a new directory keeps the set-group-ID bit it inherited. */
	if (ds->made && (pol->preserve & PRESERVE_MODE) &&
	    (ds->dst.st_mode & S_ISGID))
		q.mode |= S_ISGID;
	if (!ds->made && !(pol->preserve & PRESERVE_MODE))
		q.set_mode = false;
	else if (!(pol->preserve & PRESERVE_MODE)) {
		/* Take back only the owner bits added for the copy. */
		q.mode = ds->dst.st_mode & 07777 & ~(S_IRWXU & ~ds->want);
		q.set_mode = q.mode != (ds->dst.st_mode & 07777);
	}
	if (meta_apply_fd(ds->me.dfd, &q, &m) == -1)
		report_meta(r, n, &m);
	if (pol->manifest)
		emit_full(r, n, STRATEGY_MKDIR, NULL, NULL, 0,
		    EMIT_POST | (ds->made ? 0 : EMIT_QUIET), ds->me.dfd);
	if (ds->name != NULL)
		(void)unstage(r, n, ds->stage, ds->name);
	if (parent != NULL && parent->sfd == -1) {
		parent->sfd = walk_reopen_parent(ds->me.sfd, parent->sdev,
		    parent->sino);
		parent->dfd = walk_reopen_parent(ds->me.dfd, parent->ddev,
		    parent->dino);
		if (parent->sfd == -1 || parent->dfd == -1) {
			report(r, RE_OPEN_DIR, errno, n->spath, n->dpath);
			r->stopped = true;
		}
	}
	close(ds->me.sfd);
	close(ds->me.dfd);
	free(ds->spath);
	free(ds->dpath);
	free(ds->name);
	free(ds);
}

/* The entry's path relative to the operand: "" for the operand. */
static const char *
rel_path(const struct run *r, const struct node *n)
{
	size_t k = strlen(r->top_src);
	const char *p = n->spath;

	if (strncmp(p, r->top_src, k) != 0)
		return p;
	for (p += k; *p == '/'; p++)
		;
	return p;
}

/*
 * Copy the directory n, unless it is one being copied already, above it:
 * a symbolic link followed (-L) or a bind mount back up the tree would
 * make the copy endless.
 */
static int
enter_dir(struct run *r, struct node *n, struct level *parent, bool exists,
    struct stat *old)
{
	struct run_dirid *nv;
	size_t i, na;
	int rc;

	for (i = 0; i < r->nup; i++)
		if (r->up[i].dev == n->st.st_dev &&
		    r->up[i].ino == n->st.st_ino) {
			report(r, RE_CYCLE, 0, n->spath, n->dpath);
			return -1;
		}
	if (r->nup == r->aup) {
		na = r->aup ? 2 * r->aup : 64;
		if ((nv = reallocarray(r->up, na, sizeof(*nv))) == NULL) {
			report(r, RE_NOMEM, ENOMEM, n->spath, n->dpath);
			return -1;
		}
		r->up = nv;
		r->aup = na;
	}
	r->up[r->nup].dev = n->st.st_dev;
	r->up[r->nup].ino = n->st.st_ino;
	r->nup++;
	rc = copy_dir(r, n, parent, exists, old);
	r->nup--;
	return rc;
}

static int
copy_node(struct run *r, struct node *n, struct level *parent)
{
	const struct policy *pol = r->pol;
	struct plan_entry pe;
	enum action action;
	struct stat old;
	bool exists;
	int rc;

	pe.mode = n->st.st_mode;
	/*
	 * Following symlinks, one inode can be reached by several names
	 * whatever its link count: track them all, as cp does.
	 */
	pe.multi_link = !S_ISDIR(n->st.st_mode) && (n->st.st_nlink > 1 ||
	    pol->deref == DEREF_ALWAYS ||
	    (pol->deref == DEREF_CMDLINE && n->depth == 0));
	pe.seen_link = pe.multi_link && (pol->preserve & PRESERVE_LINKS) &&
	    inomap_get(&r->links, n->st.st_dev, n->st.st_ino) != NULL;
	pe.shared = pol->link == LINK_SHARED && S_ISREG(n->st.st_mode) &&
	    policy_shares(pol, rel_path(r, n));
	action = plan_entry(pol, &pe);
	/* All links of an inode stay on this thread, in walk order. */
	if (action == ACTION_FILE && r->pool != NULL && !r->serial &&
	    n->depth > 0 && !pe.multi_link && defer_file(r, n) == 0)
		return 0;
	if ((rc = dst_exists(r, n, action == ACTION_FILE, &old)) == -1)
		return -1;
	exists = rc == 1;
	if (exists && n->dst_slash && !S_ISDIR(old.st_mode)) {
		report(r, RE_STAT, ENOTDIR, n->dpath, n->dpath);
		return -1;
	}
	if (!exists && n->dst_slash && !S_ISDIR(n->st.st_mode)) {
		report(r, create_err(n), ENOTDIR, n->spath, n->dpath);
		return -1;
	}
	switch (action) {
	case ACTION_OMIT_DIR:
		report(r, RE_OMIT_DIR, 0, n->spath, n->dpath);
		return -1;
	case ACTION_SKIP:
		return 0;
	case ACTION_MKDIR:
		return enter_dir(r, n, parent, exists, &old);
	case ACTION_HARDLINK:
		return copy_hardlink(r, n, exists, &old) < 0 ? -1 : 0;
	case ACTION_LINK:
		return make_link(r, n, exists, &old, false) < 0 ? -1 : 0;
	case ACTION_SYMLINK_TO:
		return make_link(r, n, exists, &old, true) < 0 ? -1 : 0;
	case ACTION_SYMLINK:
		rc = copy_symlink(r, n, exists, &old);
		break;
	case ACTION_MKNOD:
		rc = copy_special(r, n, exists, &old);
		break;
	case ACTION_FILE:
	default:
		rc = copy_file(r, n, exists, &old);
		break;
	}
	/* 1: skipped (-n, -u, -i): nothing was made to link to. */
	if (rc == 1)
		return 0;
	if (rc == 0 && pe.multi_link && (pol->preserve & PRESERVE_LINKS) &&
	    !pe.seen_link &&
	    inomap_put(&r->links, n->st.st_dev, n->st.st_ino, n->dpath) == -1)
		report(r, RE_NOMEM, ENOMEM, n->spath, n->dpath);
	return rc;
}

/* Whether the directory fd is (dev, ino) or below it. */
static bool
inside(int fd, dev_t dev, ino_t ino)
{
	struct stat st, pst;
	int cur, up, depth;
	bool found = false;

	if ((cur = dup(fd)) == -1)
		return false;
	for (depth = 0; depth < 4096; depth++) {
		if (fstat(cur, &st) == -1)
			break;
		if (st.st_dev == dev && st.st_ino == ino) {
			found = true;
			break;
		}
		up = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (up == -1 || fstat(up, &pst) == -1) {
			if (up != -1)
				close(up);
			break;
		}
		close(cur);
		cur = up;
		if (pst.st_dev == st.st_dev && pst.st_ino == st.st_ino)
			break;		/* the root */
	}
	close(cur);
	return found;
}

struct ino_name {
	ino_t		 ino;
	char		*name;
};

static int
cmp_ino(const void *a, const void *b)
{
	const struct ino_name *x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/*
 * Copying a directory into itself, cp stops at the copy, which it meets
 * last because it reads entries in inode order; do the same so that the
 * same entries get copied.
 */
static void
sort_by_inode(int dirfd, struct walk_dir *d)
{
	struct ino_name *v;
	struct stat st;
	size_t i;

	if (d->n < 2 || (v = calloc(d->n, sizeof(*v))) == NULL)
		return;
	for (i = 0; i < d->n; i++) {
		v[i].name = d->names[i];
		v[i].ino = fstatat(dirfd, d->names[i], &st,
		    AT_SYMLINK_NOFOLLOW) == 0 ? st.st_ino : 0;
	}
	qsort(v, d->n, sizeof(*v), cmp_ino);
	for (i = 0; i < d->n; i++)
		d->names[i] = v[i].name;
	free(v);
}

/* Split a destination path into its directory and its last name. */
static int
split_dst(const char *dst, char **dir, char **base, bool *slash)
{
	size_t len = strlen(dst);
	char *copy, *s;

	*slash = len > 0 && dst[len - 1] == '/';
	if ((copy = strdup(dst)) == NULL)
		return -1;
	while (len > 1 && copy[len - 1] == '/')
		copy[--len] = '\0';
	s = strrchr(copy, '/');
	if (s == NULL) {
		*dir = strdup(".");
		*base = strdup(copy);
	} else if (s == copy && s[1] == '\0') {
		*dir = strdup("/");
		*base = strdup(".");
	} else {
		*base = strdup(s + 1);
		while (s > copy && s[-1] == '/')
			s--;
		*dir = s == copy ? strdup("/") : strndup(copy,
		    (size_t)(s - copy));
	}
	free(copy);
	if (*dir == NULL || *base == NULL) {
		free(*dir);
		free(*base);
		return -1;
	}
	return 0;
}

static int
copy_operand(struct run *r, const char *src, const char *dst)
{
	struct node n;
	struct stat pst;
	char *dir, *base;
	unsigned before = r->errors;
	int pfd;

	memset(&n, 0, sizeof(n));
	n.sdir = AT_FDCWD;
	n.sname = src;
	n.spath = src;
	n.dpath = dst;
	r->top_src = src;
	r->top_dst = dst;
	r->self_set = false;
	r->into_self = false;
	if (walk_stat(AT_FDCWD, src, r->pol->deref != DEREF_NEVER,
	    &n.st) == -1) {
		report(r, RE_STAT, errno, src, dst);
		drain_all(r);
		return -1;
	}
	r->top_dev = n.st.st_dev;
	if (split_dst(dst, &dir, &base, &n.dst_slash) == -1) {
		report(r, RE_NOMEM, ENOMEM, src, dst);
		drain_all(r);
		return -1;
	}
	pfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd == -1 || fstat(pfd, &pst) == -1) {
		if (S_ISDIR(n.st.st_mode) && !r->pol->recursive)
			report(r, RE_OMIT_DIR, 0, src, dst);
		else if (errno == ENOTDIR)
			report(r, RE_STAT, errno, dst, dst);
		else
			report(r, create_err(&n), errno, src, dst);
	} else {
		n.ddir = pfd;
		n.dname = base;
		n.ddev = pst.st_dev;
		/* Unless -j says otherwise, some filesystems want one writer. */
		r->serial = r->pol->jobs == 0 &&
		    probe_serial_fs(dst_magic(r, pfd, pst.st_dev));
		r->inode_order = S_ISDIR(n.st.st_mode) &&
		    inside(pfd, n.st.st_dev, n.st.st_ino);
		(void)copy_node(r, &n, NULL);
	}
	drain_all(r);
	if (pfd != -1)
		close(pfd);
	free(dir);
	free(base);
	return r->errors == before ? 0 : -1;
}

struct operand {
	struct run	*r;
	const char	*src;
	const char	*dst;
};

static int
operand_call(void *p)
{
	struct operand *o = p;

	return copy_operand(o->r, o->src, o->dst);
}

/* On a stack deep enough for any tree (see walk_deep()). */
int
run_copy(struct run *r, const char *src, const char *dst)
{
	struct operand o = { r, src, dst };

	return walk_deep(operand_call, &o);
}

int
run_copy_parents(struct run *r, const char *src, const char *dstdir)
{
	struct made {
		char	*dpath;
		char	*spath;
		struct stat st;
		bool	 existed;	/* kept for the manifest only */
	} *made = NULL, *nm;
	size_t nmade = 0, i, len = strlen(src);
	struct node n;
	struct stat dst, ost;
	struct meta_req q;
	struct meta_result m;
	char *path, *sp, *dp;
	const char *s;
	int fd, sfd, ret = 0;
	unsigned before = r->errors;
	bool exists;

	while (len > 1 && src[len - 1] == '/')
		len--;
	if ((path = walk_join(dstdir, src)) == NULL)
		return -1;
	/* The directories of src, outermost first. */
	for (s = src; (s = memchr(s, '/', (size_t)(src + len - s))) != NULL;
	    s++) {
		if (s == src)
			continue;
		sp = strndup(src, (size_t)(s - src));
		dp = sp ? walk_join(dstdir, sp) : NULL;
		if (dp == NULL) {
			free(sp);
			ret = -1;
			break;
		}
		memset(&n, 0, sizeof(n));
		n.spath = sp;
		n.dpath = dp;
		if (walk_stat(AT_FDCWD, sp, true, &n.st) == -1) {
			report(r, RE_STAT, errno, sp, dp);
			free(sp);
			free(dp);
			ret = -1;
			break;
		}
		exists = stat(dp, &dst) == 0;
		/* A manifest records what the copy changed in it, later. */
		if (exists && !r->pol->manifest) {
			free(sp);
			free(dp);
			continue;
		}
		if (!exists && mkdir(dp, 0700) == -1) {
			report(r, RE_MKDIR, errno, sp, dp);
			free(sp);
			free(dp);
			ret = -1;
			break;
		}
		n.depth = -1;
		if (!exists)
			emit(r, &n, STRATEGY_MKDIR, NULL, NULL, 0);
		if ((nm = reallocarray(made, nmade + 1, sizeof(*made))) ==
		    NULL) {
			free(sp);
			free(dp);
			ret = -1;
			break;
		}
		made = nm;
		made[nmade].spath = sp;
		made[nmade].dpath = dp;
		made[nmade].st = n.st;
		made[nmade].existed = exists;
		nmade++;
	}
	if (ret == 0 && run_copy(r, src, path) == -1)
		ret = -1;
	/* Give the made directories their metadata, innermost first. */
	for (i = nmade; i-- > 0;) {
		memset(&n, 0, sizeof(n));
		n.spath = made[i].spath;
		n.dpath = made[i].dpath;
		n.st = made[i].st;
		fd = open(n.dpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		sfd = open(n.spath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd != -1) {
			meta_for(r, &n, sfd, NULL, &ost, &q);
			if (!made[i].existed && meta_apply_fd(fd, &q, &m) == -1)
				report_meta(r, &n, &m);
			n.depth = -1;
			if (r->pol->manifest)
				emit_full(r, &n, STRATEGY_MKDIR, NULL, NULL, 0,
				    EMIT_POST | (made[i].existed ? EMIT_QUIET :
				    0), fd);
			close(fd);
		}
		if (sfd != -1)
			close(sfd);
		free(made[i].spath);
		free(made[i].dpath);
	}
	free(made);
	free(path);
	drain_all(r);
	return ret == 0 && r->errors == before ? 0 : -1;
}
