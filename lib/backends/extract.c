/*
 * The extract backend: libarchive reads the template archive and this file
 * writes it, because archive_write_disk works on path strings relative to
 * the current directory (which it changes for long names).  Here every
 * name is cleaned first, then reached from the root's file descriptor one
 * directory at a time with O_NOFOLLOW, and the last name is made with *at()
 * calls that never follow a symbolic link, so nothing the archive plants
 * can lead outside.  Directories get their modes and times last, deepest
 * first: a read-only directory must not stop its children being made, and
 * making them changes its mtime.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends/extract.h"
#include "core/hash.h"
#include "core/nls.h"

#define DIR_FLAGS	(O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#define FILE_FLAGS	(O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC)
#define READ_BLOCK	(128 * 1024)

#define NO_TARGET	N_("hard link target does not exist")
#define NOT_REGULAR	N_("hard link target is not a regular file in the tree")

/* What a directory needs at the end; the last record for a path counts. */
enum dir_kind {
	DIR_IMPLICIT,		/* made for an entry beneath it: 0755 */
	DIR_EXPLICIT,		/* its own entry: its mode and times */
	DIR_GONE		/* removed since */
};

struct dir_fix {
	char		*path;		/* "./a/b", or "." for the root */
	size_t		 depth;
	size_t		 seq;
	enum dir_kind	 kind;
	mode_t		 mode;
	struct timespec	 ts[2];
};

/* The hash of a regular file we wrote, by inode, for its hard links. */
struct seen {
	dev_t		 dev;
	ino_t		 ino;
	bool		 used;
	bool		 valid;
	unsigned char	 hash[HASH_LEN];
};

struct ex {
	struct archive	*a;
	int		 root;
	struct extract_opts opts;
	const struct extract_ops *ops;
	char		*errbuf;
	size_t		 errlen;
	bool		 failed;	/* something was reported */
	bool		 xattr_told;	/* "not supported" was reported */
	/* The parent directory of the last entry, kept open. */
	int		 cfd;
	char		*cpath;		/* relative, without "./" */
	size_t		 clen;
	size_t		 csize;
	struct dir_fix	*dirs;
	size_t		 ndirs;
	size_t		 adirs;
	struct seen	*seen;
	size_t		 nseen;
	size_t		 aseen;		/* a power of two */
};

/* One entry being made. */
struct item {
	struct archive_entry *e;
	const char	*raw;		/* its name in the archive */
	char		*path;		/* cleaned: "./a/b" or "." */
	char		*rel;		/* path without "./": "a/b" or "" */
	int		 pdir;		/* its parent (borrowed) */
	const char	*name;		/* the last component of rel */
};

static bool
fatal_errno(int e)
{
	/* The same set as backend_fatal(): nothing more can be made. */
	return e == ENOSPC || e == EDQUOT || e == EIO || e == ENOMEM;
}

static int
stop(struct ex *ex, const char *path, const char *why, int err)
{
	if (ex->errlen > 0) {
		if (path != NULL)
			snprintf(ex->errbuf, ex->errlen, "%s: %s", path, why);
		else
			snprintf(ex->errbuf, ex->errlen, "%s", why);
	}
	errno = err;
	return -1;
}

/*
 * A problem with one entry.  Returns 1 after reporting it, or -1 with errno
 * when err must stop everything.
 */
static int
trouble(struct ex *ex, const char *path, const char *why, int err)
{
	if (fatal_errno(err))
		return stop(ex, path, why, err);
	ex->failed = true;
	if (ex->ops != NULL && ex->ops->problem != NULL)
		ex->ops->problem(ex->ops->arg, path, why, err);
	return 1;
}

static int
nomem(struct ex *ex)
{
	return stop(ex, NULL, N_("out of memory"), ENOMEM);
}

/*
 * The archive failed: -1 with errno when it cannot go on (the message in
 * errbuf), else 1 after reporting the entry.
 */
static int
archive_trouble(struct ex *ex, const char *path, int r)
{
	const char *msg = archive_error_string(ex->a);
	int err = archive_errno(ex->a);

	if (msg == NULL)
		msg = N_("cannot read the archive");
	/* ARCHIVE_ERRNO_MISC is -1: no errno of its own. */
	if (r == ARCHIVE_FATAL)
		return stop(ex, NULL, msg, err > 0 ? err : EINVAL);
	return trouble(ex, path, msg, err > 0 ? err : 0);
}

/* See extract.h: every name is cleaned here before anything is made. */
char *
extract_clean_path(const char *raw, const char **why)
{
	const char *p, *q;
	char *out, *o;
	size_t n;

	*why = NULL;
	if (*raw == '\0') {
		*why = N_("empty name");
		return NULL;
	}
	if (*raw == '/') {
		*why = N_("absolute path");
		return NULL;
	}
	if ((out = malloc(strlen(raw) + 3)) == NULL)
		return NULL;
	o = out;
	*o++ = '.';
	for (p = raw; *p != '\0'; p += n + (p[n] == '/')) {
		q = strchr(p, '/');
		n = q != NULL ? (size_t)(q - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			free(out);
			*why = N_("path contains \"..\"");
			return NULL;
		}
		if (n == 0 || (n == 1 && p[0] == '.'))
			continue;
		*o++ = '/';
		memcpy(o, p, n);
		o += n;
	}
	*o = '\0';
	return out;
}

/* The relative part of a cleaned path: "" for the root. */
static char *
rel_of(char *path)
{
	return path[1] == '\0' ? path + 1 : path + 2;
}

/*
 * Remember what the directory rel[0..len) needs at the end.  Returns 0, or
 * -1 with errno ENOMEM.
 */
static int
dir_note(struct ex *ex, const char *rel, size_t len, enum dir_kind kind,
    mode_t mode, const struct timespec *ts)
{
	struct dir_fix *d, *nd;
	size_t i, na;

	if (ex->ndirs == ex->adirs) {
		na = ex->adirs ? 2 * ex->adirs : 64;
		if ((nd = reallocarray(ex->dirs, na, sizeof(*nd))) == NULL)
			return -1;
		ex->dirs = nd;
		ex->adirs = na;
	}
	d = &ex->dirs[ex->ndirs];
	if ((d->path = malloc(len + 3)) == NULL)
		return -1;
	if (len == 0)
		strcpy(d->path, ".");
	else {
		memcpy(d->path, "./", 2);
		memcpy(d->path + 2, rel, len);
		d->path[len + 2] = '\0';
	}
	d->depth = len > 0;
	for (i = 0; i < len; i++)
		d->depth += rel[i] == '/';
	d->seq = ex->ndirs++;
	d->kind = kind;
	d->mode = mode;
	memset(d->ts, 0, sizeof(d->ts));
	if (ts != NULL) {
		d->ts[0] = ts[0];
		d->ts[1] = ts[1];
	}
	return 0;
}

/*
 * Open the directory rel[0..len) from fd, which is rel[0..start) already
 * open, one name at a time and never through a symbolic link, making the
 * missing ones 0700 when create is set.  rel is written to while this
 * runs.  Returns a new fd, or -1 with errno (0 for a refusal) and *why.
 */
static int
beneath(struct ex *ex, int fd, char *rel, size_t start, size_t len,
    bool create, const char **why)
{
	struct stat st;
	size_t i, end;
	int cur = fd, next, err = 0;
	char save;

	for (i = start; i < len; i = end + 1) {
		for (end = i; end < len && rel[end] != '/'; end++)
			;
		save = rel[end];
		rel[end] = '\0';
		next = openat(cur, rel + i, DIR_FLAGS);
		if (next == -1 && errno == ENOENT && create) {
			if (mkdirat(cur, rel + i, 0700) == 0) {
				if (dir_note(ex, rel, end, DIR_IMPLICIT, 0755,
				    NULL) == -1) {
					*why = N_("out of memory");
					err = ENOMEM;
				} else
					next = openat(cur, rel + i, DIR_FLAGS);
			} else if (errno == EEXIST)
				next = openat(cur, rel + i, DIR_FLAGS);
			else {
				err = errno;
				*why = N_("cannot make parent directory");
			}
		}
		if (next == -1 && err == 0) {
			err = errno;
			*why = N_("cannot open parent directory");
			/*
			 * O_DIRECTORY|O_NOFOLLOW answers ENOTDIR for a
			 * symbolic link (ELOOP without O_DIRECTORY): look.
			 */
			if ((err == ENOTDIR || err == ELOOP) &&
			    fstatat(cur, rel + i, &st, AT_SYMLINK_NOFOLLOW) ==
			    0) {
				*why = S_ISLNK(st.st_mode) ?
				    N_("a parent is a symbolic link") :
				    N_("a parent is not a directory");
				err = 0;
			}
		}
		rel[end] = save;
		if (cur != fd)
			close(cur);
		if (next == -1) {
			errno = err;
			return -1;
		}
		cur = next;
	}
	return cur;
}

/* Close the kept parent if it is rel or beneath it (rel was removed). */
static void
cache_forget(struct ex *ex, const char *rel)
{
	size_t n = strlen(rel);

	if (ex->cfd != -1 && ex->clen >= n &&
	    memcmp(ex->cpath, rel, n) == 0 &&
	    (ex->clen == n || ex->cpath[n] == '/')) {
		close(ex->cfd);
		ex->cfd = -1;
	}
}

/*
 * The directory holding the last name of rel, which *name then points to.
 * Archives list a directory's entries together, so the last one opened is
 * kept and used again, or walked on from.  Returns an fd the caller must
 * not close, or -1 with errno (0 for a refusal) and *why.
 */
static int
parent_of(struct ex *ex, char *rel, bool create, const char **name,
    const char **why)
{
	char *slash = strrchr(rel, '/'), *np;
	size_t plen, start = 0;
	int from = ex->root, fd;

	if (slash == NULL) {
		*name = rel;
		return ex->root;
	}
	*name = slash + 1;
	plen = (size_t)(slash - rel);
	if (ex->cfd != -1 && ex->clen == plen &&
	    memcmp(ex->cpath, rel, plen) == 0)
		return ex->cfd;
	if (ex->cfd != -1 && ex->clen < plen && rel[ex->clen] == '/' &&
	    memcmp(ex->cpath, rel, ex->clen) == 0) {
		from = ex->cfd;
		start = ex->clen + 1;
	}
	if ((fd = beneath(ex, from, rel, start, plen, create, why)) == -1)
		return -1;
	if (plen + 1 > ex->csize) {
		if ((np = realloc(ex->cpath, plen + 1)) == NULL) {
			close(fd);
			*why = N_("out of memory");
			errno = ENOMEM;
			return -1;
		}
		ex->cpath = np;
		ex->csize = plen + 1;
	}
	if (ex->cfd != -1)
		close(ex->cfd);
	memcpy(ex->cpath, rel, plen);
	ex->cpath[plen] = '\0';
	ex->clen = plen;
	ex->cfd = fd;
	return fd;
}

/*
 * Make room for the entry: remove a non-directory in its place, or an empty
 * directory unless a directory is wanted, in which case *kept tells that
 * one is there already.  same (may be NULL) is a regular file that may
 * stay: *kept then tells it is there.  Returns 0, 1 (reported) or -1.
 */
static int
clear_way(struct ex *ex, struct item *it, bool want_dir,
    const struct stat *same, bool *kept)
{
	struct stat cur;

	*kept = false;
	if (fstatat(it->pdir, it->name, &cur, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno == ENOENT)
			return 0;
		return trouble(ex, it->raw, N_("cannot stat"), errno);
	}
	if (S_ISDIR(cur.st_mode)) {
		if (want_dir) {
			*kept = true;
			return 0;
		}
		if (unlinkat(it->pdir, it->name, AT_REMOVEDIR) == -1) {
			if (errno == ENOTEMPTY || errno == EEXIST)
				return trouble(ex, it->raw, N_("a non-empty "
				    "directory is in the way"), 0);
			return trouble(ex, it->raw, N_("cannot remove the "
			    "directory in the way"), errno);
		}
		cache_forget(ex, it->rel);
		if (dir_note(ex, it->rel, strlen(it->rel), DIR_GONE, 0,
		    NULL) == -1)
			return nomem(ex);
		return 0;
	}
	if (same != NULL && cur.st_dev == same->st_dev &&
	    cur.st_ino == same->st_ino) {
		*kept = true;
		return 0;
	}
	if (unlinkat(it->pdir, it->name, 0) == -1)
		return trouble(ex, it->raw, N_("cannot remove the file in "
		    "the way"), errno);
	return 0;
}

static size_t
seen_slot(const struct ex *ex, dev_t dev, ino_t ino)
{
	uint64_t h = ((uint64_t)ino ^ ((uint64_t)dev << 40)) *
	    0x9e3779b97f4a7c15ULL;
	size_t i, mask = ex->aseen - 1;

	for (i = (size_t)(h >> 32) & mask; ex->seen[i].used &&
	    (ex->seen[i].dev != dev || ex->seen[i].ino != ino);
	    i = (i + 1) & mask)
		;
	return i;
}

/*
 * Remember the hash of the file (dev, ino), or that it has none (hash
 * NULL): an inode number can be used again after a file was replaced.
 * Returns 0, or -1 with errno ENOMEM.
 */
static int
seen_put(struct ex *ex, dev_t dev, ino_t ino, const unsigned char *hash)
{
	struct seen *old = ex->seen, *s;
	size_t i, oalloc = ex->aseen;

	if ((ex->nseen + 1) * 2 > ex->aseen) {
		ex->aseen = oalloc ? 2 * oalloc : 256;
		if ((ex->seen = calloc(ex->aseen, sizeof(*s))) == NULL) {
			ex->seen = old;
			ex->aseen = oalloc;
			return -1;
		}
		for (i = 0; i < oalloc; i++)
			if (old[i].used)
				ex->seen[seen_slot(ex, old[i].dev,
				    old[i].ino)] = old[i];
		free(old);
	}
	s = &ex->seen[seen_slot(ex, dev, ino)];
	if (!s->used)
		ex->nseen++;
	s->used = true;
	s->dev = dev;
	s->ino = ino;
	s->valid = hash != NULL;
	if (hash != NULL)
		memcpy(s->hash, hash, HASH_LEN);
	return 0;
}

/* The hash remembered for (dev, ino), or NULL. */
static const unsigned char *
seen_get(const struct ex *ex, dev_t dev, ino_t ino)
{
	const struct seen *s;

	if (ex->aseen == 0)
		return NULL;
	s = &ex->seen[seen_slot(ex, dev, ino)];
	return s->used && s->valid ? s->hash : NULL;
}

static void
tell(struct ex *ex, const struct item *it, const struct stat *st,
    const char *target, const unsigned char *hash)
{
	struct extract_entry ee;

	if (ex->ops == NULL || ex->ops->entry == NULL)
		return;
	memset(&ee, 0, sizeof(ee));
	ee.path = it->path;
	ee.st = st;
	ee.target = target;
	if (hash != NULL) {
		ee.has_hash = true;
		memcpy(ee.hash, hash, HASH_LEN);
	}
	ex->ops->entry(ex->ops->arg, &ee);
}

/* The entry's times for utimensat: no atime in the archive is its mtime. */
static void
entry_times(struct archive_entry *e, struct timespec *ts)
{
	ts[1].tv_sec = 0;
	ts[1].tv_nsec = UTIME_OMIT;
	if (archive_entry_mtime_is_set(e)) {
		ts[1].tv_sec = (time_t)archive_entry_mtime(e);
		ts[1].tv_nsec = archive_entry_mtime_nsec(e);
	}
	ts[0] = ts[1];
	if (archive_entry_atime_is_set(e)) {
		ts[0].tv_sec = (time_t)archive_entry_atime(e);
		ts[0].tv_nsec = archive_entry_atime_nsec(e);
	}
	/* utimensat refuses what a damaged header may hold. */
	if (ts[0].tv_nsec != UTIME_OMIT &&
	    (ts[0].tv_nsec < 0 || ts[0].tv_nsec >= 1000000000))
		ts[0].tv_nsec = 0;
	if (ts[1].tv_nsec != UTIME_OMIT &&
	    (ts[1].tv_nsec < 0 || ts[1].tv_nsec >= 1000000000))
		ts[1].tv_nsec = 0;
}

static void
times_into(struct stat *st, const struct timespec *ts)
{
	if (ts[0].tv_nsec != UTIME_OMIT)
		st->st_atim = ts[0];
	if (ts[1].tv_nsec != UTIME_OMIT)
		st->st_mtim = ts[1];
}

/*
 * The entry's permissions for a file now owned as st says.  A setuid or
 * setgid bit stays only with the archive's owner or group: extracting
 * without owners must not make a root-owned setuid copy of a user's file.
 */
static mode_t
entry_mode(struct archive_entry *e, const struct stat *st)
{
	mode_t m = archive_entry_perm(e) & 07777;

	if (archive_entry_uid(e) != (la_int64_t)st->st_uid)
		m &= ~(mode_t)S_ISUID;
	if (archive_entry_gid(e) != (la_int64_t)st->st_gid)
		m &= ~(mode_t)S_ISGID;
	return m;
}

/* chown to the archive's numeric ids.  Returns 0, 1 or -1. */
static int
set_owner(struct ex *ex, struct item *it, int fd)
{
	la_int64_t u = archive_entry_uid(it->e), g = archive_entry_gid(it->e);
	int r;

	if (!ex->opts.owners)
		return 0;
	/* (uid_t)-1 would mean "leave it": out of range too. */
	if (u < 0 || g < 0 || u >= (la_int64_t)(uid_t)-1 ||
	    g >= (la_int64_t)(gid_t)-1)
		return trouble(ex, it->raw, N_("owner out of range"), 0);
	if (fd != -1)
		r = fchown(fd, (uid_t)u, (gid_t)g);
	else
		r = fchownat(it->pdir, it->name, (uid_t)u, (gid_t)g,
		    AT_SYMLINK_NOFOLLOW);
	return r == -1 ? trouble(ex, it->raw, N_("cannot change owner"),
	    errno) : 0;
}

/*
 * Set the entry's extended attributes on fd, or on it->name when fd is -1
 * (a node that must not be opened: through /proc, as meta.c does).  The
 * first failure is reported, "not supported" only once per extraction.
 * Returns 0, 1 or -1.
 */
static int
set_xattrs(struct ex *ex, struct item *it, int fd)
{
	const char *name;
	const void *value;
	char *proc = NULL;
	size_t size;
	int r, worst = 0;

	if (archive_entry_xattr_reset(it->e) == 0)
		return 0;
	while (worst >= 0 && archive_entry_xattr_next(it->e, &name, &value,
	    &size) == ARCHIVE_OK) {
		if (name == NULL || *name == '\0')
			continue;
		if (fd != -1)
			r = fsetxattr(fd, name, value, size, 0);
		else {
			if (proc == NULL && asprintf(&proc,
			    "/proc/self/fd/%d/%s", it->pdir, it->name) == -1) {
				proc = NULL;
				return nomem(ex);
			}
			r = lsetxattr(proc, name, value, size, 0);
		}
		if (r == 0)
			continue;
		/* The filesystem (or the name's namespace) says no. */
		if (errno == ENOTSUP) {
			if (!ex->xattr_told) {
				ex->xattr_told = true;
				worst = trouble(ex, it->raw, N_("extended "
				    "attributes not supported"), errno);
			}
		} else if (worst == 0)
			worst = trouble(ex, it->raw,
			    N_("cannot set extended attribute"), errno);
	}
	free(proc);
	return worst;
}

/*
 * Owner, extended attributes, mode and times, in that order (chown clears
 * setuid bits and file capabilities), for a non-directory just made at
 * it->name, through fd when there is one.  Fills st with what is there.
 * Returns 0 (st valid), 1 after reporting (st valid unless *nost) or -1.
 */
static int
apply_meta(struct ex *ex, struct item *it, int fd, bool link,
    struct stat *st, bool *nost)
{
	struct timespec ts[2];
	mode_t m;
	int r, worst = 0;

	*nost = false;
	if ((r = set_owner(ex, it, fd)) == -1)
		return -1;
	worst |= r;
	if (!link) {
		if ((r = set_xattrs(ex, it, fd)) == -1)
			return -1;
		worst |= r;
	}
	if ((fd != -1 ? fstat(fd, st) :
	    fstatat(it->pdir, it->name, st, AT_SYMLINK_NOFOLLOW)) == -1) {
		*nost = true;
		return trouble(ex, it->raw, N_("cannot stat"), errno) == -1 ?
		    -1 : 1;
	}
	/* Symbolic links have no mode of their own on Linux. */
	if (!link) {
		m = entry_mode(it->e, st);
		if (fd != -1)
			r = fchmod(fd, m);
		else {
			r = fchmodat(it->pdir, it->name, m,
			    AT_SYMLINK_NOFOLLOW);
			/*
			 * Without fchmodat2 the C library needs /proc for
			 * that; the node was just made by us and is not a
			 * link (fstatat said so).
			 */
			if (r == -1 && errno == EOPNOTSUPP)
				r = fchmodat(it->pdir, it->name, m, 0);
		}
		if (r == -1) {
			if ((r = trouble(ex, it->raw, N_("cannot set mode"),
			    errno)) == -1)
				return -1;
			worst |= r;
		} else
			st->st_mode = (st->st_mode & S_IFMT) | m;
	}
	entry_times(it->e, ts);
	if ((fd != -1 ? futimens(fd, ts) :
	    utimensat(it->pdir, it->name, ts, AT_SYMLINK_NOFOLLOW)) == -1) {
		if ((r = trouble(ex, it->raw, N_("cannot set times"), errno)) ==
		    -1)
			return -1;
		worst |= r;
	} else
		times_into(st, ts);
	return worst;
}

static int
write_at(int fd, const char *p, size_t n, off_t off)
{
	ssize_t w;

	while (n > 0) {
		if ((w = pwrite(fd, p, n, off)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		/* Nothing written, no error: the filesystem is full. */
		if (w == 0) {
			errno = ENOSPC;
			return -1;
		}
		p += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

static void
hash_zeros(struct hash *h, off_t n)
{
	static const char zeros[16384];
	size_t k;

	for (; n > 0; n -= (off_t)k) {
		k = n > (off_t)sizeof(zeros) ? sizeof(zeros) : (size_t)n;
		hash_update(h, zeros, k);
	}
}

/*
 * Write the entry's data blocks into fd at their offsets, leaving the gaps
 * between them as holes, and give the file its full size.  The hash covers
 * the holes as the zeros they read as; *hashed is false when the blocks
 * came out of order and it could not be kept.  Returns 0, 1 (reported) or
 * -1; *size is the final size.
 */
static int
write_data(struct ex *ex, struct item *it, int fd, off_t *size,
    unsigned char *hash, bool *hashed)
{
	struct hash h;
	const void *buf;
	size_t len;
	la_int64_t off;
	off_t pos = 0, end;
	bool inorder = true;
	int r;

	*hashed = false;
	if (hash_init(&h) == -1)
		return nomem(ex);
	for (;;) {
		r = archive_read_data_block(ex->a, &buf, &len, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			hash_free(&h);
			return archive_trouble(ex, it->raw, r);
		}
		/*
		 * Written before the gap is hashed: an offset no file can
		 * have fails here rather than after hashing its zeros.
		 */
		if (write_at(fd, buf, len, (off_t)off) == -1) {
			hash_free(&h);
			return trouble(ex, it->raw, N_("cannot write"), errno);
		}
		if (off < pos)
			inorder = false;
		else if (inorder) {
			hash_zeros(&h, (off_t)off - pos);
			hash_update(&h, buf, len);
		}
		if ((off_t)off + (off_t)len > pos)
			pos = (off_t)off + (off_t)len;
	}
	end = pos;
	if (archive_entry_size_is_set(it->e) && archive_entry_size(it->e) > end)
		end = (off_t)archive_entry_size(it->e);
	/* A hole at the end: only the size says it is there. */
	if (end > pos) {
		if (ftruncate(fd, end) == -1) {
			hash_free(&h);
			return trouble(ex, it->raw, N_("cannot write"), errno);
		}
		hash_zeros(&h, end - pos);
	}
	*size = end;
	if (inorder) {
		hash_final(&h, hash);
		*hashed = true;
	} else
		hash_free(&h);
	return 0;
}

/*
 * Fill the open new file fd (a hard link's name when link_target is set)
 * and report it.  The file is removed when its data cannot be written.
 * Returns 0, 1 or -1; fd is closed.
 */
static int
fill_file(struct ex *ex, struct item *it, int fd, const char *link_target)
{
	unsigned char hash[HASH_LEN];
	struct stat st;
	off_t size = 0;
	bool hashed, nost;
	int r, m;

	if ((r = write_data(ex, it, fd, &size, hash, &hashed)) != 0) {
		close(fd);
		if (link_target == NULL)
			(void)unlinkat(it->pdir, it->name, 0);
		return r;
	}
	if ((m = apply_meta(ex, it, fd, false, &st, &nost)) == -1) {
		close(fd);
		return -1;
	}
	if (close(fd) == -1 && (r = trouble(ex, it->raw, N_("cannot write"),
	    errno)) != 0)
		return r;
	if (nost)
		return m;
	st.st_size = size;
	if (seen_put(ex, st.st_dev, st.st_ino, hashed ? hash : NULL) == -1)
		return nomem(ex);
	tell(ex, it, &st, link_target, hashed ? hash : NULL);
	return m;
}

static int
make_file(struct ex *ex, struct item *it)
{
	bool kept;
	int fd, r;

	fd = openat(it->pdir, it->name, FILE_FLAGS, 0600);
	if (fd == -1 && errno == EEXIST) {
		if ((r = clear_way(ex, it, false, NULL, &kept)) != 0)
			return r;
		fd = openat(it->pdir, it->name, FILE_FLAGS, 0600);
	}
	if (fd == -1)
		return trouble(ex, it->raw, N_("cannot create"), errno);
	return fill_file(ex, it, fd, NULL);
}

/* Make the node; the link's text is data, never followed here. */
static int
new_node(struct item *it, mode_t type, const char *text)
{
	if (type == AE_IFLNK)
		return symlinkat(text, it->pdir, it->name);
	if (type == AE_IFIFO)
		return mkfifoat(it->pdir, it->name, 0600);
	return mknodat(it->pdir, it->name, type | 0600,
	    makedev(archive_entry_rdevmajor(it->e),
	    archive_entry_rdevminor(it->e)));
}

/* A symbolic link, FIFO or device node.  Returns 0, 1 or -1. */
static int
make_node(struct ex *ex, struct item *it)
{
	const char *text = NULL;
	struct stat st;
	mode_t type = archive_entry_filetype(it->e);
	bool kept, nost;
	int r;

	if (type == AE_IFLNK &&
	    (text = archive_entry_symlink(it->e)) == NULL)
		return trouble(ex, it->raw, N_("symbolic link without a target"),
		    0);
	r = new_node(it, type, text);
	if (r == -1 && errno == EEXIST) {
		if ((r = clear_way(ex, it, false, NULL, &kept)) != 0)
			return r;
		r = new_node(it, type, text);
	}
	if (r == -1)
		return trouble(ex, it->raw, N_("cannot create"), errno);
	if ((r = apply_meta(ex, it, -1, type == AE_IFLNK, &st, &nost)) == -1)
		return -1;
	if (!nost)
		tell(ex, it, &st, text, NULL);
	return r;
}

/*
 * Owner and extended attributes now, for the directory open as fd; its mode
 * and times are noted for the end.  Returns 0, 1 or -1.
 */
static int
dir_meta(struct ex *ex, struct item *it, int fd)
{
	struct timespec ts[2];
	struct stat st;
	mode_t m;
	int r, worst = 0;

	if ((r = set_owner(ex, it, fd)) == -1)
		return -1;
	worst |= r;
	if ((r = set_xattrs(ex, it, fd)) == -1)
		return -1;
	worst |= r;
	if (fstat(fd, &st) == -1)
		return trouble(ex, it->raw, N_("cannot stat"), errno);
	m = entry_mode(it->e, &st);
	entry_times(it->e, ts);
	if (dir_note(ex, it->rel, strlen(it->rel), DIR_EXPLICIT, m, ts) == -1)
		return nomem(ex);
	st.st_mode = S_IFDIR | m;
	times_into(&st, ts);
	tell(ex, it, &st, NULL, NULL);
	return worst;
}

static int
make_dir(struct ex *ex, struct item *it)
{
	bool kept;
	int fd, r;

	if (mkdirat(it->pdir, it->name, 0700) == -1) {
		if (errno != EEXIST)
			return trouble(ex, it->raw, N_("cannot make directory"),
			    errno);
		if ((r = clear_way(ex, it, true, NULL, &kept)) != 0)
			return r;
		if (!kept && mkdirat(it->pdir, it->name, 0700) == -1)
			return trouble(ex, it->raw, N_("cannot make directory"),
			    errno);
	}
	if ((fd = openat(it->pdir, it->name, DIR_FLAGS)) == -1)
		return trouble(ex, it->raw, N_("cannot open directory"), errno);
	r = dir_meta(ex, it, fd);
	close(fd);
	return r;
}

/* linkat, making room first when something is in the way. */
static int
link_in(struct ex *ex, struct item *it, int tdir, const char *tname,
    const struct stat *tst)
{
	bool kept;
	int r;

	if (linkat(tdir, tname, it->pdir, it->name, 0) == 0)
		return 0;
	if (errno == EEXIST) {
		if ((r = clear_way(ex, it, false, tst, &kept)) != 0 || kept)
			return r;
		if (linkat(tdir, tname, it->pdir, it->name, 0) == 0)
			return 0;
	}
	return trouble(ex, it->raw, N_("cannot make hard link"), errno);
}

/*
 * A hard link: its target is cleaned like any name and must be a regular
 * file already in the tree, reached without following a symbolic link.
 * Returns 0, 1 or -1.
 */
static int
make_hardlink(struct ex *ex, struct item *it, const char *hl)
{
	struct stat tst, st;
	const char *why, *tname;
	char *tpath, *trel, *slash;
	int tdir, fd, r = 0;

	if ((tpath = extract_clean_path(hl, &why)) == NULL)
		return why == NULL ? nomem(ex) : trouble(ex, it->raw,
		    N_("hard link target is outside the tree"), 0);
	trel = rel_of(tpath);
	tdir = ex->root;
	tname = trel;
	if (*trel == '\0')
		r = trouble(ex, it->raw, N_("hard link to a directory"), 0);
	else if ((slash = strrchr(trel, '/')) != NULL) {
		tname = slash + 1;
		if ((tdir = beneath(ex, ex->root, trel, 0,
		    (size_t)(slash - trel), false, &why)) == -1)
			r = trouble(ex, it->raw, errno == ENOENT ?
			    NO_TARGET : NOT_REGULAR, errno);
	}
	if (r != 0)
		goto out;
	if (fstatat(tdir, tname, &tst, AT_SYMLINK_NOFOLLOW) == -1)
		r = trouble(ex, it->raw, errno == ENOENT ? NO_TARGET :
		    N_("cannot stat hard link target"), errno);
	else if (!S_ISREG(tst.st_mode))
		r = trouble(ex, it->raw, NOT_REGULAR, 0);
	else if ((it->pdir = parent_of(ex, it->rel, true, &it->name, &why)) ==
	    -1)
		r = trouble(ex, it->raw, why, errno);
	else
		r = link_in(ex, it, tdir, tname, &tst);
	if (r != 0)
		goto out;
	/* cpio and some tar writers put the data on a later link. */
	if (archive_entry_size_is_set(it->e) && archive_entry_size(it->e) > 0) {
		fd = openat(it->pdir, it->name,
		    O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
		if (fd == -1)
			r = trouble(ex, it->raw, N_("cannot open"), errno);
		else
			r = fill_file(ex, it, fd, tpath);
	} else if (fstatat(it->pdir, it->name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		r = trouble(ex, it->raw, N_("cannot stat"), errno);
	else
		tell(ex, it, &st, tpath, seen_get(ex, st.st_dev, st.st_ino));
out:
	if (tdir != ex->root && tdir != -1)
		close(tdir);
	free(tpath);
	return r;
}

/* The "./" entry: only the root's own metadata.  Returns 0, 1 or -1. */
static int
make_root(struct ex *ex, struct item *it)
{
	if (archive_entry_hardlink(it->e) != NULL ||
	    archive_entry_filetype(it->e) != AE_IFDIR)
		return trouble(ex, it->raw, N_("the root can only be a "
		    "directory"), 0);
	return dir_meta(ex, it, ex->root);
}

/* Make one entry.  Returns 0 (made or reported) or -1 when it must stop. */
static int
one_entry(struct ex *ex, struct archive_entry *e)
{
	struct item it;
	const char *why, *hl;
	int r;

	memset(&it, 0, sizeof(it));
	it.e = e;
	if ((it.raw = archive_entry_pathname(e)) == NULL &&
	    (it.raw = archive_entry_pathname_utf8(e)) == NULL)
		return trouble(ex, "?", N_("entry without a name"), 0) < 0 ?
		    -1 : 0;
	if ((it.path = extract_clean_path(it.raw, &why)) == NULL)
		return (why == NULL ? nomem(ex) : trouble(ex, it.raw, why,
		    0)) < 0 ? -1 : 0;
	it.rel = rel_of(it.path);
	hl = archive_entry_hardlink(e);
	if (*it.rel == '\0')
		r = make_root(ex, &it);
	else if (hl != NULL)
		r = make_hardlink(ex, &it, hl);
	else {
		switch (archive_entry_filetype(e)) {
		case AE_IFSOCK:
			r = trouble(ex, it.raw, N_("socket skipped"), 0);
			goto done;
		case AE_IFCHR:
		case AE_IFBLK:
			if (!ex->opts.devices) {
				r = trouble(ex, it.raw,
				    N_("device node skipped (not root)"), 0);
				goto done;
			}
			break;
		case AE_IFREG:
		case AE_IFDIR:
		case AE_IFLNK:
		case AE_IFIFO:
			break;
		default:
			r = trouble(ex, it.raw, N_("unknown file type"), 0);
			goto done;
		}
		if ((it.pdir = parent_of(ex, it.rel, true, &it.name, &why)) ==
		    -1)
			r = trouble(ex, it.raw, why, errno);
		else if (archive_entry_filetype(e) == AE_IFREG)
			r = make_file(ex, &it);
		else if (archive_entry_filetype(e) == AE_IFDIR)
			r = make_dir(ex, &it);
		else
			r = make_node(ex, &it);
	}
done:
	free(it.path);
	return r < 0 ? -1 : 0;
}

/* Deepest first; one path's records in the order they were made. */
static int
dir_order(const void *va, const void *vb)
{
	const struct dir_fix *a = va, *b = vb;
	int c;

	if (a->depth != b->depth)
		return a->depth > b->depth ? -1 : 1;
	if ((c = strcmp(a->path, b->path)) != 0)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* A directory's final mode and times.  Returns 0, 1 or -1. */
static int
fix_dir(struct ex *ex, struct dir_fix *d)
{
	const char *name, *why;
	int pdir, fd = ex->root, r = 0;

	if (d->depth > 0) {
		if ((pdir = parent_of(ex, rel_of(d->path), false, &name,
		    &why)) == -1)
			/* parent_of() sets why whenever it returns -1. */
			/* NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage) */
			return trouble(ex, d->path, why, errno);
		if ((fd = openat(pdir, name, DIR_FLAGS)) == -1)
			return trouble(ex, d->path, N_("cannot open directory"),
			    errno);
	}
	if (fchmod(fd, d->mode) == -1)
		r = trouble(ex, d->path, N_("cannot set mode"), errno);
	if (r >= 0 && d->kind == DIR_EXPLICIT && futimens(fd, d->ts) == -1)
		r = trouble(ex, d->path, N_("cannot set times"), errno);
	if (fd != ex->root)
		close(fd);
	return r;
}

static int
finish_dirs(struct ex *ex)
{
	size_t i, j;

	if (ex->ndirs > 0)
		qsort(ex->dirs, ex->ndirs, sizeof(*ex->dirs), dir_order);
	for (i = 0; i < ex->ndirs; i = j) {
		for (j = i + 1; j < ex->ndirs &&
		    strcmp(ex->dirs[j].path, ex->dirs[i].path) == 0; j++)
			;
		if (ex->dirs[j - 1].kind != DIR_GONE &&
		    fix_dir(ex, &ex->dirs[j - 1]) == -1)
			return -1;
	}
	return 0;
}

int
extract_archive(const char *path, int root_fd,
    const struct extract_opts *opts, const struct extract_ops *ops,
    char *errbuf, size_t errlen)
{
	struct archive_entry *e;
	struct ex ex;
	size_t i;
	int r, rc = 0, err;

	memset(&ex, 0, sizeof(ex));
	ex.root = root_fd;
	ex.cfd = -1;
	if (opts != NULL)
		ex.opts = *opts;
	ex.ops = ops;
	ex.errbuf = errbuf;
	ex.errlen = errbuf != NULL ? errlen : 0;
	if (ex.errlen > 0)
		errbuf[0] = '\0';
	if ((ex.a = archive_read_new()) == NULL)
		return nomem(&ex);
	archive_read_support_filter_all(ex.a);
	archive_read_support_format_all(ex.a);
	if (archive_read_open_filename(ex.a, path, READ_BLOCK) != ARCHIVE_OK)
		rc = archive_trouble(&ex, path, ARCHIVE_FATAL);
	while (rc == 0) {
		r = archive_read_next_header(ex.a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r == ARCHIVE_OK || r == ARCHIVE_WARN)
			rc = one_entry(&ex, e);
		else if (r == ARCHIVE_RETRY || r == ARCHIVE_FAILED)
			/* A damaged header, skipped: report it and go on. */
			rc = archive_trouble(&ex, path != NULL ? path : "-",
			    r) < 0 ? -1 : 0;
		else
			rc = archive_trouble(&ex, NULL, ARCHIVE_FATAL);
	}
	if (rc == 0)
		rc = finish_dirs(&ex);
	err = errno;
	archive_read_free(ex.a);
	for (i = 0; i < ex.ndirs; i++)
		free(ex.dirs[i].path);
	free(ex.dirs);
	free(ex.seen);
	free(ex.cpath);
	if (ex.cfd != -1)
		close(ex.cfd);
	if (rc == -1) {
		errno = err;
		return -1;
	}
	return ex.failed ? 1 : 0;
}
