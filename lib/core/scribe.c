/*
 * The scribe.  Records flow: runner -> scribe_add (a heap item, in walk
 * order) -> the ordered hashing queue -> the spill file (fixed header and
 * strings, in the same order).  Every directory is kept in a map from its
 * path to where its record is, in the queue or in the spill file, so that
 * when the runner reports it finished (or changed again by a later
 * operand) its header is patched in place.  At commit the spill file is
 * read back into the manifest writer.  Memory holds the queue and one map
 * entry per directory, whatever the number of files.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/hashq.h"
#include "core/inomap.h"
#include "core/manifest.h"
#include "core/policy.h"
#include "core/record.h"
#include "core/scan.h"
#include "core/scribe.h"
#include "core/walk.h"

#define DEPTH	4096

/* The fixed part of a spilled record. */
struct head {
	uint64_t	 size;
	int64_t		 sec;
	int64_t		 nsec;
	uint32_t	 mode;
	uint32_t	 uid;
	uint32_t	 gid;
	uint32_t	 path_len;
	uint32_t	 target_len;
	uint8_t		 type;
	uint8_t		 has_hash;
	uint8_t		 strategy_len;
	/* cppcheck-suppress unusedStructMember ; explicit padding */
	uint8_t		 pad;
	unsigned char	 hash[HASH_LEN];
	uint64_t	 dev;		/* regular files: the inode, to */
	uint64_t	 ino;		/* regroup hard links after sorting */
};

struct item {
	struct head	 h;
	char		*path;
	char		*target;
	char		*dst;		/* for messages, while hashing */
	const char	*strategy;
	struct dir	*dir;		/* its map entry, for a directory */
	uint64_t	 seq;		/* order of arrival, for sorting */
};

/* An operand: its destination and its name in the manifest. */
struct root {
	char		*dst;
	size_t		 len;
	char		*rel;
};

/* Where the record of a directory is. */
struct dir {
	char		*path;
	struct item	*it;		/* still queued, or NULL */
	off_t		 off;		/* where it was spilled */
};

struct scribe {
	const struct scribe_ops *ops;
	struct manifest_writer w;
	FILE		*spill;
	off_t		 spill_off;
	struct hashq	 q;
	struct inomap	 links;
	struct root	*roots;		/* the last is the current operand */
	size_t		 nroots;
	struct dir	**dirs;		/* open addressing by path */
	size_t		 ndirs;
	size_t		 adirs;		/* a power of two */
	uint64_t	 seq;
	int		 err;		/* first fatal errno */
};

static void
item_free(struct item *it)
{
	if (it == NULL)
		return;
	free(it->path);
	free(it->target);
	free(it->dst);
	free(it);
}

/* A spill file beside the manifest, invisible; else in TMPDIR. */
static FILE *
spill_open(const char *path)
{
	char *dir;
	FILE *fp;
	int fd;

	if ((dir = afile_dir(path)) == NULL)
		return NULL;
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	free(dir);
	if (fd != -1 && (fp = fdopen(fd, "w+")) != NULL)
		return fp;
	if (fd != -1)
		close(fd);
	return tmpfile();
}

struct scribe *
scribe_open(const char *path, unsigned threads, const struct scribe_ops *ops)
{
	struct scribe *s;
	int e;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->ops = ops;
	inomap_init(&s->links);
	if (manifest_create(&s->w, path) == -1) {
		free(s);
		return NULL;
	}
	if ((s->spill = spill_open(path)) == NULL ||
	    hashq_init(&s->q, threads, DEPTH) == -1) {
		e = errno;
		if (s->spill != NULL)
			(void)fclose(s->spill);
		manifest_abort(&s->w);
		free(s);
		errno = e;
		return NULL;
	}
	return s;
}

int
scribe_root(struct scribe *s, const char *dst, const char *rel)
{
	struct root *r;
	size_t n = strlen(dst);

	/* "d/" and "d" name the same directory. */
	while (n > 1 && dst[n - 1] == '/')
		n--;
	if ((r = reallocarray(s->roots, s->nroots + 1, sizeof(*r))) == NULL)
		return -1;
	s->roots = r;
	r = &s->roots[s->nroots];
	r->dst = strndup(dst, n);
	r->rel = strdup(rel);
	r->len = n;
	if (r->dst == NULL || r->rel == NULL) {
		free(r->dst);
		free(r->rel);
		return -1;
	}
	s->nroots++;
	return 0;
}

/* The manifest path of dst below one root, or NULL. */
static char *
map_root(const struct root *r, const char *dst)
{
	const char *rest;
	char *p;

	if (strncmp(dst, r->dst, r->len) != 0)
		return NULL;
	rest = dst + r->len;
	if (*rest == '\0')
		return strdup(r->rel);
	if (*rest != '/' && !(r->len == 1 && r->dst[0] == '/'))
		return NULL;
	while (*rest == '/')
		rest++;
	if (asprintf(&p, "%s/%s", r->rel, rest) == -1)
		return NULL;
	return p;
}

/*
 * The manifest path of a destination path: below the current operand, or
 * with every operand tried (a hard link to an earlier operand's file).
 */
static char *
map_path(struct scribe *s, const char *dst, bool any)
{
	char *p;
	size_t i;

	if (s->nroots == 0)
		return NULL;
	if ((p = map_root(&s->roots[s->nroots - 1], dst)) != NULL || !any)
		return p;
	for (i = s->nroots - 1; i-- > 0;)
		if ((p = map_root(&s->roots[i], dst)) != NULL)
			return p;
	return NULL;
}

static int
spill_write(struct scribe *s, struct item *it)
{
	size_t sl = strlen(it->strategy);

	it->h.path_len = (uint32_t)strlen(it->path);
	it->h.target_len = it->target ? (uint32_t)strlen(it->target) + 1 : 0;
	it->h.strategy_len = (uint8_t)sl;
	if (it->dir != NULL)
		it->dir->off = s->spill_off;
	if (fwrite(&it->h, sizeof(it->h), 1, s->spill) != 1 ||
	    fwrite(it->strategy, 1, sl, s->spill) != sl ||
	    fwrite(it->path, 1, it->h.path_len, s->spill) != it->h.path_len ||
	    (it->target && fwrite(it->target, 1, it->h.target_len - 1,
	    s->spill) != it->h.target_len - 1))
		return -1;
	s->spill_off += (off_t)(sizeof(it->h) + sl + it->h.path_len +
	    (it->target ? it->h.target_len - 1 : 0));
	return 0;
}

static void
drain_one(struct scribe *s)
{
	unsigned char v[HASHQ_MAX];
	struct item *it;
	int err;

	if ((it = hashq_pop(&s->q, v, &err)) == NULL)
		return;
	if (err == 0) {
		memcpy(it->h.hash, v, HASH_LEN);
		it->h.has_hash = 1;
	} else if (err > 0)
		s->ops->error(s->ops->arg, it->dst ? it->dst : it->path, err);
	if (it->dir != NULL)
		it->dir->it = NULL;
	if (s->err == 0 && spill_write(s, it) == -1)
		s->err = errno ? errno : EIO;
	item_free(it);
}

static size_t
dir_slot(const struct scribe *s, const char *path)
{
	uint64_t h = 14695981039346656037ULL;
	const unsigned char *p;
	size_t i;

	for (p = (const unsigned char *)path; *p != '\0'; p++)
		h = (h ^ *p) * 1099511628211ULL;
	for (i = (size_t)h & (s->adirs - 1); s->dirs[i] != NULL;
	    i = (i + 1) & (s->adirs - 1))
		if (strcmp(s->dirs[i]->path, path) == 0)
			break;
	return i;
}

static struct dir *
dir_get(const struct scribe *s, const char *path)
{
	return s->adirs == 0 ? NULL : s->dirs[dir_slot(s, path)];
}

static int
dir_put(struct scribe *s, struct item *it)
{
	struct dir **old = s->dirs, *d;
	size_t n = s->adirs, i;

	if (2 * (s->ndirs + 1) > s->adirs) {
		s->adirs = s->adirs ? s->adirs * 2 : 256;
		/* An array of pointers. */
		/* NOLINTNEXTLINE(bugprone-sizeof-expression) */
		if ((s->dirs = calloc(s->adirs, sizeof(*s->dirs))) == NULL) {
			s->dirs = old;
			s->adirs = n;
			return -1;
		}
		for (i = 0; i < n; i++)
			if (old[i] != NULL)
				s->dirs[dir_slot(s, old[i]->path)] = old[i];
		free(old);
	}
	i = dir_slot(s, it->path);
	if ((d = s->dirs[i]) == NULL) {
		if ((d = calloc(1, sizeof(*d))) == NULL ||
		    (d->path = strdup(it->path)) == NULL) {
			free(d);
			return -1;
		}
		s->dirs[i] = d;
		s->ndirs++;
	} else if (d->it != NULL)
		d->it->dir = NULL;	/* the same path again: the last wins */
	d->it = it;
	d->off = -1;
	it->dir = d;
	return 0;
}

/* The final metadata of a directory: patch its header.  1: not known. */
static int
finish_dir(struct scribe *s, const char *path, const struct stat *st)
{
	struct dir *d;
	struct head h;

	if ((d = dir_get(s, path)) == NULL)
		return 1;
	if (d->it != NULL) {
		d->it->h.mode = st->st_mode & 07777;
		d->it->h.uid = st->st_uid;
		d->it->h.gid = st->st_gid;
		d->it->h.sec = st->st_mtim.tv_sec;
		d->it->h.nsec = st->st_mtim.tv_nsec;
		return 0;
	}
	if (d->off < 0)
		return 0;
	if (fflush(s->spill) == EOF || pread(fileno(s->spill), &h, sizeof(h),
	    d->off) != (ssize_t)sizeof(h))
		return -1;
	h.mode = st->st_mode & 07777;
	h.uid = st->st_uid;
	h.gid = st->st_gid;
	h.sec = st->st_mtim.tv_sec;
	h.nsec = st->st_mtim.tv_nsec;
	if (pwrite(fileno(s->spill), &h, sizeof(h), d->off) !=
	    (ssize_t)sizeof(h))
		return -1;
	return 0;
}

static char *
link_text(const struct record *rec)
{
	if (rec->link_text != NULL)
		return strdup(rec->link_text);
	if (rec->strategy == STRATEGY_SYMLINK && rec->target != NULL)
		return strdup(rec->target);
	return walk_readlink(AT_FDCWD, rec->dst, rec->dst_st->st_size);
}

/* Fill an item from the destination's metadata; 1 when it needs a hash. */
static int
fill(struct scribe *s, struct item *it, const struct record *rec)
{
	const struct stat *st = rec->dst_st;
	const char *first;
	char dev[64];

	it->h.mode = st->st_mode & 07777;
	it->h.uid = st->st_uid;
	it->h.gid = st->st_gid;
	it->h.sec = st->st_mtim.tv_sec;
	it->h.nsec = st->st_mtim.tv_nsec;
	it->strategy = rec->quiet ? "-" : policy_strategy_name(rec->strategy);
	switch (st->st_mode & S_IFMT) {
	case S_IFREG:
		it->h.type = 'f';
		it->h.size = (uint64_t)st->st_size;
		it->h.dev = st->st_dev;
		it->h.ino = st->st_ino;
		/* The runner knows the groups it links inside the copy. */
		if (rec->first != NULL &&
		    (it->target = map_path(s, rec->first, true)) != NULL) {
			it->h.type = 'h';
			return 0;
		}
		if (st->st_nlink < 2)
			return 1;
		if ((first = inomap_get(&s->links, st->st_dev, st->st_ino)) ==
		    NULL)
			return inomap_put(&s->links, st->st_dev, st->st_ino,
			    it->path) == -1 ? -1 : 1;
		it->h.type = 'h';
		return (it->target = strdup(first)) == NULL ? -1 : 0;
	case S_IFDIR:
		it->h.type = 'd';
		return 0;
	case S_IFLNK:
		it->h.type = 'l';
		if ((it->target = link_text(rec)) == NULL)
			return -1;
		it->h.size = strlen(it->target);
		return 0;
	case S_IFIFO:
		it->h.type = 'p';
		return 0;
	case S_IFSOCK:
		it->h.type = 's';
		return 0;
	default:
		it->h.type = S_ISCHR(st->st_mode) ? 'c' : 'b';
		snprintf(dev, sizeof(dev), "%u,%u", major(st->st_rdev),
		    minor(st->st_rdev));
		return (it->target = strdup(dev)) == NULL ? -1 : 0;
	}
}

int
scribe_add(struct scribe *s, const struct record *rec)
{
	struct item *it;
	char *path;
	int need, fd = -1;

	if (s->err != 0) {
		errno = s->err;
		return -1;
	}
	if (rec->dst_st == NULL || (path = map_path(s, rec->dst, false)) == NULL)
		return 0;	/* nothing left there to describe */
	/* A directory not seen before gets its record now: sorted later. */
	if (rec->post && (need = finish_dir(s, path, rec->dst_st)) != 1) {
		free(path);
		return need;
	}
	if ((it = calloc(1, sizeof(*it))) == NULL) {
		free(path);
		return -1;
	}
	it->path = path;
	it->seq = s->seq++;
	if ((need = fill(s, it, rec)) == -1) {
		s->ops->error(s->ops->arg, rec->dst, errno);
		item_free(it);
		return 0;
	}
	if (need && rec->hash != NULL) {
		memcpy(it->h.hash, rec->hash, HASH_LEN);
		it->h.has_hash = 1;
	} else if (need) {
		/* Read back through the page cache what the kernel moved. */
		while (hashq_full(&s->q, true))
			drain_one(s);
		while ((fd = rec->data_fd != -1 ? fcntl(rec->data_fd,
		    F_DUPFD_CLOEXEC, 0) : open(rec->dst, O_RDONLY |
		    O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)) == -1 &&
		    (errno == EMFILE || errno == ENFILE) &&
		    !hashq_empty(&s->q))
			drain_one(s);
		if (fd == -1)
			s->ops->error(s->ops->arg, rec->dst, errno);
		else if ((it->dst = strdup(rec->dst)) == NULL)
			goto fail;
	}
	if (it->h.type == 'd' && dir_put(s, it) == -1)
		goto fail;
	while (hashq_full(&s->q, fd != -1))
		drain_one(s);
	if (hashq_push(&s->q, it, fd, HASHQ_XXH128, (off_t)it->h.size) == -1)
		goto fail;
	while (hashq_ready(&s->q))
		drain_one(s);
	return 0;
fail:
	if (fd != -1)
		close(fd);
	if (it->dir != NULL)
		it->dir->it = NULL;
	item_free(it);
	return -1;
}

/* Read one spilled record into it (buffers reused).  1, 0 at end, -1. */
static int
spill_read(FILE *fp, struct item *it, char *strategy)
{
	size_t n;
	char *p;

	if (fread(&it->h, sizeof(it->h), 1, fp) != 1)
		return feof(fp) ? 0 : -1;
	if (fread(strategy, 1, it->h.strategy_len, fp) != it->h.strategy_len)
		return -1;
	strategy[it->h.strategy_len] = '\0';
	n = it->h.path_len;
	if ((p = realloc(it->path, n + 1)) == NULL)
		return -1;
	it->path = p;
	if (fread(p, 1, n, fp) != n)
		return -1;
	p[n] = '\0';
	free(it->target);
	it->target = NULL;
	if (it->h.target_len > 0) {
		n = it->h.target_len - 1;
		if ((it->target = malloc(n + 1)) == NULL ||
		    fread(it->target, 1, n, fp) != n)
			return -1;
		it->target[n] = '\0';
	}
	return 1;
}

static int
put(struct scribe *s, const struct item *it, const char *strategy)
{
	struct manifest_record r;

	memset(&r, 0, sizeof(r));
	r.type = (char)it->h.type;
	r.mode = it->h.mode;
	r.uid = it->h.uid;
	r.gid = it->h.gid;
	r.size = it->h.size;
	r.mtime.tv_sec = it->h.sec;
	r.mtime.tv_nsec = it->h.nsec;
	r.has_hash = it->h.has_hash;
	memcpy(r.hash, it->h.hash, HASH_LEN);
	r.strategy = strategy;
	r.target = it->target;
	r.path = it->path;
	return manifest_add(&s->w, &r);
}

struct loaded {
	struct item	 it;
	char		 strategy[256];
};

static int
loaded_cmp(const void *a, const void *b)
{
	const struct loaded *x = a, *y = b;
	int c = scan_pathcmp(x->it.path, y->it.path);

	return c != 0 ? c : x->it.seq < y->it.seq ? -1 : 1;
}

static int
ino_cmp(const void *a, const void *b, void *arg)
{
	const struct loaded *v = arg;
	const struct head *x = &v[*(const size_t *)a].it.h;
	const struct head *y = &v[*(const size_t *)b].it.h;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static size_t
find(size_t *up, size_t i)
{
	while (up[i] != i)
		i = up[i] = up[up[i]];
	return i;
}

/*
 * After sorting, the first link of each hard link group in walk order must
 * be the 'f' record with the hash, and the others 'h' records naming it.
 * Groups are the records of one inode: a path copied twice keeps only its
 * last copy, whose links may differ from the first's.
 */
static int
regroup(struct loaded *v, size_t n)
{
	size_t *up, *lead, *hashed, *byino, i, k, g;
	int rc = -1;

	up = calloc(n + 1, sizeof(*up));
	lead = calloc(n + 1, sizeof(*lead));
	hashed = calloc(n + 1, sizeof(*hashed));
	byino = calloc(n + 1, sizeof(*byino));
	if (up == NULL || lead == NULL || hashed == NULL || byino == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		up[i] = i;
		lead[i] = hashed[i] = SIZE_MAX;
	}
	/* The links of one inode, as the copy left them, form a group. */
	for (i = k = 0; i < n; i++)
		if ((v[i].it.h.type == 'f' || v[i].it.h.type == 'h') &&
		    v[i].it.h.ino != 0)
			byino[k++] = i;
	qsort_r(byino, k, sizeof(*byino), ino_cmp, v);
	for (i = 1; i < k; i++)
		if (ino_cmp(&byino[i - 1], &byino[i], v) == 0)
			up[find(up, byino[i])] = find(up, byino[i - 1]);
	for (i = 0; i < n; i++) {
		g = find(up, i);
		if (lead[g] == SIZE_MAX)
			lead[g] = i;
		if (v[i].it.h.has_hash && hashed[g] == SIZE_MAX)
			hashed[g] = i;
	}
	for (i = 0; i < n; i++) {
		g = find(up, i);
		if (lead[g] == i && up[i] == i && hashed[g] == i)
			continue;	/* alone */
		if (v[i].it.h.type != 'f' && v[i].it.h.type != 'h')
			continue;
		free(v[i].it.target);
		v[i].it.target = NULL;
		if (lead[g] == i) {
			v[i].it.h.type = 'f';
			if (hashed[g] != SIZE_MAX && hashed[g] != i) {
				memcpy(v[i].it.h.hash, v[hashed[g]].it.h.hash,
				    HASH_LEN);
				v[i].it.h.has_hash = 1;
			}
			continue;
		}
		v[i].it.h.type = 'h';
		if ((v[i].it.target = strdup(v[lead[g]].it.path)) == NULL)
			goto out;
	}
	/* Hashes move to the leaders only once every group is settled. */
	for (i = 0; i < n; i++)
		if (v[i].it.h.type == 'h')
			v[i].it.h.has_hash = 0;
	rc = 0;
out:
	free(up);
	free(lead);
	free(hashed);
	free(byino);
	return rc;
}

/* The destination path of a manifest path, or NULL. */
static char *
unmap_path(const struct scribe *s, const char *path)
{
	const struct root *r;
	size_t i, n;
	char *p;

	for (i = s->nroots; i-- > 0;) {
		r = &s->roots[i];
		n = strlen(r->rel);
		if (strcmp(r->rel, ".") == 0 && path[0] == '.' &&
		    (path[1] == '/' || path[1] == '\0'))
			n = 1;
		else if (strncmp(path, r->rel, n) != 0 ||
		    (path[n] != '/' && path[n] != '\0'))
			continue;
		if (asprintf(&p, "%s%s", r->dst, path + n) == -1)
			return NULL;
		return p;
	}
	return NULL;
}

/*
 * A group whose hashed link was replaced by a later operand has no hash:
 * read the file that is there now.
 */
static void
rehash(struct scribe *s, struct loaded *v, size_t n)
{
	char *buf = NULL, *dst;
	size_t i;
	int fd;

	for (i = 0; i < n; i++) {
		if (v[i].it.h.type != 'f' || v[i].it.h.has_hash)
			continue;
		if (buf == NULL && (buf = malloc(HASH_FD_BUF)) == NULL)
			return;
		if ((dst = unmap_path(s, v[i].it.path)) == NULL)
			continue;
		fd = open(dst, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK |
		    O_CLOEXEC);
		if (fd != -1 && hash_fd(fd, v[i].it.h.hash, buf, -1) == 0)
			v[i].it.h.has_hash = 1;
		if (fd != -1)
			close(fd);
		free(dst);
	}
	free(buf);
}

/* Operands given out of order: sort, and keep the last of a path. */
static int
write_sorted(struct scribe *s)
{
	struct loaded *v = NULL, *nv;
	size_t n = 0, alloc = 0, i, j;
	int rc = -1, r;

	for (;;) {
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 1024;
			if ((nv = reallocarray(v, alloc, sizeof(*v))) == NULL)
				goto out;
			v = nv;
		}
		memset(&v[n], 0, sizeof(v[n]));
		if ((r = spill_read(s->spill, &v[n].it, v[n].strategy)) <= 0) {
			free(v[n].it.path);
			free(v[n].it.target);
			if (r == -1)
				goto out;
			break;
		}
		v[n].it.seq = n;
		n++;
	}
	qsort(v, n, sizeof(*v), loaded_cmp);
	/* The same path twice: the later copy is what is there. */
	for (i = j = 0; i < n; i++) {
		if (i + 1 < n && strcmp(v[i].it.path, v[i + 1].it.path) == 0) {
			free(v[i].it.path);
			free(v[i].it.target);
			continue;
		}
		v[j++] = v[i];
	}
	n = j;
	if (regroup(v, n) == -1)
		goto out;
	rehash(s, v, n);
	for (i = 0; i < n; i++)
		if (put(s, &v[i].it, v[i].strategy) == -1)
			goto out;
	rc = 0;
out:
	for (i = 0; i < n; i++) {
		free(v[i].it.path);
		free(v[i].it.target);
	}
	free(v);
	return rc;
}

static int
write_manifest(struct scribe *s)
{
	struct item it, prev;
	char strategy[256];
	bool sorted = true;
	int r;

	memset(&it, 0, sizeof(it));
	memset(&prev, 0, sizeof(prev));
	if (fflush(s->spill) == EOF)
		return -1;
	/* One pass to check the order, one to write. */
	rewind(s->spill);
	while ((r = spill_read(s->spill, &it, strategy)) == 1) {
		if (prev.path != NULL && scan_pathcmp(prev.path, it.path) >= 0)
			sorted = false;
		free(prev.path);
		prev.path = it.path;
		it.path = NULL;
		if (!sorted)
			break;
	}
	free(prev.path);
	rewind(s->spill);
	if (r == -1)
		goto fail;
	if (!sorted) {
		free(it.path);
		free(it.target);
		return write_sorted(s);
	}
	while ((r = spill_read(s->spill, &it, strategy)) == 1)
		if (put(s, &it, strategy) == -1)
			goto fail;
	if (r == -1)
		goto fail;
	free(it.path);
	free(it.target);
	return 0;
fail:
	free(it.path);
	free(it.target);
	return -1;
}

static void
release(struct scribe *s)
{
	unsigned char v[HASHQ_MAX];
	struct item *it;
	size_t i;
	int err;

	/* Whatever is still queued is not going anywhere. */
	while ((it = hashq_pop(&s->q, v, &err)) != NULL)
		item_free(it);
	hashq_free(&s->q);
	for (i = 0; i < s->adirs; i++) {
		if (s->dirs[i] != NULL) {
			free(s->dirs[i]->path);
			free(s->dirs[i]);
		}
	}
	free(s->dirs);
	if (s->spill != NULL)
		(void)fclose(s->spill);
	inomap_free(&s->links);
	for (i = 0; i < s->nroots; i++) {
		free(s->roots[i].dst);
		free(s->roots[i].rel);
	}
	free(s->roots);
	free(s);
}

int
scribe_commit(struct scribe *s)
{
	int rc = 0, e = 0;

	while (!hashq_empty(&s->q))
		drain_one(s);
	if (s->err != 0 || write_manifest(s) == -1) {
		e = s->err ? s->err : errno ? errno : EIO;
		manifest_abort(&s->w);
		rc = -1;
	} else if (manifest_commit(&s->w) == -1) {
		e = errno;
		rc = -1;
	}
	release(s);
	errno = e;
	return rc;
}

void
scribe_abort(struct scribe *s)
{
	manifest_abort(&s->w);
	release(s);
}
