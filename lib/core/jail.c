/*
 * Jails: making them from a template (snapshot, clones, shared hard links
 * or copies, through the runner and the subvolume backend), their records
 * (the template's manifest merged with the strategies the runner used and
 * the overrides written), and the commands that read them.  Inside an
 * existing jail every path is resolved beneath its root without following
 * a symlink, so nothing a jail holds can point a command elsewhere.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/btrfs.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backends/backend.h"
#include "backends/extract.h"
#include "core/census.h"
#include "core/afile.h"
#include "core/hash.h"
#include "core/jail.h"
#include "core/manifest.h"
#include "core/meta.h"
#include "core/nls.h"
#include "core/record.h"
#include "core/run.h"
#include "core/scan.h"
#include "core/verify.h"
#include "core/walk.h"

#define META_DIR	".jailclone"
#define PARTIAL		"partial"
#define CONF		"jail.conf"
#define MANIFEST	"manifest.xcpm"
#define BASE		"base.xcpm"

/* qsort(3), which must not be given a null array even when empty. */
static void
sort_any(void *v, size_t n, size_t size, int (*cmp)(const void *,
    const void *))
{
	if (n > 1)
		qsort(v, n, size, cmp);
}

static const char *const mode_names[] = {
	[JAIL_AUTO] = "auto",
	[JAIL_SNAPSHOT] = "snapshot",
	[JAIL_REFLINK] = "reflink",
	[JAIL_HARDLINK] = "hardlink",
	[JAIL_COPY] = "copy",
};

static const char *const kind_names[] = {
	[JAIL_TEMPLATE_DIR] = "dir",
	[JAIL_TEMPLATE_SUBVOLUME] = "subvolume",
	[JAIL_TEMPLATE_ARCHIVE] = "archive",
};

/*
 * The array v of *alloc elements of size bytes, n of them used, with room
 * for one more: the same, or grown (to first, then twice as many).
 * Returns it, or NULL with errno ENOMEM and v and *alloc as they were.
 */
static void *
grow(void *v, size_t *alloc, size_t n, size_t size, size_t first)
{
	void *nv;
	size_t na;

	if (n < *alloc)
		return v;
	na = *alloc ? 2 * *alloc : first;
	if ((nv = reallocarray(v, na, size)) == NULL)
		return NULL;
	*alloc = na;
	return nv;
}

const char *
jail_mode_name(enum jail_mode m)
{
	return (unsigned)m <= JAIL_COPY ? mode_names[m] : "?";
}

int
jail_path_clean(char *path)
{
	char *r = path, *w = path, *end;
	size_t n;

	while (*r != '\0') {
		while (*r == '/')
			r++;
		if ((end = strchr(r, '/')) == NULL)
			end = r + strlen(r);
		n = (size_t)(end - r);
		if (n == 2 && r[0] == '.' && r[1] == '.')
			return -1;
		if (n > 0 && !(n == 1 && r[0] == '.')) {
			if (w != path)
				*w++ = '/';
			memmove(w, r, n);
			w += n;
		}
		r = end;
	}
	*w = '\0';
	return w == path ? -1 : 0;
}

int
jail_mode_parse(const char *s)
{
	int i;

	for (i = JAIL_AUTO; i <= JAIL_COPY; i++)
		if (strcmp(s, mode_names[i]) == 0)
			return i;
	return -1;
}

static void
say(const struct jail_ops *ops, enum jail_err kind, int err,
    const char *jail, const char *path, const char *detail)
{
	struct jail_event ev = { kind, err, jail, path, detail };

	ops->report(ops->arg, &ev);
}

/*
 * Open path beneath the directory rootfd without following any symlink
 * and without leaving its filesystem: openat2 where the kernel has it,
 * else one component at a time with O_NOFOLLOW.  Returns an fd or -1.
 */
static int
beneath(int rootfd, const char *path, int flags)
{
	struct open_how how;
	char *copy, *p, *next;
	int fd, nfd;
	long r;

	while (path[0] == '.' && path[1] == '/')
		path += 2;
	if (*path == '\0' || strcmp(path, ".") == 0)
		path = ".";
	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW);
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
	    RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
	r = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	if (r >= 0 || errno != ENOSYS)
		return (int)r;
	if ((copy = strdup(path)) == NULL)
		return -1;
	fd = dup(rootfd);
	for (p = copy; fd != -1 && p != NULL; p = next) {
		if ((next = strchr(p, '/')) != NULL)
			*next++ = '\0';
		if (*p == '\0' || strcmp(p, ".") == 0)
			continue;
		if (strcmp(p, "..") == 0) {
			close(fd);
			fd = -1;
			errno = EXDEV;
			break;
		}
		nfd = openat(fd, p, next != NULL ? O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC : flags | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = nfd;
	}
	free(copy);
	return fd;
}

/*
 * Split path into its directory ("." or "/" at the ends) and its last
 * component, both malloc'd, trailing slashes dropped.  Returns 0 or -1.
 */
static int
split(const char *path, char **dir, char **name)
{
	size_t n = strlen(path), k;

	while (n > 1 && path[n - 1] == '/')
		n--;
	for (k = n; k > 0 && path[k - 1] != '/'; k--)
		;
	*name = strndup(path + k, n - k);
	if (k == 0)
		*dir = strdup(".");
	else {
		while (k > 1 && path[k - 1] == '/')
			k--;
		*dir = strndup(path, k);
	}
	if (*name == NULL || *dir == NULL) {
		free(*name);
		free(*dir);
		return -1;
	}
	return 0;
}

/* A jail's place: its directory, name and records. */
struct place {
	const char	*jail;		/* as given */
	char		*dir;
	char		 name[NAME_MAX + 1];
	int		 dfd;		/* dir */
	int		 mfd;		/* dir/.jailclone */
	int		 jfd;		/* dir/.jailclone/name */
	int		 lock;
};

static void
place_close(struct place *p)
{
	if (p->jfd >= 0)
		close(p->jfd);
	if (p->mfd >= 0)
		close(p->mfd);
	if (p->dfd >= 0)
		close(p->dfd);
	if (p->lock >= 0)
		close(p->lock);	/* and the lock goes */
	free(p->dir);
	p->dir = NULL;
	p->dfd = p->mfd = p->jfd = p->lock = -1;
}

/*
 * Find a jail's place, making its records' directory when make is set,
 * and lock it.  Returns 0, or -1 after reporting.
 */
/* How a command locks a jail: writers alone, readers together. */
enum { JLOCK_NONE, JLOCK_TRY, JLOCK_WAIT, JLOCK_READ, JLOCK_READ_WAIT };

static int
place_open(struct place *p, const char *jail, bool make, int lockmode,
    const struct jail_ops *ops)
{
	char lock[NAME_MAX + 8], *name = NULL;

	memset(p, 0, sizeof(*p));
	p->jail = jail;
	p->dfd = p->mfd = p->jfd = p->lock = -1;
	if (split(jail, &p->dir, &name) == -1) {
		say(ops, JE_NOMEM, ENOMEM, jail, NULL, NULL);
		return -1;
	}
	if (*name == '\0' || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0 || strcmp(name, "/") == 0 ||
	    strlen(name) > NAME_MAX - 8 || strcmp(name, META_DIR) == 0) {
		say(ops, JE_NOT_JAIL, EINVAL, jail, NULL, NULL);
		free(name);
		goto fail;
	}
	snprintf(p->name, sizeof(p->name), "%s", name);
	free(name);
	p->dfd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->dfd == -1) {
		/* The directory the jail is in: named itself. */
		say(ops, JE_READ, errno, NULL, p->dir, NULL);
		goto fail;
	}
	if (make && mkdirat(p->dfd, META_DIR, 0700) == -1 && errno != EEXIST) {
		say(ops, JE_RECORDS, errno, jail, NULL, NULL);
		goto fail;
	}
	p->mfd = openat(p->dfd, META_DIR, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC);
	if (p->mfd == -1) {
		say(ops, make ? JE_RECORDS : JE_NOT_JAIL, errno, jail, NULL,
		    NULL);
		goto fail;
	}
	snprintf(lock, sizeof(lock), "%s.lock", p->name);
	if (lockmode != JLOCK_NONE && ((p->lock = openat(p->mfd, lock,
	    O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)) == -1 ||
	    flock(p->lock, (lockmode >= JLOCK_READ ? LOCK_SH : LOCK_EX) |
	    (lockmode == JLOCK_WAIT || lockmode == JLOCK_READ_WAIT ? 0 :
	    LOCK_NB)) == -1)) {
		say(ops, errno == EWOULDBLOCK ? JE_LOCKED : JE_RECORDS, errno,
		    jail, NULL, NULL);
		goto fail;
	}
	if (make && mkdirat(p->mfd, p->name, 0700) == -1 && errno != EEXIST) {
		say(ops, JE_RECORDS, errno, jail, NULL, NULL);
		goto fail;
	}
	p->jfd = openat(p->mfd, p->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (p->jfd == -1) {
		say(ops, make ? JE_RECORDS : JE_NOT_JAIL, errno, jail, NULL,
		    NULL);
		goto fail;
	}
	return 0;
fail:
	place_close(p);
	return -1;
}

static int	remove_any(int, const char *);

/* The jail's root, opened beneath its directory without following it. */
static int
open_root(const struct place *p)
{
	return openat(p->dfd, p->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
}

/*
 * The records' directory of a jail that was not made goes, unless it
 * holds a jail's configuration (the path given was a jail already).
 */
static void
place_discard(struct place *p)
{
	if (p->jfd < 0 || faccessat(p->jfd, CONF, F_OK,
	    AT_SYMLINK_NOFOLLOW) == 0)
		return;
	(void)remove_any(p->jfd, PARTIAL);
	(void)unlinkat(p->jfd, MANIFEST, 0);
	(void)unlinkat(p->jfd, BASE, 0);
	(void)unlinkat(p->mfd, p->name, AT_REMOVEDIR);
}

/* A path below the records' directory, for the manifest functions. */
static char *
meta_path(const struct place *p, const char *file)
{
	char *s;

	if (asprintf(&s, "%s/%s/%s/%s", p->dir, META_DIR, p->name,
	    file) == -1)
		return NULL;
	return s;
}

/*
 * Remove the tree name in dirfd, not following symlinks and not leaving
 * the mount mnt: a btrfs subvolume below goes at once; anything mounted
 * below stops it (EBUSY, *mounted set).
 */
static int
remove_file(int dirfd, const char *name, const struct stat *st)
{
	struct stat ost;
	unsigned flags;
	int fd;

	if (unlinkat(dirfd, name, 0) == 0)
		return 0;
	if (errno != EPERM || !S_ISREG(st->st_mode) || st->st_nlink != 1)
		return errno == ENOENT ? 0 : -1;
	/*
	 * Immutable or append-only, and its only name: clear the flags.  A
	 * file with other names (a hard link to the template) keeps them,
	 * and its name here stays.
	 */
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	if (fstat(fd, &ost) == 0 && ost.st_ino == st->st_ino &&
	    ost.st_dev == st->st_dev && S_ISREG(ost.st_mode) &&
	    ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0) {
		flags &= ~(unsigned)(FS_IMMUTABLE_FL | FS_APPEND_FL);
		(void)ioctl(fd, FS_IOC_SETFLAGS, &flags);
	}
	close(fd);
	return unlinkat(dirfd, name, 0);
}

/*
 * Open the directory name in dirfd for removal: not another mount
 * (EBUSY, *mounted set), its immutable and append-only flags cleared.
 * A btrfs subvolume is deleted at once: then -1 with errno 0.
 */
static int
open_for_removal(int dirfd, const char *name, uint64_t mnt, bool *mounted)
{
	struct statx sx;
	unsigned flags;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_DIRECTORY |
	    O_CLOEXEC);
	if (fd == -1)
		return -1;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &sx) == 0 &&
	    (sx.stx_mask & STATX_MNT_ID) && sx.stx_mnt_id != mnt) {
		close(fd);
		*mounted = true;
		errno = EBUSY;
		return -1;
	}
	/* An immutable directory keeps its entries: cleared first. */
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 &&
	    (flags & (FS_IMMUTABLE_FL | FS_APPEND_FL))) {
		flags &= ~(unsigned)(FS_IMMUTABLE_FL | FS_APPEND_FL);
		(void)ioctl(fd, FS_IOC_SETFLAGS, &flags);
	}
	if (backend_subvolume.is_subvolume(fd) &&
	    backend_subvolume.destroy(dirfd, name) == 0) {
		close(fd);
		errno = 0;
		return -1;
	}
	return fd;
}

/* One directory on the way down: its name in its parent, its listing. */
struct rm_level {
	char		*name;		/* NULL for the top */
	dev_t		 dev;		/* itself, to come back up to */
	ino_t		 ino;
	struct walk_dir	 list;
	size_t		 next;
	bool		 failed;	/* something in it stays */
};

/*
 * Remove the tree name in dirfd, not following symlinks and not leaving
 * the mount mnt: a btrfs subvolume below goes at once; anything mounted
 * below stops it (EBUSY, *mounted set).  However deep the tree, two
 * descriptors at most are open: the walk goes back up through "..",
 * checked against the directory it came from.
 */
static int
remove_beneath(int dirfd, const char *name, uint64_t mnt, bool *mounted)
{
	struct rm_level *lv = NULL, *top, *nl;
	struct stat st;
	size_t n = 0, alloc = 0;
	char *entering = NULL;
	const char *child;
	int fd, cfd, pfd, ret = 0;

	if (walk_stat(dirfd, name, false, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return remove_file(dirfd, name, &st);
	if ((fd = open_for_removal(dirfd, name, mnt, mounted)) == -1)
		return errno == 0 ? 0 : -1;
	for (;;) {
		/* Enter the directory open as fd. */
		if (n == alloc) {
			alloc = alloc ? 2 * alloc : 16;
			if ((nl = reallocarray(lv, alloc, sizeof(*nl))) ==
			    NULL) {
				ret = -1;
				goto out;
			}
			lv = nl;
		}
		top = &lv[n];
		memset(top, 0, sizeof(*top));
		top->name = entering;
		entering = NULL;
		n++;
		if (fstat(fd, &st) == -1 || walk_list(fd, &top->list) == -1) {
			ret = -1;
			goto out;
		}
		top->dev = st.st_dev;
		top->ino = st.st_ino;
		/* Remove what is in it, down into its next subdirectory. */
		for (;;) {
			top = &lv[n - 1];
			cfd = -1;
			while (cfd == -1 && top->next < top->list.n) {
				child = top->list.names[top->next++];
				if (walk_stat(fd, child, false, &st) == -1)
					continue;
				if (!S_ISDIR(st.st_mode)) {
					if (remove_file(fd, child, &st) == -1)
						top->failed = true;
					continue;
				}
				cfd = open_for_removal(fd, child, mnt,
				    mounted);
				if (cfd == -1 && errno != 0)
					top->failed = true;
			}
			if (cfd != -1) {
				if ((entering = strdup(child)) == NULL) {
					close(cfd);
					ret = -1;
					goto out;
				}
				close(fd);
				fd = cfd;
				break;
			}
			/* Done with this level: up, and remove it. */
			walk_list_free(&top->list);
			memset(&top->list, 0, sizeof(top->list));
			if (n == 1) {
				close(fd);
				fd = -1;
				if (top->failed || unlinkat(dirfd, name,
				    AT_REMOVEDIR) == -1)
					ret = -1;
				goto out;
			}
			pfd = walk_reopen_parent(fd, lv[n - 2].dev,
			    lv[n - 2].ino);
			close(fd);
			if ((fd = pfd) == -1) {
				ret = -1;
				goto out;
			}
			if (top->failed || unlinkat(fd, top->name,
			    AT_REMOVEDIR) == -1)
				lv[n - 2].failed = true;
			free(top->name);
			top->name = NULL;
			n--;
		}
	}
out:
	if (fd != -1)
		close(fd);
	free(entering);
	while (n > 0) {
		n--;
		walk_list_free(&lv[n].list);
		free(lv[n].name);
	}
	free(lv);
	return ret;
}

/* Remove name in dirfd (something of ours): not leaving its mount. */
static int
remove_any(int dirfd, const char *name)
{
	struct statx sx;
	bool mounted = false;

	if (statx(dirfd, name, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &sx) == -1)
		return errno == ENOENT ? 0 : -1;
	return remove_beneath(dirfd, name, sx.stx_mnt_id, &mounted);
}

/*
 * Remove what an interrupted run left in a jail's records directory: its
 * partial tree and the temporaries the runner builds it under.
 */
static void
clear_leftovers(int jfd)
{
	struct walk_dir d;
	size_t i;

	(void)remove_any(jfd, PARTIAL);
	if (walk_list(jfd, &d) == -1)
		return;
	for (i = 0; i < d.n; i++)
		if (strncmp(d.names[i], ".xcp-", 5) == 0 ||
		    strncmp(d.names[i], ".jailclone-", 11) == 0)
			(void)remove_any(jfd, d.names[i]);
	walk_list_free(&d);
}

static uint64_t
str_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/*
 * Records by path: a manifest read whole (update), or what the runner
 * reported of each entry (create).
 */
struct held {
	char		*path;
	char		*target;
	char		 strategy[32];
	struct manifest_record rec;
	bool		 seen;		/* update: in the new template too */
};

struct held_map {
	struct held	*v;		/* open addressing by path */
	size_t		 n;
	size_t		 alloc;
};

static struct held *
held_slot(const struct held_map *m, const char *path)
{
	size_t i;

	for (i = (size_t)str_hash(path) & (m->alloc - 1);
	    m->v[i].path != NULL; i = (i + 1) & (m->alloc - 1))
		if (strcmp(m->v[i].path, path) == 0)
			break;
	return &m->v[i];
}

static struct held *
held_get(const struct held_map *m, const char *path)
{
	struct held *h;

	if (m->alloc == 0)
		return NULL;
	h = held_slot(m, path);
	return h->path != NULL ? h : NULL;
}

static void
held_free(struct held_map *m)
{
	size_t i;

	for (i = 0; i < m->alloc; i++) {
		free(m->v[i].path);
		free(m->v[i].target);
	}
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* Copy a record so that it outlives the reader. */
static int
held_fill(struct held *h, const struct manifest_record *r)
{
	memset(h, 0, sizeof(*h));
	h->rec = *r;
	h->path = strdup(r->path);
	h->target = r->target ? strdup(r->target) : NULL;
	if (h->path == NULL || (r->target != NULL && h->target == NULL)) {
		free(h->path);
		free(h->target);
		return -1;
	}
	snprintf(h->strategy, sizeof(h->strategy), "%s",
	    r->strategy ? r->strategy : "-");
	h->rec.path = h->path;
	h->rec.target = h->target;
	h->rec.strategy = h->strategy;
	return 0;
}

/* Add a copy of r (a path already there keeps its first record). */
static int
held_put(struct held_map *m, const struct manifest_record *r)
{
	struct held *old, *h;
	size_t na, i;

	if (2 * (m->n + 1) > m->alloc) {
		old = m->v;
		na = m->alloc;
		m->alloc = m->alloc ? 2 * m->alloc : 1024;
		if ((m->v = calloc(m->alloc, sizeof(*m->v))) == NULL) {
			m->v = old;
			m->alloc = na;
			errno = ENOMEM;
			return -1;
		}
		for (i = 0; i < na; i++)
			if (old[i].path != NULL) {
				h = held_slot(m, old[i].path);
				*h = old[i];
				/* The record points at its own copy's name. */
				h->rec.strategy = h->strategy;
			}
		free(old);
	}
	h = held_slot(m, r->path);
	if (h->path != NULL)
		return 0;
	if (held_fill(h, r) == -1)
		return -1;
	m->n++;
	return 0;
}

/* One jail being made. */
struct making {
	const struct jail_create_opts *o;
	const struct jail_ops *ops;
	struct place	 p;
	struct held_map	 seen;		/* what the runner made */
	int		 seen_err;
	char		*root;		/* the partial tree's path */
	enum jail_mode	 mode;		/* the mode used */
	unsigned	 copy_errors;
	bool		 made;		/* complete, to be named */
};

static void
run_report(void *arg, const struct run_event *ev)
{
	struct making *mk = arg;

	mk->copy_errors++;
	say(mk->ops, JE_COPY, ev->err, mk->p.jail, ev->dst ? ev->dst : ev->src,
	    NULL);
}

static char
type_of(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG:
		return 'f';
	case S_IFDIR:
		return 'd';
	case S_IFLNK:
		return 'l';
	case S_IFIFO:
		return 'p';
	case S_IFSOCK:
		return 's';
	case S_IFCHR:
		return 'c';
	case S_IFBLK:
		return 'b';
	}
	return '?';
}

static void
run_record(void *arg, const struct record *rec)
{
	struct making *mk = arg;
	struct manifest_record r;
	char *path;
	const char *rel;

	if (rec->post || mk->seen_err != 0)
		return;
	if (strncmp(rec->dst, mk->root, strlen(mk->root)) != 0)
		return;
	rel = rec->dst + strlen(mk->root);
	while (*rel == '/')
		rel++;
	if (asprintf(&path, "%s%s", *rel ? "./" : ".", rel) == -1) {
		mk->seen_err = ENOMEM;
		return;
	}
	memset(&r, 0, sizeof(r));
	r.type = type_of(rec->st->st_mode);
	r.mode = rec->st->st_mode & 07777;
	r.uid = rec->st->st_uid;
	r.gid = rec->st->st_gid;
	r.size = (uint64_t)rec->st->st_size;
	r.mtime = rec->st->st_mtim;
	r.strategy = policy_strategy_name(rec->strategy);
	r.path = path;
	if (held_put(&mk->seen, &r) == -1)
		mk->seen_err = ENOMEM;
	free(path);
}


/* Whether what the runner saw of the source is what the template had. */
static bool
seen_matches(const struct manifest_record *s, const struct manifest_record *r)
{
	if (r->type == 'h' ? s->type != 'f' : s->type != r->type)
		return false;
	if (s->mode != r->mode || s->uid != r->uid || s->gid != r->gid)
		return false;
	if (r->type == 'f' && s->size != r->size)
		return false;
	/* A directory's time changes as it is read; files must not. */
	return r->type == 'd' || r->type == 'l' ||
	    (s->mtime.tv_sec == r->mtime.tv_sec &&
	    s->mtime.tv_nsec == r->mtime.tv_nsec);
}

/* An override as written in the jail, and its record. */
struct written {
	char		*path;		/* "./etc/hostname" */
	struct manifest_record rec;
};

static int
written_cmp(const void *a, const void *b)
{
	return scan_pathcmp(((const struct written *)a)->path,
	    ((const struct written *)b)->path);
}

static int	put_override(int, const struct jail_override *,
		    struct written *);

/* The text with each %n replaced by name and %% by %. */
static char *
expand(const char *s, size_t len, const char *name, size_t *out)
{
	size_t i, n = 0, k = strlen(name);
	char *r;

	for (i = 0; i < len; i++)
		n += s[i] == '%' && i + 1 < len && s[i + 1] == 'n' ? k : 1;
	if ((r = malloc(n + 1)) == NULL)
		return NULL;
	for (i = n = 0; i < len; i++) {
		if (s[i] == '%' && i + 1 < len && (s[i + 1] == 'n' ||
		    s[i + 1] == '%')) {
			if (s[++i] == 'n') {
				memcpy(r + n, name, k);
				n += k;
			} else
				r[n++] = '%';
		} else
			r[n++] = s[i];
	}
	r[n] = '\0';
	*out = n;
	return r;
}

/*
 * Write one override into the jail at root (its text with %n the jail's
 * name): a new file renamed over whatever is there, even a symlink.
 */
static int
write_override(int rootfd, const struct jail_override *given,
    const char *jname, struct written *w)
{
	struct jail_override copy = *given, *ov = &copy;
	char *text = NULL;
	int rc;

	if (given->content != NULL && (text = expand(given->content,
	    given->len, jname, &copy.len)) == NULL)
		return -1;
	copy.content = text;
	rc = put_override(rootfd, ov, w);
	free(text);
	return rc;
}

/* Write one override into the jail at root: a new file renamed over. */
static int
put_override(int rootfd, const struct jail_override *ov, struct written *w)
{
	char tmp[64], *dir = NULL, *name = NULL, buf[65536];
	struct timespec ts[2];
	struct stat dst, pst;
	struct hash h;
	ssize_t n;
	int dfd = -1, fd = -1, src = -1, e;
	size_t off;

	if (split(ov->path, &dir, &name) == -1)
		return -1;
	if (*name == '\0' || strcmp(name, "..") == 0 ||
	    strcmp(name, ".") == 0 || strcmp(name, "/") == 0) {
		free(dir);
		free(name);
		errno = EINVAL;
		return -1;
	}
	dfd = beneath(rootfd, dir[0] == '/' ? dir + 1 : dir,
	    O_RDONLY | O_DIRECTORY);
	free(dir);
	if (dfd == -1) {
		free(name);
		return -1;
	}
	if (fstat(dfd, &pst) == -1)
		goto fail;
	if (ov->from != NULL && (src = open(ov->from, O_RDONLY | O_NOCTTY |
	    O_CLOEXEC)) == -1)
		goto fail;
	snprintf(tmp, sizeof(tmp), ".jailclone-%ld.tmp", (long)getpid());
	(void)unlinkat(dfd, tmp, 0);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	if (fd == -1 || hash_init(&h) == -1)
		goto fail;
	if (src == -1) {
		for (off = 0; off < ov->len; off += (size_t)n)
			if ((n = write(fd, ov->content + off,
			    ov->len - off)) <= 0)
				goto fail_hash;
		hash_update(&h, ov->content, ov->len);
	} else {
		while ((n = read(src, buf, sizeof(buf))) > 0) {
			hash_update(&h, buf, (size_t)n);
			for (off = 0; off < (size_t)n; off += (size_t)e)
				if ((e = (int)write(fd, buf + off,
				    (size_t)n - off)) <= 0)
					goto fail_hash;
		}
		if (n == -1)
			goto fail_hash;
	}
	hash_final(&h, w->rec.hash);
	w->rec.has_hash = true;
	if (fchown(fd, 0, 0) == -1 && geteuid() == 0)
		goto fail;
	if (fsync(fd) == -1 || fstat(fd, &dst) == -1 ||
	    renameat(dfd, tmp, dfd, name) == -1)
		goto fail;
	/* The directory keeps the template's times. */
	ts[0] = pst.st_atim;
	ts[1] = pst.st_mtim;
	(void)futimens(dfd, ts);
	close(fd);
	close(dfd);
	if (src != -1)
		close(src);
	w->rec.type = 'f';
	w->rec.mode = dst.st_mode & 07777;
	w->rec.uid = dst.st_uid;
	w->rec.gid = dst.st_gid;
	w->rec.size = (uint64_t)dst.st_size;
	w->rec.mtime = dst.st_mtim;
	w->rec.strategy = "bytecopy";
	free(name);
	return 0;
fail_hash:
	hash_free(&h);
fail:
	e = errno;
	if (fd != -1) {
		close(fd);
		(void)unlinkat(dfd, tmp, 0);
	}
	if (src != -1)
		close(src);
	close(dfd);
	free(name);
	errno = e;
	return -1;
}

/*
 * The jail's manifest: the template's records, each with the strategy
 * the runner used (snapshot: all "snapshot"), the overrides in their
 * places.  A record the runner saw differently means the template
 * changed meanwhile: then no manifest.
 */
static int
write_records(struct making *mk, const char *base, struct written *w,
    size_t nw)
{
	struct manifest_reader rd;
	struct manifest_writer out;
	struct manifest_record rec;
	struct held *s;
	char *path = NULL;
	FILE *fp;
	size_t i = 0, k;
	int r, c, e = 0;

	if ((fp = fopen(base, "re")) == NULL)
		return -1;
	if (manifest_open(&rd, fp) == -1) {
		e = errno;
		(void)fclose(fp);
		errno = e;
		return -1;
	}
	if ((path = meta_path(&mk->p, MANIFEST)) == NULL ||
	    manifest_create(&out, path) == -1) {
		e = errno ? errno : ENOMEM;
		goto out;
	}
	/* One flush of the filesystem before the jails get their names. */
	out.out.nosync = true;
	while ((r = manifest_next(&rd, &rec)) == 1) {
		while (i < nw && (c = scan_pathcmp(w[i].path, rec.path)) <= 0) {
			w[i].rec.path = w[i].path;
			if (manifest_add(&out, &w[i].rec) == -1)
				goto fail;
			i++;
			if (c == 0)
				break;
		}
		s = mk->mode == JAIL_SNAPSHOT ? NULL : held_get(&mk->seen,
		    rec.path);
		if (s != NULL)
			s->seen = true;
		if (i > 0 && strcmp(w[i - 1].path, rec.path) == 0)
			continue;
		if (mk->mode == JAIL_SNAPSHOT) {
			rec.strategy = "snapshot";
		} else if (s == NULL || !seen_matches(&s->rec, &rec)) {
			say(mk->ops, JE_CHANGED, 0, mk->p.jail, rec.path,
			    NULL);
			errno = ESTALE;
			goto fail;
		} else
			rec.strategy = s->strategy;
		if (manifest_add(&out, &rec) == -1)
			goto fail;
	}
	if (r == -1)
		goto fail;
	/* What the runner made that the template's manifest lacks. */
	for (k = 0; k < mk->seen.alloc; k++)
		if (mk->seen.v[k].path != NULL && !mk->seen.v[k].seen) {
			say(mk->ops, JE_CHANGED, 0, mk->p.jail,
			    mk->seen.v[k].path, NULL);
			errno = ESTALE;
			goto fail;
		}
	for (; i < nw; i++) {
		w[i].rec.path = w[i].path;
		if (manifest_add(&out, &w[i].rec) == -1)
			goto fail;
	}
	if (manifest_commit(&out) == -1) {
		e = errno;
		goto out;
	}
	goto out;
fail:
	e = errno ? errno : EIO;
	manifest_abort(&out);
out:
	free(path);
	manifest_close(&rd);
	(void)fclose(fp);
	errno = e;
	return e ? -1 : 0;
}

/* The template, as one create call sees it. */
struct template {
	const char	*path;		/* as given */
	char		*tree;		/* the tree to copy (store for archives) */
	char		*base;		/* its manifest */
	bool		 base_tmp;	/* made for this call: remove it */
	enum jail_kind	 kind;
	char		*id;		/* archive: the hash's hex */
	int		 fd;		/* the tree */
	dev_t		 dev;
	bool		 subvolume;
	bool		 nested;	/* subvolumes below it: not snapshot */
};

static void
census_error(void *arg, const char *path, int err)
{
	const struct jail_ops *ops = arg;

	say(ops, JE_READ, err, NULL, path, NULL);
}

/* Write the manifest of the tree at root to path. */
static int
template_census(const char *root, const char *path, unsigned jobs,
    const struct jail_ops *ops)
{
	struct manifest_writer w;
	struct census_ops co = { census_error, (void *)ops };
	int e;

	if (manifest_create(&w, path) == -1)
		return -1;
	if (census_tree(root, &w, jobs, &co) == -1) {
		e = errno;
		manifest_abort(&w);
		errno = e;
		return -1;
	}
	return manifest_commit(&w);
}

struct unpack_ctx {
	const struct jail_ops *ops;
	const char	*archive;
	unsigned	 refused;
};

static void
unpack_entry(void *arg, const struct extract_entry *e)
{
	(void)arg;
	(void)e;
}

static void
unpack_problem(void *arg, const char *path, const char *why, int err)
{
	struct unpack_ctx *u = arg;

	u->refused++;
	say(u->ops, JE_UNPACK, err, u->archive, path, why);
}

/* Make the missing directories above path (mode 0755), as mkdir -p. */
static int
make_parents(const char *path)
{
	char *p, *slash;
	int rc = 0;

	if ((p = strdup(path)) == NULL)
		return -1;
	for (slash = strchr(p + 1, '/'); slash != NULL && rc == 0;
	    slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(p, 0755) == -1 && errno != EEXIST)
			rc = -1;
		*slash = '/';
	}
	free(p);
	return rc;
}

/*
 * An archive's tree in the store: unpacked and given its manifest once,
 * under the hash of the archive's bytes.  Returns 0 or -1 (reported).
 */
static int
template_store(struct template *t, const struct jail_create_opts *o,
    const struct jail_ops *ops)
{
	unsigned char h[HASH_LEN];
	char hex[HASH_HEX_LEN + 1], part[HASH_HEX_LEN + 16];
	char man[HASH_HEX_LEN + 8], err[256] = "", *buf = NULL;
	struct extract_opts xo;
	struct extract_ops xops;
	struct unpack_ctx u = { ops, t->path, 0 };
	struct stat st;
	int fd, sfd = -1, lock = -1, pfd = -1, rc = -1, r;
	const char *store = o->store;

	fd = open(t->path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (fd == -1 || (buf = malloc(HASH_FD_BUF)) == NULL ||
	    hash_fd(fd, h, buf, -1) == -1) {
		say(ops, JE_TEMPLATE, errno, NULL, t->path, NULL);
		if (fd != -1)
			close(fd);
		free(buf);
		return -1;
	}
	close(fd);
	free(buf);
	hash_hex(h, hex);
	if (make_parents(store) == -1 ||
	    (mkdir(store, 0700) == -1 && errno != EEXIST) ||
	    (sfd = open(store, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (lock = openat(sfd, ".lock", O_RDWR | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1 ||
	    flock(lock, LOCK_EX | (o->wait ? 0 : LOCK_NB)) == -1) {
		say(ops, errno == EWOULDBLOCK ? JE_LOCKED : JE_STORE, errno,
		    NULL, store, NULL);
		goto out;
	}
	snprintf(man, sizeof(man), "%s.xcpm", hex);
	if ((t->id = strdup(hex)) == NULL ||
	    asprintf(&t->tree, "%s/%s", store, hex) == -1 ||
	    asprintf(&t->base, "%s/%s", store, man) == -1) {
		t->tree = t->base = NULL;
		say(ops, JE_NOMEM, ENOMEM, NULL, NULL, NULL);
		goto out;
	}
	if (fstatat(sfd, hex, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode) && fstatat(sfd, man, &st,
	    AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
		rc = 0;		/* unpacked before */
		goto out;
	}
	/* What an interrupted unpacking left goes first. */
	snprintf(part, sizeof(part), "%s.partial", hex);
	(void)remove_any(sfd, part);
	(void)remove_any(sfd, hex);
	if (mkdirat(sfd, part, 0755) == -1 || (pfd = openat(sfd, part,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		say(ops, JE_STORE, errno, NULL, store, NULL);
		goto out;
	}
	xo.devices = geteuid() == 0;
	xo.owners = geteuid() == 0;
	xops.entry = unpack_entry;
	xops.problem = unpack_problem;
	xops.arg = &u;
	if ((r = extract_archive(t->path, pfd, &xo, &xops, err,
	    sizeof(err))) != 0) {
		/*
		 * No jail is made from what was left of an archive once its
		 * refused entries (reported) were taken out.
		 */
		say(ops, JE_TEMPLATE, r == -1 ? errno : 0, NULL, t->path,
		    r == -1 ? (err[0] ? err : NULL) :
		    N_("some entries cannot be unpacked safely"));
		(void)remove_any(sfd, part);
		goto out;
	}
	if (renameat(sfd, part, sfd, hex) == -1 ||
	    template_census(t->tree, t->base, o->jobs, ops) == -1) {
		say(ops, JE_STORE, errno, NULL, t->tree, NULL);
		goto out;
	}
	rc = 0;
out:
	if (pfd != -1)
		close(pfd);
	if (lock != -1)
		close(lock);
	if (sfd != -1)
		close(sfd);
	return rc;
}

static void
template_free(struct template *t)
{
	if (t->base_tmp && t->base != NULL)
		(void)unlink(t->base);
	if (t->fd >= 0)
		close(t->fd);
	free(t->tree);
	free(t->base);
	free(t->id);
}

/*
 * Whether a subvolume template has subvolumes below its top: a snapshot
 * leaves them out (they come out as empty directories).
 */
static bool
has_nested(const struct template *t)
{
	struct manifest_reader rd;
	struct manifest_record rec;
	FILE *fp;
	int fd;
	bool found = false;

	if ((fp = fopen(t->base, "re")) == NULL)
		return true;
	if (manifest_open(&rd, fp) == 0) {
		while (!found && manifest_next(&rd, &rec) == 1) {
			if (rec.type != 'd' || strcmp(rec.path, ".") == 0 ||
			    (fd = beneath(t->fd, rec.path, O_RDONLY |
			    O_DIRECTORY)) == -1)
				continue;
			found = backend_subvolume.is_subvolume(fd);
			close(fd);
		}
		manifest_close(&rd);
	}
	(void)fclose(fp);
	return found;
}

/*
 * Look at the template and make its manifest (a directory: now, beside
 * the first jail's records; an archive: in the store, once).
 */
static int
template_open(struct template *t, const char *path,
    const struct jail_create_opts *o, const struct place *first,
    const struct jail_ops *ops)
{
	struct stat st;

	memset(t, 0, sizeof(*t));
	t->path = path;
	t->fd = -1;
	if (stat(path, &st) == -1) {
		say(ops, JE_TEMPLATE, errno, NULL, path, NULL);
		return -1;
	}
	if (S_ISREG(st.st_mode)) {
		t->kind = JAIL_TEMPLATE_ARCHIVE;
		if (template_store(t, o, ops) == -1)
			return -1;
	} else if (S_ISDIR(st.st_mode)) {
		t->kind = JAIL_TEMPLATE_DIR;
		if ((t->tree = strdup(path)) == NULL ||
		    asprintf(&t->base, "%s/%s/.template-%ld.xcpm",
		    first->dir, META_DIR, (long)getpid()) == -1) {
			t->base = NULL;
			say(ops, JE_NOMEM, ENOMEM, NULL, NULL, NULL);
			return -1;
		}
		t->base_tmp = true;
		if (template_census(t->tree, t->base, o->jobs, ops) == -1) {
			say(ops, JE_TEMPLATE, errno, NULL, path, NULL);
			return -1;
		}
	} else {
		say(ops, JE_TEMPLATE, ENOTDIR, NULL, path, NULL);
		return -1;
	}
	t->fd = open(t->tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->fd == -1 || fstat(t->fd, &st) == -1) {
		say(ops, JE_TEMPLATE, errno, NULL, t->tree, NULL);
		return -1;
	}
	t->dev = st.st_dev;
	t->subvolume = backend_subvolume.is_subvolume(t->fd);
	if (t->subvolume && t->kind == JAIL_TEMPLATE_DIR)
		t->kind = JAIL_TEMPLATE_SUBVOLUME;
	if (t->subvolume)
		t->nested = has_nested(t);
	return 0;
}

/* Whether a regular file of the template clones into the records' dir. */
static bool
clones(const struct template *t, int dirfd)
{
	struct manifest_reader rd;
	struct manifest_record rec;
	FILE *fp;
	int src = -1, dst;
	bool ok = false;

	if ((fp = fopen(t->base, "re")) == NULL)
		return false;
	if (manifest_open(&rd, fp) == 0) {
		while (manifest_next(&rd, &rec) == 1)
			if (rec.type == 'f' && rec.size > 0 &&
			    (src = beneath(t->fd, rec.path, O_RDONLY |
			    O_NOCTTY | O_NONBLOCK)) != -1)
				break;
		manifest_close(&rd);
	}
	(void)fclose(fp);
	if (src == -1)
		return false;
	dst = openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (dst != -1) {
		ok = ioctl(dst, FICLONE, src) == 0;
		close(dst);
	}
	close(src);
	return ok;
}

/*
 * Whether two fds are on one btrfs filesystem: its UUID, since each
 * subvolume has a device number and an fsid of its own.
 */
static bool
same_fs(int a, int b)
{
	struct btrfs_ioctl_fs_info_args x, y;

	memset(&x, 0, sizeof(x));
	memset(&y, 0, sizeof(y));
	return ioctl(a, BTRFS_IOC_FS_INFO, &x) == 0 &&
	    ioctl(b, BTRFS_IOC_FS_INFO, &y) == 0 &&
	    memcmp(x.fsid, y.fsid, sizeof(x.fsid)) == 0;
}

static enum jail_mode
choose(const struct template *t, const struct making *mk)
{
	const struct jail_create_opts *o = mk->o;

	if (o->mode != JAIL_AUTO)
		return o->mode;
	if (t->subvolume && !t->nested &&
	    backend_subvolume.supported(mk->p.jfd) &&
	    same_fs(t->fd, mk->p.jfd))
		return JAIL_SNAPSHOT;
	if (clones(t, mk->p.jfd))
		return JAIL_REFLINK;
	return o->nshared > 0 ? JAIL_HARDLINK : JAIL_COPY;
}

/* Copy the template's tree to the partial name through the runner. */
static int
copy_tree(struct making *mk, const struct template *t, unsigned jobs)
{
	const struct jail_create_opts *o = mk->o;
	struct policy pol;
	struct run_ops rops;
	struct run r;
	int rc;

	policy_init(&pol);
	pol.recursive = true;
	pol.deref = DEREF_NEVER;
	pol.preserve = PRESERVE_ALL;
	pol.require = PRESERVE_MODE | PRESERVE_TIMES | PRESERVE_LINKS;
	if (geteuid() == 0)
		pol.require |= PRESERVE_OWNER;
	pol.jobs = jobs;
	pol.progress = o->progress;
	switch (mk->mode) {
	case JAIL_REFLINK:
		pol.reflink = REFLINK_ALWAYS;
		break;
	case JAIL_HARDLINK:
		pol.reflink = REFLINK_NEVER;
		pol.link = LINK_SHARED;
		pol.shared = o->shared;
		pol.nshared = o->nshared;
		pol.private = o->private;
		pol.nprivate = o->nprivate;
		break;
	default:
		pol.reflink = REFLINK_NEVER;
		break;
	}
	memset(&rops, 0, sizeof(rops));
	rops.report = run_report;
	rops.record = run_record;
	rops.arg = mk;
	if (run_init(&r, &pol, &rops) == -1)
		return -1;
	rc = run_copy(&r, t->tree, mk->root);
	run_free(&r);
	if (mk->seen_err != 0) {
		errno = mk->seen_err;
		return -1;
	}
	return rc == 0 && mk->copy_errors == 0 ? 0 : -1;
}

/* A jail's configuration, as list and verify read it. */
struct conf {
	char		*template;
	char		*hostname;
	char		*created;
	char		*updated;
	char		*tree;		/* what was copied: template or store */
	char		*store;		/* archive: its hash */
	char		*root;		/* the jail's identity: root_id() */
	enum jail_kind	 kind;
	enum jail_mode	 mode;
	char		**overrides;
	size_t		 nov;
	char		**shared;	/* hardlink mode: its paths */
	size_t		 nshared;
	char		**private;
	size_t		 nprivate;
};

/* Add a copy of v to the list (*v)[*n]; failures are left out. */
static void
list_add(char ***v, size_t *n, const char *s)
{
	char **nv;

	if ((nv = reallocarray(*v, *n + 1, sizeof(*nv))) == NULL)
		return;
	*v = nv;
	if ((nv[*n] = strdup(s)) != NULL)
		(*n)++;
}

static void
conf_free(struct conf *c)
{
	size_t i;

	free(c->template);
	free(c->hostname);
	free(c->created);
	free(c->updated);
	free(c->tree);
	free(c->store);
	free(c->root);
	for (i = 0; i < c->nov; i++)
		free(c->overrides[i]);
	free(c->overrides);
	for (i = 0; i < c->nshared; i++)
		free(c->shared[i]);
	free(c->shared);
	for (i = 0; i < c->nprivate; i++)
		free(c->private[i]);
	free(c->private);
	memset(c, 0, sizeof(*c));
}

/*
 * What tells a jail's root directory from another put at its name: a
 * btrfs subvolume's UUID, else the inode number.  Returns a malloc'd
 * string, or NULL.
 */
static char *
root_id(int fd)
{
	struct btrfs_ioctl_get_subvol_info_args si;
	struct stat st;
	char *s, hex[2 * BTRFS_UUID_SIZE + 1];
	int i;

	if (fstat(fd, &st) == -1)
		return NULL;
	memset(&si, 0, sizeof(si));
	if (backend_subvolume.is_subvolume(fd) &&
	    ioctl(fd, BTRFS_IOC_GET_SUBVOL_INFO, &si) == 0) {
		for (i = 0; i < BTRFS_UUID_SIZE; i++)
			snprintf(hex + 2 * i, 3, "%02x", si.uuid[i]);
		return asprintf(&s, "subvolume:%s", hex) == -1 ? NULL : s;
	}
	return asprintf(&s, "inode:%ju", (uintmax_t)st.st_ino) == -1 ? NULL :
	    s;
}

/*
 * Whether the directory open as fd is the jail the configuration was
 * written for (configurations without an identity are taken as is).
 */
static bool
is_root(int fd, const struct conf *c)
{
	char *id;
	bool same;

	if (c->root == NULL)
		return true;
	if ((id = root_id(fd)) == NULL)
		return false;
	same = strcmp(id, c->root) == 0;
	free(id);
	return same;
}

/* Write the configuration c as the jail's jail.conf, atomically. */
static int
conf_write(const struct place *p, const struct conf *c, bool nosync)
{
	const char *keys[] = { "template", "tree", "hostname" };
	const char *vals[] = { c->template, c->tree, c->hostname };
	struct afile a;
	char *path, *esc;
	size_t i;

	if ((path = meta_path(p, CONF)) == NULL)
		return -1;
	if (afile_create(&a, path) == -1) {
		free(path);
		return -1;
	}
	free(path);
	a.nosync = nosync;
	fprintf(a.fp, "# jailclone 1\n");
	for (i = 0; i < 3; i++) {
		if (vals[i] == NULL)
			continue;
		if ((esc = manifest_escape(vals[i])) == NULL)
			goto fail;
		fprintf(a.fp, "%s=%s\n", keys[i], esc);
		free(esc);
	}
	fprintf(a.fp, "kind=%s\n", kind_names[c->kind]);
	if (c->store != NULL)
		fprintf(a.fp, "store=%s\n", c->store);
	if (c->root != NULL)
		fprintf(a.fp, "root=%s\n", c->root);
	fprintf(a.fp, "mode=%s\n", mode_names[c->mode]);
	if (c->created != NULL)
		fprintf(a.fp, "created=%s\n", c->created);
	if (c->updated != NULL)
		fprintf(a.fp, "updated=%s\n", c->updated);
	for (i = 0; i < c->nov; i++) {
		if ((esc = manifest_escape(c->overrides[i])) == NULL)
			goto fail;
		fprintf(a.fp, "override=%s\n", esc);
		free(esc);
	}
	for (i = 0; i < c->nshared + c->nprivate; i++) {
		const char *v = i < c->nshared ? c->shared[i] :
		    c->private[i - c->nshared];

		if ((esc = manifest_escape(v)) == NULL)
			goto fail;
		fprintf(a.fp, "%s=%s\n", i < c->nshared ? "shared" :
		    "private", esc);
		free(esc);
	}
	return afile_commit(&a);
fail:
	afile_abort(&a);
	return -1;
}

static void
utc_now(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	(void)strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
write_conf(struct making *mk, const struct template *t, int rootfd)
{
	struct conf c;
	char when[32], **ov = NULL;
	size_t i, n = 0;
	int rc = -1;

	memset(&c, 0, sizeof(c));
	utc_now(when, sizeof(when));
	c.template = (char *)t->path;
	c.tree = t->tree;
	c.store = t->id;
	c.kind = t->kind;
	c.mode = mk->mode;
	c.created = when;
	if ((c.root = root_id(rootfd)) == NULL)
		return -1;
	if (mk->o->hostname != NULL && (c.hostname = expand(mk->o->hostname,
	    strlen(mk->o->hostname), mk->p.name, &i)) == NULL)
		goto out;
	if (mk->o->nov > 0 && (ov = calloc(mk->o->nov, sizeof(*ov))) == NULL)
		goto out;
	for (n = 0; n < mk->o->nov; n++) {
		const char *p = mk->o->ov[n].path;

		while (*p == '/')
			p++;
		if (asprintf(&ov[n], "./%s", p) == -1)
			goto out;
	}
	c.overrides = ov;
	c.nov = n;
	if (mk->mode == JAIL_HARDLINK) {
		c.shared = (char **)mk->o->shared;
		c.nshared = mk->o->nshared;
		c.private = (char **)mk->o->private;
		c.nprivate = mk->o->nprivate;
	}
	rc = conf_write(&mk->p, &c, true);
out:
	for (i = 0; i < n; i++)
		free(ov[i]);
	free(ov);
	free(c.hostname);
	free(c.root);
	return rc;
}

/* The base manifest for this jail: a link to the template's, or a copy. */
static int
keep_base(struct making *mk, const struct template *t)
{
	char *to;
	int rc;

	if ((to = meta_path(&mk->p, BASE)) == NULL)
		return -1;
	(void)unlink(to);
	rc = link(t->base, to);
	if (rc == -1) {
		struct afile a;
		FILE *in = fopen(t->base, "re");
		char buf[65536];
		size_t n;

		if (in == NULL || afile_create(&a, to) == -1) {
			if (in != NULL)
				(void)fclose(in);
			free(to);
			return -1;
		}
		a.nosync = true;
		while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
			fwrite(buf, 1, n, a.fp);
		rc = ferror(in) ? -1 : afile_commit(&a);
		if (ferror(in))
			afile_abort(&a);
		(void)fclose(in);
	}
	free(to);
	return rc;
}

/* Undo what make_one did for a jail that will not get its name. */
static void
unmake(struct making *mk)
{
	(void)remove_any(mk->p.jfd, PARTIAL);
	(void)unlinkat(mk->p.jfd, MANIFEST, 0);
	(void)unlinkat(mk->p.jfd, BASE, 0);
	(void)unlinkat(mk->p.jfd, CONF, 0);
	(void)unlinkat(mk->p.mfd, mk->p.name, AT_REMOVEDIR);
}

/* Give a made jail its name.  Returns 0, or -1 after reporting. */
static int
publish(struct making *mk)
{
	if (renameat2(mk->p.jfd, PARTIAL, mk->p.dfd, mk->p.name,
	    RENAME_NOREPLACE) == -1) {
		say(mk->ops, errno == EEXIST ? JE_EXISTS : JE_COPY, errno,
		    mk->p.jail, NULL, NULL);
		unmake(mk);
		return -1;
	}
	return 0;
}

/*
 * Make one jail under its partial name, with its records.  Returns 0, or
 * -1 after reporting.
 */
static int
make_one(struct making *mk, const struct template *t, unsigned jobs)
{
	const struct jail_create_opts *o = mk->o;
	struct written *w = NULL;
	struct stat st;
	size_t i, nw = 0;
	int rfd = -1, e;

	if ((e = fstatat(mk->p.dfd, mk->p.name, &st,
	    AT_SYMLINK_NOFOLLOW) == 0 ? EEXIST : errno) != ENOENT) {
		say(mk->ops, JE_EXISTS, e == EEXIST ? 0 : e, mk->p.jail, NULL,
		    NULL);
		place_discard(&mk->p);
		return -1;
	}
	/* What an interrupted create left goes first. */
	clear_leftovers(mk->p.jfd);
	if (asprintf(&mk->root, "%s/%s/%s/%s", mk->p.dir, META_DIR,
	    mk->p.name, PARTIAL) == -1) {
		mk->root = NULL;
		say(mk->ops, JE_NOMEM, ENOMEM, mk->p.jail, NULL, NULL);
		return -1;
	}
	mk->mode = choose(t, mk);
	if (mk->mode == JAIL_SNAPSHOT) {
		if (!t->subvolume || t->nested ||
		    backend_subvolume.snapshot(t->fd, mk->p.jfd,
		    PARTIAL) == -1) {
			say(mk->ops, JE_MODE, t->subvolume && !t->nested ?
			    errno : 0, mk->p.jail, NULL, "snapshot");
			place_discard(&mk->p);
			return -1;
		}
	} else if (copy_tree(mk, t, jobs) == -1) {
		if (mk->copy_errors == 0)
			say(mk->ops, JE_COPY, errno, mk->p.jail, mk->root,
			    NULL);
		goto fail;
	}
	if ((rfd = openat(mk->p.jfd, PARTIAL, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) == -1) {
		say(mk->ops, JE_COPY, errno, mk->p.jail, mk->root, NULL);
		goto fail;
	}
	if (o->nov > 0 && (w = calloc(o->nov, sizeof(*w))) == NULL) {
		say(mk->ops, JE_NOMEM, ENOMEM, mk->p.jail, NULL, NULL);
		goto fail;
	}
	for (i = 0; i < o->nov; i++) {
		const char *p = o->ov[i].path;

		while (*p == '/')
			p++;
		if (asprintf(&w[nw].path, "./%s", p) == -1) {
			say(mk->ops, JE_NOMEM, ENOMEM, mk->p.jail, NULL, NULL);
			goto fail;
		}
		nw++;
		if (write_override(rfd, &o->ov[i], mk->p.name,
		    &w[nw - 1]) == -1) {
			say(mk->ops, JE_OVERRIDE, errno, mk->p.jail, p, NULL);
			goto fail;
		}
	}
	sort_any(w, nw, sizeof(*w), written_cmp);
	/* The same path twice: the last one given was written last. */
	if (write_records(mk, t->base, w, nw) == -1) {
		if (errno != ESTALE)
			say(mk->ops, JE_RECORDS, errno, mk->p.jail, NULL,
			    NULL);
		goto fail;
	}
	if (keep_base(mk, t) == -1 || write_conf(mk, t, rfd) == -1) {
		say(mk->ops, JE_RECORDS, errno, mk->p.jail, NULL, NULL);
		goto fail;
	}
	close(rfd);
	for (i = 0; i < nw; i++)
		free(w[i].path);
	free(w);
	return 0;
fail:
	e = errno;
	if (rfd != -1)
		close(rfd);
	for (i = 0; i < nw; i++)
		free(w[i].path);
	free(w);
	unmake(mk);
	errno = e;
	return -1;
}

/* Template manifests that a killed create left behind. */
static void
stale_templates(int mfd)
{
	struct walk_dir d;
	size_t i;
	long pid;
	char end[8];

	if (walk_list(mfd, &d) == -1)
		return;
	for (i = 0; i < d.n; i++)
		/* The names are ours, made with getpid(). */
		/* NOLINTNEXTLINE(cert-err34-c) */
		if (sscanf(d.names[i], ".template-%ld.%7s", &pid, end) == 2 &&
		    strcmp(end, "xcpm") == 0 && pid > 0 &&
		    kill((pid_t)pid, 0) == -1 && errno == ESRCH)
			(void)unlinkat(mfd, d.names[i], 0);
	walk_list_free(&d);
}

struct create_job {
	const struct template *t;
	struct making	*v;
	size_t		 n;
	unsigned	 jobs;
	unsigned	 failed;
};

/* Make every k-th jail from the first one, in this process. */
static void
make_here(struct create_job *cj, size_t first, unsigned k)
{
	struct making *mk;
	size_t i;

	for (i = first; i < cj->n; i += k) {
		mk = &cj->v[i];
		if (mk->p.jfd >= 0 && make_one(mk, cj->t, cj->jobs) == 0)
			mk->made = true;
	}
}

/* What a worker process tells of one jail. */
struct made_msg {
	uint32_t	 index;
	uint8_t		 made;
	uint8_t		 mode;
};

/*
 * Several jails at a time, in k processes rather than threads: threads
 * of one process making files contend on its file table, and share
 * nothing else the work needs.  Worker w makes every k-th jail from the
 * w-th and tells the parent, through a pipe, which it made and how; a
 * jail no worker told of is undone.
 */
static void
make_forked(struct create_job *cj, unsigned k, const struct jail_ops *ops)
{
	struct made_msg msg;
	struct making *mk;
	pid_t *pid, parent;
	int *rfd, pfd[2], st;
	bool *told;
	unsigned w, started = 0;
	size_t i;
	ssize_t r;

	pid = calloc(k, sizeof(*pid));
	rfd = calloc(k, sizeof(*rfd));
	told = calloc(cj->n, sizeof(*told));
	if (pid == NULL || rfd == NULL || told == NULL) {
		free(pid);
		free(rfd);
		free(told);
		make_here(cj, 0, 1);
		return;
	}
	fflush(NULL);
	parent = getpid();
	for (w = 0; w < k; w++) {
		if (pipe2(pfd, O_CLOEXEC) == -1)
			break;
		if ((pid[w] = fork()) == 0) {
			/* Killed with the parent: its locks go with it. */
			if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 ||
			    getppid() != parent)
				_exit(1);
			close(pfd[0]);
			for (i = w; i < cj->n; i += k) {
				mk = &cj->v[i];
				memset(&msg, 0, sizeof(msg));
				msg.index = (uint32_t)i;
				if (mk->p.jfd >= 0 && make_one(mk, cj->t,
				    cj->jobs) == 0) {
					msg.made = 1;
					msg.mode = (uint8_t)mk->mode;
				}
				if (write(pfd[1], &msg, sizeof(msg)) !=
				    (ssize_t)sizeof(msg))
					_exit(1);
			}
			_exit(0);
		}
		close(pfd[1]);
		if (pid[w] == -1) {
			close(pfd[0]);
			break;
		}
		rfd[w] = pfd[0];
	}
	started = w;
	/* The share of workers that could not start is made here. */
	for (w = started; w < k; w++)
		make_here(cj, w, k);
	for (w = started; w < k; w++)
		for (i = w; i < cj->n; i += k)
			told[i] = true;
	for (w = 0; w < started; w++) {
		while ((r = read(rfd[w], &msg, sizeof(msg))) ==
		    (ssize_t)sizeof(msg) || (r == -1 && errno == EINTR)) {
			if (r == -1 || msg.index >= cj->n)
				continue;
			told[msg.index] = true;
			cj->v[msg.index].made = msg.made != 0;
			cj->v[msg.index].mode = (enum jail_mode)msg.mode;
		}
		close(rfd[w]);
		while (waitpid(pid[w], &st, 0) == -1 && errno == EINTR)
			;
	}
	for (i = 0; i < cj->n; i++) {
		mk = &cj->v[i];
		if (told[i] || mk->p.jfd < 0)
			continue;
		say(ops, JE_COPY, ECHILD, mk->p.jail, NULL, NULL);
		unmake(mk);
	}
	free(pid);
	free(rfd);
	free(told);
}

static unsigned
cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n : 1;
}

/*
 * Whether the directory that would hold jail is the tree at template or
 * below it: the jail would then be copied into itself.
 */
static bool
jail_inside(const char *jail, const char *template)
{
	struct stat t, st, up;
	char *dir = NULL, *name = NULL;
	int fd, pfd, i;
	bool in = false;

	if (stat(template, &t) == -1 || !S_ISDIR(t.st_mode) ||
	    split(jail, &dir, &name) == -1)
		return false;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	free(name);
	for (i = 0; fd != -1 && i < 4096 && !in; i++) {
		if (fstat(fd, &st) == -1)
			break;
		in = st.st_dev == t.st_dev && st.st_ino == t.st_ino;
		pfd = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		close(fd);
		fd = pfd;
		if (fd == -1 || fstat(fd, &up) == -1 ||
		    (up.st_dev == st.st_dev && up.st_ino == st.st_ino))
			break;
	}
	if (fd != -1)
		close(fd);
	return in;
}

int
jail_create(const char *template, const char *const *jails, size_t n,
    const struct jail_create_opts *o, const struct jail_ops *ops)
{
	struct template t;
	struct create_job cj;
	unsigned threads, k;
	size_t i;
	int rc;

	memset(&cj, 0, sizeof(cj));
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (jail_inside(jails[i], template)) {
			say(ops, JE_TEMPLATE, 0, jails[i], template,
			    N_("a jail would be inside it"));
			return -1;
		}
	if ((cj.v = calloc(n, sizeof(*cj.v))) == NULL) {
		say(ops, JE_NOMEM, ENOMEM, NULL, NULL, NULL);
		return -1;
	}
	for (i = 0; i < n; i++) {
		cj.v[i].o = o;
		cj.v[i].ops = ops;
		if (place_open(&cj.v[i].p, jails[i], true, o->wait ?
		    JLOCK_WAIT : JLOCK_TRY, ops) == -1)
			cj.failed++;
	}
	for (i = 0; i < n && cj.v[i].p.jfd < 0; i++)
		;
	if (i == n) {
		free(cj.v);
		return n > 0 ? 1 : 0;
	}
	stale_templates(cj.v[i].p.mfd);
	if (template_open(&t, template, o, &cj.v[i].p, ops) == -1) {
		template_free(&t);
		for (i = 0; i < n; i++) {
			place_discard(&cj.v[i].p);
			place_close(&cj.v[i].p);
		}
		free(cj.v);
		return -1;
	}
	threads = o->jobs ? o->jobs : cpus();
	k = threads < n ? threads : (unsigned)n;
	/* One jail: its files on every thread; more: a jail per worker. */
	cj.jobs = k > 1 ? 1 : threads;
	cj.t = &t;
	cj.n = n;
	if (k > 1)
		make_forked(&cj, k, ops);
	else
		make_here(&cj, 0, 1);
	/*
	 * The jails and their records reach the disk before any gets its
	 * name: one flush per filesystem rather than one per file.
	 */
	for (i = 0; i < n; i++) {
		struct stat st;
		size_t j;
		bool done = false;

		if (!cj.v[i].made || fstat(cj.v[i].p.jfd, &st) == -1)
			continue;
		for (j = 0; j < i && !done; j++) {
			struct stat other;

			done = cj.v[j].made && fstat(cj.v[j].p.jfd,
			    &other) == 0 && other.st_dev == st.st_dev;
		}
		if (!done && syncfs(cj.v[i].p.jfd) == -1) {
			say(ops, JE_RECORDS, errno, cj.v[i].p.jail, NULL, NULL);
			cj.v[i].made = false;
			unmake(&cj.v[i]);
		}
	}
	for (i = 0; i < n; i++) {
		if (!cj.v[i].made || publish(&cj.v[i]) == -1)
			cj.failed++;
		else if (ops->done != NULL)
			ops->done(ops->arg, cj.v[i].p.jail, cj.v[i].mode);
	}
	rc = cj.failed > 0 ? 1 : 0;
	for (i = 0; i < n; i++) {
		place_close(&cj.v[i].p);
		held_free(&cj.v[i].seen);
		free(cj.v[i].root);
	}
	free(cj.v);
	template_free(&t);
	return rc;
}

static int
conf_read(int jfd, struct conf *c)
{
	char *line = NULL, *v;
	size_t cap = 0;
	ssize_t len;
	FILE *fp;
	int fd, i;

	memset(c, 0, sizeof(*c));
	if ((fd = openat(jfd, CONF, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return -1;
	if ((fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		return -1;
	}
	while ((len = getline(&line, &cap, fp)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (line[0] == '#' || (v = strchr(line, '=')) == NULL)
			continue;
		*v++ = '\0';
		if (strcmp(line, "template") == 0 || strcmp(line,
		    "hostname") == 0 || strcmp(line, "override") == 0 ||
		    strcmp(line, "tree") == 0 || strcmp(line, "shared") == 0 ||
		    strcmp(line, "private") == 0)
			(void)manifest_unescape(v);
		if (strcmp(line, "template") == 0)
			c->template = strdup(v);
		else if (strcmp(line, "tree") == 0)
			c->tree = strdup(v);
		else if (strcmp(line, "store") == 0)
			c->store = strdup(v);
		else if (strcmp(line, "root") == 0)
			c->root = strdup(v);
		else if (strcmp(line, "updated") == 0)
			c->updated = strdup(v);
		else if (strcmp(line, "hostname") == 0)
			c->hostname = strdup(v);
		else if (strcmp(line, "created") == 0)
			c->created = strdup(v);
		else if (strcmp(line, "mode") == 0 &&
		    (i = jail_mode_parse(v)) >= 0)
			c->mode = (enum jail_mode)i;
		else if (strcmp(line, "kind") == 0) {
			for (i = 0; i <= JAIL_TEMPLATE_ARCHIVE; i++)
				if (strcmp(v, kind_names[i]) == 0)
					c->kind = (enum jail_kind)i;
		} else if (strcmp(line, "override") == 0)
			list_add(&c->overrides, &c->nov, v);
		else if (strcmp(line, "shared") == 0)
			list_add(&c->shared, &c->nshared, v);
		else if (strcmp(line, "private") == 0)
			list_add(&c->private, &c->nprivate, v);
	}
	free(line);
	(void)fclose(fp);
	if (c->template == NULL) {
		conf_free(c);
		errno = EINVAL;
		return -1;
	}
	return 0;
}

struct checking {
	const char	*jail;
	const struct conf *c;
	const struct jail_verify_ops *vops;
	struct jail_verify_stats *st;
	bool		*touched;	/* overrides that drifted */
};

static void
check_diff(void *arg, const struct verify_diff *d)
{
	struct checking *ck = arg;
	struct jail_diff jd;
	size_t i;

	memset(&jd, 0, sizeof(jd));
	jd.jail = ck->jail;
	jd.path = d->path;
	switch (d->kind) {
	case VERIFY_MISSING:
		jd.kind = JAIL_REMOVED;
		ck->st->removed++;
		break;
	case VERIFY_EXTRA:
		jd.kind = JAIL_ADDED;
		ck->st->added++;
		break;
	default:
		jd.kind = JAIL_MODIFIED;
		jd.fields = d->kind == VERIFY_CHANGED ? d->fields :
		    VERIFY_CONTENT;
		ck->st->modified++;
		break;
	}
	for (i = 0; i < ck->c->nov; i++)
		if (strcmp(ck->c->overrides[i], d->path) == 0)
			ck->touched[i] = true;
	ck->vops->diff(ck->vops->arg, &jd);
}

/* Verify the open jail p against its manifest. */
static int
verify_place(struct place *p, const struct conf *c, bool content,
    unsigned jobs, const struct jail_verify_ops *vops,
    const struct jail_ops *ops, struct jail_verify_stats *st)
{
	struct verify_stats vs;
	struct verify_ops vo;
	struct checking ck;
	struct jail_diff jd;
	FILE *fp;
	char *root;
	size_t i;
	int fd, rc, e;

	memset(st, 0, sizeof(*st));
	if ((fd = openat(p->jfd, MANIFEST, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 || (fp = fdopen(fd, "r")) == NULL) {
		say(ops, JE_RECORDS, errno, p->jail, NULL, NULL);
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (asprintf(&root, "%s/%s", p->dir, p->name) == -1) {
		(void)fclose(fp);
		say(ops, JE_NOMEM, ENOMEM, p->jail, NULL, NULL);
		return -1;
	}
	ck.jail = p->jail;
	ck.c = c;
	ck.vops = vops;
	ck.st = st;
	if ((ck.touched = calloc(c->nov + 1, sizeof(bool))) == NULL) {
		(void)fclose(fp);
		free(root);
		say(ops, JE_NOMEM, ENOMEM, p->jail, NULL, NULL);
		return -1;
	}
	vo.diff = check_diff;
	vo.arg = &ck;
	rc = verify_tree_opts(fp, root, jobs, content, &vo, &vs);
	e = errno;
	(void)fclose(fp);
	free(root);
	if (rc == -1) {
		free(ck.touched);
		say(ops, vs.in_manifest ? JE_RECORDS : JE_READ, e, p->jail,
		    NULL, vs.why);
		return -1;
	}
	st->entries = vs.entries;
	for (i = 0; i < c->nov; i++) {
		if (ck.touched[i])
			continue;
		memset(&jd, 0, sizeof(jd));
		jd.jail = p->jail;
		jd.kind = JAIL_OVERRIDE;
		jd.path = c->overrides[i];
		st->overrides++;
		vops->diff(vops->arg, &jd);
	}
	free(ck.touched);
	return 0;
}

int
jail_verify(const char *jail, bool content, unsigned jobs, bool wait,
    const struct jail_verify_ops *vops, const struct jail_ops *ops,
    struct jail_verify_stats *st)
{
	struct place p;
	struct conf c;
	int rc, fd;

	memset(st, 0, sizeof(*st));
	if (place_open(&p, jail, false, wait ? JLOCK_READ_WAIT : JLOCK_READ,
	    ops) == -1)
		return -1;
	if (conf_read(p.jfd, &c) == -1) {
		say(ops, JE_NOT_JAIL, errno, jail, NULL, NULL);
		place_close(&p);
		return -1;
	}
	if ((fd = open_root(&p)) == -1 || !is_root(fd, &c)) {
		say(ops, JE_NOT_JAIL, fd == -1 ? errno : 0, jail, NULL, NULL);
		if (fd != -1)
			close(fd);
		conf_free(&c);
		place_close(&p);
		return -1;
	}
	close(fd);
	rc = verify_place(&p, &c, content, jobs, vops, ops, st);
	conf_free(&c);
	place_close(&p);
	return rc;
}

static void
quiet_diff(void *arg, const struct jail_diff *d)
{
	(void)arg;
	(void)d;
}

static void
quiet_report(void *arg, const struct jail_event *ev)
{
	(void)arg;
	(void)ev;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
jail_list(const char *dir, unsigned jobs,
    void (*fn)(void *, const struct jail_info *), void *arg)
{
	struct jail_verify_ops vops = { quiet_diff, NULL };
	struct jail_ops qops = { quiet_report, NULL, NULL };
	struct jail_verify_stats vs;
	struct jail_info info;
	struct walk_dir d;
	struct place p;
	struct conf c;
	struct stat st;
	char *path;
	int dfd, mfd;
	size_t i;

	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	mfd = openat(dfd, META_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (mfd == -1) {
		close(dfd);
		return errno == ENOENT ? 0 : -1;
	}
	if (walk_list(mfd, &d) == -1) {
		close(mfd);
		close(dfd);
		return -1;
	}
	sort_any(d.names, d.n, sizeof(*d.names), name_cmp);
	for (i = 0; i < d.n; i++) {
		if (fstatat(mfd, d.names[i], &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISDIR(st.st_mode))
			continue;
		if (asprintf(&path, "%s/%s", dir, d.names[i]) == -1)
			break;
		memset(&info, 0, sizeof(info));
		info.name = d.names[i];
		info.drift = -1;
		/* A jail in use is shown from its records alone. */
		if (place_open(&p, path, false, JLOCK_READ, &qops) == -1) {
			int jfd = openat(mfd, d.names[i], O_RDONLY |
			    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (jfd != -1 && conf_read(jfd, &c) == 0) {
				info.template = c.template;
				info.kind = c.kind;
				info.mode = c.mode;
				info.created = c.created;
				info.hostname = c.hostname;
				info.complete = fstatat(dfd, d.names[i], &st,
				    AT_SYMLINK_NOFOLLOW) == 0;
				fn(arg, &info);
				conf_free(&c);
			} else if (jfd != -1 && fstatat(jfd, PARTIAL, &st,
			    AT_SYMLINK_NOFOLLOW) == 0) {
				/* Being made (or its maker just died). */
				info.template = "";
				info.complete = false;
				fn(arg, &info);
			}
			if (jfd != -1)
				close(jfd);
			free(path);
			continue;
		}
		if (conf_read(p.jfd, &c) == 0) {
			info.template = c.template;
			info.kind = c.kind;
			info.mode = c.mode;
			info.created = c.created;
			info.hostname = c.hostname;
			info.complete = fstatat(dfd, d.names[i], &st,
			    AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
			if (info.complete && verify_place(&p, &c, false, jobs,
			    &vops, &qops, &vs) == 0)
				info.drift = (int64_t)(vs.modified + vs.added +
				    vs.removed);
			fn(arg, &info);
			conf_free(&c);
		} else if (fstatat(p.jfd, PARTIAL, &st,
		    AT_SYMLINK_NOFOLLOW) == 0) {
			info.template = "";
			info.complete = false;
			fn(arg, &info);
		}
		place_close(&p);
		free(path);
	}
	walk_list_free(&d);
	close(mfd);
	close(dfd);
	return 0;
}

/* What du keeps of each regular file it measured, and of each extent. */
struct extent {
	uint64_t	 phys;
	uint64_t	 len;
};

struct linked {
	dev_t		 dev;
	ino_t		 ino;
	nlink_t		 nlink;
	uint64_t	 exclusive;
	uint64_t	 shared;
};

struct measuring {
	struct jail_usage *u;
	struct extent	*ext;		/* of every jail measured */
	size_t		 next;
	size_t		 aext;
	struct linked	*ln;		/* this jail's files with links */
	size_t		 nln;
	size_t		 aln;
	int		 err;
};

static int
linked_cmp(const void *a, const void *b)
{
	const struct linked *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static int
ext_cmp(const void *a, const void *b)
{
	const struct extent *x = a, *y = b;

	return x->phys < y->phys ? -1 : x->phys > y->phys;
}

static int
add_extent(struct measuring *m, uint64_t phys, uint64_t len)
{
	struct extent *nv;

	if ((nv = grow(m->ext, &m->aext, m->next, sizeof(*nv), 4096)) == NULL)
		return -1;
	m->ext = nv;
	m->ext[m->next].phys = phys;
	m->ext[m->next].len = len;
	m->next++;
	return 0;
}

/* FIEMAP of one file: its exclusive and shared bytes up to its size. */
static void
measure_file(struct measuring *m, int fd, const struct stat *st,
    uint64_t *excl, uint64_t *shared)
{
	struct {
		struct fiemap fm;
		struct fiemap_extent ext[64];
	} buf;
	uint64_t start = 0, end, len, size = (uint64_t)st->st_size;
	unsigned i;

	*excl = *shared = 0;
	for (;;) {
		memset(&buf, 0, sizeof(buf));
		buf.fm.fm_start = start;
		buf.fm.fm_length = FIEMAP_MAX_OFFSET - start;
		buf.fm.fm_extent_count = 64;
		buf.fm.fm_flags = FIEMAP_FLAG_SYNC;
		if (ioctl(fd, FS_IOC_FIEMAP, &buf.fm) == -1) {
			/* No map: all of it is this jail's. */
			*excl += (uint64_t)st->st_blocks * 512;
			return;
		}
		if (buf.fm.fm_mapped_extents == 0)
			return;
		for (i = 0; i < buf.fm.fm_mapped_extents; i++) {
			struct fiemap_extent *x = &buf.ext[i];

			end = x->fe_logical + x->fe_length;
			if (end > size)
				end = size;
			len = end > x->fe_logical ? end - x->fe_logical : 0;
			if (x->fe_flags & FIEMAP_EXTENT_SHARED)
				*shared += len;
			else
				*excl += len;
			if (!(x->fe_flags & (FIEMAP_EXTENT_UNKNOWN |
			    FIEMAP_EXTENT_DATA_INLINE)) && len > 0 &&
			    add_extent(m, x->fe_physical, len) == -1) {
				m->err = ENOMEM;
				return;
			}
			start = x->fe_logical + x->fe_length;
			if (x->fe_flags & FIEMAP_EXTENT_LAST)
				return;
		}
	}
}

/* Walk the open directory fd of one jail, never following symlinks. */
/* Past this depth du walks without holding each level's descriptor. */
#define DU_FD_DEPTH	64

static void
measure_dir(struct measuring *m, int *fdp, uint64_t mnt, int depth)
{
	struct walk_dir d;
	struct statx sx;
	struct stat st, ost, here;
	int fd = *fdp;
	struct linked *nv;
	uint64_t excl, shared;
	size_t i;
	int sub;

	if (walk_list(fd, &d) == -1) {
		m->err = errno;
		return;
	}
	for (i = 0; i < d.n && m->err != ENOMEM; i++) {
		if (fstatat(fd, d.names[i], &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)))
			continue;
		sub = openat(fd, d.names[i], O_RDONLY | O_NOFOLLOW |
		    O_NONBLOCK | O_NOCTTY | O_CLOEXEC |
		    (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
		if (sub == -1) {
			if (errno != ENOENT)
				m->err = errno;
			continue;
		}
		/* What was looked at, not something put there since. */
		if (fstat(sub, &ost) == -1 || ost.st_ino != st.st_ino ||
		    ost.st_dev != st.st_dev) {
			close(sub);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			/* Something mounted there is not the jail's. */
			if (statx(sub, "", AT_EMPTY_PATH, STATX_MNT_ID,
			    &sx) == 0 && (sx.stx_mask & STATX_MNT_ID) &&
			    sx.stx_mnt_id != mnt) {
				close(sub);
				continue;
			}
			/*
			 * Deep down, this level lets go of its descriptor
			 * and comes back to it through "..": any depth
			 * takes a bounded number of them.
			 */
			if (depth < DU_FD_DEPTH || fstat(fd, &here) == -1) {
				measure_dir(m, &sub, mnt, depth + 1);
				close(sub);
				continue;
			}
			close(fd);
			measure_dir(m, &sub, mnt, depth + 1);
			fd = walk_reopen_parent(sub, here.st_dev, here.st_ino);
			close(sub);
			if (fd == -1) {
				m->err = errno;
				break;
			}
			continue;
		}
		m->u->files++;
		measure_file(m, sub, &st, &excl, &shared);
		close(sub);
		if (st.st_nlink == 1) {
			m->u->exclusive += excl;
			m->u->shared += shared;
			continue;
		}
		if ((nv = grow(m->ln, &m->aln, m->nln, sizeof(*nv),
		    256)) == NULL) {
			m->err = ENOMEM;
			break;
		}
		m->ln = nv;
		m->ln[m->nln].dev = st.st_dev;
		m->ln[m->nln].ino = st.st_ino;
		m->ln[m->nln].nlink = st.st_nlink;
		m->ln[m->nln].exclusive = excl;
		m->ln[m->nln].shared = shared;
		m->nln++;
	}
	*fdp = fd;
	walk_list_free(&d);
}

/*
 * Files with several names count once; when some of their names are
 * outside the jail (hard links to the template), all of it is shared.
 */
static void
count_links(struct measuring *m)
{
	size_t i, j;

	sort_any(m->ln, m->nln, sizeof(*m->ln), linked_cmp);
	for (i = 0; i < m->nln; i = j) {
		for (j = i + 1; j < m->nln &&
		    linked_cmp(&m->ln[i], &m->ln[j]) == 0; j++)
			m->u->files--;
		if ((nlink_t)(j - i) < m->ln[i].nlink)
			m->u->shared += m->ln[i].exclusive + m->ln[i].shared;
		else {
			m->u->exclusive += m->ln[i].exclusive;
			m->u->shared += m->ln[i].shared;
		}
	}
	m->nln = 0;
}

/* The bytes of the union of the extents. */
static uint64_t
union_bytes(struct extent *v, size_t n)
{
	uint64_t total = 0, start, end;
	size_t i;

	sort_any(v, n, sizeof(*v), ext_cmp);
	for (i = 0; i < n;) {
		start = v[i].phys;
		end = v[i].phys + v[i].len;
		for (i++; i < n && v[i].phys <= end; i++)
			if (v[i].phys + v[i].len > end)
				end = v[i].phys + v[i].len;
		total += end - start;
	}
	return total;
}


static int
du_all(const char *const *jails, size_t n, struct jail_usage *out,
    uint64_t *total, const struct jail_ops *ops)
{
	struct measuring m;
	struct place p;
	struct statx sx;
	size_t i;
	int fd, rc = 0;

	memset(&m, 0, sizeof(m));
	for (i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		if (place_open(&p, jails[i], false, JLOCK_READ, ops) == -1) {
			rc = 1;
			continue;
		}
		if ((fd = open_root(&p)) == -1 || statx(fd, "", AT_EMPTY_PATH,
		    STATX_MNT_ID, &sx) == -1) {
			say(ops, JE_READ, errno, jails[i], NULL, NULL);
			if (fd != -1)
				close(fd);
			place_close(&p);
			rc = 1;
			continue;
		}
		m.u = &out[i];
		m.err = 0;
		measure_dir(&m, &fd, sx.stx_mnt_id, 0);
		count_links(&m);
		if (fd != -1)
			close(fd);
		place_close(&p);
		if (m.err != 0) {
			say(ops, m.err == ENOMEM ? JE_NOMEM : JE_READ, m.err,
			    jails[i], NULL, NULL);
			rc = 1;
		}
	}
	*total = union_bytes(m.ext, m.next);
	free(m.ext);
	free(m.ln);
	return rc;
}

struct du_args {
	const char *const *jails;
	size_t		 n;
	struct jail_usage *out;
	uint64_t	*total;
	const struct jail_ops *ops;
};

static int
du_call(void *p)
{
	struct du_args *a = p;

	return du_all(a->jails, a->n, a->out, a->total, a->ops);
}

/* On a stack deep enough for any tree (see walk_deep()). */
int
jail_du(const char *const *jails, size_t n, struct jail_usage *out,
    uint64_t *total, const struct jail_ops *ops)
{
	struct du_args a = { jails, n, out, total, ops };

	return walk_deep(du_call, &a);
}

/* Whether anything is mounted at or below path (mountinfo's field 5). */
static bool
mounted_below(const char *path, char **where)
{
	char *line = NULL, *f, *save, *mp;
	size_t cap = 0, n = strlen(path);
	bool found = false;
	FILE *fp;
	int i;

	if ((fp = fopen("/proc/self/mountinfo", "re")) == NULL)
		return false;
	while (!found && getline(&line, &cap, fp) > 0) {
		mp = NULL;
		f = strtok_r(line, " ", &save);
		for (i = 1; f != NULL && i < 5; i++)
			f = strtok_r(NULL, " ", &save);
		if ((mp = f) == NULL)
			continue;
		/* Spaces and the like come as \ooo, as in manifests. */
		if (manifest_unescape(mp) == -1)
			continue;
		if (strncmp(mp, path, n) == 0 && (mp[n] == '\0' ||
		    mp[n] == '/')) {
			found = true;
			*where = strdup(mp);
		}
	}
	free(line);
	(void)fclose(fp);
	return found;
}

static int
destroy_one(const char *jail, bool wait, const struct jail_ops *ops)
{
	struct place p;
	struct statx sx;
	struct conf c;
	char *real = NULL, *root = NULL, *where = NULL;
	bool mounted = false, gone;
	int fd, rc = -1;

	if (place_open(&p, jail, false, wait ? JLOCK_WAIT : JLOCK_TRY,
	    ops) == -1)
		return -1;
	/* Only what jailclone made, or began to destroy, is destroyed. */
	if (faccessat(p.jfd, CONF, F_OK, AT_SYMLINK_NOFOLLOW) == -1 &&
	    faccessat(p.jfd, "deleting", F_OK, AT_SYMLINK_NOFOLLOW) == -1) {
		say(ops, JE_NOT_JAIL, 0, jail, NULL, NULL);
		goto out;
	}
	gone = faccessat(p.dfd, p.name, F_OK, AT_SYMLINK_NOFOLLOW) == -1;
	if (!gone) {
		if ((real = realpath(p.dir, NULL)) == NULL ||
		    asprintf(&root, "%s/%s", strcmp(real, "/") == 0 ? "" :
		    real, p.name) == -1) {
			root = NULL;
			say(ops, JE_READ, errno, jail, NULL, NULL);
			goto out;
		}
		if (mounted_below(root, &where)) {
			say(ops, JE_MOUNTED, EBUSY, jail, where, NULL);
			goto out;
		}
		if ((fd = open_root(&p)) == -1) {
			say(ops, JE_NOT_JAIL, errno, jail, NULL, NULL);
			goto out;
		}
		/* A directory put at the jail's name is not the jail. */
		if (conf_read(p.jfd, &c) == -1 || !is_root(fd, &c)) {
			if (c.template != NULL)
				conf_free(&c);
			close(fd);
			say(ops, JE_NOT_JAIL, 0, jail, NULL, NULL);
			goto out;
		}
		conf_free(&c);
		close(fd);
		/* Gone from its name at once; the rest follows. */
		(void)remove_any(p.jfd, "deleting");
		if (renameat(p.dfd, p.name, p.jfd, "deleting") == -1) {
			say(ops, JE_REMOVE, errno, jail, NULL, NULL);
			goto out;
		}
	}
	fd = openat(p.jfd, "deleting", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd != -1) {
		if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &sx) == -1) {
			close(fd);
			say(ops, JE_REMOVE, errno, jail, NULL, NULL);
			goto out;
		}
		close(fd);
		if (remove_beneath(p.jfd, "deleting", sx.stx_mnt_id,
		    &mounted) == -1) {
			say(ops, mounted ? JE_MOUNTED : JE_REMOVE, errno, jail,
			    NULL, NULL);
			goto out;
		}
	}
	clear_leftovers(p.jfd);
	(void)unlinkat(p.jfd, MANIFEST, 0);
	(void)unlinkat(p.jfd, BASE, 0);
	(void)unlinkat(p.jfd, CONF, 0);
	if (unlinkat(p.mfd, p.name, AT_REMOVEDIR) == -1) {
		say(ops, JE_REMOVE, errno, jail, NULL, NULL);
		goto out;
	}
	rc = 0;
out:
	free(where);
	free(real);
	free(root);
	place_close(&p);
	return rc;
}

int
jail_destroy(const char *const *jails, size_t n, bool wait,
    const struct jail_ops *ops)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n; i++) {
		if (destroy_one(jails[i], wait, ops) == -1)
			rc = 1;
		else if (ops->done != NULL)
			ops->done(ops->arg, jails[i], JAIL_AUTO);
	}
	return rc;
}

/* Load the manifest at path (in the records' directory fd, or a path). */
static int
held_load(struct held_map *m, int dirfd, const char *path)
{
	struct manifest_reader rd;
	struct manifest_record r;
	FILE *fp;
	int fd, rc, e = 0;

	memset(m, 0, sizeof(*m));
	if ((fd = openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) ==
	    -1)
		return -1;
	if ((fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		return -1;
	}
	if (manifest_open(&rd, fp) == -1) {
		e = errno;
		(void)fclose(fp);
		errno = e;
		return -1;
	}
	while ((rc = manifest_next(&rd, &r)) == 1)
		if (held_put(m, &r) == -1) {
			e = ENOMEM;
			break;
		}
	if (rc == -1 && e == 0)
		e = errno ? errno : EINVAL;
	manifest_close(&rd);
	(void)fclose(fp);
	if (e != 0) {
		held_free(m);
		errno = e;
		return -1;
	}
	return 0;
}

/* Paths, sorted, to ask whether one is in. */
struct pathset {
	char		**v;
	size_t		 n;
	size_t		 alloc;
};

static int
pathset_add(struct pathset *s, const char *p)
{
	char **nv;

	if ((nv = grow(s->v, &s->alloc, s->n, sizeof(*nv), 64)) == NULL)
		return -1;
	s->v = nv;
	if ((s->v[s->n] = strdup(p)) == NULL)
		return -1;
	s->n++;
	return 0;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
pathset_has(const struct pathset *s, const char *p)
{
	return s->n > 0 && bsearch(&p, s->v, s->n, sizeof(*s->v),
	    str_cmp) != NULL;
}

static void
pathset_free(struct pathset *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* Whether two records describe the same entry (a directory's mtime aside). */
static bool
same_rec(const struct manifest_record *a, const struct manifest_record *b)
{
	if (a->type != b->type || a->mode != b->mode || a->uid != b->uid ||
	    a->gid != b->gid)
		return false;
	if (a->type == 'd')
		return true;
	if (a->size != b->size || a->mtime.tv_sec != b->mtime.tv_sec ||
	    a->mtime.tv_nsec != b->mtime.tv_nsec)
		return false;
	if (a->has_hash != b->has_hash || (a->has_hash &&
	    memcmp(a->hash, b->hash, HASH_LEN) != 0))
		return false;
	if ((a->target == NULL) != (b->target == NULL))
		return false;
	return a->target == NULL || strcmp(a->target, b->target) == 0;
}

/* One jail being updated. */
struct updating {
	const char	*jail;
	const struct jail_ops *ops;
	const struct jail_update_ops *uops;
	int		 root;		/* the jail */
	int		 tree;		/* the new template's tree */
	int		 old;		/* the old one's, or -1 */
	uint64_t	 mnt;		/* the jail's mount */
	struct policy	 share;		/* hardlink mode: what is linked */
	bool		 link;
	struct pathset	 dirs;		/* directories whose times to set */
	struct held	*out;		/* the new manifest's records */
	size_t		 nout;
	size_t		 aout;
	unsigned	 errors;
	unsigned	 conflicts;
};

static int
out_add(struct updating *u, const struct manifest_record *r,
    const char *strategy)
{
	struct held *nv;

	if ((nv = grow(u->out, &u->aout, u->nout, sizeof(*nv), 1024)) == NULL)
		return -1;
	u->out = nv;
	if (held_fill(&u->out[u->nout], r) == -1)
		return -1;
	if (strategy != NULL)
		snprintf(u->out[u->nout].strategy,
		    sizeof(u->out[u->nout].strategy), "%s", strategy);
	u->nout++;
	return 0;
}

static int
held_cmp(const void *a, const void *b)
{
	return scan_pathcmp(((const struct held *)a)->path,
	    ((const struct held *)b)->path);
}

static int
held_ptr_cmp(const void *a, const void *b)
{
	return scan_pathcmp((*(struct held *const *)a)->path,
	    (*(struct held *const *)b)->path);
}

/* The parent directory of a manifest path beneath fd, and its last name. */
static int
parent_of(int fd, const char *path, char *name, size_t len)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int pfd;

	if (slash == NULL || strlen(slash + 1) >= len) {
		errno = EINVAL;
		return -1;
	}
	snprintf(name, len, "%s", slash + 1);
	if ((dir = strndup(path, (size_t)(slash - path))) == NULL)
		return -1;
	pfd = beneath(fd, dir, O_RDONLY | O_DIRECTORY);
	free(dir);
	return pfd;
}

/* Fill the open dst from the open src: a clone, else a copy. */
static int
fill_from(int dst, int src, enum strategy *used)
{
	char buf[65536];
	ssize_t n, w, off;

	if (ioctl(dst, FICLONE, src) == 0) {
		*used = STRATEGY_REFLINK;
		return 0;
	}
	*used = STRATEGY_BYTECOPY;
	while ((n = read(src, buf, sizeof(buf))) > 0)
		for (off = 0; off < n; off += w)
			if ((w = write(dst, buf + off, (size_t)(n - off))) <= 0)
				return -1;
	return n == -1 ? -1 : 0;
}

static void
req_for(struct meta_req *q, const struct stat *st, int src_fd)
{
	memset(q, 0, sizeof(*q));
	q->st = st;
	q->src_fd = src_fd;
	q->times = true;
	q->owner = true;
	q->xattr = q->acl = src_fd >= 0;
	q->privileged = geteuid() == 0;
	q->mode = st->st_mode & 07777;
	q->set_mode = true;
}

/*
 * Owner, mode and times of the node name (a symlink, FIFO or device just
 * made) in the jail's directory dirfd, through an O_PATH descriptor of it:
 * what the jail puts at that name meanwhile is never followed.
 */
static int
node_meta(int dirfd, const char *name, const struct stat *want)
{
	struct timespec ts[2];
	struct stat st;
	char proc[64];
	int fd, e = 0;

	if ((fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || (st.st_mode & S_IFMT) !=
	    (want->st_mode & S_IFMT)) {
		e = errno ? errno : ESTALE;
		goto out;
	}
	if (fchownat(fd, "", want->st_uid, want->st_gid, AT_EMPTY_PATH) ==
	    -1 && geteuid() == 0) {
		e = errno;
		goto out;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	/* A symbolic link has no mode of its own. */
	if (!S_ISLNK(st.st_mode) && chmod(proc, want->st_mode & 07777) ==
	    -1) {
		e = errno;
		goto out;
	}
	ts[0] = want->st_atim;
	ts[1] = want->st_mtim;
	if (S_ISLNK(st.st_mode) ? utimensat(dirfd, name, ts,
	    AT_SYMLINK_NOFOLLOW) : utimensat(AT_FDCWD, proc, ts, 0))
		e = errno;
out:
	close(fd);
	errno = e;
	return e ? -1 : 0;
}

/*
 * Make the entry rec of the tree tfd at the same path in the jail,
 * replacing what is there: a new name renamed over the old one.  The
 * jail's parent directory must exist.  Returns the strategy, or
 * STRATEGY_NONE with errno.
 */
static enum strategy
put_entry(struct updating *u, int tfd, const struct manifest_record *rec,
    const char *as)
{
	char name[NAME_MAX + 1], tname[NAME_MAX + 1], tmp[64], *text = NULL;
	const char *final = as != NULL ? as : name;
	struct meta_result res;
	struct meta_req q;
	struct statx mx;
	struct stat ts, cur;
	enum strategy used = STRATEGY_NONE;
	int pfd, tpfd = -1, sfd = -1, dfd = -1, lfd = -1, e = 0;
	bool mounted = false;

	if ((pfd = parent_of(u->root, rec->path, name, sizeof(name))) == -1)
		return STRATEGY_NONE;
	snprintf(tmp, sizeof(tmp), ".jailclone-%ld-%08lx.new", (long)getpid(),
	    random());
	(void)unlinkat(pfd, tmp, 0);
	if (rec->type == 'h') {
		/* A later name of a file already there in the jail. */
		if ((lfd = parent_of(u->root, rec->target, tname,
		    sizeof(tname))) == -1 ||
		    linkat(lfd, tname, pfd, tmp, 0) == -1)
			goto fail;
		used = STRATEGY_HARDLINK;
		goto place;
	}
	if ((tpfd = parent_of(tfd, rec->path, tname, sizeof(tname))) == -1 ||
	    fstatat(tpfd, tname, &ts, AT_SYMLINK_NOFOLLOW) == -1)
		goto fail;
	if (type_of(ts.st_mode) != rec->type || (rec->type == 'f' &&
	    (uint64_t)ts.st_size != rec->size)) {
		errno = ESTALE;
		goto fail;
	}
	switch (rec->type) {
	case 'd':
		if (fstatat(pfd, final, &cur, AT_SYMLINK_NOFOLLOW) == 0 &&
		    !S_ISDIR(cur.st_mode) && unlinkat(pfd, final, 0) == -1)
			goto fail;
		if (mkdirat(pfd, final, 0700) == -1 && errno != EEXIST)
			goto fail;
		if ((dfd = beneath(pfd, final, O_RDONLY | O_DIRECTORY)) ==
		    -1 || (sfd = openat(tpfd,
		    tname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC)) == -1)
			goto fail;
		req_for(&q, &ts, sfd);
		q.times = false;	/* after what goes in it */
		if (meta_apply_fd(dfd, &q, &res) == -1) {
			errno = res.err[ffs((int)res.failed) - 1];
			goto fail;
		}
		close(dfd);
		close(sfd);
		close(tpfd);
		close(pfd);
		if (pathset_add(&u->dirs, rec->path) == -1)
			return STRATEGY_NONE;
		return STRATEGY_MKDIR;
	case 'f':
		/* Hardlink mode: a shared file is the template's own. */
		if (u->link && tfd == u->tree && as == NULL &&
		    policy_shares(&u->share, rec->path + 2)) {
			if (linkat(tpfd, tname, pfd, tmp, 0) == -1)
				goto fail;
			used = STRATEGY_HARDLINK;
			break;
		}
		if ((sfd = openat(tpfd, tname, O_RDONLY | O_NOFOLLOW |
		    O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) == -1 ||
		    (dfd = openat(pfd, tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1 ||
		    fill_from(dfd, sfd, &used) == -1)
			goto fail;
		req_for(&q, &ts, sfd);
		if (meta_apply_fd(dfd, &q, &res) == -1) {
			errno = res.err[ffs((int)res.failed) - 1];
			goto fail;
		}
		break;
	case 'l':
		if ((text = walk_readlink(tpfd, tname, ts.st_size)) == NULL ||
		    symlinkat(text, pfd, tmp) == -1 ||
		    node_meta(pfd, tmp, &ts) == -1)
			goto fail;
		used = STRATEGY_SYMLINK;
		break;
	case 'p':
	case 'c':
	case 'b':
		if (mknodat(pfd, tmp, ts.st_mode & S_IFMT, ts.st_rdev) == -1 ||
		    node_meta(pfd, tmp, &ts) == -1)
			goto fail;
		used = STRATEGY_MKNOD;
		break;
	default:
		errno = EOPNOTSUPP;
		goto fail;
	}
place:
	/*
	 * A directory in the way goes: the caller saw that the jail changed
	 * nothing below it.
	 */
	if (fstatat(pfd, final, &cur, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(cur.st_mode) && (statx(pfd, final, AT_SYMLINK_NOFOLLOW,
	    STATX_MNT_ID, &mx) == -1 || mx.stx_mnt_id != u->mnt ||
	    remove_beneath(pfd, final, u->mnt, &mounted) == -1))
		goto fail;
	if (renameat(pfd, tmp, pfd, final) == -1)
		goto fail;
	goto out;
fail:
	e = errno ? errno : EIO;
	(void)unlinkat(pfd, tmp, 0);
	used = STRATEGY_NONE;
out:
	free(text);
	if (dfd != -1)
		close(dfd);
	if (sfd != -1)
		close(sfd);
	if (tpfd != -1)
		close(tpfd);
	if (lfd != -1)
		close(lfd);
	close(pfd);
	errno = e;
	return used;
}

/*
 * Beside a conflicting path, a template's version of it (regular files
 * only, and only when the tree still has what its record says).
 */
static char *
beside(struct updating *u, int tfd, const struct manifest_record *rec,
    const char *suffix)
{
	char name[NAME_MAX + 1], as[NAME_MAX + 1], hx[HASH_LEN], *buf, *p;
	int fd;
	bool ok = false;

	if (tfd < 0 || rec == NULL || rec->type != 'f' || !rec->has_hash)
		return NULL;
	if ((fd = beneath(tfd, rec->path, O_RDONLY | O_NOCTTY |
	    O_NONBLOCK)) == -1)
		return NULL;
	if ((buf = malloc(HASH_FD_BUF)) != NULL && hash_fd(fd, (unsigned
	    char *)hx, buf, -1) == 0 && memcmp(hx, rec->hash, HASH_LEN) == 0)
		ok = true;
	free(buf);
	close(fd);
	p = strrchr(rec->path, '/');
	if (!ok || p == NULL || snprintf(name, sizeof(name), "%s", p + 1) >=
	    (int)sizeof(name) || snprintf(as, sizeof(as), "%s%s", name,
	    suffix) >= (int)sizeof(as))
		return NULL;
	if (put_entry(u, tfd, rec, as) == STRATEGY_NONE)
		return NULL;
	if (asprintf(&p, "%s%s", rec->path, suffix) == -1)
		return NULL;
	return p;
}

static void
tell(struct updating *u, enum jail_change c, const char *path,
    const char *old, const char *new)
{
	if (u->uops->change != NULL)
		u->uops->change(u->uops->arg, u->jail, c, path, old, new);
}

struct drift_set {
	struct pathset	*s;
	struct pathset	*broken;	/* removed, or no longer its type */
	int		 root;		/* the jail's root */
	int		 err;
};

/* A name put_entry() gives a new entry before renaming it into place. */
static bool
our_new(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base != NULL ? base + 1 : path;
	n = strlen(base);
	return strncmp(base, ".jailclone-", 11) == 0 && n > 15 &&
	    strcmp(base + n - 4, ".new") == 0;
}

/* Whether path, beneath the jail's root, is a directory. */
static bool
is_dir_at(int root, const char *path)
{
	char name[NAME_MAX + 1];
	struct stat st;
	int pfd, rc;

	if (strcmp(path, ".") == 0)
		return fstat(root, &st) == 0 && S_ISDIR(st.st_mode);
	if ((pfd = parent_of(root, path, name, sizeof(name))) == -1)
		return false;
	rc = fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW);
	close(pfd);
	return rc == 0 && S_ISDIR(st.st_mode);
}

static void
drift_add(void *arg, const struct jail_diff *d)
{
	struct drift_set *ds = arg;
	char name[NAME_MAX + 1];
	int pfd;

	if (d->kind == JAIL_OVERRIDE)
		return;
	/*
	 * A directory's mtime moves with any change in it, which the
	 * entries' own drift says: on its own it is no change to keep (an
	 * update killed midway moved it too).
	 */
	if (d->kind == JAIL_MODIFIED && d->fields == VERIFY_MTIME &&
	    is_dir_at(ds->root, d->path))
		return;
	/*
	 * What an update killed before its rename left: stale, since the
	 * jail's lock keeps any other update out.
	 */
	if (d->kind == JAIL_ADDED && our_new(d->path) && (pfd =
	    parent_of(ds->root, d->path, name, sizeof(name))) != -1) {
		if (unlinkat(pfd, name, 0) == 0) {
			close(pfd);
			return;
		}
		close(pfd);
	}
	if (pathset_add(ds->s, d->path) == -1 || ((d->kind == JAIL_REMOVED ||
	    (d->kind == JAIL_MODIFIED && (d->fields & VERIFY_TYPE))) &&
	    pathset_add(ds->broken, d->path) == -1))
		ds->err = ENOMEM;
}

/* Whether path is dir or below it (strictly below: not dir itself). */
static bool
is_below(const char *path, const char *dir, bool strict)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && (path[n] == '/' ||
	    (!strict && path[n] == '\0'));
}

/* Whether a path of the set is strictly below dir. */
static bool
drift_below(const struct pathset *s, const char *dir)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (is_below(s->v[i], dir, true))
			return true;
	return false;
}

/* Whether path is below one of the set's paths (or one, unless strict). */
static bool
under_any(const struct pathset *s, const char *path, bool strict)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (is_below(path, s->v[i], strict))
			return true;
	return false;
}

/*
 * Whether the jail has at path just what the record says (the jail made
 * the template's change itself, or an interrupted update made it).
 */
static bool
jail_has(struct updating *u, const struct manifest_record *n)
{
	struct manifest_record got;
	struct scan_entry e;
	struct stat st;
	char name[NAME_MAX + 1], *target = NULL, dev[64], *buf;
	unsigned char h[HASH_LEN];
	int pfd, fd;
	bool same = false;

	if (n->type == 'h' || strcmp(n->path, ".") == 0 ||
	    (pfd = parent_of(u->root, n->path, name, sizeof(name))) == -1)
		return false;
	memset(&e, 0, sizeof(e));
	e.dirfd = pfd;
	e.name = name;
	e.path = n->path;
	e.st = &st;
	e.depth = 1;
	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    scan_record(&e, NULL, &got, &target, dev, sizeof(dev)) == 0) {
		got.has_hash = false;
		if (got.type == 'f' && n->has_hash &&
		    (fd = openat(pfd, name, O_RDONLY | O_NOFOLLOW |
		    O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) != -1) {
			if ((buf = malloc(HASH_FD_BUF)) != NULL &&
			    hash_fd(fd, h, buf, st.st_size) == 0) {
				memcpy(got.hash, h, HASH_LEN);
				got.has_hash = true;
			}
			free(buf);
			close(fd);
		}
		same = same_rec(&got, n);
	}
	free(target);
	close(pfd);
	return same;
}

/* Remove a path the template no longer has (a directory once empty). */
static int
drop_entry(struct updating *u, const struct manifest_record *rec)
{
	char name[NAME_MAX + 1];
	int pfd, rc;

	if ((pfd = parent_of(u->root, rec->path, name, sizeof(name))) == -1)
		return errno == ENOENT ? 0 : -1;
	rc = unlinkat(pfd, name, rec->type == 'd' ? AT_REMOVEDIR : 0);
	if (rc == -1 && errno == ENOENT)
		rc = 0;
	close(pfd);
	return rc;
}

/* Directory times last, deepest first: what went in them changed them. */
static void
dir_times(struct updating *u, const struct held_map *n)
{
	const struct held *h;
	struct timespec ts[2];
	size_t i;
	int fd;

	for (i = u->dirs.n; i-- > 0;) {
		if ((h = held_get(n, u->dirs.v[i])) == NULL)
			continue;
		fd = beneath(u->root, h->path, O_RDONLY | O_DIRECTORY);
		if (fd == -1)
			continue;
		ts[0] = h->rec.mtime;
		ts[1] = h->rec.mtime;
		(void)futimens(fd, ts);
		close(fd);
	}
}

static int
depth_cmp(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	size_t dx = 0, dy = 0;

	for (; *x; x++)
		dx += *x == '/';
	for (; *y; y++)
		dy += *y == '/';
	return dx < dy ? -1 : dx > dy;
}

/* Update one open jail; returns 0, or -1 after reporting. */
static int
update_one(struct updating *u, struct place *p, struct conf *c,
    const struct template *t, unsigned jobs)
{
	struct jail_verify_ops vops;
	struct jail_verify_stats vs;
	struct drift_set ds;
	struct pathset drift, ov, held, broken;
	struct held_map base, mine, next;
	struct manifest_writer w;
	struct held *b, *m, *h;
	enum strategy used;
	struct held **order = NULL;
	char *path = NULL, *o, *nw, when[32];
	size_t i, k;
	bool changed;
	int rc = -1;

	memset(&drift, 0, sizeof(drift));
	memset(&ov, 0, sizeof(ov));
	memset(&held, 0, sizeof(held));
	memset(&broken, 0, sizeof(broken));
	memset(&base, 0, sizeof(base));
	memset(&mine, 0, sizeof(mine));
	memset(&next, 0, sizeof(next));
	/* What the jail changed: its drift from its manifest, overrides. */
	ds.s = &drift;
	ds.broken = &broken;
	ds.root = u->root;
	ds.err = 0;
	vops.diff = drift_add;
	vops.arg = &ds;
	if (verify_place(p, c, true, jobs, &vops, u->ops, &vs) == -1)
		goto out;
	for (i = 0; i < c->nov; i++)
		if (pathset_add(&ov, c->overrides[i]) == -1)
			ds.err = ENOMEM;
	if (ds.err != 0) {
		say(u->ops, JE_NOMEM, ds.err, u->jail, NULL, NULL);
		goto out;
	}
	sort_any(drift.v, drift.n, sizeof(*drift.v), str_cmp);
	sort_any(ov.v, ov.n, sizeof(*ov.v), str_cmp);
	if (held_load(&base, p->jfd, BASE) == -1 ||
	    held_load(&mine, p->jfd, MANIFEST) == -1 ||
	    held_load(&next, AT_FDCWD, t->base) == -1) {
		say(u->ops, JE_RECORDS, errno, u->jail, NULL, NULL);
		goto out;
	}
	/* In walk order: a directory before what goes in it. */
	/* An array of pointers. */
	/* NOLINTNEXTLINE(bugprone-sizeof-expression) */
	if ((order = calloc(next.n + 1, sizeof(*order))) == NULL)
		goto nomem;
	for (i = 0, k = 0; i < next.alloc; i++)
		if (next.v[i].path != NULL)
			order[k++] = &next.v[i];
	/* An array of pointers. */
	/* NOLINTNEXTLINE(bugprone-sizeof-expression) */
	sort_any(order, k, sizeof(*order), held_ptr_cmp);
	for (i = 0; i < k; i++) {
		const struct manifest_record *n;

		h = order[i];
		n = &h->rec;
		b = held_get(&base, n->path);
		m = held_get(&mine, n->path);
		if (b != NULL)
			b->seen = true;
		changed = pathset_has(&drift, n->path) ||
		    pathset_has(&ov, n->path);
		if (pathset_has(&ov, n->path) && m != NULL) {
			/* An override stays as written. */
			if (b == NULL || !same_rec(&b->rec, n))
				tell(u, JAIL_KEPT, n->path, NULL, NULL);
			if (out_add(u, &m->rec, NULL) == -1)
				goto nomem;
			continue;
		}
		if (!changed && b != NULL && same_rec(&b->rec, n)) {
			/* A directory takes the new template's times. */
			if (n->type == 'd' && pathset_add(&u->dirs,
			    n->path) == -1)
				goto nomem;
			if (out_add(u, n, m != NULL ? m->rec.strategy :
			    NULL) == -1)
				goto nomem;
			continue;
		}
		if (!changed && b != NULL && b->rec.type == 'd' &&
		    n->type != 'd' && drift_below(&drift, n->path)) {
			/* The jail changed what is in a directory that goes. */
			changed = true;
		}
		if (!changed && strcmp(n->path, ".") != 0 &&
		    under_any(&broken, n->path, true)) {
			/* The jail removed its directory, or made it a link. */
			changed = true;
		}
		if (changed && jail_has(u, n)) {
			/* The jail made the template's change itself. */
			tell(u, JAIL_FOLLOWED, n->path, NULL, NULL);
			if (out_add(u, n, m != NULL ? m->rec.strategy :
			    NULL) == -1)
				goto nomem;
			continue;
		}
		if (!changed) {
			if (strcmp(n->path, ".") == 0) {
				used = STRATEGY_MKDIR;
				if (pathset_add(&u->dirs, ".") == -1)
					goto nomem;
			} else if ((used = put_entry(u, u->tree, n, NULL)) ==
			    STRATEGY_NONE) {
				say(u->ops, errno == ESTALE ? JE_CHANGED :
				    JE_COPY, errno, u->jail, n->path, NULL);
				u->errors++;
				continue;
			}
			tell(u, b != NULL ? JAIL_FOLLOWED : JAIL_NEW, n->path,
			    NULL, NULL);
			if (out_add(u, n, policy_strategy_name(used)) == -1)
				goto nomem;
			continue;
		}
		/* The jail changed it: kept; the manifest says the template. */
		if (b != NULL && same_rec(&b->rec, n)) {
			tell(u, JAIL_KEPT, n->path, NULL, NULL);
		} else {
			o = beside(u, u->old, b != NULL ? &b->rec : NULL,
			    ".jailclone-old");
			nw = beside(u, u->tree, n, ".jailclone-new");
			tell(u, JAIL_CONFLICT, n->path, o, nw);
			free(o);
			free(nw);
			u->conflicts++;
			if (b != NULL && b->rec.type == 'd' &&
			    pathset_add(&held, n->path) == -1)
				goto nomem;
		}
		if (out_add(u, n, m != NULL ? m->rec.strategy : NULL) == -1)
			goto nomem;
	}
	/* Gone from the template: deepest first. */
	{
		struct pathset gone;

		memset(&gone, 0, sizeof(gone));
		for (i = 0; i < base.alloc; i++)
			if (base.v[i].path != NULL && !base.v[i].seen &&
			    pathset_add(&gone, base.v[i].path) == -1)
				goto nomem;
		sort_any(gone.v, gone.n, sizeof(*gone.v), depth_cmp);
		for (i = gone.n; i-- > 0;) {
			b = held_get(&base, gone.v[i]);
			if (under_any(&held, b->path, false))
				continue;	/* in a conflicting directory */
			if (pathset_has(&ov, b->path)) {
				m = held_get(&mine, b->path);
				if (m != NULL && out_add(u, &m->rec, NULL) == -1) {
					pathset_free(&gone);
					goto nomem;
				}
				continue;
			}
			if (pathset_has(&drift, b->path)) {
				tell(u, JAIL_CONFLICT, b->path, NULL, NULL);
				u->conflicts++;
				continue;
			}
			if (drop_entry(u, &b->rec) == -1) {
				/* The jail keeps its own files in it. */
				if (errno == ENOTEMPTY || errno == EEXIST) {
					tell(u, JAIL_KEPT, b->path, NULL,
					    NULL);
					continue;
				}
				say(u->ops, JE_REMOVE, errno, u->jail, b->path,
				    NULL);
				u->errors++;
				continue;
			}
			tell(u, JAIL_GONE, b->path, NULL, NULL);
		}
		pathset_free(&gone);
	}
	/* Overrides of paths neither template has. */
	for (i = 0; i < ov.n; i++)
		if (held_get(&next, ov.v[i]) == NULL && held_get(&base,
		    ov.v[i]) == NULL && (m = held_get(&mine, ov.v[i])) !=
		    NULL && out_add(u, &m->rec, NULL) == -1)
			goto nomem;
	sort_any(u->dirs.v, u->dirs.n, sizeof(*u->dirs.v), depth_cmp);
	dir_times(u, &next);
	/*
	 * Some paths failed: the records stay those of the old template, so
	 * that a second run sees what this one changed as the jail's own
	 * changes, finds them equal to the new template, and goes on.
	 */
	if (u->errors > 0)
		goto out;
	/*
	 * The new records, base and configuration.  Moved by realloc and
	 * the sort, each record points at its own copy's strategy again.
	 */
	sort_any(u->out, u->nout, sizeof(*u->out), held_cmp);
	for (i = 0; i < u->nout; i++)
		u->out[i].rec.strategy = u->out[i].strategy;
	if ((path = meta_path(p, MANIFEST)) == NULL ||
	    manifest_create(&w, path) == -1) {
		say(u->ops, JE_RECORDS, errno, u->jail, NULL, NULL);
		goto out;
	}
	for (i = 0; i < u->nout; i++)
		if (manifest_add(&w, &u->out[i].rec) == -1)
			break;
	if (i < u->nout || manifest_commit(&w) == -1) {
		if (i < u->nout)
			manifest_abort(&w);
		say(u->ops, JE_RECORDS, errno, u->jail, NULL, NULL);
		goto out;
	}
	free(path);
	path = NULL;
	{
		struct making mk;

		memset(&mk, 0, sizeof(mk));
		mk.p = *p;
		if (keep_base(&mk, t) == -1)
			goto records;
	}
	free(c->template);
	free(c->tree);
	free(c->store);
	free(c->updated);
	utc_now(when, sizeof(when));
	c->template = strdup(t->path);
	c->tree = strdup(t->tree);
	c->store = t->id ? strdup(t->id) : NULL;
	c->updated = strdup(when);
	c->kind = t->kind;
	if (c->template == NULL || conf_write(p, c, false) == -1)
		goto records;
	rc = 0;
	goto out;
records:
	say(u->ops, JE_RECORDS, errno, u->jail, NULL, NULL);
	goto out;
nomem:
	say(u->ops, JE_NOMEM, ENOMEM, u->jail, NULL, NULL);
out:
	free(order);
	free(path);
	pathset_free(&drift);
	pathset_free(&ov);
	pathset_free(&held);
	pathset_free(&broken);
	held_free(&base);
	held_free(&mine);
	held_free(&next);
	return rc;
}

int
jail_update(const char *template, const char *const *jails, size_t n,
    const struct jail_create_opts *o, const struct jail_update_ops *uops,
    const struct jail_ops *ops)
{
	struct template t;
	struct updating u;
	struct place *pl;
	struct conf c;
	size_t i, first;
	int rc = 0;

	if ((pl = calloc(n, sizeof(*pl))) == NULL) {
		say(ops, JE_NOMEM, ENOMEM, NULL, NULL, NULL);
		return 1;
	}
	for (i = 0, first = n; i < n; i++) {
		if (place_open(&pl[i], jails[i], false, o->wait ? JLOCK_WAIT :
		    JLOCK_TRY, ops) == -1) {
			rc = 1;
			continue;
		}
		if (faccessat(pl[i].jfd, CONF, F_OK, AT_SYMLINK_NOFOLLOW) ==
		    -1) {
			say(ops, JE_NOT_JAIL, 0, jails[i], NULL, NULL);
			place_close(&pl[i]);
			rc = 1;
			continue;
		}
		if (first == n)
			first = i;
	}
	if (first == n) {
		free(pl);
		return rc;
	}
	if (template_open(&t, template, o, &pl[first], ops) == -1) {
		template_free(&t);
		for (i = 0; i < n; i++)
			place_close(&pl[i]);
		free(pl);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (pl[i].jfd < 0)
			continue;
		memset(&u, 0, sizeof(u));
		u.jail = jails[i];
		u.ops = ops;
		u.uops = uops;
		u.tree = t.fd;
		u.old = -1;
		u.root = open_root(&pl[i]);
		if (u.root != -1) {
			struct statx rx;

			if (statx(u.root, "", AT_EMPTY_PATH, STATX_MNT_ID,
			    &rx) == 0)
				u.mnt = rx.stx_mnt_id;
		}
		if (u.root == -1 || conf_read(pl[i].jfd, &c) == -1) {
			say(ops, JE_NOT_JAIL, errno, jails[i], NULL, NULL);
			if (u.root != -1)
				close(u.root);
			rc = 1;
			continue;
		}
		if (!is_root(u.root, &c)) {
			say(ops, JE_NOT_JAIL, 0, jails[i], NULL, NULL);
			close(u.root);
			conf_free(&c);
			rc = 1;
			continue;
		}
		if (c.tree != NULL)
			u.old = open(c.tree, O_RDONLY | O_DIRECTORY |
			    O_CLOEXEC);
		if (c.mode == JAIL_HARDLINK) {
			policy_init(&u.share);
			u.share.shared = (const char *const *)c.shared;
			u.share.nshared = c.nshared;
			u.share.private = (const char *const *)c.private;
			u.share.nprivate = c.nprivate;
			u.link = true;
		}
		if (update_one(&u, &pl[i], &c, &t, o->jobs) == -1 ||
		    u.errors > 0)
			rc = 1;
		else if (u.conflicts > 0 && rc == 0)
			rc = 2;
		else if (ops->done != NULL)
			ops->done(ops->arg, jails[i], c.mode);
		for (size_t k = 0; k < u.nout; k++) {
			free(u.out[k].path);
			free(u.out[k].target);
		}
		free(u.out);
		pathset_free(&u.dirs);
		conf_free(&c);
		close(u.root);
		if (u.old != -1)
			close(u.old);
	}
	for (i = 0; i < n; i++)
		place_close(&pl[i]);
	free(pl);
	template_free(&t);
	return rc;
}
