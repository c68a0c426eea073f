/*
 * The tree scanner.  Recursion over directory fds; past FD_DEPTH a level
 * closes its parent's fd and reopens it through ".." when it is done,
 * checking that it is still the same directory, so open files stay
 * bounded however deep the tree.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/inomap.h"
#include "core/manifest.h"
#include "core/scan.h"
#include "core/walk.h"

#define FD_DEPTH	64

struct scan {
	const struct scan_ops *ops;
	char		*path;
	size_t		 len;
	size_t		 alloc;
	unsigned long	 dirs;		/* directory fds opened so far */
};

static int
path_push(struct scan *s, const char *name)
{
	size_t n = strlen(name), need = s->len + 1 + n + 1;
	char *p;

	if (need > s->alloc) {
		if ((p = realloc(s->path, need * 2)) == NULL)
			return -1;
		s->path = p;
		s->alloc = need * 2;
	}
	s->path[s->len++] = '/';
	memcpy(s->path + s->len, name, n + 1);
	s->len += n;
	return 0;
}

static int
scan_dir(struct scan *s, int *fdp, const struct stat *dst, int depth)
{
	struct walk_dir d;
	struct scan_entry e;
	struct stat st;
	unsigned long id = ++s->dirs;
	size_t i, keep;
	int cfd, rc = 0;

	if (walk_list(*fdp, &d) == -1) {
		s->ops->error(s->ops->arg, s->path, errno);
		return 0;
	}
	for (i = 0; i < d.n && rc == 0; i++) {
		keep = s->len;
		if (path_push(s, d.names[i]) == -1) {
			rc = -1;
			break;
		}
		if (walk_stat(*fdp, d.names[i], false, &st) == -1) {
			if (errno != ENOENT)	/* gone: not there to verify */
				s->ops->error(s->ops->arg, s->path, errno);
			goto next;
		}
		e.dirfd = *fdp;
		e.dirid = id;
		e.name = d.names[i];
		e.path = s->path;
		e.st = &st;
		e.depth = depth + 1;
		if (s->ops->entry(s->ops->arg, &e) == -1) {
			rc = -1;
			break;
		}
		if (!S_ISDIR(st.st_mode))
			goto next;
		cfd = openat(*fdp, d.names[i], O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (cfd == -1) {
			s->ops->error(s->ops->arg, s->path, errno);
			goto next;
		}
		if (depth + 1 >= FD_DEPTH) {
			close(*fdp);
			*fdp = -1;
		}
		rc = scan_dir(s, &cfd, &st, depth + 1);
		if (*fdp == -1 && rc == 0) {
			if ((*fdp = walk_reopen_parent(cfd, dst->st_dev,
			    dst->st_ino)) == -1)
				rc = -1;
			id = ++s->dirs;		/* another fd */
		}
		if (cfd != -1)
			close(cfd);
next:
		s->len = keep;
		s->path[keep] = '\0';
	}
	walk_list_free(&d);
	return rc;
}

int
scan_tree(const char *root, bool follow, const struct scan_ops *ops)
{
	struct scan s;
	struct scan_entry e;
	struct stat st;
	int fd, rc, e2;

	memset(&s, 0, sizeof(s));
	s.ops = ops;
	if ((s.path = strdup(".")) == NULL)
		return -1;
	s.len = 1;
	s.alloc = 2;
	if (walk_stat(AT_FDCWD, root, follow, &st) == -1) {
		free(s.path);
		return -1;
	}
	e.dirfd = AT_FDCWD;
	e.dirid = 0;
	e.name = root;
	e.path = s.path;
	e.st = &st;
	e.depth = 0;
	if (ops->entry(ops->arg, &e) == -1) {
		free(s.path);
		return -1;
	}
	rc = 0;
	if (S_ISDIR(st.st_mode)) {
		if ((fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
		    -1)
			rc = -1;
		else {
			rc = scan_dir(&s, &fd, &st, 0);
			e2 = errno;
			if (fd != -1)
				close(fd);
			errno = e2;
		}
	}
	e2 = errno;
	free(s.path);
	errno = e2;
	return rc;
}

int
scan_record(const struct scan_entry *e, struct inomap *links,
    struct manifest_record *r, char **target, char *buf, size_t len)
{
	const struct stat *st = e->st;
	const char *first;
	char *t;

	memset(r, 0, sizeof(*r));
	*target = NULL;
	r->mode = st->st_mode & 07777;
	r->uid = st->st_uid;
	r->gid = st->st_gid;
	r->mtime = st->st_mtim;
	r->path = e->path;
	switch (st->st_mode & S_IFMT) {
	case S_IFREG:
		r->type = 'f';
		r->size = (uint64_t)st->st_size;
		if (st->st_nlink < 2 || links == NULL)
			break;
		if ((first = inomap_get(links, st->st_dev, st->st_ino)) !=
		    NULL) {
			r->type = 'h';
			r->target = first;
		} else if (inomap_put(links, st->st_dev, st->st_ino,
		    e->path) == -1)
			return -1;
		break;
	case S_IFDIR:
		r->type = 'd';
		break;
	case S_IFLNK:
		r->type = 'l';
		if ((t = walk_readlink(e->dirfd, e->name, st->st_size)) ==
		    NULL)
			return -1;
		r->size = strlen(t);
		*target = t;
		r->target = t;
		break;
	case S_IFIFO:
		r->type = 'p';
		break;
	case S_IFSOCK:
		r->type = 's';
		break;
	case S_IFCHR:
	case S_IFBLK:
		r->type = S_ISCHR(st->st_mode) ? 'c' : 'b';
		snprintf(buf, len, "%u,%u", major(st->st_rdev),
		    minor(st->st_rdev));
		r->target = buf;
		break;
	default:
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* Bytes in walk order: end of string, then '/', then everything else. */
static inline int
rank(unsigned char c)
{
	return c == '\0' ? 0 : c == '/' ? 1 : c + 1;
}

int
scan_pathcmp(const char *a, const char *b)
{
	const unsigned char *p = (const unsigned char *)a;
	const unsigned char *q = (const unsigned char *)b;

	while (*p == *q && *p != '\0') {
		p++;
		q++;
	}
	return rank(*p) - rank(*q);
}
