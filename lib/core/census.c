/*
 * Writing the manifest of an existing tree.  Each entry becomes a record
 * held in a small heap item until its hash is ready; the ordered hashing
 * queue gives the items back in walk order, so the writer sees exactly the
 * order of the scan and memory stays bounded by the queue's depth.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/census.h"
#include "core/hashq.h"
#include "core/inomap.h"
#include "core/manifest.h"
#include "core/scan.h"

#define DEPTH	4096

struct item {
	struct manifest_record rec;
	char		*path;
	char		*target;
};

struct census {
	struct manifest_writer *w;
	const struct census_ops *ops;
	struct hashq	 q;
	struct inomap	 links;
	char		*buf;		/* for files hashed inline */
	int		 werr;		/* errno of a failed write */
};

int
census_open(int dirfd, const char *name, bool follow)
{
	int fd, flags = O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC;

	if (!follow)
		flags |= O_NOFOLLOW;
	/* Reading for a manifest should not look like use. */
	fd = openat(dirfd, name, flags | O_NOATIME);
	if (fd == -1 && errno == EPERM)
		fd = openat(dirfd, name, flags);
	/*
	 * Something else put there since it was seen opens without blocking
	 * (O_NONBLOCK, O_NOCTTY) and is read no further than the size seen
	 * plus one byte (hash_fd), so it cannot hang the scan; its hash then
	 * differs.  That costs no fstat for every file.
	 */
	return fd;
}

static void
item_free(struct item *it)
{
	free(it->path);
	free(it->target);
	free(it);
}

/* Write the oldest item, waiting for its hash. */
static void
drain_one(struct census *c)
{
	unsigned char v[HASHQ_MAX];
	struct item *it;
	int err;

	if ((it = hashq_pop(&c->q, v, &err)) == NULL)
		return;
	if (err == 0) {
		memcpy(it->rec.hash, v, HASH_LEN);
		it->rec.has_hash = true;
	} else if (err > 0)
		c->ops->error(c->ops->arg, it->path, err);
	if (c->werr == 0 && manifest_add(c->w, &it->rec) == -1)
		c->werr = errno;
	item_free(it);
}

static int
entry(void *arg, const struct scan_entry *e)
{
	struct census *c = arg;
	struct manifest_record r;
	struct item *it;
	char dev[64], *target;
	int fd = -1;

	if (c->werr != 0) {
		errno = c->werr;
		return -1;
	}
	if (scan_record(e, &c->links, &r, &target, dev, sizeof(dev)) == -1) {
		if (errno == ENOMEM)
			return -1;
		c->ops->error(c->ops->arg, e->path, errno);
		return 0;
	}
	if ((it = calloc(1, sizeof(*it))) == NULL) {
		free(target);
		return -1;
	}
	it->rec = r;
	it->path = strdup(e->path);
	if (target != NULL)
		it->target = target;
	else if (r.target != NULL)
		it->target = strdup(r.target);
	if (it->path == NULL || (r.target != NULL && it->target == NULL)) {
		item_free(it);
		errno = ENOMEM;
		return -1;
	}
	it->rec.path = it->path;
	it->rec.target = it->target;
	if (r.type == 'f') {
		/* Room first: the queue holds at most its share of fds. */
		while (hashq_full(&c->q, true))
			drain_one(c);
		while ((fd = census_open(e->dirfd, e->name, e->depth == 0)) ==
		    -1 && (errno == EMFILE || errno == ENFILE) &&
		    !hashq_empty(&c->q))
			drain_one(c);
		if (fd == -1)
			c->ops->error(c->ops->arg, e->path, errno);
	}
	while (hashq_full(&c->q, fd != -1))
		drain_one(c);
	if ((fd != -1 && e->st->st_size <= HASHQ_INLINE ?
	    hashq_push_inline(&c->q, it, fd, HASHQ_XXH128, e->st->st_size,
	    c->buf) : hashq_push(&c->q, it, fd, HASHQ_XXH128,
	    e->st->st_size)) == -1) {
		if (fd != -1)
			close(fd);
		item_free(it);
		return -1;
	}
	while (hashq_ready(&c->q))
		drain_one(c);
	return 0;
}

static void
scan_error(void *arg, const char *path, int err)
{
	struct census *c = arg;

	c->ops->error(c->ops->arg, path, err);
}

int
census_tree(const char *root, struct manifest_writer *w, unsigned threads,
    const struct census_ops *ops)
{
	struct census c;
	struct scan_ops so;
	int rc, e;

	memset(&c, 0, sizeof(c));
	c.w = w;
	c.ops = ops;
	inomap_init(&c.links);
	if ((c.buf = malloc(HASH_FD_BUF)) == NULL)
		return -1;
	if (hashq_init(&c.q, threads, DEPTH) == -1) {
		free(c.buf);
		return -1;
	}
	so.entry = entry;
	so.error = scan_error;
	so.arg = &c;
	rc = scan_tree(root, true, &so);
	e = errno;
	while (!hashq_empty(&c.q))
		drain_one(&c);
	hashq_free(&c.q);
	inomap_free(&c.links);
	free(c.buf);
	if (rc == 0 && c.werr != 0) {
		rc = -1;
		e = c.werr;
	}
	errno = e;
	return rc;
}
