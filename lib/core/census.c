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
	int		 werr;		/* errno of a failed write */
};

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
	/* Room first: the queue holds at most its share of files. */
	while (hashq_full(&c->q, r.type == 'f'))
		drain_one(c);
	/*
	 * A worker opens the file by the name that ends its path: the root
	 * has no such name, but the path it was given lives as long as this.
	 */
	if ((r.type == 'f' ? hashq_push_at(&c->q, it, e->dirfd, e->dirid,
	    e->depth == 0 ? e->name : it->path + strlen(it->path) -
	    strlen(e->name), e->depth == 0, HASHQ_XXH128, e->st->st_size) :
	    hashq_push(&c->q, it, -1, HASHQ_XXH128, -1)) == -1) {
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
	if (hashq_init(&c.q, threads, DEPTH) == -1)
		return -1;
	so.entry = entry;
	so.error = scan_error;
	so.arg = &c;
	rc = scan_tree(root, true, &so);
	e = errno;
	while (!hashq_empty(&c.q))
		drain_one(&c);
	hashq_free(&c.q);
	inomap_free(&c.links);
	if (rc == 0 && c.werr != 0) {
		rc = -1;
		e = c.werr;
	}
	errno = e;
	return rc;
}
