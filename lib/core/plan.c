/*
 * The planner.  Everything here is a decision, nothing is an action, so that
 * tests/unit/plan-test.c can check every rule without a filesystem.
 */
#include "config.h"

#include <sys/stat.h>

#include "core/plan.h"
#include "core/probe.h"

enum action
plan_entry(const struct policy *pol, const struct plan_entry *e)
{
	if (S_ISDIR(e->mode))
		return pol->recursive ? ACTION_MKDIR : ACTION_OMIT_DIR;
	if (pol->link == LINK_HARD)
		return ACTION_LINK;
	if (pol->link == LINK_SYMBOLIC)
		return ACTION_SYMLINK_TO;
	/* Every name of a shared file links to its own source name. */
	if (pol->link == LINK_SHARED && e->shared && S_ISREG(e->mode))
		return ACTION_LINK;
	if ((pol->preserve & PRESERVE_LINKS) && e->multi_link && e->seen_link)
		return ACTION_HARDLINK;
	if (S_ISLNK(e->mode))
		return ACTION_SYMLINK;
	if (S_ISREG(e->mode))
		return ACTION_FILE;
	/* FIFOs, sockets and devices: recreated under -R, read otherwise. */
	if (pol->recursive && !pol->copy_contents)
		return ACTION_MKNOD;
	/* Not recursive: read it, like cp (a socket then fails to open). */
	return ACTION_FILE;
}

bool
plan_sparse(off_t size, blkcnt_t blocks)
{
	/* Fewer allocated bytes than the size: there must be holes. */
	return size > 0 && blocks * 512 < size;
}

int
plan_data(const struct policy *pol, const struct caps *c,
    const struct plan_data *d, enum strategy *out)
{
	int n = 0;
	bool clone_ok, range_ok;

	if (pol->attributes_only) {
		out[n++] = STRATEGY_ATTRS;
		return n;
	}
	/* Never trust the size of a pseudo-file: read it. */
	if (d->pseudo) {
		out[n++] = STRATEGY_BYTECOPY;
		return n;
	}
	if (pol->reflink == REFLINK_ALWAYS) {
		out[n++] = STRATEGY_REFLINK;
		return n;
	}
	clone_ok = pol->reflink == REFLINK_AUTO && c->reflink != CAP_NO &&
	    d->size > 0;
	/*
	 * copy_file_range cannot turn zeros into holes, and within XFS or
	 * btrfs it may clone, which --reflink=never forbids.
	 */
	range_ok = c->copy_range != CAP_NO && d->size > 0 &&
	    pol->sparse != SPARSE_ALWAYS;
	if (pol->reflink == REFLINK_NEVER && c->src_magic == c->dst_magic &&
	    probe_may_clone(c->dst_magic))
		range_ok = false;
	if (clone_ok)
		out[n++] = STRATEGY_REFLINK;
	if (range_ok)
		out[n++] = STRATEGY_COPY_RANGE;
	out[n++] = STRATEGY_BYTECOPY;
	return n;
}
