/*
 * The mirror (see mirror.h).  One directory at a time, depth first: list
 * the source and the destination, delete what the destination has and the
 * source does not, then take the source's entries in byte order.  Only the
 * names of the directories on the current path are held in memory.
 *
 * With more than one thread, the walking thread hands regular files to
 * workers, a directory's worth at a time, and sets each directory's
 * attributes once the files queued before are done; what the workers
 * report is handed over in walk order.
 */
#include "config.h"

#include <sys/stat.h>

#include <sys/resource.h>
#include <sys/statfs.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends/backend.h"
#include "core/filter.h"
#include "core/hash.h"
#include "core/inomap.h"
#include "core/meta.h"
#include "core/mirror.h"
#include "core/pool.h"
#include "core/progress.h"
#include "core/probe.h"
#include "core/record.h"
#include "core/transfer.h"
#include "core/walk.h"

struct mirror_pool;
struct batch;

struct mirror {
	struct mirror_opts o;
	struct mirror_ops ops;		/* with threads: what they capture */
	struct mirror_ops out;		/* with threads: the caller's */
	struct mirror_stats st;
	struct probe	 probe;
	struct inomap	 links;		/* source inode -> first dest path */
	struct policy	 clone_only;	/* o.data with --reflink=always */
	mode_t		 umask;
	bool		 privileged;
	bool		 stopped;
	bool		 failed;
	bool		 no_tmpfile;
	bool		 ref_dev_known;
	dev_t		 ref_dev;	/* of the first reference tree */
	long		 deletions;
	unsigned	 seq;
	int		 droot;		/* the destination root, for -H */
	struct stat	 dtop;		/* the directory the run writes in */
	bool		 dtop_known;
	const char	*droot_path;
	dev_t		 sdev;		/* the source root's device, for -x */
	char		*hbuf;		/* for -c */
	struct mirror_pool *pool;	/* NULL: one thread */
	struct mirror	*main;		/* a worker's copy: the mirror */
	unsigned	 worker;	/* 0 for the walking thread */
	struct batch	*batch;		/* what this thread reports */
	bool		 direct;	/* handing over: do it all here */
};

/* One directory being mirrored. */
struct level {
	int		 sfd;		/* -1: none (a deletion) */
	int		 dfd;		/* -1: not there (dry run) */
	int		 rfd[MIRROR_MAX_REFS];
	const char	*spath;		/* for messages */
	const char	*dpath;
	const char	*rel;		/* "" or "dir/" from the root */
	bool		 fresh;		/* made by this run: nothing in it */
	ino_t		 dino;		/* dfd's inode, for the pool's keys */
	_Atomic bool	 dirty;		/* names made or removed in dfd */
	bool		 listed;	/* dfd's names are known */
	bool		 same_names;	/* dfd has the source's names */
	struct ahead	*next;		/* of the subdirectory done now */
	struct walk_dir	 pre;		/* sfd's names, listed ahead */
	bool		 has_pre;
	int		 depth;		/* below the root */
};

/*
 * Past this depth a level gives up its parent's descriptors while it is
 * walked, and opens them again through ".." after: a tree of any depth
 * needs a bounded number of descriptors.
 */
#define FD_DEPTH	64

/*
 * A source subdirectory that a worker opens and lists while the walking
 * thread is still before it.  Whoever moves state from AHEAD_QUEUED
 * does the work: a worker, or the walking thread when its turn comes
 * first.  Held by the job and by its parent's walk: freed by the second
 * to let go.
 */
enum { AHEAD_QUEUED, AHEAD_TAKEN, AHEAD_DONE };

struct ahead {
	_Atomic int	 state;
	_Atomic int	 refs;
	int		 parent;	/* the parent's sfd, open while queued */
	const char	*name;		/* in the parent's listing */
	int		 fd;		/* the directory, or -1 */
	struct walk_dir	 list;
	bool		 listed;
	bool		 turn;		/* the walking thread came to it */
};

/* A source entry of the directory. */
struct ent {
	const char	*name;
	struct stat	 st;
	bool		 ok;
	bool		 excluded;
	bool		 lazy;		/* a regular file not yet stat'ed */
	struct ahead	*ahead;		/* a directory being listed ahead */
};

struct mirror_pool {
	struct pool	 pool;
	struct mirror	*copies;	/* ctx[i]: the copy job i runs with */
	void		**ctx;
	unsigned	 n;
	struct batch	*chunk;		/* files being gathered */
	size_t		 chunk_max;
	size_t		 files;		/* in the queued chunks */
	size_t		 files_max;
	int		 shift;		/* probe_group_shift of the dest */
	bool		 shift_known;
	_Atomic bool	 halt;		/* a terminal error: start no more */
};

/* Whether to stop: a terminal error here, or on another thread. */
static bool
halted(const struct mirror *m)
{
	return m->stopped || (m->pool != NULL && atomic_load(&m->pool->halt));
}

static void	push_batch(struct mirror *, struct batch *);

/* A name is made or removed in lv's destination: its mtime moves. */
static void
touch(const struct level *lv)
{
	atomic_store_explicit((_Atomic bool *)&lv->dirty, true,
	    memory_order_relaxed);
}

/* Whether a problem of this kind makes the run a partial one. */
static bool
counts(enum mirror_err kind)
{
	return kind != ME_SKIP_DIR && kind != ME_SKIP_SPECIAL &&
	    kind != ME_OTHER_FS && kind != ME_DEST_INSIDE;
}

static void
report(struct mirror *m, enum mirror_err kind, int err, const char *dir,
    const char *name)
{
	struct mirror_event ev;
	char *path = NULL;

	if (counts(kind))
		m->failed = true;
	/*
	 * A full or failing destination stops the run; a source that cannot
	 * be read is that entry's problem, as in rsync.
	 */
	if (err != 0 && backend_fatal(err) && kind != ME_VANISHED &&
	    kind != ME_STAT && kind != ME_OPEN_DIR && kind != ME_READ &&
	    kind != ME_READLINK) {
		m->stopped = true;
		if (m->pool != NULL)
			atomic_store(&m->pool->halt, true);
	}
	if (name != NULL)
		path = walk_join(dir, name);
	ev.kind = kind;
	ev.err = err;
	ev.path = path != NULL ? path : dir;
	m->ops.report(m->ops.arg, &ev);
	free(path);
}

static char *
relpath(const struct level *lv, const char *name, bool dir)
{
	size_t a = strlen(lv->rel), b = strlen(name);
	char *p;

	if ((p = malloc(a + b + 2)) == NULL)
		return NULL;
	memcpy(p, lv->rel, a);
	memcpy(p + a, name, b);
	p[a + b] = dir ? '/' : '\0';
	p[a + b + 1] = '\0';
	return p;
}

static void
item(struct mirror *m, const char *path, char update, char type,
    unsigned flags, const char *link, const struct stat *st,
    enum strategy s, uint64_t bytes)
{
	struct mirror_item it;

	if (update != '*')
		progress_entry(m->o.data.progress, type == 'd',
		    st != NULL && S_ISREG(st->st_mode) && st->st_size > 0 ?
		    (uint64_t)st->st_size : 0, bytes);
	if (update == '.' && flags == 0 && !m->o.all_items)
		return;
	it.path = path;
	it.update = update;
	it.type = type;
	it.flags = flags;
	it.link = link;
	it.st = st;
	it.strategy = s;
	it.bytes = bytes;
	m->ops.item(m->ops.arg, &it);
}

static char
type_char(mode_t mode)
{
	if (S_ISREG(mode))
		return 'f';
	if (S_ISDIR(mode))
		return 'd';
	if (S_ISLNK(mode))
		return 'L';
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return 'D';
	return 'S';
}

static bool
same_time(const struct stat *a, const struct stat *b)
{
	return a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/*
 * The attribute columns in which the destination d differs from the source
 * s, for what the options preserve.  The extended attributes are compared
 * by name in their directories.
 */
static unsigned
attr_diff(struct mirror *m, const struct stat *s, int sdir, const char *sname,
    const struct stat *d, int ddir, const char *dname)
{
	unsigned f = 0;
	int x;

	if (m->o.times && !same_time(s, d))
		f |= MI_TIME;
	if (m->o.perms && !S_ISLNK(s->st_mode) &&
	    (s->st_mode & 07777) != (d->st_mode & 07777))
		f |= MI_PERMS;
	if (m->o.owner && s->st_uid != d->st_uid)
		f |= MI_OWNER;
	if (m->o.group && s->st_gid != d->st_gid)
		f |= MI_GROUP;
	if ((m->o.acls || m->o.xattrs) && sdir >= 0 && ddir >= 0 &&
	    (x = meta_sync_xattrs(sdir, sname, ddir, dname, m->o.acls,
	    m->o.xattrs, false)) > 0) {
		if (x & META_DIFF_ACL)
			f |= MI_ACL;
		if (x & META_DIFF_XATTR)
			f |= MI_XATTR;
	}
	return f;
}

/* The metadata request for s onto a new entry, as the options say. */
static void
meta_for(struct mirror *m, const struct stat *s, struct stat *own,
    struct meta_req *req, int src_fd)
{
	*own = *s;
	if (!m->o.owner)
		own->st_uid = (uid_t)-1;
	if (!m->o.group)
		own->st_gid = (gid_t)-1;
	memset(req, 0, sizeof(*req));
	req->st = own;
	req->src_fd = src_fd;
	req->times = m->o.times;
	req->owner = m->o.owner || m->o.group;
	req->xattr = m->o.xattrs;
	req->acl = m->o.acls;
	req->privileged = m->privileged;
	req->set_mode = true;
	req->mode = m->o.perms ? s->st_mode & 07777 :
	    s->st_mode & 0777 & ~m->umask;
}

/*
 * Bring name in dfd to the source's attributes (flags say which differ),
 * by name: times, owner, extended attributes, mode.
 */
static void
fix_attrs(struct mirror *m, const struct level *lv, const char *sname,
    const char *dname, const struct stat *s, unsigned flags)
{
	struct meta_result res;
	struct meta_req req;
	struct stat own;

	if (m->o.dry_run || lv->dfd < 0 || flags == 0)
		return;
	meta_for(m, s, &own, &req, -1);
	req.times = (flags & MI_TIME) != 0;
	req.owner = (flags & (MI_OWNER | MI_GROUP)) != 0;
	req.set_mode = (flags & MI_PERMS) != 0;
	if (meta_apply_at(lv->dfd, dname, S_ISLNK(s->st_mode), &req,
	    &res) == -1)
		report(m, ME_META, res.err[ffs((int)res.failed) - 1],
		    lv->dpath, dname);
	if ((flags & (MI_ACL | MI_XATTR)) && meta_sync_xattrs(lv->sfd, sname,
	    lv->dfd, dname, m->o.acls, m->o.xattrs, true) == -1)
		report(m, ME_META, errno, lv->dpath, dname);
}

static void
tmp_name(struct mirror *m, char *buf, size_t len)
{
	snprintf(buf, len, ".xsync-%ld-%u-%u.tmp", (long)getpid(), m->worker,
	    ++m->seq);
}

/* Whether name is one of the temporary names a mirror writes. */
static bool
our_tmp(const char *name)
{
	const char *p;
	size_t n = strlen(name);

	if (strncmp(name, ".xsync-", 7) != 0 || n < 12 ||
	    strcmp(name + n - 4, ".tmp") != 0)
		return false;
	for (p = name + 7; p < name + n - 4; p++)
		if ((*p < '0' || *p > '9') && *p != '-')
			return false;
	return true;
}

static void	mirror_dir(struct mirror *, struct level *);
static void	pool_settle(struct mirror *);
static void	do_dir(struct mirror *, const struct level *, const char *,
		    const char *, const struct stat *, const struct stat *,
		    const char *, bool, bool);

/*
 * Delete name in dfd (a directory if dir), its contents first, each
 * reported; --max-delete stops it.  Returns 0, or -1 when it stays.
 */
static int
delete_entry(struct mirror *m, const struct level *lv, const char *name,
    bool dir, bool quiet)
{
	struct walk_dir d;
	struct level sub;
	struct stat st;
	char *rel;
	size_t i;
	int fd, ret = 0;

	if (m->o.max_delete >= 0 && m->deletions >= m->o.max_delete) {
		m->st.skipped_deletes++;
		return -1;
	}
	if ((rel = relpath(lv, name, dir)) == NULL) {
		report(m, ME_DELETE, ENOMEM, lv->dpath, name);
		return -1;
	}
	if (dir) {
		fd = openat(lv->dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (fd == -1 || walk_list(fd, &d) == -1) {
			report(m, ME_DELETE, errno, lv->dpath, name);
			if (fd != -1)
				close(fd);
			free(rel);
			return -1;
		}
		memset(&sub, 0, sizeof(sub));
		sub.sfd = -1;
		sub.dfd = fd;
		sub.dpath = walk_join(lv->dpath, name);
		sub.rel = rel;
		for (i = 0; i < d.n && !halted(m); i++) {
			if (walk_stat(fd, d.names[i], false, &st) == -1)
				continue;
			/* Excluded names are protected inside it too. */
			if (m->o.filter != NULL && !m->o.delete_excluded) {
				char *p = relpath(&sub, d.names[i], false);

				if (p != NULL && filter_check(m->o.filter, p,
				    S_ISDIR(st.st_mode)) == FILTER_EXCLUDE) {
					free(p);
					ret = -1;
					continue;
				}
				free(p);
			}
			if (delete_entry(m, &sub, d.names[i],
			    S_ISDIR(st.st_mode), false) == -1)
				ret = -1;
		}
		walk_list_free(&d);
		close(fd);
		free((char *)sub.dpath);
		if (ret == -1) {
			if (m->o.max_delete < 0 ||
			    m->deletions < m->o.max_delete)
				report(m, ME_NOT_EMPTY, 0, lv->dpath, name);
			free(rel);
			return -1;
		}
		if (m->o.max_delete >= 0 && m->deletions >= m->o.max_delete) {
			m->st.skipped_deletes++;
			free(rel);
			return -1;
		}
	}
	if (!m->o.dry_run)
		touch(lv);
	if (!m->o.dry_run &&
	    unlinkat(lv->dfd, name, dir ? AT_REMOVEDIR : 0) == -1 &&
	    errno != ENOENT) {
		report(m, ME_DELETE, errno, lv->dpath, name);
		free(rel);
		return -1;
	}
	m->deletions++;
	m->st.deleted++;
	/* Making room for another type is not shown, as in rsync. */
	if (!quiet)
		item(m, rel, '*', 0, MI_DELETED, NULL, NULL, STRATEGY_NONE,
		    0);
	free(rel);
	return 0;
}

/* A regular file's data, for -c.  Returns 0 or -1 with errno. */
static int
hash_at(struct mirror *m, int dirfd, const char *name, off_t size,
    unsigned char *out)
{
	int fd, e;

	if (m->hbuf == NULL && (m->hbuf = malloc(HASH_FD_BUF)) == NULL)
		return -1;
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return -1;
	if (hash_fd(fd, out, m->hbuf, size) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * Put the complete file open as fd (an O_TMPFILE inode when tmp is NULL,
 * else the temporary name tmp) under its final name.  Returns 0 or -1.
 */
static int
place(struct mirror *m, int fd, const char *tmp, int dfd, const char *name,
    bool exists)
{
	char proc[64], t[64];
	int e;

	if (tmp != NULL)
		return renameat(dfd, tmp, dfd, name);
	if (!exists && linkat(fd, "", dfd, name, AT_EMPTY_PATH) == 0)
		return 0;
	if (!exists && errno != EEXIST && errno != ENOENT && errno != EPERM)
		return -1;
	tmp_name(m, t, sizeof(t));
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	/* Without CAP_DAC_READ_SEARCH some kernels refuse AT_EMPTY_PATH. */
	if (linkat(fd, "", dfd, t, AT_EMPTY_PATH) == -1 &&
	    linkat(AT_FDCWD, proc, dfd, t, AT_SYMLINK_FOLLOW) == -1)
		return -1;
	if (renameat(dfd, t, dfd, name) == -1) {
		e = errno;
		unlinkat(dfd, t, 0);
		errno = e;
		return -1;
	}
	return 0;
}

/*
 * The file dname of an unpublished tree (a partial snapshot) that old
 * describes, emptied to be written again in place: nobody reads the tree
 * before it is complete, and keeping the inode and the name spares the
 * directory two changes.  Only a regular file with no other name, still
 * the one old describes.  Its fd (*named, no tmp), or -1: make a new one.
 */
static int
rewrite(const struct level *lv, const char *dname, const struct stat *old,
    char *tmp, bool *named)
{
	struct stat st;
	int fd;

	if (!S_ISREG(old->st_mode) || old->st_nlink != 1 ||
	    (fd = openat(lv->dfd, dname, O_RDWR | O_NOFOLLOW | O_NOCTTY |
	    O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || st.st_ino != old->st_ino ||
	    st.st_dev != old->st_dev || st.st_nlink != 1 ||
	    ftruncate(fd, 0) == -1) {
		close(fd);
		return -1;
	}
	tmp[0] = '\0';
	*named = true;
	return fd;
}

/*
 * A new file in dfd to write, made with mode (under the umask): returns
 * its fd, with tmp[0] '\0' if it is unnamed or, when direct, already
 * under its final name (*named).
 */
static int
new_file(struct mirror *m, int dfd, const char *name, mode_t mode,
    bool direct, char *tmp, size_t len, bool *named)
{
	int fd;

	tmp[0] = '\0';
	*named = false;
	if (direct) {
		fd = openat(dfd, name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC,
		    mode);
		if (fd != -1 || errno != EEXIST) {
			*named = fd != -1;
			return fd;
		}
	}
	if (!m->no_tmpfile) {
		/* Readable: a manifest hashes what was written through it. */
		fd = openat(dfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, mode);
		if (fd != -1)
			return fd;
		if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
			return -1;
		m->no_tmpfile = true;
	}
	tmp_name(m, tmp, len);
	return openat(dfd, tmp, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, mode);
}

static void
emit_record(struct mirror *m, const struct level *lv, const char *name,
    const struct stat *s, const struct stat *dst, enum strategy strat,
    const unsigned char *hash, int data_fd, const char *first, bool post,
    bool quiet, bool same_data)
{
	struct record rec;
	char *dpath, *text = NULL;

	if (!m->o.records || m->ops.record == NULL)
		return;
	/* Read by name in its directory: the whole path may be too long. */
	if (dst != NULL && S_ISLNK(dst->st_mode) && lv->dfd >= 0 &&
	    name != NULL)
		text = walk_readlink(lv->dfd, name, dst->st_size);
	dpath = name != NULL && strcmp(name, ".") != 0 ?
	    walk_join(lv->dpath, name) : NULL;
	memset(&rec, 0, sizeof(rec));
	rec.dst = dpath != NULL ? dpath : lv->dpath;
	rec.src = rec.dst;
	rec.st = s;
	rec.dst_st = dst;
	rec.strategy = strat;
	rec.hash = hash;
	rec.data_fd = data_fd;
	rec.first = first;
	rec.post = post;
	rec.quiet = quiet;
	rec.same_data = same_data;
	rec.link_text = text;
	m->ops.record(m->ops.arg, &rec);
	free(dpath);
	free(text);
}

/* The hash k has for the data of a file like st, or NULL. */
static const unsigned char *
known_data(const struct mirror_known *k, const struct stat *st)
{
	if (k == NULL || k->type != 'f' || !k->has_hash ||
	    k->size != (uint64_t)st->st_size ||
	    k->mtime.tv_sec != st->st_mtim.tv_sec ||
	    k->mtime.tv_nsec != st->st_mtim.tv_nsec)
		return NULL;
	return k->hash;
}

/*
 * Whether the source entry s is as k says, unchanged since k.before: then
 * the destination (or the first reference) holds it as it is.
 */
static bool
settled_by(const struct mirror *m, const struct stat *s,
    const struct mirror_known *k)
{
	if (k == NULL || s->st_ctim.tv_sec >= k->before ||
	    k->mode != (s->st_mode & 07777) || k->uid != s->st_uid ||
	    k->gid != s->st_gid || k->mtime.tv_sec != s->st_mtim.tv_sec ||
	    k->mtime.tv_nsec != s->st_mtim.tv_nsec)
		return false;
	if (S_ISDIR(s->st_mode))
		return k->type == 'd';
	return S_ISREG(s->st_mode) && k->type == 'f' &&
	    k->size == (uint64_t)s->st_size &&
	    !(m->o.hard_links && s->st_nlink > 1);
}

/*
 * The hash of data the kernel moved (a clone, copy_file_range) for the
 * manifest: read from the source, whose pages are in memory where the new
 * file's are not, if it stays as it was (from_st) while it is read.
 */
static void
source_hash(struct mirror *m, int from, const struct stat *from_st,
    struct transfer *t)
{
	struct stat after;

	if (m->hbuf == NULL && (m->hbuf = malloc(HASH_FD_BUF)) == NULL)
		return;
	if (hash_fd(from, t->hash, m->hbuf, from_st->st_size) == 0 &&
	    fstat(from, &after) == 0 && after.st_size == from_st->st_size &&
	    same_time(&after, from_st) &&
	    after.st_ctim.tv_sec == from_st->st_ctim.tv_sec &&
	    after.st_ctim.tv_nsec == from_st->st_ctim.tv_nsec)
		t->hashed = true;
}

/*
 * Write the destination name from the open file from (the source, or a
 * reference copy), give it the source's metadata and put it in place.
 * clone_only: share the data or fail with the backend's errno.  settled:
 * from is a reference copy with the source's extended attributes.
 * Returns the strategy used, or STRATEGY_NONE (reported unless
 * clone_only).
 */
static enum strategy
write_file(struct mirror *m, const struct level *lv, int from,
    const struct stat *from_st, const char *sname, const char *dname,
    const struct stat *s, const struct stat *old, bool clone_only, bool ref,
    bool settled, const struct mirror_known *k, uint64_t *bytes)
{
	struct transfer t;
	struct meta_result res;
	struct meta_req req;
	struct stat own, dst;
	struct caps *c;
	char tmp[64];
	int fd = -1, sfd = -1, e;
	bool named, rewritten = false, exists = old != NULL;
	bool direct = m->o.unpublished && !exists;

	/* Made with its final permissions, it seldom needs a chmod. */
	meta_for(m, s, &own, &req, -1);
	if (m->o.unpublished && exists)
		rewritten = (fd = rewrite(lv, dname, old, tmp, &named)) != -1;
	if (!rewritten)
		touch(lv);
	if (fd == -1 && (fd = new_file(m, lv->dfd, dname, req.mode & 0777,
	    direct, tmp, sizeof(tmp), &named)) == -1) {
		report(m, ME_CREATE, errno, lv->dpath, dname);
		return STRATEGY_NONE;
	}
	if (walk_fstat_untimed(fd, &dst) == -1 || (c = probe_get(&m->probe,
	    from, from_st->st_dev, fd, dst.st_dev)) == NULL) {
		e = errno;
		goto fail;
	}
	memset(&t, 0, sizeof(t));
	t.src_fd = from;
	t.dst_fd = fd;
	t.st = from_st;
	t.want_hash = m->o.records;
	if (transfer_data(clone_only ? &m->clone_only : &m->o.data, c,
	    &t) == -1) {
		e = errno;
		if (!clone_only)
			report(m, t.read_failed ? ME_READ : ME_WRITE, e,
			    t.read_failed ? lv->spath : lv->dpath,
			    t.read_failed ? sname : dname);
		goto out;
	}
	/* The attributes come from the source even when the data did not. */
	if (!(m->o.xattrs || m->o.acls))
		;
	else if (settled)
		req.src_fd = from;
	else if (lv->sfd >= 0 && meta_any_xattrs(lv->sfd, sname))
		req.src_fd = sfd = openat(lv->sfd, sname, O_RDONLY |
		    O_NOFOLLOW | O_CLOEXEC);
	req.cur = &dst;
	if (rewritten && meta_clear_xattrs(fd) == -1)
		report(m, ME_META, errno, lv->dpath, dname);
	if (meta_apply_fd(fd, &req, &res) == -1)
		report(m, ME_META, res.err[ffs((int)res.failed) - 1],
		    lv->dpath, dname);
	if (sfd != -1)
		close(sfd);
	if (!named && place(m, fd, tmp[0] ? tmp : NULL, lv->dfd, dname,
	    exists) == -1) {
		e = errno;
		report(m, ME_RENAME, e, lv->dpath, dname);
		goto out;
	}
	*bytes = t.bytes;
	if (m->o.records && !t.hashed && !ref)
		source_hash(m, from, from_st, &t);
	if (m->o.records) {
		/* What was set, unless something failed: then look. */
		if (res.failed == 0 && ref && req.times) {
			dst.st_mode = S_IFREG | req.mode;
			if (own.st_uid != (uid_t)-1)
				dst.st_uid = own.st_uid;
			if (own.st_gid != (gid_t)-1)
				dst.st_gid = own.st_gid;
			dst.st_mtim = s->st_mtim;
			dst.st_atim = s->st_atim;
			dst.st_size = s->st_size;
			dst.st_nlink = 1;
		} else if (fstat(fd, &dst) == -1) {
			e = errno;
			goto out;
		}
		/* A reference's data has its hash in a manifest, mostly. */
		emit_record(m, lv, dname, s, &dst, t.used,
		    t.hashed ? t.hash : ref ? known_data(k, &dst) : NULL,
		    ref ? -1 : fd, NULL, false, false, ref);
	}
	close(fd);
	return t.used;
fail:
	report(m, ME_CREATE, e, lv->dpath, dname);
out:
	if (tmp[0])
		unlinkat(lv->dfd, tmp, 0);
	else if (named)
		unlinkat(lv->dfd, dname, 0);
	close(fd);
	errno = e;
	return STRATEGY_NONE;
}

/*
 * The hash a manifest recorded for the destination or reference copy
 * name (as it is now, st), so that -c reads only the source.
 */
static bool
known_hash(struct mirror *m, const struct level *lv, const char *name,
    const struct stat *st, unsigned char *out)
{
	char *rel;
	bool ok;

	if (m->ops.stored_hash == NULL ||
	    (rel = relpath(lv, name, false)) == NULL)
		return false;
	ok = m->ops.stored_hash(m->ops.arg, rel, st, out);
	free(rel);
	return ok;
}

/*
 * Whether the reference copy r of source s may stand in for it: a regular
 * file of the same size and nanosecond mtime (and content, with -c).
 */
static bool
ref_matches(struct mirror *m, const struct level *lv, int i,
    const char *name, const struct stat *s, const struct stat *r)
{
	unsigned char a[HASH_LEN], b[HASH_LEN];

	if (!S_ISREG(r->st_mode) || r->st_size != s->st_size ||
	    !same_time(r, s))
		return false;
	if (!m->o.checksum)
		return true;
	return hash_at(m, lv->sfd, name, s->st_size, a) == 0 &&
	    (known_hash(m, lv, name, r, b) ||
	    hash_at(m, lv->rfd[i], name, r->st_size, b) == 0) &&
	    memcmp(a, b, HASH_LEN) == 0;
}

/*
 * A settled file that the first reference tree holds as the source has
 * it: cloned (and given its attributes), or where that cannot be, hard
 * linked, without a look at the reference copy first.  Returns whether
 * it is done.
 */
static bool
settled_ref(struct mirror *m, const struct level *lv, const char *sname,
    const char *dname, const struct stat *s, const char *rel,
    const struct mirror_known *k)
{
	enum strategy used;
	struct stat r, d;
	uint64_t bytes = 0;
	int fd, e;

	if (m->o.ref_kind != MIRROR_REF_LINK) {
		/*
		 * The manifest says a regular file is there: opened (it will
		 * not block), it is cloned with the source's metadata for its
		 * own, and a clone takes nothing but a regular file.  Should
		 * the clone fail, a look tells whether it is one.
		 */
		fd = openat(lv->rfd[0], dname, O_RDONLY | O_NOFOLLOW |
		    O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (fd == -1)
			return false;
		if (!m->ref_dev_known && fstat(lv->rfd[0], &r) == 0) {
			m->ref_dev = r.st_dev;
			m->ref_dev_known = true;
		}
		r = *s;
		r.st_dev = m->ref_dev;
		used = !m->ref_dev_known ? STRATEGY_NONE : write_file(m, lv, fd,
		    &r, sname, dname, s, NULL, true, true, true, k, &bytes);
		e = errno;
		if (used == STRATEGY_NONE && (fstat(fd, &r) == -1 ||
		    !S_ISREG(r.st_mode))) {
			close(fd);
			return false;
		}
		close(fd);
		errno = e;
		if (used != STRATEGY_NONE) {
			m->st.shared += bytes;
			item(m, rel, 'c', 'f', 0, NULL, s, used, bytes);
			return true;
		}
		if (m->o.ref_kind == MIRROR_REF_CLONE ||
		    !backend_unsupported(errno))
			return false;
	}
	touch(lv);
	if (linkat(lv->rfd[0], dname, lv->dfd, dname, 0) == -1)
		return false;
	m->st.shared += (uint64_t)s->st_size;
	/*
	 * Its other names are in the reference tree: here it has one, and
	 * the source's metadata.
	 */
	d = *s;
	d.st_nlink = 1;
	d.st_dev = 0;
	d.st_ino = 0;
	emit_record(m, lv, dname, s, &d, STRATEGY_HARDLINK, known_data(k, &d),
	    -1, NULL, false, false, true);
	item(m, rel, 'h', 'f', 0, NULL, s, STRATEGY_HARDLINK,
	    (uint64_t)s->st_size);
	return true;
}

/*
 * A new file that a reference tree holds unchanged: hard link it when
 * the attributes match (--link-dest; for snapshots, when cloning is not
 * possible), else clone it, else copy it from there, and apply the
 * source's attributes.  Returns 1 when done; 0 when the source must be
 * copied, with *flags the columns in which it differs from the first
 * reference copy (rsync itemizes against it), or MI_NEW.
 */
static int
from_ref(struct mirror *m, const struct level *lv, const char *sname,
    const char *dname, const struct stat *s, const char *rel,
    bool settled, const struct mirror_known *k, unsigned *flags_out)
{
	struct stat r, d;
	enum strategy used;
	uint64_t bytes = 0;
	unsigned flags;
	size_t i;
	const struct mirror_known *ki;
	int fd;
	bool seen = false, xq, quick;

	*flags_out = MI_NEW;
	if (settled && lv->rfd[0] >= 0 && !m->o.dry_run &&
	    settled_ref(m, lv, sname, dname, s, rel, k))
		return 1;
	for (i = 0; i < m->o.nrefs; i++) {
		if (lv->rfd[i] < 0 || walk_stat(lv->rfd[i], dname, false,
		    &r) == -1 || !S_ISREG(r.st_mode))
			continue;
		/* Settled: the first one has every attribute right. */
		quick = settled && i == 0;
		/* What is known is of the first one. */
		ki = i == 0 ? k : NULL;
		/* Extended attributes matter for a link, else only to -i. */
		xq = quick || (m->o.quiet_items &&
		    m->o.ref_kind != MIRROR_REF_LINK);
		flags = attr_diff(m, s, xq ? -1 : lv->sfd, sname, &r,
		    xq ? -1 : lv->rfd[i], dname);
		if (!ref_matches(m, lv, (int)i, sname, s, &r)) {
			if (!seen)
				*flags_out = flags | (r.st_size != s->st_size ?
				    MI_SIZE : 0) | (same_time(&r, s) ? 0 :
				    MI_TIME) | (m->o.checksum ? MI_CHECKSUM : 0);
			seen = true;
			continue;
		}
		if (m->o.dry_run) {
			item(m, rel, flags == 0 && m->o.ref_kind ==
			    MIRROR_REF_LINK ? 'h' : 'c', 'f', flags, NULL, s,
			    STRATEGY_NONE, 0);
			return 1;
		}
		fd = -1;
		if (m->o.ref_kind != MIRROR_REF_LINK) {
			/* Clone: no data moves, the attributes are new. */
			fd = openat(lv->rfd[i], dname, O_RDONLY | O_NOFOLLOW |
			    O_CLOEXEC);
			if (fd == -1)
				continue;
			used = write_file(m, lv, fd, &r, sname, dname, s,
			    NULL, true, true, quick, ki, &bytes);
			if (used != STRATEGY_NONE)
				goto done;
			if (!backend_unsupported(errno)) {
				close(fd);
				continue;
			}
		}
		if (xq && !quick && flags == 0)
			flags = attr_diff(m, s, lv->sfd, sname, &r, lv->rfd[i],
			    dname);
		if (flags == 0 && m->o.ref_kind != MIRROR_REF_CLONE)
			touch(lv);
		if (flags == 0 && m->o.ref_kind != MIRROR_REF_CLONE &&
		    linkat(lv->rfd[i], dname, lv->dfd, dname, 0) == 0) {
			if (fd != -1)
				close(fd);
			m->st.shared += (uint64_t)s->st_size;
			/* Settled, nobody else links it: it is r, once more. */
			d = r;
			d.st_nlink++;
			if (m->o.records && (quick ||
			    walk_stat(lv->dfd, dname, false, &d) == 0))
				emit_record(m, lv, dname, s, &d,
				    STRATEGY_HARDLINK, known_data(ki, &d), -1,
				    NULL, false, false, true);
			item(m, rel, 'h', 'f', 0, NULL, s, STRATEGY_HARDLINK,
			    (uint64_t)s->st_size);
			return 1;
		}
		/* Attributes differ, EMLINK, EXDEV...: copy it from there. */
		if (fd == -1 && (fd = openat(lv->rfd[i], dname, O_RDONLY |
		    O_NOFOLLOW | O_CLOEXEC)) == -1)
			continue;
		used = write_file(m, lv, fd, &r, sname, dname, s, NULL,
		    false, true, quick, ki, &bytes);
		if (used == STRATEGY_NONE) {
			close(fd);
			return 1;	/* reported */
		}
done:
		close(fd);
		if (used == STRATEGY_REFLINK)
			m->st.shared += bytes;
		else
			m->st.copied += bytes;
		item(m, rel, 'c', 'f', flags, NULL, s, used, bytes);
		return 1;
	}
	return 0;
}

/* -H: a later link of an inode whose first link is already in place. */
static bool
later_link(struct mirror *m, const struct level *lv, const char *dname,
    const struct stat *s, const struct stat *d, const char *rel)
{
	const char *first;
	struct stat f;
	char tmp[64], *full = NULL;

	if (!m->o.hard_links || s->st_nlink < 2 ||
	    (first = inomap_get(&m->links, s->st_dev, s->st_ino)) == NULL)
		return false;
	if (m->o.records)
		full = walk_join(m->droot_path, first);
	if (d != NULL && m->droot >= 0 &&
	    walk_stat(m->droot, first, false, &f) == 0 &&
	    f.st_dev == d->st_dev && f.st_ino == d->st_ino) {
		item(m, rel, 'h', 'f', 0, first, s, STRATEGY_NONE, 0);
		emit_record(m, lv, dname, s, d, STRATEGY_HARDLINK, NULL, -1,
		    full, false, true, false);
		free(full);
		return true;
	}
	if (!m->o.dry_run) {
		tmp_name(m, tmp, sizeof(tmp));
		touch(lv);
		if (linkat(m->droot, first, lv->dfd, d ? tmp : dname, 0) ==
		    -1 || (d != NULL &&
		    renameat(lv->dfd, tmp, lv->dfd, dname) == -1)) {
			report(m, ME_CREATE, errno, lv->dpath, dname);
			if (d != NULL)
				unlinkat(lv->dfd, tmp, 0);
			free(full);
			return true;
		}
		if (walk_stat(lv->dfd, dname, false, &f) == 0)
			emit_record(m, lv, dname, s, &f, STRATEGY_HARDLINK,
			    NULL, -1, full, false, false, false);
	}
	free(full);
	item(m, rel, 'h', 'f', d == NULL ? MI_NEW : 0, first, s,
	    STRATEGY_HARDLINK, 0);
	return true;
}

static void
do_file(struct mirror *m, const struct level *lv, const char *sname,
    const char *dname, const struct stat *s, const struct stat *d,
    const char *rel, bool settled, const struct mirror_known *k)
{
	unsigned char a[HASH_LEN], b[HASH_LEN];
	unsigned flags = 0;
	enum strategy used;
	uint64_t bytes = 0;
	bool same;
	int fd;

	m->st.regular++;
	m->st.total_size += (uint64_t)s->st_size;
	if (later_link(m, lv, dname, s, d, rel))
		return;
	if (m->o.hard_links && s->st_nlink > 1 &&
	    inomap_put(&m->links, s->st_dev, s->st_ino, rel) == -1)
		report(m, ME_CREATE, ENOMEM, lv->dpath, dname);
	if (d != NULL) {
		same = d->st_size == s->st_size && same_time(d, s);
		if (m->o.checksum && d->st_size == s->st_size) {
			same = hash_at(m, lv->sfd, sname, s->st_size, a) == 0 &&
			    (known_hash(m, lv, dname, d, b) ||
			    hash_at(m, lv->dfd, dname, d->st_size, b) == 0) &&
			    memcmp(a, b, HASH_LEN) == 0;
		}
		/* rsync -c marks every file it sends as differing in content. */
		if (m->o.checksum && !same)
			flags |= MI_CHECKSUM;
		/* New data gets the source's xattrs anyway: -i alone asks. */
		flags |= attr_diff(m, s, same || !m->o.quiet_items ? lv->sfd :
		    -1, sname, d, lv->dfd, dname);
		if (same) {
			item(m, rel, '.', 'f', flags, NULL, s, STRATEGY_NONE,
			    0);
			fix_attrs(m, lv, sname, dname, s, flags);
			if (m->o.records) {
				struct stat n;

				if (walk_stat(lv->dfd, dname, false, &n) == 0)
					emit_record(m, lv, dname, s, &n,
					    STRATEGY_SKIP, known_data(k, &n), -1,
					    NULL, false, true, true);
			}
			return;
		}
		if (d->st_size != s->st_size)
			flags |= MI_SIZE;
	} else {
		flags = MI_NEW;
		if (m->o.nrefs > 0 && (lv->dfd >= 0 || m->o.dry_run) &&
		    from_ref(m, lv, sname, dname, s, rel, settled, k, &flags))
			return;
		m->st.created++;
		m->st.created_reg++;
	}
	m->st.transferred++;
	m->st.transferred_size += (uint64_t)s->st_size;
	if (m->o.dry_run) {
		item(m, rel, '>', 'f', flags, NULL, s, STRATEGY_NONE, 0);
		return;
	}
	fd = openat(lv->sfd, sname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		report(m, errno == ENOENT ? ME_VANISHED : ME_READ, errno,
		    lv->spath, sname);
		return;
	}
	used = write_file(m, lv, fd, s, sname, dname, s, d, false, false,
	    false, NULL, &bytes);
	if (used != STRATEGY_NONE) {
		struct stat after;

		if (used == STRATEGY_REFLINK)
			m->st.shared += bytes;
		else
			m->st.copied += bytes;
		if (fstat(fd, &after) == 0 && (after.st_size != s->st_size ||
		    !same_time(&after, s) ||
		    after.st_ctim.tv_sec != s->st_ctim.tv_sec ||
		    after.st_ctim.tv_nsec != s->st_ctim.tv_nsec))
			report(m, ME_CHANGED, 0, lv->spath, sname);
		item(m, rel, '>', 'f', flags, NULL, s, used, bytes);
	}
	close(fd);
}

/*
 * A new symbolic link or special file that a reference tree has as it is
 * (same type, target or device): hard link it there when the attributes
 * match and linking is allowed.  Returns 1 when done; 0 with *flags the
 * columns in which the first such reference differs (or MI_NEW).
 */
static int
ref_other(struct mirror *m, const struct level *lv, const char *sname,
    const char *dname, const struct stat *s, const char *target,
    const char *rel, unsigned *flags)
{
	struct stat r, d;
	char *t;
	size_t i;
	bool same;

	*flags = MI_NEW;
	for (i = 0; i < m->o.nrefs; i++) {
		if (lv->rfd[i] < 0 || walk_stat(lv->rfd[i], dname, false,
		    &r) == -1 || (r.st_mode & S_IFMT) != (s->st_mode & S_IFMT))
			continue;
		if (target != NULL) {
			t = walk_readlink(lv->rfd[i], dname, r.st_size);
			same = t != NULL && strcmp(t, target) == 0;
			free(t);
		} else {
			same = r.st_rdev == s->st_rdev;
		}
		if (!same)
			continue;
		*flags = attr_diff(m, s, lv->sfd, sname, &r, lv->rfd[i],
		    dname);
		if (*flags != 0 || m->o.ref_kind == MIRROR_REF_CLONE)
			return 0;
		if (!m->o.dry_run) {
			touch(lv);
			if (linkat(lv->rfd[i], dname, lv->dfd, dname, 0) == -1)
				return 0;
			if (m->o.records &&
			    walk_stat(lv->dfd, dname, false, &d) == 0)
				emit_record(m, lv, dname, s, &d,
				    target != NULL ? STRATEGY_SYMLINK :
				    STRATEGY_MKNOD, NULL, -1, NULL, false,
				    false, false);
		}
		item(m, rel, 'h', type_char(s->st_mode), 0, target, s,
		    STRATEGY_HARDLINK, 0);
		return 1;
	}
	return 0;
}

/*
 * A new symbolic link or special file made as tmp: its attributes, then
 * its final name.  Returns 0, or -1 when it could not be put in place.
 */
static int
finish_new(struct mirror *m, const struct level *lv, const char *tmp,
    const char *sname, const char *dname, const struct stat *s,
    enum strategy strat)
{
	struct meta_result res;
	struct meta_req req;
	struct stat own, n;

	meta_for(m, s, &own, &req, -1);
	req.set_mode = !S_ISLNK(s->st_mode);
	if (meta_apply_at(lv->dfd, tmp, S_ISLNK(s->st_mode), &req, &res) == -1)
		report(m, ME_META, res.err[ffs((int)res.failed) - 1],
		    lv->dpath, dname);
	if ((m->o.xattrs || m->o.acls) && meta_sync_xattrs(lv->sfd, sname,
	    lv->dfd, tmp, m->o.acls, m->o.xattrs, true) == -1)
		report(m, ME_META, errno, lv->dpath, dname);
	if (renameat(lv->dfd, tmp, lv->dfd, dname) == -1) {
		report(m, ME_RENAME, errno, lv->dpath, dname);
		unlinkat(lv->dfd, tmp, 0);
		return -1;
	}
	if (m->o.records && walk_stat(lv->dfd, dname, false, &n) == 0)
		emit_record(m, lv, dname, s, &n, strat, NULL, -1, NULL, false,
		    false, false);
	return 0;
}

static void
do_symlink(struct mirror *m, const struct level *lv, const char *sname,
    const char *dname, const struct stat *s, const struct stat *d,
    const char *rel)
{
	struct stat n;
	char *target, *old = NULL, tmp[64];
	unsigned flags;

	m->st.symlinks++;
	if ((target = walk_readlink(lv->sfd, sname, s->st_size)) == NULL) {
		report(m, errno == ENOENT ? ME_VANISHED : ME_READLINK, errno,
		    lv->spath, sname);
		return;
	}
	if (d != NULL && S_ISLNK(d->st_mode))
		old = walk_readlink(lv->dfd, dname, d->st_size);
	if (old != NULL && strcmp(old, target) == 0) {
		flags = attr_diff(m, s, lv->sfd, sname, d, lv->dfd, dname);
		item(m, rel, '.', 'L', flags, target, s, STRATEGY_NONE, 0);
		fix_attrs(m, lv, sname, dname, s, flags);
		if (m->o.records && walk_stat(lv->dfd, dname, false, &n) == 0)
			emit_record(m, lv, dname, s, &n, STRATEGY_SYMLINK,
			    NULL, -1, NULL, false, true, false);
		goto done;
	}
	flags = d == NULL ? MI_NEW : MI_CHECKSUM;
	if (d != NULL)
		flags |= attr_diff(m, s, -1, NULL, d, -1, NULL);
	if (d == NULL && m->o.nrefs > 0 &&
	    ref_other(m, lv, sname, dname, s, target, rel, &flags))
		goto done;
	if (d == NULL) {
		m->st.created++;
		m->st.created_link++;
	}
	if (!m->o.dry_run) {
		tmp_name(m, tmp, sizeof(tmp));
		touch(lv);
		if (symlinkat(target, lv->dfd, tmp) == -1) {
			report(m, ME_CREATE, errno, lv->dpath, dname);
			goto done;
		}
		if (finish_new(m, lv, tmp, sname, dname, s,
		    STRATEGY_SYMLINK) == -1)
			goto done;
	}
	item(m, rel, 'c', 'L', flags, target, s, STRATEGY_SYMLINK, 0);
done:
	free(old);
	free(target);
}

static void
do_special(struct mirror *m, const struct level *lv, const char *sname,
    const char *dname, const struct stat *s, const struct stat *d,
    const char *rel)
{
	struct stat n;
	char tmp[64], t = type_char(s->st_mode);
	unsigned flags;
	int r;

	if (t == 'D')
		m->st.devices++;
	else
		m->st.specials++;
	if (d != NULL && (d->st_mode & S_IFMT) == (s->st_mode & S_IFMT) &&
	    (t != 'D' || d->st_rdev == s->st_rdev)) {
		flags = attr_diff(m, s, lv->sfd, sname, d, lv->dfd, dname);
		item(m, rel, '.', t, flags, NULL, s, STRATEGY_NONE, 0);
		fix_attrs(m, lv, sname, dname, s, flags);
		if (m->o.records && walk_stat(lv->dfd, dname, false, &n) == 0)
			emit_record(m, lv, dname, s, &n, STRATEGY_MKNOD, NULL,
			    -1, NULL, false, true, false);
		return;
	}
	flags = d == NULL ? MI_NEW : MI_CHECKSUM;
	if (d == NULL && m->o.nrefs > 0 &&
	    ref_other(m, lv, sname, dname, s, NULL, rel, &flags))
		return;
	if (d == NULL)
		m->st.created++;
	if (!m->o.dry_run) {
		tmp_name(m, tmp, sizeof(tmp));
		touch(lv);
		r = S_ISFIFO(s->st_mode) ? mkfifoat(lv->dfd, tmp, 0600) :
		    mknodat(lv->dfd, tmp, (s->st_mode & S_IFMT) | 0600,
		    s->st_rdev);
		if (r == -1) {
			report(m, ME_CREATE, errno, lv->dpath, dname);
			return;
		}
		if (finish_new(m, lv, tmp, sname, dname, s,
		    STRATEGY_MKNOD) == -1)
			return;
	}
	item(m, rel, 'c', t, flags, NULL, s, STRATEGY_MKNOD, 0);
}

/*
 * Several threads.  A regular file (but a member of a -H group) is queued
 * with others of its directory, and a worker handles it as the walking
 * thread would: stat the destination, compare, write.  Every thread puts
 * what it reports (items, problems, records) into a batch instead, and
 * the walking thread hands the batches over in the order they were
 * queued, so the caller sees them in walk order.  A directory's attributes
 * are set when its turn comes in that order: after its files are done.
 */
enum out_kind { OUT_ITEM, OUT_EVENT, OUT_RECORD, OUT_HERE };

/* What a thread reported, with copies of what it pointed to. */
struct out {
	enum out_kind	 kind;
	union {
		struct mirror_item it;
		struct mirror_event ev;
		struct record	 rec;
		size_t		 file;	/* OUT_HERE: for the walking thread */
	} u;
	/* What the pointers point to, set again when handed over (the
	 * batch's array moves as it grows). */
	struct stat	 st;
	struct stat	 dst;
	unsigned char	 hash[HASH_LEN];
	bool		 has_st;
	bool		 has_dst;
	bool		 has_hash;
	char		*str[3];
};

/* A queued regular file; its names are in the batch's strs. */
struct qfile {
	const struct level *lv;
	size_t		 sname;
	size_t		 dname;
	struct stat	 s;
	struct mirror_known k;
	bool		 has_k;
	bool		 present;
	bool		 lazy;		/* s is to be read first */
	bool		 here;		/* for the walking thread (-H) */
};

/* A directory whose attributes are set once its entries are done. */
struct dir_fin {
	const struct level *up;		/* where it is */
	struct level	 sub;		/* itself; its paths are owned */
	char		*sname;
	char		*dname;
	char		*rel;
	struct stat	 s;
	struct stat	 d;		/* as it was found, when have_d */
	unsigned	 flags;
	bool		 made;
	bool		 have_d;
	bool		 attrs;		/* set them: it was not given up */
};

/*
 * A job: files of one directory (job.run set), what the walking thread
 * reported, or a directory to finish.
 */
struct batch {
	struct pool_job	 job;
	struct qfile	*f;
	size_t		 nf;
	size_t		 falloc;
	char		*strs;
	size_t		 slen;
	size_t		 salloc;
	struct out	*v;
	size_t		 nv;
	size_t		 alloc;
	struct dir_fin	*dir;
	struct ahead	*ahead;		/* a directory to list ahead */
	struct mirror_stats st;		/* what a worker counted */
	bool		 failed;	/* a worker had a problem */
};

/*
 * Files of one directory per job, up to CHUNK of them, so that threads
 * do not queue for one directory's lock or, on XFS, one allocation
 * group's buffers; at most FILES_QUEUED files wait.
 */
#define CHUNK		128
#define FILES_QUEUED	1024
#define OUTS_MAX	256	/* in a batch of the walking thread's */

static void	dir_done(struct mirror *, struct dir_fin *);
static bool	left_out(struct mirror *, const struct level *, const char *,
		    const struct stat *);
static void	stats_add(struct mirror_stats *, struct mirror_stats *);
static bool	handle(struct mirror *, const struct level *, const char *,
		    const char *, const struct stat *, bool, bool,
		    const struct mirror_known *, bool);
static void	keep_settled(struct mirror *, const struct level *,
		    const char *, const char *, const struct stat *,
		    const struct mirror_known *);

static struct out *
out_new(struct mirror *m)
{
	struct batch *b;
	struct out *v;
	size_t n;

	/* The files gathered go before what the walking thread says now. */
	if (m->main == NULL && m->pool->chunk != NULL) {
		b = m->pool->chunk;
		m->pool->chunk = NULL;
		push_batch(m, b);
	}
	/* A long run of the walking thread's own goes out in parts. */
	if (m->main == NULL && m->batch != NULL && m->batch->nv >= OUTS_MAX) {
		b = m->batch;
		m->batch = NULL;
		push_batch(m, b);
	}
	if (m->batch == NULL && (m->batch = calloc(1, sizeof(*m->batch))) ==
	    NULL)
		return NULL;
	b = m->batch;
	if (b->nv == b->alloc) {
		n = b->alloc ? 2 * b->alloc : 4;
		if ((v = reallocarray(b->v, n, sizeof(*v))) == NULL)
			return NULL;
		b->v = v;
		b->alloc = n;
	}
	v = &b->v[b->nv++];
	memset(v, 0, sizeof(*v));
	v->u.rec.data_fd = -1;
	return v;
}

static const char *
keep(struct out *o, int i, const char *s)
{
	return s == NULL ? NULL : (o->str[i] = strdup(s));
}

/* The ops of a thread that reports into batches.  Out of memory, a line
 * is lost, not the count of problems. */
static void
cap_item(void *arg, const struct mirror_item *it)
{
	struct out *o;

	if ((o = out_new(arg)) == NULL)
		return;
	o->kind = OUT_ITEM;
	o->u.it = *it;
	o->u.it.path = keep(o, 0, it->path);
	o->u.it.link = keep(o, 1, it->link);
	if ((o->has_st = it->st != NULL))
		o->st = *it->st;
}

static void
cap_report(void *arg, const struct mirror_event *ev)
{
	struct out *o;

	if ((o = out_new(arg)) == NULL)
		return;
	o->kind = OUT_EVENT;
	o->u.ev = *ev;
	o->u.ev.path = keep(o, 0, ev->path);
}

static void
cap_record(void *arg, const struct record *rec)
{
	struct out *o;

	if ((o = out_new(arg)) == NULL)
		return;
	o->kind = OUT_RECORD;
	o->u.rec = *rec;
	o->u.rec.dst = keep(o, 0, rec->dst);
	o->u.rec.src = o->u.rec.dst;
	o->u.rec.first = keep(o, 1, rec->first);
	o->u.rec.link_text = keep(o, 2, rec->link_text);
	o->u.rec.backup = o->u.rec.target = NULL;
	if ((o->has_st = rec->st != NULL))
		o->st = *rec->st;
	if ((o->has_dst = rec->dst_st != NULL))
		o->dst = *rec->dst_st;
	if ((o->has_hash = rec->hash != NULL))
		memcpy(o->hash, rec->hash, HASH_LEN);
	/* The file is closed when it is done: keep a descriptor. */
	o->u.rec.data_fd = rec->data_fd == -1 ? -1 : fcntl(rec->data_fd,
	    F_DUPFD_CLOEXEC, 0);
}

static bool
cap_stored_hash(void *arg, const char *path, const struct stat *st,
    unsigned char *out)
{
	struct mirror *m = arg;

	/* Only the walking thread asks (see pool_start). */
	return m->out.stored_hash != NULL &&
	    m->out.stored_hash(m->out.arg, path, st, out);
}

static void
ahead_release(struct ahead *a)
{
	if (a == NULL || atomic_fetch_sub(&a->refs, 1) != 1)
		return;
	if (a->fd >= 0)
		close(a->fd);
	if (a->listed)
		walk_list_free(&a->list);
	free(a);
}

/* Open and list a's directory, unless somebody else does. */
static bool
ahead_do(struct ahead *a)
{
	int want = AHEAD_QUEUED;

	if (!atomic_compare_exchange_strong(&a->state, &want, AHEAD_TAKEN))
		return false;
	a->fd = openat(a->parent, a->name, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC);
	if (a->fd != -1)
		a->listed = walk_list(a->fd, &a->list) == 0;
	atomic_store(&a->state, AHEAD_DONE);
	return true;
}

static void
ahead_job(struct pool_job *job, void *ctx)
{
	(void)ctx;
	(void)ahead_do(((struct batch *)job)->ahead);
}

/*
 * The walking thread's turn for a: true when it was done ahead (wait for
 * a worker that is at it), false when it is for the caller to do.
 */
static bool
ahead_ready(struct ahead *a)
{
	int want = AHEAD_QUEUED;

	a->turn = true;
	if (atomic_compare_exchange_strong(&a->state, &want, AHEAD_TAKEN))
		return false;
	while (atomic_load(&a->state) != AHEAD_DONE)
		sched_yield();
	return true;
}

static void
batch_free(struct batch *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->nv; i++) {
		free(b->v[i].str[0]);
		free(b->v[i].str[1]);
		free(b->v[i].str[2]);
		if (b->v[i].kind == OUT_RECORD && b->v[i].u.rec.data_fd != -1)
			close(b->v[i].u.rec.data_fd);
	}
	ahead_release(b->ahead);
	free(b->strs);
	free(b->f);
	free(b->v);
	free(b);
}

/* Hand a batch over; the walking thread does what a worker left it. */
static void
replay(struct mirror *m, struct batch *b)
{
	struct mirror_ops saved = m->ops;
	struct qfile *f;
	struct out *o;
	size_t i;

	m->ops = m->out;
	m->direct = true;
	stats_add(&m->st, &b->st);
	if (b->failed)
		m->failed = true;
	for (i = 0; i < b->nv; i++) {
		o = &b->v[i];
		switch (o->kind) {
		case OUT_ITEM:
			o->u.it.st = o->has_st ? &o->st : NULL;
			m->out.item(m->out.arg, &o->u.it);
			break;
		case OUT_EVENT:
			/* The walking thread's own were counted. */
			if (b->job.run != NULL && counts(o->u.ev.kind))
				m->failed = true;
			m->out.report(m->out.arg, &o->u.ev);
			break;
		case OUT_RECORD:
			o->u.rec.st = o->has_st ? &o->st : NULL;
			o->u.rec.dst_st = o->has_dst ? &o->dst : NULL;
			o->u.rec.hash = o->has_hash ? o->hash : NULL;
			if (m->out.record != NULL)
				m->out.record(m->out.arg, &o->u.rec);
			break;
		case OUT_HERE:
			f = &b->f[o->u.file];
			if (f->lazy && left_out(m, f->lv, b->strs + f->sname,
			    &f->s))
				break;
			(void)handle(m, f->lv, b->strs + f->sname,
			    b->strs + f->dname, &f->s, f->present, false,
			    f->has_k ? &f->k : NULL, false);
			break;
		}
	}
	if (b->dir != NULL) {
		dir_done(m, b->dir);
		b->dir = NULL;
	}
	m->direct = false;
	m->ops = saved;
}

static void
drain_one(struct mirror *m)
{
	struct batch *b;

	if ((b = (struct batch *)pool_pop(&m->pool->pool)) == NULL)
		return;
	m->pool->files -= b->nf;
	replay(m, b);
	batch_free(b);
}

/* Queue a batch, handing over the oldest first while the pool is full. */
static void
push_batch(struct mirror *m, struct batch *b)
{
	struct mirror_pool *p = m->pool;

	while (pool_full(&p->pool) ||
	    (b->nf > 0 && p->files > p->files_max - b->nf))
		drain_one(m);
	p->files += b->nf;
	(void)pool_push(&p->pool, &b->job);
	/* What is done already goes now: less to hold. */
	while (pool_ready(&p->pool))
		drain_one(m);
}

/* Queue what the walking thread has kept: files gathered, or lines. */
static void
flush(struct mirror *m)
{
	struct batch *b;

	if ((b = m->pool->chunk) != NULL) {
		m->pool->chunk = NULL;
		push_batch(m, b);
	}
	if ((b = m->batch) != NULL) {
		m->batch = NULL;
		push_batch(m, b);
	}
}

/* Wait for every job queued and hand everything over. */
static void
drain_all(struct mirror *m)
{
	if (m->pool == NULL)
		return;
	flush(m);
	while (!pool_empty(&m->pool->pool))
		drain_one(m);
}

/*
 * The stat of a regular file listed but not yet looked at: false when it
 * is gone (reported).  Should it no longer be a regular file, the
 * walking thread gets it: handle will not take it.
 */
static bool
lazy_stat(struct mirror *m, const struct level *lv, const char *sname,
    struct stat *s)
{
	if (walk_stat(lv->sfd, sname, false, s) == 0)
		return true;
	report(m, errno == ENOENT ? ME_VANISHED : ME_STAT, errno, lv->spath,
	    sname);
	return false;
}

/* The files of a batch, on a worker (ctx: its copy of the mirror). */
static void
file_job(struct pool_job *job, void *ctx)
{
	struct batch *b = (struct batch *)job;
	struct mirror *w = ctx;
	const struct mirror_known *k;
	struct qfile *f;
	struct out *o;
	size_t i;
	bool quick;

	w->batch = b;
	w->failed = false;
	for (i = 0; i < b->nf && !atomic_load(&w->pool->halt); i++) {
		f = &b->f[i];
		k = f->has_k ? &f->k : NULL;
		if (f->lazy && !lazy_stat(w, f->lv, b->strs + f->sname,
		    &f->s))
			continue;
		/* -H groups are followed in walk order, by the walker. */
		if (f->here || !S_ISREG(f->s.st_mode) ||
		    (w->o.hard_links && f->s.st_nlink > 1))
			goto here;
		quick = settled_by(w, &f->s, k);
		if (quick && f->present && f->lv->listed) {
			keep_settled(w, f->lv, b->strs + f->sname,
			    b->strs + f->dname, &f->s, k);
			goto next;
		}
		if (handle(w, f->lv, b->strs + f->sname, b->strs + f->dname,
		    &f->s, f->present, quick, k, true))
			goto next;
here:
		if ((o = out_new(w)) != NULL) {
			o->kind = OUT_HERE;
			o->u.file = i;
		} else {
			w->failed = true;	/* not done, and not said */
		}
next:
		if (w->stopped)
			atomic_store(&w->pool->halt, true);
	}
	/* Counted in their turn, so that progress adds up as it goes. */
	stats_add(&b->st, &w->st);
	b->failed = w->failed;
	w->batch = NULL;
}

/*
 * Whether the pool's keys are allocation groups (XFS), found by the
 * directory fd of the destination.
 */
static bool
group_keys(struct mirror *m, int fd)
{
	struct mirror_pool *p = m->pool;
	struct statfs sfs;

	if (!p->shift_known) {
		p->shift = probe_group_shift(fstatfs(fd, &sfs) == 0 ?
		    (long)sfs.f_type : 0, fd);
		p->shift_known = true;
	}
	return p->shift > 0 && p->shift < 64;
}

/*
 * What writing in the directory lv->dfd locks, for the pool to keep the
 * threads apart: on XFS its allocation group, else the directory itself
 * (its level, alive until its last job is done).
 */
static uintptr_t
chunk_key(struct mirror *m, const struct level *lv)
{
	if (group_keys(m, lv->dfd))
		return (uintptr_t)(lv->dino >> m->pool->shift) + 1;
	return (uintptr_t)lv;
}

/*
 * Queue the regular file sname (dname in the destination) of lv for a
 * worker.  Returns 0, or -1 (out of memory) when it must be done here.
 */
static int
defer_file(struct mirror *m, const struct level *lv, const char *sname,
    const char *dname, const struct stat *s, bool present,
    const struct mirror_known *k, bool lazy, bool here)
{
	struct mirror_pool *p = m->pool;
	struct batch *b = p->chunk;
	struct qfile *f;
	size_t want, sl = strlen(sname) + 1, dl = strlen(dname) + 1;
	char *str;

	if (b == NULL || b->nf == p->chunk_max || b->f[0].lv != lv) {
		flush(m);
		if ((b = calloc(1, sizeof(*b))) == NULL)
			return -1;
		b->job.run = file_job;
		b->job.key = chunk_key(m, lv);
		p->chunk = b;
	}
	if (b->nf == b->falloc) {
		want = b->falloc ? 4 * b->falloc : 16;
		if (want > p->chunk_max)
			want = p->chunk_max;
		if ((f = reallocarray(b->f, want, sizeof(*f))) == NULL)
			goto nomem;
		b->f = f;
		b->falloc = want;
	}
	if (b->salloc - b->slen < sl + dl) {
		want = b->salloc ? 2 * b->salloc : 4096;
		while (want - b->slen < sl + dl)
			want *= 2;
		if ((str = realloc(b->strs, want)) == NULL)
			goto nomem;
		b->strs = str;
		b->salloc = want;
	}
	f = &b->f[b->nf++];
	f->lv = lv;
	f->s = *s;
	f->present = present;
	if ((f->has_k = k != NULL))
		f->k = *k;
	f->lazy = lazy;
	f->here = here;
	f->sname = b->slen;
	/* sl > 0, so strs was allocated just above. */
	/* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker) */
	memcpy(b->strs + b->slen, sname, sl);
	f->dname = b->slen + sl;
	memcpy(b->strs + b->slen + sl, dname, dl);
	b->slen += sl + dl;
	return 0;
nomem:
	/* An empty chunk would be taken for another directory's. */
	if (b->nf == 0) {
		p->chunk = NULL;
		batch_free(b);
	}
	return -1;
}

/* Finish a directory now, or in its turn when the pool runs. */
static void
finish_dir(struct mirror *m, struct dir_fin *f)
{
	struct batch *b;

	if (m->pool == NULL || m->direct || m->main != NULL ||
	    (b = calloc(1, sizeof(*b))) == NULL) {
		if (m->pool != NULL && !m->direct && m->main == NULL)
			drain_all(m);
		dir_done(m, f);
		return;
	}
	flush(m);
	b->dir = f;
	push_batch(m, b);
}

static void
stats_add(struct mirror_stats *to, struct mirror_stats *from)
{
	to->files += from->files;
	to->regular += from->regular;
	to->dirs += from->dirs;
	to->symlinks += from->symlinks;
	to->devices += from->devices;
	to->specials += from->specials;
	to->created += from->created;
	to->created_reg += from->created_reg;
	to->created_dir += from->created_dir;
	to->created_link += from->created_link;
	to->deleted += from->deleted;
	to->transferred += from->transferred;
	to->total_size += from->total_size;
	to->transferred_size += from->transferred_size;
	to->copied += from->copied;
	to->shared += from->shared;
	to->skipped_deletes += from->skipped_deletes;
	memset(from, 0, sizeof(*from));
}

/* The end of a run: everything handed over, the workers' counts added. */
static void
pool_settle(struct mirror *m)
{
	if (m->pool == NULL)
		return;
	drain_all(m);
	if (atomic_load(&m->pool->halt))
		m->stopped = true;
}

/*
 * Start the threads, o.data.jobs in all (0: one per CPU) with the walking
 * one, unless one is enough: a dry run, or -c against stored hashes that
 * are looked up in walk order.  Without them, all is done on one thread.
 */
static void
pool_start(struct mirror *m)
{
	struct mirror_pool *p;
	struct mirror *c;
	struct rlimit rl;
	unsigned jobs = m->o.data.jobs ? m->o.data.jobs : pool_cpus(), i;
	size_t depth = 256, fds = 4096;

	if (m->pool != NULL || jobs < 2 || m->o.dry_run ||
	    (m->o.checksum && m->ops.stored_hash != NULL))
		return;
	/* Each directory in the queue holds its fds, and each record one. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		fds = rl.rlim_cur;
	if (depth > fds / (4 * (m->o.nrefs + 2)))
		depth = fds / (4 * (m->o.nrefs + 2));
	if (depth < 16)
		return;
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->copies = calloc(jobs, sizeof(*p->copies))) == NULL ||
	    (p->ctx = calloc(jobs, sizeof(*p->ctx))) == NULL) {
		if (p != NULL)
			free(p->copies);
		free(p);
		return;
	}
	p->n = jobs;
	p->chunk_max = CHUNK;
	p->files_max = FILES_QUEUED;
	if (m->o.records && p->files_max > fds / 4)
		p->files_max = fds / 4 > CHUNK ? fds / 4 : CHUNK;
	m->out = m->ops;
	m->ops.item = cap_item;
	m->ops.report = cap_report;
	m->ops.record = m->out.record != NULL ? cap_record : NULL;
	m->ops.stored_hash = m->out.stored_hash != NULL ? cap_stored_hash :
	    NULL;
	m->ops.known = NULL;	/* asked through m->out */
	m->ops.arg = m;
	for (i = 0; i < jobs; i++) {
		c = &p->copies[i];
		*c = *m;
		memset(&c->st, 0, sizeof(c->st));
		c->ops.arg = c;
		c->main = m;
		c->pool = p;
		c->worker = i + 1;
		c->seq = 0;
		c->hbuf = NULL;
		c->batch = NULL;
		c->stopped = c->failed = false;
		probe_init(&c->probe);
		inomap_init(&c->links);
		p->ctx[i] = c;
	}
	if (pool_init(&p->pool, jobs - 1, depth, p->ctx) == -1) {
		for (i = 0; i < jobs; i++)
			probe_free(&p->copies[i].probe);
		free(p->ctx);
		free(p->copies);
		free(p);
		m->ops = m->out;
		return;
	}
	m->pool = p;
}

static void
pool_stop(struct mirror *m)
{
	struct mirror_pool *p = m->pool;
	unsigned i;

	if (p == NULL)
		return;
	drain_all(m);
	pool_free(&p->pool);
	for (i = 0; i < p->n; i++) {
		probe_free(&p->copies[i].probe);
		inomap_free(&p->copies[i].links);
		free(p->copies[i].hbuf);
	}
	free(p->ctx);
	free(p->copies);
	free(p);
	m->pool = NULL;
	m->ops = m->out;
}

static void
init_level(struct level *lv)
{
	size_t i;

	memset(lv, 0, sizeof(*lv));
	lv->sfd = lv->dfd = -1;
	for (i = 0; i < MIRROR_MAX_REFS; i++)
		lv->rfd[i] = -1;
	lv->rel = "";
}

static void
close_level(struct level *lv)
{
	size_t i;

	if (lv->sfd >= 0)
		close(lv->sfd);
	if (lv->dfd >= 0)
		close(lv->dfd);
	for (i = 0; i < MIRROR_MAX_REFS; i++)
		if (lv->rfd[i] >= 0)
			close(lv->rfd[i]);
	if (lv->has_pre)
		walk_list_free(&lv->pre);
	lv->has_pre = false;
}

static void
fin_free(struct dir_fin *f)
{
	if (f == NULL)
		return;
	close_level(&f->sub);
	free((char *)f->sub.spath);
	free((char *)f->sub.dpath);
	free(f->sname);
	free(f->dname);
	free(f->rel);
	free(f);
}

/* A directory's attributes once its entries are done (times last). */
static void
dir_done(struct mirror *m, struct dir_fin *f)
{
	const struct level *lv = f->up;
	struct meta_result res;
	struct meta_req req;
	struct stat own, n;
	unsigned flags = f->flags;
	bool dirty = atomic_load(&f->sub.dirty);

	if (f->attrs && !m->o.dry_run && lv->dfd >= 0 && !halted(m)) {
		if (f->made)
			flags = MI_TIME | MI_PERMS | MI_OWNER | MI_GROUP |
			    ((m->o.xattrs || m->o.acls) ? MI_XATTR : 0);
		/* Writing in it moved its mtime: set it again. */
		if (m->o.times && !f->made && dirty && walk_stat(lv->dfd,
		    f->dname, false, &n) == 0 && !same_time(&n, &f->s))
			flags |= MI_TIME;
		if (f->made || flags != 0) {
			meta_for(m, &f->s, &own, &req, -1);
			req.times = m->o.times && (flags & MI_TIME);
			req.owner = (m->o.owner || m->o.group) &&
			    (flags & (MI_OWNER | MI_GROUP));
			req.set_mode = f->made || (flags & MI_PERMS);
			if (meta_apply_at(lv->dfd, f->dname, false, &req,
			    &res) == -1)
				report(m, ME_META,
				    res.err[ffs((int)res.failed) - 1],
				    lv->dpath, f->dname);
			if ((flags & (MI_ACL | MI_XATTR)) &&
			    meta_sync_xattrs(lv->sfd, f->sname, lv->dfd,
			    f->dname, m->o.acls, m->o.xattrs, true) == -1)
				report(m, ME_META, errno, lv->dpath, f->dname);
		}
		/* Untouched, it is as it was found. */
		if (f->have_d && !f->made && !dirty && flags == 0)
			n = f->d;
		else if (m->o.records && walk_stat(lv->dfd, f->dname, false,
		    &n) == -1)
			goto out;
		if (m->o.records)
			emit_record(m, lv, f->dname, &f->s, &n, STRATEGY_MKDIR,
			    NULL, -1, NULL, true, !f->made, false);
	}
out:
	fin_free(f);
}

/* Close *fd, keeping what it was to come back to it through "..". */
static void
let_go(int *fd, int child, struct stat *was, bool *closed)
{
	*closed = false;
	if (*fd < 0 || child < 0 || fstat(*fd, was) == -1)
		return;
	close(*fd);
	*fd = -1;
	*closed = true;
}

/* Open again what let_go closed; on failure stop the run. */
static void
come_back(struct mirror *m, const char *path, int *fd, int child,
    const struct stat *was, bool closed)
{
	if (!closed)
		return;
	if ((*fd = walk_reopen_parent(child, was->st_dev, was->st_ino)) ==
	    -1) {
		report(m, ME_OPEN_DIR, errno, path, NULL);
		m->stopped = true;
	}
}

/*
 * Walk sub, a subdirectory of up.  Deep down, on this thread alone and
 * with up's descriptors closed meanwhile (nothing queued may use them).
 */
static void
descend(struct mirror *m, struct level *up, struct level *sub)
{
	struct mirror_pool *pool = m->pool;
	struct mirror_ops ops = m->ops;
	struct stat ws, wd, wr[MIRROR_MAX_REFS];
	bool cs, cd, cr[MIRROR_MAX_REFS] = { false };
	size_t i;

	if (sub->depth < FD_DEPTH) {
		mirror_dir(m, sub);
		return;
	}
	pool_settle(m);
	if (halted(m))
		return;
	/* Alone, what happens is told at once (see replay()). */
	if (pool != NULL)
		m->ops = m->out;
	m->pool = NULL;
	let_go(&up->sfd, sub->sfd, &ws, &cs);
	let_go(&up->dfd, sub->dfd, &wd, &cd);
	for (i = 0; i < m->o.nrefs; i++)
		let_go(&up->rfd[i], sub->rfd[i], &wr[i], &cr[i]);
	mirror_dir(m, sub);
	come_back(m, up->spath, &up->sfd, sub->sfd, &ws, cs);
	come_back(m, up->dpath, &up->dfd, sub->dfd, &wd, cd);
	for (i = 0; i < m->o.nrefs; i++)
		come_back(m, up->dpath, &up->rfd[i], sub->rfd[i], &wr[i],
		    cr[i]);
	m->pool = pool;
	m->ops = ops;
}

/*
 * A directory: its line, then its contents, then its attributes (times
 * last, once nothing more is written in it).  settled: d is the source's
 * own metadata, the destination has its attributes.
 */
static void
do_dir(struct mirror *m, const struct level *lv, const char *sname,
    const char *dname, const struct stat *s, const struct stat *d,
    const char *rel, bool premade, bool settled)
{
	struct dir_fin *f;
	struct level *sub;
	struct ahead *a;
	struct stat r, n;
	unsigned flags = 0;
	char update = '.';
	bool made = false, found = false, root;
	size_t i;

	m->st.dirs++;
	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->sname = strdup(sname)) == NULL ||
	    (f->dname = strdup(dname)) == NULL ||
	    (f->rel = strdup(rel)) == NULL) {
		report(m, ME_CREATE, ENOMEM, lv->dpath, dname);
		if (f != NULL)
			init_level(&f->sub);
		fin_free(f);
		return;
	}
	sub = &f->sub;
	init_level(sub);
	sub->depth = lv->depth + 1;
	f->up = lv;
	f->s = *s;
	if (d != NULL) {
		f->d = *d;
		f->have_d = true;
		if (!settled)
			flags = attr_diff(m, s, lv->sfd, sname, d, lv->dfd,
			    dname);
	} else {
		update = 'c';
		/*
		 * Beside a reference tree, rsync compares with its copy
		 * (for the columns of -i alone: a new one gets them all).
		 */
		for (i = 0; i < m->o.nrefs && !found && !m->o.quiet_items;
		    i++)
			if (lv->rfd[i] >= 0 && walk_stat(lv->rfd[i], dname,
			    false, &r) == 0 && S_ISDIR(r.st_mode)) {
				flags = attr_diff(m, s, lv->sfd, sname, &r,
				    lv->rfd[i], dname);
				found = true;
			}
		if (!found)
			flags = MI_NEW;
		m->st.created++;
		m->st.created_dir++;
		if (premade) {
			made = true;
		} else if (!m->o.dry_run && lv->dfd >= 0) {
			touch(lv);
			if (mkdirat(lv->dfd, dname, 0700) == -1) {
				report(m, ME_CREATE, errno, lv->dpath, dname);
				fin_free(f);
				return;
			}
			made = true;
		}
	}
	f->made = made;
	f->flags = flags;
	item(m, rel, update, 'd', flags, NULL, s, STRATEGY_MKDIR, 0);
	if (d != NULL && !made)
		n = *d;
	if (m->o.records && lv->dfd >= 0 && ((d != NULL && !made) ||
	    walk_stat(lv->dfd, dname, false, &n) == 0))
		emit_record(m, lv, dname, s, &n, STRATEGY_MKDIR, NULL, -1,
		    NULL, false, !made, false);
	/* The root is "./" itself but "" to its entries. */
	root = strcmp(rel, "./") == 0;
	sub->rel = root ? "" : f->rel;
	sub->spath = root ? strdup(lv->spath) : walk_join(lv->spath, sname);
	sub->dpath = root ? strdup(lv->dpath) : walk_join(lv->dpath, dname);
	sub->fresh = made || d == NULL;
	/*
	 * Settled, a directory has the names it had when the destination
	 * (or the tree it is a snapshot of) took them: making, removing or
	 * renaming one moves the ctime.  A filter may have changed since.
	 */
	sub->same_names = settled && d != NULL && !made && m->o.filter == NULL;
	if (sub->spath == NULL || sub->dpath == NULL) {
		report(m, ME_CREATE, ENOMEM, lv->dpath, dname);
		goto out;
	}
	if (m->o.one_file_system && s->st_dev != m->sdev) {
		report(m, ME_OTHER_FS, 0, lv->spath, sname);
		goto attrs;
	}
	/*
	 * Everything this run writes is below the destination root: met in
	 * the source, it is not walked, or the copy would copy itself.
	 */
	if (lv->depth > 0 && m->dtop_known && s->st_dev == m->dtop.st_dev &&
	    s->st_ino == m->dtop.st_ino) {
		report(m, ME_DEST_INSIDE, 0, lv->spath, sname);
		goto attrs;
	}
	/* Opened and listed by a worker: taken over (failed: again here). */
	if ((a = lv->next) != NULL && strcmp(a->name, sname) == 0 &&
	    ahead_ready(a) && a->fd != -1) {
		sub->sfd = a->fd;
		a->fd = -1;
		if (a->listed) {
			sub->pre = a->list;
			sub->has_pre = true;
			a->listed = false;
		}
	} else {
		sub->sfd = openat(lv->sfd, sname, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
	}
	if (sub->sfd == -1) {
		report(m, errno == ENOENT ? ME_VANISHED : ME_OPEN_DIR, errno,
		    lv->spath, sname);
		goto attrs;
	}
	if (lv->dfd >= 0 && (made || d != NULL)) {
		sub->dfd = openat(lv->dfd, dname, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (sub->dfd == -1 && !(m->o.dry_run && made == false &&
		    d == NULL)) {
			report(m, ME_CREATE, errno, lv->dpath, dname);
			goto out;
		}
		if (sub->dfd >= 0 && m->pool != NULL &&
		    group_keys(m, sub->dfd) && fstat(sub->dfd, &n) == 0)
			sub->dino = n.st_ino;
		if (sub->dfd >= 0 && lv->depth == 0)
			m->dtop_known = fstat(sub->dfd, &m->dtop) == 0;
	}
	for (i = 0; i < m->o.nrefs; i++)
		if (lv->rfd[i] >= 0)
			sub->rfd[i] = openat(lv->rfd[i], dname, O_RDONLY |
			    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	/* lv is the caller's level, const to what it calls but its own. */
	descend(m, (struct level *)lv, sub);
attrs:
	f->attrs = true;
out:
	finish_dir(m, f);
}

/*
 * One source entry against what the destination has under dname.  A
 * worker (worker set) leaves it to the walking thread, returning false,
 * when a directory is in the way.
 */
static bool
handle(struct mirror *m, const struct level *lv, const char *sname,
    const char *dname, const struct stat *s, bool present, bool settled,
    const struct mirror_known *k, bool worker)
{
	struct stat d, *dp = NULL;
	char *rel;
	bool dir = S_ISDIR(s->st_mode);

	if (present && lv->listed && settled && dir) {
		/* As the source has it, but for the inode. */
		d = *s;
		d.st_dev = 0;
		d.st_ino = 0;
		dp = &d;
	} else if (present && lv->dfd >= 0 &&
	    walk_stat(lv->dfd, dname, false, &d) == 0) {
		dp = &d;
	}
	/* Another type in the way: it goes first. */
	if (dp != NULL && (dp->st_mode & S_IFMT) != (s->st_mode & S_IFMT) &&
	    !(S_ISCHR(s->st_mode) && S_ISBLK(dp->st_mode)) &&
	    !(S_ISBLK(s->st_mode) && S_ISCHR(dp->st_mode))) {
		if (S_ISDIR(dp->st_mode) || dir) {
			if (worker)
				return false;
			if (delete_entry(m, lv, dname, S_ISDIR(dp->st_mode),
			    true) == -1)
				return true;
			dp = NULL;
		}
	}
	if ((rel = relpath(lv, sname, dir)) == NULL) {
		report(m, ME_CREATE, ENOMEM, lv->dpath, dname);
		return true;
	}
	if (dir)
		do_dir(m, lv, sname, dname, s, dp, rel, false,
		    settled && dp != NULL);
	else if (S_ISREG(s->st_mode))
		do_file(m, lv, sname, dname, s,
		    dp != NULL && S_ISREG(dp->st_mode) ? dp : NULL, rel,
		    settled, k);
	else if (S_ISLNK(s->st_mode))
		do_symlink(m, lv, sname, dname, s, dp, rel);
	else
		do_special(m, lv, sname, dname, s, dp, rel);
	free(rel);
	return true;
}

/*
 * What the caller knows the destination (or the first reference) holds
 * for the regular file or directory dname of lv, into k.
 */
static bool
lookup_known(struct mirror *m, const struct level *lv, const char *dname,
    const struct stat *s, struct mirror_known *k)
{
	const struct mirror_ops *ops = m->pool != NULL ? &m->out : &m->ops;
	char *rel;
	bool ok;

	if (ops->known == NULL || m->direct || lv->dfd < 0 ||
	    (!S_ISREG(s->st_mode) && !S_ISDIR(s->st_mode)) ||
	    (rel = relpath(lv, dname, false)) == NULL)
		return false;
	ok = ops->known(ops->arg, rel, k);
	free(rel);
	return ok;
}

/* A settled file that the destination has: nothing to do but say so. */
static void
keep_settled(struct mirror *m, const struct level *lv, const char *sname,
    const char *dname, const struct stat *s, const struct mirror_known *k)
{
	struct stat d = *s;
	char *rel;

	m->st.regular++;
	m->st.total_size += (uint64_t)s->st_size;
	/* An unchanged entry has an item only when all are shown. */
	if (m->o.all_items) {
		if ((rel = relpath(lv, sname, false)) == NULL) {
			report(m, ME_CREATE, ENOMEM, lv->dpath, dname);
			return;
		}
		item(m, rel, '.', 'f', 0, NULL, s, STRATEGY_NONE, 0);
		free(rel);
	}
	/* The source's metadata, with no inode to group links by. */
	d.st_nlink = 1;
	d.st_dev = 0;
	d.st_ino = 0;
	emit_record(m, lv, dname, s, &d, STRATEGY_SKIP, known_data(k, &d), -1,
	    NULL, false, true, true);
}

/* Whether the options leave the entry out (said so when they do). */
static bool
skipped(struct mirror *m, const struct level *lv, const char *sname,
    const struct stat *s)
{
	if (S_ISDIR(s->st_mode) && !m->o.recursive) {
		report(m, ME_SKIP_DIR, 0, lv->spath, sname);
		return true;
	}
	if ((S_ISLNK(s->st_mode) && !m->o.links) ||
	    ((S_ISCHR(s->st_mode) || S_ISBLK(s->st_mode)) && !m->o.devices) ||
	    ((S_ISFIFO(s->st_mode) || S_ISSOCK(s->st_mode)) &&
	    !m->o.specials)) {
		report(m, ME_SKIP_SPECIAL, 0, lv->spath, sname);
		return true;
	}
	return false;
}

/*
 * Whether a file listed as regular that turned out not to be (it was
 * replaced in the meantime) is left out, by the options or the filter.
 */
static bool
left_out(struct mirror *m, const struct level *lv, const char *sname,
    const struct stat *s)
{
	char *rel;
	bool out = false;

	if (S_ISREG(s->st_mode))
		return false;
	if (skipped(m, lv, sname, s))
		return true;
	if (m->o.filter != NULL && (rel = relpath(lv, sname, false)) != NULL) {
		out = filter_check(m->o.filter, rel, S_ISDIR(s->st_mode)) ==
		    FILTER_EXCLUDE;
		free(rel);
	}
	return out;
}

/*
 * One source entry: skipped as the options say, queued for a worker (a
 * regular file), or handled now.  lazy: a regular file by its directory
 * entry, s not read yet.  With workers, the members of -H groups are
 * handled in walk order when the walking thread hands the queue over.
 */
static void
do_entry(struct mirror *m, const struct level *lv, const char *sname,
    const char *dname, struct stat *s, bool present, bool lazy)
{
	struct mirror_known known, *k = NULL;
	bool quick;

	if (skipped(m, lv, sname, s))
		return;
	m->st.files++;
	if (lookup_known(m, lv, dname, s, &known))
		k = &known;
	if (m->pool != NULL && !m->direct && S_ISREG(s->st_mode) &&
	    lv->dfd >= 0 && defer_file(m, lv, sname, dname, s, present, k,
	    lazy, m->o.hard_links && s->st_nlink > 1) == 0)
		return;
	if (lazy && !lazy_stat(m, lv, sname, s))
		return;
	quick = settled_by(m, s, k);
	if (quick && present && lv->listed && S_ISREG(s->st_mode)) {
		keep_settled(m, lv, sname, dname, s, k);
		return;
	}
	(void)handle(m, lv, sname, dname, s, present, quick, k, false);
}

/* Whether the source entry named like a destination entry protects it. */
static bool
keep_dest(struct mirror *m, const struct level *lv, const char *name,
    bool *dir)
{
	struct stat st;
	char *rel;
	bool kept = false;

	if (walk_stat(lv->dfd, name, false, &st) == -1)
		return true;
	*dir = S_ISDIR(st.st_mode);
	if (m->o.filter != NULL && !m->o.delete_excluded &&
	    (rel = relpath(lv, name, false)) != NULL) {
		kept = filter_check(m->o.filter, rel, *dir) == FILTER_EXCLUDE;
		free(rel);
	}
	return kept;
}

/* Subdirectories listed ahead, at most, in each directory of the walk. */
#define AHEAD_MAX	8

/*
 * Queue for a worker the listing of lv's next subdirectories, from
 * v[*qi], while fewer than AHEAD_MAX (*queued) wait for their turn.
 */
static void
ahead_queue(struct mirror *m, const struct level *lv, struct ent *v,
    size_t n, size_t *qi, unsigned *queued)
{
	struct ahead *a;
	struct batch *b;
	struct ent *e;

	for (; *qi < n && *queued < AHEAD_MAX; (*qi)++) {
		e = &v[*qi];
		if (!e->ok || e->excluded || !S_ISDIR(e->st.st_mode) ||
		    (m->o.one_file_system && e->st.st_dev != m->sdev))
			continue;
		if ((a = calloc(1, sizeof(*a))) == NULL)
			return;
		if ((b = calloc(1, sizeof(*b))) == NULL) {
			free(a);
			return;
		}
		a->fd = -1;
		a->parent = lv->sfd;
		a->name = e->name;
		atomic_init(&a->state, AHEAD_QUEUED);
		atomic_init(&a->refs, 2);
		b->job.run = ahead_job;
		b->ahead = a;
		e->ahead = a;
		(*queued)++;
		push_batch(m, b);
	}
}

/* The walk is past e: its listing ahead is given up if still unused. */
static void
ahead_end(struct ent *e, unsigned *queued)
{
	if (e->ahead == NULL)
		return;
	if (!e->ahead->turn)
		(void)ahead_ready(e->ahead);
	ahead_release(e->ahead);
	e->ahead = NULL;
	(*queued)--;
}

static void
mirror_dir(struct mirror *m, struct level *lv)
{
	struct walk_dir sl, dl;
	struct ent *v = NULL;
	size_t i, j, qi = 0;
	unsigned queued = 0;
	char *rel;
	bool dir, lazy, ahead;
	int c = 1;

	if (lv->has_pre) {
		sl = lv->pre;
		lv->has_pre = false;
	} else if (walk_list(lv->sfd, &sl) == -1) {
		report(m, ME_OPEN_DIR, errno, lv->spath, NULL);
		return;
	}
	memset(&dl, 0, sizeof(dl));
	if (sl.n > 0 && (v = calloc(sl.n, sizeof(*v))) == NULL) {
		report(m, ME_OPEN_DIR, ENOMEM, lv->spath, NULL);
		walk_list_free(&sl);
		return;
	}
	/* With workers, a regular file is read there. */
	lazy = m->pool != NULL && !m->direct && lv->dfd >= 0;
	for (i = 0; i < sl.n; i++) {
		v[i].name = sl.names[i];
		if (lazy && walk_type(&sl, i) == DT_REG) {
			v[i].st.st_mode = S_IFREG;
			v[i].lazy = v[i].ok = true;
		} else if (walk_stat(lv->sfd, v[i].name, false,
		    &v[i].st) == -1) {
			report(m, errno == ENOENT ? ME_VANISHED : ME_STAT,
			    errno, lv->spath, v[i].name);
			continue;
		}
		v[i].ok = true;
		if (m->o.filter != NULL &&
		    (rel = relpath(lv, v[i].name, false)) != NULL) {
			v[i].excluded = filter_check(m->o.filter, rel,
			    S_ISDIR(v[i].st.st_mode)) == FILTER_EXCLUDE;
			free(rel);
		}
	}
	/* With workers, the subdirectories are listed ahead of the walk. */
	ahead = m->pool != NULL && !m->direct && m->main == NULL &&
	    m->o.recursive;
	if (ahead)
		ahead_queue(m, lv, v, sl.n, &qi, &queued);
	/*
	 * Deletions first, as rsync's --delete-during does.  Listed, a name
	 * is there or not; else it may be.
	 */
	if (lv->dfd >= 0 && !lv->fresh && lv->same_names) {
		lv->listed = true;
	} else if (lv->dfd >= 0 && !lv->fresh) {
		if (walk_list(lv->dfd, &dl) == 0)
			lv->listed = true;
		else
			report(m, ME_OPEN_DIR, errno, lv->dpath, NULL);
	}
	for (i = j = 0; j < dl.n && !halted(m); j++) {
		while (i < sl.n && (c = strcmp(v[i].name, dl.names[j])) < 0)
			i++;
		if (i < sl.n && c == 0 && (!v[i].ok || !v[i].excluded ||
		    !m->o.delete_excluded))
			continue;
		if (our_tmp(dl.names[j]) && !m->o.dry_run) {
			touch(lv);
			unlinkat(lv->dfd, dl.names[j], 0);
			continue;
		}
		if (!m->o.delete || keep_dest(m, lv, dl.names[j], &dir))
			continue;
		delete_entry(m, lv, dl.names[j], dir, false);
	}
	for (i = j = 0; i < sl.n && !halted(m); i++) {
		if (ahead)
			ahead_queue(m, lv, v, sl.n, &qi, &queued);
		if (!v[i].ok || v[i].excluded)
			continue;
		while (j < dl.n && strcmp(dl.names[j], v[i].name) < 0)
			j++;
		lv->next = v[i].ahead;
		do_entry(m, lv, v[i].name, v[i].name, &v[i].st,
		    lv->fresh ? false : lv->same_names ? true :
		    lv->listed ? j < dl.n &&
		    strcmp(dl.names[j], v[i].name) == 0 : lv->dfd >= 0,
		    v[i].lazy);
		lv->next = NULL;
		ahead_end(&v[i], &queued);
	}
	/* Stopped early: what was queued goes. */
	for (i = 0; i < sl.n && queued > 0; i++)
		ahead_end(&v[i], &queued);
	free(v);
	walk_list_free(&sl);
	walk_list_free(&dl);
}

struct mirror *
mirror_new(const struct mirror_opts *o, const struct mirror_ops *ops)
{
	struct mirror *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->o = *o;
	m->ops = *ops;
	m->clone_only = o->data;
	m->clone_only.reflink = REFLINK_ALWAYS;
	probe_init(&m->probe);
	inomap_init(&m->links);
	m->umask = umask(022);
	umask(m->umask);
	m->privileged = geteuid() == 0;
	m->droot = -1;
	return m;
}

void
mirror_free(struct mirror *m)
{
	if (m == NULL)
		return;
	pool_stop(m);
	probe_free(&m->probe);
	inomap_free(&m->links);
	if (m->droot >= 0)
		close(m->droot);
	free(m->hbuf);
	free(m);
}

const struct mirror_stats *
mirror_stats(const struct mirror *m)
{
	return &m->st;
}

bool
mirror_stopped(const struct mirror *m)
{
	return m->stopped;
}

/* Open the reference trees, relative ones from the destination dfd. */
static void
open_refs(struct mirror *m, struct level *lv, int dfd, const char *dst)
{
	size_t i;

	for (i = 0; i < MIRROR_MAX_REFS; i++)
		lv->rfd[i] = -1;
	for (i = 0; i < m->o.nrefs; i++) {
		lv->rfd[i] = openat(dfd, m->o.refs[i], O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC);
		if (lv->rfd[i] == -1)
			report(m, ME_REF, errno, dst, m->o.refs[i]);
	}
}

/* Split path into its directory and last component (malloc'd). */
static int
split(const char *path, char **dir, char **base)
{
	char *p, *slash;
	size_t n;

	if ((p = strdup(path)) == NULL)
		return -1;
	n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	if ((slash = strrchr(p, '/')) == NULL) {
		*base = p;
		p = NULL;
		*dir = strdup(".");
	} else {
		*base = strdup(slash + 1);
		if (slash == p)
			slash++;
		*slash = '\0';
		*dir = p;
		p = NULL;
	}
	free(p);
	if (*dir == NULL || *base == NULL) {
		free(*dir);
		free(*base);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* Open the directory dst, making it (not its parents) when missing. */
static int
open_dst(struct mirror *m, const char *dst, bool *made)
{
	int fd;

	*made = false;
	fd = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 || errno != ENOENT)
		return fd;
	if (m->o.dry_run)
		return -2;
	if (mkdir(dst, 0700) == -1)
		return -1;
	*made = true;
	return open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* -1 with errno 0 when problems were reported, else 0. */
static int
finish(const struct mirror *m)
{
	if (!m->failed)
		return 0;
	errno = 0;
	return -1;
}

/* The destination root up.dfd (ddir) for -H links, while a run lasts. */
static void
set_root(struct mirror *m, const struct level *up, const char *ddir)
{
	if (m->droot >= 0)
		close(m->droot);
	m->droot = up->dfd >= 0 ? dup(up->dfd) : -1;
	m->dtop_known = false;
	m->droot_path = ddir;
}

/*
 * The source src as the entry dname (NULL: its own name) of the directory
 * up->dfd, read from the parent of src.  Closes up.  Returns as
 * mirror_run.
 */
static int
run_entry(struct mirror *m, struct level *up, const char *src,
    const char *dname)
{
	struct stat s, d;
	char *sdir, *sbase;
	int e, ret = -1;

	if (split(src, &sdir, &sbase) == -1) {
		e = errno;
		close_level(up);
		errno = e;
		return -1;
	}
	if (dname == NULL)
		dname = sbase;
	up->spath = sdir;
	up->sfd = open(sdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (up->sfd == -1 || walk_stat(up->sfd, sbase, false, &s) == -1) {
		e = errno;
		close_level(up);
		errno = e;
		goto out;
	}
	m->sdev = s.st_dev;
	if (m->o.filter == NULL || filter_check(m->o.filter, sbase,
	    S_ISDIR(s.st_mode)) != FILTER_EXCLUDE)
		do_entry(m, up, sbase, dname, &s, up->dfd >= 0 &&
		    walk_stat(up->dfd, dname, false, &d) == 0, false);
	pool_settle(m);
	close_level(up);
	ret = finish(m);
out:
	m->droot_path = NULL;
	free(sdir);
	free(sbase);
	return ret;
}

static int
run_tree(struct mirror *m, const char *src, const char *dst,
    bool contents)
{
	struct level up;
	struct stat s, d;
	bool made;
	int e;

	m->failed = false;
	pool_start(m);
	init_level(&up);
	up.spath = src;
	up.dpath = dst;
	if ((up.dfd = open_dst(m, dst, &made)) == -1)
		return -1;
	if (up.dfd == -2)
		up.dfd = -1;
	set_root(m, &up, dst);
	open_refs(m, &up, up.dfd >= 0 ? up.dfd : AT_FDCWD, dst);
	if (!contents)
		return run_entry(m, &up, src, NULL);
	/* "src/": the root itself, as the entry "." of itself. */
	up.sfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (up.sfd == -1 || fstat(up.sfd, &s) == -1) {
		e = errno;
		close_level(&up);
		errno = e;
		return -1;
	}
	m->sdev = s.st_dev;
	m->st.files++;
	do_dir(m, &up, ".", ".", &s, made || up.dfd < 0 ||
	    fstat(up.dfd, &d) == -1 ? NULL : &d, "./", made, false);
	pool_settle(m);
	close_level(&up);
	m->droot_path = NULL;
	return finish(m);
}

static int
run_file(struct mirror *m, const char *src, const char *dst)
{
	struct level up;
	char *ddir, *dbase;
	int ret;

	m->failed = false;
	pool_start(m);
	init_level(&up);
	if (split(dst, &ddir, &dbase) == -1)
		return -1;
	up.dpath = ddir;
	if ((up.dfd = open(ddir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		ret = -1;
	} else {
		set_root(m, &up, ddir);
		ret = run_entry(m, &up, src, dbase);
	}
	free(ddir);
	free(dbase);
	return ret;
}

/* What mirror_run and mirror_file hand to the walking thread. */
struct run_args {
	struct mirror	*m;
	const char	*src;
	const char	*dst;
	bool		 contents;
	bool		 file;
};

static int
run_args_call(void *p)
{
	struct run_args *a = p;

	if (a->file)
		return run_file(a->m, a->src, a->dst);
	return run_tree(a->m, a->src, a->dst, a->contents);
}

int
mirror_run(struct mirror *m, const char *src, const char *dst,
    bool contents)
{
	struct run_args a = { m, src, dst, contents, false };

	return walk_deep(run_args_call, &a);
}

int
mirror_file(struct mirror *m, const char *src, const char *dst)
{
	struct run_args a = { m, src, dst, false, true };

	return walk_deep(run_args_call, &a);
}

int
mirror_sync(const struct mirror *m, const char *dst)
{
	char *dir, *base;
	int fd, e;

	if (m->o.dry_run)
		return 0;
	fd = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 && errno == ENOTDIR && split(dst, &dir, &base) == 0) {
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		e = errno;
		free(dir);
		free(base);
		errno = e;
	}
	if (fd == -1)
		return -1;
	e = syncfs(fd) == -1 ? errno : 0;
	close(fd);
	errno = e;
	return e == 0 ? 0 : -1;
}

void
mirror_itemize(const struct mirror_item *it, char *buf)
{
	static const char cols[] = "cstpoguax";
	static const unsigned bits[] = {
		MI_CHECKSUM, MI_SIZE, MI_TIME, MI_PERMS, MI_OWNER, MI_GROUP,
		0, MI_ACL, MI_XATTR
	};
	bool any = false;
	int i;

	if (it->flags & MI_DELETED) {
		memcpy(buf, "*deleting  ", 12);
		return;
	}
	buf[0] = it->update;
	buf[1] = it->type;
	for (i = 0; i < 9; i++) {
		if (it->flags & MI_NEW)
			buf[2 + i] = '+';
		else if (it->flags & bits[i])
			buf[2 + i] = cols[i];
		else
			buf[2 + i] = '.';
		any |= buf[2 + i] != '.';
	}
	/* Nothing changed: rsync shows blanks. */
	if (!any)
		memset(buf + 2, ' ', 9);
	buf[11] = '\0';
}

bool
mirror_significant(const struct mirror_item *it)
{
	return it->flags != 0 || it->update == '>';
}
