/*
 * The snapshot repository (see repo.h).  A snapshot is a mirror of the
 * source into REPO/<NAME>.partial with the previous snapshot as its
 * reference tree (clone, else hard link, what is unchanged), or on btrfs
 * a snapshot of the previous subvolume brought up to date in place; its
 * manifest is written from the mirror's records, with the hashes of
 * unchanged files taken from the previous manifest instead of read again.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/fiemap.h>
#include <linux/fs.h>

#include "backends/backend.h"
#include "core/manifest.h"
#include "core/mirror.h"
#include "core/probe.h"
#include "core/record.h"
#include "core/repo.h"
#include "core/scan.h"
#include "core/scribe.h"
#include "core/walk.h"

#define META_DIR	".xsync"
#define PARTIAL		".partial"
#define DELETING	".deleting"

void
repo_name(time_t t, unsigned seq, char *buf, size_t len)
{
	struct tm tm;
	size_t n;

	gmtime_r(&t, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H%M%SZ", &tm);
	if (seq > 0 && n > 0)
		snprintf(buf + n, len - n, "-%u", seq);
}

int
repo_parse_name(const char *name, time_t *t, unsigned *seq)
{
	struct tm tm;
	const char *p;
	char *end;
	unsigned long n = 0;

	memset(&tm, 0, sizeof(tm));
	p = strptime(name, "%Y-%m-%dT%H%M%SZ", &tm);
	if (p == NULL || strlen(name) < 18 || name[4] != '-' || name[10] != 'T')
		return -1;
	if (*p == '-') {
		if (p[1] < '1' || p[1] > '9')
			return -1;
		errno = 0;
		n = strtoul(p + 1, &end, 10);
		if (errno != 0 || *end != '\0' || n > 1000000)
			return -1;
	} else if (*p != '\0') {
		return -1;
	}
	*t = timegm(&tm);
	*seq = (unsigned)n;
	return 0;
}

static char *
join3(const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *p;

	if ((p = malloc(la + lb + lc + 2)) == NULL)
		return NULL;
	memcpy(p, a, la);
	p[la] = '/';
	/* The copy of c below brings the NUL. */
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result) */
	memcpy(p + la + 1, b, lb);
	memcpy(p + la + 1 + lb, c, lc + 1);
	return p;
}

char *
repo_tree_path(const struct repo *r, const char *name)
{
	return join3(r->path, name, "");
}

char *
repo_manifest_path(const struct repo *r, const char *name)
{
	char *dir, *p;

	if ((dir = join3(r->path, META_DIR, "")) == NULL)
		return NULL;
	p = join3(dir, name, ".xcpm");
	free(dir);
	return p;
}

static int
snap_cmp(const void *a, const void *b)
{
	const struct repo_snap *x = a, *y = b;

	if (x->when != y->when)
		return x->when < y->when ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static bool
has_manifest(const struct repo *r, const char *name)
{
	char buf[REPO_NAME_MAX + 16];

	snprintf(buf, sizeof(buf), META_DIR "/%s.xcpm", name);
	return faccessat(r->fd, buf, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

/* The complete snapshots: a tree under its name, with its manifest. */
static int
scan(struct repo *r)
{
	struct walk_dir d;
	struct repo_snap *v;
	struct stat st;
	size_t i;

	free(r->v);
	r->v = NULL;
	r->n = 0;
	if (walk_list(r->fd, &d) == -1)
		return -1;
	if ((v = calloc(d.n + 1, sizeof(*v))) == NULL) {
		walk_list_free(&d);
		return -1;
	}
	for (i = 0; i < d.n; i++) {
		struct repo_snap *s = &v[r->n];

		if (strlen(d.names[i]) >= REPO_NAME_MAX ||
		    repo_parse_name(d.names[i], &s->when, &s->seq) == -1 ||
		    walk_stat(r->fd, d.names[i], false, &st) == -1 ||
		    !S_ISDIR(st.st_mode) || !has_manifest(r, d.names[i]))
			continue;
		strcpy(s->name, d.names[i]);
		r->n++;
	}
	walk_list_free(&d);
	qsort(v, r->n, sizeof(*v), snap_cmp);
	r->v = v;
	return 0;
}

int
repo_open(struct repo *r, const char *path, unsigned flags)
{
	struct stat st;
	int e;

	memset(r, 0, sizeof(*r));
	r->fd = r->lock = -1;
	if ((r->path = strdup(path)) == NULL)
		return -1;
	if ((flags & REPO_CREATE) && mkdir(path, 0755) == -1 &&
	    errno != EEXIST)
		goto fail;
	if ((r->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		goto fail;
	if ((flags & REPO_CREATE) && mkdirat(r->fd, META_DIR, 0755) == -1 &&
	    errno != EEXIST)
		goto fail;
	if (fstatat(r->fd, META_DIR, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		goto fail;
	}
	if (flags & (REPO_LOCK | REPO_WAIT)) {
		r->lock = openat(r->fd, META_DIR "/lock", O_RDWR | O_CREAT |
		    O_CLOEXEC | O_NOFOLLOW, 0644);
		if (r->lock == -1 || flock(r->lock, LOCK_EX |
		    ((flags & REPO_WAIT) ? 0 : LOCK_NB)) == -1)
			goto fail;
	}
	if (scan(r) == -1)
		goto fail;
	return 0;
fail:
	e = errno == EWOULDBLOCK ? EWOULDBLOCK : errno;
	repo_close(r);
	errno = e;
	return -1;
}

void
repo_close(struct repo *r)
{
	if (r->lock >= 0)
		close(r->lock);
	if (r->fd >= 0)
		close(r->fd);
	free(r->path);
	free(r->v);
	memset(r, 0, sizeof(*r));
	r->fd = r->lock = -1;
}

const struct repo_snap *
repo_find(const struct repo *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->v[i].name, name) == 0)
			return &r->v[i];
	return NULL;
}

/* Remove the tree name in dirfd: a subvolume at once, else entry by entry. */
static int
remove_tree(int dirfd, const char *name)
{
	struct walk_dir d;
	struct stat st;
	size_t i;
	int fd, ret = 0;

	if (walk_stat(dirfd, name, false, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dirfd, name, 0);
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1)
		return -1;
	if (backend_subvolume.is_subvolume(fd) &&
	    backend_subvolume.destroy(dirfd, name) == 0) {
		close(fd);
		return 0;
	}
	if (walk_list(fd, &d) == -1) {
		close(fd);
		return -1;
	}
	for (i = 0; i < d.n; i++)
		if (remove_tree(fd, d.names[i]) == -1)
			ret = -1;
	walk_list_free(&d);
	close(fd);
	if (ret == 0 && unlinkat(dirfd, name, AT_REMOVEDIR) == -1)
		ret = -1;
	return ret;
}

/* Whether name ends with suffix; then *base gets what comes before it. */
static bool
suffixed(const char *name, const char *suffix, char *base, size_t len)
{
	size_t n = strlen(name), k = strlen(suffix);

	if (n <= k || n - k >= len || strcmp(name + n - k, suffix) != 0)
		return false;
	memcpy(base, name, n - k);
	base[n - k] = '\0';
	return true;
}

/*
 * Before a snapshot: finish the deletions an interrupted prune left, drop
 * manifests whose tree never got its name, and keep the newest partial
 * tree (renamed to part) to go on from.  Returns whether one was kept.
 */
static bool
tidy(struct repo *r, const char *part)
{
	struct walk_dir d, m;
	char base[REPO_NAME_MAX], keep[REPO_NAME_MAX + 16] = "";
	time_t t, best = 0;
	unsigned seq;
	size_t i;
	int mfd;

	if (walk_list(r->fd, &d) == -1)
		return false;
	for (i = 0; i < d.n; i++) {
		if (suffixed(d.names[i], DELETING, base, sizeof(base))) {
			(void)remove_tree(r->fd, d.names[i]);
		} else if (strncmp(d.names[i], ".latest-", 8) == 0) {
			/* A "latest" a killed run had not renamed yet. */
			(void)unlinkat(r->fd, d.names[i], 0);
		} else if (suffixed(d.names[i], PARTIAL, base, sizeof(base)) &&
		    repo_parse_name(base, &t, &seq) == 0) {
			if (keep[0] != '\0' && t < best) {
				(void)remove_tree(r->fd, d.names[i]);
				continue;
			}
			if (keep[0] != '\0')
				(void)remove_tree(r->fd, keep);
			snprintf(keep, sizeof(keep), "%s", d.names[i]);
			best = t;
		}
	}
	walk_list_free(&d);
	mfd = openat(r->fd, META_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd >= 0 && walk_list(mfd, &m) == 0) {
		for (i = 0; i < m.n; i++)
			/* Or a manifest a killed run was still writing. */
			if ((suffixed(m.names[i], ".xcpm", base,
			    sizeof(base)) && repo_parse_name(base, &t,
			    &seq) == 0 && !repo_find(r, base)) ||
			    (m.names[i][0] == '.' &&
			    strstr(m.names[i], ".xcpm.") != NULL))
				(void)unlinkat(mfd, m.names[i], 0);
		walk_list_free(&m);
	}
	if (mfd >= 0)
		close(mfd);
	return keep[0] != '\0' && renameat(r->fd, keep, r->fd, part) == 0;
}

/* The previous manifest, read along with the mirror (both in walk order). */
struct prev {
	FILE		*fp;
	struct manifest_reader rd;
	bool		 open;
	bool		 have;		/* rec holds the record at the cursor */
	bool		 done;
	struct manifest_record rec;
};

static void
prev_open(struct prev *p, const char *path)
{
	memset(p, 0, sizeof(*p));
	if (path == NULL || (p->fp = fopen(path, "re")) == NULL)
		return;
	if (manifest_open(&p->rd, p->fp) == -1) {
		(void)fclose(p->fp);
		p->fp = NULL;
		return;
	}
	p->open = true;
}

static void
prev_close(struct prev *p)
{
	if (p->open)
		manifest_close(&p->rd);
	if (p->fp != NULL)
		(void)fclose(p->fp);
}

/* A manifest path ("." or "./a/b") from the tree's root: "" or "a/b". */
static const char *
tree_path(const char *mpath)
{
	return mpath[0] == '.' && mpath[1] == '/' ? mpath + 2 :
	    strcmp(mpath, ".") == 0 ? "" : mpath;
}

/* The previous record of path ("" or "a/b", from the root), or NULL. */
static const struct manifest_record *
prev_find(struct prev *p, const char *path)
{
	int c;

	while (p->open && !p->done) {
		if (!p->have) {
			/* Valid until the next call: no copy. */
			if (manifest_next(&p->rd, &p->rec) != 1) {
				p->done = true;
				break;
			}
			p->have = true;
		}
		c = scan_pathcmp(tree_path(p->rec.path), path);
		if (c == 0)
			return &p->rec;
		if (c > 0)
			return NULL;
		p->have = false;
	}
	return NULL;
}

struct snapshot {
	struct repo	*r;
	struct scribe	*scribe;
	struct prev	 prev;		/* for the records */
	struct prev	 settle;	/* for the walk, ahead of them */
	time_t		 since;		/* before the previous one began */
	const struct mirror_ops *user;
	const char	*root;		/* the partial tree's path */
	size_t		 rootlen;
	int		 err;		/* the manifest failed */
};

/* "a/b" for the destination path root/a/b, "" for root, or NULL. */
static const char *
root_rel(const struct snapshot *s, const char *dst)
{
	const char *rest = dst + s->rootlen;

	if (strncmp(dst, s->root, s->rootlen) != 0 ||
	    (*rest != '\0' && *rest != '/'))
		return NULL;
	return *rest == '/' ? rest + 1 : rest;
}

static bool
prev_hash(struct snapshot *s, const char *path, const struct stat *st,
    unsigned char *out)
{
	const struct manifest_record *p;

	if (!S_ISREG(st->st_mode) || (p = prev_find(&s->prev, path)) ==
	    NULL || !p->has_hash || p->size != (uint64_t)st->st_size ||
	    p->mtime.tv_sec != st->st_mtim.tv_sec ||
	    p->mtime.tv_nsec != st->st_mtim.tv_nsec)
		return false;
	memcpy(out, p->hash, HASH_LEN);
	return true;
}

/*
 * What the previous snapshot holds at path, from its manifest.  A source
 * entry whose inode has not changed (ctime) since before that snapshot
 * began, and that the manifest describes the same (type, mode, owner,
 * size, mtime), is there as it is: the same data, and the same extended
 * attributes, which a manifest does not record.
 */
static bool
snap_known(void *arg, const char *path, struct mirror_known *k)
{
	struct snapshot *s = arg;
	const struct manifest_record *p;

	p = prev_find(&s->settle, path);
	if (p == NULL || (p->type != 'f' && p->type != 'd'))
		return false;
	k->type = p->type;
	k->mode = p->mode;
	k->uid = p->uid;
	k->gid = p->gid;
	k->size = p->size;
	k->mtime = p->mtime;
	k->before = s->since;
	if ((k->has_hash = p->has_hash))
		memcpy(k->hash, p->hash, HASH_LEN);
	return true;
}

static void
snap_record(void *arg, const struct record *rec)
{
	struct snapshot *s = arg;
	struct record copy = *rec;
	unsigned char h[HASH_LEN];
	const char *path;

	if (s->err != 0)
		return;
	/*
	 * Data that was the previous snapshot's has its hash there (which
	 * the mirror passes on when it asks what is known).
	 */
	if (!s->settle.open && rec->hash == NULL && rec->same_data &&
	    rec->dst_st != NULL &&
	    (path = root_rel(s, rec->dst)) != NULL &&
	    prev_hash(s, path, rec->dst_st, h))
		copy.hash = h;
	if (scribe_add(s->scribe, &copy) == -1)
		s->err = errno;
}

static bool
snap_stored_hash(void *arg, const char *path, const struct stat *st,
    unsigned char *out)
{
	return prev_hash(arg, path, st, out);
}

static void
snap_item(void *arg, const struct mirror_item *it)
{
	struct snapshot *s = arg;

	s->user->item(s->user->arg, it);
}

static void
snap_report(void *arg, const struct mirror_event *ev)
{
	struct snapshot *s = arg;

	s->user->report(s->user->arg, ev);
}

static void
scribe_error(void *arg, const char *path, int err)
{
	struct snapshot *s = arg;
	struct mirror_event ev;

	ev.kind = ME_READ;
	ev.err = err;
	ev.path = path;
	s->user->report(s->user->arg, &ev);
}

/* Point REPO/latest at name, atomically. */
static int
set_latest(struct repo *r, const char *name)
{
	char tmp[64];

	snprintf(tmp, sizeof(tmp), ".latest-%ld.tmp", (long)getpid());
	(void)unlinkat(r->fd, tmp, 0);
	if (symlinkat(name, r->fd, tmp) == -1)
		return -1;
	if (renameat(r->fd, tmp, r->fd, "latest") == -1) {
		int e = errno;

		(void)unlinkat(r->fd, tmp, 0);
		errno = e;
		return -1;
	}
	return 0;
}

/*
 * Whether the previous snapshot's name tells when it began, by the clock
 * that stamps the source's inodes: not when this run resumes a partial
 * tree, when the clock went back (the name is in the future, or was moved
 * past an earlier one: a "-N" name), or when the source's times come from
 * another machine (NFS, FUSE...).
 */
static bool
trust_times(const struct repo *r, const char *src,
    const struct repo_result *res)
{
	const struct repo_snap *p = &r->v[r->n - 1];
	struct statfs sfs;

	return !res->resumed && p->seq == 0 && p->when <= time(NULL) &&
	    statfs(src, &sfs) == 0 && probe_local_times((long)sfs.f_type);
}

/*
 * Whether the tree must be on disk before its name: with --fsync; when
 * data was written into files, which no journal orders; when the
 * repository's filesystem does not journal its metadata in order.  Else
 * the tree is clones, links and metadata, which such a filesystem cannot
 * keep after a crash without the rename made before them.
 */
static bool
need_sync(const struct repo *r, const struct repo_snapshot_opts *so,
    const struct mirror_stats *st)
{
	struct statfs sfs;

	return so->fsync || st->copied > 0 || fstatfs(r->fd, &sfs) == -1 ||
	    !probe_ordered_metadata((long)sfs.f_type);
}

/* Make the partial tree: a snapshot of prev's subvolume, or a new one. */
static int
make_partial(struct repo *r, const char *part, const char *prev,
    struct repo_result *res)
{
	int pfd;

	if (!backend_subvolume.supported(r->fd))
		return mkdirat(r->fd, part, 0700);
	if (prev != NULL && (pfd = openat(r->fd, prev, O_RDONLY |
	    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
		if (backend_subvolume.is_subvolume(pfd) &&
		    backend_subvolume.snapshot(pfd, r->fd, part) == 0) {
			close(pfd);
			res->subvolume = true;
			return 0;
		}
		close(pfd);
	}
	if (backend_subvolume.create(r->fd, part) == 0)
		return 0;
	return mkdirat(r->fd, part, 0700);
}

int
repo_snapshot(struct repo *r, const char *src,
    const struct repo_snapshot_opts *so, const struct mirror_ops *user,
    struct mirror_stats *stats, struct repo_result *res)
{
	struct mirror_opts o;
	struct mirror_ops ops = { 0 };
	struct snapshot s;
	struct mirror *m = NULL;
	char part[REPO_NAME_MAX + 16], ref[REPO_NAME_MAX + 8];
	char *root = NULL, *mpath = NULL, *prevm = NULL;
	const char *prev = r->n > 0 ? r->v[r->n - 1].name : NULL;
	time_t now = so->now != 0 ? so->now : time(NULL);
	unsigned seq = 0;
	int e = 0, ret = -1;

	memset(res, 0, sizeof(*res));
	memset(&s, 0, sizeof(s));
	/* A name not taken, later than every snapshot there. */
	if (r->n > 0 && now <= r->v[r->n - 1].when) {
		now = r->v[r->n - 1].when;
		seq = r->v[r->n - 1].seq + 1;
	}
	repo_name(now, seq, res->name, sizeof(res->name));
	snprintf(part, sizeof(part), "%s" PARTIAL, res->name);
	if (prev != NULL)
		snprintf(res->prev, sizeof(res->prev), "%s", prev);
	res->resumed = tidy(r, part);
	if (!res->resumed && make_partial(r, part, prev, res) == -1)
		return -1;
	if ((root = repo_tree_path(r, part)) == NULL ||
	    (mpath = repo_manifest_path(r, res->name)) == NULL ||
	    (prev != NULL && (prevm = repo_manifest_path(r, prev)) == NULL))
		goto fail;
	memset(&o, 0, sizeof(o));
	o.recursive = o.links = o.perms = o.times = o.owner = o.group = true;
	o.devices = o.specials = o.hard_links = o.acls = o.xattrs = true;
	/*
	 * The tree is the filtered source: what a filter leaves out now
	 * goes, also when the tree began as a snapshot of one that had it.
	 */
	o.delete = true;
	o.delete_excluded = true;
	o.max_delete = -1;
	o.checksum = so->checksum;
	o.one_file_system = so->one_file_system;
	o.filter = so->filter;
	o.records = true;
	o.unpublished = true;
	o.quiet_items = so->quiet_items;
	o.all_items = so->all_items;
	policy_init(&o.data);
	o.data.manifest = true;
	o.data.jobs = so->jobs;
	o.data.progress = so->progress;
	/* A snapshot of the previous one has all it could take from it. */
	if (prev != NULL && !res->subvolume) {
		snprintf(ref, sizeof(ref), "../%s", prev);
		o.refs[0] = ref;
		o.nrefs = 1;
		o.ref_kind = so->link ? MIRROR_REF_LINK : MIRROR_REF_AUTO;
	}
	s.r = r;
	s.user = user;
	s.root = root;
	s.rootlen = strlen(root);
	prev_open(&s.prev, prevm);
	/*
	 * The mirror is told what the previous snapshot holds (but with -c,
	 * which looks up hashes of its own).  Unless resumed, the tree
	 * starts as the previous snapshot or beside it, and what has not
	 * changed since it began is taken from it without a look: with a
	 * second's margin for clocks that tick coarsely, and not at all if
	 * the clock went back.
	 */
	if (prev != NULL && !so->checksum) {
		prev_open(&s.settle, prevm);
		if (trust_times(r, src, res))
			s.since = r->v[r->n - 1].when - 1;
	}
	{
		struct scribe_ops sops = { scribe_error, &s };

		if ((s.scribe = scribe_open(mpath, so->jobs, &sops)) == NULL ||
		    scribe_root(s.scribe, root, ".") == -1)
			goto fail;
	}
	ops.item = snap_item;
	ops.report = snap_report;
	ops.record = snap_record;
	ops.stored_hash = snap_stored_hash;
	ops.known = s.settle.open ? snap_known : NULL;
	ops.arg = &s;
	if ((m = mirror_new(&o, &ops)) == NULL)
		goto fail;
	errno = 0;
	if (mirror_run(m, src, root, true) == -1) {
		if (errno != 0)
			goto fail;
		res->failed = true;
	}
	*stats = *mirror_stats(m);
	if (mirror_stopped(m)) {
		e = EIO;
		goto out;
	}
	if (s.err != 0) {
		e = s.err;
		goto out;
	}
	/*
	 * The manifest (the scribe's spill file goes before it is ever
	 * written out), the tree, then the name: a manifest whose tree is
	 * not complete is removed by the next run.
	 */
	e = scribe_commit(s.scribe);
	s.scribe = NULL;
	if (e == -1 || (need_sync(r, so, stats) && syncfs(r->fd) == -1))
		goto fail;
	e = 0;
	if (renameat(r->fd, part, r->fd, res->name) == -1 ||
	    set_latest(r, res->name) == -1 ||
	    (so->fsync && fsync(r->fd) == -1))
		goto fail;
	ret = 0;
	goto out;
fail:
	e = errno;
out:
	if (s.scribe != NULL)
		scribe_abort(s.scribe);
	mirror_free(m);
	prev_close(&s.prev);
	prev_close(&s.settle);
	free(root);
	free(mpath);
	free(prevm);
	if (ret == 0)
		(void)scan(r);
	errno = e;
	return ret;
}

/* The start of the period of kind k that t falls in (UTC). */
static time_t
period(time_t t, unsigned k)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	tm.tm_sec = 0;
	tm.tm_min = 0;
	switch (k) {
	case REPO_KEEP_HOURLY:
		break;
	case REPO_KEEP_DAILY:
		tm.tm_hour = 0;
		break;
	case REPO_KEEP_WEEKLY:
		/* ISO weeks start on Monday. */
		tm.tm_hour = 0;
		tm.tm_mday -= (tm.tm_wday + 6) % 7;
		break;
	case REPO_KEEP_MONTHLY:
		tm.tm_hour = 0;
		tm.tm_mday = 1;
		break;
	default:
		tm.tm_hour = 0;
		tm.tm_mday = 1;
		tm.tm_mon = 0;
		break;
	}
	return timegm(&tm);
}

void
repo_prune_plan(const struct repo_snap *v, size_t n,
    const struct repo_keep *keep, unsigned *why)
{
	static const unsigned kinds[] = {
		REPO_KEEP_HOURLY, REPO_KEEP_DAILY, REPO_KEEP_WEEKLY,
		REPO_KEEP_MONTHLY, REPO_KEEP_YEARLY
	};
	const unsigned counts[] = {
		keep->hourly, keep->daily, keep->weekly, keep->monthly,
		keep->yearly
	};
	size_t i, k;
	unsigned got;
	time_t last;

	for (i = 0; i < n; i++)
		why[i] = 0;
	if (n == 0)
		return;
	why[n - 1] |= REPO_KEEP_LATEST;
	for (i = n, got = 0; i-- > 0 && got < keep->last; got++)
		why[i] |= REPO_KEEP_LAST;
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		got = 0;
		last = 0;
		for (i = n; i-- > 0 && got < counts[k];) {
			time_t p = period(v[i].when, kinds[k]);

			if (got > 0 && p == last)
				continue;
			why[i] |= kinds[k];
			last = p;
			got++;
		}
	}
}

int
repo_delete(struct repo *r, const char *name)
{
	char gone[REPO_NAME_MAX + 16], *mpath;

	if (repo_find(r, name) == NULL) {
		errno = ENOENT;
		return -1;
	}
	if ((mpath = repo_manifest_path(r, name)) == NULL)
		return -1;
	if (unlink(mpath) == -1 && errno != ENOENT) {
		free(mpath);
		return -1;
	}
	free(mpath);
	snprintf(gone, sizeof(gone), "%s" DELETING, name);
	if (renameat(r->fd, name, r->fd, gone) == -1)
		return -1;
	(void)scan(r);
	return remove_tree(r->fd, gone);
}

/* Inodes with several links, to see which have all theirs inside. */
struct multi {
	ino_t		 ino;
	nlink_t		 nlink;
	uint64_t	 bytes;
};

static int
multi_cmp(const void *a, const void *b)
{
	const struct multi *x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* Bytes of fd's data in extents that are not shared, up to size. */
static uint64_t
unshared(int fd, uint64_t size)
{
	struct {
		struct fiemap fm;
		struct fiemap_extent ext[64];
	} buf;
	uint64_t start = 0, total = 0, end;
	unsigned i;

	for (;;) {
		memset(&buf, 0, sizeof(buf));
		buf.fm.fm_start = start;
		buf.fm.fm_length = FIEMAP_MAX_OFFSET - start;
		buf.fm.fm_extent_count = 64;
		if (ioctl(fd, FS_IOC_FIEMAP, &buf.fm) == -1)
			return size;	/* no map: count it all */
		if (buf.fm.fm_mapped_extents == 0)
			return total;
		for (i = 0; i < buf.fm.fm_mapped_extents; i++) {
			struct fiemap_extent *x = &buf.ext[i];

			end = x->fe_logical + x->fe_length;
			if (end > size)
				end = size;
			if (!(x->fe_flags & FIEMAP_EXTENT_SHARED) &&
			    end > x->fe_logical)
				total += end - x->fe_logical;
			start = x->fe_logical + x->fe_length;
			if (x->fe_flags & FIEMAP_EXTENT_LAST)
				return total;
		}
	}
}

struct usage_walk {
	struct multi	*v;
	size_t		 n;
	size_t		 alloc;
	uint64_t	 exclusive;
	int		 err;
};

static void
usage_dir(struct usage_walk *u, int fd)
{
	struct walk_dir d;
	struct stat st;
	size_t i;
	int sub;

	if (walk_list(fd, &d) == -1) {
		u->err = errno;
		return;
	}
	for (i = 0; i < d.n; i++) {
		if (walk_stat(fd, d.names[i], false, &st) == -1)
			continue;
		if (S_ISDIR(st.st_mode)) {
			sub = openat(fd, d.names[i], O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0) {
				usage_dir(u, sub);
				close(sub);
			}
			continue;
		}
		if (!S_ISREG(st.st_mode) || st.st_size == 0)
			continue;
		if (st.st_nlink > 1) {
			if (u->n == u->alloc) {
				size_t na = u->alloc ? u->alloc * 2 : 1024;
				struct multi *nv = realloc(u->v,
				    na * sizeof(*nv));

				if (nv == NULL) {
					u->err = ENOMEM;
					continue;
				}
				u->v = nv;
				u->alloc = na;
			}
			u->v[u->n].ino = st.st_ino;
			u->v[u->n].nlink = st.st_nlink;
			u->v[u->n].bytes = (uint64_t)st.st_size;
			u->n++;
			continue;
		}
		sub = openat(fd, d.names[i], O_RDONLY | O_NOFOLLOW |
		    O_CLOEXEC | O_NONBLOCK);
		if (sub >= 0) {
			u->exclusive += unshared(sub, (uint64_t)st.st_size);
			close(sub);
		}
	}
	walk_list_free(&d);
}

int
repo_usage(const struct repo *r, const char *name, struct repo_usage *out)
{
	struct manifest_reader rd;
	struct manifest_record rec;
	struct usage_walk u;
	char *mpath;
	FILE *fp;
	size_t i, j;
	int fd, k;

	memset(out, 0, sizeof(*out));
	if ((mpath = repo_manifest_path(r, name)) == NULL)
		return -1;
	fp = fopen(mpath, "re");
	free(mpath);
	if (fp == NULL)
		return -1;
	if (manifest_open(&rd, fp) == -1) {
		(void)fclose(fp);
		return -1;
	}
	while ((k = manifest_next(&rd, &rec)) == 1) {
		out->files++;
		if (rec.type == 'f')
			out->bytes += rec.size;
	}
	manifest_close(&rd);
	(void)fclose(fp);
	if (k == -1)
		return -1;
	memset(&u, 0, sizeof(u));
	fd = openat(r->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1)
		return -1;
	usage_dir(&u, fd);
	close(fd);
	/* A multiply linked inode is exclusive when all its links are here. */
	if (u.n > 1)
		qsort(u.v, u.n, sizeof(*u.v), multi_cmp);
	for (i = 0; i < u.n; i = j) {
		for (j = i + 1; j < u.n && u.v[j].ino == u.v[i].ino; j++)
			;
		if ((nlink_t)(j - i) >= u.v[i].nlink)
			u.exclusive += u.v[i].bytes;
	}
	free(u.v);
	out->exclusive = u.exclusive;
	if (u.err != 0) {
		errno = u.err;
		return -1;
	}
	return 0;
}
